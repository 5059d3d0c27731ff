//! Roles a token can have, and what the store keeps of a token.

use serde::{Deserialize, Serialize};

/// Roles a token can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads aggregates, exports and free text; codes answers.
    Analyst,
    /// Works the cases of its teams (or places), and reads those teams'
    /// results and free text; nothing of other teams.
    Supervisor,
    /// Everything an analyst does, and publishes forms and creates tokens.
    Admin,
}

impl Role {
    /// Its name, as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

/// A token as stored (under the SHA-256 of the token, which is never kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Its role.
    pub role: Role,
    /// What it is for (`"Sgt Patel, East"`), shown in the list.
    #[serde(default)]
    pub label: String,
    /// When it was made, ms since the Unix epoch (0 for tokens made before
    /// this was recorded).
    #[serde(default)]
    pub created_ms: u64,
    /// After this it is refused; none: it does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_ms: Option<u64>,
    /// When it was revoked; a revoked token is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_ms: Option<u64>,
    /// A supervisor's teams.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
    /// A supervisor's places (place ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<String>,
}

impl TokenRecord {
    /// A token of `role` made now, with no label, expiry or scope.
    pub fn new(role: Role) -> TokenRecord {
        TokenRecord {
            role,
            label: String::new(),
            created_ms: super::now_ms(),
            expires_ms: None,
            revoked_ms: None,
            teams: Vec::new(),
            places: Vec::new(),
        }
    }

    /// Whether it is accepted at `now_ms`: not revoked, not expired.
    pub fn live(&self, now_ms: u64) -> bool {
        self.revoked_ms.is_none() && self.expires_ms.is_none_or(|e| now_ms < e)
    }
}
