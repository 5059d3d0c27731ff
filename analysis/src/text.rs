//! The one tokeniser shared by the lexicon layer and the theme coder, so a
//! phrase in a lexicon or a codebook is cut up exactly as an answer is.

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
    for c in text.chars() {
        let c = if matches!(c, '\u{2019}' | '\u{2018}' | '\u{02BC}') {
            '\''
        } else {
            c
        };
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
