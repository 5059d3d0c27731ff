//! Linear support vector machines over TF-IDF word and character n-grams:
//! one binary classifier per theme, so a comment can have several themes
//! or none. Pure Rust, trained in about a second on the 9,602 development
//! comments.
//!
//! ```text
//! text ─► words (≥ 2 letters): unigrams, bigrams ─► tf-idf, L2 ─┐
//!      └► characters within words, 2 to 5, edges marked ─► tf-idf, L2 ─┴─► x
//! per theme: w·x + b ≥ threshold ─► themes
//! ```
//!
//! Term frequencies are damped (1 + ln tf) and weighted by smoothed inverse
//! document frequency, ln((1 + n) / (1 + df)) + 1, over the training
//! comments; each of the two blocks is scaled to unit length. Words keep
//! every n-gram seen in training, characters those seen in at least two
//! comments. Each classifier minimises the squared hinge loss with an L2
//! penalty (the bias penalised as a weight on a constant feature) by dual
//! coordinate descent (Hsieh et al., 2008, as liblinear does), visiting
//! the comments in a fixed pseudo-random order: the same comments give the
//! same model, bit for bit.
//!
//! Written here rather than taken from a crate: the crates that train SVMs
//! bring dense linear algebra and a vocabulary type of their own, where
//! this needs sparse rows of a few hundred features and one scan per
//! comment to stay within the coding budget (`bench_coding`).

use crate::text::with_tokens;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The keys are FNV-1a hashes already: hashing them again (SipHash, the
/// standard map's) was a third of the time coding a comment took.
#[derive(Default, Clone, Copy)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv(self.0 ^ FNV_OFFSET, bytes);
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A map keyed by n-gram hashes.
pub(crate) type Map<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

/// How the classifiers are trained and read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The penalty's inverse: larger fits the training comments closer.
    pub c: f32,
    /// Passes over the comments at most; training stops sooner once no
    /// comment's dual variable would move by more than `tolerance`.
    pub epochs: u32,
    /// See `epochs`.
    pub tolerance: f32,
    /// Decision value at or above which a theme is given. Below zero:
    /// themes are rare, and an SVM's boundary sits where missing one costs
    /// as much as a false find, which leaves recall short.
    pub threshold: f32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            c: 0.5,
            epochs: 40,
            tolerance: 0.05,
            threshold: -0.3,
        }
    }
}

/// A feature's place in the model and its inverse document frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Term {
    index: u32,
    idf: f32,
}

/// Cuts a text into weighted features over the training vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub struct Vectorizer {
    words: Map<Term>,
    chars: Map<Term>,
    /// A digest of the vocabulary and its weights: vectorizers fitted on
    /// the same texts share it (see [`Vectorizer::row_once`]).
    digest: u64,
}

/// A sparse row: feature indices (each once, ascending) and their values.
pub type Row = Vec<(u32, f32)>;

pub(crate) const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

pub(crate) fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// Hashes of the word unigrams and bigrams of `text` (words of two or more
/// characters), with repeats.
fn word_grams(text: &str, out: &mut Vec<u64>) {
    with_tokens(text, |all| {
        let words: Vec<&String> = all.iter().filter(|w| w.chars().nth(1).is_some()).collect();
        for (i, w) in words.iter().enumerate() {
            let h = fnv(fnv(FNV_OFFSET, b"w"), w.as_bytes());
            out.push(h);
            if let Some(next) = words.get(i + 1) {
                out.push(fnv(fnv(h, b" "), next.as_bytes()));
            }
        }
    });
}

/// Hashes of the 2- to 5-character n-grams within each lower-cased,
/// space-separated word of `text`, padded with a space at each end; a word
/// shorter than n gives itself once.
fn char_grams(text: &str, out: &mut Vec<u64>) {
    let mut padded: Vec<char> = Vec::new();
    let mut buf = [0u8; 4];
    let start = fnv(FNV_OFFSET, b"c");
    for w in text.split_whitespace() {
        padded.clear();
        padded.push(' ');
        padded.extend(w.chars().flat_map(char::to_lowercase));
        padded.push(' ');
        // Each gram's hash extends the one a character shorter from the
        // same start, so a start's four grams cost five characters' hashing.
        let mut whole = start;
        for i in 0..padded.len() {
            let mut h = start;
            for (k, ch) in padded[i..].iter().take(5).enumerate() {
                h = fnv(h, ch.encode_utf8(&mut buf).as_bytes());
                if k >= 1 {
                    out.push(h);
                }
            }
            if i == 0 {
                whole = h;
            }
        }
        // A word shorter than n gives itself once for each such n.
        for _ in padded.len()..5 {
            out.push(whole);
        }
    }
}

