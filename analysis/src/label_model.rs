//! The shipped sentiment label: three one-against-the-rest linear SVMs
//! (positive, neutral, negative) over tf-idf word and character n-grams
//! ([`crate::svm`], the theme model's recipe), the words in a negation's
//! scope and the lexicon's band, trained on every development comment
//! (the frozen set's `dev` part and all the extra development comments,
//! compiled in; no held-out comment is read here). The label is the class
//! with the largest decision value where the comment is in the forms'
//! voice ([`Gate`]: nearly all its words are known to the development
//! comments); elsewhere the model's "neutral" does not overrule a lexicon
//! label that is positive or negative. The compound score stays the
//! lexicon's.
//!
//! ```text
//! text ─► words 1–2, characters 2–5, negated words, tf-idf ─► 3 × SVM ─► largest value ─┐
//!      ├─► Scorer::score ─► compound ─► band (a feature) and lexicon label ─────────────┤
//!      └─► share of known words ────────────────────────────────────────────────────────┴─► label
//! ```
//!
//! Why the gate: the bound on what the label may cost on general text is
//! VADER's own ground truth (`analysis/tests/vader_reference.rs`: at most
//! one point under plain VADER's 60.72%, and the review sentences no
//! worse than plain VADER), where people rated almost every sentence as
//! leaning one way or the other. Where the SVM reads such a sentence as
//! positive or negative it is right more often than the lexicon (64.2%
//! against 63.2%), but it reads 17% of them as neutral, which is never
//! right there: 53.4% in all. Policing comments, which state facts ("saw
//! two officers by the shops"), are neutral far more often. Half of
//! VADER's sentences have under 69% of their words in three or more
//! development comments, and 5% reach 95%; 83% of the development
//! comments do (their own words counted).
//!
//! How it was chosen: by batch over the 9,226 extra development comments,
//! each batch labelled by models trained on the others
//! (`eval_text --split extra --by-round`), bounded by VADER's ground truth
//! (`vader_accuracy`), first in scikit-learn (its figures below, but the
//! two versions', which are this crate's):
//!
//! | label | by batch | VADER's ground truth | Amazon snippets (plain VADER 56.53%) |
//! |---|---:|---:|---:|
//! | the lexicon's (policing layer) | 0.518 | 60.78% | |
//! | logistic label on stems and lexicon bands (`dev-3`) | 0.810 | 60.31% | |
//! | SVM alone | 0.856 | 53.44% | |
//! | `svm-1`: neutral needs a lead of 1.0 | 0.833 | 60.49% | 55.34% |
//! | with negated words | 0.843 | 60.46% | 56.18% |
//! | with negated words, never neutral against the lexicon | 0.814 | 61.73% | 57.63% |
//! | the same where under 95% of the words are known, the SVM's label elsewhere | 0.853 | 61.17% | 56.85% |
//! | **that, this version (`svm-2`)** | **0.852** | **61.29%** | **56.66%** |
//!
//! (C 0.5 as for themes; C 0.75 and 0.35 gave no more. The last clause
//! after "but", "then" or "until" as a block of its own gave 0.855 by
//! batch with 56.28% on the Amazon snippets: not taken.) The lexicon's
//! band is a feature beside the n-grams: without it the policing comments
//! read the same, but VADER's ground truth fell to 46.3% (SVM alone).
//! The logistic label ([`crate::SentimentModel`]) stays as what a
//! deployment retrains with its analysts' labels
//! ([`crate::LabelChoice`]), judged against this one.

use crate::dev_set;
use crate::negation::{Known, Negated};
use crate::sentiment::{Label, Scorer};
use crate::sentiment_model;
use crate::svm::{Settings, SvmThemes};

/// The version reported beside labels it gives.
pub const VERSION: &str = "svm-2";

/// When the SVM's "neutral" may overrule a positive or negative lexicon
/// label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gate {
    /// A comment with at least this share of its words known (each found
    /// in three or more training comments) is in the forms' voice: the
    /// SVM's label stands.
    pub known: f32,
    /// Elsewhere, by how much neutral's value must lead the lexicon
    /// label's class (infinite: never).
    pub margin: f32,
}

/// The gate this version ships with.
pub const GATE: Gate = Gate {
    known: 0.95,
    margin: f32::INFINITY,
};

/// The lexicon's bands ([`sentiment_model::band_index`]), one feature
/// each beside the n-grams.
const BANDS: u32 = 5;

