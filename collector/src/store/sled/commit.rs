//! The group commit: every submission that arrived during the previous
//! round is written as one sled batch and flushed, then one sync of sled's
//! data file covers it (and any group flushed while the last sync ran),
//! and only then are they answered. Writing and syncing run on two
//! threads, so the next group is written while the last one syncs.
//!
//! ```text
//! writers ─ rest, record ─► queue ─► write_loop ─ ids, one apply_batch, flush ─► sync_loop ─ sync_data ─► `durable` ─► replies
//! ```
//!
//! One batch per group, not one per submission: sled 0.34 writes its log
//! buffer out (a `pwrite` and a `sync_file_range`) at every `apply_batch`,
//! so a batch per submission costs those calls per submission, under the
//! writer lock, and leaves the sync little to group.

use super::Result;
use crate::model::Alert;
use crate::store::keys::{self, ResponseId};
use crate::store::{Error, Submitted};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use tokio::sync::{oneshot, watch};

/// Shared state between writers and the commit thread.
pub(super) struct Commit {
    /// Highest sequence number written to sled (maybe not yet durable).
    pub(super) staged: AtomicU64,
    /// The time of the newest id given: a submission is stamped no earlier,
    /// so ids keep their order.
    pub(super) last_ms: AtomicU64,
    /// Set when the store closes.
    pub(super) closing: AtomicBool,
    /// Submissions waiting for the next group.
    pub(super) lock: Mutex<Vec<Pending>>,
    pub(super) wake: Condvar,
    /// Held while flushing, so two flushes never run at once.
    pub(super) flushing: Mutex<()>,
    /// Highest durable sequence number; `Err` once a commit failed.
    pub(super) durable: watch::Sender<Result<u64, ()>>,
    /// Groups made durable, and the submissions answered from them.
    pub(super) groups: AtomicU64,
    pub(super) answered: AtomicU64,
}

/// A submission its writer made ready (stored JSON stamped with
/// `received_ms`, index record, personal answers): the commit thread gives
/// it an id and writes it with the rest of its group.
pub(super) struct Pending {
    pub(super) form: String,
    pub(super) idem_key: Vec<u8>,
    pub(super) received_ms: u64,
    pub(super) value: Vec<u8>,
    pub(super) flagged: bool,
    pub(super) record: Vec<u8>,
    pub(super) invitation: Option<String>,
    pub(super) personal: Option<Vec<u8>>,
    /// Its alert, but for the id (given here).
    pub(super) alert: Option<Alert>,
    pub(super) reply: oneshot::Sender<Reply>,
}

/// The commit thread's answer to a [`Pending`], sent once the sync that
/// covers it is done.
pub(super) enum Reply {
    /// Stored (or found stored before), or refused.
    Done(Result<Submitted>),
    /// Stamped earlier than an id already given (its writer was held up
    /// between stamping and queueing): stamp it again and queue it again.
    Stale,
}

/// The trees and writer lock the commit thread writes submissions with.
pub(super) struct Writes {
    pub(super) responses: sled::Tree,
    /// Serialises id allocation with the store's other writers.
    pub(super) writer: std::sync::Arc<Mutex<ResponseId>>,
}

impl Commit {
    /// Queues `pending` for the next group; `Err` once a commit failed.
    pub(super) fn enqueue(&self, pending: Pending) -> Result<(), ()> {
        let mut queue = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the queue's lock: a failing commit thread drains
        // the queue under it, so nothing queued is left unanswered.
        if self.durable.borrow().is_err() {
            return Err(());
        }
        queue.push(pending);
        drop(queue);
        self.wake.notify_one();
        Ok(())
    }

    /// Refuses further writes and drops what is queued (its writers hear
    /// that the store is unavailable).
    fn fail(&self) {
        let mut queue = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self.durable.send_replace(Err(()));
        queue.clear();
    }
}

/// A group written and flushed, waiting for the sync that makes it
/// durable: the sequence number the flush covered, and its answers.
type Flushed = (u64, Vec<(oneshot::Sender<Reply>, Reply)>);

