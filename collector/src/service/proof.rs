//! Proof of work for the JSON API, on the ALTCHA protocol (SHA-256, a
//! number to find): no CAPTCHA, nothing a person does. The widget asks for
//! a challenge as it starts, finds the number in the background (a few
//! thousand hashes: a fraction of a second on a phone) and sends the proof
//! with its answers in the `X-Altcha` header.
//!
//! ```text
//! GET /api/v1/forms/{form}/challenge ─► challenge(form)      salt = random?form=…&issued=ms&expires=s
//! POST …/responses + X-Altcha        ─► check(form, header)  signed, solved, this form, unexpired,
//!                                                            not used before, and old enough
//! ```
//!
//! The challenge is signed with the deployment's key (kept in the store,
//! so challenges outlive a restart), and its salt carries the form and
//! when it was issued, so it doubles as a render token the server can
//! trust: answers sent sooner than a person could have given them are
//! doubted. A proof is taken once: each taken is kept in the store
//! ([`Doc::Spent`]) until it expires, durable with the submission it came
//! with, so a restart forgets none. A submission that fails is stored
//! flagged with the reason, never lost.
//!
//! Written here rather than taken from a crate: `altcha-lib-rs` 0.3 (the
//! protocol's first version, which this follows: its challenges and
//! payloads have the same fields) does not build against the `hmac` and
//! `sha2` releases it resolves to, and the `altcha` crate implements the
//! second version, whose PBKDF2 rounds make each of the browser's attempts
//! thousands of times dearer. The protocol is a hash and an HMAC.

use crate::error::{Error, Result};
use crate::store::{Doc, Store};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// The only algorithm offered.
const ALGORITHM: &str = "SHA-256";

/// What the widget sends back: the challenge, with the number found.
#[derive(Debug, Deserialize)]
struct Payload {
    algorithm: String,
    challenge: String,
    number: u64,
    salt: String,
    signature: String,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn mac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length")
}

fn random_below(n: u64) -> Result<u64> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    Ok(u64::from_le_bytes(b) % n.max(1))
}

/// The key challenges are signed with, in the store's secrets.
const SECRET: &str = "proof-key";
/// The largest number a challenge hides: about this many hashes at most,
/// half on average.
pub const MAX_NUMBER: u64 = 20_000;
/// How long a challenge may be answered: long enough for the longest
/// form, taken slowly.
pub const LIFE_SECS: u64 = 4 * 60 * 60;
/// The least time from a challenge to answers a person could have given.
pub const MIN_SECS: u64 = 2;

/// Why a proof was not taken: the flag its submission is stored with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doubt {
    /// No proof, or one that is not signed, not solved, for another form,
    /// or expired.
    Missing,
    /// A proof already taken.
    Reused,
    /// Answers sooner after the challenge than a person could give them.
    TooFast,
}

impl Doubt {
    /// The flag's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Doubt::Missing => "proof-of-work",
            Doubt::Reused => "proof-reused",
            Doubt::TooFast => "too-fast",
        }
    }
}

/// Issues challenges and takes proofs.
#[derive(Debug, Default)]
pub struct Proofs {
    spent: Mutex<Swept>,
    /// Set while a sweep [`Proofs::sweep_due`] handed out is waiting to
    /// run: one at a time, however many requests find it due.
    scheduled: std::sync::atomic::AtomicBool,
}

/// When the spent proofs were last swept of the expired (s), and whether
/// that sweep left some: swept at most once a minute, not at every check.
#[derive(Debug, Default)]
struct Swept {
    at: u64,
    more: bool,
}

impl Swept {
    fn due(&self, now: u64) -> bool {
        self.more || self.at + 60 <= now
    }
}

/// The most expired marks one sweep removes (at the global cap of 500
/// submissions a second, a minute brings 30,000).
const SWEEP: usize = 10_000;

/// A spent proof's key: when it expires (s, zero-padded, so keys sort by
/// it and a sweep reads only the expired) and its challenge's first 16
/// bytes (the hash the server made, not the signature, whose hex can be
/// spelt in either case; a chance collision would need 2^64 of them).
fn spent_key(expires: u64, challenge: &str) -> String {
    format!("{expires:012}-{}", &challenge[..32])
}

