//! How long coding one comment takes: sentiment (VADER with the policing
//! layer), the form's codebook themes, and the mixed and actionable
//! signals, for every comment of the evaluation set, many times over.
//! Prints the median and the 99th percentile per comment.
//!
//! ```text
//! cargo run --release -p analysis --example bench_coding -- [--rounds 50]
//! ```

#[path = "support/eval_set.rs"]
mod eval_set;

use analysis::{signals, Scorer};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .map_or(50, |v| v.parse().expect("--rounds is a number"));
    let comments: Vec<(String, String)> = eval_set::load()
        .into_iter()
        .map(|c| (c.form, c.text))
        .collect();
    let coders = eval_set::coders();
    let scorer = Scorer::new();
    let mut times = Vec::with_capacity(rounds * comments.len());
    let mut found = 0usize;
    for _ in 0..rounds {
        for (form, comment) in &comments {
            let t = Instant::now();
            let s = scorer.score(comment);
            let themes = coders[form.as_str()].0.code(comment);
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
