//! The frozen evaluation set (`analysis/eval/comments.tsv`) and the
//! example forms' codebooks, as the free-text examples read them.
//! Included by `eval_text`, `phrase_stats`, `bench_coding` and the
//! collector's `walkthrough_learning` with `#[path]`, which also share its
//! reading of their command line ([`option`]).
//!
//! Each example reads only part of it.
#![allow(dead_code)]

use analysis::{Coder, Label};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The value given after `name` on the command line (`--split test`).
pub fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// The forms the set's comments answer.
pub const FORMS: [&str; 3] = ["community-safety", "victim-satisfaction", "street-feedback"];

/// One labelled comment.
#[derive(Clone)]
pub struct Comment {
    /// The file's `id`: its row number, unique within the file.
    pub id: String,
    pub split: String,
    pub form: String,
    pub sentiment: Label,
    pub mixed: bool,
    pub actionable: bool,
    pub themes: Vec<String>,
    pub text: String,
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every comment of the set, in order.
pub fn load() -> Vec<Comment> {
    read("analysis/eval/comments.tsv", 9, |f| f[1].to_owned())
}

/// The extra development comments (`analysis/eval/train.tsv`, written
/// after the set was frozen, for training only), as split `train`.
pub fn load_training() -> Vec<Comment> {
    read("analysis/eval/train.tsv", 8, |_| "train".to_owned())
}

/// Comments from a file with `train.tsv`'s columns (a path from the
/// current folder), as split `file`.
pub fn load_file(path: &str) -> Vec<Comment> {
    read_text(&std::fs::read_to_string(path).expect(path), 8, |_| {
        "file".to_owned()
    })
}

/// Letters, digits and single spaces, lower case: two comments that
/// differ only in case, spacing or punctuation are the same comment (as
/// `analysis/tests/eval_set.rs` compares them).
pub fn normalised(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The rows of a file of `columns` columns whose last seven are form,
/// respondent, sentiment, mixed, actionable, themes and text.
fn read(path: &str, columns: usize, split: impl Fn(&[&str]) -> String) -> Vec<Comment> {
    read_text(
        &std::fs::read_to_string(root().join(path)).expect(path),
        columns,
        split,
    )
}

fn read_text(text: &str, columns: usize, split: impl Fn(&[&str]) -> String) -> Vec<Comment> {
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), columns, "{line}");
            let r = &f[columns - 7..];
            Comment {
                id: f[0].to_owned(),
                split: split(&f),
                form: r[0].to_owned(),
                sentiment: Label::parse(r[2]).expect("a sentiment label"),
                mixed: r[3] == "1",
                actionable: r[4] == "1",
                themes: r[5]
                    .split(';')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                text: r[6].to_owned(),
            }
        })
        .collect()
}

/// Each form's codebook compiled, with its theme ids.
pub fn coders() -> BTreeMap<&'static str, (Coder, Vec<String>)> {
    FORMS
        .iter()
        .map(|form| {
            let json = std::fs::read_to_string(root().join(format!("examples/forms/{form}.json")))
                .expect("the example form");
            let f: survey::Form = serde_json::from_str(&json).expect("a form");
            let codebook = f.codebook.expect("the form has a codebook");
            let ids = codebook.themes.iter().map(|t| t.id.clone()).collect();
            (*form, (Coder::new(&codebook), ids))
        })
        .collect()
}