/// The deployment's key, made on first use.
impl Proofs {
    /// A new challenge for `form` at `now_ms`, as JSON: `{algorithm,
    /// challenge, maxnumber, salt, signature}`.
    pub fn challenge(
        &self,
        store: &dyn Store,
        form: &str,
        now_ms: u64,
    ) -> Result<serde_json::Value> {
        self.challenge_hiding(store, form, now_ms, random_below(MAX_NUMBER + 1)?)
    }

    /// A challenge as [`Proofs::challenge`] makes, hiding `number`: for
    /// the ingest benchmark, which solves hundreds of thousands of
    /// challenges before it starts and gives them the number 0. Taking a
    /// proof costs the server the same whatever its number.
    #[doc(hidden)]
    pub fn challenge_hiding(
        &self,
        store: &dyn Store,
        form: &str,
        now_ms: u64,
        number: u64,
    ) -> Result<serde_json::Value> {
        let key = super::secrets::named(store, SECRET)?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("expires", &(now_ms / 1000 + LIFE_SECS).to_string())
            .append_pair("form", form)
            .append_pair("issued", &now_ms.to_string())
            .finish();
        let salt = format!("{}?{query}", hex::encode(nonce));
        let challenge = sha256_hex(&format!("{salt}{number}"));
        let mut m = mac(&key);
        m.update(challenge.as_bytes());
        let signature = hex::encode(m.finalize().into_bytes());
        Ok(serde_json::json!({
            "algorithm": ALGORITHM,
            "challenge": challenge,
            "maxnumber": MAX_NUMBER,
            "salt": salt,
            "signature": signature,
        }))
    }

    /// Takes the proof `header` (base64 of the solved challenge's JSON)
    /// for `form` at `now_ms`; why not, if it is doubted. Sweeps the marks
    /// of expired proofs when that is due.
    pub fn check(
        &self,
        store: &dyn Store,
        form: &str,
        header: Option<&str>,
        now_ms: u64,
    ) -> Result<Option<Doubt>> {
        let doubt = self.take(store, form, header, now_ms)?;
        self.sweep(store, now_ms / 1000)?;
        Ok(doubt)
    }