/// Each distinct hash of `grams` (sorted in place) with its count.
fn counted(grams: &mut [u64]) -> Vec<(u64, u32)> {
    grams.sort_unstable();
    let mut out: Vec<(u64, u32)> = Vec::new();
    for g in grams.iter() {
        match out.last_mut() {
            Some((last, n)) if last == g => *n += 1,
            _ => out.push((*g, 1)),
        }
    }
    out
}

impl Vectorizer {
    /// The vocabulary and document frequencies of `texts`.
    pub fn fit<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vectorizer {
        let mut word_df: Map<u32> = Map::default();
        let mut char_df: Map<u32> = Map::default();
        let mut n = 0u32;
        let mut grams = Vec::new();
        for text in texts {
            n += 1;
            grams.clear();
            word_grams(text, &mut grams);
            for (g, _) in counted(&mut grams) {
                *word_df.entry(g).or_default() += 1;
            }
            grams.clear();
            char_grams(text, &mut grams);
            for (g, _) in counted(&mut grams) {
                *char_df.entry(g).or_default() += 1;
            }
        }
        let mut dim = 0u32;
        let mut digest = fnv(FNV_OFFSET, &n.to_le_bytes());
        let mut vocabulary = |df: Map<u32>, min_df: u32| {
            // In hash order, so the same texts give the same indices.
            let mut kept: Vec<(u64, u32)> = df.into_iter().filter(|(_, d)| *d >= min_df).collect();
            kept.sort_unstable();
            for (g, d) in &kept {
                digest = fnv(fnv(digest, &g.to_le_bytes()), &d.to_le_bytes());
            }
            kept.into_iter()
                .map(|(g, d)| {
                    let idf = idf(n, d);
                    dim += 1;
                    (
                        g,
                        Term {
                            index: dim - 1,
                            idf,
                        },
                    )
                })
                .collect::<Map<Term>>()
        };
        let words = vocabulary(word_df, 1);
        let chars = vocabulary(char_df, 2);
        Vectorizer {
            words,
            chars,
            digest,
        }
    }

    /// [`Vectorizer::row`], cut once where models over the same
    /// vocabulary read the same text in turn (the shipped label and theme
    /// models, trained on the same comments): each thread keeps the last
    /// text it cut and its row. Cutting is most of what reading a
    /// comment costs; cut twice, coding a comment took half as long
    /// again (`bench_coding`).
    pub fn row_once(&self, text: &str) -> Row {
        self.with_row_once(text, <[(u32, f32)]>::to_vec)
    }

    /// `f` of [`Vectorizer::row_once`]'s row, read in place.
    pub fn with_row_once<R>(&self, text: &str, f: impl FnOnce(&[(u32, f32)]) -> R) -> R {
        thread_local! {
            static LAST: std::cell::RefCell<(u64, String, Row)> =
                const { std::cell::RefCell::new((0, String::new(), Vec::new())) };
        }
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            if last.0 != self.digest || last.1 != text {
                let row = self.row(text);
                last.0 = self.digest;
                last.1.clear();
                last.1.push_str(text);
                last.2 = row;
            }
            f(&last.2)
        })
    }

    /// Word n-grams in the vocabulary: a row's features below this are
    /// words, the rest characters.
    pub fn word_dim(&self) -> u32 {
        self.words.len() as u32
    }

    /// Features in the vocabulary.
    pub fn dim(&self) -> u32 {
        (self.words.len() + self.chars.len()) as u32
    }

    /// `text` as a sparse row over the vocabulary.
    pub fn row(&self, text: &str) -> Row {
        // Each thread's grams go in one buffer kept between texts: grown
        // from empty for each text, its growth showed in the cut's profile
        // under load (`bench_submit`).
        thread_local! {
            static GRAMS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        GRAMS.with(|grams| {
            let mut grams = grams.borrow_mut();
            let mut out = Vec::with_capacity(256);
            grams.clear();
            word_grams(text, &mut grams);
            block(&self.words, &grams, &mut out);
            grams.clear();
            char_grams(text, &mut grams);
            block(&self.chars, &grams, &mut out);
            out
        })
    }
}