/// The features beside the n-grams: the lexicon's band, then the
/// negated words.
fn extra(negated: &Negated, text: &str, compound: f64) -> Vec<(u32, f32)> {
    let mut row = vec![(sentiment_model::band_index(compound) as u32, 1.0)];
    row.extend(negated.row(text, BANDS));
    row
}

/// The label model trained on the development comments.
#[derive(PartialEq)]
pub struct ShippedLabel {
    model: SvmThemes,
    negated: Negated,
    known: Known,
    gate: Gate,
}

impl std::fmt::Debug for ShippedLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShippedLabel")
            .field("version", &VERSION)
            .field("features", &self.model.features())
            .finish()
    }
}

impl ShippedLabel {
    /// Trained on every development comment, their bands read by
    /// `scorer` (under a second; the same comments give the same model,
    /// bit for bit).
    pub fn from_development_set(scorer: &Scorer) -> ShippedLabel {
        let rows = dev_set::all_rows();
        ShippedLabel::train(
            scorer,
            rows.iter().map(|r| (r.text, r.label)),
            Settings::default(),
            GATE,
        )
    }

    /// The same recipe on other comments (text, label), with other
    /// settings and gate: for evaluating it on comments it did not learn
    /// from (`eval_text`).
    pub fn train<'a>(
        scorer: &Scorer,
        examples: impl IntoIterator<Item = (&'a str, Label)>,
        settings: Settings,
        gate: Gate,
    ) -> ShippedLabel {
        let classes: Vec<String> = [Label::Positive, Label::Neutral, Label::Negative]
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect();
        let examples: Vec<(&str, [String; 1])> = examples
            .into_iter()
            .map(|(t, l)| (t, [l.as_str().to_owned()]))
            .collect();
        let negated = Negated::fit(examples.iter().map(|(t, _)| *t));
        let known = Known::fit(examples.iter().map(|(t, _)| *t));
        let extras: Vec<Vec<(u32, f32)>> = examples
            .iter()
            .map(|(t, _)| extra(&negated, t, scorer.score(t).compound))
            .collect();
        let labelled: Vec<(&str, &[String])> =
            examples.iter().map(|(t, l)| (*t, l.as_slice())).collect();
        let width = BANDS + negated.len();
        let model = SvmThemes::train_with(&classes, &labelled, &extras, width, settings);
        ShippedLabel {
            model,
            negated,
            known,
            gate,
        }
    }

    /// The model trained once per process with the policing layer's
    /// scorer ([`Scorer::new`]) and shared.
    pub fn shared() -> std::sync::Arc<ShippedLabel> {
        ShippedLabel::for_scorer(&Scorer::new())
    }

    /// The model for a deployment that scores with `scorer`: the shared
    /// one where that is the policing layer's scorer; else one trained
    /// with `scorer`'s compounds (under a second more at start), so that
    /// the band it learned from is the band it reads (a deployment's own
    /// lexicon, or the layer turned off).
    pub fn for_scorer(scorer: &Scorer) -> std::sync::Arc<ShippedLabel> {
        static SHARED: std::sync::OnceLock<std::sync::Arc<ShippedLabel>> =
            std::sync::OnceLock::new();
        dev_set::for_scorer(&SHARED, scorer, ShippedLabel::from_development_set)
    }

