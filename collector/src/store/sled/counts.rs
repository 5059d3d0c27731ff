//! The funnel's counts in their own tree: each flush adds a batch of
//! counts to those stored, in one `apply_batch`, then syncs.
//!
//! ```text
//! add_counts ─► (one writer at a time) read each key's count ─► batch of sums
//!            ─► (not during a backup's copy) apply ─► flush + sync
//! ```

use super::SledStore;
use crate::model::CountKey;
use crate::store::keys;
use crate::store::{Error, Result};
use std::collections::BTreeMap;

impl SledStore {
    /// Adds `counts` to those stored; durable on return.
    pub(super) fn add_counts_now(&self, counts: &[(CountKey, u64)]) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        // The same key twice in one call adds up before it is written.
        let mut sums: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
        for (k, n) in counts {
            let key = keys::count(k)
                .ok_or_else(|| Error::Refused(format!("a count key holds a NUL byte: {k:?}")))?;
            let sum = sums.entry(key).or_default();
            *sum = sum.saturating_add(*n);
        }
        // Read, add and write as one writer: two flushes at once (the
        // last one at shutdown, say) must not both add to the same old
        // value.
        let _one_writer = self.counts_writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut batch = sled::Batch::default();
        for (key, n) in sums {
            let old = match self.counts.get(&key)? {
                Some(v) => count_of(&v)?,
                None => 0,
            };
            batch.insert(key, &old.saturating_add(n).to_be_bytes());
        }
        // Written and synced under the lock a backup copies under, so a
        // copy never holds half a batch.
        let _not_mid_copy = self
            .commit
            .flushing
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.counts.apply_batch(batch)?;
        self.db.flush()?;
        self.data_file.sync_data()?;
        Ok(())
    }

    /// Every stored count of `form`.
    pub(super) fn counts_of(&self, form: &str) -> Result<Vec<(CountKey, u64)>> {
        let mut out = Vec::new();
        for item in self.counts.scan_prefix(keys::count_prefix(form)) {
            let (k, v) = item?;
            let key = keys::parse_count(&k).ok_or_else(|| Error::Corrupt("count key".into()))?;
            out.push((key, count_of(&v)?));
        }
        Ok(out)
    }
}

fn count_of(v: &[u8]) -> Result<u64> {
    Ok(u64::from_be_bytes(
        v.try_into()
            .map_err(|_| Error::Corrupt("count value".into()))?,
    ))
}
