//! Answers that could not be sent for lack of network wait in
//! `localStorage` (no cookies) and go out when the connection returns or
//! the widget next opens. Each keeps its submission id, so a resend that
//! crosses a slow first attempt is still stored once.

use crate::api::{self, Posted};
use serde::{Deserialize, Serialize};

/// The `localStorage` key of the outbox.
pub const KEY: &str = "community-feedback-outbox-v1";

/// One submission waiting to be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// Collector origin it goes to.
    pub origin: String,
    /// Form id.
    pub form: String,
    /// Its submission id, to recognise it.
    pub id: String,
    /// The JSON body, exactly as first sent.
    pub body: String,
}

/// Parses the stored outbox; anything unreadable counts as empty.
pub fn parse(stored: Option<&str>) -> Vec<Pending> {
    stored
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// Adds `p` unless a submission with its id is already waiting.
pub fn add(mut queue: Vec<Pending>, p: Pending) -> Vec<Pending> {
    if !queue.iter().any(|q| q.id == p.id) {
        queue.push(p);
    }
    queue
}

fn storage() -> Option<web_sys::Storage> {
    // Storage can be switched off or throw (privacy modes): then nothing is kept.
    web_sys::window()?.local_storage().ok()?
}

fn load() -> Vec<Pending> {
    let stored = storage().and_then(|s| s.get_item(KEY).ok()?);
    parse(stored.as_deref())
}

fn save(queue: &[Pending]) -> bool {
    let Some(s) = storage() else { return false };
    if queue.is_empty() {
        return s.remove_item(KEY).is_ok();
    }
    match serde_json::to_string(queue) {
        Ok(json) => s.set_item(KEY, &json).is_ok(),
        Err(_) => false,
    }
}

/// Keeps a submission for later; false when the browser would not store it.
pub fn keep(p: Pending) -> bool {
    save(&add(load(), p))
}

/// Whether a submission with this id is still waiting.
pub fn is_waiting(id: &str) -> bool {
    load().iter().any(|p| p.id == id)
}

/// Sends what waits for `origin`; returns the ids now stored.
///
/// Entries the collector refuses outright are dropped (they can never
/// succeed); the rest stay for the next try.
pub async fn flush(origin: &str) -> Vec<String> {
    let mut done = Vec::new();
    for p in load().into_iter().filter(|p| p.origin == origin) {
        match api::post(&p.origin, &p.form, &p.body).await {
            Posted::Stored => done.push(p.id.clone()),
            Posted::Rejected(_) => {
                let mut q = load();
                q.retain(|x| x.id != p.id);
                save(&q);
            }
            Posted::Offline => break,
            Posted::Failed => {}
        }
    }
    if !done.is_empty() {
        // Re-read: another widget on the page may have changed the outbox meanwhile.
        let mut q = load();
        q.retain(|x| !done.contains(&x.id));
        save(&q);
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: &str) -> Pending {
        Pending {
            origin: "http://c".into(),
            form: "f".into(),
            id: id.into(),
            body: "{}".into(),
        }
    }

    #[test]
    fn the_same_submission_waits_once() {
        let q = add(add(Vec::new(), p("a")), p("a"));
        assert_eq!(q.len(), 1);
        let q = add(q, p("b"));
        let json = serde_json::to_string(&q).unwrap();
        assert_eq!(parse(Some(&json)), q);
    }

    #[test]
    fn unreadable_storage_is_an_empty_outbox() {
        assert!(parse(Some("{not json")).is_empty());
        assert!(parse(None).is_empty());
    }
}
