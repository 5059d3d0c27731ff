//! How well the shipped coding agrees with people, next to how well people
//! agree with each other, on the three held-out sets (the test part of
//! `analysis/eval/comments.tsv`, `fresh.tsv` and `voices.tsv`: 1,096
//! comments).
//!
//! ```text
//! cargo run --release -p analysis --example agree_coders
//! ```
//!
//! Three people coded every held-out comment: `a`, the labels the sets were
//! frozen with, and `b` and `c` (`analysis/eval/coders/`), two more passes
//! coded blind, from the comments' texts and the labelling brief alone
//! (see `analysis/eval/README.md`). The coding is what the collector ships
//! with its default settings: the learned sentiment label and mixed model,
//! the actionable rule, and each form's codebook with the shipped theme
//! model's finds added.
//!
//! Rows, for sentiment (accuracy and Cohen's kappa over positive /
//! neutral / negative), themes (micro-F1 over each comment's form's
//! themes), mixed and actionable (F1):
//!
//! - **person and person**: the mean over the three pairs of people;
//! - **coding and person**: the mean over the three people;
//! - **where two agree**: for each person, only where the other two agree
//!   (for themes, each comment and theme the other two agree on), that
//!   person against the agreed label, and the coding against it on the
//!   same comments; the mean over the three people. The two rows read the
//!   coding and a third person against the same reference;
//! - **coding and the majority**: against what at least two of the three
//!   said (a comment whose three sentiment labels all differ is left out
//!   of the sentiment figure and counted).
//!
//! The rules were fixed before the second and third passes were read.

#[path = "support/eval_set.rs"]
mod eval_set;

use analysis::{Agreement, Label, Scorer};
use eval_set::Comment;
use std::collections::BTreeMap;

/// One reading of a comment.
#[derive(Clone)]
struct Coding {
    sentiment: Label,
    mixed: bool,
    actionable: bool,
    themes: Vec<String>,
}

/// A held-out comment and its three people's codings.
struct Item {
    set: &'static str,
    form: String,
    people: [Coding; 3],
    coding: Coding,
    /// What at least two of the three people said ([`majority`]).
    majority: (Option<Label>, Coding),
}

/// The three held-out sets: each set's name and comments.
fn held_out() -> Vec<(&'static str, Comment)> {
    let test = eval_set::load().into_iter().filter(|c| c.split == "test");
    let fresh = eval_set::load_file(&path("analysis/eval/fresh.tsv"));
    let voices = eval_set::load_file(&path("analysis/eval/voices.tsv"));
    test.map(|c| ("test", c))
        .chain(fresh.into_iter().map(|c| ("fresh", c)))
        .chain(voices.into_iter().map(|c| ("voices", c)))
        .collect()
}

fn path(relative: &str) -> String {
    eval_set::root().join(relative).display().to_string()
}

/// A pass's codings by key (`test:12`, `fresh:3`, `voices:40`):
/// `key, sentiment, mixed, actionable, themes`, no header.
fn pass(name: &str) -> BTreeMap<String, Coding> {
    let file = path(&format!("analysis/eval/coders/{name}.tsv"));
    let text = std::fs::read_to_string(&file).expect("a second coder's pass");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 5, "{file}: {line}");
            let coding = Coding {
                sentiment: Label::parse(f[1]).expect("a sentiment label"),
                mixed: f[2] == "1",
                actionable: f[3] == "1",
                themes: f[4]
                    .split(';')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
            };
            (f[0].to_owned(), coding)
        })
        .collect()
}

/// Accuracy and three-class Cohen's kappa of two label lists.
fn sentiment_agreement(pairs: &[(Label, Label)]) -> (f64, f64) {
    const LABELS: [Label; 3] = [Label::Positive, Label::Neutral, Label::Negative];
    let at = |l: Label| LABELS.iter().position(|x| *x == l).unwrap_or(1);
    let mut m = [[0f64; 3]; 3];
    for (x, y) in pairs {
        m[at(*x)][at(*y)] += 1.0;
    }
    let n = pairs.len() as f64;
    let observed = (0..3).map(|i| m[i][i]).sum::<f64>() / n;
    let expected = (0..3)
        .map(|i| (m[i].iter().sum::<f64>() / n) * ((0..3).map(|j| m[j][i]).sum::<f64>() / n))
        .sum::<f64>();
    (observed, (observed - expected) / (1.0 - expected))
}

