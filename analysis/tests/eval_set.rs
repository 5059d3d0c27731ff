//! The free-text evaluation set is frozen: its labels, texts and split
//! were fixed before the coding was tuned, and must not move after.

#[path = "../examples/support/eval_set.rs"]
mod support;

use std::path::Path;
use support::normalised;

/// SHA-256 of `analysis/eval/comments.tsv` as frozen.
const FROZEN: &str = "681c8d88af41b65b21f1d3b8ca9ecda61009d7e07a7a0563656903d0d9598386";

/// SHA-256 of `analysis/eval/fresh.tsv` as frozen: the second held-out
/// set, written after the shipped coding and frozen before it was tuned
/// again.
const FRESH: &str = "046be51b95323781da6ebe5c8ef4cb640ece943988eccc08e9428cbe23587f3a";

/// SHA-256 of `eval/voices.tsv`, the third held-out set (in new voices),
/// frozen before the theme model was trained on its batches' other part.
const VOICES: &str = "0b260145948946888da0fb110c162f026dcb8bcee125f9b9ac0d3d8565d9e55d";

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_evaluation_set_is_unchanged_since_it_was_frozen() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/comments.tsv");
    let bytes = std::fs::read(&path).expect("the evaluation set");
    assert_eq!(
        sha256_hex(&bytes),
        FROZEN,
        "{} changed after it was frozen: figures on its test part would no longer be held out",
        path.display()
    );
    let text = String::from_utf8(bytes).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(rows.len() >= 600, "{} comments", rows.len());
    assert!(rows.iter().all(|r| r.len() == 9));
    let test = rows.iter().filter(|r| r[1] == "test").count();
    assert_eq!((test, rows.len() - test), (235, 376));
}

/// Checks that held-out file `name` (in `eval/`) is as it was frozen,
/// with `rows` comments.
fn unchanged_since_frozen(name: &str, sha256: &str, rows: usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("eval")
        .join(name);
    let bytes = std::fs::read(&path).expect("a held-out set");
    assert_eq!(
        sha256_hex(&bytes),
        sha256,
        "{} changed after it was frozen: figures on it would no longer be held out",
        path.display()
    );
    let n = String::from_utf8(bytes).unwrap().lines().skip(1).count();
    assert_eq!(n, rows);
}

#[test]
fn the_fresh_held_out_set_is_unchanged_since_it_was_frozen() {
    unchanged_since_frozen("fresh.tsv", FRESH, 387);
}

#[test]
fn the_voices_held_out_set_is_unchanged_since_it_was_frozen() {
    unchanged_since_frozen("voices.tsv", VOICES, 474);
}

/// The extra development comments are well formed and hold no comment of
/// the frozen set (of either part), none of the fresh or voices held-out
/// sets and none twice: training on them leaves all three held out.
#[test]
fn the_extra_development_comments_hold_none_of_the_frozen_set() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval");
    let frozen = std::fs::read_to_string(dir.join("comments.tsv")).unwrap();
    let fresh = std::fs::read_to_string(dir.join("fresh.tsv")).unwrap();
    let voices = std::fs::read_to_string(dir.join("voices.tsv")).unwrap();
    let frozen: std::collections::HashSet<String> = frozen
        .lines()
        .skip(1)
        .map(|l| normalised(l.split('\t').nth(8).unwrap()))
        .chain(
            fresh
                .lines()
                .chain(voices.lines().skip(1))
                .skip(1)
                .map(|l| normalised(l.split('\t').nth(7).unwrap())),
        )
        .collect();
    let extra = std::fs::read_to_string(dir.join("train.tsv")).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut rows = 0;
    for line in extra.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 8, "{line}");
        assert!(
            ["community-safety", "victim-satisfaction", "street-feedback"].contains(&f[1]),
            "{line}"
        );
        assert!(
            ["positive", "neutral", "negative"].contains(&f[3]),
            "{line}"
        );
        assert!(
            ["0", "1"].contains(&f[4]) && ["0", "1"].contains(&f[5]),
            "{line}"
        );
        let text = normalised(f[7]);
        assert!(!frozen.contains(&text), "in a held-out set: {line}");
        assert!(seen.insert(text), "twice: {line}");
        rows += 1;
    }
    assert_eq!(rows, 9226);
}

/// SHA-256 of the second and third people's passes over the held-out sets
/// (`eval/coders/b.tsv`, `c.tsv`), as they were first read.
const CODERS: [(&str, &str); 2] = [
    (
        "b",
        "956d176f1f7008ae239d9cf3d6197ca8f36931b633f9cc136d6f0c937f79b677",
    ),
    (
        "c",
        "2a737ff7caf4ec2f24e8666de0e288bd28978a873b6851a8cc5ba28afc74adb7",
    ),
];

/// Each further person's pass codes every held-out comment once, with
/// labels the forms allow, and is unchanged since it was first read: the
/// agreement figures `agree_coders` prints are on these passes as coded.
#[test]
fn the_further_coders_passes_code_each_held_out_comment_once() {
    let held_out: std::collections::BTreeMap<String, String> = support::load()
        .into_iter()
        .filter(|c| c.split == "test")
        .map(|c| (format!("test:{}", c.id), c.form))
        .chain(
            [("fresh", "fresh.tsv"), ("voices", "voices.tsv")]
                .into_iter()
                .flat_map(|(set, file)| {
                    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("eval")
                        .join(file);
                    support::load_file(&path.display().to_string())
                        .into_iter()
                        .map(move |c| (format!("{set}:{}", c.id), c.form))
                }),
        )
        .collect();
    assert_eq!(held_out.len(), 235 + 387 + 474);
    let forms = support::coders();
    for (name, sha256) in CODERS {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("eval/coders")
            .join(format!("{name}.tsv"));
        let bytes = std::fs::read(&path).expect("a further coder's pass");
        assert_eq!(
            sha256_hex(&bytes),
            sha256,
            "{} changed after it was first read",
            path.display()
        );
        let mut seen = std::collections::BTreeSet::new();
        for line in String::from_utf8(bytes).unwrap().lines() {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 5, "{line}");
            let form = held_out
                .get(f[0])
                .unwrap_or_else(|| panic!("not held out: {line}"));
            assert!(seen.insert(f[0].to_owned()), "twice: {line}");
            assert!(
                ["positive", "neutral", "negative"].contains(&f[1]),
                "{line}"
            );
            assert!(
                ["0", "1"].contains(&f[2]) && ["0", "1"].contains(&f[3]),
                "{line}"
            );
            let ids = &forms[form.as_str()].1;
            for theme in f[4].split(';').filter(|t| !t.is_empty()) {
                assert!(
                    ids.iter().any(|i| i == theme),
                    "{theme} is not {form}'s: {line}"
                );
            }
        }
        assert_eq!(seen.len(), held_out.len(), "{name} leaves some out");
    }
}
