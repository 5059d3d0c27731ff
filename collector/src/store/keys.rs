//! All key encoding for the sled trees, in one place.
//!
//! Keys are a one-byte tag, `0x00` separators around slugs (form ids and
//! submission ids never contain `0x00`), and big-endian integers so that
//! byte order is numeric order.
//!
//! | tree        | key                                   | value                    |
//! |-------------|---------------------------------------|--------------------------|
//! | `meta`      | `schema`                              | u32 schema version       |
//! | `forms`     | `f 0 form 0 version(u32)`             | form JSON                |
//! | `tokens`    | sha-256 of the token                  | role JSON                |
//! | `responses` | `r 0 form 0 ms(u64) seq(u64)`         | the rest of the response beside its record ([`crate::model::stored`]); JSON if stored before schema 2 |
//! | `responses` | `i 0 form 0 submission_id`            | response id (16 bytes)   |
//! | `responses` | `a 0 seq(u64)`                        | alert JSON (alert log)   |
//! | `responses` | `o 0 seq(u64)`                        | empty (outbox: to hand to hooks) |
//! | `responses` | `p 0 form 0 ms(u64) seq(u64)`         | personal answers JSON    |
//! | `responses` | `u 0 invitation`                      | response id (16 bytes)   |
//! | `docs`      | `kind(u8) 0 key`                      | JSON (hooks, deliveries, invitations, cases) |
//! | `responses` | `x 0 form 0 ms(u64) seq(u64)`         | index record (binary)    |
//! | `responses` | `q 0 form 0 ms(u64) seq(u64)`         | flagged response JSON    |
//! | `responses` | `m 0 last`                            | last ms(u64) seq(u64)    |
//! | `responses` | `m 0 recorded`                        | last ms(u64) seq(u64)    |
//! | `responses` | `m 0 unrecorded`                      | last ms(u64) seq(u64)    |
//! | `responses` | `m 0 uncompacted`                     | empty                    |
//! | `codes`     | `c 0 form 0 ms(u64) seq(u64)`         | manual codes JSON        |
//! | `counts`    | `form 0 day 0 version(u32) location 0 channel 0 lang 0 step 0 last_question` | count (u64) |
//!
//! A response, its index record, its idempotency record, its alerts and the
//! `last` marker live in one tree so that one batch writes them atomically.
//! A response that failed a bot check (see [`flagged`]) is kept under its
//! own tag, so every scan of responses, records and exports passes it by
//! while its idempotency record still makes a retry count once.
//! `recorded` is written with `last` whenever the batch carries index
//! records, so when the two differ some response has none (a store written
//! before records existed, or by an older collector). `unrecorded` is set
//! then, and cleared once every response has its record.
//!
//! The funnel's counts (views, starts, leaves, completions) have a tree of
//! their own, written a batch a second: nothing in them says who, and they
//! never share a batch with a response. Their text parts are normalised
//! tags (see [`crate::model::CountKey`]) and never hold `0x00`.

/// Version of this layout; stored under `meta/schema` on first open.
/// Schema 2 keeps a response as its record and the rest; a schema 1
/// folder (responses as JSON) is taken up at open and its responses are
/// rewritten in the background, `uncompacted` marking the pass as due.
pub const SCHEMA_VERSION: u32 = 2;

/// The layout before responses were kept as record and rest.
pub const SCHEMA_JSON: u32 = 1;

pub use crate::model::ResponseId;
use crate::model::{CountKey, Step};

fn tagged(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + parts.iter().map(|p| p.len() + 1).sum::<usize>());
    k.push(tag);
    for p in parts {
        k.push(0);
        k.extend_from_slice(p);
    }
    k
}

/// `f 0 form 0 version`.
pub fn form(id: &str, version: u32) -> Vec<u8> {
    tagged(b'f', &[id.as_bytes(), &version.to_be_bytes()])
}

/// Prefix of every version of one form: `f 0 form 0`.
pub fn form_prefix(id: &str) -> Vec<u8> {
    let mut k = tagged(b'f', &[id.as_bytes()]);
    k.push(0);
    k
}

/// The form id and version of a forms-tree key.
pub fn parse_form(key: &[u8]) -> Option<(String, u32)> {
    let rest = key.strip_prefix(b"f\0")?;
    let (id, version) = rest.split_at(rest.len().checked_sub(5)?);
    let version = version.strip_prefix(b"\0")?;
    Some((
        String::from_utf8(id.to_vec()).ok()?,
        u32::from_be_bytes(version.try_into().ok()?),
    ))
}

/// `r 0 form 0 id`.
pub fn response(form: &str, id: ResponseId) -> Vec<u8> {
    tagged(b'r', &[form.as_bytes(), &id.to_bytes()])
}

