//! Small-cell suppression for tables shared beyond analysts.
//!
//! Primary suppression hides every published count under the threshold
//! (default 10), totals included. Secondary suppression then stops those
//! counts being worked back out from what is still shown: each published
//! total is the sum of its row or column, so a row with one hidden cell
//! gives it away by subtraction, and so can a chain of rows and columns
//! whose equations combine. The table's totals define linear equations;
//! a hidden count is disclosed exactly when it is a linear consequence of
//! the shown ones (checked by elimination), or when the hidden counts of a
//! line must all be 0 because the shown ones already make up its total.
//! While some hidden count is disclosed, the smallest shown count on its
//! row or column (cells before totals) is hidden too, and the check runs
//! again until nothing is disclosed.
//!
//! Tables published together whose counts are sums of one another's (a
//! table grouped two ways beside the tables grouped by each dimension and
//! by none) are suppressed as one set of counts and sums ([`Linked`]):
//! those of the other tables as their own suppression left them, the rest
//! so that nothing hidden in any of them can be worked out from all.
//!
//! Totals are taken as the sums of their cells, so a table must partition
//! its respondents (a single-choice question, or one option of a multiple
//! choice counted as chose / did not choose). Suppression stops exact
//! recovery; it does not stop narrow bounds from non-negativity in every
//! case, which is why the threshold itself should stay conservative.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Counts under this are hidden unless a caller chooses another threshold.
pub const DEFAULT_THRESHOLD: u64 = 10;

/// A table of counts, with the totals that will be published beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Counts by row, then column; every row has the same length.
    pub cells: Vec<Vec<u64>>,
    /// Whether each row's total is published (a last column).
    pub row_totals: bool,
    /// Whether each column's total is published (a last row).
    pub column_totals: bool,
}

/// Whether a count is shown, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Published.
    Shown,
    /// Hidden: under the threshold.
    Primary,
    /// Hidden: it would have let a hidden count be worked out.
    Secondary,
}

/// A table after suppression, with its totals laid out as an extra last
/// column (row totals) and an extra last row (column totals); the corner is
/// the grand total when both are published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protected {
    /// The counts as published: `None` where hidden.
    pub values: Vec<Vec<Option<u64>>>,
    /// Why each count is shown or hidden, in the same layout.
    pub status: Vec<Vec<Status>>,
}

impl Table {
    /// A one-way table: one row of counts with its total.
    pub fn one_way(counts: Vec<u64>) -> Table {
        Table {
            cells: vec![counts],
            row_totals: true,
            column_totals: false,
        }
    }

    /// A two-way table with row, column and grand totals.
    pub fn two_way(cells: Vec<Vec<u64>>) -> Table {
        Table {
            cells,
            row_totals: true,
            column_totals: true,
        }
    }

    /// Suppresses with the [`DEFAULT_THRESHOLD`].
    pub fn suppress(&self) -> Result<Protected> {
        self.suppress_below(DEFAULT_THRESHOLD)
    }

    /// Suppresses every count under `threshold`, then whatever else is
    /// needed so no hidden count can be recovered exactly.
    /// Fails only when the rows differ in length.
    pub fn suppress_below(&self, threshold: u64) -> Result<Protected> {
        let (grid, rows, cols) = Grid::new(self)?;
        let status = grid.suppress_below(threshold);
        Ok(Protected {
            values: (0..rows)
                .map(|r| {
                    (0..cols)
                        .map(|c| {
                            let k = r * cols + c;
                            (status[k] == Status::Shown).then_some(grid.values[k])
                        })
                        .collect()
                })
                .collect(),
            status: status.chunks(cols.max(1)).map(<[Status]>::to_vec).collect(),
        })
    }
}

