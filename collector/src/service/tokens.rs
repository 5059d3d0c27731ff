//! Bearer tokens: random, shown once, stored only as a SHA-256 hash. Both
//! the CLI (server stopped) and the admin endpoint (server running) create
//! them here.

use crate::model::Role;
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

/// Creates a token with `role`, stores its hash, and returns the token
/// (the only time it is seen).
pub fn create(store: &dyn Store, role: Role) -> Result<String> {
    let token = new_token()?;
    store.add_token(hash_token(&token), role)?;
    Ok(token)
}