/// Prefix of every response to one form.
pub fn response_prefix(form: &str) -> Vec<u8> {
    let mut k = tagged(b'r', &[form.as_bytes()]);
    k.push(0);
    k
}

/// The response id at the end of a response key.
pub fn response_id(key: &[u8]) -> Option<ResponseId> {
    ResponseId::from_bytes(key.get(key.len().checked_sub(16)?..)?)
}

/// `x 0 form 0 id`: the index record of a response.
pub fn record(form: &str, id: ResponseId) -> Vec<u8> {
    tagged(b'x', &[form.as_bytes(), &id.to_bytes()])
}

/// Prefix of every index record of one form.
pub fn record_prefix(form: &str) -> Vec<u8> {
    let mut k = tagged(b'x', &[form.as_bytes()]);
    k.push(0);
    k
}

/// `q 0 form 0 id`: a response kept aside because it failed a bot check
/// (honeypot, render token, too fast). Not counted, not exported; kept so
/// that a person mistaken for a bot is never thanked for nothing.
pub fn flagged(form: &str, id: ResponseId) -> Vec<u8> {
    tagged(b'q', &[form.as_bytes(), &id.to_bytes()])
}

/// Prefix of every flagged response to one form.
pub fn flagged_prefix(form: &str) -> Vec<u8> {
    let mut k = tagged(b'q', &[form.as_bytes()]);
    k.push(0);
    k
}

/// Prefix of every response key, all forms.
pub const RESPONSES: &[u8] = b"r\0";

/// The form id of a response key.
pub fn response_form(key: &[u8]) -> Option<&str> {
    let rest = key.strip_prefix(b"r\0")?;
    let form = rest.get(..rest.len().checked_sub(17)?)?;
    std::str::from_utf8(form).ok()
}

/// The key of the index record of the response stored under `response_key`.
pub fn record_of(response_key: &[u8]) -> Vec<u8> {
    let mut k = response_key.to_vec();
    if let Some(tag) = k.first_mut() {
        *tag = b'x';
    }
    k
}

/// `i 0 form 0 submission_id`.
pub fn idempotency(form: &str, submission_id: &str) -> Vec<u8> {
    tagged(b'i', &[form.as_bytes(), submission_id.as_bytes()])
}

/// `o 0 seq`: an alert not yet handed to its hooks.
pub fn outbox(seq: u64) -> Vec<u8> {
    tagged(b'o', &[&seq.to_be_bytes()])
}

/// Prefix of the outbox.
pub const OUTBOX: &[u8] = b"o\0";

/// `a 0 seq`: an alert, kept (the live feed resumes from it, cases list it).
pub fn alert(seq: u64) -> Vec<u8> {
    tagged(b'a', &[&seq.to_be_bytes()])
}

/// Prefix of the alert log.
pub const ALERTS: &[u8] = b"a\0";

/// The sequence number of an `a` or `o` key (`None` for the outbox keys
/// of an older layout, which carried the rule after it).
pub fn alert_seq(key: &[u8]) -> Option<u64> {
    if key.len() != 10 {
        return None;
    }
    Some(u64::from_be_bytes(key[2..10].try_into().ok()?))
}

/// `p 0 form 0 id`: a response's personal answers, kept apart from it.
pub fn personal(form: &str, id: ResponseId) -> Vec<u8> {
    tagged(b'p', &[form.as_bytes(), &id.to_bytes()])
}

/// Prefix of the personal answers to one form.
pub fn personal_prefix(form: &str) -> Vec<u8> {
    let mut k = tagged(b'p', &[form.as_bytes()]);
    k.push(0);
    k
}

/// `u 0 invitation`: the response that answered an invitation.
pub fn invitation_used(invitation: &str) -> Vec<u8> {
    tagged(b'u', &[invitation.as_bytes()])
}

/// `kind 0 key` in the `docs` tree.
pub fn doc(tag: u8, key: &str) -> Vec<u8> {
    tagged(tag, &[key.as_bytes()])
}

/// `c 0 form 0 id`: manual codes of one response (in the `codes` tree).
pub fn codes(form: &str, id: ResponseId) -> Vec<u8> {
    tagged(b'c', &[form.as_bytes(), &id.to_bytes()])
}

/// Prefix of every manual code of one form.
pub fn codes_prefix(form: &str) -> Vec<u8> {
    let mut k = tagged(b'c', &[form.as_bytes()]);
    k.push(0);
    k
}

/// `m 0 last`: the id of the last response written.
pub const LAST: &[u8] = b"m\0last";

/// `m 0 recorded`: the id of the last response written with an index
/// record, once every response before it has one.
pub const RECORDED: &[u8] = b"m\0recorded";

/// `m 0 unrecorded`: present while some response stored before the id it
/// holds may lack its index record.
pub const UNRECORDED: &[u8] = b"m\0unrecorded";

