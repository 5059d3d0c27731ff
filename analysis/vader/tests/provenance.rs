//! The vendored data files are the ones `data/PROVENANCE` names: each
//! file's SHA-256 against the digest recorded there.

use sha2::{Digest, Sha256};
use std::path::Path;

#[test]
fn every_data_file_has_its_recorded_digest() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let provenance = std::fs::read_to_string(data.join("PROVENANCE")).unwrap();
    let mut checked = Vec::new();
    for line in provenance.lines() {
        let Some(rest) = line.strip_prefix("sha256 ") else {
            continue;
        };
        let (digest, name) = rest.split_once("  ").expect("`sha256 DIGEST  NAME`");
        let bytes = std::fs::read(data.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            format!("{:x}", Sha256::digest(&bytes)),
            digest,
            "{name} is not the file PROVENANCE records"
        );
        checked.push(name.to_owned());
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "LICENSE-VADER",
            "casing_tables.tsv",
            "emoji_utf8_lexicon.txt",
            "rules_tables.tsv",
            "vader_lexicon.txt"
        ]
    );
}
