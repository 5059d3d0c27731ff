//! The group-commit thread of [`SqliteStore`](super::SqliteStore): every
//! submission queued while the previous group was being written goes into
//! the next one, written in one transaction and answered only once its
//! `COMMIT` (one sync of the log, under `synchronous=FULL`) has returned.
//!
//! ```text
//! writers ─ stored JSON, record ─► queue ─► commit_loop ─ ids, BEGIN IMMEDIATE … COMMIT ─► replies
//! ```
//!
//! Ids are given as the sled store gives them: a writer stamps its
//! submission no earlier than the newest id's time, the thread gives it
//! the next sequence number, and one stamped earlier than an id given
//! since is sent back to be stamped again. So ids rise with arrival, and
//! the time in a response's stored JSON is its id's.

use collector::model::Alert;
use collector::store::{Error, ResponseId, Result, Submitted};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Shared between writers and the commit thread.
#[derive(Default)]
pub(super) struct Queue {
    state: Mutex<State>,
    wake: Condvar,
    /// Set once a group could not be written: the store refuses writes.
    pub(super) failed: AtomicBool,
    /// The time of the newest id given: writers stamp no earlier.
    pub(super) last_ms: AtomicU64,
    groups: AtomicU64,
    submissions: AtomicU64,
    busy_ns: AtomicU64,
}

#[derive(Default)]
struct State {
    pending: Vec<Pending>,
    closing: bool,
}

/// A submission its writer made ready, waiting for its group.
pub(super) struct Pending {
    pub(super) form: String,
    pub(super) submission: String,
    /// The time it was stamped with (its id's `ms`, in its JSON too).
    pub(super) received_ms: u64,
    pub(super) json: Vec<u8>,
    pub(super) flagged: bool,
    pub(super) record: Vec<u8>,
    pub(super) invitation: Option<String>,
    pub(super) personal: Option<Vec<u8>>,
    /// Its alert, but for the id (given here).
    pub(super) alert: Option<Alert>,
    pub(super) reply: oneshot::Sender<Reply>,
}

/// The commit thread's answer, sent once the group is committed.
pub(super) enum Reply {
    /// Stored (or found stored before), or refused.
    Done(Result<Submitted>),
    /// Stamped earlier than an id given since: stamp it again, queue it
    /// again.
    Stale,
}

/// Each submission's reply channel and its answer.
type Replies = Vec<(oneshot::Sender<Reply>, Reply)>;

/// The connection every write goes through, and the newest id given.
pub(super) struct Writer {
    pub(super) conn: Connection,
    pub(super) last: ResponseId,
}

/// What the commit thread has done since the store opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitStats {
    /// Groups written, one transaction each.
    pub groups: u64,
    /// Submissions in them (retries and refusals included).
    pub submissions: u64,
    /// Time spent writing and committing them.
    pub busy: Duration,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Queue {
    /// Queues `pending` for the next group; `Err` once the store refuses
    /// writes.
    pub(super) fn enqueue(&self, pending: Pending) -> Result<()> {
        let mut state = lock(&self.state);
        // Checked under the queue's lock: a failing commit thread empties
        // the queue under it, so nothing queued is left unanswered.
        if self.failed.load(Ordering::Acquire) {
            return Err(Error::Unavailable);
        }
        state.pending.push(pending);
        drop(state);
        self.wake.notify_one();
        Ok(())
    }

    /// Asks the commit thread to stop once the queue is empty.
    pub(super) fn close(&self) {
        lock(&self.state).closing = true;
        self.wake.notify_all();
    }

    pub(super) fn stats(&self) -> CommitStats {
        CommitStats {
            groups: self.groups.load(Ordering::Relaxed),
            submissions: self.submissions.load(Ordering::Relaxed),
            busy: Duration::from_nanos(self.busy_ns.load(Ordering::Relaxed)),
        }
    }

    /// Refuses further writes and drops what is queued (its writers hear
    /// that the store is unavailable).
    fn fail(&self) {
        let mut state = lock(&self.state);
        self.failed.store(true, Ordering::Release);
        state.pending.clear();
    }
}