/// `m 0 uncompacted`: present while some response may still be kept as
/// JSON (a folder written before schema 2).
pub const UNCOMPACTED: &[u8] = b"m\0uncompacted";

/// `form 0 day 0 version location 0 channel 0 lang 0 step 0 last_question`
/// in the `counts` tree; `None` when a part holds `0x00` (no normalised
/// tag does) or the day is not `YYYY-MM-DD`.
pub fn count(k: &CountKey) -> Option<Vec<u8>> {
    let parts = [
        k.form.as_str(),
        k.location.as_str(),
        k.channel.as_str(),
        k.lang.as_str(),
        k.last_question.as_str(),
    ];
    if parts.iter().any(|p| p.contains('\0')) || k.day.len() != 10 || k.day.contains('\0') {
        return None;
    }
    let mut out = count_prefix(&k.form);
    out.extend_from_slice(k.day.as_bytes());
    out.push(0);
    out.extend_from_slice(&k.version.to_be_bytes());
    for p in [
        k.location.as_str(),
        k.channel.as_str(),
        k.lang.as_str(),
        k.step.name(),
    ] {
        out.extend_from_slice(p.as_bytes());
        out.push(0);
    }
    out.extend_from_slice(k.last_question.as_bytes());
    Some(out)
}

/// Prefix of every count of one form: `form 0`.
pub fn count_prefix(form: &str) -> Vec<u8> {
    let mut k = form.as_bytes().to_vec();
    k.push(0);
    k
}

/// The [`CountKey`] a `counts` key encodes.
pub fn parse_count(key: &[u8]) -> Option<CountKey> {
    let at = key.iter().position(|b| *b == 0)?;
    let (form, rest) = (&key[..at], &key[at + 1..]);
    let day = rest.get(..10)?;
    if rest.get(10) != Some(&0) {
        return None;
    }
    let version = u32::from_be_bytes(rest.get(11..15)?.try_into().ok()?);
    let text = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
    let mut parts = rest.get(15..)?.splitn(5, |b| *b == 0);
    let mut next = || parts.next().and_then(text);
    let (location, channel, lang, step, last_question) =
        (next()?, next()?, next()?, next()?, next()?);
    Some(CountKey {
        form: text(form)?,
        version,
        day: text(day)?,
        location,
        channel,
        lang,
        step: Step::parse(&step)?,
        last_question,
    })
}

/// `schema` in the meta tree.
pub const SCHEMA: &[u8] = b"schema";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_in_arrival_order_as_bytes_and_text() {
        let a = ResponseId {
            ms: 1_700_000_000_000,
            seq: 9,
        };
        let b = ResponseId {
            ms: 1_700_000_000_000,
            seq: 10,
        };
        let c = ResponseId {
            ms: 1_700_000_000_001,
            seq: 11,
        };
        assert!(response("f", a) < response("f", b) && response("f", b) < response("f", c));
        assert!(a.to_string() < b.to_string() && b.to_string() < c.to_string());
        assert_eq!(ResponseId::parse(&c.to_string()), Some(c));
        assert_eq!(response_id(&response("form", c)), Some(c));
        assert_eq!(record_of(&response("form", c)), record("form", c));
        assert_eq!(response_form(&response("a-form", c)), Some("a-form"));
        assert!(record("form", c).starts_with(&record_prefix("form")));
        assert!(response("form", c).starts_with(RESPONSES));
    }

    #[test]
    fn form_keys_round_trip_and_do_not_collide_across_ids() {
        assert_eq!(
            parse_form(&form("street-feedback", 3)),
            Some(("street-feedback".into(), 3))
        );
        // "a" must not be a prefix match for "ab".
        assert!(!form("ab", 1).starts_with(&form_prefix("a")));
        assert!(!response("ab", ResponseId { ms: 1, seq: 1 }).starts_with(&response_prefix("a")));
    }

    #[test]
    fn count_keys_round_trip_and_keep_to_their_form() {
        let k = CountKey {
            form: "street-feedback".into(),
            version: 256,
            day: "2025-06-01".into(),
            location: String::new(),
            channel: "qr".into(),
            lang: "pl".into(),
            step: Step::Leave,
            last_question: "comment".into(),
        };
        let bytes = count(&k).unwrap();
        assert_eq!(parse_count(&bytes), Some(k.clone()));
        assert!(bytes.starts_with(&count_prefix("street-feedback")));
        assert!(!bytes.starts_with(&count_prefix("street")));
        let mut bad = k;
        bad.channel = "a\0b".into();
        assert_eq!(count(&bad), None);
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for s in ["", "zz", "0123", &"g".repeat(32)] {
            assert_eq!(ResponseId::parse(s), None);
        }
    }
}
