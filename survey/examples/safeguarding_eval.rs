//! Measures the shipped safeguarding phrase lists on the labelled sets in
//! `survey/tests/fixtures/safeguarding/`: false-positive rate and miss
//! rate, in English and in the other languages, and per category.
//!
//! ```sh
//! cargo run -p survey --example safeguarding_eval              # every set
//! cargo run -p survey --example safeguarding_eval -- --verbose # and each sentence it got wrong
//! cargo run -p survey --example safeguarding_eval -- --form my-form.json --set my-set.tsv
//! ```

#[path = "../tests/safeguarding_eval.rs"]
#[allow(dead_code)]
mod eval;

use eval::{evaluate, read_set, Counts};
use std::path::PathBuf;

fn line(name: &str, c: &Counts) {
    println!(
        "  {name:<16} {:>4} positives, {:>3} missed ({:>5.1}%)   {:>4} negatives, {:>3} false positives ({:>5.1}%)",
        c.positives,
        c.missed,
        100.0 * c.miss_rate(),
        c.negatives,
        c.false_positives,
        100.0 * c.false_positive_rate()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut form_path, mut sets, mut verbose) = (eval::form_path(), Vec::new(), false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--verbose" | "-v" => verbose = true,
            "--form" => form_path = PathBuf::from(args.next().expect("--form FILE")),
            "--set" => sets.push(PathBuf::from(args.next().expect("--set FILE"))),
            other => {
                eprintln!("unknown argument {other}; see the file's doc comment");
                std::process::exit(2);
            }
        }
    }
    if sets.is_empty() {
        sets = eval::sets();
    }
    let text = std::fs::read_to_string(&form_path)
        .unwrap_or_else(|e| panic!("{}: {e}", form_path.display()));
    let form: survey::Form = serde_json::from_str(&text).expect("a form");
    let version = form
        .safeguarding
        .as_ref()
        .map_or("none", |s| s.version.as_str());
    println!(
        "phrase lists version {version} of {} ({})",
        form.id,
        form_path.display()
    );
    for path in sets {
        let rows = read_set(&path);
        let r = evaluate(&form, &rows);
        println!("\n{} ({} sentences)", path.display(), rows.len());
        line("English", &r.english);
        line("other languages", &r.other);
        println!("  English by category (a sentence \"positive\" for each category it is labelled with):");
        for (c, counts) in &r.categories {
            line(c.as_str(), counts);
        }
        if verbose {
            for (labels, matched, lang, text) in &r.wrong {
                let labels: Vec<&str> = labels.iter().map(|c| c.as_str()).collect();
                let matched: Vec<&str> = matched.categories().map(|c| c.as_str()).collect();
                let what = if labels.is_empty() {
                    "false positive"
                } else {
                    "missed"
                };
                println!(
                    "  {what:<14} [{lang}] labelled {:?}, matched {:?}: {text}",
                    labels, matched
                );
            }
        }
    }
}