/// Takes everything queued, writes it as one transaction, commits, then
/// answers each submission; until the store closes.
pub(super) fn commit_loop(queue: &Queue, writer: &Mutex<Writer>) {
    loop {
        let group = {
            let mut state = lock(&queue.state);
            loop {
                if !state.pending.is_empty() {
                    break std::mem::take(&mut state.pending);
                }
                if state.closing {
                    return;
                }
                state = queue.wake.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        };
        let started = Instant::now();
        let n = group.len() as u64;
        let written = write_group(&mut lock(writer), group);
        queue.groups.fetch_add(1, Ordering::Relaxed);
        queue.submissions.fetch_add(n, Ordering::Relaxed);
        queue
            .busy_ns
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        match written {
            Ok((replies, last_ms)) => {
                queue.last_ms.fetch_max(last_ms, Ordering::AcqRel);
                for (reply, answer) in replies {
                    let _ = reply.send(answer);
                }
            }
            Err(e) => {
                // The group's writers hear that the store is unavailable
                // when their reply senders drop with the group.
                eprintln!("sqlite store: writing a group failed ({e}); refusing further writes");
                queue.fail();
                return;
            }
        }
    }
}

/// Gives each submission of a group its id (or finds it stored before)
/// and writes the group as one transaction; returns each one's answer and
/// the newest id's time, once committed.
///
/// A submission sees those before it in its group: the transaction reads
/// its own writes, so a second copy of a submission, or a second answer to
/// an invitation, in the same group is found as if committed before.
fn write_group(writer: &mut Writer, mut group: Vec<Pending>) -> rusqlite::Result<(Replies, u64)> {
    // Ids rise with time: the earliest stamped first.
    group.sort_by_key(|p| p.received_ms);
    let mut last = writer.last;
    let tx = writer
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut replies = Vec::with_capacity(group.len());
    for p in group {
        let seen: Option<Vec<u8>> = tx
            .prepare_cached("SELECT id FROM submissions WHERE form = ?1 AND submission = ?2")?
            .query_row(params![p.form, p.submission], |r| r.get(0))
            .optional()?;
        let answer = if let Some(id) = seen {
            Reply::Done(
                ResponseId::from_bytes(&id)
                    .map(|id| Submitted { id, created: false })
                    .ok_or_else(|| Error::Corrupt("submission record".into())),
            )
        } else if p.received_ms < last.ms {
            Reply::Stale
        } else if match &p.invitation {
            Some(inv) => tx
                .prepare_cached("SELECT 1 FROM invitations WHERE invitation = ?1")?
                .exists([inv])?,
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
                // Cannot happen for these plain fields; refused before any
                // of it is written, rather than stored without its alert.
                Err(e) => {
                    replies.push((p.reply, Reply::Done(Err(Error::Corrupt(e.to_string())))));
                    continue;
                }
            };
            let key = id.to_bytes();
            // A flagged response is kept aside: no index record, no alert
            // but safeguarding's (filtered by its writer), the same
            // submission record.
            let record = (!p.flagged).then_some(p.record);
            tx.prepare_cached(
                "INSERT INTO responses (seq, form, id, flagged, json, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![id.seq, p.form, key, p.flagged, p.json, record])?;
            tx.prepare_cached(
                "INSERT INTO submissions (form, submission, id) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![p.form, p.submission, key])?;
            if let Some(inv) = &p.invitation {
                tx.prepare_cached("INSERT INTO invitations (invitation, id) VALUES (?1, ?2)")?
                    .execute(params![inv, key])?;
            }
            if let Some(personal) = &p.personal {
                tx.prepare_cached("INSERT INTO personal (form, id, json) VALUES (?1, ?2, ?3)")?
                    .execute(params![p.form, key, personal])?;
            }
            if let Some(alert) = &alert {
                tx.prepare_cached("INSERT INTO alerts (seq, json, pending) VALUES (?1, ?2, 1)")?
                    .execute(params![id.seq, alert])?;
            }
            last = id;
            Reply::Done(Ok(Submitted { id, created: true }))
        };
        replies.push((p.reply, answer));
    }
    // Under synchronous=FULL the commit syncs the log before it returns,
    // and before other connections can see the group.
    tx.commit()?;
    writer.last = last;
    Ok((replies, last.ms))
}
