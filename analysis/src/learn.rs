//! Small learned classifiers for free text: regularised logistic
//! regression over hashed word stems, stem pairs and character 4-grams,
//! trained in milliseconds, in pure Rust. One binary model per theme
//! ([`ThemeModel`]), so a comment can have several themes or none.
//!
//! Features are hashed (FNV-1a) into [`DIM`] slots and a model keeps only
//! the weights training touched, so a model of a few hundred comments is a
//! few thousand numbers. Training is plain stochastic gradient descent in a
//! fixed order with L2 regularisation applied to the weights each example
//! touches: the same examples give the same model, bit for bit.
//!
//! ```text
//! text ─► tokens ─► stems ─► w:stem, b:stem_stem, c:4-grams ─► hashed slots
//!      ─► per theme: sigmoid(bias + Σ weights) ≥ threshold ─► themes
//! ```

use crate::text::{tokens, with_tokens};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Feature slots (2^18): hashing collisions are rare at this size for
/// the vocabulary of a few thousand comments.
pub const DIM: u32 = 1 << 18;

/// The features models are trained on now: a stored model trained on
/// others is not used (2: word stems and the codebook's finds, see
/// [`Featurizer::features_with_codes`]; 3: the same for themes, and the
/// sentiment label's own features, see `sentiment_model`).
pub const FEATURES: u32 = 3;

/// The weight a theme's model starts with on the feature "the codebook
/// found this theme" (see [`Featurizer::features_with_codes`]).
pub const CODEBOOK_PRIOR: f32 = 4.0;

/// How training runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// Passes over the examples.
    pub epochs: u32,
    /// Step size.
    pub rate: f32,
    /// L2 penalty on the weights.
    pub l2: f32,
    /// Probability at or above which a theme is given.
    pub threshold: f32,
}

impl Default for Training {
    fn default() -> Training {
        Training {
            epochs: 30,
            rate: 0.3,
            l2: 1e-4,
            threshold: 0.35,
        }
    }
}

/// Cuts texts into hashed feature slots.
pub struct Featurizer {
    _private: (),
}

impl std::fmt::Debug for Featurizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Featurizer")
    }
}

impl Default for Featurizer {
    fn default() -> Featurizer {
        Featurizer::new()
    }
}

impl Featurizer {
    /// The English (Porter2) stemmer's featurizer.
    pub fn new() -> Featurizer {
        Featurizer { _private: () }
    }

    /// The stem of `word` (lower-case).
    pub fn stem(&self, word: &str) -> String {
        crate::text::stem(word)
    }

