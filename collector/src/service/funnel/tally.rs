//! Counting in memory, flushing to the store: an event costs a hash-map
//! increment on the request path, and once a second the counts gathered
//! go to the store as one batch added to those stored. A crash loses at
//! most the last second; a graceful stop flushes first (see
//! [`crate::serve`]).
//!
//! Memory is bounded: at most [`MAX_KEYS`] distinct keys wait between two
//! flushes. An event that would add another is dropped and counted in
//! `/metrics` (`collector_funnel_events_dropped_total`) rather than let
//! the map grow without bound.

use crate::metrics::Metrics;
use crate::model::CountKey;
use crate::store::{Result, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// Distinct keys that may wait between two flushes.
pub const MAX_KEYS: usize = 100_000;

/// How often the counts go to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The counts not yet in the store.
#[derive(Debug)]
pub struct Tally {
    pending: Mutex<HashMap<CountKey, u64>>,
    /// Held while a batch moves from memory to the store, so that a read
    /// of stored plus pending counts never sees a batch twice or not at
    /// all. Adding an event never waits for it.
    moving: Mutex<()>,
    max_keys: usize,
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new(MAX_KEYS)
    }
}

impl Tally {
    /// A tally that holds at most `max_keys` distinct keys between flushes.
    pub fn new(max_keys: usize) -> Tally {
        Tally {
            pending: Mutex::default(),
            moving: Mutex::default(),
            max_keys,
        }
    }

    /// Counts one event; one past the cap on distinct keys is dropped
    /// (and counted as dropped in `metrics`).
    pub fn add(&self, key: CountKey, metrics: &Metrics) {
        let step = key.step.name();
        let kept = add_to(&mut self.lock(), key, 1, self.max_keys);
        if kept {
            metrics.funnel_event(step);
        } else {
            metrics.funnel_dropped(1);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CountKey, u64>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the pending counts to `store` as one batch; how many keys it
    /// wrote. When the store fails, the counts go back to wait for the
    /// next flush (within the cap).
    pub fn flush(&self, store: &dyn Store, metrics: &Metrics) -> Result<usize> {
        let _moving = self.moving.lock().unwrap_or_else(|e| e.into_inner());
        let batch: Vec<(CountKey, u64)> = std::mem::take(&mut *self.lock()).into_iter().collect();
        if batch.is_empty() {
            return Ok(0);
        }
        match store.add_counts(&batch) {
            Ok(()) => Ok(batch.len()),
            Err(e) => {
                let mut pending = self.lock();
                let mut lost = 0;
                for (k, n) in batch {
                    if !add_to(&mut pending, k, n, self.max_keys) {
                        lost += n;
                    }
                }
                metrics.funnel_dropped(lost);
                Err(e)
            }
        }
    }

    /// Every count of `form`: those stored and those still waiting.
    pub fn counts(&self, store: &dyn Store, form: &str) -> Result<Vec<(CountKey, u64)>> {
        let _moving = self.moving.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = store.counts(form)?;
        out.extend(
            self.lock()
                .iter()
                .filter(|(k, _)| k.form == form)
                .map(|(k, n)| (k.clone(), *n)),
        );
        Ok(out)
    }
}

/// Adds `n` to `key` unless it is new and the map is full.
fn add_to(map: &mut HashMap<CountKey, u64>, key: CountKey, n: u64, max: usize) -> bool {
    if let Some(count) = map.get_mut(&key) {
        *count = count.saturating_add(n);
        return true;
    }
    if map.len() >= max {
        return false;
    }
    map.insert(key, n);
    true
}

/// Flushes `tally` to the store every [`FLUSH_EVERY`] until `stop`
/// resolves or the store is gone. It holds the store weakly, so the store
/// still closes when the app is dropped; the last flush, once the server
/// has finished its requests, is the server's (see [`crate::serve`]).
pub async fn run(
    store: Weak<dyn Store>,
    tally: Arc<Tally>,
    metrics: Arc<Metrics>,
    stop: impl std::future::Future<Output = ()>,
) {
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            () = tokio::time::sleep(FLUSH_EVERY) => {}
            () = &mut stop => return,
        }
        let Some(store) = store.upgrade() else { return };
        let (tally, metrics) = (tally.clone(), metrics.clone());
        let flushed =
            tokio::task::spawn_blocking(move || tally.flush(store.as_ref(), &metrics)).await;
        match flushed {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the funnel's counts could not be stored; kept for the next try")
            }
            Err(e) => tracing::error!(error = %e, "the funnel's flush task failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Step;

    fn key(channel: &str) -> CountKey {
        CountKey {
            form: "f".into(),
            version: 1,
            day: "2025-06-01".into(),
            location: String::new(),
            channel: channel.into(),
            lang: "en".into(),
            step: Step::View,
            last_question: String::new(),
        }
    }

    #[test]
    fn keys_past_the_cap_are_dropped_and_counted_and_known_keys_still_count() {
        let metrics = Metrics::new();
        let t = Tally::new(2);
        for ch in ["a", "b", "c", "a", "c"] {
            t.add(key(ch), &metrics);
        }
        let mut pending: Vec<(String, u64)> = t
            .lock()
            .iter()
            .map(|(k, n)| (k.channel.clone(), *n))
            .collect();
        pending.sort();
        assert_eq!(pending, [("a".to_owned(), 2), ("b".to_owned(), 1)]);
        let text = metrics.encode([], None);
        assert!(
            text.contains("collector_funnel_events_dropped_total 2"),
            "{text}"
        );
        assert!(
            text.contains(r#"collector_funnel_events_total{step="view"} 3"#),
            "{text}"
        );
    }
}
