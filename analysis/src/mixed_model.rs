//! The mixed signal shipped until the flag model (`flag_model`, version
//! `svm-1`) replaced it; `eval_text` reports it beside that one.
//!
//! A learned *mixed* signal: one logistic regression over the shape of a
//! comment's clauses (the band of each clause's compound, the most
//! positive and most negative clause, how many clauses, whether a
//! contrast word turns it) and the rule of [`signals::mixed`](crate::signals::mixed), trained on
//! the development comments (`dev_set`; the test part is never read).
//!
//! ```text
//! text ─► clauses ─► each clause's band, highest and lowest band, count ─┐
//!      ├─► a contrast word? ─────────────────────────────────────────────┤
//!      └─► signals::mixed (the rule, a prior weight) ────────────────────┴─► Binary ≥ 0.5 ─► mixed
//! ```
//!
//! Why: the rule (a clause at +0.3 and one at −0.3, or a turn on a
//! contrast word between clauses of opposite sign) misses mixed comments
//! whose bad part has no negative word ("the officer was lovely but I
//! never heard back"). Chosen by 5-fold cross-validation over the 1,178
//! development comments (57 mixed): the rule F1 0.450 (25 found, 29
//! wrong); this model 0.833 (45 found, 6 wrong); with word stems too 0.852
//! (47 found, 8 wrong), left out as it learns the writers' words rather
//! than the comment's shape. No words: so it reads any deployment's
//! comments by their shape, not by the development comments' vocabulary.

use crate::dev_set;
use crate::learn::{Binary, Featurizer};
use crate::sentiment::Scorer;
use crate::sentiment_model::{band, featurized, TRAINING};
use crate::signals::{Clauses, CONTRAST};
use crate::text::with_tokens;

/// The version stored beside the flags it gives.
pub const VERSION: &str = "dev-1";

/// The weight the model starts with on "the rule says mixed".
const RULE_PRIOR: f32 = 2.0;

/// A trained mixed-signal model.
pub struct MixedModel {
    featurizer: Featurizer,
    model: Binary,
}

impl std::fmt::Debug for MixedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MixedModel")
    }
}

impl MixedModel {
    /// Trains on `(text, mixed)` examples, `scorer` scoring the clauses.
    pub fn train<'a>(
        scorer: &Scorer,
        examples: impl IntoIterator<Item = (&'a str, bool)>,
    ) -> MixedModel {
        let featurizer = Featurizer::new();
        let xs = featurized(scorer, examples, |text, compound| {
            features(&featurizer, text, &Clauses::of(scorer, text, compound))
        });
        let data: Vec<(&[u32], bool)> = xs.iter().map(|(x, y)| (x.as_slice(), *y)).collect();
        let start: Vec<(u32, f32)> = featurizer
            .features_with_codes("", &["rule".to_owned()])
            .into_iter()
            .map(|slot| (slot, RULE_PRIOR))
            .collect();
        MixedModel {
            model: Binary::train_from(&data, TRAINING, &start),
            featurizer,
        }
    }

    /// The model trained on the development comments.
    pub fn from_development_set(scorer: &Scorer) -> MixedModel {
        MixedModel::train(scorer, dev_set::rows().iter().map(|r| (r.text, r.mixed)))
    }

    /// Whether `text` (whose compound by `scorer` is `compound`) holds a
    /// clearly good and a clearly bad part.
    pub fn is_mixed(&self, scorer: &Scorer, text: &str, compound: f64) -> bool {
        self.is_mixed_with(text, &Clauses::of(scorer, text, compound))
    }

    /// [`MixedModel::is_mixed`] of `text` cut into `clauses` (scored by
    /// the scorer it was trained with).
    pub fn is_mixed_with(&self, text: &str, clauses: &Clauses) -> bool {
        self.model
            .probability(&features(&self.featurizer, text, clauses))
            >= 0.5
    }
}

/// The features of `text`, cut into `clauses`.
fn features(featurizer: &Featurizer, text: &str, clauses: &Clauses) -> Vec<u32> {
    let (parts, scores) = (&clauses.parts, &clauses.scores);
    let mut codes: Vec<String> = scores
        .iter()
        .map(|c| format!("clause:{}", band(*c)))
        .collect();
    let high = scores.iter().copied().fold(-1.0, f64::max);
    let low = scores.iter().copied().fold(1.0, f64::min);
    codes.push(format!("high:{}", band(high)));
    codes.push(format!("low:{}", band(low)));
    codes.push(format!("span:{}{}", band(high), band(low)));
    codes.push(format!("clauses:{}", parts.len().min(4)));
    if with_tokens(text, |words| {
        words.iter().any(|w| CONTRAST.contains(&w.as_str()))
    }) {
        codes.push("contrast".to_owned());
    }
    if clauses.mixed() {
        codes.push("rule".to_owned());
    }
    let mut x = featurizer.features_with_codes("", &codes);
    x.dedup();
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals;

    /// 5-fold over the development comments, the figures in the module's
    /// header: the model finds far more of the mixed comments than the
    /// rule, and is wrong less often.
    #[test]
    fn finds_more_mixed_comments_than_the_rule() {
        let s = Scorer::new();
        let rows = dev_set::rows();
        let (mut model, mut model_wrong, mut rule, mut rule_wrong) = (0, 0, 0, 0);
        for fold in 0..5 {
            let m = MixedModel::train(
                &s,
                rows.iter()
                    .enumerate()
                    .filter(|(i, _)| i % 5 != fold)
                    .map(|(_, r)| (r.text, r.mixed)),
            );
            for r in rows
                .iter()
                .enumerate()
                .filter(|(i, _)| i % 5 == fold)
                .map(|(_, r)| r)
            {
                if m.is_mixed(&s, r.text, s.score(r.text).compound) {
                    model += usize::from(r.mixed);
                    model_wrong += usize::from(!r.mixed);
                }
                if signals::mixed(&s, r.text) {
                    rule += usize::from(r.mixed);
                    rule_wrong += usize::from(!r.mixed);
                }
            }
        }
        println!("of 57 mixed: the model finds {model} ({model_wrong} wrong), the rule {rule} ({rule_wrong} wrong)");
        assert!(model >= 40 && model_wrong <= 12, "{model} {model_wrong}");
        assert!(model > rule && model_wrong < rule_wrong);
    }

    #[test]
    fn reads_a_turn_without_a_negative_word() {
        let s = Scorer::new();
        let m = MixedModel::from_development_set(&s);
        let a = MixedModel::from_development_set(&s);
        assert_eq!(m.model, a.model, "deterministic");
        let mixed = |t: &str| m.is_mixed(&s, t, s.score(t).compound);
        assert!(mixed(
            "The officer was lovely and kind, but the investigation was useless"
        ));
        // The bad part without a negative word: the rule misses it.
        for t in [
            "The officer who came was lovely but I never heard another word",
            "Polite on the phone, then silence for months",
        ] {
            assert!(mixed(t), "{t}");
            assert!(!signals::mixed(&s, t), "{t}");
        }
        assert!(!mixed("Lovely officer, very kind and helpful"));
        assert!(!mixed("Terrible, rude and useless"));
        assert!(!mixed("ok"));
    }
}