    /// The distinct feature slots of `text`, sorted.
    pub fn features(&self, text: &str) -> Vec<u32> {
        let words = tokens(text);
        let stems: Vec<String> = words.iter().map(|w| crate::text::stem(w)).collect();
        let mut out = Vec::with_capacity(stems.len() * 6);
        for (i, s) in stems.iter().enumerate() {
            out.push(slot(b"w", s.as_bytes()));
            if let Some(next) = stems.get(i + 1) {
                out.push(slot2(b"b", s.as_bytes(), next.as_bytes()));
            }
        }
        // Character 4-grams within words, with their edges marked, catch
        // misspellings and word forms the stemmer does not join. Hashed
        // from the characters' UTF-8 bytes as they are, with no string
        // made per gram (the same slots a string of the gram would give).
        let mut padded: Vec<char> = Vec::new();
        for w in &words {
            padded.clear();
            padded.push('^');
            padded.extend(w.chars());
            padded.push('$');
            for g in padded.windows(4) {
                let mut h = fnv_start(b"c");
                let mut buf = [0u8; 4];
                for ch in g {
                    h = fnv_more(h, ch.encode_utf8(&mut buf).as_bytes());
                }
                out.push(h % DIM);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The text's word stems and one feature for each theme the codebook
    /// found in it (`codes`): a model trained on these starts from the
    /// codebook's judgement and learns where people depart from it, which
    /// a few hundred examples can teach where words alone cannot. Stems
    /// only: with the stem pairs and character 4-grams of
    /// [`Featurizer::features`] too, a model trained on the evaluation
    /// set's development part agreed with its labels far less on held-out
    /// comments (mean kappa 0.60 against 0.80 with stems only, 5-fold).
    pub fn features_with_codes(&self, text: &str, codes: &[String]) -> Vec<u32> {
        with_tokens(text, |words| self.features_of_words(words, codes))
    }

    /// [`Featurizer::features_with_codes`] of a text already cut into
    /// `words` (by the one tokeniser).
    pub(crate) fn features_of_words(&self, words: &[String], codes: &[String]) -> Vec<u32> {
        let mut out: Vec<u32> = words
            .iter()
            .map(|w| crate::text::with_stem(w, |s| slot(b"w", s.as_bytes())))
            .collect();
        out.extend(codes.iter().map(|t| slot(b"k", t.as_bytes())));
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// FNV-1a over `kind`, then the separator [`fnv`] puts between parts.
fn fnv_start(kind: &[u8]) -> u32 {
    (fnv_more(0x811c_9dc5, kind) ^ 0x1f).wrapping_mul(0x0100_0193)
}

/// Continues FNV-1a over `bytes` (the separator already mixed in).
fn fnv_more(mut h: u32, bytes: &[u8]) -> u32 {
    for b in bytes {
        h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
    }
    h
}

fn fnv(parts: &[&[u8]]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h = (h ^ 0x1f).wrapping_mul(0x0100_0193);
        }
        for b in *p {
            h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
        }
    }
    h
}

fn slot(kind: &[u8], s: &[u8]) -> u32 {
    fnv(&[kind, s]) % DIM
}

fn slot2(kind: &[u8], a: &[u8], b: &[u8]) -> u32 {
    fnv(&[kind, a, b]) % DIM
}

/// One binary logistic-regression model over feature slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binary {
    /// The intercept.
    pub bias: f32,
    /// Weights by slot (only slots training touched).
    pub weights: BTreeMap<u32, f32>,
}

impl Binary {
    /// The probability that an example with `features` is positive.
    pub fn probability(&self, features: &[u32]) -> f32 {
        let z = self.bias
            + features
                .iter()
                .filter_map(|f| self.weights.get(f))
                .sum::<f32>();
        1.0 / (1.0 + (-z).exp())
    }

    /// Trains on `(features, positive)` examples, in their order.
    pub fn train(examples: &[(&[u32], bool)], t: Training) -> Binary {
        Binary::train_from(examples, t, &[])
    }

    /// Trains on `(features, positive)` examples, in their order, from
    /// weights `start` (slot, weight) rather than from nothing, and
    /// regularised towards them.
    pub fn train_from(examples: &[(&[u32], bool)], t: Training, start: &[(u32, f32)]) -> Binary {
        // Dense while training (a megabyte, indexed directly: several
        // times faster than a map), kept sparse.
        let mut w = vec![0f32; DIM as usize];
        for (slot, weight) in start {
            w[(*slot % DIM) as usize] = *weight;
        }
        let positives = examples.iter().filter(|(_, y)| *y).count();
        // Start from the base rate, so a theme seen rarely starts unlikely.
        let rate = (positives as f32 + 0.5) / (examples.len() as f32 + 1.0);
        let mut bias = (rate / (1.0 - rate)).ln();
        for epoch in 0..t.epochs {
            let step = t.rate / (1.0 + epoch as f32 * 0.1);
            for (x, y) in examples {
                let z = bias + x.iter().map(|f| w[*f as usize]).sum::<f32>();
                let p = 1.0 / (1.0 + (-z).exp());
                let g = p - if *y { 1.0 } else { 0.0 };
                bias -= step * g;
                for f in x.iter() {
                    // Regularised towards where it started, not towards 0:
                    // the codebook is kept unless the examples say otherwise.
                    let from = start
                        .iter()
                        .find(|(slot, _)| slot % DIM == *f)
                        .map_or(0.0, |(_, w)| *w);
                    let wf = &mut w[*f as usize];
                    *wf -= step * (g + t.l2 * (*wf - from));
                }
            }
        }
        Binary {
            bias,
            weights: w
                .into_iter()
                .enumerate()
                .filter(|(_, v)| *v != 0.0)
                .map(|(i, v)| (i as u32, v))
                .collect(),
        }
    }
}

/// A learned theme model: one [`Binary`] per theme of a codebook.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThemeModel {
    /// The model's version, stored beside the codes it gives, so a figure
    /// can be traced to the model that made it.
    pub version: String,
    /// How it was trained (its threshold is used when it codes).
    pub training: Training,
    /// Theme id → its model, in codebook order.
    pub themes: Vec<(String, Binary)>,
    /// Every theme's weight at each slot, built on first use: a text's
    /// slots are each looked up once for all themes.
    #[serde(skip)]
    by_slot: std::sync::OnceLock<BySlot>,
}

/// The weights of a [`ThemeModel`] by slot, laid out for lookup: slot
/// `s`'s `(theme, weight)` pairs are `entries[starts[s]..starts[s + 1]]`.
/// Indexed directly rather than hashed (1 MiB of offsets a model): a
/// text's hundred or so slots were a fifth of the time coding a comment
/// took with a `HashMap` of vectors (`perf` over `bench_coding`).
#[derive(Debug, Clone)]
struct BySlot {
    starts: Vec<u32>,
    entries: Vec<(u16, f32)>,
}

impl BySlot {
    fn of(themes: &[(String, Binary)]) -> BySlot {
        let mut counts = vec![0u32; DIM as usize + 1];
        for (_, m) in themes {
            for slot in m.weights.keys() {
                counts[(*slot % DIM) as usize + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let starts = counts;
        let mut next = starts.clone();
        let mut entries = vec![(0u16, 0f32); *starts.last().unwrap_or(&0) as usize];
        for (i, (_, m)) in themes.iter().enumerate() {
            for (slot, w) in &m.weights {
                let at = &mut next[(*slot % DIM) as usize];
                entries[*at as usize] = (i as u16, *w);
                *at += 1;
            }
        }
        BySlot { starts, entries }
    }

    fn get(&self, slot: u32) -> &[(u16, f32)] {
        let s = (slot % DIM) as usize;
        &self.entries[self.starts[s] as usize..self.starts[s + 1] as usize]
    }
}

impl PartialEq for ThemeModel {
    fn eq(&self, other: &ThemeModel) -> bool {
        self.version == other.version
            && self.training == other.training
            && self.themes == other.themes
    }
}

impl ThemeModel {
    /// Trains a model for `themes` on `(text, its themes)` examples.
    pub fn train<'a>(
        version: &str,
        themes: &[String],
        examples: impl IntoIterator<Item = (&'a str, &'a [String])>,
        featurizer: &Featurizer,
        training: Training,
    ) -> ThemeModel {
        let examples: Vec<(Vec<u32>, &[String])> = examples
            .into_iter()
            .map(|(text, labels)| (featurizer.features(text), labels))
            .collect();
        ThemeModel::train_features(version, themes, &examples, training)
    }

    /// Trains a model for `themes` on examples already cut into features
    /// (`(features, its themes)`).
    pub fn train_features(
        version: &str,
        themes: &[String],
        examples: &[(Vec<u32>, &[String])],
        training: Training,
    ) -> ThemeModel {
        let models = themes
            .iter()
            .map(|theme| {
                let data: Vec<(&[u32], bool)> = examples
                    .iter()
                    .map(|(x, labels)| (x.as_slice(), labels.iter().any(|l| l == theme)))
                    .collect();
                // A model given the codebook's codes as features starts
                // out trusting the codebook on its own theme (a codebook
                // find lifts the odds about 50-fold) and learns from the
                // examples where to depart from it: a few dozen codes are
                // then enough not to do worse than the phrases.
                let start = [(slot(b"k", theme.as_bytes()), CODEBOOK_PRIOR)];
                (theme.clone(), Binary::train_from(&data, training, &start))
            })
            .collect();
        ThemeModel {
            version: version.to_owned(),
            training,
            themes: models,
            by_slot: std::sync::OnceLock::new(),
        }
    }

    fn by_slot(&self) -> &BySlot {
        self.by_slot.get_or_init(|| BySlot::of(&self.themes))
    }

    /// Each theme's probability for a text with `features` (distinct).
    pub fn probabilities(&self, features: &[u32]) -> Vec<(&str, f32)> {
        let mut z: Vec<f32> = self.themes.iter().map(|(_, m)| m.bias).collect();
        let by_slot = self.by_slot();
        for f in features {
            for (theme, w) in by_slot.get(*f) {
                z[usize::from(*theme)] += w;
            }
        }
        self.themes
            .iter()
            .zip(z)
            .map(|((id, _), z)| (id.as_str(), 1.0 / (1.0 + (-z).exp())))
            .collect()
    }

    /// The themes the model gives a text with `features`.
    pub fn code(&self, features: &[u32]) -> Vec<String> {
        self.probabilities(features)
            .into_iter()
            .filter(|(_, p)| *p >= self.training.threshold)
            .map(|(id, _)| id.to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A theme said in words no codebook phrase lists is learned from a
    /// handful of examples, and the same examples give the same model.
    #[test]
    fn learns_a_theme_from_examples_deterministically() {
        let f = Featurizer::new();
        let texts: Vec<(&str, Vec<String>)> = vec![
            ("nobody came out after I called", vec!["delays".into()]),
            ("still waiting for someone to come", vec!["delays".into()]),
            ("waited all day, no one came", vec!["delays".into()]),
            ("officer was kind and patient", vec![]),
            ("lovely area, felt safe", vec![]),
            ("the lights are broken by the bins", vec![]),
            ("they took ages to come round", vec!["delays".into()]),
            ("friendly people on the estate", vec![]),
        ];
        let train = |t: Training| {
            ThemeModel::train(
                "test-1",
                &["delays".to_owned()],
                texts.iter().map(|(s, l)| (*s, l.as_slice())),
                &f,
                t,
            )
        };
        let model = train(Training::default());
        assert_eq!(model, train(Training::default()), "deterministic");
        assert_eq!(
            model.code(&f.features("no one came, still waiting")),
            ["delays"]
        );
        assert!(model
            .code(&f.features("kind and friendly officers"))
            .is_empty());
        let json = serde_json::to_string(&model).unwrap();
        let back: ThemeModel = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.code(&f.features("nobody came")),
            model.code(&f.features("nobody came"))
        );
    }

    /// The grams are hashed without a string, to the slots a string gives;
    /// the compiled lookup gives each theme's own probability.
    #[test]
    fn hashing_and_lookup_agree_with_the_plain_forms() {
        let f = Featurizer::new();
        let feats = f.features("Ça va, dealin");
        assert!(feats.contains(&slot(b"c", "^dea".as_bytes())));
        assert!(feats.contains(&slot(b"c", "lin$".as_bytes())));
        assert!(feats.contains(&slot(b"c", "^ça$".as_bytes())));
        let texts: Vec<(&str, Vec<String>)> = vec![
            ("nobody came", vec!["delays".into()]),
            ("lights out", vec!["lighting".into()]),
            ("still waiting, nobody came", vec!["delays".into()]),
            ("dark alley, lights out", vec!["lighting".into()]),
        ];
        let themes = ["delays".to_owned(), "lighting".to_owned()];
        let model = ThemeModel::train(
            "t",
            &themes,
            texts.iter().map(|(s, l)| (*s, l.as_slice())),
            &f,
            Training::default(),
        );
        let x = f.features("nobody came, lights out");
        for ((id, p), (theme, m)) in model.probabilities(&x).into_iter().zip(&model.themes) {
            assert_eq!(id, theme);
            assert!((p - m.probability(&x)).abs() < 1e-5);
        }
    }

    /// Misspelt words share character 4-grams with the spelling learned.
    #[test]
    fn misspellings_share_features() {
        let f = Featurizer::new();
        let a = f.features("dealing");
        let b = f.features("dealin");
        assert!(a.iter().filter(|x| b.contains(x)).count() >= 3);
    }
}
