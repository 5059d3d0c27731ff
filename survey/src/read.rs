//! Reading the form model from a parsed JSON value.
//!
//! One reader serves both sides: the collector parses a form's text with
//! serde_json and the widget with the browser's `JSON.parse`, and each
//! hands the resulting [`Value`] to [`Form::from_value`]. The serde
//! `Deserialize` impls of the model go through here too, so there is one
//! set of rules for what a form may look like. Walking a value by hand
//! rather than deriving keeps a JSON parser and serde's generic visitors
//! out of the widget's download.

use crate::form::{
    AlertCondition, AlertRule, ChoiceOption, Codebook, Form, Kind, Place, Question, ScaleLabel,
    SentimentLabel, ShowIf, Theme,
};
#[cfg(feature = "analysis")]
use crate::form::{Draw, Headline, OneQuestion, PlaceLevel};
use crate::safeguard::{Category, Contact, PhraseList, Safeguarding};
use crate::submission::Atom;
use crate::text::Text;
use serde_json::{Map, Value};
use std::fmt;

/// What is wrong with a form's JSON, and where (`questions[3].options`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Where in the document; empty for the document itself.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ReadError {}

type R<T> = Result<T, ReadError>;

fn bad<T>(message: impl Into<String>) -> R<T> {
    Err(ReadError {
        path: String::new(),
        message: message.into(),
    })
}

/// Puts `segment` (a field name, or `[i]`) in front of the error's path.
fn within<T>(segment: &str, r: R<T>) -> R<T> {
    r.map_err(|mut e| {
        let sep = if e.path.is_empty() || e.path.starts_with('[') {
            ""
        } else {
            "."
        };
        e.path = [segment, sep, &e.path].concat();
        e
    })
}

fn string(v: &Value) -> R<String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => bad("expected a string"),
    }
}

fn int(v: &Value) -> R<i64> {
    v.as_i64()
        .map_or_else(|| bad("expected a whole number"), Ok)
}

fn count(v: &Value) -> R<u32> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .map_or_else(|| bad("expected a whole number from 0"), Ok)
}

fn number(v: &Value) -> R<f64> {
    v.as_f64().map_or_else(|| bad("expected a number"), Ok)
}

fn boolean(v: &Value) -> R<bool> {
    v.as_bool()
        .map_or_else(|| bad("expected true or false"), Ok)
}

fn list<T>(v: &Value, item: impl Fn(&Value) -> R<T>) -> R<Vec<T>> {
    let Value::Array(items) = v else {
        return bad("expected a list");
    };
    items
        .iter()
        .enumerate()
        .map(|(i, x)| within(&["[", &i.to_string(), "]"].concat(), item(x)))
        .collect()
}

fn strings(v: &Value) -> R<Vec<String>> {
    list(v, string)
}

/// The fields of one JSON object, read by name.
struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    fn of(v: &'a Value) -> R<Fields<'a>> {
        match v {
            Value::Object(m) => Ok(Fields(m)),
            _ => bad("expected an object"),
        }
    }

    /// A field that must be there.
    fn need<T>(&self, name: &str, read: impl Fn(&Value) -> R<T>) -> R<T> {
        match self.0.get(name) {
            Some(v) => within(name, read(v)),
            None => bad(["missing field `", name, "`"].concat()),
        }
    }

    /// A field that may be left out; present, it must hold a value.
    fn may<T>(&self, name: &str, read: impl Fn(&Value) -> R<T>) -> R<Option<T>> {
        self.0.get(name).map(|v| within(name, read(v))).transpose()
    }

    /// A field that may be left out or `null`.
    fn nullable<T>(&self, name: &str, read: impl Fn(&Value) -> R<T>) -> R<Option<T>> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => within(name, read(v)).map(Some),
        }
    }

    /// Refuses any field not in `known`: a typo must not pass unnoticed.
    fn only(&self, known: &[&str]) -> R<()> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => bad(["unknown field `", k, "`"].concat()),
            None => Ok(()),
        }
    }
}

impl Text {
    /// Reads `"Hello"` or `{"en": "Hello", "pl": "Cześć"}`.
    pub fn from_value(v: &Value) -> Result<Text, ReadError> {
        match v {
            Value::String(s) => Ok(Text::Plain(s.clone())),
            Value::Object(m) => {
                // Inserted one by one: collecting into a map sorts first,
                // code the widget would carry for nothing.
                let mut map = std::collections::BTreeMap::new();
                for (lang, s) in m {
                    map.insert(lang.clone(), within(lang, string(s))?);
                }
                Ok(Text::Localized(map))
            }
            _ => bad("expected a string or a map of language to string"),
        }
    }
}