    /// [`Proofs::check`] without the sweep: for the server, which takes a
    /// proof on the request's worker (a hash, an HMAC and one
    /// compare-and-swap in the store's memory) and sweeps on the blocking
    /// pool when [`Proofs::sweep_due`] says so, as a sweep reads and
    /// removes up to [`SWEEP`] marks.
    pub fn take(
        &self,
        store: &dyn Store,
        form: &str,
        header: Option<&str>,
        now_ms: u64,
    ) -> Result<Option<Doubt>> {
        let Some(payload) = header.and_then(|h| STANDARD.decode(h.trim()).ok()) else {
            return Ok(Some(Doubt::Missing));
        };
        let Ok(payload) = serde_json::from_slice::<Payload>(&payload) else {
            return Ok(Some(Doubt::Missing));
        };
        let key = super::secrets::named(store, SECRET)?;
        let mut m = mac(&key);
        m.update(payload.challenge.as_bytes());
        let signed = hex::decode(&payload.signature)
            .ok()
            .is_some_and(|sig| m.verify_slice(&sig).is_ok());
        // Within the range a challenge hides its number in: with a number
        // longer than that, the digits at the salt's end could be moved
        // into it (the hash is of the two run together).
        let solved = payload.algorithm == ALGORITHM
            && payload.number <= MAX_NUMBER
            && sha256_hex(&format!("{}{}", payload.salt, payload.number)) == payload.challenge;
        if !signed || !solved {
            return Ok(Some(Doubt::Missing));
        }
        // The salt is signed (the challenge hashes it): its parameters are
        // the server's own.
        let params: HashMap<String, String> = payload
            .salt
            .split_once('?')
            .map(|(_, q)| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        if params.get("form").map(String::as_str) != Some(form) {
            return Ok(Some(Doubt::Missing));
        }
        let number = |key: &str| params.get(key).and_then(|s| s.parse::<u64>().ok());
        let (Some(issued), Some(expires)) = (number("issued"), number("expires")) else {
            return Ok(Some(Doubt::Missing));
        };
        // As issued, the two agree: a salt cut short (its last digits
        // moved into the number) or made longer does not.
        if issued / 1000 + LIFE_SECS != expires {
            return Ok(Some(Doubt::Missing));
        }
        let now = now_ms / 1000;
        if expires <= now {
            return Ok(Some(Doubt::Missing));
        }
        // Solved: the challenge is 64 hex digits (`sha256_hex`), in lower
        // case, as the hash is compared spelt so. Taken whether or not a
        // sweep is under way: a sweep removes only the marks of proofs
        // already expired, which are refused above whether marked or not.
        if !store.put_doc_once(Doc::Spent, &spent_key(expires, &payload.challenge))? {
            return Ok(Some(Doubt::Reused));
        }
        if now_ms.saturating_sub(issued) < MIN_SECS * 1000 {
            return Ok(Some(Doubt::TooFast));
        }
        Ok(None)
    }

    /// Whether the caller should run [`Proofs::sweep`] at `now` (s): a
    /// minute has passed since the last sweep, or it left some, and no
    /// sweep is under way or already handed out (true for one caller
    /// until that sweep runs).
    pub fn sweep_due(&self, now: u64) -> bool {
        use std::sync::atomic::Ordering;
        let due = match self.spent.try_lock() {
            Ok(swept) => swept.due(now),
            Err(std::sync::TryLockError::WouldBlock) => false,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner().due(now),
        };
        due && self
            .scheduled
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Sweeps the marks of expired proofs if that is due at `now` (s). One
    /// sweeps at a time; a call that finds a sweep under way returns at
    /// once, and takes go on beside it.
    pub fn sweep(&self, store: &dyn Store, now: u64) -> Result<()> {
        // Handed out no longer: while this runs the lock says it is under
        // way, and after it the time of the sweep says it is done.
        self.scheduled
            .store(false, std::sync::atomic::Ordering::Release);
        let mut swept = match self.spent.try_lock() {
            Ok(swept) => swept,
            Err(std::sync::TryLockError::WouldBlock) => return Ok(()),
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
        };
        if swept.due(now) {
            let removed = forget_expired(store, now)?;
            *swept = Swept {
                at: now,
                more: removed == SWEEP,
            };
        }
        Ok(())
    }
}

/// Removes the marks of proofs expired by `now` (s), at most [`SWEEP`]; how
/// many. Keys sort by expiry, so it reads the expired and one more.
fn forget_expired(store: &dyn Store, now: u64) -> Result<usize> {
    let expired = |k: &String| {
        k.split_once('-')
            .and_then(|(e, _)| e.parse::<u64>().ok())
            .is_some_and(|e| e <= now)
    };
    let mut gone: Vec<String> = Vec::new();
    while gone.len() < SWEEP {
        let page = store.docs(Doc::Spent, gone.last().map(String::as_str), 500)?;
        let full = page.len() == 500;
        let before = gone.len();
        gone.extend(page.into_iter().map(|(k, _)| k).take_while(expired));
        if !full || gone.len() - before < 500 {
            break;
        }
    }
    gone.truncate(SWEEP);
    if !gone.is_empty() {
        store.remove_docs(Doc::Spent, &gone)?;
    }
    Ok(gone.len())
}

/// Solves a challenge as the widget does: the number whose SHA-256 after
/// the salt is the challenge, sent as base64 of the payload's JSON. For
/// tests and non-browser clients.
pub fn solve(challenge: &serde_json::Value) -> Option<String> {
    let (hash, salt) = (
        challenge["challenge"].as_str()?,
        challenge["salt"].as_str()?,
    );
    let max = challenge["maxnumber"].as_u64()?;
    let number = (0..=max).find(|n| sha256_hex(&format!("{salt}{n}")) == hash)?;
    let payload = serde_json::json!({
        "algorithm": challenge["algorithm"],
        "challenge": hash,
        "number": number,
        "salt": salt,
        "signature": challenge["signature"],
    });
    Some(STANDARD.encode(payload.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    #[test]
    fn a_solved_challenge_is_taken_once_and_only_for_its_form_and_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let proofs = Proofs::default();
        let t0 = 1_800_000_000_000;
        let c = proofs.challenge(&store, "street-feedback", t0).unwrap();
        let proof = solve(&c).unwrap();
        let at = |ms| t0 + ms;
        // Too soon for a person.
        let early = proofs.challenge(&store, "street-feedback", t0).unwrap();
        let early = solve(&early).unwrap();
        assert_eq!(
            proofs
                .check(&store, "street-feedback", Some(&early), at(500))
                .unwrap(),
            Some(Doubt::TooFast)
        );
        // Another form's, none, or garbage.
        assert_eq!(
            proofs
                .check(&store, "community-safety", Some(&proof), at(5_000))
                .unwrap(),
            Some(Doubt::Missing)
        );
        assert_eq!(
            proofs
                .check(&store, "street-feedback", None, at(5_000))
                .unwrap(),
            Some(Doubt::Missing)
        );
        assert_eq!(
            proofs
                .check(&store, "street-feedback", Some("not base64!"), at(5_000))
                .unwrap(),
            Some(Doubt::Missing)
        );
        // An altered number.
        let mut forged: serde_json::Value =
            serde_json::from_slice(&STANDARD.decode(&proof).unwrap()).unwrap();
        forged["number"] = serde_json::json!(forged["number"].as_u64().unwrap() + 1);
        let forged = STANDARD.encode(forged.to_string());
        assert_eq!(
            proofs
                .check(&store, "street-feedback", Some(&forged), at(5_000))
                .unwrap(),
            Some(Doubt::Missing)
        );
        // Expired.
        assert_eq!(
            proofs
                .check(
                    &store,
                    "street-feedback",
                    Some(&proof),
                    at((LIFE_SECS + 1) * 1000)
                )
                .unwrap(),
            Some(Doubt::Missing)
        );
        // Taken, then refused as reused.
        assert_eq!(
            proofs
                .check(&store, "street-feedback", Some(&proof), at(5_000))
                .unwrap(),
            None
        );
        assert_eq!(
            proofs
                .check(&store, "street-feedback", Some(&proof), at(6_000))
                .unwrap(),
            Some(Doubt::Reused)
        );
        // The key outlives the process: a new `Proofs` over the same store
        // takes a challenge the old one issued.
        let c2 = proofs.challenge(&store, "street-feedback", t0).unwrap();
        let p2 = solve(&c2).unwrap();
        assert_eq!(
            Proofs::default()
                .check(&store, "street-feedback", Some(&p2), at(3_000))
                .unwrap(),
            None
        );
        assert!(c["maxnumber"].as_u64().unwrap() <= MAX_NUMBER);
    }

    /// However many requests find a sweep due, one is handed it until it
    /// runs; after it, the next is due a minute later.
    #[test]
    fn a_due_sweep_is_handed_out_once_until_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let proofs = Proofs::default();
        let now = 1_800_000_000;
        assert!(proofs.sweep_due(now));
        assert!(!proofs.sweep_due(now), "handed out once");
        proofs.sweep(&store, now).unwrap();
        assert!(!proofs.sweep_due(now + 59), "swept a moment ago");
        assert!(proofs.sweep_due(now + 60));
    }

    /// The payload of `proof` with `change` made to it, re-encoded.
    fn altered(proof: &str, change: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut p: serde_json::Value =
            serde_json::from_slice(&STANDARD.decode(proof).unwrap()).unwrap();
        change(&mut p);
        STANDARD.encode(p.to_string())
    }

    /// A solved proof cannot be made into others: the hash is of the salt
    /// and the number run together, so the salt's last digits (when it was
    /// issued) moved into the number hash the same, and would otherwise
    /// pass as issued in 1970 (never too fast, never remembered); and the
    /// signature's hex spelt in capitals is the same proof, taken once.
    #[test]
    fn a_proof_cannot_be_recut_or_respelt_to_be_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let proofs = Proofs::default();
        let t0 = 1_800_000_000_123;
        let later = t0 + 5_000;
        let proof = solve(&proofs.challenge(&store, "f", t0).unwrap()).unwrap();
        let payload: serde_json::Value =
            serde_json::from_slice(&STANDARD.decode(&proof).unwrap()).unwrap();
        let (salt, number) = (
            payload["salt"].as_str().unwrap().to_owned(),
            payload["number"].as_u64().unwrap(),
        );
        assert!(salt.ends_with(&format!("issued={t0}")), "{salt}");
        // Every re-cut still hashes to the signed challenge; none is taken.
        for moved in 1..=3 {
            let (kept, digits) = salt.split_at(salt.len() - moved);
            let recut = altered(&proof, |p| {
                p["salt"] = kept.into();
                p["number"] = format!("{digits}{number}").parse::<u64>().unwrap().into();
            });
            assert_eq!(
                sha256_hex(&format!("{kept}{digits}{number}")),
                payload["challenge"].as_str().unwrap()
            );
            assert_eq!(
                proofs.check(&store, "f", Some(&recut), later).unwrap(),
                Some(Doubt::Missing),
                "moved {moved} digits"
            );
        }
        let whole = altered(&proof, |p| {
            p["salt"] = salt.trim_end_matches(char::is_numeric).into();
            p["number"] = format!("{t0}{number}").parse::<u64>().unwrap().into();
        });
        assert_eq!(
            proofs.check(&store, "f", Some(&whole), later).unwrap(),
            Some(Doubt::Missing)
        );
        // Taken once, in any spelling of its signature.
        assert_eq!(
            proofs.check(&store, "f", Some(&proof), later).unwrap(),
            None
        );
        let capitals = altered(&proof, |p| {
            p["signature"] = p["signature"].as_str().unwrap().to_uppercase().into();
        });
        assert_eq!(
            proofs.check(&store, "f", Some(&capitals), later).unwrap(),
            Some(Doubt::Reused)
        );
        // Remembered until it expires, however many are taken meanwhile.
        for i in 1..=3 {
            let p = solve(&proofs.challenge(&store, "f", t0 + i).unwrap()).unwrap();
            let at = later + i * 120_000;
            assert_eq!(proofs.check(&store, "f", Some(&p), at).unwrap(), None);
        }
        assert_eq!(
            proofs
                .check(&store, "f", Some(&proof), later + 600_000)
                .unwrap(),
            Some(Doubt::Reused)
        );
    }

    /// The challenges of the spent proofs in `store`, with when they expire.
    fn spent(store: &dyn Store) -> Vec<String> {
        store
            .docs(Doc::Spent, None, 100)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    }

    /// A proof taken before a restart is refused after it (its mark is
    /// in the store, not the process), and the marks of expired proofs
    /// are swept.
    #[test]
    fn a_proof_taken_before_a_restart_is_refused_after_it_and_expired_marks_go() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = 1_800_000_000_000;
        let proof = {
            let store = SledStore::open(dir.path()).unwrap();
            let proofs = Proofs::default();
            let proof = solve(&proofs.challenge(&store, "f", t0).unwrap()).unwrap();
            assert_eq!(
                proofs.check(&store, "f", Some(&proof), t0 + 5_000).unwrap(),
                None
            );
            proof
        };
        let store = SledStore::open(dir.path()).unwrap();
        let proofs = Proofs::default();
        assert_eq!(
            proofs.check(&store, "f", Some(&proof), t0 + 6_000).unwrap(),
            Some(Doubt::Reused)
        );
        let first = spent(&store);
        assert_eq!(first.len(), 1);
        assert!(first[0].starts_with(&format!("{:012}-", t0 / 1000 + LIFE_SECS)));
        // After the first proof expired, the next check sweeps its mark.
        let later = t0 + (LIFE_SECS + 1) * 1000;
        let next = solve(&proofs.challenge(&store, "f", later).unwrap()).unwrap();
        assert_eq!(
            proofs
                .check(&store, "f", Some(&next), later + 3_000)
                .unwrap(),
            None
        );
        let now = spent(&store);
        assert_eq!(now.len(), 1);
        assert!(
            now[0].starts_with(&format!("{:012}-", later / 1000 + LIFE_SECS)),
            "{now:?}"
        );
    }
}
