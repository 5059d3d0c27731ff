//! Webhooks and their deliveries as the store keeps them (small records,
//! [`Doc::Hook`](crate::store::Doc) and [`Doc::Delivery`](crate::store::Doc)).
//!
//! ```text
//! Alert ──fan-out──► one Delivery per matching Hook ──attempts──► delivered | dead
//!                                                      ▲ replay ──┘
//! ```

use super::Alert;
use serde::{Deserialize, Serialize};

/// What a hook takes: ordinary alerts, or safeguarding alerts (an alert
/// with any safeguarding rule), which go only to the hooks that ask for
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// An alert without a safeguarding rule (a dissatisfied answer,
    /// strongly negative text).
    Alert,
    /// An alert with a safeguarding rule (`safeguarding:threat`).
    Safeguarding,
}

impl Event {
    /// The event an alert is.
    pub fn of(alert: &Alert) -> Event {
        if alert.safeguarding() {
            Event::Safeguarding
        } else {
            Event::Alert
        }
    }

    /// Its name on the wire (`alert`, `safeguarding`).
    pub fn name(self) -> &'static str {
        match self {
            Event::Alert => "alert",
            Event::Safeguarding => "safeguarding",
        }
    }
}

/// A webhook: where alerts go, signed with its own secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    /// Its id (16 hex digits).
    pub id: String,
    /// Where deliveries are posted (http or https).
    pub url: String,
    /// Forms whose alerts it takes; empty: every form.
    #[serde(default)]
    pub forms: Vec<String>,
    /// Teams whose alerts it takes; empty: every team (and alerts with none).
    #[serde(default)]
    pub teams: Vec<String>,
    /// Events it takes.
    pub events: Vec<Event>,
    /// Whether the body carries the response's free-text answers (never
    /// answers to personal questions).
    #[serde(default)]
    pub include_text: bool,
    /// The signing secret as given to the receiver (`whsec_` + base64).
    pub secret: String,
    /// When it was made, ms since the Unix epoch.
    pub created_ms: u64,
}

impl Hook {
    /// Whether `alert` goes to this hook.
    pub fn takes(&self, alert: &Alert) -> bool {
        self.events.contains(&Event::of(alert))
            && (self.forms.is_empty() || self.forms.contains(&alert.form))
            && (self.teams.is_empty()
                || alert.team.as_ref().is_some_and(|t| self.teams.contains(t)))
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Refused for good (a 4xx, a refused address, a deleted hook), or out
    /// of attempts: a dead letter until an admin replays it.
    Dead,
}

impl DeliveryState {
    /// Its name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// When it started, ms since the Unix epoch.
    pub at_ms: u64,
    /// The receiver's status, if it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What went wrong, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took, in ms.
    pub took_ms: u64,
}

/// The most attempts a delivery's history keeps (the latest ones).
pub const HISTORY: usize = 20;

/// One alert's delivery to one hook, keyed by [`Delivery::key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The hook's id.
    pub hook: String,
    /// The alert's sequence number (its case id).
    pub alert: u64,
    /// The response that raised the alert.
    pub response: String,
    /// What the alert is.
    pub event: Event,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made since it was raised or last replayed.
    pub attempts: u32,
    /// When the next attempt is due (pending only), ms since the Unix epoch.
    pub next_ms: u64,
    /// When it was made.
    pub created_ms: u64,
    /// When the receiver took it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_ms: Option<u64>,
    /// Times an admin replayed it.
    #[serde(default)]
    pub replays: u32,
    /// The latest attempts, oldest first (at most [`HISTORY`]).
    #[serde(default)]
    pub history: Vec<Attempt>,
}

impl Delivery {
    /// A new delivery of `alert` to `hook`, due at `now_ms`.
    pub fn new(alert: &Alert, hook: &str, now_ms: u64) -> Delivery {
        Delivery {
            hook: hook.to_owned(),
            alert: alert.seq,
            response: alert.response.clone(),
            event: Event::of(alert),
            state: DeliveryState::Pending,
            attempts: 0,
            next_ms: now_ms,
            created_ms: now_ms,
            delivered_ms: None,
            replays: 0,
            history: Vec::new(),
        }
    }

