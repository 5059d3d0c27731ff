//! Finding free-text answers in the answer index: by question, theme and
//! sentiment (the effective codes, an analyst's where set), on top of the
//! row filters of [`super::query`], one page at a time in response-id order.
//!
//! ```text
//! TextQuery ─► text columns + row Filter + CodeFilter ─► the `limit` smallest ids after `after` ─► TextHit[]
//! ```
//!
//! The index holds codes, not the text: the caller reads the responses on
//! the page from the store.

use super::form_index::{ColumnKind, FormIndex, SENTIMENT_LABELS};
use super::query::{Filter, Query};
use crate::error::{Error, Result};
use crate::model::record;
use crate::model::ResponseId;
use std::collections::BinaryHeap;

/// Which free-text answers to find.
#[derive(Debug, Clone, Copy)]
pub struct TextQuery<'a> {
    /// Row filters, and the text questions asked about in `questions`
    /// (every text question when empty).
    pub rows: &'a Query,
    /// Theme ids: answers with any of them (all answers when empty).
    pub themes: &'a [String],
    /// Sentiment labels allowed (all when empty).
    pub sentiments: &'a [String],
    /// Only answers that are (`Some(true)`) or are not (`Some(false)`)
    /// mixed.
    pub mixed: Option<bool>,
    /// Only answers that are, or are not, actionable.
    pub actionable: Option<bool>,
    /// Filter by the automatic codes, not an analyst's (a second coder
    /// coding blind must not find answers by the first coder's codes).
    pub blind: bool,
    /// Only responses after this one.
    pub after: Option<ResponseId>,
    /// At most this many responses.
    pub limit: usize,
}

/// A response with free-text answers that match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextHit {
    /// Response id.
    pub id: ResponseId,
    /// The questions whose answers match, in form order.
    pub questions: Vec<String>,
    /// Whether an analyst coded any of them.
    pub hand_coded: bool,
}

/// The responses with matching free-text answers: the `limit` smallest ids
/// after `after`, oldest first.
pub fn find(ix: &FormIndex, q: &TextQuery<'_>) -> Result<Vec<TextHit>> {
    let cols = text_columns(ix, &q.rows.questions)?;
    let rows = Filter::compile(ix, q.rows)?;
    let mut codes = CodeFilter::compile(ix, &cols, q.themes, q.sentiments)?;
    codes.flags = [(record::MIXED, q.mixed), (record::ACTIONABLE, q.actionable)]
        .into_iter()
        .filter_map(|(bit, want)| want.map(|w| (bit, w)))
        .collect();
    codes.blind = q.blind;
    let (after, limit) = (q.after, q.limit);
    // The `limit` smallest ids after the cursor: a max-heap of at most
    // `limit` entries, so memory stays bounded however many rows match.
    let mut heap: BinaryHeap<(ResponseId, usize)> = BinaryHeap::with_capacity(limit + 1);
    for row in 0..ix.len() {
        let id = ResponseId {
            ms: ix.ms[row],
            seq: ix.seq[row],
        };
        if after.is_some_and(|a| id <= a)
            || (heap.len() == limit && heap.peek().is_some_and(|(top, _)| id >= *top))
            || !rows.pass(ix, row)
            || !cols.iter().any(|&c| codes.pass(ix, row, c))
        {
            continue;
        }
        heap.push((id, row));
        if heap.len() > limit {
            heap.pop();
        }
    }
    Ok(heap
        .into_sorted_vec()
        .into_iter()
        .map(|(id, row)| {
            let hit: Vec<usize> = cols
                .iter()
                .copied()
                .filter(|&c| codes.pass(ix, row, c))
                .collect();
            let hand_coded = hit
                .iter()
                .any(|&c| ix.overrides.contains_key(&(row as u32, c as u16)));
            let questions = hit.iter().map(|&c| ix.columns[c].id.clone()).collect();
            TextHit {
                id,
                questions,
                hand_coded,
            }
        })
        .collect())
}

/// The text columns asked for (all text questions when none are named).
pub(super) fn text_columns(ix: &FormIndex, questions: &[String]) -> Result<Vec<usize>> {
    if questions.is_empty() {
        return Ok(ix
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.kind, ColumnKind::Text { .. }))
            .map(|(i, _)| i)
            .collect());
    }
    questions
        .iter()
        .map(|q| match ix.column(q) {
            Some((i, c)) if matches!(c.kind, ColumnKind::Text { .. }) => Ok(i),
            Some(_) => Err(Error::BadRequest(format!(
                "'{q}' is not a free-text question"
            ))),
            None => Err(Error::BadRequest(format!(
                "this form has no question '{q}'"
            ))),
        })
        .collect()
}

/// What a text answer must have to be listed.
struct CodeFilter {
    /// Per column: mask of the themes asked for (0 = none of them apply).
    themes: Option<Vec<u32>>,
    /// Sentiment codes 0..=3 allowed.
    labels: Option<[bool; 4]>,
    /// Flags ([`record::MIXED`], [`record::ACTIONABLE`]) that must be set
    /// (true) or clear (false).
    flags: Vec<(u8, bool)>,
    /// Read the automatic label and themes where an analyst coded.
    blind: bool,
}

impl CodeFilter {
    fn compile(
        ix: &FormIndex,
        cols: &[usize],
        themes: &[String],
        labels: &[String],
    ) -> Result<CodeFilter> {
        let themes = if themes.is_empty() {
            None
        } else {
            let mut masks = vec![0u32; ix.columns.len()];
            for t in themes {
                let mut known = false;
                for &c in cols {
                    let col = &ix.columns[c];
                    if let (ColumnKind::Text { coded: true }, Some(b @ 1..=32)) =
                        (&col.kind, col.dict.code(t))
                    {
                        masks[c] |= 1 << (b - 1);
                        known = true;
                    }
                }
                if !known {
                    return Err(Error::BadRequest(format!(
                        "'{t}' is not a theme of this form's codebook"
                    )));
                }
            }
            Some(masks)
        };
        let labels = if labels.is_empty() {
            None
        } else {
            let mut ok = [false; 4];
            for l in labels {
                let i = SENTIMENT_LABELS
                    .iter()
                    .position(|x| x.as_str() == l)
                    .ok_or_else(|| {
                        Error::BadRequest(format!(
                            "sentiment '{l}' must be positive, neutral or negative"
                        ))
                    })?;
                ok[i + 1] = true;
            }
            Some(ok)
        };
        Ok(CodeFilter {
            themes,
            labels,
            flags: Vec::new(),
            blind: false,
        })
    }

    /// Whether the answer in (`row`, `col`) is listed.
    fn pass(&self, ix: &FormIndex, row: usize, col: usize) -> bool {
        let c = &ix.columns[col];
        let auto = self
            .blind
            .then(|| ix.overrides.get(&(row as u32, col as u16)))
            .flatten();
        let label = auto.map_or(c.codes[row], |o| o.auto_label) as usize;
        let mask = auto.map_or_else(|| c.masks.get(row).copied(), |o| Some(o.auto_mask));
        // Code 0: no text answer in this row.
        label != 0
            && self.labels.is_none_or(|ok| ok[label.min(3)])
            && self
                .themes
                .as_ref()
                .is_none_or(|m| m[col] != 0 && mask.is_some_and(|x| x & m[col] != 0))
            && self
                .flags
                .iter()
                .all(|&(bit, want)| (c.flags.get(row).copied().unwrap_or(0) & bit != 0) == want)
    }
}
