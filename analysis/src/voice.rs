//! Whether a comment is in the forms' voice: written as the development
//! comments are, rather than as a product review or a headline. The
//! sentiment label ([`crate::label_model`]) gives the stacked model's
//! class only there; elsewhere it holds back (the SVMs' class, whose
//! neutral does not overrule a positive or negative lexicon label).
//!
//! A comment's score is the mean, over its words, of how much likelier
//! each word is in the development comments than in English at large:
//!
//! ```text
//! score = mean over words w of  ln P(w | development comments) − ln max(P(w | English), e^FLOOR)
//! ```
//!
//! `P(w | development comments)` is counted from the training comments
//! (smoothed); `P(w | English)` is read from `english_words.tsv`, the
//! 3,525 commonest English words with their share of running words in
//! Reddit comments (spaCy's lexeme probabilities, MIT licence; made by
//! `analysis/scripts/english-words.py`). A rarer word counts as one at
//! the floor: what matters is whether the forms' respondents use it more
//! than people do in general, so "officer" and "burglary" raise a score
//! and "plot" and "dvd" lower it, whether or not the development comments
//! ever used a word.
//!
//! It replaced the share of a comment's words found in three or more
//! development comments, which set apart comments with a new word or two
//! (a new batch's place names and idiom) as if they were reviews: over
//! VADER's Amazon snippets the two gates let through about as many texts,
//! while this one lets through 97% of policing comments where the share
//! let through 73% (see `label_model`).

use crate::negation::each_word;
use crate::svm::{fnv, Map, FNV_OFFSET};
use std::sync::LazyLock;

/// The natural log of a word's share of English text under which every
/// word is taken as this common (about the 3,500th commonest word).
const FLOOR: f64 = -11.0;

/// Smoothing of the development comments' counts: `ALPHA` added to each
/// word's count, over a vocabulary taken as `VOCABULARY` words.
const ALPHA: f64 = 0.5;
const VOCABULARY: f64 = 50_000.0;

/// The score of a comment with no words: in the voice (there is nothing
/// to hold back for).
const NO_WORDS: f32 = f32::INFINITY;

fn hash(word: &str) -> u64 {
    fnv(fnv(FNV_OFFSET, b"v"), word.as_bytes())
}

/// `english_words.tsv`: word hash → ln share.
static ENGLISH: LazyLock<Map<f64>> = LazyLock::new(|| {
    include_str!("english_words.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (word, ln) = l.split_once('\t')?;
            Some((hash(word), ln.parse().ok()?))
        })
        .collect()
});

/// The development comments' word counts, for [`Voice::score`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Voice {
    counts: Map<u32>,
    /// ln of the smoothed total: the denominator of every word's share.
    ln_total: f64,
}

impl Voice {
    pub(crate) fn fit<'a>(texts: impl IntoIterator<Item = &'a str>) -> Voice {
        let mut counts: Map<u32> = Map::default();
        let mut total = 0u64;
        for text in texts {
            each_word(text, |w| {
                *counts.entry(hash(w)).or_default() += 1;
                total += 1;
            });
        }
        Voice {
            counts,
            ln_total: (total as f64 + ALPHA * VOCABULARY).ln(),
        }
    }

    /// How much likelier `text`'s words are, on average, in the
    /// development comments than in English (natural log; see the module).
    pub(crate) fn score(&self, text: &str) -> f32 {
        let english = &*ENGLISH;
        let (mut sum, mut n) = (0.0f64, 0u32);
        each_word(text, |w| {
            let h = hash(w);
            let here =
                (f64::from(self.counts.get(&h).copied().unwrap_or(0)) + ALPHA).ln() - self.ln_total;
            let there = english.get(&h).copied().unwrap_or(FLOOR).max(FLOOR);
            sum += here - there;
            n += 1;
        });
        if n == 0 {
            NO_WORDS
        } else {
            (sum / f64::from(n)) as f32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fitted on the development comments, as the shipped label is.
    fn voice() -> Voice {
        let rows = crate::dev_set::all_rows();
        Voice::fit(rows.iter().map(|r| r.text))
    }

    #[test]
    fn the_words_table_is_read_whole() {
        assert_eq!(ENGLISH.len(), 3_525);
        assert!(ENGLISH[&hash("the")] > ENGLISH[&hash("police")]);
        assert!(ENGLISH.values().all(|ln| *ln >= FLOOR && *ln < 0.0));
    }

    #[test]
    fn the_forms_words_score_above_a_reviews() {
        let v = voice();
        let comment = v.score("An officer came about the burglary on our street");
        let review = v.score("The plot is thin but the acting is superb");
        assert!(comment > 0.0 && review < 0.0, "{comment} {review}");
        // A word the comments never used but English rarely does either
        // lowers a score less than a common English word they never used.
        assert!(v.score("the officer and the cashpoint") > v.score("the officer and the movie"));
    }

    #[test]
    fn a_comment_without_words_is_in_the_voice() {
        assert_eq!(voice().score("!!! ..."), NO_WORDS);
    }
}
