//! The shared types: what a response is before and after it is stored,
//! an analyst's codes, the sentiment label, a token's role and a form's
//! summary. Every floor above speaks them; this module knows no side (no
//! HTTP, no sled, no OpenAPI, no command line).
//!
//! ```text
//! survey::Valid ─► NewResponse ──store──► ResponseId ─► StoredResponse
//!                  (+ TextCoding)                       (+ ManualCode from analysts)
//! ```

mod coding;
mod id;
mod response;
mod role;

pub use analysis::Label;
pub use coding::ManualCode;
pub use id::ResponseId;
pub use response::{FormSummary, NewResponse, StoredResponse, TextCoding, ERASED_TEXT};
pub use role::Role;

/// The start of every safeguarding alert's rule id: `safeguarding:<category>`
/// (`safeguarding:self_harm`), raised for free text that matches a form's
/// safeguarding phrases whatever alert rules the form has.
pub const SAFEGUARDING_RULE_PREFIX: &str = "safeguarding:";

/// The alert rule id raised for a safeguarding `category`.
pub fn safeguarding_rule(category: survey::Category) -> String {
    [SAFEGUARDING_RULE_PREFIX, category.as_str()].concat()
}

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
