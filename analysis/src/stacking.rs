//! Learners stacked beside the SVMs. The sentiment label
//! ([`crate::label_model`]) uses complement naive Bayes over the word
//! n-grams a comment has, and a multinomial logistic regression that reads
//! the base models' values (as each training comment gets them from models
//! that did not learn from it) and gives the label. The theme model
//! ([`crate::theme_model`]) uses naive Bayes per theme ([`ThemeBayes`])
//! and a two-class regression per theme.
//!
//! ```text
//! comment ─► SVMs: 3 values ──────────────┐
//!         ├► complement Bayes: 3 values ───┼─► standardised ─► softmax regression ─► class
//!         └► length, ? and !, a negation ──┘
//! ```
//!
//! Written here rather than taken from a crate, as the SVMs are
//! ([`crate::svm`]): each reads the row the SVMs' vectorizer cut once, and
//! both are a few dozen lines.

use crate::svm::Vectorizer;

/// The classes a stacked model tells apart.
pub const CLASSES: usize = 3;

/// How many parts training examples are cut into so that each gets the
/// base models' values from models that did not learn from it: example
/// `i` is in part `i % FOLDS`.
pub const FOLDS: usize = 5;

/// Each of `n` examples' values as `read` gives them from the base
/// models `fit` trains on the examples of the other parts (their indices,
/// ascending): what a stacked regression learns from is what it will read
/// of comments the bases never saw.
pub fn out_of_fold<B, V>(
    n: usize,
    fit: impl Fn(&[usize]) -> B,
    read: impl Fn(&B, usize) -> V,
) -> Vec<V> {
    let mut values: Vec<Option<V>> = (0..n).map(|_| None).collect();
    for fold in 0..FOLDS {
        let rest: Vec<usize> = (0..n).filter(|i| i % FOLDS != fold).collect();
        let bases = fit(&rest);
        for i in (fold..n).step_by(FOLDS) {
            values[i] = Some(read(&bases, i));
        }
    }
    values
        .into_iter()
        .map(|v| v.expect("every example is in a part"))
        .collect()
}

/// Complement naive Bayes (Rennie et al., 2003, as scikit-learn's
/// `ComplementNB` without weight normalisation) over the word unigrams and
/// bigrams a comment has, each counted once: a class's weight for a word
/// is minus the log of how often it is found in the other classes'
/// comments, smoothed by `alpha`.
#[derive(Debug, Clone, PartialEq)]
pub struct ComplementBayes {
    /// Word feature `j`'s weight for class `k` at `j * CLASSES + k`.
    weights: Vec<f32>,
    words: u32,
}

impl ComplementBayes {
    /// Fitted on `examples` (text, class below [`CLASSES`]), their words
    /// as `vectorizer` cuts them.
    pub fn fit(vectorizer: &Vectorizer, examples: &[(&str, usize)], alpha: f32) -> ComplementBayes {
        let words = vectorizer.word_dim();
        let mut count = vec![0f64; words as usize * CLASSES];
        for (text, class) in examples {
            for (j, _) in vectorizer.row(text).iter().filter(|(j, _)| *j < words) {
                count[*j as usize * CLASSES + class] += 1.0;
            }
        }
        // A class's complement: each word's count in the other classes.
        let complement = |j: usize, k: usize| {
            let all: f64 = count[j * CLASSES..(j + 1) * CLASSES].iter().sum();
            all - count[j * CLASSES + k] + f64::from(alpha)
        };
        let totals: Vec<f64> = (0..CLASSES)
            .map(|k| (0..words as usize).map(|j| complement(j, k)).sum())
            .collect();
        let mut weights = vec![0f32; count.len()];
        for j in 0..words as usize {
            for (k, total) in totals.iter().enumerate() {
                weights[j * CLASSES + k] = -(complement(j, k) / total).ln() as f32;
            }
        }
        ComplementBayes { weights, words }
    }

    /// Each class's log-likelihood for a row cut by the vectorizer it was
    /// fitted with, less their mean.
    pub fn scores(&self, row: &[(u32, f32)]) -> [f32; CLASSES] {
        let mut s = [0f32; CLASSES];
        for (j, _) in row.iter().filter(|(j, _)| *j < self.words) {
            let at = *j as usize * CLASSES;
            for (s, w) in s.iter_mut().zip(&self.weights[at..at + CLASSES]) {
                *s += w;
            }
        }
        let mean = s.iter().sum::<f32>() / CLASSES as f32;
        s.map(|v| v - mean)
    }
}

