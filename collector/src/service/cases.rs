//! Cases: every alert opens one, and a supervisor works it to a close.
//!
//! ```text
//! alert log (store) ──► case "new" (nothing written until someone acts)
//!   new ─► acknowledged ─► contacted ─► resolved
//!    └──────────┴──────────────┴──────► closed (with a reason)
//! ```
//!
//! A case's id is its alert's sequence number. Its history (who changed
//! it, when, a note, the call-back's outcome) is a small record in the
//! store; the alert it came from says its form, response, rules, team and
//! place. When a case resolves or closes, the response's personal answers
//! (a call-back contact, a crime reference) are erased from the store.

use crate::error::{Error, Result};
use crate::model::{now_ms, Alert, ResponseId};
use crate::store::{Doc, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use survey::Answer;

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Raised; nobody has looked yet.
    New,
    /// A supervisor has seen it and owns it.
    Acknowledged,
    /// The person was called back (or the attempt was made).
    Contacted,
    /// Put right, or all that could be done was done.
    Resolved,
    /// Ended without resolution, with a reason (no contact details, a
    /// duplicate, the person declined).
    Closed,
}

impl State {
    /// Whether the case is over.
    pub fn is_final(self) -> bool {
        matches!(self, State::Resolved | State::Closed)
    }

    /// Parses `new`, `acknowledged`, … and `open` (not final) for filters.
    pub fn parse(s: &str) -> Option<State> {
        Some(match s {
            "new" => State::New,
            "acknowledged" => State::Acknowledged,
            "contacted" => State::Contacted,
            "resolved" => State::Resolved,
            "closed" => State::Closed,
            _ => return None,
        })
    }
}

/// One change of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The state it moved to.
    pub state: State,
    /// Who: the id of the token used (never the token).
    pub by: String,
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The call-back's outcome (`reached`, `no answer`, `declined`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why it was closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A case: its alert and its history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// The alert that opened it.
    pub alert: Alert,
    /// Its changes, oldest first.
    pub history: Vec<Change>,
}

impl Case {
    /// Its state now.
    pub fn state(&self) -> State {
        self.history.last().map_or(State::New, |c| c.state)
    }

    /// When it first reached `state` (or a later one), ms since the epoch.
    pub fn reached(&self, state: State) -> Option<u64> {
        self.history
            .iter()
            .find(|c| c.state >= state && !(state != State::Closed && c.state == State::Closed))
            .map(|c| c.at_ms)
    }

    /// When it was first called back, ms since the epoch.
    pub fn contacted_ms(&self) -> Option<u64> {
        self.history
            .iter()
            .find(|c| c.state == State::Contacted)
            .map(|c| c.at_ms)
    }

    /// Whether it was called back by the end of the 2nd working day after
    /// the day it was raised (false while it has not been).
    pub fn contacted_in_2_working_days(&self) -> bool {
        match (self.contacted_ms(), deadline(self.alert.raised_ms, 2)) {
            (Some(at), Some(by)) => at < by,
            _ => false,
        }
    }

    /// When it ended (resolved or closed), ms since the epoch.
    pub fn ended_ms(&self) -> Option<u64> {
        self.history
            .iter()
            .find(|c| c.state.is_final())
            .map(|c| c.at_ms)
    }
}

/// What a supervisor asks to change.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The state to move to.
    pub state: State,
    /// A note.
    pub note: Option<String>,
    /// The call-back's outcome.
    pub outcome: Option<String>,
    /// Why it is closed (needed to close).
    pub reason: Option<String>,
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Refused {
    /// The case is over.
    #[error("the case is already {0:?}; it cannot change")]
    Over(State),
    /// Backwards, or to where it is.
    #[error("a case cannot move from {from:?} to {to:?}")]
    Backwards {
        /// Where it is.
        from: State,
        /// Where it was asked to go.
        to: State,
    },
    /// Closing needs a reason.
    #[error("say why the case is closed (reason)")]
    NoReason,
    /// Nothing can move a case to new.
    #[error("a case cannot be set back to new")]
    ToNew,
}

fn key(seq: u64) -> String {
    format!("{seq:020}")
}

/// The case opened by alert `seq`, if there is such an alert.
pub fn get(store: &dyn Store, seq: u64) -> Result<Option<Case>> {
    let Some(alert) = store.alert(seq)? else {
        return Ok(None);
    };
    Ok(Some(Case {
        alert,
        history: history(store, seq)?,
    }))
}

