//! This crate against the one it is derived from, `vader-parity` 0.1.0:
//! every score of every text must be the same bits. The texts are the
//! evaluation set's comments (as written, cut at their punctuation and at
//! "but", in capitals and in lower case), and generated texts that walk the
//! rules: lexicon words, boosters, negations, "but", "kind of", the idioms,
//! capitals among lower case, runs of "!" and "?", emoticons, emoji, and
//! letters whose casing is not ASCII's.

use std::path::Path;

fn both(text: &str) {
    let ours = analyzer().polarity_scores(text);
    let theirs = reference().polarity_scores(text);
    let bits = |s: [f64; 4]| s.map(f64::to_bits);
    assert_eq!(
        bits([ours.neg, ours.neu, ours.pos, ours.compound]),
        bits([theirs.neg, theirs.neu, theirs.pos, theirs.compound]),
        "scores differ for {text:?}: {ours:?} against {theirs:?}"
    );
}

fn analyzer() -> &'static vader::SentimentIntensityAnalyzer {
    static A: std::sync::OnceLock<vader::SentimentIntensityAnalyzer> = std::sync::OnceLock::new();
    A.get_or_init(vader::SentimentIntensityAnalyzer::new)
}

fn reference() -> &'static vader_parity::SentimentIntensityAnalyzer {
    static A: std::sync::OnceLock<vader_parity::SentimentIntensityAnalyzer> =
        std::sync::OnceLock::new();
    A.get_or_init(vader_parity::SentimentIntensityAnalyzer::new)
}

fn crate_file(path: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_evaluation_comments_score_as_vader_parity_scores_them() {
    let mut scored = 0;
    for file in ["comments.tsv", "fresh.tsv", "train.tsv", "voices.tsv"] {
        let text = crate_file(&format!("../eval/{file}"));
        for line in text.lines().skip(1) {
            let Some(comment) = line.rsplit('\t').next() else {
                continue;
            };
            let mut variants = vec![
                comment.to_string(),
                comment.to_uppercase(),
                comment.to_lowercase(),
            ];
            variants.extend(
                comment
                    .split(['.', '!', '?', ';', ','])
                    .chain(comment.split(" but "))
                    .map(str::to_string),
            );
            for v in &variants {
                both(v);
                scored += 1;
            }
        }
    }
    assert!(scored > 50_000, "only {scored} texts scored");
}

/// A small generator of the test's own: the same texts every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, from: &'a [String]) -> &'a str {
        &from[self.below(from.len())]
    }
}

#[test]
fn generated_texts_score_as_vader_parity_scores_them() {
    let lexicon: Vec<String> = crate_file("data/vader_lexicon.txt")
        .lines()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect();
    let rules: Vec<String> = crate_file("data/rules_tables.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(1))
        .map(str::to_string)
        .collect();
    let emoji: Vec<String> = crate_file("data/emoji_utf8_lexicon.txt")
        .lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|k| k.chars().count() == 1)
        .map(str::to_string)
        .collect();
    let words: Vec<String> = [
        "not", "never", "no", "nor", "or", "isn't", "dont", "without", "doubt", "least", "at",
        "very", "but", "BUT", "kind", "of", "so", "this", "the", "police", "came", "waited",
        "hours", "officer", "Σ", "ΣΑΣ", "ΑΣ", "İ", "ß", "ẞ", "É", "café", "ǅ", "Ⅻ", "ﬁ", "ΟΔΟΣ",
        ":)", ":(", "8-)", "!!!", "???", "?", "!", ",", "...", "n't", "'", "-", "GOOD", "Bad",
        "LOVE", "hate", "1", "2nd", "", "\t", "\n", "\u{1c}", "\u{a0}", "\u{3000}", "©",
    ]
    .map(str::to_string)
    .to_vec();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut text = String::new();
    for _ in 0..150_000 {
        text.clear();
        for _ in 0..1 + rng.below(14) {
            let mut word = match rng.below(10) {
                0..=3 => rng.pick(&lexicon).to_string(),
                4 | 5 => rng.pick(&rules).to_string(),
                6 => rng.pick(&emoji).to_string(),
                _ => rng.pick(&words).to_string(),
            };
            match rng.below(8) {
                0 => word = word.to_uppercase(),
                1 => word.push_str(["!", "?", ",", ".", "!!", "??"][rng.below(6)]),
                2 => word.insert(0, ['"', '(', '\'', '-'][rng.below(4)]),
                _ => {}
            }
            text.push_str(&word);
            // Mostly a space, sometimes none (an emoji or a word run on).
            match rng.below(12) {
                0 => {}
                1 => text.push_str("  "),
                _ => text.push(' '),
            }
        }
        both(&text);
    }
}
