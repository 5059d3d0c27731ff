//! Retention: each form with `retention_days` keeps the free text of a
//! response for that long after it was received, then the words are
//! erased from the store. What the text was coded as (sentiment, themes,
//! an analyst's manual codes) stays, so aggregates, theme counts and
//! agreement are the same before and after; the answer index holds codes,
//! never text, and is untouched.
//!
//! A version's period is the shorter of its own (what its respondents were
//! told) and the current version's: no one's words are kept longer than
//! they were told, nor longer than the force now keeps anyone's.
//!
//! ```text
//! schedule (at start, every retention_interval_secs) / `collector retention`
//!   ─► run(store, now) ─► per form and version: its text questions, now − its days (periods)
//!   ─► Store::erase_text ─► answer becomes ERASED_TEXT (flushed, synced)
//!   ─► Store::erase_personal_before (personal answers removed, synced; tried even if the first failed)
//! ```
//!
//! An erased answer reads [`ERASED_TEXT`](crate::model::ERASED_TEXT) in
//! exports and `/text`: the response still shows the question was
//! answered, and that its words were erased, not that it was left blank.
//!
//! sled writes a changed value to a new place in its log; the old bytes
//! stay on disk in their segment until sled reuses it (see the README's
//! Privacy section). [`SledStore::compact_into`](crate::store::SledStore::compact_into)
//! writes a copy with only the current values.

use crate::store::{Expiries, Expiry, Result, Store};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use survey::Kind;

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// What one run did to one form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// Form id.
    pub form: String,
    /// The shortest retention period applied to its versions, in days.
    pub days: u32,
    /// Responses received before this time had their text erased,
    /// whatever version they answered (those to a version with a longer
    /// period, only before that period's time).
    pub before_ms: u64,
    /// Text answers erased by this run (0 for those erased before).
    pub erased: usize,
    /// Responses whose personal answers (call-back contact, crime
    /// reference) this run erased: those of cases still open when the
    /// period ended (a case that closed erased its own already).
    pub personal: usize,
}

/// Erases, for every form with a retention period, the free text of the
/// responses received more than that period before `now_ms`; returns what
/// it did per form (forms without a period are left out). `now_ms` is a
/// parameter so that callers (and tests) choose the clock.
pub fn run(store: &dyn Store, now_ms: u64) -> Result<Vec<Erased>> {
    let mut out = Vec::new();
    for id in store.form_ids() {
        if let Some(erased) = run_form(store, &id, now_ms)? {
            out.push(erased);
        }
    }
    Ok(out)
}

/// The retention period of each version of `form`, in days: the shorter
/// of the version's own (what its respondents were told) and the current
/// version's (what the force keeps now), either where only one has one;
/// versions with neither are left out.
pub fn periods(store: &dyn Store, form: &str) -> Result<BTreeMap<u32, u32>> {
    let now = store.form(form).and_then(|p| p.form.retention_days);
    Ok(store
        .form_versions(form)?
        .iter()
        .filter_map(|f| {
            let days = match (f.retention_days, now) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b)?,
            };
            Some((f.version, days))
        })
        .collect())
}

/// [`run`] for one form; `None` if no version of it has a retention
/// period. Each response's text answers go by its own version: that
/// version's period ([`periods`]) and its free-text questions (a question
/// id may be free text in one version and a choice in another).
pub fn run_form(store: &dyn Store, form: &str, now_ms: u64) -> Result<Option<Erased>> {
    let periods = periods(store, form)?;
    let Some(&days) = periods.values().min() else {
        return Ok(None);
    };
    let cutoff = |days: u32| now_ms.saturating_sub(u64::from(days) * DAY_MS);
    let expiries: Expiries = store
        .form_versions(form)?
        .iter()
        .filter_map(|f| {
            let days = *periods.get(&f.version)?;
            let questions = f
                .questions
                .iter()
                .filter(|q| matches!(q.kind, Kind::Text { .. }))
                .map(|q| q.id.clone())
                .collect();
            Some((
                f.version,
                Expiry {
                    before_ms: cutoff(days),
                    questions,
                },
            ))
        })
        .collect();
    // Both are tried, whichever fails: personal answers are not kept past
    // their time because some text could not be erased.
    let erased = store.erase_text(form, &expiries);
    let personal = store.erase_personal_before(form, &expiries);
    Ok(Some(Erased {
        form: form.to_owned(),
        days,
        before_ms: cutoff(days),
        erased: erased?,
        personal: personal?,
    }))
}

/// Runs [`run`] now and then every `every`, on tokio's blocking pool,
/// until `stop` resolves; logs counts only (never text).
///
/// It holds the store weakly, so it never keeps it open: when the server
/// has stopped and dropped it, the schedule ends. A run already under way
/// when `stop` resolves finishes the form it is on (one batched erase) and
/// stops before the next.
pub async fn schedule(
    store: Weak<dyn Store>,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let stopping = Arc::new(AtomicBool::new(false));
    let mut stop = std::pin::pin!(stop);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticks.tick() => {}
        }
        let (store, stopping2) = (store.clone(), stopping.clone());
        let job = tokio::task::spawn_blocking(move || once(&store, &stopping2));
        let mut job = std::pin::pin!(job);
        tokio::select! {
            () = &mut stop => {
                stopping.store(true, Ordering::Release);
                let _ = job.await;
                return;
            }
            done = &mut job => match done {
                Ok(true) => {}
                Ok(false) => return,
                // A run that panicked: said, and the next run tries
                // again (erasing on time must not stop for good).
                Err(e) => tracing::error!(error = %e, "retention run stopped; trying again at the next interval"),
            }
        }
    }
}

/// One scheduled run, form by form; false once the store is gone.
fn once(store: &Weak<dyn Store>, stopping: &AtomicBool) -> bool {
    let Some(ids) = store.upgrade().map(|s| s.form_ids()) else {
        return false;
    };
    let now = crate::model::now_ms();
    for id in ids {
        if stopping.load(Ordering::Acquire) {
            return false;
        }
        // Upgraded per form, so the store is never held between forms.
        let Some(store) = store.upgrade() else {
            return false;
        };
        match run_form(store.as_ref(), &id, now) {
            Ok(Some(e)) if e.erased > 0 || e.personal > 0 => tracing::info!(
                form = %e.form,
                erased = e.erased,
                personal = e.personal,
                days = e.days,
                "retention: free text and personal answers erased"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(form = %id, error = %e, "retention run failed"),
        }
    }
    true
}