fn history(store: &dyn Store, seq: u64) -> Result<Vec<Change>> {
    match store.get_doc(Doc::Case, &key(seq))? {
        Some(v) => serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string())),
        None => Ok(Vec::new()),
    }
}

/// Every case `keep` allows, in state `state` (any open one when `None`
/// and `open_only`), oldest first.
pub fn list(
    store: &dyn Store,
    keep: &dyn Fn(&Alert) -> bool,
    state: Option<State>,
    open_only: bool,
) -> Result<Vec<Case>> {
    let mut histories: BTreeMap<u64, Vec<Change>> = BTreeMap::new();
    let mut after = None;
    loop {
        let page = store.docs(Doc::Case, after.as_deref(), 1000)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        for (k, v) in page {
            if let Ok(seq) = k.parse::<u64>() {
                let h = serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
                histories.insert(seq, h);
            }
        }
    }
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = store.alerts_after(after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for alert in page {
            if !keep(&alert) {
                continue;
            }
            let history = histories.remove(&alert.seq).unwrap_or_default();
            let case = Case { alert, history };
            let s = case.state();
            let wanted = match state {
                Some(want) => s == want,
                None => !open_only || !s.is_final(),
            };
            if wanted {
                out.push(case);
            }
        }
    }
    Ok(out)
}

/// Moves case `seq` on; returns it as it now is. Resolving or closing it
/// erases the response's personal answers.
pub fn update(
    store: &dyn Store,
    seq: u64,
    by: &str,
    update: Update,
) -> Result<Option<std::result::Result<Case, Refused>>> {
    // A change reads the history, checks the step and writes it back: two
    // at once would both read the same history and the second write drop
    // the first's change (a closure lost, the case open again). One store
    // per process, and changes are rare and quick: one lock for all.
    static CHANGING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = CHANGING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(mut case) = get(store, seq)? else {
        return Ok(None);
    };
    let from = case.state();
    let refused = if from.is_final() {
        Some(Refused::Over(from))
    } else if update.state == State::New {
        Some(Refused::ToNew)
    } else if update.state == State::Closed
        && update.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        Some(Refused::NoReason)
    } else if update.state != State::Closed && update.state <= from {
        Some(Refused::Backwards {
            from,
            to: update.state,
        })
    } else {
        None
    };
    if let Some(r) = refused {
        return Ok(Some(Err(r)));
    }
    case.history.push(Change {
        state: update.state,
        by: by.to_owned(),
        at_ms: now_ms().max(case.history.last().map_or(0, |c| c.at_ms)),
        note: update.note.filter(|n| !n.trim().is_empty()),
        outcome: update.outcome.filter(|n| !n.trim().is_empty()),
        reason: update.reason.filter(|n| !n.trim().is_empty()),
    });
    let v = serde_json::to_vec(&case.history).map_err(|e| Error::Corrupt(e.to_string()))?;
    store.put_doc(Doc::Case, &key(seq), &v)?;
    if update.state.is_final() {
        if let Some(id) = ResponseId::parse(&case.alert.response) {
            store.erase_personal(&case.alert.form, id)?;
        }
    }
    Ok(Some(Ok(case)))
}

/// The personal answers of a case's response (none once erased).
pub fn personal(store: &dyn Store, case: &Case) -> Result<Option<BTreeMap<String, Answer>>> {
    match ResponseId::parse(&case.alert.response) {
        Some(id) => Ok(store.personal(&case.alert.form, id)?),
        None => Ok(None),
    }
}

/// England and Wales bank holidays, 2025 to 2027 (gov.uk/bank-holidays):
/// not working days. Extend as the government publishes them.
const BANK_HOLIDAYS: [(i32, u8, u8); 24] = [
    (2025, 1, 1),
    (2025, 4, 18),
    (2025, 4, 21),
    (2025, 5, 5),
    (2025, 5, 26),
    (2025, 8, 25),
    (2025, 12, 25),
    (2025, 12, 26),
    (2026, 1, 1),
    (2026, 4, 3),
    (2026, 4, 6),
    (2026, 5, 4),
    (2026, 5, 25),
    (2026, 8, 31),
    (2026, 12, 25),
    (2026, 12, 28),
    (2027, 1, 1),
    (2027, 3, 26),
    (2027, 3, 29),
    (2027, 5, 3),
    (2027, 5, 31),
    (2027, 8, 30),
    (2027, 12, 27),
    (2027, 12, 28),
];

