//! The sled store, with one commit thread that makes writes durable in groups.
//!
//! A submission is made ready by its writer (stored JSON, index record,
//! personal answers) and queued for the commit thread. That thread loops:
//! take everything queued, give each its id and write them all as one
//! `apply_batch` on the `responses` tree (each response with its index
//! record, idempotency record, alert and the `last` and `recorded`
//! markers, so the group is atomic), `flush()` sled, `sync_data()` sled's
//! data file (sled 0.34's flush ends at `sync_file_range`, which leaves
//! the data in the disk's volatile cache), then answer every submission
//! in the group. All submissions that arrive during one round share the
//! next one.
//!
//! A store written before index records existed (or since by a collector
//! that does not write them) is noted at open; indexes are rebuilt from the
//! JSON until [`SledStore::write_missing_records`] has filled the gap.
//!
//! Readers only see responses up to the durable sequence number, so an
//! export never shows a response that a crash could still take back.
//!
//! ```text
//! backup.rs    consistent copies while serving, and restore
//! mod.rs       open, close, the writer lock and durable sequence
//! commit.rs    the group-commit thread
//! bulk.rs      bulk import, and the pass that writes missing index records
//!              and rewrites JSON responses as record and rest
//! value.rs     reading a response from its record and rest (or its JSON)
//! snapshot.rs  refreshing sled's snapshot after a bulk load
//! store.rs     the Store trait over the trees
//! counts.rs    the funnel's counts, added a batch at a time
//! ```

mod backup;
mod bulk;
mod commit;
mod counts;
mod erase;
mod snapshot;
mod store;
mod value;

use super::keys::{self, ResponseId};
use super::{Error, Published, Result};
use crate::model::StoredResponse;
pub use backup::{restore, Restored};
use commit::{commit_loop, Commit, Writes};
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use survey::Form;
use tokio::sync::watch;

/// How the store writes index records it was not handed (bulk imports,
/// and responses stored before records existed): given every form version
/// it holds, a function from a response's form id and the response to its
/// record. The answer index owns the format
/// ([`crate::index::record::encoder`]).
pub type EncodeRecords = for<'f> fn(&'f [Form]) -> EncodeRecord<'f>;

/// The index record of a response (to the form named) for
/// [`EncodeRecords`].
pub type EncodeRecord<'f> = Box<dyn Fn(&str, &StoredResponse) -> Vec<u8> + 'f>;

/// sled, opened in a data folder.
pub struct SledStore {
    db: sled::Db,
    /// The data folder.
    path: std::path::PathBuf,
    forms_tree: sled::Tree,
    responses: sled::Tree,
    tokens: sled::Tree,
    codes: sled::Tree,
    /// Small records by kind: hooks, deliveries, invitations, cases.
    docs: sled::Tree,
    /// The funnel's counts.
    counts: sled::Tree,
    /// Serialises adding to the counts (a read, then a batch).
    counts_writer: Mutex<()>,
    /// Current version of every form, ready to serve.
    current: RwLock<HashMap<String, Arc<Published>>>,
    /// Every version of every form, oldest first: what records are read with.
    versions: RwLock<HashMap<String, Vec<Arc<Form>>>>,
    /// Whether some response may still be kept as JSON (the compaction
    /// pass is due).
    uncompacted: Arc<AtomicBool>,
    /// Held by whatever rewrites stored responses (erasing free text, the
    /// compaction pass), so two rewrites never cross.
    rewriting: Arc<Mutex<()>>,
    /// Serialises id allocation and the batch write, so keys are inserted
    /// in order and an idempotency check cannot race its own insert.
    writer: Arc<Mutex<ResponseId>>,
    commit: Arc<Commit>,
    data_file: Arc<File>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Whether every response has its index record.
    records_complete: Arc<AtomicBool>,
    /// The thread writing missing index records, if any are missing.
    backfill: Option<std::thread::JoinHandle<()>>,
}

