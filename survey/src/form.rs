//! The form definition: what is asked, of whom, in which languages.

use crate::safeguard::Safeguarding;
use crate::submission::Atom;
use crate::text::Text;
use serde::Serialize;

/// One version of a published form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Form {
    /// Stable id used in URLs (`community-safety`).
    pub id: String,
    /// Version number; publishing a change makes a new one.
    pub version: u32,
    /// Title shown above the form.
    pub title: Text,
    /// A line or two under the title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intro: Option<Text>,
    /// Language used when the person's language is not offered.
    pub default_lang: String,
    /// Languages the form is offered in; includes `default_lang`.
    pub languages: Vec<String>,
    /// Origins (`https://partner.example`) whose pages may embed and post.
    pub allowed_origins: Vec<String>,
    /// What is collected, why, for how long, and who to contact.
    pub privacy_notice: Text,
    /// "This is not for reporting crime; in an emergency call 999."
    pub not_for_reporting: Text,
    /// Text shown after a successful submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thank_you: Option<Text>,
    /// Places a response may be about (QR code locations, wards).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<Place>,
    /// The places come from the deployment's register of places, at this
    /// level, rather than a list in the form: the collector fills
    /// `places` from the register when it publishes the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_register: Option<PlaceLevel>,
    /// The question whose answer is the respondent type, for analysis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respondent_question: Option<String>,
    /// Headline shares of choice questions that analysis reports beside
    /// the scales' "satisfied" shares (worried a lot or a little).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headlines: Vec<Headline>,
    /// Days a response is kept before it is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// The questions, in order.
    pub questions: Vec<Question>,
    /// Themes for coding free-text answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codebook: Option<Codebook>,
    /// Conditions that raise an alert as soon as a response is stored.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertRule>,
    /// Phrases in free text that show support numbers at once and raise a
    /// safeguarding alert.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safeguarding: Option<Safeguarding>,
    /// "One question a scan": the hosted page shows one question of this
    /// set, answered with one tap, and many scans build the picture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_question: Option<OneQuestion>,
}

/// The set a "one question a scan" page draws from, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OneQuestion {
    /// Ids of single-choice or scale questions, in the order a rotation
    /// takes them.
    pub questions: Vec<String>,
    /// How each scan's question is chosen.
    pub draw: Draw,
}

/// How a "one question a scan" page chooses its question; neither needs
/// a cookie or anything else that follows the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Draw {
    /// In turn: each page shown takes the next question of the set.
    Rotate,
    /// At random, evenly.
    Random,
}

impl OneQuestion {
    /// Whether `id` is one of the set.
    pub fn has(&self, id: &str) -> bool {
        self.questions.iter().any(|q| q == id)
    }
}

/// The level of the register of places a form's picker offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceLevel {
    /// Named sites (a station entrance, a junction): where QR codes hang.
    Site,
    /// Wards.
    Ward,
}

/// What a response's place is when the tag it came with names no place
/// the deployment knows: it is stored under this id, never refused.
pub const UNKNOWN_PLACE: &str = "unknown";

/// A place a response can be about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    /// Short id used in QR codes and aggregates (`liverpool-street`).
    pub id: String,
    /// Name shown to people.
    pub name: Text,
}

/// One question.
///
/// On the wire the fields of its kind sit beside the common ones (see
/// [`Question::from_value`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    /// Id, unique within the form; the key of its answer.
    pub id: String,
    /// The question as asked.
    pub text: Text,
    /// Extra guidance under the question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Text>,
    /// Whether an answer is needed (when the question is shown).
    pub required: bool,
    /// Show this question only when an earlier answer matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_if: Option<ShowIf>,
    /// Whether its answer is personal data (a call-back contact, a crime
    /// reference): kept apart from the response, never in exports,
    /// aggregates or alerts, seen only by the case's team, erased when the
    /// case closes or the retention period ends.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub personal: bool,
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
        #[serde(skip_serializing_if = "Option::is_none")]
        max_choices: Option<u32>,
    },
    /// A whole number from `min` to `max` (1–5 labelled, 0–10).
    Scale {
        /// Lowest value.
        min: i64,
        /// Highest value.
        max: i64,
        /// Labels for some or all values.
        labels: Vec<ScaleLabel>,
        /// Values that count as "satisfied" in analysis (1 and 2).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        satisfied: Vec<i64>,
    },
    /// Free text up to `max_length` characters.
    Text {
        /// Longest answer, in characters.
        max_length: u32,
        /// Whether the answer box is several lines high.
        multiline: bool,
    },
    /// One of the form's places.
    Location {},
    /// A tick to agree; the only accepted answer is `true`.
    Consent {},
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceOption {
    /// Id stored as the answer.
    pub id: String,
    /// Text shown.
    pub text: Text,
    /// When picked, no other option may be (for "prefer not to say").
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exclusive: bool,
}

/// A label for one value of a scale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScaleLabel {
    /// The value labelled.
    pub value: i64,
    /// The label.
    pub text: Text,
}

/// "Show this question only if `question` was answered with any of `any_of`."
///
/// For a multiple-choice question, any chosen option in `any_of` matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShowIf {
    /// An earlier question.
    pub question: String,
    /// Answers that make this question show.
    pub any_of: Vec<Atom>,
}

/// A headline share: of those who answered a choice question, how many
/// gave one of `answers`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    /// The question (single or multiple choice).
    pub question: String,
    /// The option ids counted.
    pub answers: Vec<String>,
}

/// Themes used to code free-text answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Codebook {
    /// Version of the codebook, so codes can be traced to the rules.
    pub version: u32,
    /// The text questions coded; all text questions when empty.
    pub questions: Vec<String>,
    /// The themes.
    pub themes: Vec<Theme>,
}

/// One theme of a codebook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Theme {
    /// Id used in codes and filters.
    pub id: String,
    /// Name shown to analysts.
    pub label: String,
    /// Words or phrases that mark the theme, matched on word stems.
    pub phrases: Vec<String>,
}

/// A rule that raises an alert when a response matches.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
/// On the wire it is one field of the rule: `any_of`, `sentiment_below`
/// or `sentiment_is`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertCondition {
    /// The answer is one of these (a dissatisfied score).
    AnyOf(Vec<Atom>),
    /// The free-text answer's sentiment compound (the lexicon's score) is
    /// below this.
    SentimentBelow(f64),
    /// The free-text answer's sentiment label is this: the label the
    /// collector gives it (its learned label model's, where one is on),
    /// which reads complaints with no negative word ("Gave a statement in
    /// March. It's now October.") that no compound threshold catches.
    SentimentIs(SentimentLabel),
}

/// A free-text answer's sentiment label, as an alert rule names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    /// `positive`
    Positive,
    /// `neutral`
    Neutral,
    /// `negative`
    Negative,
}

impl SentimentLabel {
    /// The label written `positive`, `neutral` or `negative`.
    pub fn parse(s: &str) -> Option<SentimentLabel> {
        match s {
            "positive" => Some(SentimentLabel::Positive),
            "neutral" => Some(SentimentLabel::Neutral),
            "negative" => Some(SentimentLabel::Negative),
            _ => None,
        }
    }

    /// `positive`, `neutral` or `negative`, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Positive => "positive",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Negative => "negative",
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