impl Atom {
    /// Reads a string, a whole number that fits `i64`, or a boolean.
    pub fn from_value(v: &Value) -> Result<Atom, ReadError> {
        match v {
            Value::String(s) => Ok(Atom::Str(s.clone())),
            Value::Bool(b) => Ok(Atom::Bool(*b)),
            Value::Number(n) => n
                .as_i64()
                .map_or_else(|| bad("expected a whole number"), |n| Ok(Atom::Int(n))),
            _ => bad("expected a string, a whole number or a boolean"),
        }
    }
}

fn atoms(v: &Value) -> R<Vec<Atom>> {
    list(v, Atom::from_value)
}

impl Form {
    /// Reads a form from its JSON, refusing unknown fields at every level
    /// where the format is strict.
    ///
    /// Without the `analysis` feature (as in the widget) `codebook` and
    /// `alerts` are allowed but not read: they come back empty.
    pub fn from_value(v: &Value) -> Result<Form, ReadError> {
        let f = Fields::of(v)?;
        f.only(&[
            "id",
            "version",
            "title",
            "intro",
            "default_lang",
            "languages",
            "allowed_origins",
            "privacy_notice",
            "not_for_reporting",
            "thank_you",
            "places",
            "place_register",
            "respondent_question",
            "headlines",
            "retention_days",
            "questions",
            "codebook",
            "alerts",
            "safeguarding",
            "one_question",
        ])?;
        #[cfg(feature = "analysis")]
        let (codebook, alerts) = (
            f.nullable("codebook", Codebook::from_value)?,
            f.may("alerts", |v| list(v, AlertRule::from_value))?
                .unwrap_or_default(),
        );
        // Only the collector's analysis uses these; the widget leaves them
        // unread rather than carry their reader.
        #[cfg(not(feature = "analysis"))]
        let (codebook, alerts) = (None, Vec::new());
        #[cfg(feature = "analysis")]
        let headlines = f
            .may("headlines", |v| list(v, Headline::from_value))?
            .unwrap_or_default();
        #[cfg(not(feature = "analysis"))]
        let headlines = Vec::new();
        // Only the collector fills a form's places from the register.
        #[cfg(feature = "analysis")]
        let place_register = f.nullable("place_register", |v| match v.as_str() {
            Some("site") => Ok(PlaceLevel::Site),
            Some("ward") => Ok(PlaceLevel::Ward),
            _ => bad("must be \"site\" or \"ward\""),
        })?;
        #[cfg(not(feature = "analysis"))]
        let place_register = None;
        // Only the hosted page asks one question a scan.
        #[cfg(feature = "analysis")]
        let one_question = f.nullable("one_question", OneQuestion::from_value)?;
        #[cfg(not(feature = "analysis"))]
        let one_question = None;
        Ok(Form {
            id: f.need("id", string)?,
            version: f.may("version", count)?.unwrap_or(1),
            title: f.need("title", Text::from_value)?,
            intro: f.nullable("intro", Text::from_value)?,
            default_lang: f.need("default_lang", string)?,
            languages: f.need("languages", strings)?,
            allowed_origins: f.may("allowed_origins", strings)?.unwrap_or_default(),
            privacy_notice: f.need("privacy_notice", Text::from_value)?,
            not_for_reporting: f.need("not_for_reporting", Text::from_value)?,
            thank_you: f.nullable("thank_you", Text::from_value)?,
            places: f
                .may("places", |v| list(v, Place::from_value))?
                .unwrap_or_default(),
            place_register,
            respondent_question: f.nullable("respondent_question", string)?,
            headlines,
            retention_days: f.nullable("retention_days", count)?,
            questions: f.need("questions", |v| list(v, Question::from_value))?,
            codebook,
            alerts,
            safeguarding: f.nullable("safeguarding", Safeguarding::from_value)?,
            one_question,
        })
    }
}

impl Place {
    /// Reads `{"id", "name"}`.
    pub fn from_value(v: &Value) -> Result<Place, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["id", "name"])?;
        Ok(Place {
            id: f.need("id", string)?,
            name: f.need("name", Text::from_value)?,
        })
    }
}

/// The kinds' names as on the wire, in [`Kind`]'s order.
const KINDS: [&str; 6] = [
    "single_choice",
    "multiple_choice",
    "scale",
    "text",
    "location",
    "consent",
];

