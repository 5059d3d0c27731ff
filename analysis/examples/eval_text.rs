//! How well free-text coding agrees with people, on the frozen evaluation
//! set (`analysis/eval/comments.tsv`, see its README): sentiment from plain
//! VADER and from VADER with the policing layer, and themes from each
//! form's codebook, against the hand labels.
//!
//! ```text
//! cargo run --release -p analysis --example eval_text -- [--split test|dev|all|extra [--by-round]] [--misses] [--no-extra]
//! cargo run --release -p analysis --example eval_text -- --file new-comments.tsv
//! cargo run --release -p analysis --example eval_text -- --held-out
//! ```
//!
//! `--held-out` codes every held-out comment together: the test part,
//! `analysis/eval/fresh.tsv` and `analysis/eval/voices.tsv`.
//!
//! `--file` reads comments from a file with `train.tsv`'s columns instead
//! and codes them as the test part is coded, with the models trained on
//! the development comments: comments written after the models, or a
//! deployment's own hand-coded ones, are held out as the test part is.
//! It says how many of them the models trained on.
//!
//! The learned models train on the `dev` part and the extra development
//! comments (`analysis/eval/train.tsv`; the label and mixed models on its
//! first 802 rows, as what ships); `--no-extra` trains on `dev` alone.
//! With `--split extra` every extra comment is coded by models trained on
//! `dev` and the other four fifths of them (all rows, for every model);
//! with `--by-round` by models trained on `dev` and the other batches
//! they were written in (see [`Folds::Rounds`]).
//!
//! `--misses` also lists every comment whose themes or sentiment the
//! codebooks, the layer or the shipped label got wrong, and the label's
//! confusion counts: read it on `dev` or `extra`, never on `test`.
//! `EVAL_DUMP_THEMES=FILE` writes, for each comment coded, its labels,
//! the codebook's finds and the shipped theme model's probability of each
//! of its form's themes (by the model that did not train on it): for
//! searching thresholds by batch, on `extra` only.
//!
//! Report figures on `test` (the default): it was never used to tune.
//! Sentiment: accuracy and macro-F1 over positive / neutral / negative,
//! accuracy over the comments people labelled positive or negative with
//! the label read as the compound's sign (positive at ≥ 0), and Cohen's
//! kappa (three classes) against the labels. Themes: per theme precision,
//! recall, F1 and kappa over the comments to forms whose codebook has it,
//! then micro-averaged. Beside each accuracy its 95% Wilson interval, and
//! beside each theme's F1 and the micro-average the middle 95% of
//! [`RESAMPLES`] bootstrap draws of the comments (seeded): how far the
//! figure could move on other comments like these.

#[path = "support/eval_set.rs"]
mod eval_set;

use analysis::{
    Agreement, Choice, Featurizer, Label, Scorer, ShippedFlags, ShippedLabel, ShippedThemes,
    ThemeModel, Training,
};
use eval_set::Comment;

const LABELS: [Label; 3] = [Label::Positive, Label::Neutral, Label::Negative];

/// A signal's verdict on a comment, and the label's: `(found, labelled)`.
type Judge<'a> = Box<dyn Fn(&Comment) -> (bool, bool) + 'a>;

/// Accuracy, macro-F1, two-class accuracy and kappa of `predict` against
/// the labels. `predict` gives a label and which side of the two-class
/// split the comment falls on (a compound's sign).
fn sentiment(comments: &[&Comment], predict: impl Fn(&str) -> (Label, bool)) -> [f64; 4] {
    let mut confusion = [[0u64; 3]; 3];
    let (mut two_right, mut two_n) = (0u64, 0u64);
    for c in comments {
        let (label, positive) = predict(&c.text);
        let gold = LABELS.iter().position(|l| *l == c.sentiment).unwrap_or(1);
        let got = LABELS.iter().position(|l| *l == label).unwrap_or(1);
        confusion[gold][got] += 1;
        if c.sentiment != Label::Neutral {
            two_n += 1;
            two_right += u64::from(positive == (c.sentiment == Label::Positive));
        }
    }
    let n: u64 = confusion.iter().flatten().sum();
    let right: u64 = (0..3).map(|i| confusion[i][i]).sum();
    let f1 = |k: usize| {
        let tp = confusion[k][k] as f64;
        let predicted: u64 = (0..3).map(|g| confusion[g][k]).sum();
        let actual: u64 = confusion[k].iter().sum();
        if predicted + actual == 0 {
            return 0.0;
        }
        2.0 * tp / (predicted + actual) as f64
    };
    let observed = right as f64 / n as f64;
    let expected: f64 = (0..3)
        .map(|k| {
            let predicted: u64 = (0..3).map(|g| confusion[g][k]).sum();
            let actual: u64 = confusion[k].iter().sum();
            predicted as f64 * actual as f64
        })
        .sum::<f64>()
        / (n as f64 * n as f64);
    [
        observed,
        (0..3).map(f1).sum::<f64>() / 3.0,
        two_right as f64 / two_n as f64,
        (observed - expected) / (1.0 - expected),
    ]
}

