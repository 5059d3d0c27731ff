//! Invitations for victims: an admin uploads rows of case attributes (the
//! team, the crime category, how it was reported, the report's date; never
//! a name, a phone number or a crime reference), and each row becomes one
//! link to the form that carries them into the response, once.
//!
//! ```text
//! rows ─► check attributes ─► Invitation doc + signed key ─► /f/{form}?i=KEY
//! GET  /f/{form}?i=KEY  ─► verify, note when first opened
//! POST (either way)     ─► verify ─► response carries the attributes; the
//!                          store takes one response per invitation
//! summary               ─► sent / opened / answered by team, category or week
//! ```
//!
//! A key is `ID.SIG`: ID is 128 random bits (unguessable), SIG an
//! HMAC-SHA256 of the form and ID under this deployment's invitation key
//! (made at first use and kept in the store, so links outlive restarts). A
//! key that was altered, or made for another form, is refused before any
//! lookup.

use crate::error::{Error, Result};
use crate::model::now_ms;
use crate::store::{Doc, Store};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Attributes an invitation may carry unless the deployment names others.
pub const DEFAULT_ATTRIBUTES: [&str; 4] = ["team", "category", "reported_via", "reported_on"];

/// Days a link works unless the upload says otherwise.
pub const DEFAULT_DAYS: u32 = 28;

/// Longest value an attribute may hold.
const MAX_VALUE: usize = 64;

/// The key of the deployment's invitation secret among the store's docs.
const SECRET: &str = "invitation-key";

/// One invitation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    /// Its id (the unguessable half of the key).
    pub id: String,
    /// The form it invites to.
    pub form: String,
    /// Case attributes.
    pub attributes: BTreeMap<String, String>,
    /// When it was made (sent), ms since the Unix epoch.
    pub created_ms: u64,
    /// After this the link is refused.
    pub expires_ms: u64,
    /// When the link was first opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_ms: Option<u64>,
}

/// A new invitation: its link's key (shown once in the upload's answer,
/// and recomputable by an admin for its QR code) and expiry.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    /// The invitation's id.
    pub id: String,
    /// What goes in the link's `i`.
    pub key: String,
    /// When it stops working, ms since the Unix epoch.
    pub expires_ms: u64,
}

/// One problem with an uploaded row: `field` is `rows[3].team` and so on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowProblem {
    /// Where.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Checks every row (all problems, not the first), then makes one
/// invitation per row valid for `days`. Nothing is stored if any row is
/// wrong.
pub fn issue(
    store: &dyn Store,
    form: &str,
    rows: &[BTreeMap<String, String>],
    allowed: &[String],
    days: u32,
) -> Result<std::result::Result<Vec<Issued>, Vec<RowProblem>>> {
    let mut problems = Vec::new();
    if rows.is_empty() {
        problems.push(RowProblem {
            field: "rows".into(),
            message: "send at least one row".into(),
        });
    }
    for (i, row) in rows.iter().enumerate() {
        for (k, v) in row {
            if let Some(message) = check_attribute(k, v, allowed) {
                problems.push(RowProblem {
                    field: format!("rows[{i}].{k}"),
                    message,
                });
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let secret = super::secrets::named(store, SECRET)?;
    let now = now_ms();
    let expires_ms = now + u64::from(days) * 86_400_000;
    let mut out = Vec::with_capacity(rows.len());
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let id = random_id()?;
        let inv = Invitation {
            id: id.clone(),
            form: form.to_owned(),
            attributes: row
                .iter()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.clone(), v.trim().to_owned()))
                .collect(),
            created_ms: now,
            expires_ms,
            opened_ms: None,
        };
        records.push((id.clone(), to_json(&inv)?));
        out.push(Issued {
            key: key_for(&secret, form, &id),
            id,
            expires_ms,
        });
    }
    store.put_docs(Doc::Invitation, &records)?;
    Ok(Ok(out))
}

