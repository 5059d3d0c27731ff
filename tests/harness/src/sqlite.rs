//! [`SqliteStore`]: a third [`Store`], over SQLite, so that the submit
//! benchmark can set the sled store beside the engine a user would pick
//! instead, behind the same HTTP stack, and so that the store conformance
//! suite checks the trait's promises on one more engine.
//!
//! One file in the data folder, `responses.sqlite3`, in WAL mode with
//! `synchronous=FULL`: a commit syncs the log before it returns, and other
//! connections see a transaction only after that sync, so readers (a small
//! pool of connections of their own) see only durable data.
//!
//! Submissions are committed in groups, as the sled store commits them:
//! a writer makes its submission ready (stored JSON, personal answers,
//! alert) and queues it; one commit thread writes everything queued as one
//! transaction and answers it once committed (see [`commit`]). The rare
//! writes (forms, tokens, docs, codes, counts) go through the same
//! connection between groups, a transaction each.
//!
//! ```text
//! schema.sql  the tables
//! sqlite.rs   open, the write connection, the pool of read connections
//! commit.rs   the group-commit thread
//! store.rs    the Store trait over the tables
//! counts.rs   the funnel's counts
//! erase.rs    erasing free text past retention
//! backup.rs   consistent copies while serving
//! ```
//!
//! ```text
//! submit ─► queue ─► commit thread ─ one transaction, COMMIT (fsync) ─► replies
//! put_token, put_doc, … ─► the same connection, its own transaction
//! reads ─► pool of read connections (a snapshot of what is committed)
//! ```

mod backup;
mod commit;
mod counts;
mod erase;
mod store;

use collector::model::StoredResponse;
#[cfg(doc)]
use collector::store::Store;
use collector::store::{Error, Published, ResponseId, Result};
pub use commit::CommitStats;
use commit::{commit_loop, lock, Queue, Writer};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};

/// The database file in the data folder.
const FILE: &str = "responses.sqlite3";

/// This layout's version, kept in SQLite's `user_version`.
const SCHEMA_VERSION: i64 = 1;

/// Read connections kept for reuse (more are opened when needed).
const READERS: usize = 8;

/// Responses rewritten per transaction when text is erased: small, so a
/// group of submissions waits at most for one.
const ERASE_BATCH: usize = 500;

/// The tables, made in a new database.
const SCHEMA: &str = include_str!("sqlite/schema.sql");

/// SQLite, opened in a data folder.
pub struct SqliteStore {
    /// The database file.
    file: PathBuf,
    /// Every write goes through it: the commit thread's groups and the
    /// rare writes, one transaction at a time.
    writer: Arc<Mutex<Writer>>,
    readers: Mutex<Vec<Connection>>,
    /// Current version of every form, ready to serve.
    current: RwLock<HashMap<String, Arc<Published>>>,
    queue: Arc<Queue>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Held by a pass that rewrites responses (erasing, re-coding), so
    /// that two never interleave their reads and writes.
    rewriting: Mutex<()>,
}

/// SQLite's errors as the store's: there is no variant of their own.
trait Db<T> {
    fn db(self) -> Result<T>;
}

impl<T> Db<T> for rusqlite::Result<T> {
    fn db(self) -> Result<T> {
        self.map_err(|e| Error::Io(std::io::Error::other(e)))
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Corrupt(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(v: &[u8]) -> Result<T> {
    serde_json::from_slice(v).map_err(|e| Error::Corrupt(e.to_string()))
}

fn id_of(bytes: &[u8]) -> Result<ResponseId> {
    ResponseId::from_bytes(bytes).ok_or_else(|| Error::Corrupt("response id".into()))
}

/// A limit as SQL takes it.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// A response's stored JSON, with the id and form it is stored under (the
/// JSON holds neither).
fn response_of(form: &str, id: &[u8], json: &[u8]) -> Result<StoredResponse> {
    let mut r: StoredResponse = parse(json)?;
    r.id = Some(id_of(id)?);
    r.form = form.to_owned();
    Ok(r)
}

/// Opens the database file with the settings every connection shares.
fn connect(file: &Path) -> Result<Connection> {
    let conn = Connection::open(file).db()?;
    // Writes share one connection, so none waits for another here; a
    // reader waits only in SQLite's rare moments (a log being reset or
    // recovered), and should wait then rather than fail.
    conn.busy_timeout(std::time::Duration::from_secs(5)).db()?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (or creates) the store in the folder `path`.
    pub fn open(path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path)?;
        let file = path.join(FILE);
        let created = !file.exists();
        let mut conn = connect(&file)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .db()?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Unsupported(format!(
                "SQLite would not use WAL mode here (it chose {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL").db()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db()?;
        match tx
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .db()?
        {
            0 => {
                tx.execute_batch(SCHEMA).db()?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                    .db()?;
            }
            SCHEMA_VERSION => {}
            v => {
                return Err(Error::Corrupt(format!(
                    "{} has schema {v}, this store reads {SCHEMA_VERSION}",
                    file.display()
                )))
            }
        }
        tx.commit().db()?;
        if created {
            // The new file's name is durable only once its folder is synced.
            File::open(path)?.sync_all()?;
        }

        let last = conn
            .query_row(
                "SELECT id FROM responses ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()
            .db()?
            .map(|id| id_of(&id))
            .transpose()?
            .unwrap_or(ResponseId { ms: 0, seq: 0 });

        let mut current = HashMap::new();
        {
            let mut stmt = conn
                .prepare("SELECT id, json FROM forms ORDER BY id, version")
                .db()?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
                })
                .db()?;
            for row in rows {
                let (id, form) = row.db()?;
                // Rows come by version: the last one of a form is current.
                current.insert(id, Arc::new(Published::new(parse(&form)?)));
            }
        }

        let queue = Arc::new(Queue::default());
        queue.last_ms.store(last.ms, Ordering::Release);
        let writer = Arc::new(Mutex::new(Writer { conn, last }));
        let thread = {
            let (queue, writer) = (queue.clone(), writer.clone());
            std::thread::Builder::new()
                .name("sqlite-commit".into())
                .spawn(move || commit_loop(&queue, &writer))?
        };
        Ok(SqliteStore {
            file,
            writer,
            readers: Mutex::new(Vec::new()),
            current: RwLock::new(current),
            queue,
            thread: Some(thread),
            rewriting: Mutex::new(()),
        })
    }

    /// What the commit thread has done since the store opened: how many
    /// submissions shared a commit, and how long the commits took.
    pub fn commit_stats(&self) -> CommitStats {
        self.queue.stats()
    }

    /// Runs `f` on a read connection (a snapshot of committed data per
    /// statement).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = match lock(&self.readers).pop() {
            Some(conn) => conn,
            None => connect(&self.file)?,
        };
        let out = f(&conn);
        let mut pool = lock(&self.readers);
        if pool.len() < READERS {
            pool.push(conn);
        }
        out
    }

    /// Runs `f` in a write transaction between groups; committed (and so
    /// synced) on return.
    fn write<T>(&self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let mut writer = lock(&self.writer);
        let tx = writer
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .db()?;
        let out = f(&tx)?;
        tx.commit().db()?;
        Ok(out)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // The commit thread answers what is queued, then stops.
        self.queue.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
