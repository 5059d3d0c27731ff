//! The form definition: what is asked, of whom, in which languages.

use crate::submission::Atom;
use crate::text::Text;
use serde::{Deserialize, Serialize};

/// One version of a published form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Stable id used in URLs (`community-safety`).
    pub id: String,
    /// Version number; publishing a change makes a new one.
    #[serde(default = "one")]
    pub version: u32,
    /// Title shown above the form.
    pub title: Text,
    /// A line or two under the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<Text>,
    /// Language used when the person's language is not offered.
    pub default_lang: String,
    /// Languages the form is offered in; includes `default_lang`.
    pub languages: Vec<String>,
    /// Origins (`https://partner.example`) whose pages may embed and post.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// What is collected, why, for how long, and who to contact.
    pub privacy_notice: Text,
    /// "This is not for reporting crime; in an emergency call 999."
    pub not_for_reporting: Text,
    /// Text shown after a successful submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thank_you: Option<Text>,
    /// Places a response may be about (QR code locations, wards).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<Place>,
    /// The question whose answer is the respondent type, for analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respondent_question: Option<String>,
    /// Days a response is kept before it is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// The questions, in order.
    pub questions: Vec<Question>,
    /// Themes for coding free-text answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codebook: Option<Codebook>,
    /// Conditions that raise an alert as soon as a response is stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertRule>,
}

fn one() -> u32 {
    1
}

/// A place a response can be about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Short id used in QR codes and aggregates (`liverpool-street`).
    pub id: String,
    /// Name shown to people.
    pub name: Text,
}

/// One question.
///
/// Read through [`wire::QuestionDoc`], one flat struct, rather than through
/// `#[serde(flatten)]` and an internally tagged enum: the same JSON, with far
/// less code in the widget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "wire::QuestionDoc")]
pub struct Question {
    /// Id, unique within the form; the key of its answer.
    pub id: String,
    /// The question as asked.
    pub text: Text,
    /// Extra guidance under the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// Whether an answer is needed (when the question is shown).
    #[serde(default)]
    pub required: bool,
    /// Show this question only when an earlier answer matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    /// The kind of answer expected.
    #[serde(flatten)]
    pub kind: Kind,
}

/// The kinds of question, with what each needs.
///
/// On the wire its fields sit in the question, named by `"kind"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// Pick one option.
    SingleChoice {
        /// The options, in the order shown.
        options: Vec<ChoiceOption>,
    },
    /// Pick one or more options, up to `max_choices`.
    MultipleChoice {
        /// The options, in the order shown.
        options: Vec<ChoiceOption>,
        /// Most options a person may pick; all when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_choices: Option<u32>,
    },
    /// A whole number from `min` to `max` (1–5 labelled, 0–10).
    Scale {
        /// Lowest value.
        min: i64,
        /// Highest value.
        max: i64,
        /// Labels for some or all values.
        #[serde(default)]
        labels: Vec<ScaleLabel>,
        /// Values that count as "satisfied" in analysis (1 and 2).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        satisfied: Vec<i64>,
    },
    /// Free text up to `max_length` characters.
    Text {
        /// Longest answer, in characters.
        max_length: u32,
        /// Whether the answer box is several lines high.
        #[serde(default)]
        multiline: bool,
    },
    /// One of the form's places.
    Location {},
    /// A tick to agree; the only accepted answer is `true`.
    Consent {},
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Id stored as the answer.
    pub id: String,
    /// Text shown.
    pub text: Text,
    /// When picked, no other option may be (for "prefer not to say").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
}

/// A label for one value of a scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleLabel {
    /// The value labelled.
    pub value: i64,
    /// The label.
    pub text: Text,
}

/// "Show this question only if `question` was answered with any of `any_of`."
///
/// For a multiple-choice question, any chosen option in `any_of` matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowIf {
    /// An earlier question.
    pub question: String,
    /// Answers that make this question show.
    pub any_of: Vec<Atom>,
}

/// Themes used to code free-text answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codebook {
    /// Version of the codebook, so codes can be traced to the rules.
    #[serde(default = "one")]
    pub version: u32,
    /// The text questions coded; all text questions when empty.
    #[serde(default)]
    pub questions: Vec<String>,
    /// The themes.
    pub themes: Vec<Theme>,
}

