//! Standard Webhooks signing (symmetric, `v1`): a secret is `whsec_`
//! followed by the base64 of 32 random bytes, and those bytes are the
//! HMAC-SHA256 key; a delivery is signed over `id.timestamp.body`.
//!
//! ```text
//! webhook-id: alert_…      webhook-timestamp: 1767225600
//! webhook-signature: v1,base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a symmetric secret.
pub const PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and the base64 of 32 random bytes (the
/// specification asks for 24 to 64).
pub fn new_secret() -> std::io::Result<String> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(std::io::Error::other)?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(key)))
}

/// The `webhook-signature` value for a delivery: `v1,` and the base64 of
/// the HMAC-SHA256 of `id.timestamp.body` under the secret's key. `None`
/// for a secret that is not `whsec_` and base64.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signing example of the Standard Webhooks libraries' own tests
    /// (their Go, Java and C# suites share it).
    #[test]
    fn matches_the_reference_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_random_and_well_formed() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        let key = STANDARD.decode(a.strip_prefix(PREFIX).unwrap()).unwrap();
        assert_eq!(key.len(), 32);
        assert!(signature(&a, "x", 1, b"{}").is_some());
        assert!(signature("nope", "x", 1, b"{}").is_none());
    }
}