/// Precision, recall and F1 of a 2×2 agreement (found vs labelled).
fn prf(a: &Agreement) -> (f64, f64, f64) {
    let precision = a.both_yes as f64 / (a.both_yes + a.auto_only).max(1) as f64;
    let recall = a.both_yes as f64 / (a.both_yes + a.manual_only).max(1) as f64;
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    (precision, recall, f1)
}

/// The 95% Wilson score interval of a proportion, `right` of `n`: where
/// the accuracy on comments like these lies, given how few were read.
fn wilson(right: f64, n: f64) -> (f64, f64) {
    if n == 0.0 {
        return (0.0, 1.0);
    }
    let z = 1.96f64;
    let p = right / n;
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / (1.0 + z * z / n);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// How many bootstrap draws the themes' intervals are read from (seeded,
/// so a table reads the same each time).
const RESAMPLES: usize = 1000;

/// The 2.5th and 97.5th percentiles of `values`.
fn middle_95(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 1.0);
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.025), at(0.975))
}

/// `lo–hi`, three places.
fn span((lo, hi): (f64, f64)) -> String {
    format!("{lo:.3}–{hi:.3}")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let file = eval_set::option("--file");
    let split = match &file {
        Some(_) => "file".to_owned(),
        None if args.iter().any(|a| a == "--held-out") => "held-out".to_owned(),
        None => eval_set::option("--split").unwrap_or_else(|| "test".to_owned()),
    };
    // Coded by models trained on the development comments, not 5-fold.
    let held_out = ["test", "file", "held-out"].contains(&split.as_str());
    let folds = if args.iter().any(|a| a == "--by-round") {
        assert_eq!(split, "extra", "--by-round cuts the extra comments only");
        Folds::Rounds
    } else {
        Folds::Fifths
    };
    let all = eval_set::load();
    let from_file = match (&file, split.as_str()) {
        (Some(path), _) => eval_set::load_file(path),
        // `--held-out`: the test part and the two later held-out sets.
        (None, "held-out") => all
            .iter()
            .filter(|c| c.split == "test")
            .cloned()
            .chain(eval_set::load_file("analysis/eval/fresh.tsv"))
            .chain(eval_set::load_file("analysis/eval/voices.tsv"))
            .collect(),
        _ => Vec::new(),
    };
    // The extra development comments (`analysis/eval/train.tsv`) join every
    // training set, as they do in what ships; `--no-extra` leaves them out
    // to show what they add.
    let training_rows = if args.iter().any(|a| a == "--no-extra") {
        Vec::new()
    } else {
        eval_set::load_training()
    };
    // `--split extra` reads the extra development comments themselves
    // (for tuning codebooks on them; the learned models then train on
    // `dev` and, on each fold, four fifths of them).
    let extra: Vec<&Comment> = if split == "extra" {
        Vec::new()
    } else {
        training_rows.iter().collect()
    };
    let comments: Vec<&Comment> = if split == "extra" {
        training_rows.iter().collect()
    } else if split == "file" || split == "held-out" {
        from_file.iter().collect()
    } else {
        all.iter()
            .filter(|c| split == "all" || c.split == split)
            .collect()
    };
    // The label and mixed models learn from the first extra comments only,
    // as what ships does (`analysis::sentiment_model::EXTRA_ROWS`).
    let label_extra: Vec<&Comment> = extra
        .iter()
        .copied()
        .take(analysis::sentiment_model::EXTRA_ROWS)
        .collect();
    println!("split {split}: {} comments", comments.len());
    if split == "file" || split == "held-out" {
        let key = |t: &str| eval_set::normalised(t);
        let trained: std::collections::HashSet<String> = all
            .iter()
            .filter(|c| c.split == "dev")
            .chain(&training_rows)
            .map(|c| key(&c.text))
            .collect();
        let seen = comments
            .iter()
            .filter(|c| trained.contains(&key(&c.text)))
            .count();
        println!("of them, {seen} are development comments the models trained on");
    }
    println!();

    let (plain, layered) = (Scorer::plain(), Scorer::new());
    // The learned label: on `test`, the model trained on `dev` (what the
    // collector ships); on `dev`, each comment labelled by a model trained
    // on the other four fifths (5-fold), so the figure is not the fit.
    let learned_labels: std::collections::HashMap<&str, Label> = if held_out {
        let model = if extra.is_empty() {
            analysis::SentimentModel::train(
                &layered,
                all.iter()
                    .filter(|c| c.split == "dev")
                    .map(|c| (c.text.as_str(), c.sentiment)),
            )
        } else {
            analysis::SentimentModel::from_development_set(&layered)
        };
        comments
            .iter()
            .map(|c| {
                (
                    c.text.as_str(),
                    model.label(&layered, &c.text, layered.score(&c.text).compound),
                )
            })
            .collect()
    } else {
        let labels = cross_fit(
            folds,
            &comments,
            &label_extra,
            |on| {
                analysis::SentimentModel::train(
                    &layered,
                    on.iter().map(|c| (c.text.as_str(), c.sentiment)),
                )
            },
            |model, _, c| {
                let label = model.label(&layered, &c.text, layered.score(&c.text).compound);
                vec![label.as_str().to_owned()]
            },
        );
        comments
            .iter()
            .zip(labels)
            .map(|(c, l)| {
                (
                    c.text.as_str(),
                    Label::parse(&l[0]).unwrap_or(Label::Neutral),
                )
            })
            .collect()
    };
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<f32>().ok());
    // The shipped label (`analysis::label_model`: linear SVMs over tf-idf
    // word and character n-grams and negated words, neutral overruling the
    // lexicon only through a gate), trained on every development comment
    // as the theme model is. EVAL_LABEL_C, EVAL_LABEL_VOICE and
    // EVAL_LABEL_MARGIN override its settings for exploring by batch; the
    // defaults are what ships.
    let label_settings = analysis::svm::Settings {
        c: env("EVAL_LABEL_C").unwrap_or(analysis::svm::Settings::default().c),
        ..analysis::svm::Settings::default()
    };
    let gate = analysis::label_model::Gate {
        voice: env("EVAL_LABEL_VOICE").unwrap_or(analysis::label_model::GATE.voice),
        margin: env("EVAL_LABEL_MARGIN").unwrap_or(analysis::label_model::GATE.margin),
    };
    let train_label = |on: &[&Comment]| {
        ShippedLabel::train(
            &layered,
            on.iter().map(|c| (c.text.as_str(), c.sentiment)),
            label_settings,
            gate,
        )
    };
    let read_label =
        |m: &ShippedLabel, c: &Comment| m.label(&c.text, layered.score(&c.text).compound);
    // Every development comment, what the shipped models train on.
    let development: Vec<&Comment> = all
        .iter()
        .filter(|c| c.split == "dev")
        .chain(extra.iter().copied())
        .collect();
    let svm_labels = read_each(
        (held_out, folds),
        &comments,
        (&development, &extra),
        train_label,
        read_label,
    );
    if args.iter().any(|a| a == "--misses") {
        // What the shipped label gets wrong, and how (gold → label).
        let mut confusion = std::collections::BTreeMap::new();
        for c in &comments {
            let got = svm_labels[c.text.as_str()];
            *confusion
                .entry((c.sentiment.as_str(), got.as_str()))
                .or_insert(0u32) += 1;
            if got != c.sentiment {
                println!(
                    "LABEL {} as {}: {}",
                    c.sentiment.as_str(),
                    got.as_str(),
                    c.text
                );
            }
        }
        for ((gold, got), n) in confusion {
            println!("LABEL {gold} labelled {got}: {n}");
        }
    }
    println!(
        "{:<46} accuracy   (95% interval)   macro-F1   pos/neg acc   kappa",
        "sentiment"
    );
    let groups: [(&str, Option<&str>); 4] = [
        ("all", None),
        ("community-safety", Some("community-safety")),
        ("victim-satisfaction", Some("victim-satisfaction")),
        ("street-feedback", Some("street-feedback")),
    ];
    for (name, form) in groups {
        let these: Vec<&Comment> = comments
            .iter()
            .copied()
            .filter(|c| form.is_none_or(|f| c.form == f))
            .collect();
        for (scorer, label) in [(&plain, "plain VADER"), (&layered, "policing layer")] {
            let [acc, f1, two, kappa] = sentiment(&these, |t| {
                let c = scorer.score(t).compound;
                (Label::of(c), c >= 0.0)
            });
            let n = these.len() as f64;
            println!(
                "{:<46} {acc:>8.3}   {:>14}   {f1:>8.3}   {two:>11.3}   {kappa:>5.3}",
                format!("{name} ({}), {label}", these.len()),
                span(wilson((acc * n).round(), n))
            );
        }
        for (labels, label) in [
            (&learned_labels, "logistic label"),
            (&svm_labels, "stacked label (ships)"),
        ] {
            let [acc, f1, two, kappa] = sentiment(&these, |t| {
                let c = layered.score(t).compound;
                let label = labels.get(t).copied().unwrap_or(Label::of(c));
                let positive = match label {
                    Label::Positive => true,
                    Label::Negative => false,
                    Label::Neutral => c >= 0.0,
                };
                (label, positive)
            });
            let n = these.len() as f64;
            println!(
                "{:<46} {acc:>8.3}   {:>14}   {f1:>8.3}   {two:>11.3}   {kappa:>5.3}",
                format!(
                    "{name} ({}), {label}{}",
                    these.len(),
                    match (held_out, folds) {
                        (true, _) => "",
                        (false, Folds::Fifths) => " (5-fold)",
                        (false, Folds::Rounds) => " (by round)",
                    }
                ),
                span(wilson((acc * n).round(), n))
            );
        }
    }

    if args.iter().any(|a| a == "--misses") {
        for c in &comments {
            let got = svm_labels.get(c.text.as_str()).copied();
            if got.is_some_and(|g| g != c.sentiment) {
                println!(
                    "  LABEL {} as {} ({:+.2}): {}",
                    c.sentiment.as_str(),
                    got.map_or("-", |g| g.as_str()),
                    layered.score(&c.text).compound,
                    c.text
                );
            }
        }
    }
    println!(
        "\n{:<46} {:>5} {:>6} {:>10} {:>7} {:>6} {:>7}",
        "signal", "gold", "found", "precision", "recall", "F1", "kappa"
    );
    // The learned mixed signal, as the learned label: on `test` the model
    // trained on the development comments, elsewhere 5-fold.
    let learned_mixed: std::collections::HashMap<&str, bool> = if held_out {
        let model = if extra.is_empty() {
            analysis::MixedModel::train(
                &layered,
                all.iter()
                    .filter(|c| c.split == "dev")
                    .map(|c| (c.text.as_str(), c.mixed)),
            )
        } else {
            analysis::MixedModel::from_development_set(&layered)
        };
        comments
            .iter()
            .map(|c| {
                let compound = layered.score(&c.text).compound;
                (c.text.as_str(), model.is_mixed(&layered, &c.text, compound))
            })
            .collect()
    } else {
        let found = cross_fit(
            folds,
            &comments,
            &label_extra,
            |on| {
                analysis::MixedModel::train(&layered, on.iter().map(|c| (c.text.as_str(), c.mixed)))
            },
            |model, _, c| {
                if model.is_mixed(&layered, &c.text, layered.score(&c.text).compound) {
                    vec![String::new()]
                } else {
                    Vec::new()
                }
            },
        );
        comments
            .iter()
            .zip(found)
            .map(|(c, f)| (c.text.as_str(), !f.is_empty()))
            .collect()
    };
    // The shipped flags (`analysis::flag_model`: an SVM each over the
    // n-grams and the rules), trained and read as the label above.
    // EVAL_MIXED_THRESHOLD and EVAL_ACTIONABLE_THRESHOLD override its
    // thresholds for exploring by batch.
    let flag_thresholds = [
        env("EVAL_MIXED_THRESHOLD").unwrap_or(analysis::flag_model::THRESHOLDS[0]),
        env("EVAL_ACTIONABLE_THRESHOLD").unwrap_or(analysis::flag_model::THRESHOLDS[1]),
    ];
    let train_flags = |on: &[&Comment]| {
        ShippedFlags::train(
            &layered,
            on.iter().map(|c| (c.text.as_str(), c.mixed, c.actionable)),
            analysis::svm::Settings::default(),
            flag_thresholds,
        )
    };
    let read_flags = |m: &ShippedFlags, c: &Comment| {
        let compound = layered.score(&c.text).compound;
        m.flags(&c.text, &analysis::Clauses::of(&layered, &c.text, compound))
    };
    let svm_flags = read_each(
        (held_out, folds),
        &comments,
        (&development, &extra),
        train_flags,
        read_flags,
    );
    let signals: [(&str, Judge); 5] = [
        (
            "mixed, the rule (signals::mixed)",
            Box::new(|c: &Comment| (analysis::signals::mixed(&layered, &c.text), c.mixed)),
        ),
        (
            "mixed, learned (MixedModel)",
            Box::new(|c: &Comment| (learned_mixed[c.text.as_str()], c.mixed)),
        ),
        (
            "mixed, SVM (flag_model, ships)",
            Box::new(|c: &Comment| (svm_flags[c.text.as_str()].mixed, c.mixed)),
        ),
        (
            "actionable, the rule (signals::actionable)",
            Box::new(|c: &Comment| (analysis::signals::actionable(&c.text), c.actionable)),
        ),
        (
            "actionable, SVM (flag_model, ships)",
            Box::new(|c: &Comment| (svm_flags[c.text.as_str()].actionable, c.actionable)),
        ),
    ];
    for (name, judge) in &signals {
        let a = Agreement::from_pairs(comments.iter().map(|c| judge(c)));
        let (precision, recall, f1) = prf(&a);
        println!(
            "{name:<46} {:>5} {:>6} {precision:>10.3} {recall:>7.3} {f1:>6.3} {:>7}",
            a.both_yes + a.manual_only,
            a.both_yes + a.auto_only,
            a.kappa.map_or("-".to_owned(), |k| format!("{k:.3}"))
        );
        if args.iter().any(|a| a == "--misses") {
            for c in &comments {
                let (got, want) = judge(c);
                if got != want {
                    println!("  {name} {want} as {got}: {}", c.text);
                }
            }
        }
    }

    let coders = eval_set::coders();
    let mut themes: Vec<String> = coders.values().flat_map(|(_, ids)| ids.clone()).collect();
    themes.sort_unstable();
    themes.dedup();
    let of_form = |c: &Comment, theme: &str| coders[c.form.as_str()].1.iter().any(|t| t == theme);

    let codebook: Vec<Vec<String>> = comments
        .iter()
        .map(|c| coders[c.form.as_str()].0.code(&c.text))
        .collect();
    // The learned model is trained on the development part only. On `dev`
    // itself each comment is coded by a model trained on the other four
    // fifths (5-fold), so the figures are not the training fit.
    let featurizer = Featurizer::new();
    let d = Training::default();
    // Overrides for exploring on `dev` (EVAL_EPOCHS, EVAL_RATE, EVAL_L2,
    // EVAL_THRESHOLD); the defaults are what ships.
    let training = Training {
        epochs: env("EVAL_EPOCHS").map_or(d.epochs, |v| v as u32),
        rate: env("EVAL_RATE").unwrap_or(d.rate),
        l2: env("EVAL_L2").unwrap_or(d.l2),
        threshold: env("EVAL_THRESHOLD").unwrap_or(d.threshold),
    };
    let dev = &development;
    let train = |on: &[&Comment]| {
        ThemeModel::train(
            "eval",
            &themes,
            on.iter().map(|c| (c.text.as_str(), c.themes.as_slice())),
            &featurizer,
            training,
        )
    };
    let learned: Vec<Vec<String>> = if held_out {
        let model = train(dev);
        comments
            .iter()
            .map(|c| {
                let mut got = model.code(&featurizer.features(&c.text));
                got.retain(|t| of_form(c, t));
                got
            })
            .collect()
    } else {
        cross_fit(folds, &comments, &extra, train, |model, _, c| {
            let mut got = model.code(&featurizer.features(&c.text));
            got.retain(|t| of_form(c, t));
            got
        })
    };
    // The collector's choice: a model trained with the codebook's codes as
    // features, used per theme only where its held-out kappa on the
    // training codes beats the codebook's (`analysis::choose`).
    let choose = |on: &[&Comment]| {
        let examples: Vec<analysis::choose::Example> = on
            .iter()
            .map(|c| analysis::choose::Example {
                text: &c.text,
                codebook: coders[c.form.as_str()].0.code(&c.text),
                manual: &c.themes,
            })
            .collect();
        Choice::make("eval", &themes, &examples, &featurizer, training)
    };
    let code_with = |choice: &Choice, c: &Comment, codes: &[String]| {
        let mut got = choice.code(&featurizer, &c.text, codes);
        got.retain(|t| of_form(c, t));
        got
    };
    let chosen: Vec<Vec<String>> = if held_out {
        let choice = choose(dev);
        println!("\nchoice trained on dev: theme, analysts' codes, codebook kappa, learned kappa (5-fold on dev), in use");
        for t in &choice.themes {
            let k = |a: &Agreement| a.kappa.map_or("-".to_owned(), |k| format!("{k:.3}"));
            println!(
                "  {:<36} {:>4} {:>7} {:>7}  {}",
                t.theme,
                t.positives,
                k(&t.codebook),
                k(&t.learned),
                if t.use_learned { "learned" } else { "codebook" }
            );
        }
        comments
            .iter()
            .zip(&codebook)
            .map(|(c, codes)| code_with(&choice, c, codes))
            .collect()
    } else {
        cross_fit(folds, &comments, &extra, choose, |choice, i, c| {
            code_with(choice, c, &codebook[i])
        })
    };
    // The shipped theme model (`analysis::theme_model`: a regression per
    // theme over a linear SVM's and naive Bayes's values, deciding with
    // the codebook's phrases), trained and read as the learned model
    // above; and the model alone. EVAL_SVM_C, EVAL_THEME_THRESHOLD and
    // EVAL_THEME_FLOOR override its settings for exploring by batch; the
    // defaults are what ships.
    let ds = analysis::svm::Settings::default();
    let svm_settings = analysis::svm::Settings {
        c: env("EVAL_SVM_C").unwrap_or(ds.c),
        ..ds
    };
    let threshold = env("EVAL_THEME_THRESHOLD").map_or(analysis::theme_model::THRESHOLD, f64::from);
    let floor = env("EVAL_THEME_FLOOR").map_or(analysis::theme_model::CODEBOOK_FLOOR, f64::from);
    let train_svm = |on: &[&Comment]| {
        ShippedThemes::train(
            on.iter().map(|c| {
                let within = coders[c.form.as_str()].1.as_slice();
                (c.text.as_str(), c.themes.as_slice(), within)
            }),
            svm_settings,
            threshold,
            floor,
        )
    };
    // One model per fold codes each comment twice: alone, and with the
    // codebook's finds.
    let dumped = std::sync::Mutex::new(Vec::<String>::new());
    let code_svm = |model: &ShippedThemes, i: usize, c: &Comment| {
        let of = |t: &str| of_form(c, t);
        if std::env::var_os("EVAL_DUMP_THEMES").is_some() {
            let p: Vec<String> = model
                .probabilities(&c.text)
                .into_iter()
                .filter(|(t, _)| of(t))
                .map(|(t, v)| format!("{t}={v:.4}"))
                .collect();
            dumped.lock().unwrap().push(format!(
                "{i}\t{}\t{}\t{}",
                c.themes.join(";"),
                codebook[i].join(";"),
                p.join(";")
            ));
        }
        (
            model.add(&c.text, Vec::new(), of),
            model.add(&c.text, codebook[i].clone(), of),
        )
    };
    let (svm, shipped): (Vec<Vec<String>>, Vec<Vec<String>>) = if held_out {
        let model = train_svm(dev);
        comments
            .iter()
            .enumerate()
            .map(|(i, c)| code_svm(&model, i, c))
            .unzip()
    } else {
        cross_fit(folds, &comments, &extra, train_svm, code_svm)
            .into_iter()
            .unzip()
    };
    if let Some(path) = std::env::var_os("EVAL_DUMP_THEMES") {
        std::fs::write(path, dumped.into_inner().unwrap().join("\n")).expect("dump written");
    }
    let union: Vec<Vec<String>> = codebook
        .iter()
        .zip(&learned)
        .map(|(a, b)| {
            let mut u = a.clone();
            u.extend(b.iter().filter(|t| !a.contains(t)).cloned());
            u
        })
        .collect();
    if args.iter().any(|a| a == "--misses") {
        // What the codebook and the layer get wrong, to read on `dev`.
        for (c, got) in comments.iter().zip(&codebook) {
            let missed: Vec<&String> = c.themes.iter().filter(|t| !got.contains(t)).collect();
            let extra: Vec<&String> = got.iter().filter(|t| !c.themes.contains(t)).collect();
            if !missed.is_empty() || !extra.is_empty() {
                println!("THEME missed {missed:?} extra {extra:?}: {}", c.text);
            }
        }
        for c in &comments {
            let got = layered.score(&c.text);
            if got.label != c.sentiment {
                println!(
                    "SENTIMENT {} as {} ({:.3}): {}",
                    c.sentiment.as_str(),
                    got.label.as_str(),
                    got.compound,
                    c.text
                );
            }
        }
    }
    for (name, coded) in [
        ("codebook phrases", &codebook),
        ("learned model (trained on dev)", &learned),
        (
            "codebook or the learned model (union, shipped to dev-7)",
            &union,
        ),
        ("chosen per theme (collector)", &chosen),
        ("stacked model alone", &svm),
        (
            "codebook and the stacked model (theme_model, ships)",
            &shipped,
        ),
    ] {
        theme_table(name, &comments, coded, &themes, &of_form);
    }
}

