//! An alert: what one response raised, as the outbox, the live feed and
//! the case list see it.

use serde::{Deserialize, Serialize};

/// Prefix of the rule ids that safeguarding raises (`safeguarding:threat`):
/// such an alert goes to the hooks that take safeguarding events.
pub const SAFEGUARDING: &str = "safeguarding";

/// The alerts one response raised, written in the same batch as it. Its
/// `seq` (the response's sequence number) is its id everywhere: the live
/// feed's event id, the case's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The response's sequence number.
    pub seq: u64,
    /// Form id.
    pub form: String,
    /// The response that raised it.
    pub response: String,
    /// The rules that matched (alert rule ids of the form, and
    /// `safeguarding:<category>` for safeguarding phrases).
    pub rules: Vec<String>,
    /// Server time, milliseconds since the Unix epoch.
    pub raised_ms: u64,
    /// The team the response came to (from its invitation), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The place it was answered at, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Alert {
    /// Whether any rule is a safeguarding one.
    pub fn safeguarding(&self) -> bool {
        self.rules.iter().any(|r| {
            r.strip_prefix(SAFEGUARDING)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
        })
    }
}
