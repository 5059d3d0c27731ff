//! Alert webhooks: hooks that admins make, list and delete; the delivery
//! records the worker keeps; dead letters and their replay. Deliveries
//! follow the Standard Webhooks specification ([`sign`], [`payload`]) and
//! are made by [`worker`], with the retry schedule of [`retry`], to
//! addresses [`guard`] allows.
//!
//! ```text
//! admin ─► create(url, forms, teams, events, include_text) ─► guard::check_url ─► Doc::Hook (secret shown once)
//! outbox ─► worker::fan_out ─► Doc::Delivery per matching hook ─► worker: POST, signed ─► delivered | retry | dead
//! admin ─► deliveries(state=dead) ─► replay ─► pending again ─► Feed::requeue ─► worker
//! ```

pub mod guard;
pub mod payload;
pub mod retry;
pub mod sign;
pub mod worker;

use super::alerts::Feed;
use crate::model::{now_ms, Delivery, DeliveryState, Event, Hook};
use crate::store::{Doc, Store};

/// Longest URL a hook may have.
const MAX_URL: usize = 2048;

/// What an admin asks for.
#[derive(Debug, Clone, Default)]
pub struct NewHook {
    /// Where deliveries go.
    pub url: String,
    /// Forms whose alerts it takes; empty: all.
    pub forms: Vec<String>,
    /// Teams whose alerts it takes; empty: all.
    pub teams: Vec<String>,
    /// Event names (`alert`, `safeguarding`); empty: `alert`.
    pub events: Vec<String>,
    /// Whether deliveries carry the response's free text.
    pub include_text: bool,
}

/// Why a hook, or a replay, was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of the request is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// No such hook or delivery.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with what is there.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// Stored data could not be read, or random bytes could not be had.
    #[error("{0}")]
    Internal(String),
}

fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid {
        field,
        message: message.into(),
    }
}

/// Parses event names; none means `alert`.
fn events(names: &[String]) -> Result<Vec<Event>, Error> {
    if names.is_empty() {
        return Ok(vec![Event::Alert]);
    }
    let mut out = Vec::new();
    for n in names {
        let e = match n.as_str() {
            "alert" => Event::Alert,
            "safeguarding" => Event::Safeguarding,
            other => {
                return Err(invalid(
                    "events",
                    format!("'{other}' is not an event; use alert and/or safeguarding"),
                ))
            }
        };
        if !out.contains(&e) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Makes a hook: checks its URL (scheme, and no private address unless
/// `allow_private`), its forms (published ones) and events, gives it a
/// new secret, and stores it.
pub async fn create(store: &dyn Store, new: NewHook, allow_private: bool) -> Result<Hook, Error> {
    let url = new.url.trim();
    if url.is_empty() || url.len() > MAX_URL {
        return Err(invalid(
            "url",
            format!("give the receiver's http or https URL, at most {MAX_URL} characters"),
        ));
    }
    let parsed = guard::check_url(url, allow_private)
        .await
        .map_err(|e| invalid("url", e.0))?;
    for f in &new.forms {
        if store.form(f).is_none() {
            return Err(invalid("forms", format!("no form '{f}' is published")));
        }
    }
    if new.teams.iter().any(|t| t.trim().is_empty()) {
        return Err(invalid("teams", "a team name may not be empty"));
    }
    let events = events(&new.events)?;
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).map_err(|e| Error::Internal(e.to_string()))?;
    let hook = Hook {
        id: hex::encode(id),
        url: parsed.to_string(),
        forms: new.forms,
        teams: new.teams,
        events,
        include_text: new.include_text,
        secret: sign::new_secret().map_err(|e| Error::Internal(e.to_string()))?,
        created_ms: now_ms(),
    };
    put(store, Doc::Hook, &hook.id, &hook)?;
    Ok(hook)
}

/// Every hook, in id order.
pub fn list(store: &dyn Store) -> Result<Vec<Hook>, Error> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.docs(Doc::Hook, after.as_deref(), 500)?;
        let Some((last, _)) = page.last() else {
            return Ok(out);
        };
        after = Some(last.clone());
        for (_, v) in page {
            out.push(parse(&v)?);
        }
    }
}

/// One hook.
pub fn hook(store: &dyn Store, id: &str) -> Result<Option<Hook>, Error> {
    store.get_doc(Doc::Hook, id)?.map(|v| parse(&v)).transpose()
}

/// Deletes a hook; whether there was one. Its deliveries stay, for the
/// record; those still pending are dead at their next attempt.
pub fn delete(store: &dyn Store, id: &str) -> Result<bool, Error> {
    Ok(store.remove_doc(Doc::Hook, id)?)
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this hook's.
    pub hook: Option<String>,
    /// Only in this state.
    pub state: Option<DeliveryState>,
}

/// Deliveries matching `filter` after the one with id `after`, oldest
/// alert first, at most `limit`, with their ids.
pub fn deliveries(
    store: &dyn Store,
    filter: &Filter,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Delivery)>, Error> {
    let mut out = Vec::new();
    let mut cursor = after.map(str::to_owned);
    loop {
        let page = store.docs(Doc::Delivery, cursor.as_deref(), 500)?;
        let Some((last, _)) = page.last() else {
            return Ok(out);
        };
        cursor = Some(last.clone());
        for (k, v) in page {
            let d: Delivery = parse(&v)?;
            if filter.hook.as_ref().is_some_and(|h| *h != d.hook)
                || filter.state.is_some_and(|s| s != d.state)
            {
                continue;
            }
            out.push((k, d));
            if out.len() == limit {
                return Ok(out);
            }
        }
    }
}

/// One delivery.
pub fn delivery(store: &dyn Store, id: &str) -> Result<Option<Delivery>, Error> {
    store
        .get_doc(Doc::Delivery, id)?
        .map(|v| parse(&v))
        .transpose()
}

/// Sends a dead (or delivered) delivery again: a fresh round of attempts,
/// the first at once. Refused for one still pending, or whose hook is gone.
pub fn replay(store: &dyn Store, feed: &Feed, id: &str) -> Result<Delivery, Error> {
    let mut d =
        delivery(store, id)?.ok_or_else(|| Error::NotFound(format!("no delivery '{id}'")))?;
    if d.state == DeliveryState::Pending {
        return Err(Error::Conflict(format!(
            "delivery '{id}' is still pending; its next attempt is due at {}",
            crate::model::rfc3339(d.next_ms).unwrap_or_default()
        )));
    }
    if hook(store, &d.hook)?.is_none() {
        return Err(Error::Conflict(format!(
            "the hook '{}' of delivery '{id}' was deleted",
            d.hook
        )));
    }
    d.state = DeliveryState::Pending;
    d.attempts = 0;
    d.next_ms = now_ms();
    d.replays += 1;
    put(store, Doc::Delivery, id, &d)?;
    feed.requeue(id.to_owned());
    Ok(d)
}

fn put<T: serde::Serialize>(store: &dyn Store, kind: Doc, key: &str, v: &T) -> Result<(), Error> {
    let bytes = serde_json::to_vec(v).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(store.put_doc(kind, key, &bytes)?)
}

fn parse<T: serde::de::DeserializeOwned>(v: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(v).map_err(|e| Error::Internal(format!("stored record: {e}")))
}