/// Opens sled in `path`. sled locks its file while a database is open; a
/// store closed a moment ago in this process may still have sled's
/// background jobs finishing (they hold the database until they end), so
/// a lock held elsewhere is tried again for up to 3 s before it is
/// reported as a collector still running.
///
/// Nothing is written to the files but by an explicit flush, or when one
/// of sled's buffers fills.
pub(super) fn open_db(path: &Path) -> Result<sled::Db> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        // No flusher thread of sled's own: it wrote to the files whenever
        // it liked, a backup's copy included. The commit thread flushes
        // in its place, under the lock a backup holds (`commit.rs`).
        match sled::Config::new().path(path).flush_every_ms(None).open() {
            Err(sled::Error::Io(io)) if io.to_string().contains("could not acquire lock") => {
                if std::time::Instant::now() >= deadline {
                    return Err(Error::InUse(path.to_path_buf()));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return Ok(r?),
        }
    }
}

impl SledStore {
    /// Opens (or creates) the store in `path`.
    pub fn open(path: &Path) -> Result<Self> {
        backup::finish_swap(path)?;
        std::fs::create_dir_all(path)?;
        let db = open_db(path)?;
        let meta = db.open_tree("meta")?;
        let json_era = match meta.get(keys::SCHEMA)? {
            None => false,
            Some(v) if v.as_ref() == keys::SCHEMA_VERSION.to_be_bytes() => false,
            Some(v) if v.as_ref() == keys::SCHEMA_JSON.to_be_bytes() => true,
            Some(v) => {
                return Err(Error::Corrupt(format!(
                    "data folder has schema {:?}, this collector reads {}",
                    v.as_ref(),
                    keys::SCHEMA_VERSION
                )))
            }
        };
        let forms_tree = db.open_tree("forms")?;
        let responses = db.open_tree("responses")?;
        let tokens = db.open_tree("tokens")?;
        let codes = db.open_tree("codes")?;
        let docs = db.open_tree("docs")?;
        let counts = db.open_tree("counts")?;
        migrate_outbox(&responses)?;
        if json_era {
            // The pass that rewrites JSON responses is noted before the
            // schema says 2, so it is never forgotten; from now on only
            // this layout's collectors open the folder.
            responses.insert(keys::UNCOMPACTED, &[])?;
            db.flush()?;
        }
        meta.insert(keys::SCHEMA, &keys::SCHEMA_VERSION.to_be_bytes())?;

        let last = match responses.get(keys::LAST)? {
            Some(v) => {
                ResponseId::from_bytes(&v).ok_or_else(|| Error::Corrupt("last marker".into()))?
            }
            None => ResponseId { ms: 0, seq: 0 },
        };

        let mut current = HashMap::new();
        let mut versions: HashMap<String, Vec<Arc<Form>>> = HashMap::new();
        for item in forms_tree.iter() {
            let (k, v) = item?;
            let (id, _) = keys::parse_form(&k).ok_or_else(|| Error::Corrupt("form key".into()))?;
            let form: Form =
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
            // Keys sort by version, so the last one seen is the current one.
            versions
                .entry(id.clone())
                .or_default()
                .push(Arc::new(form.clone()));
            current.insert(id, Arc::new(Published::new(form)));
        }

        let data_file = Arc::new(File::open(path.join("db"))?);
        // Responses without an index record (stored before records existed,
        // or since by a collector that does not write them) are noted
        // durably before anything new is written; until their records are
        // written (`write_missing_records`), indexes are rebuilt from JSON.
        let recorded = responses.get(keys::RECORDED)?;
        if last.seq > 0 && recorded.as_deref() != Some(&last.to_bytes()[..]) {
            let mut batch = sled::Batch::default();
            batch.insert(keys::UNRECORDED, &last.to_bytes());
            batch.insert(keys::RECORDED, &last.to_bytes());
            responses.apply_batch(batch)?;
            db.flush()?;
            data_file.sync_data()?;
        }
        let records_complete =
            Arc::new(AtomicBool::new(responses.get(keys::UNRECORDED)?.is_none()));
        let uncompacted = Arc::new(AtomicBool::new(responses.contains_key(keys::UNCOMPACTED)?));
        let (tx, _) = watch::channel(Ok(last.seq));
        let commit = Arc::new(Commit {
            staged: AtomicU64::new(last.seq),
            last_ms: AtomicU64::new(last.ms),
            closing: AtomicBool::new(false),
            lock: Mutex::new(Vec::new()),
            wake: Condvar::new(),
            flushing: Mutex::new(()),
            durable: tx,
            groups: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        });
        let writer = Arc::new(Mutex::new(last));
        let thread = {
            let commit = commit.clone();
            let writes = Writes {
                responses: responses.clone(),
                writer: writer.clone(),
            };
            let db = db.clone();
            let data_file = data_file.clone();
            let durable_at_open = last.seq;
            std::thread::Builder::new()
                .name("sled-commit".into())
                .spawn(move || commit_loop(&commit, &db, &data_file, &writes, durable_at_open))?
        };
        Ok(SledStore {
            db,
            path: path.to_path_buf(),
            forms_tree,
            responses,
            tokens,
            codes,
            docs,
            counts,
            counts_writer: Mutex::new(()),
            current: RwLock::new(current),
            versions: RwLock::new(versions),
            uncompacted,
            rewriting: Arc::new(Mutex::new(())),
            writer,
            commit,
            data_file,
            thread: Some(thread),
            records_complete,
            backfill: None,
        })
    }

