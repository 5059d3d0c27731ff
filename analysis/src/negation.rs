//! The words in a negation's scope, as features of their own beside the
//! n-grams of the sentiment label ([`crate::label_model`]), so that "not
//! helpful" and "never rude" stop reading like "helpful" and "rude"
//! ([`Negated`]); and the cut into words that [`crate::voice`] reads too.
//!
//! A negation's scope runs from a negating word to the next `. , ; : ! ?`,
//! as in the bag-of-words sentiment literature's usual marking.

use crate::svm::{fnv, Row, Terms, FNV_OFFSET};
use crate::text::straight;

/// The words that open a negation's scope (with and without apostrophe,
/// as people type them).
const NEGATORS: &[&str] = &[
    "not", "no", "never", "nobody", "nothing", "nowhere", "none", "cannot", "cant", "can't",
    "dont", "don't", "didnt", "didn't", "doesnt", "doesn't", "isnt", "isn't", "wasnt", "wasn't",
    "wont", "won't", "havent", "haven't", "hasnt", "hasn't", "without", "hardly", "barely",
];

/// Each word of `text`, lower-cased (letters, digits and apostrophes;
/// curly apostrophes read as straight ones), with whether it lies in a
/// negation's scope. A negating word is not itself in one.
fn scoped(text: &str, mut each: impl FnMut(&str, bool)) {
    let mut word = String::new();
    let mut negated = false;
    let mut flush = |word: &mut String, negated: &mut bool| {
        if !word.is_empty() {
            if NEGATORS.contains(&word.as_str()) {
                each(word, false);
                *negated = true;
            } else {
                each(word, *negated);
            }
            word.clear();
        }
    };
    for c in text.chars().map(straight) {
        if c.is_alphanumeric() || c == '\'' {
            word.extend(c.to_lowercase());
        } else {
            flush(&mut word, &mut negated);
            if matches!(c, '.' | ',' | ';' | ':' | '!' | '?') {
                negated = false;
            }
        }
    }
    flush(&mut word, &mut negated);
}

/// Each word of `text`, as [`Negated`] cuts them (lower-cased; letters,
/// digits and apostrophes).
pub(crate) fn each_word(text: &str, mut each: impl FnMut(&str)) {
    scoped(text, |w, _| each(w));
}

/// Each word of `text` counted, and whether one of them negates.
pub(crate) fn words_and_negation(text: &str) -> (usize, bool) {
    let (mut n, mut negates) = (0, false);
    scoped(text, |w, _| {
        n += 1;
        negates |= NEGATORS.contains(&w);
    });
    (n, negates)
}

fn hash(word: &str) -> u64 {
    fnv(fnv(FNV_OFFSET, b"n"), word.as_bytes())
}

/// The words in a negation's scope, as tf-idf features over those seen
/// in at least two training comments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Negated {
    terms: Terms,
}

impl Negated {
    fn grams(text: &str) -> Vec<u64> {
        let mut out = Vec::new();
        scoped(text, |w, negated| {
            if negated {
                out.push(hash(w));
            }
        });
        out
    }

    pub(crate) fn fit<'a>(texts: impl IntoIterator<Item = &'a str>) -> Negated {
        Negated {
            terms: Terms::fit(texts.into_iter().map(Negated::grams), 2),
        }
    }

    /// Features in the vocabulary.
    pub(crate) fn len(&self) -> u32 {
        self.terms.len()
    }

    /// `text`'s negated words as a row, its indices from `offset`.
    pub(crate) fn row(&self, text: &str, offset: u32) -> Row {
        self.terms.row(&Negated::grams(text), offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negated(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        scoped(text, |w, n| {
            if n {
                out.push(w.to_owned());
            }
        });
        out
    }

    #[test]
    fn a_scope_runs_from_the_negation_to_the_next_punctuation() {
        assert_eq!(
            negated("Officers were not rude, just slow."),
            ["rude"],
            "the comma closes it"
        );
        assert_eq!(
            negated("Nobody came back to me"),
            ["came", "back", "to", "me"]
        );
        assert_eq!(negated("They don\u{2019}t care! Awful"), ["care"]);
        assert_eq!(negated("Quick and helpful"), Vec::<String>::new());
        assert_eq!(negated("no no never again"), ["again"]);
    }

    #[test]
    fn negated_words_are_features_only_where_training_saw_them_twice() {
        let m = Negated::fit(["not helpful", "not helpful at all", "never rude"]);
        assert_eq!(m.len(), 1, "helpful twice; at, all and rude once");
        let row = m.row("Not helpful. Helpful!", 7);
        assert_eq!(row.len(), 1);
        assert_eq!(row[0].0, 7);
        assert!((row[0].1 - 1.0).abs() < 1e-6, "one term, unit length");
        assert!(m.row("helpful", 0).is_empty(), "not negated there");
    }
}