/// The group commit, in two threads so that writing the next group
/// overlaps the sync of the last: this one writes what was queued as one
/// batch and flushes it (sled's `pwrite` and `sync_file_range`), then hands
/// it to [`sync_loop`], which syncs the data file (`fdatasync`: the flush
/// alone leaves the data in the disk's volatile cache) and only then
/// answers. Groups flushed while a sync runs share the next one.
///
/// `durable` starts at what was on disk when the store opened, not at
/// `staged` when the thread first runs: a write may be staged before this
/// thread is first scheduled, and it must still be flushed and announced
/// (otherwise its writer waits for an acknowledgement that never comes).
pub(super) fn commit_loop(
    commit: &Commit,
    db: &sled::Db,
    data_file: &File,
    writes: &Writes,
    durable: u64,
) {
    let (flushed, to_sync) = std::sync::mpsc::channel::<Flushed>();
    std::thread::scope(|scope| {
        scope.spawn(move || sync_loop(commit, data_file, &to_sync));
        write_loop(commit, db, writes, durable, &flushed);
        // Dropping the sender lets the sync thread answer what is left
        // and end.
        drop(flushed);
    });
}

/// How long the commit thread waits idle before it flushes what was
/// written outside the group commit: sled's own flusher's default period,
/// which this replaces.
const IDLE_FLUSH: std::time::Duration = std::time::Duration::from_millis(500);

/// Writes and flushes each group; see [`commit_loop`]. Idle, it flushes
/// every [`IDLE_FLUSH`].
fn write_loop(
    commit: &Commit,
    db: &sled::Db,
    writes: &Writes,
    mut flushed_to: u64,
    flushed: &std::sync::mpsc::Sender<Flushed>,
) {
    loop {
        let group = {
            let mut queue = commit.lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if !queue.is_empty() || commit.staged.load(Ordering::Acquire) > flushed_to {
                    break Some(std::mem::take(&mut *queue));
                }
                if commit.closing.load(Ordering::Acquire) {
                    return;
                }
                let (q, waited) = commit
                    .wake
                    .wait_timeout(queue, IDLE_FLUSH)
                    .unwrap_or_else(|e| e.into_inner());
                queue = q;
                if waited.timed_out()
                    && queue.is_empty()
                    && commit.staged.load(Ordering::Acquire) <= flushed_to
                {
                    break None;
                }
            }
        };
        let Some(group) = group else {
            // sled's own flusher is off (`open_db`): the writes made
            // outside the group commit and not flushed by their writers
            // are flushed here, under `flushing`, as every flush is, so a
            // backup that holds it copies files nothing writes to.
            let result = {
                let _one_at_a_time = commit.flushing.lock().unwrap_or_else(|e| e.into_inner());
                db.flush()
            };
            if let Err(e) = result {
                tracing::error!(error = %e, "flushing failed; refusing further writes");
                commit.fail();
                return;
            }
            continue;
        };
        let replies = match apply_group(commit, writes, group) {
            Ok(replies) => replies,
            Err(e) => {
                tracing::error!(error = %e, "writing a group failed; refusing further writes");
                commit.fail();
                return;
            }
        };
        let target = commit.staged.load(Ordering::Acquire);
        // Everything staged up to `target` was applied to sled before
        // `staged` was raised, so this flush covers it.
        let result = {
            let _one_at_a_time = commit.flushing.lock().unwrap_or_else(|e| e.into_inner());
            db.flush()
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "flushing a group failed; refusing further writes");
            commit.fail();
            return;
        }
        flushed_to = target;
        if flushed.send((target, replies)).is_err() {
            // The sync thread failed, and refused further writes.
            return;
        }
    }
}

