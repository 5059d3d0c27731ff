//! The logistic sentiment label: what a deployment retrains with its
//! analysts' hand labels ([`LabelChoice`]), judged against the shipped
//! label ([`crate::label_model`], which replaced it as the shipped one).
//! Three one-against-the-rest logistic regressions (positive, neutral,
//! negative) over a comment's word stems, the stems a negator turns ("not helpful"), the
//! band its lexicon compound falls in, the bands of its first and last
//! clause where it has more than one, and its length; trained on the
//! development part of the frozen evaluation set
//! (`analysis/eval/comments.tsv`, compiled in; the test part is never
//! read here) and the extra development comments written after it was
//! frozen (`analysis/eval/train.tsv`). The label is the most probable of
//! the three; the compound score stays the lexicon's.
//!
//! ```text
//! text ─► Scorer::score ─► compound ─► band ─────────┐
//!      ├─► clauses ─► first and last clause's bands ─┤
//!      ├─► word stems, negated stems ────────────────┤
//!      └─► length ───────────────────────────────────┴─► 3 × Binary ─► most probable label
//! ```
//!
//! Each model starts out trusting the lexicon (its own bands carry a prior
//! weight) and learns where the comments' writers depart from it: praise
//! for an arrest, a complaint with no negative word. Training takes a few
//! milliseconds, so it happens when the model is built, the same examples
//! giving the same model bit for bit.
//!
//! How the features and settings were chosen: by 5-fold cross-validation
//! over the development rows (the frozen set's `dev` part and the extra
//! comments, 1,178 in all; accuracy), with VADER's own ground truth
//! (`analysis/tests/vader_reference.rs`: at most one point under plain
//! VADER's 60.72%) as the bound on what the layer may cost elsewhere.
//!
//! | features (20 passes, prior 3 unless named) | 5-fold | VADER's ground truth |
//! |---|---:|---:|
//! | stems and band (10 passes: version dev-2) | 0.800 | 59.93% |
//! | stems and band | 0.793 | 59.37% |
//! | with negated stems | 0.808 | 59.95% |
//! | with clause bands | 0.812 | 59.22% |
//! | negated stems, clause bands, length | 0.820 | 59.73% |
//! | the same, prior 4 (**this version**) | 0.817 | 60.31% |
//! | with stem pairs and character 4-grams too | 0.833 | 57.01% |
//! | the same, prior 4 | 0.827 | 58.36% |
//!
//! Stem pairs and 4-grams fit the comments' idiom and cost 3 points on
//! general text, so they are left out. A softmax over the three labels
//! instead of three one-against-the-rest models did worse (0.811).

use crate::choose::mcnemar_p;
use crate::dev_set;
use crate::label_model::ShippedLabel;
use crate::learn::{Binary, Featurizer, Training};
use crate::sentiment::{Label, Scorer};
use crate::signals::Clauses;
use crate::text::tokens;
use serde::{Deserialize, Serialize};

/// The weight each class's model starts with on its own lexicon bands:
/// 4, chosen by 5-fold on the development rows and by VADER's ground
/// truth (3: 0.820 and 60.72 − 59.73 = 0.99 points under plain VADER,
/// at the rule's edge; 4: 0.817 and 0.41 points; 5: 0.814 and none).
const PRIOR: f32 = 4.0;

/// How many of the extra development comments (`train.tsv`'s first
/// rows) the label and mixed models learn from: see `dev_set` for why
/// the later ones are left out.
pub const EXTRA_ROWS: usize = 802;

/// The version reported beside labels it gives.
pub const VERSION: &str = "dev-3";

/// Words that turn the sense of the few words after them ("not
/// helpful", "never came back"): those words' stems are features of
/// their own, `not:<stem>`.
const NEGATORS: &[&str] = &[
    "not", "no", "never", "nothing", "nobody", "none", "nowhere", "without", "didn't", "don't",
    "doesn't", "isn't", "wasn't", "weren't", "won't", "can't", "couldn't", "wouldn't", "hasn't",
    "haven't", "hadn't", "dont", "didnt", "cant", "wont", "isnt", "wasnt", "aint", "ain't",
];

/// How many words after a negator it turns.
const NEGATION_SPAN: usize = 3;

const LABELS: [Label; 3] = [Label::Positive, Label::Neutral, Label::Negative];

