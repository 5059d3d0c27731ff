//! Small-cell suppression for output shared beyond analysts: which counts
//! may be shown so that no hidden one can be worked out from the others.

use crate::index::form_index::ColumnKind;
use analysis::Table;

pub(super) struct Shown {
    /// cell[group][slot]
    pub(super) cell: Vec<Vec<bool>>,
    /// Whether the group's size is shown.
    pub(super) n: Vec<bool>,
    /// Whether every slot of the group is shown (so derived figures such as
    /// a mean cannot reveal a hidden count).
    pub(super) row_complete: Vec<bool>,
}

/// Which counts may be published. For analysts, all; for public output,
/// cells under `min_cell` are hidden and then enough others that no hidden
/// count can be worked out from the group sizes (row totals) or from the
/// all-groups counts another query would give (column totals).
pub(super) fn suppression(
    counts: &[Vec<u64>],
    n: &[u64],
    public: bool,
    min_cell: u32,
    kind: &ColumnKind,
) -> Shown {
    let groups = counts.len();
    let width = counts.first().map_or(0, Vec::len);
    if !public {
        return Shown {
            cell: vec![vec![true; width]; groups],
            n: vec![true; groups],
            row_complete: vec![true; groups],
        };
    }
    // Slots of multiple-choice and text questions overlap (one response in
    // several), so their row totals are the group sizes only for the
    // skipped-or-not split; protect them cell by cell as well as by row.
    let _ = kind;
    let table = Table {
        cells: counts.to_vec(),
        row_totals: true,
        column_totals: true,
    };
    let Ok(p) = table.suppress_below(u64::from(min_cell)) else {
        // Rows always have one width here; hide everything if not.
        return Shown {
            cell: vec![vec![false; width]; groups],
            n: vec![false; groups],
            row_complete: vec![false; groups],
        };
    };
    let cell: Vec<Vec<bool>> = (0..groups)
        .map(|g| (0..width).map(|s| p.values[g][s].is_some()).collect())
        .collect();
    let n_shown: Vec<bool> = (0..groups)
        .map(|g| p.values[g][width].is_some() && n[g] >= u64::from(min_cell))
        .collect();
    let row_complete = cell
        .iter()
        .zip(&n_shown)
        .map(|(r, &ok)| ok && r.iter().all(|&b| b))
        .collect();
    Shown {
        cell,
        n: n_shown,
        row_complete,
    }
}
