//! Which coder each theme uses: the codebook's phrases, or a model learned
//! from the analysts' own codes, whichever agrees better with the analysts
//! on codes it was not trained on.
//!
//! ```text
//! hand-coded answers ─► 5 folds ─► per fold: train on 4, code the 5th ─► learned codes (held out)
//!                    └─► codebook codes
//! per theme: kappa(learned, analysts) vs kappa(codebook, analysts) ─► use_learned
//! all hand-coded answers ─► the model shipped
//! ```
//!
//! Every hand-coded answer is held out once (k-fold cross-validation), so
//! the learned model's kappa is measured on answers it never saw, with all
//! the codes there are; the codebook is not trained, so its kappa is over
//! the same answers as they are. A theme goes to the learned model only
//! when
//! - the analysts have found the theme at least [`MIN_POSITIVES`] times (a
//!   theme seen twice teaches a model nothing it can be trusted with),
//! - its held-out kappa is defined and higher than the codebook's, and
//! - it is better beyond chance: of the answers where exactly one of the
//!   two agrees with the analyst, the model is the one often enough that a
//!   coin would do so less than 5% of the time (an exact one-sided
//!   McNemar test). With a few dozen codes a kappa moves a lot with one
//!   answer; this keeps a lucky fold from replacing a sound codebook.

use crate::agreement::Agreement;
use crate::learn::{Featurizer, ThemeModel, Training};
use serde::{Deserialize, Serialize};

/// Folds of the cross-validation.
pub const FOLDS: usize = 5;

/// The fewest answers an analyst must have coded with a theme before a
/// learned model may take it over.
pub const MIN_POSITIVES: u64 = 5;

/// SplitMix64: a fixed, well-mixed permutation key for position `x`.
pub(crate) fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One hand-coded answer.
#[derive(Debug, Clone)]
pub struct Example<'a> {
    /// What the person wrote.
    pub text: &'a str,
    /// The codebook's themes for it.
    pub codebook: Vec<String>,
    /// The analyst's themes for it (empty: the analyst said none applies).
    pub manual: &'a [String],
}

/// How the two coders did on one theme, and which one codes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThemeChoice {
    /// Theme id.
    pub theme: String,
    /// Answers the analysts coded with this theme.
    pub positives: u64,
    /// The codebook against the analysts, over every hand-coded answer.
    pub codebook: Agreement,
    /// The learned model against the analysts, each answer coded by a
    /// model trained without it.
    pub learned: Agreement,
    /// Answers where the model agreed with the analyst and the codebook
    /// did not.
    #[serde(default)]
    pub learned_right: u64,
    /// Answers where the codebook agreed with the analyst and the model
    /// did not.
    #[serde(default)]
    pub codebook_right: u64,
    /// Whether the learned model codes this theme.
    pub use_learned: bool,
}

/// The chance that a fair coin gives at least `wins` heads in `wins +
/// losses` tosses (the exact one-sided McNemar p-value).
pub fn mcnemar_p(wins: u64, losses: u64) -> f64 {
    let n = wins + losses;
    if wins == 0 {
        return 1.0;
    }
    // Sum of C(n, k) / 2^n for k ≥ wins, in logs to stay finite.
    let ln_choose = |k: u64| -> f64 {
        (1..=k)
            .map(|i| ((n - k + i) as f64).ln() - (i as f64).ln())
            .sum()
    };
    (wins..=n)
        .map(|k| (ln_choose(k) - n as f64 * std::f64::consts::LN_2).exp())
        .sum::<f64>()
        .min(1.0)
}

/// A model trained on every hand-coded answer, with the per-theme choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The model, trained on all the examples.
    pub model: ThemeModel,
    /// Hand-coded answers it was trained and judged on.
    pub examples: u64,
    /// One entry per theme, in the order given.
    pub themes: Vec<ThemeChoice>,
}

