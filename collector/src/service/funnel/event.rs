//! An event as it is counted: the browser's `view`, `start` and `leave`
//! checked against the form version it names, its tags made safe with
//! [`crate::service::tags`] (an unknown place is kept as `unknown`, never
//! refused); the hosted page's own `view`; and a stored response's
//! `complete`.

use crate::error::{Error, Result};
use crate::model::{day_of, CountKey, NewResponse, Register, Step};
use crate::service::tags;
use crate::store::{Published, Store};
use serde_json::Value;
use survey::Form;

fn unprocessable(field: &str, message: impl Into<String>) -> Error {
    Error::Unprocessable {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The count a browser's event adds to: `body` is
/// `{"form","version","event","last_question"?,"location"?,"channel"?,"lang"?}`
/// for `published`, the current version of the form it names. Received
/// at `now_ms`.
///
/// Refused (422, naming the field): a version the form never had, an
/// event other than `view`, `start` or `leave` (`complete` included: the
/// collector counts completions from the responses it stores), a
/// `last_question` that is not a question of that version, and a `leave`
/// without one.
pub fn key(
    store: &dyn Store,
    register: &Register,
    published: &Published,
    body: &Value,
    now_ms: u64,
) -> Result<CountKey> {
    let current = &published.form;
    let version = body
        .get("version")
        .and_then(Value::as_u64)
        .and_then(|v| u32::try_from(v).ok())
        .filter(|v| *v >= 1)
        .ok_or_else(|| {
            unprocessable(
                "version",
                "version must be the form version shown, a whole number from 1",
            )
        })?;
    let older;
    let form = if version == current.version {
        current
    } else {
        older = (version < current.version)
            .then(|| store.form_versions(&current.id))
            .transpose()?
            .and_then(|all| all.into_iter().find(|f| f.version == version))
            .ok_or_else(|| {
                unprocessable(
                    "version",
                    format!("form '{}' has no version {version}", current.id),
                )
            })?;
        &older
    };
    let step =
        match body.get("event").and_then(Value::as_str) {
            Some("complete") => return Err(unprocessable(
                "event",
                "completions are not sent: the collector counts them from the responses it stores",
            )),
            Some(name) => Step::parse(name).filter(|s| *s != Step::Complete),
            None => None,
        }
        .ok_or_else(|| unprocessable("event", "event must be view, start or leave"))?;
    let last_question = match body.get("last_question") {
        None | Some(Value::Null) => None,
        Some(Value::String(q)) if form.question(q).is_some() => Some(q.clone()),
        Some(_) => {
            return Err(unprocessable(
                "last_question",
                format!(
                    "last_question must be a question of form '{}' version {version}",
                    form.id
                ),
            ))
        }
    };
    let last_question = match (step, last_question) {
        (Step::Leave, None) => {
            return Err(unprocessable(
                "last_question",
                "a leave names the furthest question answered",
            ))
        }
        (Step::Leave, Some(q)) => q,
        // Only where people stopped is counted by question.
        _ => String::new(),
    };
    let location = match body.get("location") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => tags::place(register, current, Some(s.clone())),
        Some(_) => Some(survey::UNKNOWN_PLACE.to_owned()),
    };
    let channel = match body.get("channel") {
        None | Some(Value::Null) => "link".to_owned(),
        Some(Value::String(s)) => tags::channel(s),
        Some(other) => tags::channel(&other.to_string()),
    };
    let lang = body.get("lang").and_then(Value::as_str).unwrap_or("");
    Ok(CountKey {
        form: form.id.clone(),
        version,
        day: day_of(now_ms),
        location: location.unwrap_or_default(),
        channel,
        lang: form.pick_lang(lang).to_owned(),
        step,
        last_question,
    })
}

/// The `view` of a page the collector rendered itself (the hosted page),
/// with its tags as the page keeps them.
pub fn view(
    form: &Form,
    location: Option<&str>,
    channel: &str,
    lang: &str,
    now_ms: u64,
) -> CountKey {
    CountKey {
        form: form.id.clone(),
        version: form.version,
        day: day_of(now_ms),
        location: location.unwrap_or_default().to_owned(),
        channel: channel.to_owned(),
        lang: lang.to_owned(),
        step: Step::View,
        last_question: String::new(),
    }
}

/// The `complete` of a response to `form` stored at `received_ms`: it
/// reached the form's last question.
pub fn completion(form: &Form, response: &NewResponse, received_ms: u64) -> CountKey {
    // On a "one question a scan" page the last question is the one asked.
    let asked = form.one_question.as_ref().and_then(|set| {
        set.questions
            .iter()
            .find(|q| response.answers.contains_key(q.as_str()))
    });
    CountKey {
        form: form.id.clone(),
        version: response.version,
        day: day_of(received_ms),
        location: response.location.clone().unwrap_or_default(),
        channel: response.channel.clone(),
        lang: response.lang.clone(),
        step: Step::Complete,
        last_question: asked
            .or_else(|| form.questions.last().map(|q| &q.id))
            .cloned()
            .unwrap_or_default(),
    }
}

/// The start a stored response implies where no script could say it
/// started: a page's own form post (JavaScript off, or a "one question a
/// scan" page, which has no script: its one tap is the start and the end).
pub fn implied_start(completion: &CountKey) -> CountKey {
    CountKey {
        step: Step::Start,
        ..completion.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;
    use serde_json::json;

    fn form(questions: serde_json::Value) -> Form {
        Form::from_value(&json!({
            "id": "f", "title": {"en": "T", "pl": "T"}, "default_lang": "en", "languages": ["en", "pl"],
            "privacy_notice": {"en": "P", "pl": "P"}, "not_for_reporting": {"en": "N", "pl": "N"},
            "places": [{"id": "bank", "name": "Bank"}],
            "questions": questions
        }))
        .unwrap()
    }

    fn field(r: Result<CountKey>) -> String {
        match r {
            Err(Error::Unprocessable { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    /// Guards events from a page opened before a new version was
    /// published: they name the version they showed, and are checked
    /// against it, not against the current one.
    #[test]
    fn an_event_is_checked_against_the_version_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let scale = |id: &str| json!({"id": id, "kind": "scale", "text": {"en": "Q", "pl": "P"}, "min": 1, "max": 5});
        store
            .publish(form(json!([scale("a"), scale("b")])))
            .unwrap();
        let current = store.publish(form(json!([scale("a")]))).unwrap();
        assert_eq!(current.form.version, 2);
        let register = Register::default();
        let key = |body: Value| key(&store, &register, &current, &body, 0);

        let old = key(
            json!({"form": "f", "version": 1, "event": "leave", "last_question": "b",
                             "location": "Narnia", "channel": "Poster Campaign", "lang": "pl-PL"}),
        )
        .unwrap();
        assert_eq!(
            (
                old.version,
                old.last_question.as_str(),
                old.location.as_str()
            ),
            (1, "b", "unknown")
        );
        assert_eq!(
            (old.channel.as_str(), old.lang.as_str()),
            ("poster-campaign", "pl")
        );
        assert_eq!(old.day, "1970-01-01");
        let now = key(json!({"form": "f", "version": 2, "event": "leave", "last_question": "b"}));
        assert_eq!(field(now), "last_question", "b is gone from version 2");
        let view =
            key(json!({"form": "f", "version": 2, "event": "view", "last_question": "a"})).unwrap();
        assert_eq!(view.last_question, "", "kept only for a leave");
        assert_eq!(
            (view.channel.as_str(), view.location.as_str()),
            ("link", "")
        );
        assert_eq!(
            field(key(json!({"form": "f", "version": 3, "event": "view"}))),
            "version"
        );
        assert_eq!(
            field(key(json!({"form": "f", "version": 0, "event": "view"}))),
            "version"
        );
        assert_eq!(field(key(json!({"form": "f", "version": 2}))), "event");
        assert_eq!(
            field(key(json!({"form": "f", "version": 2, "event": "complete"}))),
            "event"
        );
    }
}
