//! Roles a token can have.

use serde::{Deserialize, Serialize};

/// Roles a token can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads aggregates, exports and free text; codes answers.
    Analyst,
    /// Everything an analyst does, and publishes forms and creates tokens.
    Admin,
}
