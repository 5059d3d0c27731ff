//! The measures the dashboard reports: the share of those answering a
//! question who gave one of some answers. A scale question whose form
//! names its "satisfied" values (feel safe: 4 or 5; a victim's
//! satisfaction: 1 or 2) is a headline measure by itself (`m=feel_safe_dark`,
//! read from the API's `satisfied` summary); any other share is named with
//! its answers (`m=worry:a-lot,a-little`), read from the API's cells. A
//! form's `headlines` name the choice shares reported beside the scales.

use crate::error::{Error, Result};
use crate::index::query::Aggregates;
use analysis::Proportion;
use survey::{Form, Kind};

/// One measure.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Measure {
    /// As the URL names it.
    pub key: String,
    /// The question.
    pub question: String,
    /// The answers counted (option ids or scale values).
    pub answers: Vec<String>,
    /// What it is, for people.
    pub label: String,
    /// Whether it is the question's own "satisfied" share.
    pub satisfied: bool,
}

/// A measure's figure in one group.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Figure {
    /// The share; none when suppressed or nobody answered.
    pub share: Option<f64>,
    /// Of which gave the answers counted.
    pub count: Option<u64>,
    /// Those who answered the question.
    pub n: Option<u64>,
    /// The 95% Wilson interval.
    pub ci: Option<(f64, f64)>,
}

fn text(t: &survey::Text) -> String {
    t.get("en", "en").to_owned()
}

/// The headline measures of a form: every scale with "satisfied" values,
/// then the form's own headline shares of choice questions.
pub(super) fn headlines(form: &Form) -> Vec<Measure> {
    let mut out = satisfied_scales(form);
    out.extend(
        form.headlines
            .iter()
            .filter_map(|h| parse(form, &format!("{}:{}", h.question, h.answers.join(","))).ok()),
    );
    out
}

fn satisfied_scales(form: &Form) -> Vec<Measure> {
    form.questions
        .iter()
        .filter_map(|q| match &q.kind {
            Kind::Scale {
                satisfied, labels, ..
            } if !satisfied.is_empty() => {
                let names: Vec<String> = satisfied
                    .iter()
                    .map(|v| {
                        labels
                            .iter()
                            .find(|l| l.value == *v)
                            .map_or_else(|| v.to_string(), |l| text(&l.text))
                    })
                    .collect();
                Some(Measure {
                    key: q.id.clone(),
                    question: q.id.clone(),
                    answers: satisfied.iter().map(i64::to_string).collect(),
                    label: format!("{} – {}", text(&q.text), names.join(" or ")),
                    satisfied: true,
                })
            }
            _ => None,
        })
        .collect()
}

/// The measure `key` names: a headline's question id, or
/// `question:answer,answer`.
pub(super) fn parse(form: &Form, key: &str) -> Result<Measure> {
    let bad = |m: String| Error::BadParameter {
        field: "m".into(),
        message: m,
    };
    if let Some(m) = satisfied_scales(form).into_iter().find(|m| m.key == key) {
        return Ok(m);
    }
    let (qid, answers) = key.split_once(':').ok_or_else(|| {
        bad(format!(
            "'{key}' is not a headline measure of this form; name a share as question:answer,answer"
        ))
    })?;
    let q = form
        .question(qid)
        .ok_or_else(|| bad(format!("this form has no question '{qid}'")))?;
    let mut listed: Vec<String> = Vec::new();
    for a in answers.split(',').filter(|a| !a.is_empty()) {
        if !listed.iter().any(|x| x == a) {
            listed.push(a.to_owned());
        }
    }
    let answers = listed;
    // One answer a person (single choice, a scale), so the share counts
    // people once: a multiple choice's ticks would count some twice.
    let names: Vec<String> = match &q.kind {
        Kind::SingleChoice { options } => answers
            .iter()
            .map(|a| {
                options
                    .iter()
                    .find(|o| &o.id == a)
                    .map(|o| text(&o.text))
                    .ok_or_else(|| bad(format!("'{a}' is not an answer to '{qid}'")))
            })
            .collect::<Result<_>>()?,
        Kind::Scale {
            min, max, labels, ..
        } => answers
            .iter()
            .map(|a| {
                let v: i64 = a
                    .parse()
                    .ok()
                    .filter(|v| (min..=max).contains(&v))
                    .ok_or_else(|| bad(format!("'{a}' is not on the scale of '{qid}'")))?;
                Ok(labels
                    .iter()
                    .find(|l| l.value == v)
                    .map_or_else(|| v.to_string(), |l| text(&l.text)))
            })
            .collect::<Result<_>>()?,
        _ => {
            return Err(bad(format!(
                "'{qid}' is not a single-choice or scale question"
            )))
        }
    };
    if answers.is_empty() {
        return Err(bad(format!("name the answers of '{qid}' to count")));
    }
    Ok(Measure {
        key: key.to_owned(),
        question: qid.to_owned(),
        answers,
        label: format!("{} – {}", text(&q.text), names.join(" or ")),
        satisfied: false,
    })
}

impl Measure {
    /// Its figure in the group `group` of `a` (the API's own figure).
    pub(super) fn figure(&self, a: &Aggregates, group: &[String]) -> Figure {
        let Some(summary) = a
            .summaries
            .iter()
            .find(|s| s.question == self.question && s.group == group)
        else {
            return Figure::default();
        };
        let p = if self.satisfied {
            summary.satisfied
        } else {
            let mut count = Some(0u64);
            for ans in &self.answers {
                let c = a
                    .cells
                    .iter()
                    .find(|c| c.question == self.question && c.group == group && &c.answer == ans)
                    .map_or(Some(0), |c| c.count);
                count = count.zip(c).map(|(x, y)| x + y);
            }
            count
                .zip(summary.answered)
                .and_then(|(c, n)| Proportion::new(c, n))
        };
        Figure {
            share: p.map(|p| p.proportion),
            count: p.map(|p| p.count),
            n: summary.answered,
            ci: p.map(|p| (p.ci.low, p.ci.high)),
        }
    }
}

/// Sorts places (or groups) lowest share first, those without a figure
/// last: where people feel least safe, or are least satisfied, on top.
pub(super) fn lowest_first(rows: &mut [(String, Figure)]) {
    rows.sort_by(|(ga, a), (gb, b)| {
        a.share
            .unwrap_or(f64::MAX)
            .total_cmp(&b.share.unwrap_or(f64::MAX))
            .then_with(|| ga.cmp(gb))
    });
}

/// A form's codebook themes: (id, name).
pub(super) struct Themes(pub Vec<(String, String)>);

impl Themes {
    pub(super) fn of(form: &Form) -> Themes {
        Themes(
            form.codebook
                .as_ref()
                .map(|c| {
                    c.themes
                        .iter()
                        .map(|t| (t.id.clone(), t.label.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        )
    }

    /// A theme's name, else its id.
    pub(super) fn name(&self, id: &str) -> String {
        self.0
            .iter()
            .find(|(t, _)| t == id)
            .map_or_else(|| id.to_owned(), |(_, n)| n.clone())
    }
}