    /// Its key and id: the alert's sequence number (20 digits, so keys
    /// sort by alert) and the hook's id. The same alert and hook always
    /// make the same key, so a fan-out repeated after a crash finds the
    /// delivery already there and does not make a second one.
    pub fn key(alert: u64, hook: &str) -> String {
        format!("{alert:020}-{hook}")
    }

    /// The `webhook-id` its receiver sees on every attempt: the same for
    /// retries and replays (the receiver's idempotency key), different for
    /// every alert and hook, even across a restore from a backup that
    /// reuses sequence numbers (the response id carries its time).
    pub fn webhook_id(&self) -> String {
        format!("alert_{}_{}", self.response, self.hook)
    }

    /// Records an attempt, keeping the latest [`HISTORY`].
    pub fn record(&mut self, attempt: Attempt) {
        self.attempts += 1;
        self.history.push(attempt);
        if self.history.len() > HISTORY {
            let extra = self.history.len() - HISTORY;
            self.history.drain(..extra);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(rules: &[&str], team: Option<&str>) -> Alert {
        Alert {
            seq: 42,
            form: "victim-satisfaction".into(),
            response: "0000018f00000000000000000000002a".into(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            raised_ms: 1,
            team: team.map(String::from),
            location: None,
        }
    }

    fn hook(events: &[Event], forms: &[&str], teams: &[&str]) -> Hook {
        Hook {
            id: "h".into(),
            url: "https://example.org".into(),
            forms: forms.iter().map(|f| f.to_string()).collect(),
            teams: teams.iter().map(|t| t.to_string()).collect(),
            events: events.to_vec(),
            include_text: false,
            secret: String::new(),
            created_ms: 0,
        }
    }

    #[test]
    fn safeguarding_goes_only_to_hooks_that_take_it() {
        let ordinary = alert(&["dissatisfied"], None);
        let safeguarding = alert(&["dissatisfied", "safeguarding:threat"], None);
        let alerts_only = hook(&[Event::Alert], &[], &[]);
        let safeguarding_only = hook(&[Event::Safeguarding], &[], &[]);
        assert!(alerts_only.takes(&ordinary));
        assert!(!alerts_only.takes(&safeguarding));
        assert!(safeguarding_only.takes(&safeguarding));
        assert!(!safeguarding_only.takes(&ordinary));
    }

    #[test]
    fn forms_and_teams_filter_when_given() {
        let a = alert(&["dissatisfied"], Some("east"));
        assert!(hook(&[Event::Alert], &["victim-satisfaction"], &["east"]).takes(&a));
        assert!(!hook(&[Event::Alert], &["street-feedback"], &[]).takes(&a));
        assert!(!hook(&[Event::Alert], &[], &["west"]).takes(&a));
        // A hook for a team does not take alerts that have no team.
        assert!(!hook(&[Event::Alert], &[], &["east"]).takes(&alert(&["x"], None)));
    }

    #[test]
    fn keys_sort_by_alert_and_ids_stay_the_same_across_attempts() {
        assert_eq!(Delivery::key(42, "ab"), "00000000000000000042-ab");
        assert!(Delivery::key(9, "z") < Delivery::key(10, "a"));
        let mut d = Delivery::new(&alert(&["x"], None), "ab", 5);
        let id = d.webhook_id();
        for i in 0..25 {
            d.record(Attempt {
                at_ms: i,
                status: Some(500),
                error: None,
                took_ms: 1,
            });
        }
        assert_eq!(d.webhook_id(), id);
        assert!(!id.contains('.'));
        assert_eq!(d.attempts, 25);
        assert_eq!(d.history.len(), HISTORY);
        assert_eq!(d.history[0].at_ms, 5);
    }
}