/// Smoothed inverse document frequency of a term in `d` of `n` texts.
fn idf(n: u32, d: u32) -> f32 {
    ((1.0 + n as f32) / (1.0 + d as f32)).ln() + 1.0
}

/// A tf-idf vocabulary over terms a caller cuts from its texts (as
/// hashes), for features beside a [`Vectorizer`]'s n-grams, weighted and
/// scaled as its blocks are.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Terms {
    terms: Map<Term>,
}

impl Terms {
    /// The terms found in at least `min_df` of `texts` (each a text's
    /// terms, with repeats), indexed in hash order.
    pub(crate) fn fit(texts: impl IntoIterator<Item = Vec<u64>>, min_df: u32) -> Terms {
        let mut df: Map<u32> = Map::default();
        let mut n = 0u32;
        for mut grams in texts {
            n += 1;
            for (g, _) in counted(&mut grams) {
                *df.entry(g).or_default() += 1;
            }
        }
        let mut kept: Vec<(u64, u32)> = df.into_iter().filter(|(_, d)| *d >= min_df).collect();
        kept.sort_unstable();
        let terms = kept
            .into_iter()
            .enumerate()
            .map(|(i, (g, d))| {
                let term = Term {
                    index: i as u32,
                    idf: idf(n, d),
                };
                (g, term)
            })
            .collect();
        Terms { terms }
    }

    /// Terms in the vocabulary.
    pub(crate) fn len(&self) -> u32 {
        self.terms.len() as u32
    }

    /// The tf-idf row of one text's terms, scaled to unit length, its
    /// indices from `offset`.
    pub(crate) fn row(&self, grams: &[u64], offset: u32) -> Row {
        let mut out = Row::new();
        block(&self.terms, grams, &mut out);
        for (j, _) in &mut out {
            *j += offset;
        }
        out
    }
}

/// Appends the tf-idf values of `grams` found in `terms` to `out`, in
/// the vocabulary's order, scaled to unit length. Looked up before they
/// are counted: the grams not in the vocabulary are not sorted.
fn block(terms: &Map<Term>, grams: &[u64], out: &mut Row) {
    let start = out.len();
    let mut found: Vec<(u32, f32)> = Vec::with_capacity(grams.len());
    found.extend(
        grams
            .iter()
            .filter_map(|g| terms.get(g).map(|t| (t.index, t.idf))),
    );
    found.sort_unstable_by_key(|(index, _)| *index);
    let mut i = 0;
    while i < found.len() {
        let (index, idf) = found[i];
        let tf = found[i..].iter().take_while(|(j, _)| *j == index).count();
        let damped = match tf {
            1 => 1.0,
            _ => 1.0 + (tf as f32).ln(),
        };
        out.push((index, damped * idf));
        i += tf;
    }
    let norm = out[start..].iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in &mut out[start..] {
            *v /= norm;
        }
    }
}

/// One theme's classifier: weights over the vocabulary and a bias.
/// `yes[i]` is row `i`'s label, or `None` to leave the row out.
fn train_one(rows: &[Row], yes: &[Option<bool>], dim: u32, s: Settings) -> (Vec<f32>, f32) {
    let mut w = vec![0f32; dim as usize];
    let mut bias = 0f32;
    let mut alpha = vec![0f32; rows.len()];
    let diag = 0.5 / s.c;
    let qd: Vec<f32> = rows
        .iter()
        .map(|r| diag + 1.0 + r.iter().map(|(_, v)| v * v).sum::<f32>())
        .collect();
    let mut order: Vec<usize> = (0..rows.len()).filter(|i| yes[*i].is_some()).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..s.epochs {
        // Fisher–Yates with xorshift: a fixed order each pass.
        for i in (1..order.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let (mut most, mut least) = (f32::MIN, f32::MAX);
        for &i in &order {
            let y = if yes[i] == Some(true) { 1.0 } else { -1.0 };
            let dot = bias + rows[i].iter().map(|(j, v)| w[*j as usize] * v).sum::<f32>();
            let g = y * dot - 1.0 + diag * alpha[i];
            let pg = if alpha[i] == 0.0 { g.min(0.0) } else { g };
            most = most.max(pg);
            least = least.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let d = (alpha[i] - old) * y;
                for (j, v) in &rows[i] {
                    w[*j as usize] += d * v;
                }
                bias += d;
            }
        }
        if most - least < s.tolerance {
            break;
        }
    }
    (w, bias)
}

