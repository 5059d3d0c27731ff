//! Trend series: per time period, how many of those who answered a
//! question gave one of the chosen answers (or the sum, for a mean); for
//! the whole of the filtered rows, or one series per group of a `by`
//! dimension (a team, a place …).

use super::calendar::Buckets;
use super::dims::Dim;
use super::filter::Filter;
use super::Query;
use crate::error::{Error, Result};
use crate::index::form_index::{ColumnKind, FormIndex};
use analysis::stats::Period;

/// One period of a trend series.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodCount {
    /// The period's label (`2024-10`, `2024/25 Q3`, …).
    pub period: String,
    /// Rows whose answer to the question is one of those asked about.
    pub hits: u64,
    /// Rows that answered the question.
    pub answered: u64,
    /// Sum of the answers' values (scales), for a mean.
    pub sum: f64,
}

/// The period buckets of the filtered rows that answered `col`, in time
/// order. For a mean, `answers` is empty and only the sum counts.
pub fn series(
    ix: &FormIndex,
    q: &Query,
    period: Period,
    col: usize,
    answers: &[bool],
) -> Result<Vec<PeriodCount>> {
    let filter = Filter::compile(ix, q)?;
    Ok(count(ix, &filter, period, col, answers, None)
        .pop()
        .unwrap_or_default())
}

/// [`series`] per group of the dimension `by` (not a period): each group
/// that has rows, with its label, in the dimension's order.
#[allow(clippy::too_many_arguments)]
pub fn series_by(
    ix: &FormIndex,
    q: &Query,
    period: Period,
    col: usize,
    answers: &[bool],
    by: &str,
    respondent: Option<&str>,
) -> Result<Vec<(String, Vec<PeriodCount>)>> {
    let filter = Filter::compile(ix, q)?;
    let dim = Dim::resolve(ix, by, respondent, &q.known_attributes, &q.register)?;
    if let Dim::Period(_) = dim {
        return Err(Error::BadRequest(format!(
            "a trend runs over periods already; group it by something other than '{by}'"
        )));
    }
    Ok(count(ix, &filter, period, col, answers, Some(&dim))
        .into_iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(code, s)| (dim.label(ix, code), s))
        .collect())
}

/// The series of each group of `dim` (one series without it).
fn count(
    ix: &FormIndex,
    filter: &Filter,
    period: Period,
    col: usize,
    answers: &[bool],
    dim: Option<&Dim>,
) -> Vec<Vec<PeriodCount>> {
    if ix.span.is_none() {
        return Vec::new();
    }
    let buckets = Buckets::new(period, ix.span);
    let len = buckets.len();
    let groups = dim.map_or(1, |d| d.cardinality(ix));
    let mut hit = vec![0u64; len * groups];
    let mut base = vec![0u64; len * groups];
    let mut sum = vec![0f64; len * groups];
    let c = &ix.columns[col];
    let min = if let ColumnKind::Scale { min, .. } = c.kind {
        min
    } else {
        1
    };
    for row in filter.rows(ix) {
        let code = c.codes.get(row).copied().unwrap_or(0) as usize;
        let mask = c.masks.get(row).copied().unwrap_or(0);
        let answered = match c.kind {
            ColumnKind::Multi => mask != 0,
            _ => code != 0,
        };
        if !answered {
            continue;
        }
        let group = dim.map_or(0, |d| d.code(ix, row).min(groups - 1));
        let i = group * len + buckets.of(ix.ms[row]);
        base[i] += 1;
        let yes = match c.kind {
            ColumnKind::Multi => (0..32).any(|bit| {
                mask & (1 << bit) != 0 && answers.get(bit + 1).copied().unwrap_or(false)
            }),
            _ => answers.get(code).copied().unwrap_or(false),
        };
        hit[i] += u64::from(yes);
        sum[i] += (min + code as i64 - 1) as f64;
    }
    (0..groups)
        .map(|g| {
            (g * len..(g + 1) * len)
                .filter(|&i| base[i] > 0)
                .map(|i| PeriodCount {
                    period: buckets.label(i - g * len),
                    hits: hit[i],
                    answered: base[i],
                    sum: sum[i],
                })
                .collect()
        })
        .collect()
}

/// Resolves answer ids of a column into a code mask for [`series`].
pub fn answer_codes(ix: &FormIndex, col: usize, answers: &[String]) -> Result<Vec<bool>> {
    let c = &ix.columns[col];
    let mut ok = vec![false; c.dict.len() + 1];
    for a in answers {
        let code = c
            .dict
            .code(a)
            .ok_or_else(|| Error::BadRequest(format!("'{a}' is not an answer to '{}'", c.id)))?;
        ok[code as usize] = true;
    }
    Ok(ok)
}
