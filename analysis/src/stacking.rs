//! Two learners the sentiment label stacks beside its SVMs
//! ([`crate::label_model`]): complement naive Bayes over the word n-grams a
//! comment has, and a multinomial logistic regression that reads the
//! base models' values (as each training comment gets them from models
//! that did not learn from it) and gives the label.
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
        let mut w = vec![0f64; CLASSES * width];
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
                for k in 0..CLASSES {
                    let e = p[k] - if k == y { 1.0 } else { 0.0 };
                    for (g, v) in gradient[k * width..(k + 1) * width].iter_mut().zip(z) {
                        *g += e * v;
                    }
                }
            }
            for k in 0..CLASSES {
                for f in 0..width {
                    let i = k * width + f;
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
        assert_eq!(
            weights.len(),
            CLASSES * (mean.len() + 1),
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
    pub fn probabilities(&self, features: &[f64]) -> [f64; CLASSES] {
        let mut z: Vec<f64> = features
            .iter()
            .zip(self.mean.iter().zip(&self.spread))
            .map(|(v, (m, s))| (v - m) / s)
            .collect();
        z.push(1.0);
        probabilities(&self.weights, &z)
    }
}

/// Softmax of each class's weights times `z` (which ends with the bias's 1).
fn probabilities(w: &[f64], z: &[f64]) -> [f64; CLASSES] {
    let width = z.len();
    let mut s = [0f64; CLASSES];
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
    s.map(|v| v / sum)
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
