//! How long coding one comment takes: sentiment (VADER with the policing
//! layer), the form's codebook themes, and the mixed and actionable
//! signals, for every comment of the evaluation set, many times over.
//! Prints the median and the 99th percentile per comment.
//!
//! ```text
//! cargo run --release -p analysis --example bench_coding -- [--rounds 50]
//! ```

use analysis::{signals, Coder, Scorer};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .map_or(50, |v| v.parse().expect("--rounds is a number"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("analysis/eval/comments.tsv"))
        .expect("the evaluation set");
    let comments: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[2].to_owned(), f[8].to_owned())
        })
        .collect();
    let mut coders = BTreeMap::new();
    for form in ["community-safety", "victim-satisfaction", "street-feedback"] {
        let json = std::fs::read_to_string(root.join(format!("examples/forms/{form}.json")))
            .expect("the example form");
        let f: survey::Form = serde_json::from_str(&json).expect("a form");
        coders.insert(
            form.to_owned(),
            Coder::new(&f.codebook.expect("a codebook")),
        );
    }
    let scorer = Scorer::new();
    let mut times = Vec::with_capacity(rounds * comments.len());
    let mut found = 0usize;
    for _ in 0..rounds {
        for (form, comment) in &comments {
            let t = Instant::now();
            let s = scorer.score(comment);
            let themes = coders[form].code(comment);
            let mixed = signals::mixed(&scorer, comment);
            let actionable = signals::actionable(comment);
            times.push(t.elapsed());
            found += themes.len() + usize::from(mixed) + usize::from(actionable);
            std::hint::black_box(s);
        }
    }
    times.sort();
    let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{} comments × {rounds} rounds: median {:.1} µs, p99 {:.1} µs per comment (sentiment, themes, mixed, actionable; {found} codes)",
        comments.len(),
        us(at(0.5)),
        us(at(0.99))
    );
}