/// Counts tied by sums across tables published together, some of them
/// already decided by their own tables: a table grouped two ways beside
/// the tables grouped by each of its dimensions and by none, whose counts
/// are sums of its cells (linked tables). Suppression decides the rest so
/// that no hidden count of any of them can be worked out from all that is
/// shown; counts the given ones give away among themselves, whatever this
/// table hides, are left to their own tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// Every count.
    pub values: Vec<u64>,
    /// Each sum as the indices of its parts, its total last.
    pub lines: Vec<Vec<usize>>,
    /// Which counts are totals (hidden only when nothing else will do).
    pub is_total: Vec<bool>,
    /// The status of each count decided by its own table, or `None` for
    /// those decided here.
    pub given: Vec<Option<Status>>,
}

impl Linked {
    /// Hides every count decided here that is under `threshold`, then
    /// whatever else of those is needed so that no hidden count can be
    /// recovered exactly; each count's status. Fails when the lists differ
    /// in length or a line names a count that is not there.
    pub fn suppress_below(&self, threshold: u64) -> Result<Vec<Status>> {
        let n = self.values.len();
        if self.is_total.len() != n
            || self.given.len() != n
            || self.lines.iter().flatten().any(|&k| k >= n)
            || self.lines.iter().any(|l| l.len() < 2)
        {
            return Err(Error::Table(
                "linked counts, their lines and statuses disagree".into(),
            ));
        }
        let grid = Grid {
            values: self.values.clone(),
            is_total: self.is_total.clone(),
            lines: self.lines.clone(),
            given: self.given.clone(),
            on: lines_on(&self.lines, n),
        };
        Ok(grid.suppress_below(threshold))
    }
}

/// Counts (a table with its totals as one row-major grid, or linked
/// tables) and the lines (sums whose last entry is the total of the
/// others) that tie them together.
struct Grid {
    values: Vec<u64>,
    /// Whether an entry is a total (hidden only when nothing else will do).
    is_total: Vec<bool>,
    /// Each line as entry indices; the last one is the total.
    lines: Vec<Vec<usize>>,
    /// Statuses decided elsewhere (never changed here).
    given: Vec<Option<Status>>,
    /// The lines through each entry.
    on: Vec<Vec<usize>>,
}

/// The lines through each of `n` entries.
fn lines_on(lines: &[Vec<usize>], n: usize) -> Vec<Vec<usize>> {
    let mut on = vec![Vec::new(); n];
    for (l, line) in lines.iter().enumerate() {
        for &k in line {
            if on[k].last() != Some(&l) {
                on[k].push(l);
            }
        }
    }
    on
}

