//! The hosted page's bot checks: a honeypot field, and a render token the
//! server signs when it renders the page, so the time from render to post
//! is the server's own and not a number the client sends. A post that
//! fails is still stored, flagged with the reason (see `service::ingest`).

use super::post::Fields;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Seconds a person needs at least to fill in a form; faster is a bot.
pub(super) const MIN_FILL_SECONDS: u64 = 2;
/// Seconds a person needs at least to read one question and tap an
/// answer (a "one question a scan" page).
pub(super) const MIN_TAP_SECONDS: u64 = 1;
/// How long a rendered page's token stays good.
const TOKEN_LIFE_SECONDS: u64 = 24 * 60 * 60;

/// The key render tokens are signed with: the deployment's, kept in the
/// store (`service::secrets`), so a page rendered before a restart (a
/// deploy, a crash) still verifies after it and the person filling it in
/// is not set aside as a bot. `None` when no key could be had: every post
/// is then kept flagged (`render-token`), never lost.
pub(in crate::http) struct RenderKey(Option<[u8; 32]>);

impl RenderKey {
    /// No key: every token fails, and every post is kept flagged.
    pub(super) fn none() -> Self {
        RenderKey(None)
    }

    /// The key of these bytes (the first 32; fewer are padded with
    /// zeros, which a stored key never needs).
    pub(super) fn from_bytes(bytes: &[u8]) -> Self {
        let mut key = [0u8; 32];
        let n = bytes.len().min(32);
        key[..n].copy_from_slice(&bytes[..n]);
        RenderKey(Some(key))
    }

    /// A fresh random key.
    pub(super) fn new() -> std::result::Result<Self, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(RenderKey(Some(key)))
    }

    fn mac(&self, form: &str, submission_id: &str, secs: u64) -> Hmac<Sha256> {
        let key = self.0.unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        for part in [
            form.as_bytes(),
            submission_id.as_bytes(),
            &secs.to_be_bytes(),
        ] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// `secs.signature`: when the page for this form and submission id was
    /// rendered, signed.
    pub(super) fn sign(&self, form: &str, submission_id: &str, secs: u64) -> String {
        let tag = self.mac(form, submission_id, secs).finalize().into_bytes();
        format!("{secs}.{}", hex::encode(tag))
    }

    /// Why a post with this token (and honeypot) looks like a bot, if it does.
    pub(super) fn doubt(
        &self,
        form: &str,
        f: &Fields,
        honeypot: bool,
        now: u64,
        min_secs: u64,
    ) -> Option<&'static str> {
        if honeypot {
            return Some("honeypot");
        }
        if self.0.is_none() {
            return Some("render-token");
        }
        let rendered = f.token.split_once('.').and_then(|(secs, tag)| {
            let secs: u64 = secs.parse().ok()?;
            let tag = hex::decode(tag).ok()?;
            self.mac(form, &f.submission_id, secs)
                .verify_slice(&tag)
                .ok()
                .map(|()| secs)
        });
        match rendered {
            None => Some("render-token"),
            Some(t) if t > now || now - t > TOKEN_LIFE_SECONDS => Some("render-token"),
            Some(t) if now - t < min_secs => Some("too-fast"),
            Some(_) => None,
        }
    }
}

pub(super) fn now_secs() -> u64 {
    crate::model::now_ms() / 1000
}
