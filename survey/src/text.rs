//! User-facing text: either one plain string or a map of language → string.

use serde::Serialize;
use std::collections::BTreeMap;

/// A user-facing string, plain or translated.
///
/// On the wire it is either `"Hello"` or `{"en": "Hello", "pl": "Cześć"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Text {
    /// The same text in every language.
    Plain(String),
    /// One text per language code.
    Localized(BTreeMap<String, String>),
}

impl Text {
    /// The text in `lang`, else in `fallback`, else any text there is.
    ///
    /// A language with a region (`pl-PL`) matches its base language (`pl`).
    pub fn get<'a>(&'a self, lang: &str, fallback: &str) -> &'a str {
        match self {
            Text::Plain(s) => s,
            Text::Localized(map) => map
                .get(lang)
                .or_else(|| map.get(base_lang(lang)))
                .or_else(|| map.get(fallback))
                .or_else(|| map.values().next())
                .map(String::as_str)
                .unwrap_or(""),
        }
    }

    /// Whether this text has a version for `lang` (plain text has all).
    pub fn has(&self, lang: &str) -> bool {
        match self {
            Text::Plain(_) => true,
            Text::Localized(map) => map.contains_key(lang),
        }
    }

    /// Whether every version of the text is empty or blank.
    pub fn is_blank(&self) -> bool {
        match self {
            Text::Plain(s) => s.trim().is_empty(),
            Text::Localized(map) => map.values().all(|s| s.trim().is_empty()),
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::Plain(s.to_owned())
    }
}

/// `pl-PL` → `pl`; `en` → `en`.
pub fn base_lang(lang: &str) -> &str {
    lang.split(['-', '_']).next().unwrap_or(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_language_then_base_then_fallback() {
        let t: Text = serde_json::from_str(r#"{"en":"Hello","pl":"Cześć"}"#).unwrap();
        assert_eq!(t.get("pl", "en"), "Cześć");
        assert_eq!(t.get("pl-PL", "en"), "Cześć");
        assert_eq!(t.get("fr", "en"), "Hello");
        assert_eq!(Text::from("Hi").get("pl", "en"), "Hi");
    }

    #[test]
    fn round_trips_both_shapes() {
        for src in [r#""plain""#, r#"{"ar":"مرحبا","en":"Hello"}"#] {
            let t: Text = serde_json::from_str(src).unwrap();
            assert_eq!(serde_json::to_string(&t).unwrap(), src);
        }
    }
}
