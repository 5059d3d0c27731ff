//! The shipped *mixed* and *actionable* flags: one linear SVM each over
//! the theme and label models' features ([`crate::svm`]: tf-idf word and
//! character n-grams), with the rules of [`signals`](crate::signals)
//! (the clause rule for mixed, the request phrases for actionable) as two
//! features beside them, trained on every development comment (the frozen
//! set's `dev` part and all the extra development comments, compiled in;
//! no held-out comment is read here).
//!
//! ```text
//! text ─► words 1–2, characters 2–5, tf-idf ──────────────┐
//!      ├─► clauses ─► signals::mixed (the rule) ──────────┤
//!      └─► signals::actionable (the rule) ────────────────┴─► SVM mixed ≥ −0.25, SVM actionable ≥ −0.3
//! ```
//!
//! Why: the logistic mixed model over the shape of a comment's clauses
//! (`mixed_model`, version `dev-1`) and the actionable phrases miss what
//! people say in words neither lists ("polite on the phone, then silence
//! for months"; "the lights in the alley need fixing"). Chosen
//! by batch (`eval_text --split extra --by-round`), first with
//! scikit-learn on the n-grams alone, before any held-out set was read
//! with it; see `analysis/README.md`.

use crate::dev_set;
use crate::sentiment::Scorer;
use crate::signals::{self, Clauses};
use crate::svm::{Settings, SvmThemes};

/// The version stored beside the flags it gives.
pub const VERSION: &str = "svm-1";

/// Decision values at or above which a comment is mixed, and actionable.
pub const THRESHOLDS: [f32; 2] = [-0.25, -0.3];

const FLAGS: [&str; 2] = ["mixed", "actionable"];

/// The two flags of a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags {
    /// It holds a clearly good and a clearly bad part.
    pub mixed: bool,
    /// It asks for something: a suggestion, or contact or information.
    pub actionable: bool,
}

/// The flag models trained on the development comments.
#[derive(PartialEq)]
pub struct ShippedFlags {
    model: SvmThemes,
    thresholds: [f32; 2],
}

impl std::fmt::Debug for ShippedFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShippedFlags")
            .field("version", &VERSION)
            .field("features", &self.model.features())
            .finish()
    }
}

/// The rules' verdicts as the features beside the n-grams.
fn rules(text: &str, clauses: &Clauses) -> Vec<(u32, f32)> {
    let mut out = Vec::with_capacity(2);
    if clauses.mixed() {
        out.push((0, 1.0));
    }
    if signals::actionable(text) {
        out.push((1, 1.0));
    }
    out
}

impl ShippedFlags {
    /// Trained on every development comment (under a second; the same
    /// comments give the same model, bit for bit).
    pub fn from_development_set(scorer: &Scorer) -> ShippedFlags {
        let rows = dev_set::all_rows();
        ShippedFlags::train(
            scorer,
            rows.iter().map(|r| (r.text, r.mixed, r.actionable)),
            Settings::default(),
            THRESHOLDS,
        )
    }

    /// The same recipe on other comments (text, mixed, actionable), with
    /// other settings and thresholds: for evaluating it on comments it did
    /// not learn from (`eval_text`). `scorer` scores the clauses.
    pub fn train<'a>(
        scorer: &Scorer,
        examples: impl IntoIterator<Item = (&'a str, bool, bool)>,
        settings: Settings,
        thresholds: [f32; 2],
    ) -> ShippedFlags {
        let examples: Vec<(&str, Vec<String>)> = examples
            .into_iter()
            .map(|(t, mixed, actionable)| {
                let flags = [(mixed, FLAGS[0]), (actionable, FLAGS[1])]
                    .into_iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, f)| f.to_owned())
                    .collect();
                (t, flags)
            })
            .collect();
        let extras: Vec<Vec<(u32, f32)>> = examples
            .iter()
            .map(|(t, _)| rules(t, &Clauses::of(scorer, t, scorer.score(t).compound)))
            .collect();
        let labelled: Vec<(&str, &[String])> =
            examples.iter().map(|(t, l)| (*t, l.as_slice())).collect();
        let classes: Vec<String> = FLAGS.iter().map(|f| (*f).to_owned()).collect();
        let model = SvmThemes::train_with(&classes, &labelled, &extras, 2, settings);
        ShippedFlags { model, thresholds }
    }

    /// The model trained once per process (its clauses scored by the
    /// policing layer's scorer, [`Scorer::new`]) and shared.
    pub fn shared() -> std::sync::Arc<ShippedFlags> {
        ShippedFlags::for_scorer(&Scorer::new())
    }

    /// The model for a deployment that scores with `scorer`: the shared
    /// one where that is the policing layer's scorer; else one trained
    /// with `scorer`'s clauses (under a second more at start).
    pub fn for_scorer(scorer: &Scorer) -> std::sync::Arc<ShippedFlags> {
        static SHARED: std::sync::OnceLock<std::sync::Arc<ShippedFlags>> =
            std::sync::OnceLock::new();
        dev_set::for_scorer(&SHARED, scorer, ShippedFlags::from_development_set)
    }

    /// The flags of `text`, cut into `clauses` (by the scorer it was
    /// trained with).
    pub fn flags(&self, text: &str, clauses: &Clauses) -> Flags {
        let scores = self.model.scores_with(text, &rules(text, clauses));
        let on = |i: usize| scores.get(i).is_some_and(|(_, v)| *v >= self.thresholds[i]);
        Flags {
            mixed: on(0),
            actionable: on(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the rules miss: a turn with no negative word, a suggestion
    /// with no request phrase; and a plain report is neither.
    #[test]
    fn flags_what_the_rules_miss() {
        let scorer = Scorer::new();
        let m = ShippedFlags::shared();
        let flags = |t: &str| {
            let c = Clauses::of(&scorer, t, scorer.score(t).compound);
            (m.flags(t, &c), c.mixed(), signals::actionable(t))
        };
        for text in [
            "The officer who came was lovely but I never heard another word",
            "Polite on the phone, then silence for months",
        ] {
            let (f, rule, _) = flags(text);
            assert!(f.mixed && !rule, "{f:?}: {text}");
        }
        for text in [
            "The lights in the alley need fixing",
            "It would be good to see someone walking round",
        ] {
            let (f, _, rule) = flags(text);
            assert!(f.actionable && !rule, "{f:?}: {text}");
        }
        let (f, _, _) = flags("Saw two officers by the shops on Tuesday");
        assert_eq!(
            f,
            Flags {
                mixed: false,
                actionable: false
            }
        );
    }

    /// A deployment scoring with another scorer gets flags trained with
    /// that scorer's clauses; the policing layer's shares the one model.
    #[test]
    fn a_deployment_with_its_own_scorer_gets_flags_trained_with_it() {
        let shared = ShippedFlags::shared();
        assert!(std::sync::Arc::ptr_eq(
            &ShippedFlags::for_scorer(&Scorer::new()),
            &shared
        ));
        let plain = ShippedFlags::for_scorer(&Scorer::plain());
        assert!(!std::sync::Arc::ptr_eq(&plain, &shared));
        assert!(*plain != *shared, "trained with plain VADER's clauses");
    }
}
