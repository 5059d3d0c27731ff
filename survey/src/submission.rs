//! What a person sends, and answers in typed form.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

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

/// By hand rather than `#[serde(untagged)]`, which buffers every value
/// first: a string, a whole number that fits `i64`, or a boolean.
impl<'de> Deserialize<'de> for Atom {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Atom;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a whole number or a boolean")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Atom, E> {
                Ok(Atom::Str(s.to_owned()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Atom, E> {
                Ok(Atom::Str(s))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Atom, E> {
                Ok(Atom::Int(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Atom, E> {
                i64::try_from(n)
                    .map(Atom::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(n), &self))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Atom, E> {
                Ok(Atom::Bool(b))
            }
        }
        d.deserialize_any(V)
    }
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
