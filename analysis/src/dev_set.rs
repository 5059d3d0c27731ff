//! The development comments the shipped models learn from: the frozen
//! evaluation set's `dev` part (`analysis/eval/comments.tsv`; its `test`
//! part is never read here) and the extra development comments written
//! after it was frozen (`analysis/eval/train.tsv`), compiled in.

use crate::sentiment::{Label, Scorer};
use std::sync::{Arc, OnceLock};

/// The frozen evaluation set; only its `dev` rows are read.
const EVAL_SET: &str = include_str!("../eval/comments.tsv");

/// Extra development comments (`analysis/eval/train.tsv`, see its README).
const TRAIN_SET: &str = include_str!("../eval/train.tsv");

/// One hand-labelled development comment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub(crate) text: &'static str,
    /// The form it answers, e.g. `victim-satisfaction`.
    pub(crate) form: &'static str,
    pub(crate) label: Label,
    /// Whether it holds a clearly good and a clearly bad part.
    pub(crate) mixed: bool,
    /// Whether it asks for something.
    pub(crate) actionable: bool,
    /// Its themes, `;`-separated theme ids of its form's codebook.
    pub(crate) themes: &'static str,
}

/// The extra comments the label and mixed models learn from: rows 1 to
/// 802 of `train.tsv`, those the models' features and settings were
/// chosen on. Rows 803 onwards (written later, see the eval README) are
/// left out here: trained on them too, the label model scored 55.35% on
/// VADER's own ground truth, 5.4 points under plain VADER's 60.72% and
/// under it on the review sentences (Amazon 51.65% against 56.53%), the
/// bound the label is held to (`tests/vader_reference.rs`), and neither a
/// stronger lexicon prior (up to 10), more regularisation (up to 0.3),
/// fewer features nor a margin before it overrules the lexicon kept it
/// within a point without losing what it gains on policing comments
/// (5-fold on the development rows). The mixed model keeps the same rows:
/// trained on all of them it no longer found "The officer who came was
/// lovely but I never heard another word" mixed, the turn without a
/// negative word it is there for. The later rows serve the codebooks and
/// the theme models.
pub(crate) const LABEL_ROWS: usize = crate::sentiment_model::EXTRA_ROWS;

/// The development comments the label and mixed models learn from: the
/// frozen set's `dev` part, then the first [`LABEL_ROWS`] extra ones.
pub(crate) fn rows() -> Vec<Row> {
    rows_with(LABEL_ROWS)
}

/// Every development comment: the frozen set's `dev` part, then all the
/// extra ones (what the shipped theme model learns from).
pub(crate) fn all_rows() -> Vec<Row> {
    rows_with(usize::MAX)
}

/// The frozen set's `dev` part, then the first `extra` extra comments.
fn rows_with(extra: usize) -> Vec<Row> {
    let frozen = EVAL_SET.lines().skip(1).filter_map(|line| {
        let f: Vec<&str> = line.split('\t').collect();
        (f.len() == 9 && f[1] == "dev").then_some(())?;
        row(&f[2..])
    });
    let extra = TRAIN_SET.lines().skip(1).take(extra).filter_map(|line| {
        let f: Vec<&str> = line.split('\t').collect();
        (f.len() == 8).then_some(())?;
        row(&f[1..])
    });
    frozen.chain(extra).collect()
}

/// A row from its last seven columns: form, respondent, sentiment, mixed,
/// actionable, themes and text.
fn row(f: &[&'static str]) -> Option<Row> {
    Some(Row {
        text: f[6],
        form: f[0],
        label: Label::parse(f[2])?,
        mixed: f[3] == "1",
        actionable: f[4] == "1",
        themes: f[5],
    })
}

/// A model trained on the development comments with `scorer`'s readings:
/// where that is the policing layer's scorer ([`Scorer::new`]), the one
/// in `shared`, trained once per process; else trained anew for it.
pub(crate) fn for_scorer<T>(
    shared: &'static OnceLock<Arc<T>>,
    scorer: &Scorer,
    train: impl Fn(&Scorer) -> T,
) -> Arc<T> {
    let layered = Scorer::new();
    if scorer.version() == layered.version() {
        shared.get_or_init(|| Arc::new(train(&layered))).clone()
    } else {
        Arc::new(train(scorer))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn holds_the_dev_part_and_the_extra_comments() {
        let rows = super::rows();
        assert_eq!(rows.len(), 376 + 802);
        assert_eq!(rows.iter().filter(|r| r.mixed).count(), 57);
        let all = super::all_rows();
        assert_eq!(all.len(), 376 + 9226);
        assert_eq!(
            all[..rows.len()].iter().map(|r| r.text).collect::<Vec<_>>(),
            rows.iter().map(|r| r.text).collect::<Vec<_>>()
        );
        let themed = all.iter().filter(|r| !r.themes.is_empty()).count();
        assert!(themed > 1_400, "{themed} comments with a theme");
        assert!(all
            .iter()
            .flat_map(|r| r.themes.split(';'))
            .all(|t| t.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
        let dev = super::EVAL_SET
            .lines()
            .filter(|l| l.split('\t').nth(1) == Some("dev"))
            .count();
        assert_eq!(dev, 376);
    }
}