/// F1 of yes/no pairs, symmetric in the two sides: 2·both / (yes₁ + yes₂).
fn f1(a: &Agreement) -> f64 {
    let yes = 2 * a.both_yes + a.auto_only + a.manual_only;
    match yes {
        0 => f64::NAN,
        _ => 2.0 * a.both_yes as f64 / yes as f64,
    }
}

/// For one comment, the yes/no pairs of two codings' themes over the
/// form's themes, where `keep` accepts the theme.
fn theme_pairs<'a>(
    themes: &'a [String],
    x: &'a Coding,
    y: &'a Coding,
    keep: impl Fn(&str) -> bool + 'a,
) -> impl Iterator<Item = (bool, bool)> + 'a {
    themes
        .iter()
        .filter(move |t| keep(t))
        .map(move |t| (x.themes.contains(t), y.themes.contains(t)))
}

/// The figures of one row: sentiment accuracy and kappa, theme micro-F1,
/// mixed F1, actionable F1, and the comments behind the sentiment figure.
#[derive(Default, Clone, Copy)]
struct Row {
    accuracy: f64,
    kappa: f64,
    themes: f64,
    mixed: f64,
    actionable: f64,
    n: usize,
}

impl Row {
    fn mean(rows: &[Row]) -> Row {
        let k = rows.len() as f64;
        let sum = |f: fn(&Row) -> f64| rows.iter().map(f).sum::<f64>() / k;
        Row {
            accuracy: sum(|r| r.accuracy),
            kappa: sum(|r| r.kappa),
            themes: sum(|r| r.themes),
            mixed: sum(|r| r.mixed),
            actionable: sum(|r| r.actionable),
            n: rows.iter().map(|r| r.n).sum::<usize>() / rows.len(),
        }
    }

    fn print(&self, name: &str) {
        println!(
            "  {name:<44} {:>5} {:>8.3} {:>6.3} {:>9.3} {:>7.3} {:>10.3}",
            self.n, self.accuracy, self.kappa, self.themes, self.mixed, self.actionable
        );
    }
}

/// What a comparison reads of a comment: its sentiment, one theme of its
/// form, or one flag.
enum Part<'t> {
    Sentiment,
    Theme(&'t str),
    Flag(fn(&Coding) -> bool),
}

