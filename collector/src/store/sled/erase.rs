//! Rewriting stored responses in place: erasing free text past a form's
//! retention period, and re-coding answers after a theme model changes.
//! Responses (and flagged ones) in a key range are read, changed, and
//! those changed written back in small batches, then flushed and synced
//! once.
//!
//! ```text
//! r|q 0 form 0 [0, before_ms) ─► StoredResponse::erase_text (by version) ─┐
//! r|q 0 form 0 [from, end)    ─► re-code (service::learning) ─┴─► rest (and record) or JSON ─► batches of 500 ─► flush + sync
//! ```
//!
//! sled is log-structured: a rewritten value goes to a new place in its
//! log, and the old bytes stay in their segment until sled reuses that
//! segment. See [`SledStore::compact_into`] for what really removes them.

use super::SledStore;
use crate::model::{record, stored, ResponseId, StoredResponse};
use crate::store::keys;
use crate::store::{erase_expired, latest_expiry, Error, Expiries, Result};
use std::path::Path;

/// A run of responses read for [`SledStore::rewrite`]: see
/// [`SledStore::read_run`].
type Run = (Vec<sled::IVec>, Vec<bool>, Vec<StoredResponse>);

/// Responses rewritten per batch: small, so a submission waiting on the
/// tree is never held up long.
const BATCH: usize = 500;

impl SledStore {
    /// See [`Store::erase_text`](crate::store::Store::erase_text).
    pub(super) fn erase_text_before(&self, form: &str, expiries: &Expiries) -> Result<usize> {
        if expiries.values().all(|e| e.questions.is_empty()) {
            if self.durable_seq().is_err() {
                return Err(Error::Unavailable);
            }
            return Ok(0);
        }
        let end = ResponseId {
            ms: latest_expiry(expiries),
            seq: 0,
        };
        self.rewrite(
            form,
            [
                (keys::response_prefix(form), keys::response(form, end)),
                (keys::flagged_prefix(form), keys::flagged(form, end)),
            ],
            &mut |run| Some(run.iter_mut().map(|r| erase_expired(expiries, r)).collect()),
        )
    }

    /// See [`Store::recode`](crate::store::Store::recode).
    pub(super) fn recode_from(
        &self,
        form: &str,
        from: Option<ResponseId>,
        f: &mut dyn FnMut(&mut [StoredResponse]) -> Option<Vec<bool>>,
    ) -> Result<usize> {
        let range = |prefix: Vec<u8>, key: fn(&str, ResponseId) -> Vec<u8>| {
            let start = from.map_or_else(|| prefix.clone(), |id| key(form, id));
            let mut stop = prefix;
            // Just past every key with the prefix: the prefix ends in a
            // separator byte below 0xff.
            if let Some(last) = stop.last_mut() {
                *last += 1;
            }
            (start, stop)
        };
        self.rewrite(
            form,
            [
                range(keys::response_prefix(form), keys::response),
                range(keys::flagged_prefix(form), keys::flagged),
            ],
            &mut |run| Some(f(run)?.into_iter().map(usize::from).collect()),
        )
    }

