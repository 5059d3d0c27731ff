//! How well the shipped safeguarding phrase lists do on the labelled sets
//! in `fixtures/safeguarding/`: false positives (numbers shown to someone
//! who did not need them) and misses (not shown to someone who did).
//!
//! `cargo run -p survey --example safeguarding_eval` prints the full report
//! (with `--verbose`, every sentence it got wrong); the test here holds the
//! figures the README states.

use std::path::{Path, PathBuf};
use survey::{Category, Form, Matched};

/// One labelled sentence.
pub struct Row {
    /// The categories it should match; empty for "none".
    pub labels: Vec<Category>,
    /// Its language.
    pub lang: String,
    /// The sentence.
    pub text: String,
}

/// The fixtures folder of labelled sets.
pub fn sets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/safeguarding")
}

/// The form whose lists are measured: street-feedback has every language.
pub fn form_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/forms/street-feedback.json")
}

/// Every labelled set, in name order (`labelled-1.tsv`, …).
pub fn sets() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(sets_dir())
        .expect("the labelled sets")
        .map(|e| e.expect("a readable folder").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    out.sort();
    out
}

/// Reads `labels<TAB>lang<TAB>sentence` lines; `#` starts a comment.
pub fn read_set(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(n, line)| {
            let mut parts = line.splitn(3, '\t');
            let (Some(labels), Some(lang), Some(text)) = (parts.next(), parts.next(), parts.next())
            else {
                panic!(
                    "{}:{}: expected labels, language and sentence",
                    path.display(),
                    n + 1
                );
            };
            let labels = match labels {
                "none" => Vec::new(),
                some => some
                    .split(',')
                    .map(|c| {
                        Category::from_name(c).unwrap_or_else(|| {
                            panic!("{}:{}: unknown category {c}", path.display(), n + 1)
                        })
                    })
                    .collect(),
            };
            Row {
                labels,
                lang: lang.to_owned(),
                text: text.to_owned(),
            }
        })
        .collect()
}

/// Counts for one group of sentences.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Sentences that should show the numbers.
    pub positives: usize,
    /// Of those, how many showed nothing.
    pub missed: usize,
    /// Sentences that should not.
    pub negatives: usize,
    /// Of those, how many showed the numbers.
    pub false_positives: usize,
}

impl Counts {
    fn add(&mut self, labelled: bool, shown: bool) {
        match (labelled, shown) {
            (true, false) => (self.positives += 1, self.missed += 1),
            (true, true) => (self.positives += 1, ()),
            (false, true) => (self.negatives += 1, self.false_positives += 1),
            (false, false) => (self.negatives += 1, ()),
        };
    }

    /// Share of positives missed.
    pub fn miss_rate(&self) -> f64 {
        ratio(self.missed, self.positives)
    }

    /// Share of negatives shown the numbers.
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.false_positives, self.negatives)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The outcome on one labelled set.
pub struct Report {
    /// English sentences: whether the numbers were shown.
    pub english: Counts,
    /// Every other language together.
    pub other: Counts,
    /// English, per category: labelled with it and matched it or not
    /// (`positives`, `missed`), and matched it without the label
    /// (`false_positives` among `negatives`, the sentences without it).
    pub categories: Vec<(Category, Counts)>,
    /// Sentences it got wrong: (labels, matched, language, sentence).
    pub wrong: Vec<(Vec<Category>, Matched, String, String)>,
}

/// Runs the form's matcher over every sentence of a set.
pub fn evaluate(form: &Form, rows: &[Row]) -> Report {
    let sg = form.safeguarding.as_ref().expect("a safeguarding section");
    let mut english = Counts::default();
    let mut other = Counts::default();
    let mut categories: Vec<(Category, Counts)> = Category::ALL
        .iter()
        .map(|c| (*c, Counts::default()))
        .collect();
    let mut wrong = Vec::new();
    for row in rows {
        let matched = sg.check(&row.text);
        let (labelled, shown) = (!row.labels.is_empty(), !matched.is_empty());
        if row.lang == "en" {
            english.add(labelled, shown);
            for (c, counts) in &mut categories {
                counts.add(row.labels.contains(c), matched.contains(*c));
            }
        } else {
            other.add(labelled, shown);
        }
        if labelled != shown {
            wrong.push((
                row.labels.clone(),
                matched,
                row.lang.clone(),
                row.text.clone(),
            ));
        }
    }
    Report {
        english,
        other,
        categories,
        wrong,
    }
}

/// The shipped form, read as the collector reads it.
pub fn shipped_form() -> Form {
    let path = form_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("the example form parses")
}

/// The figures the README states, per set: (file name, English misses,
/// English false positives, other languages' misses, other languages'
/// false positives). A change to the lists that does worse fails here;
/// one that does better should lower these and the README's figures.
#[cfg(test)]
const HELD: &[(&str, usize, usize, usize, usize)] = &[
    // Tuned on: lists version 2 were widened after measuring version 1
    // here, and version 4 after measuring version 3 on both batches.
    ("labelled-1.tsv", 4, 4, 0, 2),
    ("labelled-2.tsv", 18, 5, 0, 0),
    // Held out from every tuning: written after version 4.
    ("labelled-3.tsv", 70, 6, 4, 0),
];

#[test]
fn the_shipped_lists_keep_the_figures_the_readme_states() {
    let form = shipped_form();
    let sets = sets();
    assert!(!sets.is_empty());
    for path in sets {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rows = read_set(&path);
        let english = rows.iter().filter(|r| r.lang == "en").count();
        assert!(
            english >= 200 || name != "labelled-1.tsv",
            "{name}: {english} English sentences"
        );
        let r = evaluate(&form, &rows);
        println!(
            "{name}: English {}/{} missed ({:.1}%), {}/{} false positives ({:.1}%); other languages {}/{} missed, {}/{} false positives",
            r.english.missed,
            r.english.positives,
            100.0 * r.english.miss_rate(),
            r.english.false_positives,
            r.english.negatives,
            100.0 * r.english.false_positive_rate(),
            r.other.missed,
            r.other.positives,
            r.other.false_positives,
            r.other.negatives,
        );
        for (c, counts) in &r.categories {
            println!(
                "  {}: {}/{} missed, {} raised without the label",
                c.as_str(),
                counts.missed,
                counts.positives,
                counts.false_positives
            );
        }
        assert!(r.wrong.len() >= r.english.missed + r.english.false_positives);
        let &(_, missed, fp, other_missed, other_fp) = HELD
            .iter()
            .find(|(n, ..)| *n == name)
            .unwrap_or_else(|| panic!("{name}: no figures held for this set; add them to HELD"));
        assert!(
            r.english.missed <= missed && r.english.false_positives <= fp,
            "{name}: English now misses {} (held {missed}) and shows {} false positives (held {fp})",
            r.english.missed,
            r.english.false_positives
        );
        assert!(
            r.other.missed <= other_missed && r.other.false_positives <= other_fp,
            "{name}: other languages now miss {} (held {other_missed}) with {} false positives (held {other_fp})",
            r.other.missed,
            r.other.false_positives
        );
    }
}
