//! Two signals analysts filter free text by, beside its sentiment:
//! whether a comment is *mixed* (a clearly positive part and a clearly
//! negative part, as "the officer was lovely but I never heard another
//! word") and whether it is *actionable* (a suggestion, or a request for
//! contact or information, as "please ring me back about ref 4431").
//!
//! Mixed: the comment is cut into clauses at sentence ends, commas,
//! semicolons and contrast words (`but`, `though`, `although`, `however`,
//! `then`, `whereas`, `yet`), each clause is scored with the same scorer as
//! the whole, and the comment is mixed when one clause reaches
//! [`MIXED_AT`] and another −[`MIXED_AT`]. Actionable: one of the request
//! or suggestion patterns below appears, on whole lower-cased tokens.
//!
//! Both were tuned on the development part of the frozen evaluation set
//! (`analysis/eval`); `eval_text` reports them on its test part.

use crate::sentiment::Scorer;
use crate::text::with_tokens;

/// A clause's compound at which it counts as clearly positive (and its
/// negation as clearly negative).
pub const MIXED_AT: f64 = 0.3;

/// Words that start a new clause.
pub(crate) const CONTRAST: &[&str] = &[
    "but", "though", "although", "however", "then", "whereas", "yet",
];

/// Token sequences that make a comment a request or a suggestion.
const ACTIONABLE: &[&[&str]] = &[
    &["please"],
    &["pls"],
    &["could", "you"],
    &["can", "you"],
    &["can", "someone"],
    &["could", "someone"],
    &["can", "we"],
    &["could", "we"],
    &["would", "like"],
    &["i'd", "like"],
    &["id", "like"],
    &["we", "need"],
    &["need", "to"],
    &["should"],
    &["how", "do", "i"],
    &["who", "do", "i"],
    &["where", "is"],
    &["let", "me", "know"],
    &["call", "me"],
    &["ring", "me"],
    &["contact", "me"],
    &["get", "back", "to", "me"],
    &["bring", "back"],
    &["would", "help"],
    &["would", "really", "help"],
    &["more", "patrols"],
    &["keep", "up"],
    &["i", "need"],
    &["need", "police"],
    &["need", "someone"],
    &["pass", "on"],
    &["want", "to", "know"],
    &["need", "better"],
];

/// Words before "call me" or "ring me" that make it a report of what
/// someone said they would do, not a request ("she would ring me").
const REPORTED: &[&str] = &["would", "will", "to", "said", "should", "didnt", "didn't"];

/// Whether `text` asks for something: a suggestion, or contact or
/// information.
pub fn actionable(text: &str) -> bool {
    with_tokens(text, |words| {
        ACTIONABLE.iter().any(|p| {
            words.windows(p.len()).enumerate().any(|(i, w)| {
                let reported = matches!(p[0], "call" | "ring")
                    && i > 0
                    && REPORTED.contains(&words[i - 1].as_str());
                !reported && w.iter().zip(p.iter()).all(|(a, b)| a == b)
            })
        })
    })
}

/// The clauses of `text`: cut at sentence ends, commas, semicolons and
/// before contrast words.
pub(crate) fn clauses(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in text.split(['.', '!', '?', ',', ';', ':']) {
        let mut cur: Vec<&str> = Vec::new();
        for word in piece.split_whitespace() {
            let bare = word
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            if CONTRAST.contains(&bare.as_str()) && !cur.is_empty() {
                out.push(cur.join(" "));
                cur.clear();
            }
            cur.push(word);
        }
        if !cur.is_empty() {
            out.push(cur.join(" "));
        }
    }
    out
}

/// A comment cut into its [`clauses`], each scored once. The label
/// model, the mixed model and the mixed rule all read a comment's
/// clauses: made once per comment and handed to each, they are scored
/// once, not once a reader (the collector codes every comment at ingest).
#[derive(Debug, Clone, PartialEq)]
pub struct Clauses {
    pub(crate) parts: Vec<String>,
    /// Each part's compound.
    pub(crate) scores: Vec<f64>,
}

impl Clauses {
    /// `text`'s clauses scored by `scorer`; `compound`, the whole text's
    /// by the same scorer, stands for a lone clause's own.
    pub fn of(scorer: &Scorer, text: &str, compound: f64) -> Clauses {
        let parts = clauses(text);
        let scores = match parts.len() {
            1 => vec![compound],
            _ => parts.iter().map(|c| scorer.score(c).compound).collect(),
        };
        Clauses { parts, scores }
    }

    /// How many clauses.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether there is none (no words).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The rule's verdict: see [`mixed`].
    pub fn mixed(&self) -> bool {
        mixed_clauses(&self.parts, &self.scores)
    }
}

/// Whether `text` holds a clearly positive clause and a clearly negative
/// one, scored by `scorer`; or turns on a contrast word (`but`,
/// `although`, …) from one side to the other, however mildly.
pub fn mixed(scorer: &Scorer, text: &str) -> bool {
    let parts = clauses(text);
    let scores: Vec<f64> = parts.iter().map(|c| scorer.score(c).compound).collect();
    mixed_clauses(&parts, &scores)
}

/// [`mixed`] of a text cut into `parts`, whose compounds are `scores`.
pub(crate) fn mixed_clauses(parts: &[String], scores: &[f64]) -> bool {
    if parts.len() < 2 {
        return false;
    }
    if scores.iter().any(|s| *s >= MIXED_AT) && scores.iter().any(|s| *s <= -MIXED_AT) {
        return true;
    }
    // A turn: a clause opening with a contrast word whose sentiment is the
    // other side of the one before it.
    parts
        .iter()
        .zip(scores)
        .skip(1)
        .zip(parts.iter().zip(scores))
        .any(|((clause, after), (_, before))| {
            let first = clause.split_whitespace().next().map(|w| {
                w.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            });
            first.is_some_and(|w| CONTRAST.contains(&w.as_str()) && w != "then")
                && (after * before) < 0.0
                && after.abs() >= 0.05
                && before.abs() >= 0.05
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_suggestions_are_actionable() {
        for t in [
            "Please fix the lamp by the bins",
            "Could you have an officer at the school gates",
            "Id like someone to ring me back about ref 4431",
            "How do I join the ward panel?",
            "Bring back the bobby on the beat",
        ] {
            assert!(actionable(t), "{t}");
        }
        for t in [
            "The officer was kind and patient",
            "dealing on the corner every night",
            "still waiting",
            "pleased with the service",
            "The officer said she would ring me on Monday",
        ] {
            assert!(!actionable(t), "{t}");
        }
    }

    #[test]
    fn a_comment_with_a_good_and_a_bad_part_is_mixed() {
        let s = Scorer::new();
        assert!(mixed(
            &s,
            "The officer was lovely and kind, but the investigation was useless"
        ));
        assert!(!mixed(&s, "Lovely officer, very kind and helpful"));
        assert!(!mixed(&s, "Terrible, rude and useless"));
        assert!(!mixed(&s, "ok"));
    }

    #[test]
    fn clauses_cut_at_punctuation_and_contrast_words() {
        assert_eq!(
            clauses("Nice people, terrible communication"),
            ["Nice people", "terrible communication"]
        );
        assert_eq!(
            clauses("polite on the phone then silence for months"),
            ["polite on the phone", "then silence for months"]
        );
    }
}