impl Question {
    /// Reads a question: its common fields, then those of its `kind`.
    /// Fields of other kinds are ignored, whatever they hold.
    pub fn from_value(v: &Value) -> Result<Question, ReadError> {
        let f = Fields::of(v)?;
        let kind = f.need("kind", |v| {
            let name = v.as_str().unwrap_or_default();
            KINDS.iter().position(|k| *k == name).map_or_else(
                || {
                    bad([
                        "unknown kind of question; expected one of ",
                        &KINDS.join(", "),
                    ]
                    .concat())
                },
                Ok,
            )
        })?;
        let options = || f.need("options", |v| list(v, ChoiceOption::from_value));
        let kind = match kind {
            0 => Kind::SingleChoice {
                options: options()?,
            },
            1 => Kind::MultipleChoice {
                options: options()?,
                max_choices: f.nullable("max_choices", count)?,
            },
            2 => Kind::Scale {
                min: f.need("min", int)?,
                max: f.need("max", int)?,
                labels: f
                    .may("labels", |v| list(v, ScaleLabel::from_value))?
                    .unwrap_or_default(),
                satisfied: f.may("satisfied", |v| list(v, int))?.unwrap_or_default(),
            },
            3 => Kind::Text {
                max_length: f.need("max_length", count)?,
                multiline: f.may("multiline", boolean)?.unwrap_or_default(),
            },
            4 => Kind::Location {},
            _ => Kind::Consent {},
        };
        Ok(Question {
            id: f.need("id", string)?,
            text: f.need("text", Text::from_value)?,
            hint: f.nullable("hint", Text::from_value)?,
            required: f.may("required", boolean)?.unwrap_or_default(),
            show_if: f.nullable("show_if", ShowIf::from_value)?,
            personal: f.may("personal", boolean)?.unwrap_or_default(),
            kind,
        })
    }
}

impl ChoiceOption {
    /// Reads `{"id", "text", "exclusive"?}`.
    pub fn from_value(v: &Value) -> Result<ChoiceOption, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["id", "text", "exclusive"])?;
        Ok(ChoiceOption {
            id: f.need("id", string)?,
            text: f.need("text", Text::from_value)?,
            exclusive: f.may("exclusive", boolean)?.unwrap_or_default(),
        })
    }
}

impl ScaleLabel {
    /// Reads `{"value", "text"}`.
    pub fn from_value(v: &Value) -> Result<ScaleLabel, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["value", "text"])?;
        Ok(ScaleLabel {
            value: f.need("value", int)?,
            text: f.need("text", Text::from_value)?,
        })
    }
}

#[cfg(feature = "analysis")]
impl OneQuestion {
    /// Reads `{"questions", "draw"}` (`draw`: `rotate`, the default, or
    /// `random`).
    pub fn from_value(v: &Value) -> Result<OneQuestion, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["questions", "draw"])?;
        Ok(OneQuestion {
            questions: f.need("questions", strings)?,
            draw: f
                .may("draw", |v| match v.as_str() {
                    Some("rotate") => Ok(Draw::Rotate),
                    Some("random") => Ok(Draw::Random),
                    _ => bad("must be \"rotate\" or \"random\""),
                })?
                .unwrap_or(Draw::Rotate),
        })
    }
}

impl ShowIf {
    /// Reads `{"question", "any_of"}`.
    pub fn from_value(v: &Value) -> Result<ShowIf, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["question", "any_of"])?;
        Ok(ShowIf {
            question: f.need("question", string)?,
            any_of: f.need("any_of", atoms)?,
        })
    }
}

#[cfg(feature = "analysis")]
impl Headline {
    /// Reads `{"question", "answers"}`.
    pub fn from_value(v: &Value) -> Result<Headline, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["question", "answers"])?;
        Ok(Headline {
            question: f.need("question", string)?,
            answers: f.need("answers", strings)?,
        })
    }
}

impl Codebook {
    /// Reads `{"version"?, "questions"?, "themes"}`.
    pub fn from_value(v: &Value) -> Result<Codebook, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["version", "questions", "themes"])?;
        Ok(Codebook {
            version: f.may("version", count)?.unwrap_or(1),
            questions: f.may("questions", strings)?.unwrap_or_default(),
            themes: f.need("themes", |v| list(v, Theme::from_value))?,
        })
    }
}

impl Theme {
    /// Reads `{"id", "label", "phrases"}`.
    pub fn from_value(v: &Value) -> Result<Theme, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["id", "label", "phrases"])?;
        Ok(Theme {
            id: f.need("id", string)?,
            label: f.need("label", string)?,
            phrases: f.need("phrases", strings)?,
        })
    }
}

