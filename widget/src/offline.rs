//! Answers that could not be sent for lack of network wait in
//! `localStorage` (no cookies) and go out when the connection returns or
//! the widget next opens. Each keeps its submission id, so a resend that
//! crosses a slow first attempt is still stored once.
//!
//! The person was told their answers would be sent, so answers the
//! collector then refuses (the form changed while they waited) are not
//! dropped: they move to a second list, and the form's widget puts them
//! back on screen, saying why, for the person to check and send again.

use crate::api::{self, Closed, Posted};

/// The `localStorage` key of the outbox.
pub const KEY: &str = "community-feedback-outbox-v1";
/// The `localStorage` key of answers the collector refused when they went
/// out, kept until they are sent from the form again.
pub const RETURNED: &str = "community-feedback-returned-v1";

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

fn load(key: &str) -> Vec<Pending> {
    let stored = storage().and_then(|s| s.get_item(key).ok()?);
    parse(stored.as_deref())
}

fn save(key: &str, queue: &[Pending]) -> bool {
    let Some(s) = storage() else { return false };
    if queue.is_empty() {
        return s.remove_item(key).is_ok();
    }
    s.set_item(key, &format(queue)).is_ok()
}

/// Keeps a submission for later; false when the browser would not store it.
pub fn keep(p: Pending) -> bool {
    save(KEY, &add(load(KEY), p))
}

/// Takes the submission with this id out of list `key`, read afresh:
/// another widget on the page may have changed it meanwhile.
fn remove(key: &str, id: &str) {
    let mut q = load(key);
    q.retain(|x| x.id != id);
    save(key, &q);
}

/// The latest refused submission to `form` at `origin`, if any: its
/// answers go back on screen (answers sent again and refused again are
/// the latest, see [`put_back`]).
pub fn returned(origin: &str, form: &str) -> Option<Pending> {
    load(RETURNED)
        .into_iter()
        .rfind(|p| p.origin == origin && p.form == form)
}

/// Keeps refused answers to be put back on the form; false when the
/// browser would not store them.
pub fn put_back(p: Pending) -> bool {
    let mut q = load(RETURNED);
    // Sent again and refused again: the answers as last sent.
    q.retain(|x| x.id != p.id);
    q.push(p);
    save(RETURNED, &q)
}

/// Whether answers with this submission id came back refused.
pub fn returned_has(id: &str) -> bool {
    load(RETURNED).iter().any(|p| p.id == id)
}

/// Forgets a refused submission once its answers went again.
pub fn forget_returned(id: &str) {
    remove(RETURNED, id);
}

/// What [`flush`] did with the submissions waiting for one origin.
#[derive(Debug, Default, PartialEq)]
pub struct Flushed {
    /// Ids now stored.
    pub stored: Vec<String>,
    /// Ids the collector refused, moved to the [`RETURNED`] list.
    pub returned: Vec<String>,
    /// Ids whose invitation link took no answer (dropped: no resend can
    /// succeed).
    pub closed: Vec<(String, Closed)>,
}

/// Sends what waits for `origin`.
///
/// Entries the collector refuses outright move to the [`RETURNED`] list
/// (sent again unchanged they can never succeed); the rest stay for the
/// next try.
pub async fn flush(origin: &str) -> Flushed {
    let mut out = Flushed::default();
    for p in load(KEY).into_iter().filter(|p| p.origin == origin) {
        match api::post(&p.origin, &p.form, &p.body).await {
            Posted::Stored => out.stored.push(p.id.clone()),
            Posted::Rejected(_) => {
                // Kept before it leaves the outbox: a stop between the two
                // sends it again rather than losing it.
                if put_back(p.clone()) {
                    out.returned.push(p.id.clone());
                    remove(KEY, &p.id);
                }
            }
            Posted::Closed(c) => {
                out.closed.push((p.id.clone(), c));
                remove(KEY, &p.id);
            }
            Posted::Offline => break,
            Posted::Failed => {}
        }
    }
    for id in &out.stored {
        remove(KEY, id);
    }
    out
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
