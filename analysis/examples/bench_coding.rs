//! How long coding one comment takes: sentiment (VADER with the policing
//! layer, and the learned label), the form's codebook themes with the
//! shipped theme model's finds added, and the mixed and actionable
//! signals, for every comment of the evaluation set, many times over.
//! Prints the median and the 99th percentile per comment.
//!
//! ```text
//! cargo run --release -p analysis --example bench_coding -- [--rounds 50]
//! ```

#[path = "support/eval_set.rs"]
mod eval_set;

use analysis::Scorer;
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
    let labeller = analysis::ShippedLabel::from_development_set(&scorer);
    let flagger = analysis::ShippedFlags::from_development_set(&scorer);
    let shipped = analysis::ShippedThemes::from_development_set();
    let mut times = Vec::with_capacity(rounds * comments.len());
    let mut first = Vec::new();
    let mut found = 0usize;
    for round in 0..rounds {
        if round == 1 {
            first = times.clone();
        }
        for (form, comment) in &comments {
            let t = Instant::now();
            let s = scorer.score(comment);
            // Cut and scored once, as the collector does (the mixed model reads it).
            let clauses = analysis::Clauses::of(&scorer, comment, s.compound);
            let label = labeller.label(comment, s.compound);
            let coder = &coders[form.as_str()].0;
            let themes = shipped.add(comment, coder.code(comment), |t| coder.has_theme(t));
            let analysis::Flags { mixed, actionable } = flagger.flags(comment, &clauses);
            times.push(t.elapsed());
            found += themes.len() + usize::from(mixed) + usize::from(actionable);
            std::hint::black_box((s, label));
        }
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |times: &mut Vec<Duration>, p: f64| {
        times.sort();
        times[((times.len() - 1) as f64 * p) as usize]
    };
    println!(
        "{} comments × {rounds} rounds: median {:.1} µs, p99 {:.1} µs per comment (sentiment with the learned label, codebook and shipped theme model, mixed, actionable; {found} codes)",
        comments.len(),
        us(at(&mut times, 0.5)),
        us(at(&mut times, 0.99))
    );
    // Each thread remembers the stems it made: after the first round every
    // word is known. The first round alone starts as a collector does,
    // knowing only the words of the comments its models were trained on.
    if !first.is_empty() {
        println!(
            "the first round alone: median {:.1} µs, p99 {:.1} µs per comment",
            us(at(&mut first, 0.5)),
            us(at(&mut first, 0.99))
        );
    }

    // The learned model on top: trained on the development part, with
    // every theme handed to it (the most work a comment can take).
    let featurizer = analysis::Featurizer::new();
    let all = eval_set::load();
    let dev: Vec<&eval_set::Comment> = all.iter().filter(|c| c.split == "dev").collect();
    let mut themes: Vec<String> = coders.values().flat_map(|(_, ids)| ids.clone()).collect();
    themes.sort_unstable();
    themes.dedup();
    let examples: Vec<analysis::choose::Example> = dev
        .iter()
        .map(|c| analysis::choose::Example {
            text: &c.text,
            codebook: coders[c.form.as_str()].0.code(&c.text),
            manual: &c.themes,
        })
        .collect();
    let t = Instant::now();
    let mut choice = analysis::Choice::make(
        "bench",
        &themes,
        &examples,
        &featurizer,
        analysis::Training::default(),
    );
    let trained = t.elapsed();
    choice.themes.iter_mut().for_each(|t| t.use_learned = true);
    let mut times = Vec::with_capacity(rounds * comments.len());
    for _ in 0..rounds {
        for (form, comment) in &comments {
            let t = Instant::now();
            let codes = coders[form.as_str()].0.code(comment);
            let got = choice.code(&featurizer, comment, &codes);
            times.push(t.elapsed());
            found += got.len();
        }
    }
    println!(
        "themes with the learned model ({} themes, trained on {} comments in {:.0} ms): median {:.1} µs, p99 {:.1} µs per comment (codebook and model; {found})",
        themes.len(),
        examples.len(),
        trained.as_secs_f64() * 1000.0,
        us(at(&mut times, 0.5)),
        us(at(&mut times, 0.99))
    );
}