    /// Flushes and syncs outside the group-commit path (rare writes).
    fn sync_now(&self) -> Result<()> {
        sync_outside(&self.commit, &self.db, &self.data_file)
    }

    fn durable_seq(&self) -> Result<u64> {
        (*self.commit.durable.borrow()).map_err(|()| Error::Unavailable)
    }
}

/// Flushes sled and syncs its data file outside the group-commit path
/// (rare writes, background passes), never during another flush.
fn sync_outside(commit: &Commit, db: &sled::Db, data_file: &File) -> Result<()> {
    let _one_at_a_time = commit.flushing.lock().unwrap_or_else(|e| e.into_inner());
    db.flush()?;
    data_file.sync_data()?;
    Ok(())
}

/// Rewrites the outbox of an older layout (one entry per rule, keyed
/// `o 0 seq rule`, holding the alert) as one alert per response in the
/// alert log with its outbox pointer. Nothing to do on a current store.
fn migrate_outbox(responses: &sled::Tree) -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Old {
        form: String,
        rule: String,
        response: String,
        raised_ms: u64,
    }
    let mut alerts: std::collections::BTreeMap<u64, crate::model::Alert> = Default::default();
    let mut batch = sled::Batch::default();
    for item in responses.scan_prefix(keys::OUTBOX) {
        let (k, v) = item?;
        if keys::alert_seq(&k).is_some() {
            continue;
        }
        let seq = k
            .get(2..10)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| Error::Corrupt("outbox key".into()))?;
        let old: Old = serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
        alerts
            .entry(seq)
            .or_insert_with(|| crate::model::Alert {
                seq,
                form: old.form,
                response: old.response,
                rules: Vec::new(),
                raised_ms: old.raised_ms,
                team: None,
                location: None,
            })
            .rules
            .push(old.rule);
        batch.remove(k);
    }
    if alerts.is_empty() {
        return Ok(());
    }
    for (seq, alert) in alerts {
        let v = serde_json::to_vec(&alert).map_err(|e| Error::Corrupt(e.to_string()))?;
        batch.insert(keys::alert(seq), v);
        batch.insert(keys::outbox(seq), &[]);
    }
    responses.apply_batch(batch)?;
    Ok(())
}

impl Drop for SledStore {
    fn drop(&mut self) {
        {
            let _g = self.commit.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.commit.closing.store(true, Ordering::Release);
            self.commit.wake.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(t) = self.backfill.take() {
            let _ = t.join();
        }
        if let Err(e) = self.db.flush() {
            tracing::error!(error = %e, "final flush failed");
        }
    }
}