fn working_day(d: time::Date) -> bool {
    use time::Weekday::{Saturday, Sunday};
    !matches!(d.weekday(), Saturday | Sunday)
        && !BANK_HOLIDAYS
            .iter()
            .any(|&(y, m, day)| d.year() == y && u8::from(d.month()) == m && d.day() == day)
}

/// The end of the `n`th working day after the day of `ms` (UTC days): a
/// case raised on a Friday afternoon must be contacted by the end of
/// Tuesday for "within 2 working days".
pub fn deadline(ms: u64, n: u32) -> Option<u64> {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(ms / 1000).ok()?).ok()?;
    let mut d = t.date();
    let mut left = n;
    while left > 0 {
        d = d.next_day()?;
        if working_day(d) {
            left -= 1;
        }
    }
    let end = d.next_day()?.midnight().assume_utc().unix_timestamp();
    u64::try_from(end).ok().map(|s| s * 1000)
}

/// How the force is doing at calling dissatisfied people back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Cases raised in the period.
    pub cases: u64,
    /// Of those, contacted within 2 working days.
    pub contacted_in_2_working_days: u64,
    /// `contacted_in_2_working_days / cases`.
    pub share_contacted_in_2_working_days: f64,
    /// Still open.
    pub open: u64,
    /// Median hours from raised to acknowledged (of those acknowledged).
    pub median_hours_to_acknowledge: Option<f64>,
    /// Median hours from raised to resolved (of those resolved).
    pub median_hours_to_resolve: Option<f64>,
}

/// The report over `cases` (already filtered to a form, team and period).
pub fn report(cases: &[Case]) -> Report {
    let n = cases.len() as u64;
    let in_time = cases
        .iter()
        .filter(|c| c.contacted_in_2_working_days())
        .count() as u64;
    let hours = |f: &dyn Fn(&Case) -> Option<u64>| {
        let mut h: Vec<f64> = cases
            .iter()
            .filter_map(|c| {
                f(c).map(|at| at.saturating_sub(c.alert.raised_ms) as f64 / 3_600_000.0)
            })
            .collect();
        h.sort_by(f64::total_cmp);
        match h.len() {
            0 => None,
            l if l % 2 == 1 => Some(h[l / 2]),
            l => Some((h[l / 2 - 1] + h[l / 2]) / 2.0),
        }
    };
    Report {
        cases: n,
        contacted_in_2_working_days: in_time,
        share_contacted_in_2_working_days: if n == 0 {
            0.0
        } else {
            in_time as f64 / n as f64
        },
        open: cases.iter().filter(|c| !c.state().is_final()).count() as u64,
        median_hours_to_acknowledge: hours(&|c| c.reached(State::Acknowledged)),
        median_hours_to_resolve: hours(&|c| {
            c.history
                .iter()
                .find(|x| x.state == State::Resolved)
                .map(|x| x.at_ms)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u8, d: u8, h: u8) -> u64 {
        let date = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
        (date
            .with_hms(h, 0, 0)
            .unwrap()
            .assume_utc()
            .unix_timestamp()
            * 1000) as u64
    }

    #[test]
    fn two_working_days_skip_weekends_and_bank_holidays() {
        // Friday 4 Dec 2026, 15:00 → end of Tuesday 8 Dec.
        assert_eq!(deadline(ms(2026, 12, 4, 15), 2), Some(ms(2026, 12, 9, 0)));
        // Monday 30 Nov → end of Wednesday 2 Dec.
        assert_eq!(deadline(ms(2026, 11, 30, 9), 2), Some(ms(2026, 12, 3, 0)));
        // Thursday 24 Dec: Friday 25 and Monday 28 are bank holidays →
        // Tuesday 29 and Wednesday 30.
        assert_eq!(deadline(ms(2026, 12, 24, 9), 2), Some(ms(2026, 12, 31, 0)));
    }

    #[test]
    fn reached_counts_later_states_but_not_closing() {
        let change = |state, at_ms| Change {
            state,
            by: "t".into(),
            at_ms,
            note: None,
            outcome: None,
            reason: None,
        };
        let alert = Alert {
            seq: 1,
            form: "f".into(),
            response: "r".into(),
            rules: vec![],
            raised_ms: 0,
            team: None,
            location: None,
        };
        let skipped = Case {
            alert: alert.clone(),
            history: vec![change(State::Contacted, 5)],
        };
        assert_eq!(skipped.reached(State::Acknowledged), Some(5));
        let closed = Case {
            alert,
            history: vec![change(State::Closed, 7)],
        };
        assert_eq!(closed.reached(State::Acknowledged), None);
        assert_eq!(closed.reached(State::Closed), Some(7));
    }
}
