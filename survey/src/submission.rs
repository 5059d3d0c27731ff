//! What a person sends, and answers in typed form.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A submission as posted: `{submission_id, answers, location?, channel?, lang?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// A UUID made by the client; the same id again is stored once.
    pub submission_id: String,
    /// Question id → answer; an unanswered optional question is absent.
    #[serde(default)]
    pub answers: BTreeMap<String, serde_json::Value>,
    /// The place the response is about (from the QR code or the page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// How the person reached the form: `embed`, `qr`, `link`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The language the form was shown in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The invitation it answers (the `i` of the link it came through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
}

impl Submission {
    /// The submission as JSON, as it is posted: the same document serde
    /// writes, built without a serializer (the widget posts it this way).
    pub fn to_value(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("submission_id".into(), self.submission_id.clone().into());
        let mut answers = serde_json::Map::new();
        for (id, answer) in &self.answers {
            answers.insert(id.clone(), answer.clone());
        }
        m.insert("answers".into(), serde_json::Value::Object(answers));
        let optional = [
            ("location", &self.location),
            ("channel", &self.channel),
            ("lang", &self.lang),
            ("invitation", &self.invitation),
        ];
        for (key, value) in optional {
            if let Some(v) = value {
                m.insert(key.into(), v.clone().into());
            }
        }
        serde_json::Value::Object(m)
    }
}

/// A single comparable value: an option id, a scale value or a flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Atom {
    /// An option id or text.
    Str(String),
    /// A scale value.
    Int(i64),
    /// A consent tick.
    Bool(bool),
}

/// A validated answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// Option id of a single-choice question; also text and location answers.
    Text(String),
    /// Option ids of a multiple-choice question.
    Choices(Vec<String>),
    /// A scale value.
    Number(i64),
    /// A consent tick (always `true` once valid).
    Consent(bool),
}

impl Answer {
    /// Whether this answer matches `atom` (for multiple choice: contains it).
    pub fn matches(&self, atom: &Atom) -> bool {
        match (self, atom) {
            (Answer::Text(a), Atom::Str(b)) => a == b,
            (Answer::Choices(a), Atom::Str(b)) => a.iter().any(|x| x == b),
            (Answer::Number(a), Atom::Int(b)) => a == b,
            (Answer::Consent(a), Atom::Bool(b)) => a == b,
            _ => false,
        }
    }

    /// The answer as a JSON value, as stored and exported.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Answer::Text(s) => serde_json::Value::String(s.clone()),
            Answer::Choices(v) => v.iter().cloned().map(serde_json::Value::String).collect(),
            Answer::Number(n) => (*n).into(),
            Answer::Consent(b) => (*b).into(),
        }
    }
}