/// A trained sentiment-label model.
#[derive(Serialize, Deserialize)]
pub struct SentimentModel {
    #[serde(skip)]
    featurizer: Featurizer,
    models: Vec<Binary>,
}

impl Clone for SentimentModel {
    fn clone(&self) -> SentimentModel {
        SentimentModel {
            featurizer: Featurizer::new(),
            models: self.models.clone(),
        }
    }
}

impl PartialEq for SentimentModel {
    fn eq(&self, other: &SentimentModel) -> bool {
        self.models == other.models
    }
}

/// A label model retrained with a deployment's own hand labels, and
/// whether it labels better than the shipped one on labels it was not
/// trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelChoice {
    /// Trained on the development part and every hand label.
    pub model: SentimentModel,
    /// Hand labels trained and judged on.
    pub examples: u64,
    /// Of those, labelled right by the shipped model.
    pub shipped_right: u64,
    /// Of those, labelled right by a model trained without them (5-fold).
    pub learned_right: u64,
    /// Answers only the retrained model labelled right.
    pub only_learned: u64,
    /// Answers only the shipped model labelled right.
    pub only_shipped: u64,
    /// Whether the retrained model labels: it is right where the shipped
    /// one is wrong more often than chance would be (exact one-sided
    /// McNemar, p < 0.05).
    pub use_learned: bool,
}

impl LabelChoice {
    /// Retrains with `labels` (text, hand label) on top of the development
    /// part, and judges it against `shipped` (the shipped label,
    /// [`crate::label_model`]) on each hand label held out in turn (5
    /// folds, a fixed shuffle).
    pub fn make(scorer: &Scorer, shipped: &ShippedLabel, labels: &[(&str, Label)]) -> LabelChoice {
        let dev = development_rows();
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by_key(|i| crate::choose::splitmix(*i as u64));
        let labels: Vec<(&str, Label)> = order.iter().map(|i| labels[*i]).collect();
        let train = |skip: Option<usize>| {
            let own = labels
                .iter()
                .enumerate()
                .filter(|(i, _)| skip.is_none_or(|fold| i % 5 != fold))
                .map(|(_, x)| *x);
            SentimentModel::train(scorer, dev.iter().copied().chain(own))
        };
        let mut held_out = vec![Label::Neutral; labels.len()];
        if labels.len() >= 5 {
            for fold in 0..5 {
                let m = train(Some(fold));
                for (i, (text, _)) in labels.iter().enumerate().filter(|(i, _)| i % 5 == fold) {
                    held_out[i] = m.label(scorer, text, scorer.score(text).compound);
                }
            }
        }
        let (mut shipped_right, mut learned_right, mut only_learned, mut only_shipped) =
            (0, 0, 0, 0);
        for ((text, want), got) in labels.iter().zip(&held_out) {
            let s = shipped.label(text, scorer.score(text).compound) == *want;
            let l = got == want;
            shipped_right += u64::from(s);
            learned_right += u64::from(l);
            only_learned += u64::from(l && !s);
            only_shipped += u64::from(s && !l);
        }
        LabelChoice {
            model: train(None),
            examples: labels.len() as u64,
            shipped_right,
            learned_right,
            only_learned,
            only_shipped,
            use_learned: labels.len() >= 5 && mcnemar_p(only_learned, only_shipped) < 0.05,
        }
    }
}

/// The development rows: (text, label), the frozen set's development
/// part and then the extra development comments.
fn development_rows() -> Vec<(&'static str, Label)> {
    dev_set::rows().iter().map(|r| (r.text, r.label)).collect()
}

impl std::fmt::Debug for SentimentModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SentimentModel")
            .field("version", &VERSION)
            .finish()
    }
}

/// The number of a compound score's band: ≤ −0.5, ≤ −0.05, under 0.05,
/// under 0.5, the rest.
pub(crate) fn band_index(compound: f64) -> usize {
    match compound {
        c if c <= -0.5 => 0,
        c if c <= -0.05 => 1,
        c if c < 0.05 => 2,
        c if c < 0.5 => 3,
        _ => 4,
    }
}

/// The band of a compound score, as a feature name.
pub(crate) fn band(compound: f64) -> &'static str {
    ["cmp:n2", "cmp:n1", "cmp:z", "cmp:p1", "cmp:p2"][band_index(compound)]
}