    /// Reads the responses (and flagged ones) of `form` in each key range
    /// that are stored when it begins, [`BATCH`] at a time, lets `f` change each run (it returns how many
    /// of each response's answers changed, or `None` to stop before that
    /// run is written), writes back those it changed as one batch, then
    /// syncs once. Returns the sum of `f`'s counts.
    fn rewrite(
        &self,
        form: &str,
        ranges: [(Vec<u8>, Vec<u8>); 2],
        f: &mut dyn FnMut(&mut [StoredResponse]) -> Option<Vec<usize>>,
    ) -> Result<usize> {
        if self.durable_seq().is_err() {
            return Err(Error::Unavailable);
        }
        let _rewriting = self.rewriting.lock().unwrap_or_else(|e| e.into_inner());
        let versions = self.versions(form);
        let names = versions.names();
        // Only the responses stored when the pass begins: one stored while
        // it runs was coded as it came, and may answer a version published
        // since, which `names` does not know. Ids only grow (the commit
        // thread gives them in order; imports take the lock too), so each
        // range's last key now bounds it.
        let mut bounded = Vec::with_capacity(ranges.len());
        for (start, stop) in ranges {
            if let Some((last, _)) = self
                .responses
                .range(start.clone()..stop)
                .next_back()
                .transpose()?
            {
                bounded.push((start, last.to_vec()));
            }
        }
        let mut changed = 0;
        let mut written = false;
        for (start, last) in bounded {
            let stopped = std::thread::scope(|scope| -> Result<bool> {
                // The next run is read and decoded while `f` changes this
                // one.
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let names = &names;
                scope.spawn(move || {
                    let mut items = self.responses.range(start..=last);
                    loop {
                        let run = self.read_run(form, names, &mut items);
                        let last = !matches!(run, Ok(Some(_)));
                        // Sent to a pass that stopped: not read on.
                        if tx.send(run).is_err() || last {
                            return;
                        }
                    }
                });
                while let Ok(next) = rx.recv() {
                    let Some((keys, compact, mut run)) = next? else {
                        break;
                    };
                    let Some(counts) = f(&mut run) else {
                        return Ok(true);
                    };
                    let mut batch = sled::Batch::default();
                    let mut any = false;
                    for (((k, is_rest), r), n) in
                        keys.into_iter().zip(compact).zip(&run).zip(counts)
                    {
                        if n == 0 {
                            continue;
                        }
                        changed += n;
                        any = true;
                        let at = names.iter().find(|n| n.version() == r.version);
                        if is_rest {
                            // The record holds the codes (and an uncoded
                            // answer's text): it changes too.
                            batch.insert(keys::record_of(&k), record::encode(r, at));
                            batch.insert(k, stored::rest(r.received_ms, &r.answers, &r.coding));
                        } else {
                            // A response kept as JSON may have a record
                            // too (one that record and rest would not give
                            // back exactly): it follows.
                            let record_key = keys::record_of(&k);
                            if self.responses.contains_key(&record_key)? {
                                batch.insert(record_key, record::encode(r, at));
                            }
                            let value =
                                serde_json::to_vec(r).map_err(|e| Error::Corrupt(e.to_string()))?;
                            batch.insert(k, value);
                        }
                    }
                    if any {
                        self.responses.apply_batch(batch)?;
                        written = true;
                    }
                }
                Ok(false)
            })?;
            if stopped {
                break;
            }
        }
        if written {
            self.sync_now()?;
        }
        Ok(changed)
    }

    /// The next run of at most [`BATCH`] responses from `items` (`None`
    /// when none is left): each one's key, whether it is kept as rest and
    /// record (else as JSON), and the response.
    fn read_run(
        &self,
        form: &str,
        names: &[record::Names<'_>],
        items: &mut sled::Iter,
    ) -> Result<Option<Run>> {
        let (mut keys, mut compact, mut run) = (Vec::new(), Vec::new(), Vec::new());
        for item in items.by_ref().take(BATCH) {
            let (k, v) = item?;
            let is_rest = stored::is_rest(&v);
            run.push(if is_rest {
                let id =
                    keys::response_id(&k).ok_or_else(|| Error::Corrupt("response key".into()))?;
                self.read_value(form, id, &k, &v, names)?
            } else {
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?
            });
            keys.push(k);
            compact.push(is_rest);
        }
        Ok((!run.is_empty()).then_some((keys, compact, run)))
    }

    /// Writes every tree of this store into a new sled database at `path`
    /// (which must not hold one yet), flushed and synced: a copy that holds
    /// only the current values. Overwritten and erased bytes that linger in
    /// this database's older log segments are not carried over, so
    /// replacing the data folder with the copy (server stopped) is what
    /// removes erased text from disk for certain.
    pub fn compact_into(&self, path: &Path) -> Result<()> {
        self.sync_now()?;
        std::fs::create_dir_all(path)?;
        let copy = super::open_db(path)?;
        copy.import(self.db.export());
        copy.flush()?;
        drop(copy);
        // Every file (sled writes `conf` without a sync) and the folders.
        super::backup::sync_tree(path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(())
    }
    /// Compacts the store in `path` (server stopped) in place: writes a
    /// copy with [`SledStore::compact_into`] beside it (`<path>.compacting`),
    /// then swaps it in (the old folder becomes `<path>.old`, then is
    /// removed). Until the swap the original is untouched; if the process
    /// stops between the two renames, `<path>.old` is the complete original
    /// and `<path>.compacting` the complete copy, which the next open puts
    /// in place.
    pub fn compact(path: &Path) -> Result<()> {
        let swap = super::backup::Swap::compacting(path)?;
        let (copy, old) = (swap.new_copy(), swap.original());
        {
            // Opening finishes a compaction that stopped half-way (see
            // `finish_swap`) before its copy is taken for a stale one.
            let store = SledStore::open(path)?;
            if copy.exists() {
                std::fs::remove_dir_all(copy)?;
            }
            store.compact_into(copy)?;
        }
        std::fs::rename(path, old)?;
        std::fs::rename(copy, path)?;
        std::fs::remove_dir_all(old)?;
        Ok(())
    }
}
