//! An analyst's codes for one free-text answer.

use super::Label;
use serde::{Deserialize, Serialize};

/// An analyst's codes for one text answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManualCode {
    /// Theme ids.
    pub themes: Vec<String>,
    /// The sentiment label, if the analyst set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<Label>,
    /// Who coded it (the token's fingerprint).
    pub by: String,
    /// When, ms since the Unix epoch.
    pub at_ms: u64,
}