/// The last row of each batch of `train.tsv` written apart from the
/// others (see `analysis/eval/README.md`): the first comments, those
/// written with the fresh set, with the voices set, and rounds 2 to 7.
/// Rows after the last are one more batch.
const ROUNDS: [usize; 9] = [802, 1_397, 2_110, 3_307, 4_487, 5_674, 6_843, 8_039, 9_226];

/// How the comments coded are cut into folds.
#[derive(Clone, Copy)]
enum Folds {
    /// Every fifth comment: 5-fold.
    Fifths,
    /// By the batch each extra comment was written in (`--split extra
    /// --by-round`): each batch coded by models trained on the others, as
    /// a batch written later will be. Comments of one batch share their
    /// writers' idiom, so a model trained on four fifths of a batch
    /// scores better on the fifth than on a batch it never saw: tune
    /// with this.
    Rounds,
}

impl Folds {
    fn count(self) -> usize {
        match self {
            Folds::Fifths => 5,
            Folds::Rounds => ROUNDS.len() + 1,
        }
    }

    /// The fold of the `i`th comment coded.
    fn of(self, i: usize) -> usize {
        match self {
            Folds::Fifths => i % 5,
            Folds::Rounds => ROUNDS.iter().take_while(|end| i + 1 > **end).count(),
        }
    }
}

