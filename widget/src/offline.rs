//! Answers that could not be sent for lack of network wait in
//! `localStorage` (no cookies) and go out when the connection returns or
//! the widget next opens. Each keeps its submission id, so a resend that
//! crosses a slow first attempt is still stored once.

use crate::api::{self, Posted};

/// The `localStorage` key of the outbox.
pub const KEY: &str = "community-feedback-outbox-v1";

/// One submission waiting to be sent.
#[derive(Debug, Clone, PartialEq)]
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

/// Parses the stored outbox: one submission a line, its fields separated
/// by tabs (compact JSON has neither). Unreadable lines are skipped.
pub fn parse(stored: Option<&str>) -> Vec<Pending> {
    let Some(stored) = stored else {
        return Vec::new();
    };
    stored
        .lines()
        .filter_map(|line| {
            let mut f = line.splitn(4, '\t');
            let (origin, form, id, body) = (f.next()?, f.next()?, f.next()?, f.next()?);
            if !body.starts_with('{') {
                return None;
            }
            Some(Pending {
                origin: origin.into(),
                form: form.into(),
                id: id.into(),
                body: body.into(),
            })
        })
        .collect()
}

/// The stored form of an outbox, as [`parse`] reads it.
pub fn format(queue: &[Pending]) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    queue
        .iter()
        .map(|p| {
            [
                clean(&p.origin),
                clean(&p.form),
                clean(&p.id),
                clean(&p.body),
            ]
            .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
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
    s.set_item(KEY, &format(queue)).is_ok()
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
            Posted::Rejected(_) | Posted::Closed(_) => {
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
        // Compact JSON escapes tabs and newlines, so a body never splits a line.
        let body = serde_json::json!({"comment": "two\tlines\nhere"}).to_string();
        let q = add(q, Pending { body, ..p("b") });
        assert_eq!(parse(Some(&format(&q))), q);
    }

    #[test]
    fn unreadable_storage_is_an_empty_outbox() {
        assert!(parse(Some("{not json")).is_empty());
        assert!(parse(Some("a\tb\tc\tnot json")).is_empty());
        assert!(parse(None).is_empty());
    }
}