/// One theme of a codebook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Id used in codes and filters.
    pub id: String,
    /// Name shown to analysts.
    pub label: String,
    /// Words or phrases that mark the theme, matched on word stems.
    pub phrases: Vec<String>,
}

/// A rule that raises an alert when a response matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "wire::AlertRuleDoc")]
pub struct AlertRule {
    /// Id of the rule.
    pub id: String,
    /// The question looked at.
    pub question: String,
    /// What about its answer raises the alert.
    #[serde(flatten)]
    pub when: AlertCondition,
}

/// The condition of an alert rule.
///
/// On the wire it is one field of the rule: `any_of` or `sentiment_below`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertCondition {
    /// The answer is one of these (a dissatisfied score).
    AnyOf(Vec<Atom>),
    /// The free-text answer's sentiment compound is below this.
    SentimentBelow(f64),
}

/// The wire shapes of [`Question`] and [`AlertRule`], read flat.
mod wire {
    use super::{AlertCondition, AlertRule, Kind, Question, ShowIf};
    use crate::submission::Atom;
    use crate::text::Text;
    use serde::de::{self, DeserializeOwned};
    use serde::{Deserialize, Deserializer};
    use serde_json::value::RawValue;

    /// A field that is optional here but must not be `null` when present.
    fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        T::deserialize(d).map(Some)
    }

    /// The `kind` tag: its name, or (as serde reads tags) its index.
    enum KindName {
        SingleChoice,
        MultipleChoice,
        Scale,
        Text,
        Location,
        Consent,
    }

    const KINDS: [&str; 6] = [
        "single_choice",
        "multiple_choice",
        "scale",
        "text",
        "location",
        "consent",
    ];

    /// Read as an [`Atom`] (a string or a number), which the widget has
    /// to read anyway, rather than through a deserializer of its own.
    impl<'de> Deserialize<'de> for KindName {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let index = match Atom::deserialize(d)? {
                Atom::Str(s) => match KINDS.iter().position(|k| *k == s) {
                    Some(i) => i as i64,
                    None => return Err(de::Error::unknown_variant(&s, &KINDS)),
                },
                Atom::Int(n) if n >= 0 => n,
                _ => return Err(de::Error::custom("kind must be a kind of question")),
            };
            Ok(match index {
                0 => KindName::SingleChoice,
                1 => KindName::MultipleChoice,
                2 => KindName::Scale,
                3 => KindName::Text,
                4 => KindName::Location,
                5 => KindName::Consent,
                _ => return Err(de::Error::custom("kind must be a kind of question")),
            })
        }
    }

    /// Every field any kind of question has; unknown fields are ignored.
    ///
    /// The fields of the kinds are kept as raw JSON until `kind` is known:
    /// those of other kinds are ignored, whatever they hold.
    #[derive(Deserialize)]
    pub(super) struct QuestionDoc {
        id: String,
        text: Text,
        #[serde(default)]
        hint: Option<Text>,
        #[serde(default)]
        required: bool,
        #[serde(default)]
        show_if: Option<ShowIf>,
        kind: KindName,
        #[serde(default, deserialize_with = "present")]
        options: Option<Box<RawValue>>,
        #[serde(default, deserialize_with = "present")]
        max_choices: Option<Box<RawValue>>,
        #[serde(default, deserialize_with = "present")]
        min: Option<Box<RawValue>>,
        #[serde(default, deserialize_with = "present")]
        max: Option<Box<RawValue>>,
        #[serde(default, deserialize_with = "present")]
        labels: Option<Box<RawValue>>,
        #[serde(default, deserialize_with = "present")]
        satisfied: Option<Box<RawValue>>,
        #[serde(default, deserialize_with = "present")]
        max_length: Option<Box<RawValue>>,
        #[serde(default, deserialize_with = "present")]
        multiline: Option<Box<RawValue>>,
    }

    /// A field of the question's kind: `Ok(None)` when absent.
    fn field<T: DeserializeOwned>(
        raw: Option<Box<RawValue>>,
        name: &'static str,
    ) -> Result<Option<T>, String> {
        raw.map(|r| {
            serde_json::from_str(r.get()).map_err(|e| [name, ": ", &e.to_string()].concat())
        })
        .transpose()
    }

    /// A field the question's kind needs.
    fn needed<T: DeserializeOwned>(
        raw: Option<Box<RawValue>>,
        name: &'static str,
    ) -> Result<T, String> {
        field(raw, name)?.ok_or_else(|| ["missing field `", name, "`"].concat())
    }

    impl TryFrom<QuestionDoc> for Question {
        type Error = String;

        fn try_from(d: QuestionDoc) -> Result<Self, String> {
            let kind = match d.kind {
                KindName::SingleChoice => Kind::SingleChoice {
                    options: needed(d.options, "options")?,
                },
                KindName::MultipleChoice => Kind::MultipleChoice {
                    options: needed(d.options, "options")?,
                    max_choices: field::<Option<u32>>(d.max_choices, "max_choices")?.flatten(),
                },
                KindName::Scale => Kind::Scale {
                    min: needed(d.min, "min")?,
                    max: needed(d.max, "max")?,
                    labels: field(d.labels, "labels")?.unwrap_or_default(),
                    satisfied: field(d.satisfied, "satisfied")?.unwrap_or_default(),
                },
                KindName::Text => Kind::Text {
                    max_length: needed(d.max_length, "max_length")?,
                    multiline: field(d.multiline, "multiline")?.unwrap_or_default(),
                },
                KindName::Location => Kind::Location {},
                KindName::Consent => Kind::Consent {},
            };
            Ok(Question {
                id: d.id,
                text: d.text,
                hint: d.hint,
                required: d.required,
                show_if: d.show_if,
                kind,
            })
        }
    }

    /// A rule with exactly one condition field.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct AlertRuleDoc {
        id: String,
        question: String,
        #[serde(default, deserialize_with = "present")]
        any_of: Option<Vec<Atom>>,
        #[serde(default, deserialize_with = "present")]
        sentiment_below: Option<f64>,
    }

    impl TryFrom<AlertRuleDoc> for AlertRule {
        type Error = &'static str;

        fn try_from(d: AlertRuleDoc) -> Result<Self, &'static str> {
            let when = match (d.any_of, d.sentiment_below) {
                (Some(v), None) => AlertCondition::AnyOf(v),
                (None, Some(x)) => AlertCondition::SentimentBelow(x),
                (None, None) => return Err("an alert rule needs any_of or sentiment_below"),
                (Some(_), Some(_)) => {
                    return Err("an alert rule has one of any_of and sentiment_below, not both")
                }
            };
            Ok(AlertRule {
                id: d.id,
                question: d.question,
                when,
            })
        }
    }
}