/// Each comment's reading (by its text) by a model `train` makes: held
/// out (`how.0`), one model trained on `on.0`, every development comment;
/// otherwise each comment by a model trained on the other folds (`how.1`)
/// and `on.1`, the extra comments.
fn read_each<'c, M, T: Clone>(
    how: (bool, Folds),
    comments: &[&'c Comment],
    on: (&[&Comment], &[&Comment]),
    train: impl Fn(&[&Comment]) -> M,
    read: impl Fn(&M, &Comment) -> T,
) -> std::collections::HashMap<&'c str, T> {
    let read: Vec<T> = if how.0 {
        let model = train(on.0);
        comments.iter().map(|c| read(&model, c)).collect()
    } else {
        cross_fit(how.1, comments, on.1, train, |m, _, c| Some(read(m, c)))
            .into_iter()
            .map(|r| r.expect("each comment is in one fold"))
            .collect()
    };
    comments.iter().map(|c| c.text.as_str()).zip(read).collect()
}

/// Each comment coded by what `train` makes of the other folds, so that
/// figures on the part trained on are not the fit.
fn cross_fit<M, T: Clone + Default>(
    folds: Folds,
    comments: &[&Comment],
    extra: &[&Comment],
    train: impl Fn(&[&Comment]) -> M,
    code: impl Fn(&M, usize, &Comment) -> T,
) -> Vec<T> {
    let mut out = vec![T::default(); comments.len()];
    for fold in 0..folds.count() {
        if !(0..comments.len()).any(|i| folds.of(i) == fold) {
            continue;
        }
        let rest: Vec<&Comment> = comments
            .iter()
            .enumerate()
            .filter(|(i, _)| folds.of(*i) != fold)
            .map(|(_, c)| *c)
            .chain(extra.iter().copied())
            .collect();
        let model = train(&rest);
        for (i, c) in comments
            .iter()
            .enumerate()
            .filter(|(i, _)| folds.of(*i) == fold)
        {
            out[i] = code(&model, i, c);
        }
    }
    out
}

