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
    with_tokens(text, <[String]>::to_vec)
}

/// Texts whose tokens a thread remembers, the last cut first.
const CUT: usize = 4;

thread_local! {
    static CUT_LAST: RefCell<Vec<(String, Vec<String>)>> = const { RefCell::new(Vec::new()) };
}

/// Hands `f` the [`tokens`] of `text`, read in place.
///
/// One comment is cut into tokens by the lexicon layer, the codebook, the
/// label and theme models and the flags in turn (its clauses in between),
/// and cutting was a tenth of the time coding it takes (`perf` over
/// `bench_coding`), so each thread remembers the last few texts it cut.
/// `f` may cut other texts itself.
pub(crate) fn with_tokens<R>(text: &str, f: impl FnOnce(&[String]) -> R) -> R {
    // Taken out while `f` runs, so that `f` may cut too.
    let known = CUT_LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        let at = last.iter().position(|(t, _)| t == text)?;
        Some(last.remove(at))
    });
    let (kept, words) = match known {
        Some((kept, words)) => (kept, words),
        None => (text.to_owned(), cut(text)),
    };
    let out = f(&words);
    CUT_LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        last.truncate(CUT - 1);
        last.insert(0, (kept, words));
    });
    out
}

fn cut(text: &str) -> Vec<String> {
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
        // ASCII first, which is most of every text, without the general
        // case's lower-casing iterator.
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() || c == '\'' {
                cur.push(c.to_ascii_lowercase());
            } else {
                flush(&mut cur);
            }
        } else if c.is_alphanumeric() {
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

    /// Letters beyond ASCII are lower-cased and kept in their words, as
    /// ASCII ones are.
    #[test]
    fn letters_beyond_ascii_are_lowered_within_their_words() {
        assert_eq!(
            tokens("ÉCOLE Straße, ΣΟΦΊΑ’S café—2nd"),
            ["école", "straße", "σοφία's", "café", "2nd"]
        );
    }

    /// A text's remembered tokens are those a fresh cut gives, whichever
    /// texts were cut between, and `f` may cut other texts itself.
    #[test]
    fn remembered_tokens_are_a_fresh_cuts() {
        let texts = [
            "Polite on the phone, then silence for months.",
            "No one came",
            "ÉCOLE Straße didn’t",
            "",
            "lamps out, dark alley",
            "No one came",
        ];
        for round in 0..3 {
            for (i, t) in texts.iter().enumerate() {
                let other = texts[(i + round + 1) % texts.len()];
                let (mine, theirs) = super::with_tokens(t, |words| (words.to_vec(), tokens(other)));
                assert_eq!(mine, super::cut(t), "{t}, round {round}");
                assert_eq!(theirs, super::cut(other), "{other}, round {round}");
            }
        }
        super::CUT_LAST.with(|cell| assert!(cell.borrow().len() <= super::CUT));
    }
}
