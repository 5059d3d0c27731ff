//! Writing many responses at once: the bulk import (demo data,
//! migrations), and the backfill of index records missing at open.
//!
//! ```text
//! import:   rows ─► batches of 10,000 (response, record, idempotency, markers) ─► one flush + sync
//! backfill: responses without a record ─► EncodeRecords ─► batches ─► clear `unrecorded`
//! ```

use super::commit::Commit;
use super::{EncodeRecords, SledStore};
use crate::model::record::Names;
use crate::model::{stored, StoredResponse};
use crate::store::keys::{self, ResponseId};
use crate::store::{Error, Result};
use std::fs::File;
use std::sync::atomic::Ordering;
use survey::Form;

impl SledStore {
    /// Loads historic responses in bulk (demo data, migrations), with the
    /// server stopped or at least not the only writer on a hot path.
    ///
    /// Writes the same keys as [`Store::submit`](crate::store::Store::submit) (the response, its index
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
            // Kept as record and rest, as a submission is.
            let value = stored::rest(r.received_ms, &r.answers, &r.coding);
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

    /// Starts, on a background thread, the pass that writes the index
    /// records missing at open and rewrites responses still kept as JSON
    /// (a folder from before schema 2) as record and rest (if either is
    /// due, and if not started already). Call it once indexes are
    /// rebuilt: until records are complete they are rebuilt from the
    /// JSON, and the pass would only slow that down. Readers read both
    /// layouts meanwhile.
    pub fn write_missing_records(&mut self, encode: EncodeRecords) -> Result<()> {
        if self.backfill.is_some()
            || (self.records_complete.load(Ordering::Acquire)
                && !self.uncompacted.load(Ordering::Acquire))
        {
            return Ok(());
        }
        let pass = Pass {
            commit: self.commit.clone(),
            db: self.db.clone(),
            forms: self.forms_tree.clone(),
            responses: self.responses.clone(),
            data_file: self.data_file.clone(),
            rewriting: self.rewriting.clone(),
        };
        let (complete, uncompacted) = (self.records_complete.clone(), self.uncompacted.clone());
        let thread = std::thread::Builder::new()
            .name("sled-records".into())
            .spawn(move || match pass.run(encode) {
                Ok(Some(done)) => {
                    complete.store(true, Ordering::Release);
                    uncompacted.store(false, Ordering::Release);
                    tracing::info!(
                        records = done.records,
                        compacted = done.compacted,
                        kept_as_json = done.kept,
                        "index records written and JSON responses rewritten as record and rest"
                    );
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(error = %e, "writing index records failed; indexes are rebuilt from JSON");
                }
            })?;
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
}

/// What the background pass works on.
struct Pass {
    commit: std::sync::Arc<Commit>,
    db: sled::Db,
    forms: sled::Tree,
    responses: sled::Tree,
    data_file: std::sync::Arc<File>,
    /// Held while a batch is read and rewritten, so an erasure of free
    /// text never crosses it.
    rewriting: std::sync::Arc<std::sync::Mutex<()>>,
}

/// What the pass did.
struct Done {
    /// Index records written for responses that had none.
    records: usize,
    /// JSON responses rewritten as record and rest.
    compacted: usize,
    /// JSON responses left as JSON: record and rest would not give them
    /// back exactly (an answer naming ids no published version lists).
    kept: usize,
}

impl Pass {
    /// Writes the index record of every stored response that has none and
    /// rewrites every JSON response as record and rest, makes them
    /// durable, then clears the `unrecorded` and `uncompacted` markers;
    /// `None` if the store closed first (the markers stay, and the next
    /// open starts again).
    fn run(&self, encode: EncodeRecords) -> Result<Option<Done>> {
        const BATCH: usize = 1_000;
        let sync = || super::sync_outside(&self.commit, &self.db, &self.data_file);
        let mut forms = Vec::new();
        for item in self.forms.iter() {
            let (_, v) = item?;
            forms.push(
                serde_json::from_slice::<Form>(&v).map_err(|e| Error::Corrupt(e.to_string()))?,
            );
        }
        let encode = encode(&forms);
        let names: Vec<(&str, Names<'_>)> = forms
            .iter()
            .map(|f| (f.id.as_str(), Names::of(f)))
            .collect();
        let mut done = Done {
            records: 0,
            compacted: 0,
            kept: 0,
        };
        // Responses stored after the open are record and rest already; a
        // walk meets them and passes them by. Each batch is read afresh
        // from after the last key, under the lock: a sled iterator keeps
        // the leaf it is in, so one kept across batches would read the
        // rest of that leaf as it was before an erasure or a re-coding
        // pass took the lock in between, and write that back.
        let mut after: Option<sled::IVec> = None;
        loop {
            if self.commit.closing.load(Ordering::Acquire) {
                return Ok(None);
            }
            let _rewriting = self.rewriting.lock().unwrap_or_else(|e| e.into_inner());
            let items = match after.take() {
                None => self.responses.scan_prefix(keys::RESPONSES),
                Some(last) => self
                    .responses
                    .range((std::ops::Bound::Excluded(last), std::ops::Bound::Unbounded)),
            };
            let mut batch = sled::Batch::default();
            let mut seen = 0;
            for item in items {
                let (k, v) = item?;
                if !k.starts_with(keys::RESPONSES) {
                    break;
                }
                after = Some(k.clone());
                seen += 1;
                if stored::is_rest(&v) {
                    if seen == BATCH {
                        break;
                    }
                    continue;
                }
                let r: StoredResponse =
                    serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
                let form = keys::response_form(&k).unwrap_or_default();
                let version = names
                    .iter()
                    .find(|(id, n)| *id == form && n.version() == r.version)
                    .map(|(_, n)| n);
                let key = keys::record_of(&k);
                match version.and_then(|n| stored::split(&r, n)) {
                    Some((record, rest)) => {
                        batch.insert(key, record);
                        batch.insert(k, rest);
                        done.compacted += 1;
                    }
                    None => {
                        if !self.responses.contains_key(&key)? {
                            batch.insert(key, encode(form, &r));
                            done.records += 1;
                        }
                        done.kept += 1;
                    }
                }
                if seen == BATCH {
                    break;
                }
            }
            self.responses.apply_batch(batch)?;
            if seen < BATCH {
                break;
            }
        }
        sync()?;
        let mut markers = sled::Batch::default();
        markers.remove(keys::UNRECORDED);
        markers.remove(keys::UNCOMPACTED);
        self.responses.apply_batch(markers)?;
        sync()?;
        Ok(Some(done))
    }
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
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    // Version 4; the variant digit is always 8 (what stored imports hold).
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x0f) | 0x80;
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Imported rows' idempotency keys are on disk: the ids must not change.
    #[test]
    fn import_submission_ids_are_stable() {
        let id = |ms, seq| import_submission_id(ResponseId { ms, seq });
        assert_eq!(
            id(1_700_000_000_000, 42),
            "b13a7031-4802-4bfe-8513-e66c7a1281bd"
        );
        assert_eq!(id(0, 1), "507d84bd-9958-4007-8582-85fdbb847b29");
        assert_eq!(
            id(1_743_465_599_999, 1_000_000),
            "85dd2b4f-322d-4fa4-8276-5c8f4ce34bc9"
        );
    }
}