/// Per-theme precision, recall, F1 and kappa of `coded` against the
/// labels, over the comments to forms whose codebook has the theme; then
/// micro-averaged. Beside each F1, the middle 95% of it over
/// [`RESAMPLES`] bootstrap draws of the comments: how far it could move
/// on another set of comments like these (a theme labelled a dozen times
/// moves far).
fn theme_table(
    name: &str,
    comments: &[&Comment],
    coded: &[Vec<String>],
    themes: &[String],
    of_form: &dyn Fn(&Comment, &str) -> bool,
) {
    println!(
        "\nthemes: {name:<30}   n  gold  coded  precision  recall     F1   kappa   F1 (95% interval)"
    );
    // Each comment's verdicts: (theme, coded, labelled) for its form's themes.
    let verdicts: Vec<Vec<(usize, bool, bool)>> = comments
        .iter()
        .zip(coded)
        .map(|(c, got)| {
            themes
                .iter()
                .enumerate()
                .filter(|(_, theme)| of_form(c, theme))
                .map(|(k, theme)| {
                    (
                        k,
                        got.iter().any(|t| t == theme),
                        c.themes.iter().any(|t| t == theme),
                    )
                })
                .collect()
        })
        .collect();
    // Counts (tp, fp, fn) per theme over the comments `draw` picks.
    let tally = |draw: &mut dyn Iterator<Item = usize>| {
        let mut counts = vec![[0u64; 3]; themes.len()];
        for i in draw {
            for &(k, got, gold) in &verdicts[i] {
                match (got, gold) {
                    (true, true) => counts[k][0] += 1,
                    (true, false) => counts[k][1] += 1,
                    (false, true) => counts[k][2] += 1,
                    (false, false) => {}
                }
            }
        }
        counts
    };
    let f1 = |[tp, fp, fne]: [u64; 3]| match tp {
        0 => 0.0,
        _ => 2.0 * tp as f64 / (2 * tp + fp + fne) as f64,
    };
    let micro = |counts: &[[u64; 3]]| {
        f1(counts
            .iter()
            .fold([0; 3], |a, c| [a[0] + c[0], a[1] + c[1], a[2] + c[2]]))
    };
    let mut rng = fastrand::Rng::with_seed(14);
    let draws: Vec<Vec<[u64; 3]>> = (0..RESAMPLES)
        .map(|_| tally(&mut (0..comments.len()).map(|_| rng.usize(..comments.len()))))
        .collect();
    for (k, theme) in themes.iter().enumerate() {
        let pairs: Vec<(bool, bool)> = verdicts
            .iter()
            .flatten()
            .filter(|v| v.0 == k)
            .map(|&(_, got, gold)| (got, gold))
            .collect();
        let a = Agreement::from_pairs(pairs.iter().copied());
        let (precision, recall, f1_here) = prf(&a);
        println!(
            "  {theme:<36} {:>5} {:>5} {:>6} {precision:>10.3} {recall:>7.3} {f1_here:>6.3} {:>7}   {}",
            pairs.len(),
            a.both_yes + a.manual_only,
            a.both_yes + a.auto_only,
            a.kappa.map_or("-".to_owned(), |k| format!("{k:.3}")),
            // A draw with neither a label nor a code of the theme has no F1.
            span(middle_95(
                draws
                    .iter()
                    .filter(|d| d[k] != [0; 3])
                    .map(|d| f1(d[k]))
                    .collect()
            ))
        );
    }
    let all = tally(&mut (0..comments.len()));
    let [tp, fp, fne] = all
        .iter()
        .fold([0; 3], |a, c| [a[0] + c[0], a[1] + c[1], a[2] + c[2]]);
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fne).max(1) as f64;
    println!(
        "  {:<36}                    {precision:>10.3} {recall:>7.3} {:>6.3}           {}",
        "micro-average",
        micro(&all),
        span(middle_95(draws.iter().map(|d| micro(d)).collect()))
    );
}