/// Syncs what [`write_loop`] flushed, then announces it durable and
/// answers its submissions; see [`commit_loop`].
fn sync_loop(commit: &Commit, data_file: &File, to_sync: &std::sync::mpsc::Receiver<Flushed>) {
    while let Ok((mut target, mut replies)) = to_sync.recv() {
        // Every group flushed before this sync starts is covered by it.
        while let Ok((t, r)) = to_sync.try_recv() {
            target = target.max(t);
            replies.extend(r);
        }
        if let Err(e) = data_file.sync_data() {
            tracing::error!(error = %e, "commit failed; refusing further writes");
            commit.fail();
            return;
        }
        // Never lower: a bulk import may have announced more already.
        commit.durable.send_modify(|d| {
            if let Ok(d) = d {
                *d = (*d).max(target);
            }
        });
        if !replies.is_empty() {
            commit.groups.fetch_add(1, Ordering::Relaxed);
            commit
                .answered
                .fetch_add(replies.len() as u64, Ordering::Relaxed);
        }
        for (reply, answer) in replies {
            let _ = reply.send(answer);
        }
    }
}

/// Gives each submission of a group its id (or finds it stored before)
/// and writes the group as one atomic batch; returns each one's answer,
/// to be sent once the group is durable.
fn apply_group(
    commit: &Commit,
    writes: &Writes,
    mut group: Vec<Pending>,
) -> sled::Result<Vec<(oneshot::Sender<Reply>, Reply)>> {
    if group.is_empty() {
        return Ok(Vec::new());
    }
    // Ids rise with time: the earliest stamped first.
    group.sort_by_key(|p| p.received_ms);
    let mut last = writes.writer.lock().unwrap_or_else(|e| e.into_inner());
    // Another writer (a bulk import) may have moved `last` on: a
    // submission sent back as stale is stamped again no earlier than it.
    commit.last_ms.fetch_max(last.ms, Ordering::AcqRel);
    let before = *last;
    let mut batch = sled::Batch::default();
    let mut ids: HashMap<Vec<u8>, ResponseId> = HashMap::new();
    let mut invitations: HashSet<String> = HashSet::new();
    let mut replies = Vec::with_capacity(group.len());
    for p in group {
        let answer = if let Some(&id) = ids.get(&p.idem_key) {
            Reply::Done(Ok(Submitted { id, created: false }))
        } else if let Some(existing) = writes.responses.get(&p.idem_key)? {
            Reply::Done(
                ResponseId::from_bytes(&existing)
                    .map(|id| Submitted { id, created: false })
                    .ok_or_else(|| Error::Corrupt("idempotency record".into())),
            )
        } else if p.received_ms < last.ms {
            Reply::Stale
        } else if match &p.invitation {
            Some(inv) => {
                invitations.contains(inv)
                    || writes.responses.get(keys::invitation_used(inv))?.is_some()
            }
            None => false,
        } {
            Reply::Done(Err(Error::InvitationUsed))
        } else {
            let id = ResponseId {
                ms: p.received_ms,
                seq: last.seq + 1,
            };
            let alert = p.alert.map(|mut alert| {
                alert.seq = id.seq;
                alert.response = id.to_string();
                serde_json::to_vec(&alert)
            });
            let alert = match alert.transpose() {
                Ok(alert) => alert,
                // Cannot happen for these plain fields; the submission is
                // refused before any of it is in the batch, rather than
                // stored without its alert.
                Err(e) => {
                    let refused = Reply::Done(Err(Error::Corrupt(e.to_string())));
                    replies.push((p.reply, refused));
                    continue;
                }
            };
            let form = &p.form;
            // A flagged response is kept aside: no index record, no
            // alert but safeguarding's, the same idempotency record.
            if p.flagged {
                batch.insert(keys::flagged(form, id), p.value);
            } else {
                batch.insert(keys::response(form, id), p.value);
                batch.insert(keys::record(form, id), p.record);
            }
            batch.insert(p.idem_key.as_slice(), &id.to_bytes());
            if let Some(inv) = p.invitation {
                batch.insert(keys::invitation_used(&inv), &id.to_bytes());
                invitations.insert(inv);
            }
            if let Some(personal) = p.personal {
                batch.insert(keys::personal(form, id), personal);
            }
            if let Some(alert) = alert {
                batch.insert(keys::alert(id.seq), alert);
                batch.insert(keys::outbox(id.seq), &[]);
            }
            ids.insert(p.idem_key, id);
            *last = id;
            Reply::Done(Ok(Submitted { id, created: true }))
        };
        replies.push((p.reply, answer));
    }
    if *last != before {
        batch.insert(keys::LAST, &last.to_bytes());
        // Every response (a flagged one is none) has its record.
        batch.insert(keys::RECORDED, &last.to_bytes());
        if let Err(e) = writes.responses.apply_batch(batch) {
            *last = before;
            return Err(e);
        }
        commit.staged.store(last.seq, Ordering::Release);
        commit.last_ms.store(last.ms, Ordering::Release);
    }
    Ok(replies)
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
            last_ms: AtomicU64::new(0),
            closing: AtomicBool::new(false),
            lock: Mutex::new(Vec::new()),
            wake: Condvar::new(),
            flushing: Mutex::new(()),
            durable: tx,
            groups: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        };
        let writes = Writes {
            responses: db.open_tree("responses").unwrap(),
            writer: std::sync::Arc::new(Mutex::new(ResponseId { ms: 0, seq: 1 })),
        };
        let announced = std::thread::scope(|scope| {
            scope.spawn(|| commit_loop(&commit, &db, &data_file, &writes, 0));
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

    fn response(invitation: Option<&str>) -> crate::model::NewResponse {
        crate::model::NewResponse {
            form: "f".into(),
            version: 1,
            location: None,
            channel: "web".into(),
            lang: "en".into(),
            answers: Default::default(),
            coding: Default::default(),
            flag: None,
            attributes: Default::default(),
            personal: Default::default(),
            invitation: invitation.map(String::from),
        }
    }

    /// Guards the checks a group makes among its own submissions: the same
    /// submission sent many times at once is stored once, and one
    /// invitation answers once, however the copies fall into groups.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn copies_in_one_group_are_stored_once() {
        use crate::store::Store;
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(super::super::SledStore::open(dir.path()).unwrap());
        let tasks: Vec<_> = (0..64)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    let (submission, invitation) = match n % 2 {
                        0 => ("same".to_owned(), None),
                        _ => (format!("s{n}"), Some("inv")),
                    };
                    let r = response(invitation);
                    let record = crate::model::record::encode(&r, None);
                    store.submit(&r, record, &submission, Vec::new()).await
                })
            })
            .collect();
        let mut same = Vec::new();
        let (mut answered, mut refused) = (0, 0);
        for (n, t) in tasks.into_iter().enumerate() {
            match (n % 2, t.await.unwrap()) {
                (0, Ok(s)) => same.push(s),
                (_, Ok(s)) if s.created => answered += 1,
                (_, Err(Error::InvitationUsed)) => refused += 1,
                (_, other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(same.iter().filter(|s| s.created).count(), 1);
        assert!(same.iter().all(|s| s.id == same[0].id));
        assert_eq!((answered, refused), (1, 31));
        assert_eq!(store.responses("f", None, 100).unwrap().len(), 2);
    }

    /// A record stored once (`put_doc_once`: a proof of work's mark) is
    /// not synced on its own; it reaches the files with the next
    /// submission acknowledged. The files are copied as they are on disk
    /// once the submission is acknowledged, the store still open (what a
    /// power cut would leave), and the copy holds the record. (Without the
    /// submission, the copy was seen without it.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_record_stored_once_is_on_disk_when_the_next_submission_is_acknowledged() {
        use crate::store::{Doc, Store};
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::SledStore::open(dir.path()).unwrap();
        assert!(store.put_doc_once(Doc::Spent, "mark").unwrap());
        let r = response(None);
        let record = crate::model::record::encode(&r, None);
        assert!(
            store
                .submit(&r, record, "s1", Vec::new())
                .await
                .unwrap()
                .created
        );
        let copy = tempfile::tempdir().unwrap();
        super::super::backup::copy_tree(dir.path(), &copy.path().join("data")).unwrap();
        drop(store);
        let reopened = super::super::SledStore::open(&copy.path().join("data")).unwrap();
        assert_eq!(
            reopened.get_doc(Doc::Spent, "mark").unwrap().as_deref(),
            Some(&b""[..])
        );
        assert!(!reopened.put_doc_once(Doc::Spent, "mark").unwrap());
    }
}
