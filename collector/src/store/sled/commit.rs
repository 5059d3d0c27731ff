//! The group-commit thread: one flush and sync of sled's data file for
//! every request that arrived during the previous one.
//!
//! ```text
//! writers ─ apply_batch, raise `staged`, wake ─► commit_loop ─ flush + sync_data ─► `durable` ─► writers resume
//! ```

use super::Result;
use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use tokio::sync::watch;

/// Shared state between writers and the commit thread.
pub(super) struct Commit {
    /// Highest sequence number written to sled (maybe not yet durable).
    pub(super) staged: AtomicU64,
    /// Set when the store closes.
    pub(super) closing: AtomicBool,
    pub(super) lock: Mutex<()>,
    pub(super) wake: Condvar,
    /// Held while flushing, so two flushes never run at once.
    pub(super) flushing: Mutex<()>,
    /// Highest durable sequence number; `Err` once a commit failed.
    pub(super) durable: watch::Sender<Result<u64, ()>>,
}

/// The group-commit thread: flushes and syncs whatever was staged since
/// the last round, then tells every waiting writer.
///
/// `durable` starts at what was on disk when the store opened, not at
/// `staged` when the thread first runs: a write may be staged before this
/// thread is first scheduled, and it must still be flushed and announced
/// (otherwise its writer waits for an acknowledgement that never comes).
pub(super) fn commit_loop(commit: &Commit, db: &sled::Db, data_file: &File, mut durable: u64) {
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