/// `x` against `y` over `items`, where `y_of`/`x_of` pick the codings.
fn compare<'a>(
    items: &[&'a Item],
    forms: &BTreeMap<&str, Vec<String>>,
    x_of: impl Fn(&'a Item) -> &'a Coding,
    y_of: impl Fn(&'a Item) -> &'a Coding,
) -> Row {
    compare_where(items, forms, x_of, y_of, |_, _| true)
}

/// `x` against `y` over what `keep` accepts of `items`; the row's `n` is
/// the comments whose sentiment it accepts.
fn compare_where<'a>(
    items: &[&'a Item],
    forms: &BTreeMap<&str, Vec<String>>,
    x_of: impl Fn(&'a Item) -> &'a Coding,
    y_of: impl Fn(&'a Item) -> &'a Coding,
    keep: impl Fn(&Item, Part) -> bool,
) -> Row {
    let labels: Vec<(Label, Label)> = items
        .iter()
        .filter(|i| keep(i, Part::Sentiment))
        .map(|i| (x_of(i).sentiment, y_of(i).sentiment))
        .collect();
    let (accuracy, kappa) = sentiment_agreement(&labels);
    let themes = Agreement::from_pairs(items.iter().flat_map(|i| {
        theme_pairs(&forms[i.form.as_str()], x_of(i), y_of(i), |t| {
            keep(i, Part::Theme(t))
        })
        .collect::<Vec<_>>()
    }));
    let flag = |f: fn(&Coding) -> bool| {
        f1(&Agreement::from_pairs(
            items
                .iter()
                .filter(|i| keep(i, Part::Flag(f)))
                .map(|i| (f(x_of(i)), f(y_of(i)))),
        ))
    };
    Row {
        accuracy,
        kappa,
        themes: f1(&themes),
        mixed: flag(|c| c.mixed),
        actionable: flag(|c| c.actionable),
        n: labels.len(),
    }
}

/// Person `p` and the coding, each against the label the other two people
/// agree on, on what they agree on: `(person, coding)`.
fn where_two_agree(items: &[&Item], forms: &BTreeMap<&str, Vec<String>>, p: usize) -> (Row, Row) {
    let (y, z) = match p {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    };
    let agree = |i: &Item, part: Part| {
        let (py, pz) = (&i.people[y], &i.people[z]);
        match part {
            Part::Sentiment => py.sentiment == pz.sentiment,
            Part::Theme(t) => py.themes.iter().any(|x| x == t) == pz.themes.iter().any(|x| x == t),
            Part::Flag(f) => f(py) == f(pz),
        }
    };
    (
        compare_where(items, forms, |i| &i.people[p], |i| &i.people[y], agree),
        compare_where(items, forms, |i| &i.coding, |i| &i.people[y], agree),
    )
}

/// What at least two of the three people said: `None` for the sentiment
/// when all three differ.
fn majority(people: &[Coding; 3]) -> (Option<Label>, Coding) {
    let [a, b, c] = people;
    let sentiment = if a.sentiment == b.sentiment || a.sentiment == c.sentiment {
        Some(a.sentiment)
    } else if b.sentiment == c.sentiment {
        Some(b.sentiment)
    } else {
        None
    };
    let two = |f: &dyn Fn(&Coding) -> bool| people.iter().filter(|p| f(p)).count() >= 2;
    let mut themes: Vec<String> = people.iter().flat_map(|p| p.themes.clone()).collect();
    themes.sort_unstable();
    themes.dedup();
    themes.retain(|t| two(&|p| p.themes.contains(t)));
    let coding = Coding {
        sentiment: sentiment.unwrap_or(a.sentiment),
        mixed: two(&|p| p.mixed),
        actionable: two(&|p| p.actionable),
        themes,
    };
    (sentiment, coding)
}

fn main() {
    let scorer = Scorer::new();
    let label = analysis::ShippedLabel::from_development_set(&scorer);
    let flagger = analysis::ShippedFlags::from_development_set(&scorer);
    let model = analysis::theme_model::ShippedThemes::from_development_set();
    let coders = eval_set::coders();
    let forms: BTreeMap<&str, Vec<String>> = coders
        .iter()
        .map(|(f, (_, ids))| (*f, ids.clone()))
        .collect();
    let (b, c) = (pass("b"), pass("c"));
    let items: Vec<Item> = held_out()
        .into_iter()
        .map(|(set, comment)| {
            let key = format!("{set}:{}", comment.id);
            let second = |p: &BTreeMap<String, Coding>, name: &str| {
                p.get(&key)
                    .unwrap_or_else(|| panic!("{key} is missing from pass {name}"))
                    .clone()
            };
            let compound = scorer.score(&comment.text).compound;
            let clauses = analysis::Clauses::of(&scorer, &comment.text, compound);
            let flags = flagger.flags(&comment.text, &clauses);
            let (codebook, ids) = &coders[comment.form.as_str()];
            let coding = Coding {
                sentiment: label.label(&comment.text, compound),
                mixed: flags.mixed,
                actionable: flags.actionable,
                themes: model.add(&comment.text, codebook.code(&comment.text), |t| {
                    ids.iter().any(|i| i == t)
                }),
            };
            let a = Coding {
                sentiment: comment.sentiment,
                mixed: comment.mixed,
                actionable: comment.actionable,
                themes: comment.themes.clone(),
            };
            let people = [a, second(&b, "b"), second(&c, "c")];
            Item {
                set,
                form: comment.form.clone(),
                majority: majority(&people),
                people,
                coding,
            }
        })
        .collect();
    assert_eq!(
        items.len(),
        b.len(),
        "pass b codes the held-out comments only"
    );
    assert_eq!(
        items.len(),
        c.len(),
        "pass c codes the held-out comments only"
    );

    for set in ["test", "fresh", "voices", "all"] {
        let these: Vec<&Item> = items
            .iter()
            .filter(|i| set == "all" || i.set == set)
            .collect();
        println!("{set} ({} comments)", these.len());
        println!(
            "  {:<44} {:>5} {:>8} {:>6} {:>9} {:>7} {:>10}",
            "", "n", "accuracy", "kappa", "themes F1", "mixed", "actionable"
        );
        let pairs: Vec<Row> = [(0, 1), (0, 2), (1, 2)]
            .iter()
            .map(|&(x, y)| compare(&these, &forms, |i| &i.people[x], |i| &i.people[y]))
            .collect();
        Row::mean(&pairs).print("person and person (mean of 3 pairs)");
        for (name, row) in ["a and b", "a and c", "b and c"].iter().zip(&pairs) {
            row.print(&format!("  {name}"));
        }
        let coding: Vec<Row> = (0..3)
            .map(|p| compare(&these, &forms, |i| &i.coding, |i| &i.people[p]))
            .collect();
        Row::mean(&coding).print("coding and person (mean of 3)");
        for (name, row) in ["a", "b", "c"].iter().zip(&coding) {
            row.print(&format!("  coding and {name}"));
        }
        let (third, coded): (Vec<Row>, Vec<Row>) =
            (0..3).map(|p| where_two_agree(&these, &forms, p)).unzip();
        Row::mean(&third).print("where two agree: the third person");
        Row::mean(&coded).print("where two agree: the coding");
        let split = these.iter().filter(|i| i.majority.0.is_none()).count();
        let agreed: Vec<&Item> = these
            .iter()
            .copied()
            .filter(|i| i.majority.0.is_some())
            .collect();
        let sentiment = compare(&agreed, &forms, |i| &i.coding, |i| &i.majority.1);
        Row {
            accuracy: sentiment.accuracy,
            kappa: sentiment.kappa,
            n: sentiment.n,
            ..compare(&these, &forms, |i| &i.coding, |i| &i.majority.1)
        }
        .print(&format!(
            "coding and the majority ({split} split three ways)"
        ));
        println!();
    }

    // Per theme over all three sets: F1 between people, between the coding
    // and people, and of the coding against the majority.
    println!(
        "{:<28} {:>5} {:>7} {:>7} {:>7} {:>9}",
        "theme (all held-out)", "n", "people", "coding", "kappa p", "majority"
    );
    let all: Vec<&Item> = items.iter().collect();
    let mut themes: Vec<&String> = forms.values().flatten().collect();
    themes.sort_unstable();
    themes.dedup();
    for theme in themes {
        let these: Vec<&Item> = all
            .iter()
            .copied()
            .filter(|i| forms[i.form.as_str()].contains(theme))
            .collect();
        let on = |x: &Coding| x.themes.contains(theme);
        let agreement = |x: &dyn Fn(&Item) -> bool, y: &dyn Fn(&Item) -> bool| {
            Agreement::from_pairs(these.iter().map(|i| (x(i), y(i))))
        };
        let people: Vec<Agreement> = [(0, 1), (0, 2), (1, 2)]
            .iter()
            .map(|&(x, y)| agreement(&|i| on(&i.people[x]), &|i| on(&i.people[y])))
            .collect();
        let coding: Vec<f64> = (0..3)
            .map(|p| f1(&agreement(&|i| on(&i.coding), &|i| on(&i.people[p]))))
            .collect();
        let kappa = people.iter().filter_map(|a| a.kappa).sum::<f64>() / 3.0;
        let majority = f1(&agreement(&|i| on(&i.coding), &|i| on(&i.majority.1)));
        println!(
            "{theme:<28} {:>5} {:>7.3} {:>7.3} {:>7.3} {:>9.3}",
            these.len(),
            people.iter().map(f1).sum::<f64>() / 3.0,
            coding.iter().sum::<f64>() / 3.0,
            kappa,
            majority
        );
    }
}
