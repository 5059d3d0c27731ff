//! Which codebook phrases find what, on the development comments only
//! (the frozen set's `dev` part and the extra development comments): per
//! phrase, the comments it finds its theme in that people coded with the
//! theme (right) and those they did not (wrong), worst first. For tuning a
//! codebook: a phrase that is wrong more often than right costs precision
//! everywhere. The `test` part is never read.
//!
//! ```text
//! cargo run --release -p analysis --example phrase_stats -- [--top N]
//! ```

#[path = "support/eval_set.rs"]
mod eval_set;

use analysis::Coder;
use eval_set::{Comment, FORMS};

fn main() {
    let top = eval_set::option("--top")
        .and_then(|n| n.parse().ok())
        .unwrap_or(40usize);
    let training = eval_set::load_training();
    let frozen = eval_set::load();
    let comments: Vec<&Comment> = frozen
        .iter()
        .filter(|c| c.split == "dev")
        .chain(training.iter())
        .collect();
    let mut rows = Vec::new();
    for form in FORMS {
        let json =
            std::fs::read_to_string(eval_set::root().join(format!("examples/forms/{form}.json")))
                .expect("the example form");
        let f: survey::Form = serde_json::from_str(&json).expect("a form");
        let codebook = f.codebook.expect("a codebook");
        let these: Vec<&&Comment> = comments.iter().filter(|c| c.form == form).collect();
        for theme in &codebook.themes {
            for phrase in &theme.phrases {
                let one = survey::Codebook {
                    version: codebook.version,
                    questions: Vec::new(),
                    themes: vec![survey::Theme {
                        id: theme.id.clone(),
                        label: theme.label.clone(),
                        phrases: vec![phrase.clone()],
                    }],
                };
                let coder = Coder::new(&one);
                let (mut right, mut wrong) = (0u32, 0u32);
                for c in &these {
                    if !coder.code(&c.text).is_empty() {
                        if c.themes.contains(&theme.id) {
                            right += 1;
                        } else {
                            wrong += 1;
                        }
                    }
                }
                rows.push((form, theme.id.clone(), phrase.clone(), right, wrong));
            }
        }
    }
    rows.sort_by_key(|r| {
        (
            std::cmp::Reverse(i64::from(r.4) - i64::from(r.3)),
            r.2.clone(),
        )
    });
    println!(
        "{:<20} {:<26} {:<28} {:>5} {:>5}",
        "form", "theme", "phrase", "right", "wrong"
    );
    for (form, theme, phrase, right, wrong) in rows.iter().take(top) {
        println!("{form:<20} {theme:<26} {phrase:<28} {right:>5} {wrong:>5}");
    }
    let unused = rows.iter().filter(|r| r.3 + r.4 == 0).count();
    println!(
        "\n{} phrases, {unused} finding nothing in the development comments",
        rows.len()
    );
}
