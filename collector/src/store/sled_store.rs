//! The sled store, with one commit thread that makes writes durable in groups.
//!
//! A submission is one `apply_batch` on the `responses` tree (response, its
//! index record, idempotency record, alerts and the `last` and `recorded`
//! markers together, so it is atomic) and then waits for the commit thread.
//! That thread loops: take the newest staged sequence number, `flush()`
//! sled, `sync_data()` sled's data file (sled 0.34's flush ends at
//! `sync_file_range`, which leaves the data in the disk's volatile cache),
//! then wake every request up to that number. All requests that arrive
//! during one flush share the next one.
//!
//! A store written before index records existed (or since by a collector
//! that does not write them) is noted at open; indexes are rebuilt from the
//! JSON until [`SledStore::write_missing_records`] has filled the gap.
//!
//! Readers only see responses up to the durable sequence number, so an
//! export never shows a response that a crash could still take back.

use super::keys::{self, ResponseId};
use super::{Alert, BoxFuture, Error, Published, Result, Store, Submitted};
use crate::model::{now_ms, FormSummary, ManualCode, NewResponse, Role, StoredResponse};
use std::collections::{BTreeMap, HashMap};
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
    forms_tree: sled::Tree,
    responses: sled::Tree,
    tokens: sled::Tree,
    codes: sled::Tree,
    /// Current version of every form, ready to serve.
    current: RwLock<HashMap<String, Arc<Published>>>,
    /// Serialises id allocation and the batch write, so keys are inserted
    /// in order and an idempotency check cannot race its own insert.
    writer: Mutex<ResponseId>,
    commit: Arc<Commit>,
    data_file: Arc<File>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Whether every response has its index record.
    records_complete: Arc<AtomicBool>,
    /// The thread writing missing index records, if any are missing.
    backfill: Option<std::thread::JoinHandle<()>>,
}

/// Shared state between writers and the commit thread.
struct Commit {
    /// Highest sequence number written to sled (maybe not yet durable).
    staged: AtomicU64,
    /// Set when the store closes.
    closing: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    /// Held while flushing, so two flushes never run at once.
    flushing: Mutex<()>,
    /// Highest durable sequence number; `Err` once a commit failed.
    durable: watch::Sender<Result<u64, ()>>,
}

