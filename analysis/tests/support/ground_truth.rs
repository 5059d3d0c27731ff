//! Reads VADER's human-rated ground truth and the Python reference scores
//! that `scripts/fetch-vader-ground-truth.sh` puts in a folder. Shared by
//! the reference test and the `vader_accuracy` example.
#![allow(dead_code)]

use analysis::sentiment::Label;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One rated text.
pub struct Rated {
    /// Ground-truth file it came from.
    pub file: String,
    /// 1-based line in that file.
    pub line: usize,
    /// Mean human rating, −4 … +4.
    pub mean: f64,
    pub text: String,
}

/// Scores from Python vaderSentiment for one text.
#[derive(Clone, Copy)]
pub struct Reference {
    pub neg: f64,
    pub neu: f64,
    pub pos: f64,
    pub compound: f64,
}

/// The data folder: `$VADER_DATA_DIR`, else the fetch script's default
/// `target/vader-data` at the workspace root when it is complete there.
/// `Err` says why there is none.
pub fn data_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("VADER_DATA_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.join("VERSION").is_file() {
            Ok(dir)
        } else {
            Err(format!(
                "VADER_DATA_DIR={} holds no complete download (no VERSION file); run analysis/scripts/fetch-vader-ground-truth.sh",
                dir.display()
            ))
        };
    }
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/vader-data");
    if default.join("VERSION").is_file() {
        Ok(default)
    } else {
        Err("VADER_DATA_DIR is not set and target/vader-data is absent; run analysis/scripts/fetch-vader-ground-truth.sh".into())
    }
}

/// Every rated text, files in name order, in file order.
pub fn load(dir: &Path) -> Vec<Rated> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the data folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with("_GroundTruth.txt"))
        .collect();
    names.sort();
    assert!(
        !names.is_empty(),
        "no *_GroundTruth.txt in {}",
        dir.display()
    );
    let mut out = Vec::new();
    for name in names {
        let raw = std::fs::read_to_string(dir.join(&name)).expect("read a ground-truth file");
        for (i, line) in raw.split('\n').enumerate() {
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                continue;
            }
            let mut f = line.splitn(3, '\t');
            let (_id, mean, text) = (f.next(), f.next(), f.next());
            let mean: f64 = mean
                .and_then(|m| m.parse().ok())
                .unwrap_or_else(|| panic!("{name}:{}: no mean rating", i + 1));
            out.push(Rated {
                file: name.clone(),
                line: i + 1,
                mean,
                text: text.unwrap_or("").to_owned(),
            });
        }
    }
    out
}

/// Python's scores by (file, line).
pub fn reference(dir: &Path) -> HashMap<(String, usize), Reference> {
    let raw = std::fs::read_to_string(dir.join("reference.tsv")).expect("read reference.tsv");
    let mut out = HashMap::new();
    for line in raw.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 7, "reference.tsv: {line}");
        let n = |s: &str| s.parse::<f64>().expect("a number in reference.tsv");
        out.insert(
            (f[0].to_owned(), f[1].parse().expect("a line number")),
            Reference {
                neg: n(f[3]),
                neu: n(f[4]),
                pos: n(f[5]),
                compound: n(f[6]),
            },
        );
    }
    out
}

/// The human polarity of a mean rating: positive above 0, negative below,
/// neutral at exactly 0.
pub fn human_label(mean: f64) -> Label {
    if mean > 0.0 {
        Label::Positive
    } else if mean < 0.0 {
        Label::Negative
    } else {
        Label::Neutral
    }
}

/// Share of texts, in percent, whose score label equals the human polarity.
/// A text the scorer calls neutral (|compound| < 0.05) counts as correct
/// only when its human mean is exactly 0.
pub fn accuracy(rated: &[Rated], compound: &[f64]) -> f64 {
    let right = rated
        .iter()
        .zip(compound)
        .filter(|(r, c)| Label::of(**c) == human_label(r.mean))
        .count();
    100.0 * right as f64 / rated.len() as f64
}
