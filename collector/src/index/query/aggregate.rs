//! Aggregates: counts, proportions with Wilson intervals, scale means and
//! satisfied shares per group and question, in long format.
//!
//! ```text
//! Query ─► Filter + Dims ─► blocks::count_blocks ─► suppression ─► Cells + Summaries
//! ```

use super::blocks::count_blocks;
use super::dims::Dim;
use super::filter::Filter;
use super::suppression::{suppression, suppression_linked};
use super::Query;
use crate::error::{Error, Result};
use crate::index::form_index::{ColumnKind, FormIndex, SENTIMENT_LABELS};
use analysis::Proportion;
use serde::Serialize;

/// One cell of the result (long format).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    /// The group's value for each `by` dimension, in order.
    pub group: Vec<String>,
    /// Question id.
    pub question: String,
    /// Option id, scale value, sentiment label, `theme:<id>`, or `_skipped`.
    pub answer: String,
    /// Count; `None` when suppressed.
    pub count: Option<u64>,
    /// Share of those who answered; `None` when suppressed or not a share.
    pub proportion: Option<f64>,
    /// Wilson 95% interval, low end.
    pub ci_low: Option<f64>,
    /// Wilson 95% interval, high end.
    pub ci_high: Option<f64>,
}

/// A question's summary in one group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// The group's value for each `by` dimension.
    pub group: Vec<String>,
    /// Question id.
    pub question: String,
    /// Responses in the group.
    pub n: Option<u64>,
    /// Of which answered this question.
    pub answered: Option<u64>,
    /// Of which skipped it (or were not shown it).
    pub skipped: Option<u64>,
    /// Mean (scales).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Sample standard deviation (scales).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// Share answering a "satisfied" value (scales that define them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfied: Option<Proportion>,
}

/// The answer to an aggregate query.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregates {
    /// Form id.
    pub form: String,
    /// Grouping dimensions.
    pub by: Vec<String>,
    /// Responses that passed the filters.
    pub n: Option<u64>,
    /// Whether small cells were suppressed (and under what count).
    pub suppressed_below: Option<u32>,
    /// The cells.
    pub cells: Vec<Cell>,
    /// Summaries per group and question.
    pub summaries: Vec<Summary>,
}

/// How a question's slots are laid out in the accumulator.
pub(super) struct Slots {
    pub(super) col: usize,
    /// Slot 0 = skipped; then one per code (labels, then themes, for text).
    pub(super) width: usize,
}

pub(super) fn slots_for(ix: &FormIndex, col: usize) -> Slots {
    let c = &ix.columns[col];
    let width = match c.kind {
        ColumnKind::Text { .. } => 1 + 3 + c.dict.len(),
        _ => 1 + c.dict.len(),
    };
    Slots { col, width }
}