/// How the label model and the mixed signal train (chosen by 5-fold on
/// the development comments).
pub(crate) const TRAINING: Training = Training {
    epochs: 20,
    rate: 0.3,
    l2: 0.01,
    threshold: 0.5,
};

/// `examples` as feature slots by `features`, which is handed each text
/// and its compound by `scorer`.
pub(crate) fn featurized<'a, Y>(
    scorer: &Scorer,
    examples: impl IntoIterator<Item = (&'a str, Y)>,
    features: impl Fn(&str, f64) -> Vec<u32>,
) -> Vec<(Vec<u32>, Y)> {
    examples
        .into_iter()
        .map(|(text, y)| (features(text, scorer.score(text).compound), y))
        .collect()
}

impl SentimentModel {
    /// Trains on `(text, label)` examples, with `scorer` giving each
    /// text's compound.
    pub fn train<'a>(
        scorer: &Scorer,
        examples: impl IntoIterator<Item = (&'a str, Label)>,
    ) -> SentimentModel {
        let featurizer = Featurizer::new();
        let xs = featurized(scorer, examples, |text, compound| {
            features(
                &featurizer,
                text,
                compound,
                &Clauses::of(scorer, text, compound),
            )
        });
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
                    .map(|slot| (slot, PRIOR))
                    .collect();
                let data: Vec<(&[u32], bool)> =
                    xs.iter().map(|(x, y)| (x.as_slice(), y == label)).collect();
                Binary::train_from(&data, TRAINING, &start)
            })
            .collect();
        SentimentModel { featurizer, models }
    }

    /// The model trained on the development rows: the frozen set's
    /// development part and the extra development comments.
    pub fn from_development_set(scorer: &Scorer) -> SentimentModel {
        SentimentModel::train(scorer, development_rows())
    }

    /// The label of `text` whose lexicon compound is `compound`.
    /// `scorer` scores its clauses: the scorer that gave `compound`.
    pub fn label(&self, scorer: &Scorer, text: &str, compound: f64) -> Label {
        self.label_with(text, compound, &Clauses::of(scorer, text, compound))
    }

    /// [`SentimentModel::label`] of `text` cut into `clauses` (scored by
    /// the scorer that gave `compound`).
    pub fn label_with(&self, text: &str, compound: f64, clauses: &Clauses) -> Label {
        let x = features(&self.featurizer, text, compound, clauses);
        let p: Vec<f32> = self.models.iter().map(|m| m.probability(&x)).collect();
        let best = (0..LABELS.len())
            .max_by(|a, b| p[*a].total_cmp(&p[*b]))
            .unwrap_or(1);
        LABELS[best]
    }
}