/// Why an attribute cannot be carried, if it cannot: not one the
/// deployment allows, too long, or shaped like personal data (a phone
/// number, an email address, a crime reference), which an invitation must
/// never carry.
fn check_attribute(name: &str, value: &str, allowed: &[String]) -> Option<String> {
    if !allowed.iter().any(|a| a == name) {
        return Some(format!(
            "'{name}' is not an attribute this deployment takes (it takes {}); names, phone numbers and crime references never go in an invitation",
            allowed.join(", ")
        ));
    }
    let value = value.trim();
    if value.chars().count() > MAX_VALUE {
        return Some(format!("at most {MAX_VALUE} characters"));
    }
    if value.contains('@') {
        return Some(
            "looks like an email address; an invitation carries no contact details".into(),
        );
    }
    let longest_digits = value
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    let digits = value.chars().filter(char::is_ascii_digit).count();
    if name != "reported_on" && (longest_digits >= 6 || digits >= 9) {
        return Some(
            "looks like a phone number or a crime reference; an invitation carries neither".into(),
        );
    }
    if name == "reported_on" && !value.is_empty() && parse_date(value).is_none() {
        return Some("a date as YYYY-MM-DD".into());
    }
    None
}

fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// The link key of invitation `id` to `form`.
pub fn key(store: &dyn Store, form: &str, id: &str) -> Result<String> {
    Ok(key_for(&super::secrets::named(store, SECRET)?, form, id))
}

fn key_for(secret: &[u8], form: &str, id: &str) -> String {
    format!(
        "{id}.{}",
        URL_SAFE_NO_PAD.encode(&sign(secret, form, id)[..16])
    )
}

fn sign(secret: &[u8], form: &str, id: &str) -> [u8; 32] {
    // new_from_slice takes a key of any length.
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(form.as_bytes());
    mac.update(&[0]);
    mac.update(id.as_bytes());
    mac.finalize().into_bytes().into()
}

/// What became of a link that was opened or answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// It works: here is its invitation.
    Open(Invitation),
    /// A response already answered it.
    Answered(Invitation),
    /// It expired.
    Expired,
    /// Not a key this deployment made for this form.
    Unknown,
}

/// Checks a link's key for `form`, and notes when it was first opened.
pub fn open(store: &dyn Store, form: &str, key: &str) -> Result<Lookup> {
    let found = lookup(store, form, key)?;
    if let Lookup::Open(inv) = &found {
        if inv.opened_ms.is_none() {
            let mut opened = inv.clone();
            opened.opened_ms = Some(now_ms());
            store.put_doc(Doc::Invitation, &inv.id, &to_json(&opened)?)?;
        }
    }
    Ok(found)
}

/// Checks a link's key for `form` without noting anything.
pub fn lookup(store: &dyn Store, form: &str, key: &str) -> Result<Lookup> {
    let Some((id, sig)) = key.split_once('.') else {
        return Ok(Lookup::Unknown);
    };
    // No key yet means no invitation was ever made: nothing to check, and
    // nothing to write for a link someone made up.
    let Some(secret) = super::secrets::existing(store, SECRET)? else {
        return Ok(Lookup::Unknown);
    };
    let expected = URL_SAFE_NO_PAD.encode(&sign(&secret, form, id)[..16]);
    // Compared in constant time: the signature must not be learnt a byte
    // at a time.
    if !constant_eq(expected.as_bytes(), sig.as_bytes()) {
        return Ok(Lookup::Unknown);
    }
    let Some(v) = store.get_doc(Doc::Invitation, id)? else {
        return Ok(Lookup::Unknown);
    };
    let inv: Invitation = serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
    if inv.form != form {
        return Ok(Lookup::Unknown);
    }
    if store.invitation_answer(id)?.is_some() {
        return Ok(Lookup::Answered(inv));
    }
    if now_ms() >= inv.expires_ms {
        return Ok(Lookup::Expired);
    }
    Ok(Lookup::Open(inv))
}