/// Runs `q` over `ix`; `min_cell` is the suppression threshold for public output.
pub fn aggregate(
    ix: &FormIndex,
    q: &Query,
    respondent: Option<&str>,
    min_cell: u32,
) -> Result<Aggregates> {
    let filter = Filter::compile(ix, q)?;
    let dims: Vec<Dim> =
        q.by.iter()
            .map(|b| Dim::resolve(ix, b, respondent, &q.known_attributes, &q.register))
            .collect::<Result<_>>()?;
    let by_cols: Vec<usize> = dims
        .iter()
        .filter_map(|d| {
            if let Dim::Column(i) = d {
                Some(*i)
            } else {
                None
            }
        })
        .collect();
    let questions: Vec<usize> = if q.questions.is_empty() {
        (0..ix.columns.len())
            .filter(|i| !by_cols.contains(i))
            .collect()
    } else {
        q.questions
            .iter()
            .map(|name| {
                ix.column(name)
                    .map(|(i, _)| i)
                    .ok_or_else(|| Error::BadRequest(format!("this form has no question '{name}'")))
            })
            .collect::<Result<_>>()?
    };
    let slots: Vec<Slots> = questions.iter().map(|&c| slots_for(ix, c)).collect();
    let width: usize = slots.iter().map(|s| s.width).sum();
    let cards: Vec<usize> = dims.iter().map(|d| d.cardinality(ix)).collect();
    let groups: usize = cards.iter().product::<usize>().max(1);
    if groups.saturating_mul(width.max(1)) > 50_000_000 {
        return Err(Error::BadRequest(
            "that grouping is too fine; use a longer period or fewer dimensions".into(),
        ));
    }
    // Large indexes are counted in two halves on two threads, then summed.
    let n = ix.len();
    let count = |range| count_blocks(ix, &filter, &dims, &cards, &slots, width, groups, range);
    let (acc, group_n) = if n >= 200_000 {
        let mid = n / 2;
        let (left, right) = std::thread::scope(|scope| {
            let right = scope.spawn(|| count(mid..n));
            let left = count(0..mid);
            (
                left,
                right
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        });
        let (mut acc, mut group_n) = left;
        acc.iter_mut().zip(right.0).for_each(|(a, b)| *a += b);
        group_n.iter_mut().zip(right.1).for_each(|(a, b)| *a += b);
        (acc, group_n)
    } else {
        count(0..n)
    };

    let total: u64 = group_n.iter().sum();
    let live: Vec<usize> = (0..groups).filter(|&g| group_n[g] > 0).collect();
    let group_labels = |g: usize| -> Vec<String> {
        let mut rest = g;
        let mut out = vec![String::new(); dims.len()];
        for i in (0..dims.len()).rev() {
            out[i] = dims[i].label(ix, rest % cards[i]);
            rest /= cards[i];
        }
        out
    };

    let mut cells = Vec::new();
    let mut summaries = Vec::new();
    let mut offset = 0;
    for s in &slots {
        let c = &ix.columns[s.col];
        // counts[group][slot]
        let counts: Vec<Vec<u64>> = live
            .iter()
            .map(|&g| acc[g * width + offset..g * width + offset + s.width].to_vec())
            .collect();
        offset += s.width;
        let sizes: Vec<u64> = live.iter().map(|&g| group_n[g]).collect();
        // Grouped, public output is suppressed with the coarser tables its
        // counts add up to; ungrouped (the coarsest), on its own.
        let shown = if q.public && !cards.is_empty() {
            suppression_linked(&counts, &sizes, &live, &cards, min_cell, &c.kind)
        } else {
            suppression(&counts, &sizes, q.public, min_cell, &c.kind)
        };
        for (gi, &g) in live.iter().enumerate() {
            let group = group_labels(g);
            let n = group_n[g];
            let skipped = counts[gi][0];
            let answered = n - skipped;
            let row_ok = shown.row_complete[gi];
            let n_shown = shown.n[gi];
            let answered_shown = n_shown && shown.cell[gi][0];
            let mut scale_sum = (0f64, 0f64);
            for slot in 1..s.width {
                let count = counts[gi][slot];
                let answer = match c.kind {
                    ColumnKind::Text { .. } if slot <= 3 => {
                        SENTIMENT_LABELS[slot - 1].as_str().to_owned()
                    }
                    ColumnKind::Text { .. } => {
                        format!("theme:{}", c.dict.name((slot - 3) as u32).unwrap_or("?"))
                    }
                    _ => c.dict.name(slot as u32).unwrap_or("?").to_owned(),
                };
                if let ColumnKind::Scale { min, .. } = c.kind {
                    let v = (min + slot as i64 - 1) as f64;
                    scale_sum.0 += v * count as f64;
                    scale_sum.1 += v * v * count as f64;
                }
                let visible = shown.cell[gi][slot];
                let p = if visible && answered_shown {
                    Proportion::new(count, answered)
                } else {
                    None
                };
                cells.push(Cell {
                    group: group.clone(),
                    question: c.id.clone(),
                    answer,
                    count: visible.then_some(count),
                    proportion: p.map(|p| p.proportion),
                    ci_low: p.map(|p| p.ci.low),
                    ci_high: p.map(|p| p.ci.high),
                });
            }
            cells.push(Cell {
                group: group.clone(),
                question: c.id.clone(),
                answer: "_skipped".into(),
                count: shown.cell[gi][0].then_some(skipped),
                proportion: None,
                ci_low: None,
                ci_high: None,
            });
            let (mut mean, mut sd, mut satisfied) = (None, None, None);
            if let ColumnKind::Scale {
                min,
                satisfied: sat,
                ..
            } = &c.kind
            {
                if row_ok && answered > 0 {
                    let a = answered as f64;
                    let m = scale_sum.0 / a;
                    mean = Some(m);
                    if answered > 1 {
                        sd = Some(((scale_sum.1 - a * m * m) / (a - 1.0)).max(0.0).sqrt());
                    }
                    if !sat.is_empty() {
                        let count: u64 = sat
                            .iter()
                            .filter_map(|v| usize::try_from(v - min + 1).ok())
                            .filter(|&slot| slot < s.width)
                            .map(|slot| counts[gi][slot])
                            .sum();
                        satisfied = Proportion::new(count, answered);
                    }
                }
            }
            summaries.push(Summary {
                group,
                question: c.id.clone(),
                n: n_shown.then_some(n),
                answered: answered_shown.then_some(answered),
                skipped: shown.cell[gi][0].then_some(skipped),
                mean,
                sd,
                satisfied,
            });
        }
    }

    Ok(Aggregates {
        form: ix.form.clone(),
        by: q.by.clone(),
        n: (!q.public || total >= u64::from(min_cell)).then_some(total),
        suppressed_below: q.public.then_some(min_cell),
        cells,
        summaries,
    })
}
