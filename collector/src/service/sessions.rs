//! Dashboard sessions: a staff member signs in once with their token and
//! gets a short session instead, carried by an HttpOnly cookie, so the
//! token never rides in a URL, a page or a log.
//!
//! ```text
//! token (POST body) ─tokens::check─► Session { token hash, csrf, expiry } ─► store (Doc::Session, by SHA-256 of the cookie)
//! cookie ─open─► Session ─► the token behind it, checked again (revoked or expired: signed out)
//! ```
//!
//! The store keeps only the SHA-256 of the cookie's value, so a copy of
//! the data folder (a backup) signs nobody in. Every use re-reads the
//! token the session was made from: revoking the token ends its sessions
//! at once. A session lasts [`LIFETIME_MS`] (a shift) from sign-in.

use crate::error::{Error, Result};
use crate::model::{now_ms, TokenRecord};
use crate::service::tokens;
use crate::store::{Doc, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long a session lasts from sign-in: eight hours, a shift.
pub const LIFETIME_MS: u64 = 8 * 3600 * 1000;

/// A session as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The hash of the token it was opened with (hex).
    pub token: String,
    /// The secret every write from the dashboard must carry (a hidden
    /// form field), beside the SameSite=Strict cookie.
    pub csrf: String,
    /// When it was opened, ms since the Unix epoch.
    pub created_ms: u64,
    /// When it ends.
    pub expires_ms: u64,
}

/// A session opened: the cookie's value (shown once, to the browser) and
/// the session.
#[derive(Debug)]
pub struct Opened {
    /// The cookie's value: 32 random bytes as hex.
    pub cookie: String,
    /// The session.
    pub session: Session,
}

/// A live session with the token behind it.
#[derive(Debug, Clone)]
pub struct Live {
    /// The session.
    pub session: Session,
    /// The token's hash.
    pub hash: [u8; 32],
    /// The token.
    pub token: TokenRecord,
}

fn key(cookie: &str) -> String {
    hex::encode(Sha256::digest(cookie.as_bytes()))
}

/// Opens a session for `token`, if it is live; none if it is not known,
/// expired or revoked. Ends the sessions that have expired on the way.
pub fn open(store: &dyn Store, token: &str) -> Result<Option<Opened>> {
    let Some((hash, _)) = tokens::check(store, token)? else {
        return Ok(None);
    };
    sweep(store)?;
    let cookie = tokens::new_token().map_err(Error::Io)?;
    let csrf = tokens::new_token().map_err(Error::Io)?;
    let now = now_ms();
    let session = Session {
        token: hex::encode(hash),
        csrf,
        created_ms: now,
        expires_ms: now + LIFETIME_MS,
    };
    let json = serde_json::to_vec(&session).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    store.put_doc(Doc::Session, &key(&cookie), &json)?;
    Ok(Some(Opened { cookie, session }))
}

/// The live session behind a cookie's value: none if there is none, it
/// has expired, or its token has expired or been revoked since.
pub fn live(store: &dyn Store, cookie: &str) -> Result<Option<Live>> {
    // Our cookies are 64 hex digits; anything else is not one of ours.
    if cookie.len() != 64 || !cookie.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(bytes) = store.get_doc(Doc::Session, &key(cookie))? else {
        return Ok(None);
    };
    let Ok(session) = serde_json::from_slice::<Session>(&bytes) else {
        return Ok(None);
    };
    let now = now_ms();
    if session.expires_ms <= now {
        store.remove_doc(Doc::Session, &key(cookie))?;
        return Ok(None);
    }
    let mut hash = [0u8; 32];
    if hex::decode_to_slice(&session.token, &mut hash).is_err() {
        return Ok(None);
    }
    match store.token(&hash)?.filter(|t| t.live(now)) {
        Some(token) => Ok(Some(Live {
            session,
            hash,
            token,
        })),
        None => {
            store.remove_doc(Doc::Session, &key(cookie))?;
            Ok(None)
        }
    }
}

/// Ends the session behind a cookie's value (signing out); false if there
/// was none.
pub fn close(store: &dyn Store, cookie: &str) -> Result<bool> {
    Ok(store.remove_doc(Doc::Session, &key(cookie))?)
}

/// Removes every expired session.
fn sweep(store: &dyn Store) -> Result<()> {
    let now = now_ms();
    let mut after: Option<String> = None;
    loop {
        let page = store.docs(Doc::Session, after.as_deref(), 500)?;
        let Some((last, _)) = page.last() else {
            return Ok(());
        };
        after = Some(last.clone());
        for (k, v) in &page {
            let ended = serde_json::from_slice::<Session>(v).map_or(true, |s| s.expires_ms <= now);
            if ended {
                store.remove_doc(Doc::Session, k)?;
            }
        }
        if page.len() < 500 {
            return Ok(());
        }
    }
}

/// Whether `given` is the session's CSRF secret, compared in constant time.
pub fn csrf_ok(session: &Session, given: &str) -> bool {
    let (a, b) = (session.csrf.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
