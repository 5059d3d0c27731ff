//! The shared types: what a response is before and after it is stored,
//! an analyst's codes, the sentiment label, a token's role, a form's
//! summary, alerts, webhooks with their deliveries, and the funnel's
//! counts. Every floor above speaks them; this module knows no side (no
//! HTTP, no sled, no OpenAPI, no command line).
//!
//! ```text
//! survey::Valid ─► NewResponse ──store──► ResponseId ─► StoredResponse
//!                  (+ TextCoding)                       (+ ManualCode from analysts)
//! ```

mod alert;
mod coding;
mod funnel;
mod hook;
mod id;
mod place;
pub mod record;
mod response;
mod role;
pub mod stored;

pub use alert::{safeguarding_rule, Alert, SAFEGUARDING_RULE_PREFIX};
pub use analysis::Label;
pub use coding::ManualCode;
pub use funnel::{day_of, CountKey, Step};
pub use hook::{Attempt, Delivery, DeliveryState, Event, Hook, HISTORY};
pub use id::ResponseId;
pub use place::{Level, Lineage, Register, RegisterProblem, Site, Ward};
pub use response::{FormSummary, NewResponse, StoredResponse, TextCoding, ERASED_TEXT};
pub use role::{Role, TokenRecord};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Milliseconds since the Unix epoch as RFC 3339 (UTC), as exports show
/// times.
pub fn rfc3339(ms: u64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}
