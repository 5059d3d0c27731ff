//! The free-text evaluation set is frozen: its labels, texts and split
//! were fixed before the coding was tuned, and must not move after.

use std::path::Path;

/// SHA-256 of `analysis/eval/comments.tsv` as frozen.
const FROZEN: &str = "681c8d88af41b65b21f1d3b8ca9ecda61009d7e07a7a0563656903d0d9598386";

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
