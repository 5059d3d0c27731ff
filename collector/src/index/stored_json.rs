//! A stored response's JSON read in place, for rebuilding an index from
//! responses that have no index record: strings borrow from the bytes
//! (unless escaped), and answers are told apart by their JSON type, not by
//! serde's untagged trial and error.
//!
//! ```text
//! stored JSON bytes ─serde_json::from_slice─► Row<'_> ─► FormIndex::push_json
//! ```

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Deserialize)]
pub struct Row<'a> {
    pub version: u32,
    #[serde(borrow)]
    pub location: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub channel: Cow<'a, str>,
    #[serde(borrow)]
    pub lang: Cow<'a, str>,
    #[serde(borrow)]
    pub answers: BTreeMap<Str<'a>, Answer<'a>>,
    #[serde(default, borrow)]
    pub coding: BTreeMap<Str<'a>, Coding<'a>>,
    #[serde(default, borrow)]
    pub attributes: BTreeMap<Str<'a>, Str<'a>>,
}

#[derive(Deserialize)]
pub struct Coding<'a> {
    #[serde(borrow)]
    pub label: Cow<'a, str>,
    #[serde(borrow)]
    pub themes: Vec<Str<'a>>,
    #[serde(default)]
    pub mixed: bool,
    #[serde(default)]
    pub actionable: bool,
}

/// A string that borrows when it can.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub struct Str<'a>(pub Cow<'a, str>);

impl std::borrow::Borrow<str> for Str<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

pub enum Answer<'a> {
    Text(Cow<'a, str>),
    Choices(Vec<Str<'a>>),
    Number(i64),
    Consent(bool),
}

impl<'de: 'a, 'a> Deserialize<'de> for Answer<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Answer<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an answer")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Answer::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Answer::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Answer::Text(Cow::Owned(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Answer::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(Answer::Number)
                    .map_err(|_| E::custom("number out of range"))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Answer::Consent(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element::<Str<'de>>()? {
                    v.push(s);
                }
                Ok(Answer::Choices(v))
            }
        }
        d.deserialize_any(V)
    }
}
