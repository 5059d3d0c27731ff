//! An alert: what one response raised, as the outbox, the live feed and
//! the case list see it.

use serde::{Deserialize, Serialize};

/// The start of every safeguarding alert's rule id: `safeguarding:<category>`
/// (`safeguarding:self_harm`), raised for free text that matches a form's
/// safeguarding phrases whatever alert rules the form has. Such an alert
/// goes to the hooks that take safeguarding events.
pub const SAFEGUARDING_RULE_PREFIX: &str = "safeguarding:";

/// The alert rule id raised for a safeguarding `category`.
pub fn safeguarding_rule(category: survey::Category) -> String {
    [SAFEGUARDING_RULE_PREFIX, category.as_str()].concat()
}

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
    /// The alert `response`, stored as `id`, raised with `rules`.
    pub fn raised_by(
        response: &super::NewResponse,
        id: super::ResponseId,
        rules: Vec<String>,
    ) -> Alert {
        Alert {
            seq: id.seq,
            form: response.form.clone(),
            response: id.to_string(),
            rules,
            raised_ms: id.ms,
            team: response.attributes.get("team").cloned(),
            location: response.location.clone(),
        }
    }

    /// Whether any rule is a safeguarding one.
    pub fn safeguarding(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.starts_with(SAFEGUARDING_RULE_PREFIX))
    }
}
