//! A response before it is stored ([`NewResponse`]) and after
//! ([`StoredResponse`]): the store gives it its id and arrival time.

use super::{Label, ResponseId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use survey::Answer;

/// Sentiment and themes of one free-text answer, computed when stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextCoding {
    /// VADER-style compound score in [-1, 1].
    pub compound: f64,
    /// Positive, neutral or negative.
    pub label: Label,
    /// Theme ids from the form's codebook.
    pub themes: Vec<String>,
    /// Whether it holds a clearly positive part and a clearly negative one
    /// (see `analysis::signals`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub mixed: bool,
    /// Whether it asks for something: a suggestion, or contact or
    /// information.
    #[serde(default, skip_serializing_if = "is_false")]
    pub actionable: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A validated, coded response on its way to the store: everything but
/// the id and the arrival time, which the store gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewResponse {
    /// Form id.
    pub form: String,
    /// Form version answered.
    pub version: u32,
    /// Place id.
    pub location: Option<String>,
    /// Channel (`embed`, `qr`, `link`, …).
    pub channel: String,
    /// Language answered in.
    pub lang: String,
    /// Answers by question id.
    pub answers: BTreeMap<String, Answer>,
    /// Coding of free-text answers by question id.
    pub coding: BTreeMap<String, TextCoding>,
    /// Why a bot check doubted this response (`honeypot`, `render-token`,
    /// `too-fast`), if one did: the store keeps it aside.
    pub flag: Option<String>,
    /// Case attributes its invitation carried (`team`, `category`, …),
    /// never asked of the person.
    pub attributes: BTreeMap<String, String>,
    /// Answers to questions that collect personal data (a call-back
    /// contact, a crime reference): the store keeps them apart from the
    /// response, for the case's team only, and erases them when the case
    /// closes or the form's retention ends.
    pub personal: BTreeMap<String, Answer>,
    /// The invitation it answers, if it came through one: the store takes
    /// one response per invitation.
    pub invitation: Option<String>,
}

impl NewResponse {
    /// The response as stored under `id` (which carries its arrival time).
    pub fn stored(self, id: ResponseId) -> StoredResponse {
        StoredResponse {
            id: Some(id),
            form: self.form,
            version: self.version,
            received_ms: id.ms,
            location: self.location,
            channel: self.channel,
            lang: self.lang,
            answers: self.answers,
            coding: self.coding,
            flag: self.flag,
            attributes: self.attributes,
        }
    }

    /// The JSON stored for this response when it arrives at `received_ms`:
    /// the same bytes as [`StoredResponse`]'s, written without copying the
    /// answers (the store does this while it holds its writer lock).
    pub fn stored_json(&self, received_ms: u64) -> serde_json::Result<Vec<u8>> {
        /// [`StoredResponse`] by reference: same fields, same order.
        #[derive(Serialize)]
        struct Stored<'a> {
            version: u32,
            received_ms: u64,
            location: &'a Option<String>,
            channel: &'a str,
            lang: &'a str,
            answers: &'a BTreeMap<String, Answer>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            coding: &'a BTreeMap<String, TextCoding>,
            #[serde(skip_serializing_if = "Option::is_none")]
            flag: &'a Option<String>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            attributes: &'a BTreeMap<String, String>,
        }
        serde_json::to_vec(&Stored {
            version: self.version,
            received_ms,
            location: &self.location,
            channel: &self.channel,
            lang: &self.lang,
            answers: &self.answers,
            coding: &self.coding,
            flag: &self.flag,
            attributes: &self.attributes,
        })
    }
}

/// A response as stored and exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    /// Response id (arrival order).
    #[serde(skip)]
    pub id: Option<ResponseId>,
    /// Form id.
    #[serde(skip)]
    pub form: String,
    /// Form version answered.
    pub version: u32,
    /// Server time of arrival, milliseconds since the Unix epoch.
    pub received_ms: u64,
    /// Place id.
    pub location: Option<String>,
    /// Channel (`embed`, `qr`, `link`, …).
    pub channel: String,
    /// Language answered in.
    pub lang: String,
    /// Answers by question id.
    pub answers: BTreeMap<String, Answer>,
    /// Coding of free-text answers by question id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub coding: BTreeMap<String, TextCoding>,
    /// Why a bot check doubted this response (`honeypot`, `render-token`,
    /// `too-fast`). A flagged response is kept aside: durable and counted
    /// once, but in no aggregate, index or export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// Case attributes its invitation carried (`team`, `category`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
}

/// What an erased free-text answer reads once its form's retention period
/// has passed (see [`StoredResponse::erase_text`]).
///
/// The answer keeps its question id and becomes this fixed text, rather
/// than disappearing: an export row and `/text` then say plainly that the
/// person did answer and that the words were erased, instead of looking
/// like an unanswered question; every reader that counts answers (the
/// index rebuilt from JSON, exports, CSV) sees the same shape as before;
/// and the sentiment and theme codes (in `coding`, and an analyst's in the
/// codes tree) stay, so aggregates, theme counts and agreement do not move.
pub const ERASED_TEXT: &str = "[erased: retention period passed]";

impl StoredResponse {
    /// Replaces the free text of the answers to `questions` with
    /// [`ERASED_TEXT`], keeping their coding; returns how many answers
    /// changed (none for one erased before, so erasing is idempotent).
    pub fn erase_text(&mut self, questions: &[String]) -> usize {
        let mut erased = 0;
        for q in questions {
            if let Some(Answer::Text(text)) = self.answers.get_mut(q) {
                if text != ERASED_TEXT {
                    ERASED_TEXT.clone_into(text);
                    erased += 1;
                }
            }
        }
        erased
    }
}

/// A short description of a form, for listings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormSummary {
    /// Form id.
    pub id: String,
    /// Current version.
    pub version: u32,
    /// Title in the default language.
    pub title: String,
    /// Number of responses stored (all versions).
    pub responses: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_response_is_stored_as_the_stored_response_serialises() {
        let mut answers = BTreeMap::new();
        answers.insert("safe".to_owned(), Answer::Number(4));
        answers.insert("why".to_owned(), Answer::Text("lighting".into()));
        let mut coding = BTreeMap::new();
        coding.insert(
            "why".to_owned(),
            TextCoding {
                compound: 0.25,
                label: Label::Positive,
                themes: vec!["lighting".into()],
                mixed: false,
                actionable: false,
            },
        );
        for (coding, flag) in [
            (BTreeMap::new(), None),
            (coding, None),
            (BTreeMap::new(), Some("too-fast".to_owned())),
        ] {
            let new = NewResponse {
                form: "f".into(),
                version: 3,
                location: Some("aldgate".into()),
                channel: "qr".into(),
                lang: "en".into(),
                answers: answers.clone(),
                coding,
                flag,
                attributes: BTreeMap::new(),
                personal: BTreeMap::new(),
                invitation: None,
            };
            let id = ResponseId {
                ms: 1_700_000_000_000,
                seq: 9,
            };
            let json = new.stored_json(id.ms).unwrap();
            assert_eq!(json, serde_json::to_vec(&new.clone().stored(id)).unwrap());
        }
    }
}