impl AlertRule {
    /// Reads `{"id", "question"}` with exactly one of `any_of`,
    /// `sentiment_below` and `sentiment_is`.
    pub fn from_value(v: &Value) -> Result<AlertRule, ReadError> {
        let f = Fields::of(v)?;
        f.only(&[
            "id",
            "question",
            "any_of",
            "sentiment_below",
            "sentiment_is",
        ])?;
        let label = |v: &Value| {
            SentimentLabel::parse(&string(v)?)
                .map_or_else(|| bad("expected positive, neutral or negative"), Ok)
        };
        let when =
            match (
                f.may("any_of", atoms)?,
                f.may("sentiment_below", number)?,
                f.may("sentiment_is", label)?,
            ) {
                (Some(v), None, None) => AlertCondition::AnyOf(v),
                (None, Some(x), None) => AlertCondition::SentimentBelow(x),
                (None, None, Some(l)) => AlertCondition::SentimentIs(l),
                (None, None, None) => {
                    return bad("an alert rule needs any_of, sentiment_below or sentiment_is")
                }
                _ => return bad(
                    "an alert rule has one of any_of, sentiment_below and sentiment_is, not two",
                ),
            };
        Ok(AlertRule {
            id: f.need("id", string)?,
            question: f.need("question", string)?,
            when,
        })
    }
}

impl Safeguarding {
    /// Reads `{"version", "phrases": {category: {lang: [phrase]}}, "contacts"?}`.
    /// Contacts may be left out here (a deployment's own phrase lists keep
    /// the form's numbers); publishing a form checks it has some.
    pub fn from_value(v: &Value) -> Result<Safeguarding, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["version", "phrases", "contacts"])?;
        Ok(Safeguarding {
            version: f.need("version", string)?,
            lists: f.need("phrases", phrase_lists)?,
            contacts: f
                .may("contacts", |v| list(v, Contact::from_value))?
                .unwrap_or_default(),
        })
    }
}

/// `{category: {lang: [phrase]}}` as one list per category and language.
fn phrase_lists(v: &Value) -> R<Vec<PhraseList>> {
    let Value::Object(categories) = v else {
        return bad("expected an object of category → language → phrases");
    };
    let mut out = Vec::new();
    for (name, langs) in categories {
        let Some(category) = Category::from_name(name) else {
            return within(
                name,
                bad("unknown category; expected crime_in_progress, threat, domestic_abuse or self_harm"),
            );
        };
        let Value::Object(langs) = langs else {
            return within(name, bad("expected an object of language → phrases"));
        };
        for (lang, phrases) in langs {
            out.push(PhraseList {
                category,
                lang: lang.clone(),
                phrases: within(name, within(lang, strings(phrases)))?,
            });
        }
    }
    Ok(out)
}

impl Contact {
    /// Reads `{"label", "number", "hint"?}`.
    pub fn from_value(v: &Value) -> Result<Contact, ReadError> {
        let f = Fields::of(v)?;
        f.only(&["label", "number", "hint"])?;
        Ok(Contact {
            label: f.need("label", Text::from_value)?,
            number: f.need("number", string)?,
            hint: f.nullable("hint", Text::from_value)?,
        })
    }
}

/// Serde reads each model type through its reader above, so a form read
/// by `serde_json::from_str` follows exactly the same rules.
macro_rules! deserialize_through_value {
    ($($t:ty),*) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = Value::deserialize(d)?;
                <$t>::from_value(&v).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

deserialize_through_value!(
    Form,
    Place,
    Question,
    ChoiceOption,
    ScaleLabel,
    ShowIf,
    Codebook,
    Theme,
    AlertRule,
    Safeguarding,
    Contact,
    Text,
    Atom
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codebook_and_alerts_are_read_for_analysis_only() {
        let v = json!({
            "id": "f", "title": "T", "default_lang": "en", "languages": ["en"],
            "privacy_notice": "P", "not_for_reporting": "N",
            "questions": [{"id": "c", "kind": "text", "text": "Say", "max_length": 10}],
            "codebook": {"themes": [{"id": "dark", "label": "Dark", "phrases": ["dark"]}]},
            "alerts": [{"id": "a", "question": "c", "sentiment_below": -0.5}]
        });
        let form = Form::from_value(&v).unwrap();
        let analysis = cfg!(feature = "analysis");
        assert_eq!(form.codebook.is_some(), analysis);
        assert_eq!(form.alerts.len(), usize::from(analysis));
        // Either way a form with them is accepted, and other faults are not.
        let mut broken = v.clone();
        broken["questions"][0]["max_length"] = json!("ten");
        assert_eq!(
            Form::from_value(&broken).unwrap_err().path,
            "questions[0].max_length"
        );
    }
}