/// The invitation a response through `key` answers, or why it cannot.
pub fn for_response(store: &dyn Store, form: &str, key: &str) -> Result<Invitation> {
    match lookup(store, form, key)? {
        Lookup::Open(inv) => {
            // A person who answers without the page having noted the open
            // (the JSON API, a cached page) has opened it too.
            if inv.opened_ms.is_none() {
                let mut opened = inv.clone();
                opened.opened_ms = Some(now_ms());
                store.put_doc(Doc::Invitation, &inv.id, &to_json(&opened)?)?;
            }
            Ok(inv)
        }
        // The store tells a retry of the response that answered it (the
        // same submission id: the same response again) from a second
        // response (refused), atomically with its write.
        Lookup::Answered(inv) => Ok(inv),
        Lookup::Expired => Err(Error::Gone(
            "this invitation has expired; nothing was stored".into(),
        )),
        Lookup::Unknown => Err(Error::Gone(
            "this invitation link is not valid for this form; nothing was stored".into(),
        )),
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How invitations are grouped in a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The `team` attribute.
    Team,
    /// The `category` attribute.
    Category,
    /// The ISO week it was sent (`2026-W48`).
    Week,
}

/// Sent, opened and answered invitations of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// The team, category or week (`_none` when the attribute is absent).
    pub group: String,
    /// Invitations made.
    pub sent: u64,
    /// Of those, opened at least once.
    pub opened: u64,
    /// Of those, answered.
    pub answered: u64,
}

/// Exact response rates of `form`'s invitations, by `by`, keeping only
/// the rows `keep` allows (a supervisor's teams).
pub fn summary(
    store: &dyn Store,
    form: &str,
    by: By,
    keep: &dyn Fn(&Invitation) -> bool,
) -> Result<Vec<Rate>> {
    let mut groups: BTreeMap<String, Rate> = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.docs(Doc::Invitation, after.as_deref(), 1000)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        for (id, v) in page {
            let inv: Invitation =
                serde_json::from_slice(&v).map_err(|e| Error::Corrupt(e.to_string()))?;
            if inv.form != form || !keep(&inv) {
                continue;
            }
            let group = match by {
                By::Team => inv.attributes.get("team").cloned(),
                By::Category => inv.attributes.get("category").cloned(),
                By::Week => iso_week(inv.created_ms),
            }
            .unwrap_or_else(|| "_none".into());
            let answered = store.invitation_answer(&id)?.is_some();
            let rate = groups.entry(group.clone()).or_insert(Rate {
                group,
                sent: 0,
                opened: 0,
                answered: 0,
            });
            rate.sent += 1;
            rate.opened += u64::from(inv.opened_ms.is_some() || answered);
            rate.answered += u64::from(answered);
        }
    }
    Ok(groups.into_values().collect())
}

/// `2026-W48`: the ISO week of a time.
pub fn iso_week(ms: u64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(ms / 1000).ok()?).ok()?;
    let (year, week, _) = t.date().to_iso_week_date();
    Some(format!("{year}-W{week:02}"))
}

/// The deployment's invitation key, made on first use.
fn random_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        DEFAULT_ATTRIBUTES.map(String::from).to_vec()
    }

    #[test]
    fn personal_data_and_unknown_attributes_are_refused_with_the_field() {
        let a = allowed();
        assert!(check_attribute("team", "East response", &a).is_none());
        assert!(check_attribute("category", "theft from person", &a).is_none());
        assert!(check_attribute("reported_on", "2026-11-30", &a).is_none());
        assert!(check_attribute("name", "Jo Bloggs", &a).is_some());
        assert!(check_attribute("team", "07700 900123", &a).is_some());
        assert!(check_attribute("category", "CAD 1234567/26", &a).is_some());
        assert!(check_attribute("team", "jo@example.org", &a).is_some());
        assert!(check_attribute("reported_on", "30/11/2026", &a).is_some());
        assert!(check_attribute("team", &"x".repeat(65), &a).is_some());
    }

    #[test]
    fn a_key_is_bound_to_its_form_and_id() {
        let k = key_for(b"secret", "victim-satisfaction", "abc");
        assert_eq!(k, key_for(b"secret", "victim-satisfaction", "abc"));
        assert_ne!(k, key_for(b"secret", "street-feedback", "abc"));
        assert_ne!(k, key_for(b"other", "victim-satisfaction", "abc"));
        assert!(k.starts_with("abc."));
    }

    #[test]
    fn weeks_are_iso_weeks() {
        // 2026-11-30 is a Monday, week 49 of 2026; 2027-01-01 is in 2026-W53.
        assert_eq!(iso_week(1_795_996_800_000).as_deref(), Some("2026-W49"));
        assert_eq!(iso_week(1_798_761_600_000).as_deref(), Some("2026-W53"));
    }
}