impl Grid {
    /// The grid of a table, with its rows and columns counted with totals.
    fn new(t: &Table) -> Result<(Grid, usize, usize)> {
        let r0 = t.cells.len();
        let c0 = t.cells.first().map_or(0, Vec::len);
        if t.cells.iter().any(|r| r.len() != c0) {
            return Err(Error::Table(
                "every row of a table must have the same length".into(),
            ));
        }
        let rows = r0 + usize::from(t.column_totals);
        let cols = c0 + usize::from(t.row_totals);
        let mut values = vec![0u64; rows * cols];
        let mut is_total = vec![false; rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                let k = r * cols + c;
                let rr: Vec<usize> = if r < r0 { vec![r] } else { (0..r0).collect() };
                let cc: Vec<usize> = if c < c0 { vec![c] } else { (0..c0).collect() };
                values[k] = rr
                    .iter()
                    .flat_map(|&i| cc.iter().map(move |&j| (i, j)))
                    .map(|(i, j)| t.cells[i][j])
                    .sum();
                is_total[k] = r >= r0 || c >= c0;
            }
        }
        let mut lines = Vec::new();
        if t.row_totals {
            lines.extend((0..rows).map(|r| (0..cols).map(|c| r * cols + c).collect()));
        }
        if t.column_totals {
            lines.extend((0..cols).map(|c| (0..rows).map(|r| r * cols + c).collect()));
        }
        let given = vec![None; values.len()];
        let on = lines_on(&lines, values.len());
        Ok((
            Grid {
                values,
                is_total,
                lines,
                given,
                on,
            },
            rows,
            cols,
        ))
    }

    /// Primary suppression of the entries decided here, then secondary
    /// until nothing is disclosed but what the given entries disclose
    /// among their own lines (the lines with no entry decided here).
    fn suppress_below(&self, threshold: u64) -> Vec<Status> {
        let mut status: Vec<Status> = self
            .values
            .iter()
            .zip(&self.given)
            .map(|(&v, given)| match given {
                Some(s) => *s,
                None if v < threshold => Status::Primary,
                None => Status::Shown,
            })
            .collect();
        if self.given.iter().all(Option::is_none) {
            // One table: one entry hidden at a time, the fewest hidden.
            while let Some(&k) = self.determined(&status, false).first() {
                match self.next_to_hide(k, &status, &[]) {
                    Some(j) => status[j] = Status::Secondary,
                    None => break, // everything around it is hidden already
                }
            }
            return status;
        }
        // Linked tables. What is given away whatever is hidden here: with
        // every entry decided here hidden, what the given ones pin down
        // (an entry decided here that equals a shown one among them too).
        let all_hidden: Vec<Status> = status
            .iter()
            .zip(&self.given)
            .map(|(&s, g)| if g.is_some() { s } else { Status::Secondary })
            .collect();
        let theirs: Vec<usize> = self.determined(&all_hidden, true);
        let mut pointless = vec![false; status.len()];
        theirs.iter().for_each(|&k| pointless[k] = true);
        // Larger, so each round protects every entry it finds disclosed
        // (one hide for each, unless an earlier hide of the round is on
        // one of its lines already), then looks again.
        loop {
            // Subtraction along lines finds most, cheaply; the elimination
            // is run only when it finds nothing.
            let mut found: Vec<usize> = self
                .differenced(&status)
                .into_iter()
                .filter(|&k| !pointless[k])
                .collect();
            if found.is_empty() {
                found = self
                    .determined(&status, true)
                    .into_iter()
                    .filter(|&k| !pointless[k])
                    .collect();
            }
            if found.is_empty() {
                break;
            }
            let mut hid_now = vec![false; status.len()];
            let mut changed = false;
            for k in found {
                let covered = self.on[k]
                    .iter()
                    .any(|&l| self.lines[l].iter().any(|&j| hid_now[j]));
                if covered {
                    continue;
                }
                if let Some(j) = self.next_to_hide(k, &status, &pointless) {
                    status[j] = Status::Secondary;
                    hid_now[j] = true;
                    changed = true;
                }
            }
            if !changed {
                break; // everything around them is hidden already
            }
        }
        status
    }

    /// The hidden entries recovered by subtraction alone: a line with one
    /// entry not known gives it, and what it gives feeds the next lines.
    fn differenced(&self, status: &[Status]) -> Vec<usize> {
        let mut known: Vec<bool> = status.iter().map(|s| *s == Status::Shown).collect();
        let mut out = Vec::new();
        loop {
            let before = out.len();
            for line in &self.lines {
                let mut unknown = line.iter().filter(|&&k| !known[k]);
                if let (Some(&k), None) = (unknown.next(), unknown.next()) {
                    known[k] = true;
                    out.push(k);
                }
            }
            if out.len() == before {
                return out;
            }
        }
    }

    /// The hidden entries that can be recovered exactly, zero-forced ones
    /// first; where `all` is false, only the zero-forced ones if there are
    /// any (the elimination is the dear part).
    fn determined(&self, status: &[Status], all: bool) -> Vec<usize> {
        let hidden: Vec<usize> = (0..status.len())
            .filter(|&k| status[k] != Status::Shown)
            .collect();
        let mut out = Vec::new();
        // Non-negativity: when a line's total is shown and its shown parts
        // already make it up, every hidden part must be 0.
        for line in &self.lines {
            let (&total, parts) = line.split_last().expect("a line has a total");
            if status[total] != Status::Shown {
                continue;
            }
            let hid: Vec<usize> = parts
                .iter()
                .copied()
                .filter(|&k| status[k] != Status::Shown)
                .collect();
            if !hid.is_empty() && hid.iter().all(|&k| self.values[k] == 0) {
                out.extend(hid);
            }
        }
        if !all && !out.is_empty() {
            return out;
        }
        // Linear disclosure: the equations restricted to the hidden
        // entries, in reduced row echelon form; an entry is determined when
        // its pivot row has no other non-zero.
        let mut col_of = vec![usize::MAX; status.len()];
        hidden.iter().enumerate().for_each(|(c, &k)| col_of[k] = c);
        let rows = self.lines.iter().map(|line| {
            let last = line.len() - 1;
            let mut row: Vec<(usize, f64)> = Vec::new();
            for (i, &k) in line.iter().enumerate() {
                let c = col_of[k];
                if c != usize::MAX {
                    row.push((c, if i == last { -1.0 } else { 1.0 }));
                }
            }
            row.sort_by_key(|&(c, _)| c);
            // An entry twice on a line (never, as built) adds up.
            row.dedup_by(|b, a| {
                if a.0 == b.0 {
                    a.1 += b.1;
                    true
                } else {
                    false
                }
            });
            row
        });
        let mut found: Vec<usize> = rref(rows, hidden.len())
            .into_iter()
            .filter(|row| row.len() == 1)
            .map(|row| hidden[row[0].0])
            .collect();
        // In the order a dense elimination finds them (by entry).
        found.sort_unstable();
        out.extend(found);
        out
    }

    /// The entry to hide so that `k` is no longer given away, from the
    /// shown entries on a line through `k`: cells before totals, then
    /// entries whose other line already has a hidden entry (hiding them
    /// closes a loop, the pattern that stops differencing with the fewest
    /// extra cells), then the smallest; never a 0 to protect a hidden 0.
    /// Failing all that, the smallest shown entry anywhere.
    /// Entries in `pointless` (given away whatever is hidden) are never
    /// chosen.
    fn next_to_hide(&self, k: usize, status: &[Status], pointless: &[bool]) -> Option<usize> {
        let shown = |j: &usize| {
            status[*j] == Status::Shown
                && self.given[*j].is_none()
                && !pointless.get(*j).copied().unwrap_or(false)
        };
        let hidden_on = |line: usize| self.lines[line].iter().any(|&i| status[i] != Status::Shown);
        let closes = |j: usize| {
            self.on[j]
                .iter()
                .any(|&l| !self.on[k].contains(&l) && hidden_on(l))
        };
        let key = |j: &usize| {
            (
                self.values[*j] == 0,
                self.is_total[*j],
                !closes(*j),
                self.values[*j],
                *j,
            )
        };
        let near = self.on[k]
            .iter()
            .flat_map(|&l| self.lines[l].iter().copied())
            .filter(shown)
            .min_by_key(key);
        near.or_else(|| (0..status.len()).filter(shown).min_by_key(key))
    }
}

