//! How often the sentiment label agrees with people, on VADER's own
//! human-rated ground truth, with the policing lexicon layer off and on.
//!
//! ```text
//! analysis/scripts/fetch-vader-ground-truth.sh
//! cargo run --release -p analysis --example vader_accuracy
//! ```
//!
//! The data folder is `$VADER_DATA_DIR`, else `target/vader-data`.
//! Accuracy: the share of texts whose label (positive at compound ≥ 0.05,
//! negative at ≤ −0.05, neutral between) equals the sign of the mean human
//! rating; a text rated exactly 0 on average is neutral, so a neutral label
//! counts as right only there.

#[path = "../tests/support/ground_truth.rs"]
mod ground_truth;

use analysis::Scorer;
use ground_truth as gt;

fn main() {
    let dir = match gt::data_dir() {
        Ok(dir) => dir,
        Err(why) => {
            eprintln!("{why}");
            std::process::exit(2);
        }
    };
    let rated = gt::load(&dir);
    let (off, on) = (Scorer::plain(), Scorer::new());
    // The shipped label (`ShippedLabel`), as a compound of its sign, so
    // that it is judged by the same rule.
    let model = analysis::ShippedLabel::from_development_set(&on);
    let learned: Vec<f64> = rated
        .iter()
        .map(|r| match model.label(&r.text, on.score(&r.text).compound) {
            analysis::Label::Positive => 1.0,
            analysis::Label::Negative => -1.0,
            analysis::Label::Neutral => 0.0,
        })
        .collect();
    let off: Vec<f64> = rated.iter().map(|r| off.score(&r.text).compound).collect();
    let on: Vec<f64> = rated.iter().map(|r| on.score(&r.text).compound).collect();

    println!(
        "{:<40} {:>6} {:>9} {:>9} {:>9}",
        "ground truth", "texts", "layer off", "layer on", "learned"
    );
    let mut files: Vec<&str> = rated.iter().map(|r| r.file.as_str()).collect();
    files.dedup();
    for file in files {
        let idx: Vec<usize> = (0..rated.len())
            .filter(|&i| rated[i].file == file)
            .collect();
        let sub: Vec<gt::Rated> = idx
            .iter()
            .map(|&i| gt::Rated {
                file: String::new(),
                line: 0,
                mean: rated[i].mean,
                text: String::new(),
            })
            .collect();
        let pick = |v: &[f64]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
        println!(
            "{:<40} {:>6} {:>8.2}% {:>8.2}% {:>8.2}%",
            file,
            idx.len(),
            gt::accuracy(&sub, &pick(&off)),
            gt::accuracy(&sub, &pick(&on)),
            gt::accuracy(&sub, &pick(&learned))
        );
    }
    let changed = off.iter().zip(&on).filter(|(a, b)| a != b).count();
    println!(
        "{:<40} {:>6} {:>8.2}% {:>8.2}% {:>8.2}%",
        "all",
        rated.len(),
        gt::accuracy(&rated, &off),
        gt::accuracy(&rated, &on),
        gt::accuracy(&rated, &learned)
    );
    println!("texts whose compound the layer changes: {changed}");
    println!(
        "scorer versions: off = {}, on = {}",
        Scorer::plain().version(),
        Scorer::new().version()
    );
}