/// The label model's features of `text`, whose compound is `compound`.
fn features(featurizer: &Featurizer, text: &str, compound: f64, clauses: &Clauses) -> Vec<u32> {
    let words = tokens(text);
    let mut codes = vec![band(compound).to_owned()];
    let mut turned = 0;
    for w in &words {
        if NEGATORS.contains(&w.as_str()) {
            turned = NEGATION_SPAN;
        } else if turned > 0 {
            codes.push(format!("not:{}", featurizer.stem(w)));
            turned -= 1;
        }
    }
    // Where a comment turns ("polite on the phone, then silence for
    // months"), how it starts and how it ends.
    match (clauses.scores.first(), clauses.scores.last()) {
        (Some(first), Some(last)) if clauses.len() > 1 => {
            codes.push(format!("first:{}", band(*first)));
            codes.push(format!("last:{}", band(*last)));
        }
        _ => codes.push("one-clause".to_owned()),
    }
    let length = match words.len() {
        0..=3 => "len:0",
        4..=8 => "len:1",
        9..=20 => "len:2",
        _ => "len:3",
    };
    codes.push(length.to_owned());
    let mut x = featurizer.features_of_words(&words, &codes);
    x.dedup();
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trained on the development rows only (376 of the frozen set, 802
    /// extra), the same model each time; praise for an arrest is positive
    /// and a long wait that ended in hanging up negative, though their
    /// words alone mislead the lexicon.
    #[test]
    fn the_development_model_reads_policing_comments() {
        let scorer = Scorer::new();
        let a = SentimentModel::from_development_set(&scorer);
        let b = SentimentModel::from_development_set(&scorer);
        assert_eq!(a.models, b.models, "deterministic");
        let label = |t: &str| a.label(&scorer, t, scorer.score(t).compound);
        assert_eq!(
            label("They caught the lad who stole my bike within a day, brilliant"),
            Label::Positive
        );
        assert_eq!(
            label("Rang 101, was on hold for an hour, eventually hung up"),
            Label::Negative
        );
        assert_eq!(label("Officers were rude and dismissive"), Label::Negative);
        assert_eq!(development_rows().len(), 376 + 802);
    }

    /// Hand labels that read a kind of comment the other way from the
    /// shipped model (here: thanks said in bitter irony) make a retrained
    /// model that labels them as the analysts do, held out; a handful do
    /// not.
    #[test]
    fn hand_labels_retrain_the_label_where_they_disagree() {
        let scorer = Scorer::new();
        let shipped = ShippedLabel::shared();
        let places = [
            "the station",
            "the market",
            "the estate",
            "the park",
            "our road",
            "the square",
            "the canal",
            "the high street",
        ];
        let texts: Vec<String> = places
            .iter()
            .flat_map(|p| {
                [
                    format!("Cheers for the lovely quiet patrol nobody saw at {p}, marvellous"),
                    format!("Marvellous work at {p} again, lovely, cheers"),
                    format!("Cheers, lovely and marvellous as ever near {p}"),
                ]
            })
            .collect();
        let shipped_says = texts
            .iter()
            .filter(|t| shipped.label(t, scorer.score(t).compound) == Label::Negative)
            .count();
        assert!(
            shipped_says < texts.len() / 2,
            "the shipped model reads them as praise"
        );
        let labels: Vec<(&str, Label)> = texts
            .iter()
            .map(|t| (t.as_str(), Label::Negative))
            .collect();
        let choice = LabelChoice::make(&scorer, &shipped, &labels);
        assert!(
            choice.use_learned,
            "{} vs {}",
            choice.learned_right, choice.shipped_right
        );
        assert!(choice.learned_right > choice.shipped_right);
        let t = "Marvellous, lovely, cheers for nothing at the bus stop";
        assert_eq!(
            choice.model.label(&scorer, t, scorer.score(t).compound),
            Label::Negative
        );
        let few = LabelChoice::make(&scorer, &shipped, &labels[..4]);
        assert!(!few.use_learned);
    }

    /// Why the victim form's comment alert reads the label, not a score
    /// threshold: on the victims' comments among the development rows
    /// (each labelled by a model trained on the other four fifths), the
    /// label finds most of the negative ones, "compound below −0.5" few.
    #[test]
    fn the_label_finds_the_negative_victim_comments_a_threshold_misses() {
        let s = Scorer::new();
        let rows: Vec<(&str, Label, bool)> = dev_set::rows()
            .iter()
            .map(|r| (r.text, r.label, r.form == "victim-satisfaction"))
            .collect();
        let (mut negative, mut by_label, mut by_score) = (0, 0, 0);
        let (mut wrong_label, mut wrong_score) = (0, 0);
        for fold in 0..5 {
            let m = SentimentModel::train(
                &s,
                rows.iter()
                    .enumerate()
                    .filter(|(i, _)| i % 5 != fold)
                    .map(|(_, r)| (r.0, r.1)),
            );
            for (text, want, _) in rows
                .iter()
                .enumerate()
                .filter(|(i, r)| i % 5 == fold && r.2)
                .map(|(_, r)| *r)
            {
                let c = s.score(text).compound;
                let is = want == Label::Negative;
                negative += usize::from(is);
                if m.label(&s, text, c) == Label::Negative {
                    by_label += usize::from(is);
                    wrong_label += usize::from(!is);
                }
                if c < -0.5 {
                    by_score += usize::from(is);
                    wrong_score += usize::from(!is);
                }
            }
        }
        println!(
            "{negative} negative victim comments: the label finds {by_label} (and {wrong_label} not negative), compound < -0.5 finds {by_score} (and {wrong_score})"
        );
        assert!(by_label * 4 > negative * 3, "{by_label} of {negative}");
        assert!(by_label > 2 * wrong_label);
        assert!(by_score * 4 < negative, "{by_score} of {negative}");
    }
}