    /// The label of `text`, whose lexicon compound (by the scorer it was
    /// trained with) is `compound`.
    pub fn label(&self, text: &str, compound: f64) -> Label {
        let lexicon = Label::of(compound);
        let scores = self
            .model
            .scores_with(text, &extra(&self.negated, text, compound));
        let value = |l: Label| {
            scores
                .iter()
                .find(|(c, _)| *c == l.as_str())
                .map_or(f32::NEG_INFINITY, |(_, v)| *v)
        };
        let best = [Label::Positive, Label::Neutral, Label::Negative]
            .into_iter()
            .max_by(|a, b| value(*a).total_cmp(&value(*b)))
            .unwrap_or(lexicon);
        if best == Label::Neutral
            && lexicon != Label::Neutral
            && value(Label::Neutral) - value(lexicon) < self.gate.margin
            && self.known.share(text) < self.gate.known
        {
            lexicon
        } else {
            best
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the lexicon reads a policing comment the wrong way: a
    /// complaint in polite words, sarcasm, fewer crimes as good news.
    #[test]
    fn the_shipped_label_reads_policing_comments() {
        let scorer = Scorer::new();
        let m = ShippedLabel::shared();
        for (text, lexicon, want) in [
            (
                "Polite on the phone, then silence for months",
                Label::Positive,
                Label::Negative,
            ),
            (
                "Great, another stabbing on our road",
                Label::Positive,
                Label::Negative,
            ),
            (
                "Fewer thefts since the patrols started",
                Label::Neutral,
                Label::Positive,
            ),
            (
                "They caught the lad who stole my bike within a day, brilliant",
                Label::Positive,
                Label::Positive,
            ),
            (
                "Officers were rude and dismissive",
                Label::Negative,
                Label::Negative,
            ),
        ] {
            assert_eq!(scorer.score(text).label, lexicon, "the lexicon: {text}");
            assert_eq!(m.label(text, scorer.score(text).compound), want, "{text}");
        }
    }

    /// The gate: out of the forms' voice, with no margin the model's
    /// neutral stands and with an infinite one a polar lexicon label is
    /// never turned neutral; in it, the model's label stands whatever the
    /// margin.
    #[test]
    fn neutral_overrules_a_polar_lexicon_label_only_through_the_gate() {
        let rows = dev_set::all_rows();
        let scorer = Scorer::new();
        let train = |gate| {
            ShippedLabel::train(
                &scorer,
                rows.iter().take(2_000).map(|r| (r.text, r.label)),
                Settings::default(),
                gate,
            )
        };
        let gate = |known, margin| Gate { known, margin };
        let none = train(gate(f32::INFINITY, f32::NEG_INFINITY));
        let never = train(gate(f32::INFINITY, f32::INFINITY));
        let voiced = train(gate(0.0, f32::INFINITY));
        let texts: Vec<&str> = rows
            .iter()
            .skip(2_000)
            .take(1_000)
            .map(|r| r.text)
            .collect();
        // A compound in the middle of each band.
        let neutral_against = |m: &ShippedLabel, compound: f64| {
            texts
                .iter()
                .filter(|t| m.label(t, compound) == Label::Neutral)
                .count()
        };
        assert_eq!(neutral_against(&never, 0.3), 0);
        assert_eq!(neutral_against(&never, -0.3), 0);
        assert!(neutral_against(&none, 0.3) > 20);
        assert!(neutral_against(&none, -0.3) > 20);
        for t in &texts {
            for compound in [0.3, -0.3] {
                assert_eq!(
                    voiced.label(t, compound),
                    none.label(t, compound),
                    "in the forms' voice the model's argmax stands: {t}"
                );
            }
            assert_eq!(
                none.label(t, 0.0),
                never.label(t, 0.0),
                "a neutral lexicon label leaves the model's argmax: {t}"
            );
        }
    }

    /// The shipped gate: a development comment the lexicon reads as
    /// polar and the model as neutral stays neutral in the forms' voice;
    /// among unknown words the same comment is never neutral.
    #[test]
    fn the_shipped_gate_lets_neutral_stand_only_in_the_forms_voice() {
        let scorer = Scorer::new();
        let m = ShippedLabel::shared();
        let found = dev_set::all_rows()
            .iter()
            .map(|r| (r.text, scorer.score(r.text).compound))
            .filter(|(t, c)| {
                Label::of(*c) != Label::Neutral
                    && m.known.share(t) >= GATE.known
                    && m.label(t, *c) == Label::Neutral
            })
            .take(20)
            .collect::<Vec<_>>();
        assert_eq!(found.len(), 20, "neutral against a polar lexicon label");
        for (text, compound) in found {
            let odd = format!("{text} zxqv wibblestrand flurbington qorvex plimsoth");
            assert!(m.known.share(&odd) < GATE.known, "{odd}");
            assert_ne!(m.label(&odd, compound), Label::Neutral, "{odd}");
        }
    }

    /// A deployment scoring with another scorer gets a label model
    /// trained with that scorer's compounds; the policing layer's shares
    /// the one model.
    #[test]
    fn a_deployment_with_its_own_scorer_gets_a_label_trained_with_it() {
        let shared = ShippedLabel::shared();
        assert!(std::sync::Arc::ptr_eq(
            &ShippedLabel::for_scorer(&Scorer::new()),
            &shared
        ));
        let plain = ShippedLabel::for_scorer(&Scorer::plain());
        assert!(!std::sync::Arc::ptr_eq(&plain, &shared));
        assert!(*plain != *shared, "trained with plain VADER's bands");
    }
}
