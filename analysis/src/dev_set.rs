//! The development comments the shipped models learn from: the frozen
//! evaluation set's `dev` part (`analysis/eval/comments.tsv`; its `test`
//! part is never read here) and the extra development comments written
//! after it was frozen (`analysis/eval/train.tsv`), compiled in.

use crate::sentiment::Label;

/// The frozen evaluation set; only its `dev` rows are read.
const EVAL_SET: &str = include_str!("../eval/comments.tsv");

/// Extra development comments (`analysis/eval/train.tsv`, see its README).
const TRAIN_SET: &str = include_str!("../eval/train.tsv");

/// One hand-labelled development comment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub(crate) text: &'static str,
    /// The form it answers, e.g. `victim-satisfaction` (read by tests that
    /// look at one form's comments).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) form: &'static str,
    pub(crate) label: Label,
    /// Whether it holds a clearly good and a clearly bad part.
    pub(crate) mixed: bool,
}

/// Every development comment: the frozen set's `dev` part, then the
/// extra ones.
pub(crate) fn rows() -> Vec<Row> {
    let frozen = EVAL_SET.lines().skip(1).filter_map(|line| {
        let f: Vec<&str> = line.split('\t').collect();
        (f.len() == 9 && f[1] == "dev").then_some(())?;
        row(f[8], f[2], f[4], f[5])
    });
    let extra = TRAIN_SET.lines().skip(1).filter_map(|line| {
        let f: Vec<&str> = line.split('\t').collect();
        (f.len() == 8).then_some(())?;
        row(f[7], f[1], f[3], f[4])
    });
    frozen.chain(extra).collect()
}

fn row(text: &'static str, form: &'static str, label: &str, mixed: &str) -> Option<Row> {
    Some(Row {
        text,
        form,
        label: Label::parse(label)?,
        mixed: mixed == "1",
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn holds_the_dev_part_and_the_extra_comments() {
        let rows = super::rows();
        assert_eq!(rows.len(), 376 + 802);
        assert_eq!(rows.iter().filter(|r| r.mixed).count(), 57);
        let dev = super::EVAL_SET
            .lines()
            .filter(|l| l.split('\t').nth(1) == Some("dev"))
            .count();
        assert_eq!(dev, 376);
    }
}