impl Choice {
    /// Trains a model for `themes` on `examples` and chooses, per theme,
    /// the coder that agrees better with the analysts on held-out codes.
    pub fn make(
        version: &str,
        themes: &[String],
        examples: &[Example<'_>],
        featurizer: &Featurizer,
        training: Training,
    ) -> Choice {
        // A fixed shuffle, so that neither the folds nor the order of
        // training follow a pattern in the order the answers came in (a
        // run of one kind of comment would otherwise fill a fold).
        let mut order: Vec<usize> = (0..examples.len()).collect();
        order.sort_by_key(|i| splitmix(*i as u64));
        let examples: Vec<&Example<'_>> = order.iter().map(|i| &examples[*i]).collect();
        let features: Vec<Vec<u32>> = examples
            .iter()
            .map(|e| featurizer.features_with_codes(e.text, &e.codebook))
            .collect();
        let all: Vec<(Vec<u32>, &[String])> = features
            .iter()
            .zip(&examples)
            .map(|(f, e)| (f.clone(), e.manual))
            .collect();
        // Each example coded by a model trained on the other folds.
        let mut held_out: Vec<Vec<String>> = vec![Vec::new(); examples.len()];
        if examples.len() >= FOLDS {
            for fold in 0..FOLDS {
                let train: Vec<(Vec<u32>, &[String])> = all
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % FOLDS != fold)
                    .map(|(_, x)| x.clone())
                    .collect();
                let model = ThemeModel::train_features(version, themes, &train, training);
                for (i, f) in features
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % FOLDS == fold)
                {
                    held_out[i] = model.code(f);
                }
            }
        }
        let model = ThemeModel::train_features(version, themes, &all, training);
        let has = |list: &[String], theme: &str| list.iter().any(|t| t == theme);
        let choices = themes
            .iter()
            .map(|theme| {
                let codebook = Agreement::from_pairs(
                    examples
                        .iter()
                        .map(|e| (has(&e.codebook, theme), has(e.manual, theme))),
                );
                let learned = Agreement::from_pairs(
                    examples
                        .iter()
                        .zip(&held_out)
                        .map(|(e, got)| (has(got, theme), has(e.manual, theme))),
                );
                let positives = codebook.both_yes + codebook.manual_only;
                let (mut learned_right, mut codebook_right) = (0, 0);
                for (e, got) in examples.iter().zip(&held_out) {
                    let want = has(e.manual, theme);
                    match (has(got, theme) == want, has(&e.codebook, theme) == want) {
                        (true, false) => learned_right += 1,
                        (false, true) => codebook_right += 1,
                        _ => {}
                    }
                }
                let use_learned = examples.len() >= FOLDS
                    && positives >= MIN_POSITIVES
                    && match (learned.kappa, codebook.kappa) {
                        (Some(l), Some(c)) => l > c,
                        (Some(_), None) => true,
                        (None, _) => false,
                    }
                    && mcnemar_p(learned_right, codebook_right) < 0.05;
                ThemeChoice {
                    theme: theme.clone(),
                    positives,
                    codebook,
                    learned,
                    learned_right,
                    codebook_right,
                    use_learned,
                }
            })
            .collect();
        Choice {
            model,
            examples: examples.len() as u64,
            themes: choices,
        }
    }

    /// Whether any theme is coded by the learned model.
    pub fn uses_learned(&self) -> bool {
        self.themes.iter().any(|t| t.use_learned)
    }

    /// The themes of a text, given the codebook's themes for it (`codes`):
    /// each theme from the coder chosen for it, in the order of
    /// [`Choice::themes`].
    pub fn code(&self, featurizer: &Featurizer, text: &str, codes: &[String]) -> Vec<String> {
        if !self.uses_learned() {
            return codes.to_vec();
        }
        let learned = self
            .model
            .code(&featurizer.features_with_codes(text, codes));
        self.themes
            .iter()
            .filter(|t| {
                let from = if t.use_learned { &learned } else { codes };
                from.contains(&t.theme)
            })
            .map(|t| t.theme.clone())
            .chain(
                // A theme the choice does not list (a newer codebook's)
                // stays the codebook's.
                codes
                    .iter()
                    .filter(|c| !self.themes.iter().any(|t| t.theme == **c))
                    .cloned(),
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex<'a>(text: &'a str, codebook: &[&str], manual: &'a [String]) -> Example<'a> {
        Example {
            text,
            codebook: codebook.iter().map(|s| (*s).to_owned()).collect(),
            manual,
        }
    }

    /// Analysts who code "delays" where the codebook's phrases miss it
    /// hand the theme to the learned model; a theme the codebook already
    /// codes as they do stays with the codebook; the held-out figures are
    /// not the training fit.
    #[test]
    fn a_theme_goes_to_the_model_only_where_it_agrees_better_on_held_out_codes() {
        let delays = vec!["delays".to_owned()];
        let lighting = vec!["lighting".to_owned()];
        let none: Vec<String> = Vec::new();
        let mut examples = Vec::new();
        let late = [
            "nobody came out after I called",
            "still waiting for someone to come round",
            "waited all day and no one came",
            "they took ages to come out to us",
            "no one came for three days",
            "waited weeks, nobody came",
            "still waiting for an officer to come",
            "no one came when I rang",
            "waited and waited, nobody came",
            "no one came out, still waiting",
        ];
        for t in late {
            examples.push(ex(t, &[], &delays));
        }
        let lamps = [
            "the street lights are out again",
            "street lights broken by the park",
            "lights out on the alley",
            "more street lights please",
            "the lights on the path are broken",
            "street lights never fixed",
        ];
        for t in lamps {
            examples.push(ex(t, &["lighting"], &lighting));
        }
        for t in [
            "officer was kind and patient",
            "lovely area, I feel safe",
            "friendly people on the estate",
            "kept me informed all the way",
            "very professional and polite",
            "the call handler was helpful",
            "good to see patrols in town",
            "thank you for the advice",
        ] {
            examples.push(ex(t, &[], &none));
        }
        let themes = vec!["delays".to_owned(), "lighting".to_owned()];
        let f = Featurizer::new();
        let choice = Choice::make("t-1", &themes, &examples, &f, Training::default());
        let d = &choice.themes[0];
        assert_eq!(d.positives, 10);
        assert_eq!(d.codebook.both_yes, 0, "the codebook never finds it");
        assert!(d.use_learned, "{d:?}");
        assert!(d.learned.kappa.unwrap() > 0.5, "{d:?}");
        let l = &choice.themes[1];
        assert_eq!(l.codebook.kappa, Some(1.0));
        assert!(!l.use_learned, "a perfect codebook keeps its theme: {l:?}");
        assert_eq!(choice.code(&f, "waited ages, no one came", &[]), ["delays"]);
        assert_eq!(
            choice.code(&f, "lights out, and nobody came", &["lighting".to_owned()]),
            ["delays", "lighting"]
        );
        assert_eq!(
            choice,
            Choice::make("t-1", &themes, &examples, &f, Training::default())
        );
    }

    /// The exact test against hand-computed values: 5 of 5 is 1/32, 6 of
    /// 7 is 8/128.
    #[test]
    fn mcnemar_matches_the_binomial() {
        assert!((mcnemar_p(5, 0) - 1.0 / 32.0).abs() < 1e-12);
        assert!((mcnemar_p(6, 1) - 8.0 / 128.0).abs() < 1e-12);
        assert_eq!(mcnemar_p(0, 3), 1.0);
        assert!(mcnemar_p(4, 0) > 0.05, "four wins is not enough");
    }

    /// Too few positives, or too few examples, never hand a theme over.
    #[test]
    fn a_rare_theme_stays_with_the_codebook() {
        let delays = vec!["delays".to_owned()];
        let none: Vec<String> = Vec::new();
        let mut examples = vec![
            ex("nobody came", &[], &delays),
            ex("no one came", &[], &delays),
        ];
        for t in ["kind", "polite", "helpful", "lovely", "fine", "good"] {
            examples.push(ex(t, &[], &none));
        }
        let choice = Choice::make(
            "t-2",
            &["delays".to_owned()],
            &examples,
            &Featurizer::new(),
            Training::default(),
        );
        assert!(!choice.uses_learned());
        assert_eq!(choice.themes[0].positives, 2);
    }
}
