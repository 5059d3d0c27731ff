//! How well the automatic codes agree with the analysts', counted from the
//! answer index: it keeps the automatic codes of every answer an analyst
//! coded beside the analyst's, so the comparison needs no store reads.
//!
//! ```text
//! questions + answers whose label an analyst set ─► text columns ─► overrides ─► QuestionCounts[]
//! ```
//!
//! Kappa and the 2×2 counts come from [`analysis::agreement`]; wording the
//! report is the caller's.

use super::form_index::{ColumnKind, FormIndex, Override};
use super::text::text_columns;
use crate::error::Result;
use crate::model::ResponseId;
use analysis::agreement::Agreement;
use std::collections::HashSet;

/// Agreement on one theme over the answers coded by hand.
#[derive(Debug)]
pub struct ThemeCounts {
    /// Theme id.
    pub theme: String,
    /// The automatic against the manual codes.
    pub agreement: Agreement,
}

/// Sentiment labels over the answers whose label an analyst set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelCounts {
    /// Answers compared.
    pub n: u64,
    /// Of which the automatic label was the same.
    pub agreed: u64,
    /// Counts in [`super::form_index::SENTIMENT_LABELS`] order: rows are
    /// the automatic label, columns the analyst's.
    pub table: Vec<Vec<u64>>,
}

/// Agreement for one free-text question.
#[derive(Debug)]
pub struct QuestionCounts {
    /// Question id.
    pub question: String,
    /// Answers coded by hand.
    pub n: u64,
    /// One entry per theme of the codebook, in codebook order (none when
    /// the question is not coded).
    pub themes: Vec<ThemeCounts>,
    /// Sentiment labels.
    pub labels: LabelCounts,
}

/// Agreement for each text question asked about (every one when
/// `questions` is empty). `labelled` holds the answers whose sentiment an
/// analyst set, as the stored codes say: the index does not know whether a
/// manual label was chosen or kept from the automatic one.
pub fn counts(
    ix: &FormIndex,
    questions: &[String],
    labelled: &HashSet<(ResponseId, String)>,
) -> Result<Vec<QuestionCounts>> {
    let cols = text_columns(ix, questions)?;
    Ok(cols
        .into_iter()
        .map(|col| question(ix, col, labelled))
        .collect())
}

fn question(
    ix: &FormIndex,
    col: usize,
    labelled: &HashSet<(ResponseId, String)>,
) -> QuestionCounts {
    let c = &ix.columns[col];
    let overrides: Vec<(u32, &Override)> = ix
        .overrides
        .iter()
        .filter(|((_, oc), _)| *oc as usize == col)
        .map(|((row, _), o)| (*row, o))
        .collect();
    let n = overrides.len() as u64;
    let themes = if matches!(c.kind, ColumnKind::Text { coded: true }) {
        (1..=c.dict.len().min(32) as u32)
            .filter_map(|code| {
                let name = c.dict.name(code)?;
                let bit = 1u32 << (code - 1);
                let agreement = Agreement::from_pairs(
                    overrides
                        .iter()
                        .map(|(_, o)| (o.auto_mask & bit != 0, o.manual_mask & bit != 0)),
                );
                Some(ThemeCounts {
                    theme: name.to_owned(),
                    agreement,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut table = vec![vec![0u64; 3]; 3];
    for (row, o) in &overrides {
        let row = *row as usize;
        let id = ResponseId {
            ms: ix.ms[row],
            seq: ix.seq[row],
        };
        if !labelled.contains(&(id, c.id.clone())) {
            continue;
        }
        if let (1..=3, 1..=3) = (o.auto_label, o.manual_label) {
            table[o.auto_label as usize - 1][o.manual_label as usize - 1] += 1;
        }
    }
    let labelled_n: u64 = table.iter().flatten().sum();
    let agreed: u64 = (0..3).map(|i| table[i][i]).sum();
    QuestionCounts {
        question: c.id.clone(),
        n,
        themes,
        labels: LabelCounts {
            n: labelled_n,
            agreed,
            table,
        },
    }
}
