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

/// [`suppression`] for public output grouped two ways. Such a table is
/// published beside the tables grouped by each of its dimensions and by
/// none, and their counts are sums of its own: a cell hidden here could be
/// worked out from a row of its neighbours and the one-way count they add
/// up to, and a count hidden in a one-way table from the cells that add up
/// to it. So the four are suppressed as linked tables: the one-way tables
/// as their own queries suppress them (never changed here), and this
/// table's cells and group sizes so that no hidden count of any of the
/// four can be worked out from what all four show.
///
/// `live` are the groups counted (`a * cards[1] + b`), `counts` and `n`
/// theirs, in that order.
pub(super) fn suppression_two_way(
    counts: &[Vec<u64>],
    n: &[u64],
    live: &[usize],
    cards: [usize; 2],
    min_cell: u32,
    kind: &ColumnKind,
) -> Shown {
    let width = counts.first().map_or(0, Vec::len);
    if live.is_empty() {
        return Shown {
            cell: Vec::new(),
            n: Vec::new(),
            row_complete: Vec::new(),
        };
    }
    let cb = cards[1].max(1);
    let dims = [
        live.iter().map(|&g| g / cb).collect::<Vec<_>>(),
        live.iter().map(|&g| g % cb).collect::<Vec<_>>(),
    ];
    // A one-way table: its live groups, counts and sizes, as `by` that
    // dimension alone counts them (the all-groups table too: one group).
    struct Margin {
        of: Vec<usize>,
        counts: Vec<Vec<u64>>,
        n: Vec<u64>,
    }
    let margin = |of_group: &dyn Fn(usize) -> usize, card: usize| {
        let mut sums = vec![vec![0u64; width]; card];
        let mut sizes = vec![0u64; card];
        for gi in 0..live.len() {
            let m = of_group(gi);
            sums[m]
                .iter_mut()
                .zip(&counts[gi])
                .for_each(|(s, c)| *s += c);
            sizes[m] += n[gi];
        }
        let keep: Vec<usize> = (0..card).filter(|&m| sizes[m] > 0).collect();
        let index: Vec<usize> = {
            let mut index = vec![usize::MAX; card];
            keep.iter().enumerate().for_each(|(i, &m)| index[m] = i);
            index
        };
        Margin {
            of: (0..live.len()).map(|gi| index[of_group(gi)]).collect(),
            counts: keep.iter().map(|&m| sums[m].clone()).collect(),
            n: keep.iter().map(|&m| sizes[m]).collect(),
        }
    };
    let margins = [
        margin(&|gi| dims[0][gi], cards[0].max(1)),
        margin(&|gi| dims[1][gi], cb),
        margin(&|_| 0, 1),
    ];

    let mut values: Vec<u64> = Vec::new();
    let mut is_total: Vec<bool> = Vec::new();
    let mut given: Vec<Option<analysis::suppress::Status>> = Vec::new();
    let mut add = |v: u64, total: bool, g: Option<bool>| {
        values.push(v);
        is_total.push(total);
        given.push(g.map(|shown| {
            if shown {
                analysis::suppress::Status::Shown
            } else {
                analysis::suppress::Status::Secondary
            }
        }));
        values.len() - 1
    };
    // Each table's entries: [group][slot], the group's size at `width`.
    let table = |add: &mut dyn FnMut(u64, bool, Option<bool>) -> usize,
                 counts: &[Vec<u64>],
                 sizes: &[u64],
                 shown: Option<&Shown>|
     -> Vec<Vec<usize>> {
        counts
            .iter()
            .zip(sizes)
            .enumerate()
            .map(|(g, (row, &size))| {
                let mut ids: Vec<usize> = row
                    .iter()
                    .enumerate()
                    .map(|(s, &v)| add(v, false, shown.map(|sh| sh.cell[g][s])))
                    .collect();
                ids.push(add(size, true, shown.map(|sh| sh.n[g])));
                ids
            })
            .collect()
    };
    let own = table(&mut add, counts, n, None);
    let others: Vec<Vec<Vec<usize>>> = margins
        .iter()
        .map(|m| {
            let shown = suppression(&m.counts, &m.n, true, min_cell, kind);
            table(&mut add, &m.counts, &m.n, Some(&shown))
        })
        .collect();

    let mut lines: Vec<Vec<usize>> = Vec::new();
    // The slots that partition a group add up to its size, in every table:
    // all of them but for a multiple choice (whose options overlap: only
    // the skipped and the answered, which is not published, make it up)
    // and free text (skipped and the three sentiment labels; themes
    // overlap).
    let partition = match kind {
        ColumnKind::Multi => 0,
        ColumnKind::Text { .. } => 4.min(width),
        _ => width,
    };
    if partition > 0 {
        for t in std::iter::once(&own).chain(&others) {
            for ids in t {
                let mut line = ids[..partition].to_vec();
                line.push(ids[width]);
                lines.push(line);
            }
        }
    }
    // Groups add up to the group of a coarser table that holds them, slot
    // by slot and size too: this table's into each one-way table's, and
    // each one-way table's into the all-groups one.
    for slot in 0..=width {
        for (m, margin) in margins[..2].iter().enumerate() {
            for (i, total) in others[m].iter().enumerate() {
                let mut line: Vec<usize> = (0..live.len())
                    .filter(|&gi| margin.of[gi] == i)
                    .map(|gi| own[gi][slot])
                    .collect();
                line.push(total[slot]);
                lines.push(line);
            }
            let mut line: Vec<usize> = others[m].iter().map(|row| row[slot]).collect();
            line.push(others[2][0][slot]);
            lines.push(line);
        }
    }
    let linked = analysis::Linked {
        values,
        lines,
        is_total,
        given,
    };
    let Ok(status) = linked.suppress_below(u64::from(min_cell)) else {
        return Shown {
            cell: vec![vec![false; width]; live.len()],
            n: vec![false; live.len()],
            row_complete: vec![false; live.len()],
        };
    };
    let is_shown = |k: usize| status[k] == analysis::suppress::Status::Shown;
    let cell: Vec<Vec<bool>> = own
        .iter()
        .map(|ids| ids[..width].iter().map(|&k| is_shown(k)).collect())
        .collect();
    let n_shown: Vec<bool> = own
        .iter()
        .zip(n)
        .map(|(ids, &size)| is_shown(ids[width]) && size >= u64::from(min_cell))
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
