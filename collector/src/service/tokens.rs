//! Bearer tokens: random, shown once, stored only as a SHA-256 hash, with a
//! role, a label, an expiry and (for a supervisor) the teams and places it
//! may see. Both the CLI (server stopped) and the admin endpoints (server
//! running) manage them here.
//!
//! A token's id is the first 12 hex digits of its hash: enough to list and
//! revoke it, nothing that helps guess it.

use crate::model::{now_ms, Role, TokenRecord};
use crate::store::{Result, Store};
use sha2::{Digest, Sha256};

/// A new random token: 32 random bytes as 64 hex digits.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(hex::encode(bytes))
}

/// The hash under which a token is stored.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

/// A token's id: the first 12 hex digits of its hash.
pub fn token_id(hash: &[u8; 32]) -> String {
    hex::encode(&hash[..6])
}

/// What a new token is to be.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Its role.
    pub role: Role,
    /// What it is for.
    pub label: String,
    /// When it stops working, ms since the Unix epoch.
    pub expires_ms: Option<u64>,
    /// A supervisor's teams.
    pub teams: Vec<String>,
    /// A supervisor's places.
    pub places: Vec<String>,
}

impl Spec {
    /// A token of `role` with no label, expiry or scope.
    pub fn role(role: Role) -> Spec {
        Spec {
            role,
            label: String::new(),
            expires_ms: None,
            teams: Vec::new(),
            places: Vec::new(),
        }
    }
}

/// Why a token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// A supervisor needs at least one team or place.
    #[error("a supervisor token needs at least one team or place")]
    Unscoped,
    /// Only a supervisor is scoped.
    #[error("only a supervisor token takes teams or places")]
    Scoped,
    /// An expiry in the past.
    #[error("the expiry must be in the future")]
    Expired,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Creates a token to `spec`, stores its hash, and returns the token (the
/// only time it is seen) and its id.
pub fn create(store: &dyn Store, spec: Spec) -> std::result::Result<(String, String), CreateError> {
    let scoped = !spec.teams.is_empty() || !spec.places.is_empty();
    match (spec.role, scoped) {
        (Role::Supervisor, false) => return Err(CreateError::Unscoped),
        (Role::Analyst | Role::Admin, true) => return Err(CreateError::Scoped),
        _ => {}
    }
    let now = now_ms();
    if spec.expires_ms.is_some_and(|e| e <= now) {
        return Err(CreateError::Expired);
    }
    let token = new_token().map_err(crate::store::Error::from)?;
    let hash = hash_token(&token);
    let record = TokenRecord {
        role: spec.role,
        label: spec.label,
        created_ms: now,
        expires_ms: spec.expires_ms,
        revoked_ms: None,
        teams: spec.teams,
        places: spec.places,
    };
    store.put_token(hash, &record)?;
    Ok((token, token_id(&hash)))
}

/// The live token behind `token`, if any: known, not revoked, not expired.
pub fn check(store: &dyn Store, token: &str) -> Result<Option<([u8; 32], TokenRecord)>> {
    let hash = hash_token(token);
    Ok(store
        .token(&hash)?
        .filter(|t| t.live(now_ms()))
        .map(|t| (hash, t)))
}

/// Every token with its id, newest first.
pub fn list(store: &dyn Store) -> Result<Vec<(String, TokenRecord)>> {
    let mut all: Vec<(String, TokenRecord)> = store
        .tokens()?
        .into_iter()
        .map(|(h, t)| (token_id(&h), t))
        .collect();
    all.sort_by(|a, b| b.1.created_ms.cmp(&a.1.created_ms).then(a.0.cmp(&b.0)));
    Ok(all)
}

/// Revokes the token with id `id`; false if there is none. Revoking twice
/// keeps the first time.
pub fn revoke(store: &dyn Store, id: &str) -> Result<bool> {
    for (hash, mut t) in store.tokens()? {
        if token_id(&hash) == id {
            if t.revoked_ms.is_none() {
                t.revoked_ms = Some(now_ms());
                store.put_token(hash, &t)?;
            }
            return Ok(true);
        }
    }
    Ok(false)
}
