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

impl Shown {
    /// Cells and sizes shown; a row is complete where all of it is.
    fn new(cell: Vec<Vec<bool>>, n: Vec<bool>) -> Shown {
        let row_complete = cell
            .iter()
            .zip(&n)
            .map(|(r, &ok)| ok && r.iter().all(|&b| b))
            .collect();
        Shown {
            cell,
            n,
            row_complete,
        }
    }

    /// Nothing shown of `groups` groups of `width` slots.
    fn none(groups: usize, width: usize) -> Shown {
        Shown::new(vec![vec![false; width]; groups], vec![false; groups])
    }
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
        return Shown::none(groups, width);
    };
    let cell: Vec<Vec<bool>> = (0..groups)
        .map(|g| (0..width).map(|s| p.values[g][s].is_some()).collect())
        .collect();
    let n_shown: Vec<bool> = (0..groups)
        .map(|g| p.values[g][width].is_some() && n[g] >= u64::from(min_cell))
        .collect();
    Shown::new(cell, n_shown)
}

/// A table's entries among linked counts: [group][slot], its size last.
type Entries = Vec<Vec<usize>>;

/// [`suppression`] for public output grouped by one dimension or two. Such
/// a table is published beside the table grouped by none (and, grouped two
/// ways, beside those grouped by each of its dimensions), whose counts and
/// group sizes are sums of its own: a cell or a size hidden here could be
/// worked out from its neighbours and the coarser count they add up to,
/// and a count hidden in a coarser table from the cells that add up to it.
/// So they are suppressed as linked tables: the coarser ones as their own
/// queries suppress them (never changed here), and this table's cells and
/// group sizes so that no hidden count of any of them can be worked out
/// from what all of them show. Group sizes are counts of their own (a
/// multiple choice's ticks add up to more than its respondents).
///
/// `live` are the groups counted (for two dimensions `a * cards[1] + b`),
/// `counts` and `n` theirs, in that order.
pub(super) fn suppression_linked(
    counts: &[Vec<u64>],
    n: &[u64],
    live: &[usize],
    cards: &[usize],
    min_cell: u32,
    kind: &ColumnKind,
) -> Shown {
    use analysis::suppress::Status;
    let width = counts.first().map_or(0, Vec::len);
    if live.is_empty() {
        return Shown::none(0, width);
    }
    // Each group's code in each dimension.
    let coords: Vec<Vec<usize>> = live
        .iter()
        .map(|&g| {
            let mut rest = g;
            let mut out = vec![0; cards.len()];
            for i in (0..cards.len()).rev() {
                out[i] = rest % cards[i].max(1);
                rest /= cards[i].max(1);
            }
            out
        })
        .collect();
    // A coarser table, as its own query counts it: its groups (those with
    // anyone in them, in code order), their counts and sizes, and the
    // group each of this table's groups falls in.
    struct Coarser {
        live: Vec<usize>,
        card: usize,
        counts: Vec<Vec<u64>>,
        n: Vec<u64>,
        of: Vec<usize>,
    }
    let coarser = |code: &dyn Fn(usize) -> usize, card: usize| {
        let mut sums = vec![vec![0u64; width]; card];
        let mut sizes = vec![0u64; card];
        for gi in 0..live.len() {
            let m = code(gi);
            sums[m]
                .iter_mut()
                .zip(&counts[gi])
                .for_each(|(s, c)| *s += c);
            sizes[m] += n[gi];
        }
        let keep: Vec<usize> = (0..card).filter(|&m| sizes[m] > 0).collect();
        let mut index = vec![usize::MAX; card];
        keep.iter().enumerate().for_each(|(i, &m)| index[m] = i);
        Coarser {
            card,
            counts: keep.iter().map(|&m| sums[m].clone()).collect(),
            n: keep.iter().map(|&m| sizes[m]).collect(),
            of: (0..live.len()).map(|gi| index[code(gi)]).collect(),
            live: keep,
        }
    };
    let mut tables: Vec<Coarser> = Vec::new();
    if cards.len() == 2 {
        for d in 0..2 {
            tables.push(coarser(&|gi| coords[gi][d], cards[d].max(1)));
        }
    }
    tables.push(coarser(&|_| 0, 1));

    let mut values: Vec<u64> = Vec::new();
    let mut is_total: Vec<bool> = Vec::new();
    let mut given: Vec<Option<Status>> = Vec::new();
    // A table's entries, [group][slot], the group's size at `width`; with
    // the statuses its own query gives them, if it is a coarser one.
    let mut entries = |counts: &[Vec<u64>], sizes: &[u64], shown: Option<&Shown>| {
        counts
            .iter()
            .zip(sizes)
            .enumerate()
            .map(|(g, (row, &size))| {
                let mut ids = Vec::with_capacity(width + 1);
                for (slot, &v) in row.iter().chain([&size]).enumerate() {
                    values.push(v);
                    is_total.push(slot == width);
                    given.push(shown.map(|sh| {
                        let shown = if slot == width {
                            sh.n[g]
                        } else {
                            sh.cell[g][slot]
                        };
                        if shown {
                            Status::Shown
                        } else {
                            Status::Secondary
                        }
                    }));
                    ids.push(values.len() - 1);
                }
                ids
            })
            .collect::<Entries>()
    };
    let own = entries(counts, n, None);
    let theirs: Vec<Entries> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // As their own queries suppress them: grouped by one dimension
            // (linked to the table grouped by none), or by none.
            let shown = if i + 1 < tables.len() {
                suppression_linked(&t.counts, &t.n, &t.live, &[t.card], min_cell, kind)
            } else {
                suppression(&t.counts, &t.n, true, min_cell, kind)
            };
            entries(&t.counts, &t.n, Some(&shown))
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
        for ids in own.iter().chain(theirs.iter().flatten()) {
            let mut line = ids[..partition].to_vec();
            line.push(ids[width]);
            lines.push(line);
        }
    }
    // Groups add up to the coarser group that holds them, slot by slot and
    // size too: this table's into each coarser table's, and grouped two
    // ways, each one-way table's into the table grouped by none.
    let whole = theirs.len() - 1;
    let mut links: Vec<(&Entries, &Entries, Vec<usize>)> = tables
        .iter()
        .zip(&theirs)
        .map(|(t, ids)| (&own, ids, t.of.clone()))
        .collect();
    for ids in &theirs[..whole] {
        links.push((ids, &theirs[whole], vec![0; ids.len()]));
    }
    for (finer, coarse, of) in links {
        for (c, total) in coarse.iter().enumerate() {
            for slot in 0..=width {
                let mut line: Vec<usize> = finer
                    .iter()
                    .zip(&of)
                    .filter(|(_, &o)| o == c)
                    .map(|(ids, _)| ids[slot])
                    .collect();
                line.push(total[slot]);
                lines.push(line);
            }
        }
    }
    let linked = analysis::Linked {
        values,
        lines,
        is_total,
        given,
    };
    let Ok(status) = linked.suppress_below(u64::from(min_cell)) else {
        return Shown::none(live.len(), width);
    };
    let is_shown = |k: usize| status[k] == Status::Shown;
    let cell: Vec<Vec<bool>> = own
        .iter()
        .map(|ids| ids[..width].iter().map(|&k| is_shown(k)).collect())
        .collect();
    let n_shown: Vec<bool> = own.iter().map(|ids| is_shown(ids[width])).collect();
    Shown::new(cell, n_shown)
}