impl Form {
    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// The place with this id.
    pub fn place(&self, id: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.id == id)
    }

    /// The language to show: `wanted` if offered (or its base language),
    /// else the form's default.
    pub fn pick_lang<'a>(&'a self, wanted: &str) -> &'a str {
        let base = crate::text::base_lang(wanted);
        self.languages
            .iter()
            .find(|l| l.as_str() == wanted)
            .or_else(|| self.languages.iter().find(|l| l.as_str() == base))
            .map(String::as_str)
            .unwrap_or(&self.default_lang)
    }

    /// Whether `question` is shown, given the answers so far.
    ///
    /// A question whose condition points at a hidden question is hidden too.
    pub fn is_shown(
        &self,
        question: &Question,
        answers: &std::collections::BTreeMap<String, crate::Answer>,
    ) -> bool {
        let mut current = question;
        // Conditions only point backwards (checked by `check_form`), so this
        // walk ends; the bound guards against a form that was never checked.
        for _ in 0..=self.questions.len() {
            let Some(cond) = &current.show_if else {
                return true;
            };
            let Some(answer) = answers.get(&cond.question) else {
                return false;
            };
            if !cond.any_of.iter().any(|a| answer.matches(a)) {
                return false;
            }
            match self.question(&cond.question) {
                Some(q) => current = q,
                None => return false,
            }
        }
        false
    }
}

impl Question {
    /// The options of a choice question; empty for other kinds.
    pub fn options(&self) -> &[ChoiceOption] {
        match &self.kind {
            Kind::SingleChoice { options } | Kind::MultipleChoice { options, .. } => options,
            _ => &[],
        }
    }

    /// The kind's name as on the wire (`single_choice`).
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::SingleChoice { .. } => "single_choice",
            Kind::MultipleChoice { .. } => "multiple_choice",
            Kind::Scale { .. } => "scale",
            Kind::Text { .. } => "text",
            Kind::Location {} => "location",
            Kind::Consent {} => "consent",
        }
    }
}