/// Naive Bayes for each of several themes at once, over the word unigrams
/// and bigrams a comment has (each counted once), two ways: multinomial
/// and Bernoulli (which also counts the words a comment lacks), as
/// scikit-learn's `MultinomialNB` and `BernoulliNB` on presence. Each
/// theme learns from the comments that could have had it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeBayes {
    /// Word feature `j`'s multinomial and Bernoulli weights for theme `t`
    /// at `(j * themes + t) * 2`.
    weights: Vec<f32>,
    /// Each theme's two biases (the prior; the Bernoulli one also the
    /// absent words' part when no word is present), at `t * 2`.
    bias: Vec<f32>,
    themes: usize,
    words: u32,
}

impl ThemeBayes {
    /// Fitted on `examples` (text, its themes), their words as
    /// `vectorizer` cuts them; example `i` counts for a theme only if
    /// `within[i]` holds it. Smoothed by `alpha`.
    pub fn fit(
        vectorizer: &Vectorizer,
        themes: &[String],
        examples: &[(&str, &[String])],
        within: &[&[String]],
        alpha: f64,
    ) -> ThemeBayes {
        let words = vectorizer.word_dim();
        let k = themes.len();
        let (mut yes, mut no) = (
            vec![0f64; words as usize * k],
            vec![0f64; words as usize * k],
        );
        let (mut docs_yes, mut docs_no) = (vec![0f64; k], vec![0f64; k]);
        for ((text, labels), within) in examples.iter().zip(within) {
            let row = vectorizer.row(text);
            for (t, theme) in themes.iter().enumerate() {
                if !within.contains(theme) {
                    continue;
                }
                let (count, docs) = match labels.contains(theme) {
                    true => (&mut yes, &mut docs_yes),
                    false => (&mut no, &mut docs_no),
                };
                docs[t] += 1.0;
                for (j, _) in row.iter().filter(|(j, _)| *j < words) {
                    count[*j as usize * k + t] += 1.0;
                }
            }
        }
        let v = f64::from(words);
        let mut weights = vec![0f32; words as usize * k * 2];
        let mut bias = vec![0f32; k * 2];
        for t in 0..k {
            let column = |c: &[f64]| (0..words as usize).map(|j| c[j * k + t]).sum::<f64>();
            let (total_yes, total_no) = (column(&yes) + alpha * v, column(&no) + alpha * v);
            let prior = ((docs_yes[t] + alpha) / (docs_no[t] + alpha)).ln();
            let mut absent = 0.0;
            for j in 0..words as usize {
                let (y, n) = (yes[j * k + t], no[j * k + t]);
                let multinomial = ((y + alpha) / total_yes).ln() - ((n + alpha) / total_no).ln();
                let py = (y + alpha) / (docs_yes[t] + 2.0 * alpha);
                let pn = (n + alpha) / (docs_no[t] + 2.0 * alpha);
                let lacks = ((1.0 - py) / (1.0 - pn)).ln();
                absent += lacks;
                let at = (j * k + t) * 2;
                weights[at] = multinomial as f32;
                weights[at + 1] = ((py / pn).ln() - lacks) as f32;
            }
            bias[t * 2] = prior as f32;
            bias[t * 2 + 1] = (prior + absent) as f32;
        }
        ThemeBayes {
            weights,
            bias,
            themes: k,
            words,
        }
    }

    /// Each theme's multinomial and Bernoulli log-odds for a row cut by
    /// the vectorizer it was fitted with.
    pub fn scores(&self, row: &[(u32, f32)]) -> Vec<[f32; 2]> {
        let k = self.themes;
        let mut s: Vec<[f32; 2]> = (0..k)
            .map(|t| [self.bias[t * 2], self.bias[t * 2 + 1]])
            .collect();
        for (j, _) in row.iter().filter(|(j, _)| *j < self.words) {
            let at = *j as usize * k * 2;
            for (s, w) in s
                .iter_mut()
                .zip(self.weights[at..at + k * 2].chunks_exact(2))
            {
                s[0] += w[0];
                s[1] += w[1];
            }
        }
        s
    }
}

/// Multinomial logistic regression over a few dense features, each
/// standardised by its mean and spread over the training rows, with an L2
/// penalty of `1 / (2C)` on the weights (not the biases) against the summed
/// log loss, as scikit-learn's `LogisticRegression(C)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Softmax {
    mean: Vec<f64>,
    spread: Vec<f64>,
    /// Class `k`'s weights at `k * (features + 1)`, its bias last.
    weights: Vec<f64>,
}

impl Softmax {
    /// Fitted to `rows` (features) and their `classes` by gradient
    /// descent with Nesterov's momentum, to a fixed number of steps: the
    /// same rows give the same model, bit for bit.
    pub fn fit(rows: &[Vec<f64>], classes: &[usize], c: f64) -> Softmax {
        Softmax::fit_classes(rows, classes, CLASSES, c)
    }