/// One linear SVM per theme over a shared [`Vectorizer`].
#[derive(Debug, Clone, PartialEq)]
pub struct SvmThemes {
    vectorizer: Vectorizer,
    themes: Vec<String>,
    /// Feature-major: feature `j`'s weights for every theme start at
    /// `j * themes.len()`, so a comment's features are read in one scan.
    /// Each is kept in a byte, as a multiple of its theme's [`Self::scale`]
    /// (the largest weight over 127): a comment reads a few hundred
    /// features' weights scattered over the table, and at four bytes a
    /// weight (7 MB) re-coding a million stored comments, which evicts
    /// the table between comments, took three times as long as with the
    /// previous model. Rounding moves each feature's part of a decision
    /// value by at most half a step times the feature's value.
    weights: Vec<i8>,
    scale: Vec<f32>,
    bias: Vec<f32>,
    threshold: f32,
    /// Features of the caller's after the n-grams.
    extra: u32,
}

impl SvmThemes {
    /// Trained on `examples` (text, its themes) for `themes`; the themes
    /// are trained on two threads.
    pub fn train<'a>(
        themes: &[String],
        examples: impl IntoIterator<Item = (&'a str, &'a [String])>,
        s: Settings,
    ) -> SvmThemes {
        let examples: Vec<(&str, &[String])> = examples.into_iter().collect();
        SvmThemes::train_with(themes, &examples, &vec![Row::new(); examples.len()], 0, s)
    }

    /// [`SvmThemes::train`] where example `i` could have been given only
    /// the themes in `within[i]` (its form's): each theme learns from the
    /// examples that could have had it, and no other example counts
    /// against it. Panics unless there is one list for each example.
    pub fn train_within(
        themes: &[String],
        examples: &[(&str, &[String])],
        within: &[&[String]],
        s: Settings,
    ) -> SvmThemes {
        assert_eq!(
            examples.len(),
            within.len(),
            "one list of themes an example"
        );
        let none = vec![Row::new(); examples.len()];
        SvmThemes::train_rows(themes, examples, &none, 0, Some(within), s)
    }

    /// [`SvmThemes::train`] with `extra` features of the caller's beside
    /// the n-grams: `extras[i]` holds example `i`'s, as (index below
    /// `extra`, value); [`SvmThemes::scores_with`] reads them. Panics
    /// unless there is one row of extras for each example.
    pub fn train_with(
        themes: &[String],
        examples: &[(&str, &[String])],
        extras: &[Row],
        extra: u32,
        s: Settings,
    ) -> SvmThemes {
        SvmThemes::train_rows(themes, examples, extras, extra, None, s)
    }

    /// [`SvmThemes::train_with`], each theme learning from the examples
    /// whose `within` list holds it (every example without one).
    fn train_rows(
        themes: &[String],
        examples: &[(&str, &[String])],
        extras: &[Row],
        extra: u32,
        within: Option<&[&[String]]>,
        s: Settings,
    ) -> SvmThemes {
        assert_eq!(examples.len(), extras.len(), "one row of extras an example");
        let vectorizer = Vectorizer::fit(examples.iter().map(|(t, _)| *t));
        let words = vectorizer.dim();
        let rows: Vec<Row> = examples
            .iter()
            .zip(extras)
            .map(|((t, _), x)| {
                let mut row = vectorizer.row(t);
                row.extend(x.iter().map(|(j, v)| (words + j, *v)));
                row
            })
            .collect();
        let dim = words + extra;
        let train = |theme: &String| {
            let yes: Vec<Option<bool>> = examples
                .iter()
                .enumerate()
                .map(|(i, (_, l))| {
                    let could = within.is_none_or(|w| w[i].contains(theme));
                    could.then(|| l.contains(theme))
                })
                .collect();
            train_one(&rows, &yes, dim, s)
        };
        let half = themes.len().div_ceil(2);
        let trained: Vec<(Vec<f32>, f32)> = std::thread::scope(|scope| {
            let later = scope.spawn(|| themes[half..].iter().map(train).collect::<Vec<_>>());
            let mut first: Vec<(Vec<f32>, f32)> = themes[..half].iter().map(train).collect();
            first.extend(later.join().expect("training a theme"));
            first
        });
        let k = themes.len();
        let scale: Vec<f32> = trained
            .iter()
            .map(|(w, _)| w.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0)
            .map(|s| if s > 0.0 { s } else { 1.0 })
            .collect();
        let mut weights = vec![0i8; dim as usize * k];
        for (t, (w, _)) in trained.iter().enumerate() {
            for (j, v) in w.iter().enumerate() {
                weights[j * k + t] = (v / scale[t]).round().clamp(-127.0, 127.0) as i8;
            }
        }
        SvmThemes {
            vectorizer,
            themes: themes.to_vec(),
            weights,
            scale,
            bias: trained.iter().map(|(_, b)| *b).collect(),
            threshold: s.threshold,
            extra,
        }
    }

    /// Each theme's decision value for `text`, in the order trained.
    pub fn scores(&self, text: &str) -> Vec<(&str, f32)> {
        self.scores_with(text, &[])
    }

    /// [`SvmThemes::scores`] with the `extra` features the model was
    /// trained with ([`SvmThemes::train_with`]).
    pub fn scores_with(&self, text: &str, extra: &[(u32, f32)]) -> Vec<(&str, f32)> {
        let k = self.themes.len();
        let mut sum = vec![0f32; k];
        let words = self.vectorizer.dim();
        let mut add = |j: u32, v: f32| {
            let at = j as usize * k;
            for (s, w) in sum.iter_mut().zip(&self.weights[at..at + k]) {
                *s += f32::from(*w) * v;
            }
        };
        self.vectorizer.with_row_once(text, |row| {
            for (j, v) in row {
                add(*j, *v);
            }
        });
        for (j, v) in extra.iter().filter(|(j, _)| *j < self.extra) {
            add(words + j, *v);
        }
        for ((s, scale), bias) in sum.iter_mut().zip(&self.scale).zip(&self.bias) {
            *s = *s * scale + bias;
        }
        self.themes.iter().map(String::as_str).zip(sum).collect()
    }

    /// The themes of `text`: those whose decision value reaches the
    /// threshold.
    pub fn code(&self, text: &str) -> Vec<String> {
        self.scores(text)
            .into_iter()
            .filter(|(_, s)| *s >= self.threshold)
            .map(|(t, _)| t.to_owned())
            .collect()
    }

    /// The theme ids the model knows.
    pub fn themes(&self) -> impl Iterator<Item = &str> {
        self.themes.iter().map(String::as_str)
    }

    /// Decision value at or above which a theme is given.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// The vocabulary it reads texts with.
    pub fn vectorizer(&self) -> &Vectorizer {
        &self.vectorizer
    }

    /// Features in its vocabulary.
    pub fn features(&self) -> u32 {
        self.vectorizer.dim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn character_grams_stay_within_words_and_mark_their_edges() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        char_grams("Hi", &mut a);
        // " hi " gives 3 + 2 + 1 grams of 2, 3, 4 and the whole once for 5.
        assert_eq!(a.len(), 3 + 2 + 1 + 1);
        char_grams("hi", &mut b);
        assert_eq!(a, b, "lower-cased");
        let mut c = Vec::new();
        char_grams("hi there", &mut c);
        let mut joined = Vec::new();
        char_grams("hithere", &mut joined);
        assert_ne!(c.len(), joined.len());
    }

    #[test]
    fn rows_are_unit_length_per_block_and_unknown_words_drop() {
        let v = Vectorizer::fit(["the lamp is out", "the lamp is out again", "dealing drugs"]);
        let row = v.row("the lamp is out");
        let total: f32 = row.iter().map(|(_, x)| x * x).sum();
        assert!((total - 2.0).abs() < 1e-4, "two unit blocks: {total}");
        assert!(
            row.windows(2).all(|p| p[0].0 < p[1].0),
            "each once, ascending"
        );
        assert!(v.row("zzqx").is_empty(), "nothing known");
    }

    /// A row cut once is the row, for the vectorizer asked, whichever
    /// vectorizer or text came before on the thread.
    #[test]
    fn a_row_cut_once_is_each_vectorizers_own() {
        let texts = ["the lamp is out", "dealing drugs", "the lamp"];
        let a = Vectorizer::fit(texts);
        let same = Vectorizer::fit(texts);
        let other = Vectorizer::fit(["the lamp is out", "lamp lamp"]);
        assert_eq!(a.digest, same.digest);
        assert_ne!(a.digest, other.digest);
        for text in ["the lamp is out", "dealing", "the lamp is out"] {
            assert_eq!(a.row_once(text), a.row(text));
            assert_eq!(same.row_once(text), a.row(text));
            assert_eq!(other.row_once(text), other.row(text));
            assert_ne!(other.row_once(text), a.row(text), "{text}");
        }
    }

    /// A comment counts against a theme only where it could have had it:
    /// another form's comments about dark streets, which that form's
    /// codebook has no theme for, do not teach the model that dark
    /// streets are not about lighting.
    #[test]
    fn a_theme_learns_only_from_comments_that_could_have_had_it() {
        let dark = s(&["lighting"]);
        let none: Vec<String> = Vec::new();
        let examples = vec![
            ("the street lights are out", dark.as_slice()),
            ("pitch dark alley no lights", dark.as_slice()),
            ("lamp posts broken and dark", dark.as_slice()),
            ("all fine thanks", none.as_slice()),
            ("nice area", none.as_slice()),
            // Another form's, whose codebook has no lighting theme.
            ("the lights are out on my road", none.as_slice()),
            ("lights out and dark again", none.as_slice()),
            ("dark street lights out", none.as_slice()),
        ];
        let themes = s(&["lighting"]);
        let (form_a, form_b) = (themes.clone(), Vec::new());
        let within: Vec<&[String]> = (0..examples.len())
            .map(|i| {
                if i < 5 {
                    form_a.as_slice()
                } else {
                    form_b.as_slice()
                }
            })
            .collect();
        let settings = Settings::default();
        let value = |m: &SvmThemes| m.scores("the lights are out")[0].1;
        let all = SvmThemes::train(&themes, examples.clone(), settings);
        let kept = SvmThemes::train_within(&themes, &examples, &within, settings);
        assert!(
            value(&kept) > value(&all) + 0.3,
            "{} {}",
            value(&kept),
            value(&all)
        );
        assert_eq!(kept.code("the lights are out"), themes);
        assert!(kept.code("all fine thanks").is_empty());
        // Where every comment could have had every theme, it is the plain
        // training, bit for bit.
        let every: Vec<&[String]> = vec![themes.as_slice(); examples.len()];
        assert_eq!(
            SvmThemes::train_within(&themes, &examples, &every, settings),
            all
        );
    }

    #[test]
    fn learns_themes_from_examples_and_gives_none_to_the_unrelated() {
        let dark = s(&["lighting"]);
        let drugs = s(&["drugs"]);
        let none: Vec<String> = Vec::new();
        let examples = vec![
            ("the street lights are out", dark.as_slice()),
            ("pitch dark alley no lights", dark.as_slice()),
            ("lamp posts broken and dark", dark.as_slice()),
            ("dealing on the corner every night", drugs.as_slice()),
            ("people selling drugs openly", drugs.as_slice()),
            ("smell of weed and dealers", drugs.as_slice()),
            ("all fine thanks", none.as_slice()),
            ("no comment", none.as_slice()),
            ("nice area", none.as_slice()),
        ];
        let themes = s(&["drugs", "lighting"]);
        let settings = Settings::default();
        let m = SvmThemes::train(&themes, examples.clone(), settings);
        assert_eq!(m.code("the lights are out in the alley"), s(&["lighting"]));
        assert_eq!(m.code("dealers selling on the corner"), s(&["drugs"]));
        assert!(m.code("thanks all fine").is_empty());
        assert_eq!(
            m,
            SvmThemes::train(&themes, examples, settings),
            "bit for bit"
        );
    }
}