impl SledStore {
    /// Opens (or creates) the store in `path`.
    pub fn open(path: &Path) -> Result<Self> {
        std::fs::create_dir_all(path)?;
        let db = sled::Config::new().path(path).open()?;
        let meta = db.open_tree("meta")?;
        match meta.get(keys::SCHEMA)? {
            None => {
                meta.insert(keys::SCHEMA, &keys::SCHEMA_VERSION.to_be_bytes())?;
            }
            Some(v) if v.as_ref() == keys::SCHEMA_VERSION.to_be_bytes() => {}
            Some(v) => {
                return Err(Error::Corrupt(format!(
                    "data folder has schema {:?}, this collector reads {}",
                    v.as_ref(),
                    keys::SCHEMA_VERSION
                )))
            }
        }
        let forms_tree = db.open_tree("forms")?;
        let responses = db.open_tree("responses")?;
        let tokens = db.open_tree("tokens")?;
        let codes = db.open_tree("codes")?;

        let last = match responses.get(keys::LAST)? {
            Some(v) => {
                ResponseId::from_bytes(&v).ok_or_else(|| Error::Corrupt("last marker".into()))?
            }
            None => ResponseId { ms: 0, seq: 0 },
        };

        let mut current = HashMap::new();
        for item in forms_tree.iter() {
            let (k, v) = item?;
            let (id, _) = keys::parse_form(&k).ok_or_else(|| Error::Corrupt("form key".into()))?;
            let form: Form =
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
            // Keys sort by version, so the last one seen is the current one.
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
        let (tx, _) = watch::channel(Ok(last.seq));
        let commit = Arc::new(Commit {
            staged: AtomicU64::new(last.seq),
            closing: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            flushing: Mutex::new(()),
            durable: tx,
        });
        let thread = {
            let commit = commit.clone();
            let db = db.clone();
            let data_file = data_file.clone();
            let durable_at_open = last.seq;
            std::thread::Builder::new()
                .name("sled-commit".into())
                .spawn(move || commit_loop(&commit, &db, &data_file, durable_at_open))?
        };
        Ok(SledStore {
            db,
            forms_tree,
            responses,
            tokens,
            codes,
            current: RwLock::new(current),
            writer: Mutex::new(last),
            commit,
            data_file,
            thread: Some(thread),
            records_complete,
            backfill: None,
        })
    }

    /// Opens and closes the folder once, with no store running on it, so
    /// that sled records where its log stands (sled 0.34 writes that
    /// snapshot only while opening). After a bulk load, the next start
    /// then reads the snapshot instead of replaying the whole load from
    /// the log: about 3 s for a million responses here. Returns how long
    /// that replay took.
    pub fn refresh_snapshot(path: &Path) -> Result<std::time::Duration> {
        let started = std::time::Instant::now();
        let db = sled::Config::new().path(path).open()?;
        drop(db);
        Ok(started.elapsed())
    }

    /// Flushes and syncs outside the group-commit path (rare writes).
    fn sync_now(&self) -> Result<()> {
        let _one_at_a_time = self
            .commit
            .flushing
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.db.flush()?;
        self.data_file.sync_data()?;
        Ok(())
    }

    /// Loads historic responses in bulk (demo data, migrations), with the
    /// server stopped or at least not the only writer on a hot path.
    ///
    /// Writes the same keys as [`Store::submit`] (the response, its index
    /// record, an idempotency record under a generated submission id, the
    /// `last` and `recorded` markers) in large batches and makes them durable with one flush and
    /// sync at the end, instead of one group commit per response. Each
    /// response keeps its `received_ms`; ids take their `ms` from it and
    /// continue the writer's sequence. Pass responses oldest first: a
    /// response older than the one before it is given that one's time, so
    /// ids stay in arrival order. No alerts are raised for historic rows.
    /// Returns how many responses were stored.
    pub fn import(
        &self,
        form: &Form,
        responses: impl IntoIterator<Item = StoredResponse>,
        encode: EncodeRecords,
    ) -> Result<usize> {
        const BATCH: usize = 10_000;
        if self.durable_seq().is_err() {
            return Err(Error::Unavailable);
        }
        let mut last = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut floor = 0u64;
        let mut seq = last.seq;
        let mut newest = *last;
        let mut count = 0usize;
        let mut batch = sled::Batch::default();
        let mut in_batch = 0usize;
        let encode = encode(std::slice::from_ref(form));
        for mut r in responses {
            seq += 1;
            let id = ResponseId {
                ms: r.received_ms.max(floor),
                seq,
            };
            floor = id.ms;
            r.received_ms = id.ms;
            let value = serde_json::to_vec(&r).map_err(|e| Error::Corrupt(e.to_string()))?;
            batch.insert(keys::response(&form.id, id), value);
            batch.insert(keys::record(&form.id, id), encode(&form.id, &r));
            batch.insert(
                keys::idempotency(&form.id, &import_submission_id(id)),
                &id.to_bytes(),
            );
            newest = ResponseId {
                ms: newest.ms.max(id.ms),
                seq,
            };
            count += 1;
            in_batch += 1;
            if in_batch == BATCH {
                batch.insert(keys::LAST, &newest.to_bytes());
                batch.insert(keys::RECORDED, &newest.to_bytes());
                self.responses.apply_batch(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        if in_batch > 0 {
            batch.insert(keys::LAST, &newest.to_bytes());
            batch.insert(keys::RECORDED, &newest.to_bytes());
            self.responses.apply_batch(batch)?;
        }
        if count == 0 {
            return Ok(0);
        }
        *last = newest;
        self.commit.staged.store(seq, Ordering::Release);
        self.sync_now()?;
        // Everything up to `seq` is on disk now: let readers see it without
        // waiting for the commit thread (which may still be flushing an
        // older target, and will catch up on its next round).
        self.commit.durable.send_modify(|d| {
            if let Ok(d) = d {
                *d = (*d).max(seq);
            }
        });
        {
            let _g = self.commit.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.commit.wake.notify_one();
        }
        Ok(count)
    }

    /// Starts writing, on a background thread, the index records missing at
    /// open (if any, and if not started already). Call it once indexes are
    /// rebuilt: until it is done they are rebuilt from the JSON, and it
    /// would only slow that down.
    pub fn write_missing_records(&mut self, encode: EncodeRecords) -> Result<()> {
        if self.backfill.is_some() || self.records_complete.load(Ordering::Acquire) {
            return Ok(());
        }
        let (commit, db, forms, responses, data_file, complete) = (
            self.commit.clone(),
            self.db.clone(),
            self.forms_tree.clone(),
            self.responses.clone(),
            self.data_file.clone(),
            self.records_complete.clone(),
        );
        let thread = std::thread::Builder::new()
            .name("sled-records".into())
            .spawn(
                move || match backfill_records(&commit, &db, &forms, &responses, &data_file, encode) {
                    Ok(Some(written)) => {
                        complete.store(true, Ordering::Release);
                        tracing::info!(
                            records = written,
                            "index records written for responses stored without them"
                        );
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "writing index records failed; indexes are rebuilt from JSON");
                    }
                },
            )?;
        self.backfill = Some(thread);
        Ok(())
    }

    /// Waits until the index records missing at open have been written (or
    /// writing them stopped); whether every response now has one.
    pub fn wait_for_records(&mut self) -> bool {
        if let Some(t) = self.backfill.take() {
            let _ = t.join();
        }
        self.records_complete.load(Ordering::Acquire)
    }

    fn durable_seq(&self) -> Result<u64> {
        (*self.commit.durable.borrow()).map_err(|()| Error::Unavailable)
    }
}

/// The group-commit thread: flushes and syncs whatever was staged since
/// the last round, then tells every waiting writer.
///
/// `durable` starts at what was on disk when the store opened, not at
/// `staged` when the thread first runs: a write may be staged before this
/// thread is first scheduled, and it must still be flushed and announced
/// (otherwise its writer waits for an acknowledgement that never comes).
fn commit_loop(commit: &Commit, db: &sled::Db, data_file: &File, mut durable: u64) {
    loop {
        let target = {
            let mut guard = commit.lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                let staged = commit.staged.load(Ordering::Acquire);
                if staged > durable {
                    break staged;
                }
                if commit.closing.load(Ordering::Acquire) {
                    return;
                }
                guard = commit.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
            }
        };
        // Everything staged up to `target` was applied to sled before
        // `staged` was raised, so this flush covers it.
        let result = {
            let _one_at_a_time = commit.flushing.lock().unwrap_or_else(|e| e.into_inner());
            db.flush()
                .map_err(std::io::Error::other)
                .and_then(|_| data_file.sync_data())
        };
        match result {
            Ok(()) => {
                durable = target;
                let _ = commit.durable.send_replace(Ok(durable));
            }
            Err(e) => {
                tracing::error!(error = %e, "commit failed; refusing further writes");
                let _ = commit.durable.send_replace(Err(()));
                return;
            }
        }
    }
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

/// Writes the index record of every stored response that has none, makes
/// them durable, then clears the `unrecorded` marker; returns how many were
/// written, or `None` if the store closed first (the marker stays, and the
/// next open starts again).
fn backfill_records(
    commit: &Commit,
    db: &sled::Db,
    forms_tree: &sled::Tree,
    responses: &sled::Tree,
    data_file: &File,
    encode: EncodeRecords,
) -> Result<Option<usize>> {
    const BATCH: usize = 1_000;
    let sync = || -> Result<()> {
        let _one_at_a_time = commit.flushing.lock().unwrap_or_else(|e| e.into_inner());
        db.flush()?;
        data_file.sync_data()?;
        Ok(())
    };
    let mut forms = Vec::new();
    for item in forms_tree.iter() {
        let (_, v) = item?;
        forms.push(serde_json::from_slice::<Form>(&v).map_err(|e| Error::Corrupt(e.to_string()))?);
    }
    let encode = encode(&forms);
    let mut batch = sled::Batch::default();
    let (mut written, mut in_batch) = (0, 0);
    // Responses stored after the open have records already; new keys the
    // walk may meet are skipped like any other that has one.
    for item in responses.scan_prefix(keys::RESPONSES) {
        if commit.closing.load(Ordering::Acquire) {
            return Ok(None);
        }
        let (k, v) = item?;
        let key = keys::record_of(&k);
        if responses.contains_key(&key)? {
            continue;
        }
        let r: StoredResponse =
            serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
        let form = keys::response_form(&k).unwrap_or_default();
        batch.insert(key, encode(form, &r));
        written += 1;
        in_batch += 1;
        if in_batch == BATCH {
            responses.apply_batch(std::mem::take(&mut batch))?;
            in_batch = 0;
        }
    }
    responses.apply_batch(batch)?;
    sync()?;
    responses.remove(keys::UNRECORDED)?;
    sync()?;
    Ok(Some(written))
}

/// A version-4-shaped UUID for an imported response, derived from its id
/// so that importing never collides with a client's submission id space in
/// practice and the same import gives the same records.
fn import_submission_id(id: ResponseId) -> String {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let a = mix(id.seq ^ 0x696d_706f_7274_0000);
    let b = mix(id.ms.rotate_left(17) ^ a);
    let h = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Two forms are the same content if they differ at most in version.
fn same_content(a: &Form, b: &Form) -> bool {
    let mut b = b.clone();
    b.version = a.version;
    *a == b
}

impl Store for SledStore {
    fn publish(&self, mut form: Form) -> Result<Arc<Published>> {
        if let Err(problems) = survey::check_form(&form) {
            return Err(Error::InvalidForm(problems));
        }
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if let Some(cur) = current.get(&form.id) {
            if same_content(&cur.form, &form) {
                return Ok(cur.clone());
            }
            form.version = cur.form.version + 1;
        }
        let json = serde_json::to_vec(&form).map_err(|e| Error::Corrupt(e.to_string()))?;
        self.forms_tree
            .insert(keys::form(&form.id, form.version), json)?;
        self.sync_now()?;
        let published = Arc::new(Published::new(form));
        current.insert(published.form.id.clone(), published.clone());
        Ok(published)
    }

    fn form(&self, id: &str) -> Option<Arc<Published>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    fn form_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    fn forms(&self) -> Result<Vec<FormSummary>> {
        let current = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let durable = self.durable_seq()?;
        let mut out: Vec<FormSummary> = current
            .values()
            .map(|p| {
                let responses = self
                    .responses
                    .scan_prefix(keys::response_prefix(&p.form.id))
                    .keys()
                    .filter_map(|k| k.ok().and_then(|k| keys::response_id(&k)))
                    .filter(|id| id.seq <= durable)
                    .count() as u64;
                FormSummary {
                    id: p.form.id.clone(),
                    version: p.form.version,
                    title: p
                        .form
                        .title
                        .get(&p.form.default_lang, &p.form.default_lang)
                        .to_owned(),
                    responses,
                }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    fn submit<'a>(
        &'a self,
        response: &'a NewResponse,
        record: Vec<u8>,
        submission_id: &'a str,
        alerts: Vec<String>,
    ) -> BoxFuture<'a, Result<Submitted>> {
        Box::pin(async move {
            let mut rx = self.commit.durable.subscribe();
            if rx.borrow().is_err() {
                return Err(Error::Unavailable);
            }
            let form = &response.form;
            let idem_key = keys::idempotency(form, submission_id);
            let outcome = {
                let mut last = self.writer.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(existing) = self.responses.get(&idem_key)? {
                    let id = ResponseId::from_bytes(&existing)
                        .ok_or_else(|| Error::Corrupt("idempotency record".into()))?;
                    Submitted { id, created: false }
                } else {
                    let id = ResponseId {
                        ms: now_ms().max(last.ms),
                        seq: last.seq + 1,
                    };
                    let value = response
                        .stored_json(id.ms)
                        .map_err(|e| Error::Corrupt(e.to_string()))?;
                    let mut batch = sled::Batch::default();
                    batch.insert(keys::response(form, id), value);
                    batch.insert(keys::record(form, id), record);
                    batch.insert(idem_key, &id.to_bytes());
                    batch.insert(keys::LAST, &id.to_bytes());
                    batch.insert(keys::RECORDED, &id.to_bytes());
                    for rule in alerts {
                        let alert = Alert {
                            form: form.clone(),
                            response: id.to_string(),
                            raised_ms: id.ms,
                            rule,
                        };
                        let v = serde_json::to_vec(&alert)
                            .map_err(|e| Error::Corrupt(e.to_string()))?;
                        batch.insert(keys::outbox(id.seq, &alert.rule), v);
                    }
                    self.responses.apply_batch(batch)?;
                    *last = id;
                    self.commit.staged.store(id.seq, Ordering::Release);
                    Submitted { id, created: true }
                }
            };
            {
                let _g = self.commit.lock.lock().unwrap_or_else(|e| e.into_inner());
                self.commit.wake.notify_one();
            }
            let seq = outcome.id.seq;
            let state = rx
                .wait_for(|d| d.map_or(true, |d| d >= seq))
                .await
                .map_err(|_| Error::Unavailable)?;
            match *state {
                Ok(_) => Ok(outcome),
                Err(()) => Err(Error::Unavailable),
            }
        })
    }

    fn responses(
        &self,
        form: &str,
        after: Option<ResponseId>,
        limit: usize,
    ) -> Result<Vec<StoredResponse>> {
        let durable = self.durable_seq()?;
        let prefix = keys::response_prefix(form);
        let start = match after {
            // The next key after `after`: append a byte.
            Some(id) => {
                let mut k = keys::response(form, id);
                k.push(0);
                k
            }
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for item in self.responses.range(start..) {
            let (k, v) = item?;
            if !k.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("response key".into()))?;
            if id.seq > durable {
                continue;
            }
            let mut r: StoredResponse =
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
            r.id = Some(id);
            r.form = form.to_owned();
            out.push(r);
        }
        Ok(out)
    }

    fn add_token(&self, hash: [u8; 32], role: Role) -> Result<()> {
        let v = serde_json::to_vec(&role).map_err(|e| Error::Corrupt(e.to_string()))?;
        self.tokens.insert(hash, v)?;
        self.sync_now()
    }

    fn token_role(&self, hash: &[u8; 32]) -> Result<Option<Role>> {
        match self.tokens.get(hash)? {
            Some(v) => Ok(Some(
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?,
            )),
            None => Ok(None),
        }
    }

    fn pending_alerts(&self, limit: usize) -> Result<Vec<Alert>> {
        let durable = self.durable_seq()?;
        let mut out = Vec::new();
        for item in self.responses.scan_prefix(b"o\0").take(limit) {
            let (k, v) = item?;
            let seq = k
                .get(2..10)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .unwrap_or(u64::MAX);
            if seq > durable {
                break;
            }
            out.push(serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?);
        }
        Ok(out)
    }

    fn response(&self, form: &str, id: ResponseId) -> Result<Option<StoredResponse>> {
        if id.seq > self.durable_seq()? {
            return Ok(None);
        }
        match self.responses.get(keys::response(form, id))? {
            Some(v) => {
                let mut r: StoredResponse =
                    serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
                r.id = Some(id);
                r.form = form.to_owned();
                Ok(Some(r))
            }
            None => Ok(None),
        }
    }

    fn set_manual_code(
        &self,
        form: &str,
        id: ResponseId,
        question: &str,
        code: &ManualCode,
    ) -> Result<()> {
        let key = keys::codes(form, id);
        let mut all: BTreeMap<String, ManualCode> = match self.codes.get(&key)? {
            Some(v) => serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?,
            None => BTreeMap::new(),
        };
        all.insert(question.to_owned(), code.clone());
        let v = serde_json::to_vec(&all).map_err(|e| Error::Corrupt(e.to_string()))?;
        self.codes.insert(key, v)?;
        self.sync_now()
    }

    fn scan_raw(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        let durable = self.durable_seq()?;
        for item in self.responses.scan_prefix(keys::response_prefix(form)) {
            let (k, v) = item?;
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("response key".into()))?;
            if id.seq <= durable {
                f(id, &v);
            }
        }
        Ok(())
    }

    fn records_complete(&self) -> bool {
        self.records_complete.load(Ordering::Acquire)
    }

    fn form_versions(&self, id: &str) -> Result<Vec<Form>> {
        let mut out = Vec::new();
        for item in self.forms_tree.scan_prefix(keys::form_prefix(id)) {
            let (_, v) = item?;
            out.push(serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?);
        }
        Ok(out)
    }

    fn scan_records(&self, form: &str, f: &mut dyn FnMut(ResponseId, &[u8])) -> Result<()> {
        let durable = self.durable_seq()?;
        for item in self.responses.scan_prefix(keys::record_prefix(form)) {
            let (k, v) = item?;
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("record key".into()))?;
            if id.seq <= durable {
                f(id, &v);
            }
        }
        Ok(())
    }

    fn manual_codes(&self, form: &str) -> Result<Vec<(ResponseId, BTreeMap<String, ManualCode>)>> {
        let mut out = Vec::new();
        for item in self.codes.scan_prefix(keys::codes_prefix(form)) {
            let (k, v) = item?;
            let id = keys::response_id(&k).ok_or_else(|| Error::Corrupt("codes key".into()))?;
            out.push((
                id,
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?,
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write staged before the commit thread first runs is still flushed
    /// and announced: the thread starts from what was durable at open.
    #[test]
    fn a_write_staged_before_the_commit_thread_starts_is_announced() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::Config::new().path(dir.path()).open().unwrap();
        let data_file = File::open(dir.path().join("db")).unwrap();
        let (tx, mut rx) = watch::channel(Ok(0));
        let commit = Commit {
            // Staged by a writer while the thread was not yet running.
            staged: AtomicU64::new(1),
            closing: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            flushing: Mutex::new(()),
            durable: tx,
        };
        let announced = std::thread::scope(|scope| {
            scope.spawn(|| commit_loop(&commit, &db, &data_file, 0));
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let mut announced = false;
            while !announced && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
                announced = *rx.borrow_and_update() == Ok(1);
            }
            let _g = commit.lock.lock().unwrap();
            commit.closing.store(true, Ordering::Release);
            commit.wake.notify_all();
            announced
        });
        assert!(announced, "the staged write was never announced");
    }
}
