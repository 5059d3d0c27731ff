//! Alerts as they are raised: a broadcast to the live feeds (`GET
//! /api/v1/alerts/stream`) and a poke to the webhook worker, so that
//! neither waits for a poll.
//!
//! ```text
//! ingest::record ─► (created, raised alerts) ─► announce ─► Feed::raised ─┬─► broadcast ─► each live stream reads the store from its last id
//!                                                                        └─► Notify ───► webhook worker fans the outbox out
//! ```
//!
//! The broadcast is only a wake-up: a stream reads what to send from the
//! store ([`Store::alerts_after`]), in sequence order, so it has no gaps
//! when two alerts are announced out of order, when it lags behind the
//! channel, or between what it replays and what it sees live.

use crate::model::Alert;
use crate::store::Store;
use std::sync::Mutex;
use tokio::sync::{broadcast, watch, Notify};

/// How many announcements a slow live stream may fall behind before it
/// is told it lagged (it then reads the store, so it loses nothing).
const CHANNEL: usize = 256;

/// Where raised alerts are announced.
pub struct Feed {
    live: broadcast::Sender<Alert>,
    worker: Notify,
    requeued: Mutex<Vec<String>>,
    closing: watch::Sender<bool>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            live: broadcast::channel(CHANNEL).0,
            worker: Notify::new(),
            requeued: Mutex::new(Vec::new()),
            closing: watch::channel(false).0,
        }
    }
}

impl Feed {
    /// Announces a durable alert to the live streams and the worker.
    pub fn raised(&self, alert: Alert) {
        // No stream listening is no error.
        let _ = self.live.send(alert);
        self.worker.notify_one();
    }

    /// A receiver of the alerts announced from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Alert> {
        self.live.subscribe()
    }

    /// Asks the worker to look at a delivery again (one an admin replayed).
    pub fn requeue(&self, delivery: String) {
        self.requeued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(delivery);
        self.worker.notify_one();
    }

    /// The deliveries requeued since the last call.
    pub fn take_requeued(&self) -> Vec<String> {
        std::mem::take(&mut *self.requeued.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Resolves when an alert was raised or a delivery requeued (at once
    /// if that happened since the last wait).
    pub async fn poked(&self) {
        self.worker.notified().await;
    }

    /// Tells the live streams that the server is stopping, so that they
    /// end and the connections carrying them can close.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Undoes [`Feed::close`] for a server started again on the same state.
    pub fn open(&self) {
        self.closing.send_replace(false);
    }

    /// A receiver that sees `true` once the server stops.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

/// After a submission stored response `seq`: announces its alert, if it
/// raised one. A read that fails is logged and left to the worker's poll
/// (the alert is in the outbox either way).
pub fn announce(store: &dyn Store, feed: &Feed, seq: u64) {
    match store.alert(seq) {
        Ok(Some(alert)) => feed.raised(alert),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, seq, "could not read a new alert to announce it"),
    }
}
