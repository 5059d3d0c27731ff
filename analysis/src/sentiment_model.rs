//! A learned sentiment label on top of the lexicon: three one-against-the-
//! rest logistic regressions (positive, neutral, negative) over a
//! comment's word stems and the band its lexicon compound falls in,
//! trained on the development part of the frozen evaluation set
//! (`analysis/eval/comments.tsv`, compiled in; the test part is never
//! read here). The label is the most probable of the three; the compound
//! score stays the lexicon's.
//!
//! ```text
//! text ─► Scorer::score ─► compound ─► band ─┐
//!      └─► word stems ───────────────────────┴─► 3 × Binary ─► most probable label
//! ```
//!
//! Each model starts out trusting the lexicon (its own bands carry a prior
//! weight) and learns where the comments' writers depart from it: praise
//! for an arrest, a complaint with no negative word. Settings chosen on the
//! development part alone (5-fold): 10 passes, L2 0.01, prior 2. Training
//! takes a few milliseconds, so it happens when the model is built, the
//! same examples giving the same model bit for bit.

use crate::learn::{Binary, Featurizer, Training};
use crate::sentiment::{Label, Scorer};

/// The version reported beside labels it gives.
pub const VERSION: &str = "dev-1";

/// The evaluation set, compiled in; only its `dev` rows are trained on.
const EVAL_SET: &str = include_str!("../eval/comments.tsv");

const LABELS: [Label; 3] = [Label::Positive, Label::Neutral, Label::Negative];

/// A trained sentiment-label model.
pub struct SentimentModel {
    featurizer: Featurizer,
    models: Vec<Binary>,
}

impl std::fmt::Debug for SentimentModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentimentModel")
            .field("version", &VERSION)
            .finish()
    }
}

/// The band of a compound score, as a feature name.
fn band(compound: f64) -> &'static str {
    match compound {
        c if c <= -0.5 => "cmp:n2",
        c if c <= -0.05 => "cmp:n1",
        c if c < 0.05 => "cmp:z",
        c if c < 0.5 => "cmp:p1",
        _ => "cmp:p2",
    }
}

impl SentimentModel {
    /// Trains on `(text, label)` examples, with `scorer` giving each
    /// text's compound.
    pub fn train<'a>(
        scorer: &Scorer,
        examples: impl IntoIterator<Item = (&'a str, Label)>,
    ) -> SentimentModel {
        let featurizer = Featurizer::new();
        let xs: Vec<(Vec<u32>, Label)> = examples
            .into_iter()
            .map(|(text, label)| (features(&featurizer, scorer, text), label))
            .collect();
        let training = Training {
            epochs: 10,
            rate: 0.3,
            l2: 0.01,
            threshold: 0.5,
        };
        let models = LABELS
            .iter()
            .map(|label| {
                let own: &[&str] = match label {
                    Label::Positive => &["cmp:p1", "cmp:p2"],
                    Label::Negative => &["cmp:n1", "cmp:n2"],
                    Label::Neutral => &["cmp:z"],
                };
                let start: Vec<(u32, f32)> = own
                    .iter()
                    .flat_map(|b| featurizer.features_with_codes("", &[(*b).to_owned()]))
                    .map(|slot| (slot, 2.0))
                    .collect();
                let data: Vec<(&[u32], bool)> =
                    xs.iter().map(|(x, y)| (x.as_slice(), y == label)).collect();
                Binary::train_from(&data, training, &start)
            })
            .collect();
        SentimentModel { featurizer, models }
    }

    /// The model trained on the development part of the evaluation set.
    pub fn from_development_set(scorer: &Scorer) -> SentimentModel {
        let rows: Vec<(&str, Label)> = EVAL_SET
            .lines()
            .skip(1)
            .filter_map(|line| {
                let f: Vec<&str> = line.split('\t').collect();
                (f.len() == 9 && f[1] == "dev").then_some(())?;
                Some((f[8], Label::parse(f[4])?))
            })
            .collect();
        SentimentModel::train(scorer, rows)
    }

    /// The label of `text` whose lexicon compound is `compound`.
    pub fn label(&self, text: &str, compound: f64) -> Label {
        let mut x = self
            .featurizer
            .features_with_codes(text, &[band(compound).to_owned()]);
        x.dedup();
        let p: Vec<f32> = self.models.iter().map(|m| m.probability(&x)).collect();
        let best = (0..LABELS.len())
            .max_by(|a, b| p[*a].total_cmp(&p[*b]))
            .unwrap_or(1);
        LABELS[best]
    }
}

fn features(featurizer: &Featurizer, scorer: &Scorer, text: &str) -> Vec<u32> {
    let compound = scorer.score(text).compound;
    featurizer.features_with_codes(text, &[band(compound).to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trained on the development part only (376 rows), the same model
    /// each time; praise for an arrest is positive and a long wait that
    /// ended in hanging up negative, though their words alone mislead the
    /// lexicon.
    #[test]
    fn the_development_model_reads_policing_comments() {
        let scorer = Scorer::new();
        let a = SentimentModel::from_development_set(&scorer);
        let b = SentimentModel::from_development_set(&scorer);
        assert_eq!(a.models, b.models, "deterministic");
        let label = |t: &str| a.label(t, scorer.score(t).compound);
        assert_eq!(
            label("They caught the lad who stole my bike within a day, brilliant"),
            Label::Positive
        );
        assert_eq!(
            label("Rang 101, was on hold for an hour, eventually hung up"),
            Label::Negative
        );
        assert_eq!(label("Officers were rude and dismissive"), Label::Negative);
        let dev = EVAL_SET
            .lines()
            .filter(|l| l.split('\t').nth(1) == Some("dev"))
            .count();
        assert_eq!(dev, 376);
    }
}