    /// [`Softmax::fit`] for `k` classes (each of `classes` below `k`).
    pub fn fit_classes(rows: &[Vec<f64>], classes: &[usize], k: usize, c: f64) -> Softmax {
        let d = rows.first().map_or(0, Vec::len);
        let n = rows.len().max(1) as f64;
        let mean: Vec<f64> = (0..d)
            .map(|f| rows.iter().map(|r| r[f]).sum::<f64>() / n)
            .collect();
        let spread: Vec<f64> = (0..d)
            .map(|f| {
                let v = rows.iter().map(|r| (r[f] - mean[f]).powi(2)).sum::<f64>() / n;
                if v > 0.0 {
                    v.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        let x: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| {
                let mut z: Vec<f64> = (0..d).map(|f| (r[f] - mean[f]) / spread[f]).collect();
                z.push(1.0);
                z
            })
            .collect();
        let width = d + 1;
        let mut w = vec![0f64; k * width];
        let mut ahead = w.clone();
        let mut previous = w.clone();
        // The loss is averaged over the rows, so the penalty is 1 / (2Cn).
        let lambda = 1.0 / (c * n);
        // Standardised features: the averaged loss's curvature is below
        // the number of features, the penalty's is `lambda`; a step of one
        // over their sum is safe.
        let step = 1.0 / (width as f64 + lambda);
        let mut gradient = vec![0f64; w.len()];
        for t in 0..3_000 {
            gradient.iter_mut().for_each(|g| *g = 0.0);
            for (z, &y) in x.iter().zip(classes) {
                let p = probabilities(&ahead, z);
                for (class, p) in p.iter().enumerate() {
                    let e = p - if class == y { 1.0 } else { 0.0 };
                    for (g, v) in gradient[class * width..(class + 1) * width]
                        .iter_mut()
                        .zip(z)
                    {
                        *g += e * v;
                    }
                }
            }
            for class in 0..k {
                for f in 0..width {
                    let i = class * width + f;
                    let penalty = if f < d { lambda * ahead[i] } else { 0.0 };
                    gradient[i] = gradient[i] / n + penalty;
                }
            }
            let momentum = t as f64 / (t as f64 + 3.0);
            for i in 0..w.len() {
                let next = ahead[i] - step * gradient[i];
                ahead[i] = next + momentum * (next - previous[i]);
                previous[i] = next;
            }
            w.clone_from(&previous);
        }
        Softmax {
            mean,
            spread,
            weights: w,
        }
    }

    /// A regression fitted before: each feature's mean and spread, then
    /// each class's weights with its bias last ([`Softmax::parts`]).
    pub fn from_parts(mean: &[f64], spread: &[f64], weights: &[f64]) -> Softmax {
        assert_eq!(mean.len(), spread.len(), "a mean and a spread a feature");
        let width = mean.len() + 1;
        assert!(
            weights.len() % width == 0 && weights.len() >= width,
            "weights and a bias a class"
        );
        Softmax {
            mean: mean.to_vec(),
            spread: spread.to_vec(),
            weights: weights.to_vec(),
        }
    }

    /// What [`Softmax::from_parts`] takes.
    pub fn parts(&self) -> (&[f64], &[f64], &[f64]) {
        (&self.mean, &self.spread, &self.weights)
    }

    /// Each class's probability for `features`.
    pub fn probabilities(&self, features: &[f64]) -> Vec<f64> {
        let mut z: Vec<f64> = features
            .iter()
            .zip(self.mean.iter().zip(&self.spread))
            .map(|(v, (m, s))| (v - m) / s)
            .collect();
        z.push(1.0);
        probabilities(&self.weights, &z)
    }

    /// Class `class`'s probability for `features`, as
    /// [`Softmax::probabilities`] gives it, without allocating: read once
    /// a theme for every comment the theme model codes.
    pub fn probability(&self, features: &[f64], class: usize) -> f64 {
        let width = self.mean.len() + 1;
        let logit = |k: usize| {
            let w = &self.weights[k * width..(k + 1) * width];
            let dot: f64 = features
                .iter()
                .zip(self.mean.iter().zip(&self.spread))
                .zip(w)
                .map(|((v, (m, s)), w)| (v - m) / s * w)
                .sum();
            dot + w[width - 1]
        };
        let own = logit(class);
        let sum: f64 = (0..self.weights.len() / width)
            .map(|k| {
                if k == class {
                    1.0
                } else {
                    (logit(k) - own).exp()
                }
            })
            .sum();
        1.0 / sum
    }
}

/// Softmax of each class's weights times `z` (which ends with the bias's 1).
fn probabilities(w: &[f64], z: &[f64]) -> Vec<f64> {
    let width = z.len();
    let mut s = vec![0f64; w.len() / width];
    for (k, s) in s.iter_mut().enumerate() {
        *s = w[k * width..(k + 1) * width]
            .iter()
            .zip(z)
            .map(|(a, b)| a * b)
            .sum();
    }
    let top = s.iter().copied().fold(f64::MIN, f64::max);
    let mut sum = 0.0;
    for v in &mut s {
        *v = (*v - top).exp();
        sum += *v;
    }
    s.iter_mut().for_each(|v| *v /= sum);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complement_bayes_leans_to_the_class_whose_words_a_comment_has() {
        let texts = [
            ("brilliant officers very helpful", 0),
            ("helpful and kind, brilliant", 0),
            ("saw a van parked outside", 1),
            ("a van was parked on the road", 1),
            ("rude officers never came back", 2),
            ("never came, rude on the phone", 2),
        ];
        let v = Vectorizer::fit(texts.iter().map(|(t, _)| *t));
        let nb = ComplementBayes::fit(&v, &texts, 0.3);
        let best = |t: &str| {
            let s = nb.scores(&v.row(t));
            (0..CLASSES).max_by(|a, b| s[*a].total_cmp(&s[*b])).unwrap()
        };
        assert_eq!(best("very helpful and brilliant"), 0);
        assert_eq!(best("parked van"), 1);
        assert_eq!(best("rude, never came back"), 2);
        let s = nb.scores(&v.row("helpful"));
        assert!(s.iter().sum::<f32>().abs() < 1e-4, "centred: {s:?}");
    }

    #[test]
    fn theme_bayes_finds_a_theme_by_its_words_and_only_where_it_could_be() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<String>>();
        let (dark, none) = (s(&["lighting"]), Vec::new());
        let examples: Vec<(&str, &[String])> = vec![
            ("street lights out again", &dark),
            ("dark alley no lights", &dark),
            ("lamp broken lights out", &dark),
            ("all fine thanks", &none),
            ("nice area friendly", &none),
            // Another form's: no lighting theme there.
            ("lights out on my road", &none),
            ("lights out and dark", &none),
        ];
        let themes = s(&["lighting"]);
        let empty: Vec<String> = Vec::new();
        let within: Vec<&[String]> = (0..examples.len())
            .map(|i| {
                if i < 5 {
                    themes.as_slice()
                } else {
                    empty.as_slice()
                }
            })
            .collect();
        let v = Vectorizer::fit(examples.iter().map(|(t, _)| *t));
        let nb = ThemeBayes::fit(&v, &themes, &examples, &within, 0.5);
        let [m, b] = nb.scores(&v.row("the lights are out"))[0];
        let [m0, b0] = nb.scores(&v.row("all fine"))[0];
        assert!(m > 0.0 && b > 0.0, "{m} {b}");
        assert!(m0 < 0.0 && b0 < 0.0, "{m0} {b0}");
        // Counted everywhere, the other form's comments pull it down.
        let all: Vec<&[String]> = vec![themes.as_slice(); examples.len()];
        let everywhere = ThemeBayes::fit(&v, &themes, &examples, &all, 0.5);
        assert!(everywhere.scores(&v.row("the lights are out"))[0][0] < m);
        assert_eq!(ThemeBayes::fit(&v, &themes, &examples, &within, 0.5), nb);
    }

    #[test]
    fn softmax_learns_separable_classes_and_its_penalty_shrinks_them() {
        let mut rows = Vec::new();
        let mut classes = Vec::new();
        for i in 0..300 {
            let k = i % 3;
            let jitter = (i as f64 * 0.37).sin() * 0.3;
            rows.push(vec![k as f64 + jitter, 10.0 - 2.0 * k as f64 + jitter]);
            classes.push(k);
        }
        let m = Softmax::fit(&rows, &classes, 1.0);
        for (r, k) in rows.iter().zip(&classes) {
            let p = m.probabilities(r);
            let best = (0..CLASSES).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap();
            assert_eq!(best, *k, "{r:?} {p:?}");
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
        for r in rows.iter().take(20) {
            let all = m.probabilities(r);
            for (k, p) in all.iter().enumerate() {
                assert!((m.probability(r, k) - p).abs() < 1e-12, "{r:?} {k}");
            }
        }
        // A heavy penalty leaves the classes close to even.
        let flat = Softmax::fit(&rows, &classes, 1e-6);
        let p = flat.probabilities(&rows[0]);
        assert!(p.iter().all(|v| (v - 1.0 / 3.0).abs() < 0.05), "{p:?}");
        assert_eq!(
            Softmax::fit(&rows, &classes, 1.0),
            m,
            "the same rows, the same model"
        );
    }
}
