//! The one tokeniser shared by the lexicon layer and the theme coder, so a
//! phrase in a lexicon or a codebook is cut up exactly as an answer is;
//! and the one stemmer, shared by the codebook and the models.

use rust_stemmers::{Algorithm, Stemmer};
use std::cell::RefCell;
use std::collections::HashMap;

/// Words whose stems a thread remembers before it forgets them all and
/// starts again (about two megabytes a thread at most).
const REMEMBERED: usize = 20_000;

thread_local! {
    static STEMS: RefCell<(Stemmer, HashMap<String, String>)> =
        RefCell::new((Stemmer::create(Algorithm::English), HashMap::new()));
}

/// Hands `f` the Snowball English (Porter2) stem of `word` (a token).
///
/// Each comment is stemmed by the codebook, the learned theme model and
/// the label model, word by word, and stemming was a quarter of the time
/// coding a comment takes (`perf` over `bench_coding`); comments share
/// most of their words, so each thread remembers the stems it made.
pub(crate) fn with_stem<R>(word: &str, f: impl FnOnce(&str) -> R) -> R {
    STEMS.with(|cell| {
        let mut guard = cell.borrow_mut();
        let (stemmer, known) = &mut *guard;
        if let Some(stem) = known.get(word) {
            return f(stem);
        }
        let stem = stemmer.stem(word).into_owned();
        let out = f(&stem);
        if known.len() >= REMEMBERED {
            known.clear();
        }
        known.insert(word.to_owned(), stem);
        out
    })
}

/// The stem of `word`; see [`with_stem`].
pub(crate) fn stem(word: &str) -> String {
    with_stem(word, str::to_owned)
}

/// A curly apostrophe as the straight one people also type.
pub(crate) fn straight(c: char) -> char {
    if matches!(c, '\u{2019}' | '\u{2018}' | '\u{02BC}') {
        '\''
    } else {
        c
    }
}

/// Lower-cased word tokens of `text`.
///
/// A token is a run of letters, digits and apostrophes; everything else
/// (spaces, punctuation, hyphens, slashes) separates tokens, so
/// "Anti-social!" gives `anti`, `social`. Typographic apostrophes count as
/// `'`, and apostrophes at either end of a token are dropped, so "didn’t"
/// stays one token and "'phone'" becomes `phone`.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut flush = |cur: &mut String| {
        let t = cur.trim_matches('\'');
        if !t.is_empty() {
            out.push(t.to_owned());
        }
        cur.clear();
    };
    for c in text.chars().map(straight) {
        if c.is_alphanumeric() || c == '\'' {
            cur.extend(c.to_lowercase());
        } else {
            flush(&mut cur);
        }
    }
    flush(&mut cur);
    out
}

#[cfg(test)]
mod tests {
    use super::tokens;

    /// A remembered stem is the stemmer's own, before and after the thread
    /// forgets what it remembered and starts again.
    #[test]
    fn remembered_stems_are_the_stemmers() {
        use rust_stemmers::{Algorithm, Stemmer};
        let stemmer = Stemmer::create(Algorithm::English);
        let words = [
            "snatched",
            "snatching",
            "officers",
            "dealin",
            "lighting",
            "waited",
        ];
        for round in 0..3 {
            for w in words {
                assert_eq!(super::stem(w), stemmer.stem(w), "{w}, round {round}");
            }
            // More words than are remembered: the memory starts again.
            for n in 0..super::REMEMBERED + 7 {
                let w = format!("word{n}ing");
                assert_eq!(super::stem(&w), stemmer.stem(&w));
            }
        }
        super::STEMS.with(|cell| assert!(cell.borrow().1.len() <= super::REMEMBERED));
    }

    #[test]
    fn splits_on_punctuation_and_keeps_contractions() {
        assert_eq!(
            tokens("Anti-social behaviour!!"),
            ["anti", "social", "behaviour"]
        );
        assert_eq!(
            tokens("I didn’t feel SAFE."),
            ["i", "didn't", "feel", "safe"]
        );
        assert_eq!(
            tokens("'phone' snatched…by an e-bike"),
            ["phone", "snatched", "by", "an", "e", "bike"]
        );
        assert!(tokens("  ... ").is_empty());
    }
}