const EPS: f64 = 1e-9;

/// A sparse row: (column, value) by column, no zeros.
type Row = Vec<(usize, f64)>;

/// `a - f * b`, dropping what cancels.
fn axpy(a: &Row, f: f64, b: &Row) -> Row {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let (c, v) = match (a.get(i), b.get(j)) {
            (Some(&(ca, va)), Some(&(cb, vb))) if ca == cb => {
                i += 1;
                j += 1;
                (ca, va - f * vb)
            }
            (Some(&(ca, va)), Some(&(cb, _))) if ca < cb => {
                i += 1;
                (ca, va)
            }
            (Some(&(ca, va)), None) => {
                i += 1;
                (ca, va)
            }
            (_, Some(&(cb, vb))) => {
                j += 1;
                (cb, -f * vb)
            }
            (None, None) => unreachable!(),
        };
        if v.abs() >= EPS {
            out.push((c, v));
        }
    }
    out
}

/// The reduced row echelon form of the sparse rows `rows` over `cols`
/// columns: a basis of their span in which each row's first entry is 1 and
/// no other row has an entry in that column. The equations are sparse (a
/// line touches a few entries of thousands), and so, mostly, stay their
/// combinations: built row by row, each reduced by the basis so far.
fn rref(rows: impl Iterator<Item = Row>, cols: usize) -> Vec<Row> {
    let mut basis: Vec<Row> = Vec::new();
    // The basis row whose pivot each column is.
    let mut pivot_row = vec![usize::MAX; cols];
    for mut row in rows {
        // Reduced by every pivot it touches (basis rows are 0 in one
        // another's pivot columns, so once each is enough).
        let pivots: Vec<(usize, f64)> = row
            .iter()
            .filter(|&&(c, _)| pivot_row[c] != usize::MAX)
            .copied()
            .collect();
        for (c, _) in pivots {
            let Ok(at) = row.binary_search_by_key(&c, |&(cc, _)| cc) else {
                continue;
            };
            let f = row[at].1;
            row = axpy(&row, f, &basis[pivot_row[c]]);
        }
        let Some(&(p, lead)) = row.first() else {
            continue;
        };
        row.iter_mut().for_each(|(_, v)| *v /= lead);
        // Its pivot cleared from the rows before.
        for b in basis.iter_mut() {
            if let Ok(at) = b.binary_search_by_key(&p, |&(cc, _)| cc) {
                let f = b[at].1;
                *b = axpy(b, f, &row);
            }
        }
        pivot_row[p] = basis.len();
        basis.push(row);
    }
    basis
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact rational arithmetic for the attacker, independent of the
    /// floating-point elimination above.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Q(i128, i128);

    impl Q {
        fn new(n: i128, d: i128) -> Q {
            fn gcd(a: i128, b: i128) -> i128 {
                if b == 0 {
                    a.abs()
                } else {
                    gcd(b, a % b)
                }
            }
            let g = gcd(n, d).max(1) * d.signum();
            Q(n / g, d / g)
        }
        fn sub(self, o: Q) -> Q {
            Q::new(self.0 * o.1 - o.0 * self.1, self.1 * o.1)
        }
        fn mul(self, o: Q) -> Q {
            Q::new(self.0 * o.0, self.1 * o.1)
        }
        fn div(self, o: Q) -> Q {
            Q::new(self.0 * o.1, self.1 * o.0)
        }
    }

    /// The published table as equations: one per row and column that shows
    /// a total, over every entry (cells and totals).
    fn equations(t: &Table, p: &Protected) -> Vec<Vec<(usize, usize)>> {
        let rows = p.values.len();
        let cols = p.values[0].len();
        let mut eqs = Vec::new();
        if t.row_totals {
            eqs.extend((0..rows).map(|r| (0..cols).map(|c| (r, c)).collect()));
        }
        if t.column_totals {
            eqs.extend((0..cols).map(|c| (0..rows).map(|r| (r, c)).collect()));
        }
        eqs
    }

    /// Differencing attack, repeated: any line with one unknown left gives
    /// it by subtraction; recovered values feed the next round.
    fn differencing(t: &Table, p: &Protected) -> Vec<(usize, usize, u64)> {
        let mut known = p.values.clone();
        let mut found = Vec::new();
        loop {
            let mut progress = false;
            for eq in equations(t, p) {
                let unknown: Vec<&(usize, usize)> =
                    eq.iter().filter(|(r, c)| known[*r][*c].is_none()).collect();
                if unknown.len() != 1 {
                    continue;
                }
                let (r, c) = *unknown[0];
                let (tr, tc) = *eq.last().unwrap();
                let parts: i128 = eq[..eq.len() - 1]
                    .iter()
                    .filter_map(|(a, b)| known[*a][*b])
                    .map(|v| v as i128)
                    .sum();
                let v = if (r, c) == (tr, tc) {
                    parts
                } else {
                    known[tr][tc].unwrap() as i128 - parts
                };
                known[r][c] = Some(v as u64);
                found.push((r, c, v as u64));
                progress = true;
            }
            if !progress {
                return found;
            }
        }
    }

    /// Full linear attack in exact arithmetic: which hidden entries the
    /// published equations pin down.
    fn linear_attack(t: &Table, p: &Protected) -> Vec<(usize, usize)> {
        let cols = p.values[0].len();
        let shown: Vec<bool> = p.values.iter().flatten().map(Option::is_some).collect();
        let lines: Vec<Vec<usize>> = equations(t, p)
            .iter()
            .map(|eq| eq.iter().map(|&(r, c)| r * cols + c).collect())
            .collect();
        pinned(&shown, &lines)
            .into_iter()
            .map(|k| (k / cols, k % cols))
            .collect()
    }

    fn assert_safe(t: &Table, p: &Protected) {
        assert_eq!(
            differencing(t, p),
            [],
            "differencing recovers hidden counts from {p:?}"
        );
        assert_eq!(
            linear_attack(t, p),
            [],
            "the totals' equations pin down hidden counts in {p:?}"
        );
        // Non-negativity: no line with a shown total has hidden parts that
        // the shown ones force to 0.
        for eq in equations(t, p) {
            let (&(tr, tc), parts) = eq.split_last().unwrap();
            let Some(total) = p.values[tr][tc] else {
                continue;
            };
            let shown: u64 = parts.iter().filter_map(|&(r, c)| p.values[r][c]).sum();
            let hidden = parts
                .iter()
                .filter(|&&(r, c)| p.values[r][c].is_none())
                .count();
            assert!(
                hidden == 0 || shown < total,
                "hidden parts forced to 0 in {p:?}"
            );
        }
        // Nothing under the threshold is shown.
        for row in &p.values {
            assert!(
                row.iter().flatten().all(|&v| v >= DEFAULT_THRESHOLD),
                "{p:?}"
            );
        }
    }

    fn hidden(p: &Protected) -> usize {
        p.values.iter().flatten().filter(|v| v.is_none()).count()
    }

    #[test]
    fn ragged_tables_are_refused() {
        let t = Table::two_way(vec![vec![20, 30], vec![40]]);
        assert!(matches!(t.suppress(), Err(Error::Table(_))));
        // An empty row has a total of 0, which is itself under the threshold.
        assert_eq!(Table::one_way(vec![]).suppress().unwrap().values, [[None]]);
    }

    #[test]
    fn nothing_small_means_nothing_hidden() {
        let t = Table::two_way(vec![vec![20, 30], vec![40, 50]]);
        let p = t.suppress().unwrap();
        assert_eq!(
            p.values,
            [
                [Some(20), Some(30), Some(50)],
                [Some(40), Some(50), Some(90)],
                [Some(60), Some(80), Some(140)]
            ]
        );
        assert!(p.status.iter().flatten().all(|s| *s == Status::Shown));
    }

    #[test]
    fn one_way_table_hides_a_second_cell_next_to_a_lone_small_one() {
        let t = Table::one_way(vec![120, 4, 35, 18]);
        let p = t.suppress().unwrap();
        // 4 is primary; with 18 hidden too, 177 − 120 − 35 = 22 is all
        // anyone can learn.
        assert_eq!(p.values, [[Some(120), None, Some(35), None, Some(177)]]);
        assert_eq!(p.status[0][1], Status::Primary);
        assert_eq!(p.status[0][3], Status::Secondary);
        assert_safe(&t, &p);
    }

    #[test]
    fn two_way_table_resists_differencing_on_every_row_and_column() {
        // Worry about crime (rows) by respondent type (columns).
        let t = Table::two_way(vec![
            vec![45, 3, 60, 12],
            vec![80, 25, 90, 40],
            vec![30, 14, 7, 22],
            vec![55, 31, 48, 19],
        ]);
        let p = t.suppress().unwrap();
        assert_eq!(p.status[0][1], Status::Primary);
        assert_eq!(p.status[2][2], Status::Primary);
        // The two small cells are hidden with the two that close a
        // rectangle through them: every affected row and column then has
        // two unknowns that can trade counts without changing any total.
        assert_eq!(p.status[0][2], Status::Secondary);
        assert_eq!(p.status[2][1], Status::Secondary);
        assert_eq!(hidden(&p), 4, "{p:?}");
        assert_safe(&t, &p);
    }

    #[test]
    fn small_totals_are_hidden_and_protected_too() {
        // A whole small column: its total is under 10 as well.
        let t = Table::two_way(vec![vec![40, 2, 33], vec![51, 3, 27], vec![60, 1, 45]]);
        let p = t.suppress().unwrap();
        assert_eq!(p.values[3][1], None, "column total 6 is hidden");
        assert_safe(&t, &p);
    }

    #[test]
    fn a_hidden_count_is_not_given_away_through_a_chain_of_lines() {
        // Two 2×2 blocks of small cells joined by one more small cell: every
        // row and column has two hidden cells, yet combining the equations
        // of one block gives away the joining cell unless more is hidden.
        let t = Table::two_way(vec![
            vec![5, 6, 50, 50, 50],
            vec![7, 8, 3, 50, 50],
            vec![50, 50, 4, 5, 50],
            vec![50, 50, 6, 7, 50],
            vec![50, 50, 50, 50, 50],
        ]);
        let p = t.suppress().unwrap();
        assert_safe(&t, &p);
    }

    #[test]
    fn hidden_zeros_are_not_left_alone_on_a_line() {
        // 0 and 0 hidden in a row whose shown cells make up its total.
        let t = Table::one_way(vec![25, 0, 0, 40]);
        let p = t.suppress().unwrap();
        assert!(hidden(&p) >= 3, "{p:?}");
        assert_eq!(p.status[0][0], Status::Secondary);
        assert_safe(&t, &p);
    }

    #[test]
    fn random_tables_are_always_safe() {
        // A small deterministic generator: many shapes, many small cells.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..300 {
            let (rows, cols) = (1 + next(5) as usize, 2 + next(5) as usize);
            let cells: Vec<Vec<u64>> = (0..rows)
                .map(|_| {
                    (0..cols)
                        .map(|_| if next(3) == 0 { next(10) } else { next(80) })
                        .collect()
                })
                .collect();
            let t = Table {
                cells,
                row_totals: true,
                column_totals: rows > 1 || next(2) == 0,
            };
            let p = t.suppress().unwrap();
            assert_safe(&t, &p);
        }
    }

    /// Which hidden entries the lines pin down, in exact arithmetic.
    fn pinned(shown: &[bool], lines: &[Vec<usize>]) -> Vec<usize> {
        let hidden: Vec<usize> = (0..shown.len()).filter(|&k| !shown[k]).collect();
        let mut m: Vec<Vec<Q>> = lines
            .iter()
            .map(|line| {
                let mut row = vec![Q(0, 1); hidden.len()];
                for (i, k) in line.iter().enumerate() {
                    if let Some(j) = hidden.iter().position(|h| h == k) {
                        let step = if i == line.len() - 1 { -1 } else { 1 };
                        row[j] = Q::new(row[j].0 + step * row[j].1, row[j].1);
                    }
                }
                row
            })
            .collect();
        let mut pivots = Vec::new();
        let mut r = 0;
        for c in 0..hidden.len() {
            let Some(p) = (r..m.len()).find(|&i| m[i][c].0 != 0) else {
                continue;
            };
            m.swap(r, p);
            let lead = m[r][c];
            m[r] = m[r].iter().map(|v| v.div(lead)).collect();
            for i in 0..m.len() {
                if i != r && m[i][c].0 != 0 {
                    let f = m[i][c];
                    let src = m[r].clone();
                    m[i] = m[i]
                        .iter()
                        .zip(&src)
                        .map(|(a, b)| a.sub(f.mul(*b)))
                        .collect();
                }
            }
            pivots.push((r, c));
            r += 1;
        }
        pivots
            .into_iter()
            .filter(|&(r, c)| m[r].iter().enumerate().all(|(j, v)| j == c || v.0 == 0))
            .map(|(_, c)| hidden[c])
            .collect()
    }

    /// Random tables grouped two ways, with the tables grouped by each
    /// dimension and by none suppressed on their own (as their own
    /// queries are) and given: what all four show pins down no hidden
    /// count that the one-way tables do not give away among themselves,
    /// nothing decided here under the threshold is shown, and what was
    /// given is kept.
    #[test]
    fn random_linked_tables_are_always_safe() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for _ in 0..150 {
            let (na, nb, nx) = (
                1 + next(4) as usize,
                1 + next(4) as usize,
                2 + next(3) as usize,
            );
            let own: Vec<Vec<u64>> = (0..na * nb)
                .map(|_| {
                    (0..nx)
                        .map(|_| if next(2) == 0 { next(8) } else { next(40) })
                        .collect()
                })
                .collect();
            let sum = |of: &dyn Fn(usize) -> bool| -> Vec<u64> {
                (0..nx)
                    .map(|x| (0..na * nb).filter(|&g| of(g)).map(|g| own[g][x]).sum())
                    .collect()
            };
            let by_a: Vec<Vec<u64>> = (0..na).map(|a| sum(&|g| g / nb == a)).collect();
            let by_b: Vec<Vec<u64>> = (0..nb).map(|b| sum(&|g| g % nb == b)).collect();
            let whole = vec![sum(&|_| true)];
            let mut values = Vec::new();
            let mut is_total = Vec::new();
            let mut given = Vec::new();
            // Each table's entries by group: its cells, then its total.
            let mut table = |cells: &[Vec<u64>], decided: Option<Protected>| -> Vec<Vec<usize>> {
                cells
                    .iter()
                    .enumerate()
                    .map(|(g, row)| {
                        let mut ids = Vec::new();
                        for (x, &v) in row.iter().chain([&row.iter().sum()]).enumerate() {
                            values.push(v);
                            is_total.push(x == row.len());
                            given.push(decided.as_ref().map(|p| p.status[g][x]));
                            ids.push(values.len() - 1);
                        }
                        ids
                    })
                    .collect()
            };
            let two = |cells: &[Vec<u64>], columns: bool| {
                Table {
                    cells: cells.to_vec(),
                    row_totals: true,
                    column_totals: columns,
                }
                .suppress()
                .unwrap()
            };
            let own_ids = table(&own, None);
            let a_ids = table(&by_a, Some(two(&by_a, true)));
            let b_ids = table(&by_b, Some(two(&by_b, true)));
            let w_ids = table(&whole, Some(two(&whole, false)));
            let mut lines: Vec<Vec<usize>> = Vec::new();
            for t in [&own_ids, &a_ids, &b_ids, &w_ids] {
                lines.extend(t.iter().cloned());
            }
            for x in 0..=nx {
                for a in 0..na {
                    let mut l: Vec<usize> = (0..nb).map(|b| own_ids[a * nb + b][x]).collect();
                    l.push(a_ids[a][x]);
                    lines.push(l);
                }
                for b in 0..nb {
                    let mut l: Vec<usize> = (0..na).map(|a| own_ids[a * nb + b][x]).collect();
                    l.push(b_ids[b][x]);
                    lines.push(l);
                }
                for ids in [&a_ids, &b_ids] {
                    let mut l: Vec<usize> = ids.iter().map(|r| r[x]).collect();
                    l.push(w_ids[0][x]);
                    lines.push(l);
                }
            }
            let linked = Linked {
                values: values.clone(),
                lines: lines.clone(),
                is_total,
                given: given.clone(),
            };
            let status = linked.suppress_below(DEFAULT_THRESHOLD).unwrap();
            let shown: Vec<bool> = status.iter().map(|s| *s == Status::Shown).collect();
            for (k, g) in given.iter().enumerate() {
                if let Some(g) = g {
                    assert_eq!(status[k], *g, "a given status changed");
                } else if shown[k] {
                    assert!(values[k] >= DEFAULT_THRESHOLD, "{k} = {} shown", values[k]);
                }
            }
            let all_hidden: Vec<bool> = given.iter().map(|g| *g == Some(Status::Shown)).collect();
            let theirs = pinned(&all_hidden, &lines);
            let leaked: Vec<usize> = pinned(&shown, &lines)
                .into_iter()
                .filter(|k| !theirs.contains(k))
                .collect();
            assert!(
                leaked.is_empty(),
                "{na}x{nb}x{nx}: {leaked:?} pinned in {own:?}"
            );
        }
    }
}
