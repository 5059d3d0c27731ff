//! The block-wise counter: the rows that pass a filter, counted per group
//! and answer slot, a block of rows at a time so that the columns a query
//! reads are walked in tight passes. [`count`] and [`select`] are the plain
//! reference the tests hold it to.

use super::aggregate::Slots;
use super::calendar::Buckets;
use super::dims::Dim;
use super::filter::Filter;
use crate::index::form_index::{ColumnKind, FormIndex};

/// The rows that pass `filter`, and the group of each (its position in
/// the product of the dimensions' codes).
#[cfg(test)]
pub(super) fn select(
    ix: &FormIndex,
    filter: &Filter,
    dims: &[Dim],
    cards: &[usize],
    range: std::ops::Range<usize>,
) -> (Vec<u32>, Vec<u32>) {
    const OUT: u32 = u32::MAX;
    let mut sel = vec![0u32; range.len()];
    let r = range.clone();
    pub(super) fn drop_where<T: Copy>(sel: &mut [u32], col: &[T], keep: impl Fn(T) -> bool) {
        for (s, &v) in sel.iter_mut().zip(col) {
            if !keep(v) {
                *s = OUT;
            }
        }
    }
    if filter.from > 0 || filter.to < u64::MAX {
        drop_where(&mut sel, &ix.ms[r.clone()], |ms| {
            ms >= filter.from && ms < filter.to
        });
    }
    if let Some(ok) = &filter.locations {
        drop_where(&mut sel, &ix.location[r.clone()], |c| ok[c as usize]);
    }
    if let Some(ok) = &filter.channels {
        drop_where(&mut sel, &ix.channel[r.clone()], |c| ok[c as usize]);
    }
    if let Some(ok) = &filter.langs {
        drop_where(&mut sel, &ix.lang[r.clone()], |c| ok[c as usize]);
    }
    if let Some(v) = &filter.versions {
        drop_where(&mut sel, &ix.version[r.clone()], |c| v.contains(&c));
    }
    for (at, ok) in &filter.attributes {
        drop_where(&mut sel, &ix.attributes[*at].codes[r.clone()], |c| {
            ok[c as usize]
        });
    }
    if let Some(scope) = &filter.scope {
        for (i, s) in sel.iter_mut().enumerate() {
            if !scope.pass(ix, r.start + i) {
                *s = OUT;
            }
        }
    }
    for w in &filter.wheres {
        let c = &ix.columns[w.col];
        if w.flags != 0 {
            // A text flag among the answers asked for: row by row.
            for (i, s) in sel.iter_mut().enumerate() {
                if !w.pass_row(c, r.start + i) {
                    *s = OUT;
                }
            }
            continue;
        }
        match (c.codes.is_empty(), c.masks.is_empty() || w.mask == 0) {
            (false, true) => {
                drop_where(&mut sel, &c.codes[r.clone()], |code| w.codes[code as usize])
            }
            (true, false) => drop_where(&mut sel, &c.masks[r.clone()], |m| m & w.mask != 0),
            // Nothing can match (a where with no answers): drop every row.
            (true, true) => sel.fill(OUT),
            (false, false) => {
                for ((s, &code), &m) in sel
                    .iter_mut()
                    .zip(&c.codes[r.clone()])
                    .zip(&c.masks[r.clone()])
                {
                    if !(w.codes[code as usize] || m & w.mask != 0) {
                        *s = OUT;
                    }
                }
            }
        }
    }
    pub(super) fn fold<T: Copy>(
        sel: &mut [u32],
        col: &[T],
        card: usize,
        code: impl Fn(T) -> usize,
    ) {
        for (s, &v) in sel.iter_mut().zip(col) {
            if *s != OUT {
                *s = *s * card as u32 + code(v).min(card - 1) as u32;
            }
        }
    }
    for (d, &card) in dims.iter().zip(cards) {
        match d {
            Dim::Location => fold(&mut sel, &ix.location[r.clone()], card, |c| c as usize),
            Dim::Place { map, .. } => fold(&mut sel, &ix.location[r.clone()], card, |c| {
                map[usize::from(c)] as usize
            }),
            Dim::Channel => fold(&mut sel, &ix.channel[r.clone()], card, |c| c as usize),
            Dim::Lang => fold(&mut sel, &ix.lang[r.clone()], card, |c| c as usize),
            Dim::Version => fold(&mut sel, &ix.version[r.clone()], card, |c| c as usize),
            Dim::Period(b) => fold(&mut sel, &ix.ms[r.clone()], card, |ms| b.of(ms)),
            Dim::Column(i) => fold(&mut sel, &ix.columns[*i].codes[r.clone()], card, |c| {
                c as usize
            }),
            Dim::Attribute(Some(at)) => {
                fold(&mut sel, &ix.attributes[*at].codes[r.clone()], card, |c| {
                    c as usize
                })
            }
            // One group: every row's code is 0.
            Dim::Attribute(None) => {}
        }
    }
    // Sized once: growing by doubling would copy megabytes per query.
    let passing = sel.iter().filter(|&&g| g != OUT).count();
    let mut rows = Vec::with_capacity(passing);
    let mut groups = Vec::with_capacity(passing);
    for (i, &g) in sel.iter().enumerate() {
        if g != OUT {
            rows.push((range.start + i) as u32);
            groups.push(g);
        }
    }
    (rows, groups)
}

/// A dimension's column as the block-wise counter reads it, cut to the rows
/// it counts.
pub(super) enum Col<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    /// Codes read through a table (a place's group at a register level).
    Mapped(&'a [u16], &'a [u32]),
    Period(&'a [u64], &'a Buckets),
    /// Every row has code 0.
    Zero,
}

/// Rows that [`count_blocks`] takes at a time: a block's pass flags and
/// group offsets stay in the L1 cache between its passes over the columns.
pub(super) const BLOCK: usize = 1024;

/// Copies of the counters that [`count_blocks`] keeps when there are few
/// of them: row `j` of a block counts into copy `j % COPIES`, so rows close
/// together that hit the same cell (a handful of groups and answers, a
/// million rows) add to different memory and do not wait on each other.
pub(super) const COPIES: usize = 4;

/// Most cells (groups × slots) counted in [`COPIES`] copies; more are
/// counted in one, as they are too spread out to collide often.
pub(super) const COPIES_UP_TO: usize = 16 * 1024;

/// A filter as [`count_blocks`] applies it: a table of the codes that pass
/// (1) and fail (0), indexed by the code itself so there is no bounds or
/// range check per row.
pub(super) enum BlockFilter<'a> {
    Time(&'a [u64]),
    U8(&'a [u8], Box<[u8; 256]>),
    U16(&'a [u16], Box<[u8; 65536]>),
    /// Passes when either column's code passes (a supervisor's teams or
    /// places).
    EitherU16(&'a [u16], Box<[u8; 65536]>, &'a [u16], Box<[u8; 65536]>),
    Mask(&'a [u32], u32),
    CodeOrMask(&'a [u8], Box<[u8; 256]>, &'a [u32], u32),
    /// A text where that names a flag (`mixed`, `actionable`): code, theme
    /// mask (when the column has one) or flags.
    Text(
        &'a [u8],
        Box<[u8; 256]>,
        Option<(&'a [u32], u32)>,
        &'a [u8],
        u8,
    ),
    Nothing,
}

/// A pass table from the codes allowed (`ok[code]`).
pub(super) fn from_table(ok: &[bool]) -> impl Fn(usize) -> bool + '_ {
    |i| ok.get(i).copied().unwrap_or(false)
}

/// A pass table: 1 for the codes that pass, 0 for the others.
pub(super) fn table<const N: usize>(ok: impl Fn(usize) -> bool) -> Box<[u8; N]> {
    let mut t = Box::new([0u8; N]);
    for (i, v) in t.iter_mut().enumerate() {
        *v = u8::from(ok(i));
    }
    t
}

/// Counts the rows of `range` that pass `filter`: per group, each slot of
/// each question (`width` slots a group) and the group sizes.
///
/// Block by block: first each filter and dimension in a tight pass over its
/// column, giving every row of the block a pass flag and then a cell (rows
/// that fail get a cell that is thrown away, so no row needs a branch);
/// then each question in a pass that adds one to the row's cell plus the
/// slot of its answer. Only the columns the query names are read.
#[allow(clippy::too_many_arguments)]
pub(super) fn count_blocks(
    ix: &FormIndex,
    filter: &Filter,
    dims: &[Dim],
    cards: &[usize],
    slots: &[Slots],
    width: usize,
    groups: usize,
    range: std::ops::Range<usize>,
) -> (Vec<u64>, Vec<u64>) {
    let r = range.clone();
    let mut filters = Vec::new();
    if filter.from > 0 || filter.to < u64::MAX {
        filters.push(BlockFilter::Time(&ix.ms[r.clone()]));
    }
    if let Some(ok) = &filter.locations {
        filters.push(BlockFilter::U16(
            &ix.location[r.clone()],
            table(from_table(ok)),
        ));
    }
    if let Some(ok) = &filter.channels {
        filters.push(BlockFilter::U8(
            &ix.channel[r.clone()],
            table(from_table(ok)),
        ));
    }
    if let Some(ok) = &filter.langs {
        filters.push(BlockFilter::U8(&ix.lang[r.clone()], table(from_table(ok))));
    }
    if let Some(v) = &filter.versions {
        filters.push(BlockFilter::U16(
            &ix.version[r.clone()],
            table(|i| v.iter().any(|&x| usize::from(x) == i)),
        ));
    }
    for (at, ok) in &filter.attributes {
        filters.push(BlockFilter::U16(
            &ix.attributes[*at].codes[r.clone()],
            table(from_table(ok)),
        ));
    }
    if let Some(scope) = &filter.scope {
        let places = (&ix.location[r.clone()], table(from_table(&scope.places)));
        filters.push(match &scope.teams {
            Some((at, ok)) => BlockFilter::EitherU16(
                &ix.attributes[*at].codes[r.clone()],
                table(from_table(ok)),
                places.0,
                places.1,
            ),
            None => BlockFilter::U16(places.0, places.1),
        });
    }
    for w in &filter.wheres {
        let c = &ix.columns[w.col];
        let codes = (!c.codes.is_empty()).then(|| &c.codes[r.clone()]);
        let masks = (!c.masks.is_empty() && w.mask != 0).then(|| &c.masks[r.clone()]);
        if let (Some(codes), false, 1..) = (codes, c.flags.is_empty(), w.flags) {
            filters.push(BlockFilter::Text(
                codes,
                table(from_table(&w.codes)),
                masks.map(|m| (m, w.mask)),
                &c.flags[r.clone()],
                w.flags,
            ));
            continue;
        }
        filters.push(match (codes, masks) {
            (Some(codes), None) => BlockFilter::U8(codes, table(from_table(&w.codes))),
            (None, Some(masks)) => BlockFilter::Mask(masks, w.mask),
            (Some(codes), Some(masks)) => {
                BlockFilter::CodeOrMask(codes, table(from_table(&w.codes)), masks, w.mask)
            }
            (None, None) => BlockFilter::Nothing,
        });
    }
    let dims: Vec<(Col<'_>, u32)> = dims
        .iter()
        .zip(cards)
        .map(|(d, &card)| {
            let col = match d {
                Dim::Location => Col::U16(&ix.location[r.clone()]),
                Dim::Place { map, .. } => Col::Mapped(&ix.location[r.clone()], map),
                Dim::Channel => Col::U8(&ix.channel[r.clone()]),
                Dim::Lang => Col::U8(&ix.lang[r.clone()]),
                Dim::Version => Col::U16(&ix.version[r.clone()]),
                Dim::Period(b) => Col::Period(&ix.ms[r.clone()], b),
                Dim::Column(i) => Col::U8(&ix.columns[*i].codes[r.clone()]),
                Dim::Attribute(Some(at)) => Col::U16(&ix.attributes[*at].codes[r.clone()]),
                Dim::Attribute(None) => Col::Zero,
            };
            (col, card as u32)
        })
        .collect();
    // Each group's cells: its size, then per question its slots and one
    // more, where a single code past the slots is counted and dropped.
    // Every row counts once among a single-code question's cells, so the
    // first such question gives the group sizes and they need no pass of
    // their own. Rows that fail the filters are counted in an extra group
    // at the end, which is dropped.
    let offsets: Vec<usize> = slots
        .iter()
        .scan(1usize, |next, s| {
            let at = *next;
            *next += s.width + 1;
            Some(at)
        })
        .collect();
    let stride = 1 + slots.iter().map(|s| s.width + 1).sum::<usize>();
    let single = |s: &Slots| {
        !matches!(
            ix.columns[s.col].kind,
            ColumnKind::Multi | ColumnKind::Text { .. }
        )
    };
    let sizes_from = slots.iter().position(single);
    let dropped = (groups * stride) as u32;
    let cells = (groups + 1) * stride;
    let copies = if cells <= COPIES_UP_TO { COPIES } else { 1 };
    let mut acc = vec![0u64; cells * copies];
    let mut pass = [0u8; BLOCK];
    let mut cell = [0u32; BLOCK];
    // Per question, the cell of each code relative to the group's first.
    let slot_of: Vec<Box<[u32; 256]>> = slots
        .iter()
        .zip(&offsets)
        .map(|(s, &offset)| {
            let mut t = Box::new([0u32; 256]);
            for (code, v) in t.iter_mut().enumerate() {
                *v = (offset + code.min(s.width)) as u32;
            }
            t
        })
        .collect();

    for start in (0..r.len()).step_by(BLOCK) {
        let rows = start..(start + BLOCK).min(r.len());
        let pass = &mut pass[..rows.len()];
        let cell = &mut cell[..rows.len()];
        pass.fill(1);
        for f in &filters {
            match f {
                BlockFilter::Time(ms) => {
                    for (p, &t) in pass.iter_mut().zip(&ms[rows.clone()]) {
                        *p &= u8::from(t >= filter.from) & u8::from(t < filter.to);
                    }
                }
                BlockFilter::U8(col, ok) => {
                    for (p, &c) in pass.iter_mut().zip(&col[rows.clone()]) {
                        *p &= ok[usize::from(c)];
                    }
                }
                BlockFilter::U16(col, ok) => {
                    for (p, &c) in pass.iter_mut().zip(&col[rows.clone()]) {
                        *p &= ok[usize::from(c)];
                    }
                }
                BlockFilter::EitherU16(a, a_ok, b, b_ok) => {
                    for ((p, &x), &y) in pass.iter_mut().zip(&a[rows.clone()]).zip(&b[rows.clone()])
                    {
                        *p &= a_ok[usize::from(x)] | b_ok[usize::from(y)];
                    }
                }
                BlockFilter::Mask(col, mask) => {
                    for (p, &m) in pass.iter_mut().zip(&col[rows.clone()]) {
                        *p &= u8::from(m & mask != 0);
                    }
                }
                BlockFilter::CodeOrMask(codes, ok, masks, mask) => {
                    for ((p, &c), &m) in pass
                        .iter_mut()
                        .zip(&codes[rows.clone()])
                        .zip(&masks[rows.clone()])
                    {
                        *p &= ok[usize::from(c)] | u8::from(m & mask != 0);
                    }
                }
                BlockFilter::Text(codes, ok, masks, flags, bits) => {
                    for (i, ((p, &c), &f)) in pass
                        .iter_mut()
                        .zip(&codes[rows.clone()])
                        .zip(&flags[rows.clone()])
                        .enumerate()
                    {
                        let by_mask = masks.is_some_and(|(m, mask)| m[rows.start + i] & mask != 0);
                        *p &= ok[usize::from(c)] | u8::from(by_mask) | u8::from(f & *bits != 0);
                    }
                }
                BlockFilter::Nothing => pass.fill(0),
            }
        }
        cell.fill(0);
        for (col, card) in &dims {
            let top = card - 1;
            match col {
                Col::U8(col) => {
                    for (g, &c) in cell.iter_mut().zip(&col[rows.clone()]) {
                        *g = *g * card + u32::from(c).min(top);
                    }
                }
                Col::U16(col) => {
                    for (g, &c) in cell.iter_mut().zip(&col[rows.clone()]) {
                        *g = *g * card + u32::from(c).min(top);
                    }
                }
                Col::Mapped(col, map) => {
                    for (g, &c) in cell.iter_mut().zip(&col[rows.clone()]) {
                        *g = *g * card + map[usize::from(c)].min(top);
                    }
                }
                Col::Period(ms, b) => {
                    for (g, &t) in cell.iter_mut().zip(&ms[rows.clone()]) {
                        *g = *g * card + (b.of(t) as u32).min(top);
                    }
                }
                Col::Zero => cell.iter_mut().for_each(|g| *g *= card),
            }
        }
        // `(groups + 1) * stride` is at most a few times the 50M cell limit
        // checked by the caller: it fits u32.
        let stride32 = stride as u32;
        for (g, &p) in cell.iter_mut().zip(pass.iter()) {
            *g = if p != 0 { *g * stride32 } else { dropped };
        }

        if sizes_from.is_none() {
            tally(&mut acc, cells, copies, cell, None);
        }
        for ((s, slot_of), &offset) in slots.iter().zip(&slot_of).zip(&offsets) {
            let c = &ix.columns[s.col];
            match c.kind {
                ColumnKind::Multi => {
                    let masks = &c.masks[r.start + rows.start..r.start + rows.end];
                    for ((&g, &p), &m) in cell.iter().zip(pass.iter()).zip(masks) {
                        if p == 0 {
                            continue;
                        }
                        let base = g as usize + offset;
                        if m == 0 {
                            acc[base] += 1;
                        }
                        let mut bits = m;
                        while bits != 0 {
                            let b = bits.trailing_zeros() as usize;
                            if b + 1 < s.width {
                                acc[base + b + 1] += 1;
                            }
                            bits &= bits - 1;
                        }
                    }
                }
                ColumnKind::Text { coded } => {
                    let labels = &c.codes[r.start + rows.start..r.start + rows.end];
                    for (j, ((&g, &p), &label)) in
                        cell.iter().zip(pass.iter()).zip(labels).enumerate()
                    {
                        if p == 0 {
                            continue;
                        }
                        let base = g as usize + offset;
                        let label = usize::from(label);
                        acc[base + label.min(3)] += 1;
                        if coded && label != 0 {
                            let mut bits = c.masks[r.start + rows.start + j];
                            while bits != 0 {
                                let b = bits.trailing_zeros() as usize;
                                if 4 + b < s.width {
                                    acc[base + 4 + b] += 1;
                                }
                                bits &= bits - 1;
                            }
                        }
                    }
                }
                _ => {
                    let codes = &c.codes[r.start + rows.start..r.start + rows.end];
                    tally(&mut acc, cells, copies, cell, Some((codes, slot_of)));
                }
            }
        }
    }

    // Add the copies up and split off the group sizes.
    let (first, rest) = acc.split_at_mut(cells);
    for copy in rest.chunks_exact(cells) {
        first.iter_mut().zip(copy).for_each(|(a, b)| *a += b);
    }
    let mut counts = Vec::with_capacity(groups * width);
    let mut group_n = Vec::with_capacity(groups);
    for g in first.chunks_exact(stride).take(groups) {
        group_n.push(match sizes_from {
            Some(i) => g[offsets[i]..=offsets[i] + slots[i].width].iter().sum(),
            None => g[0],
        });
        for (s, &offset) in slots.iter().zip(&offsets) {
            counts.extend_from_slice(&g[offset..offset + s.width]);
        }
    }
    (counts, group_n)
}

/// Adds one to the cell of each row of a block: `cell[j]`, or with codes
/// `cell[j] + slot_of[code]`. Row `j` adds to copy `j % copies`.
#[inline(always)]
pub(super) fn tally(
    acc: &mut [u64],
    cells: usize,
    copies: usize,
    cell: &[u32],
    codes: Option<(&[u8], &[u32; 256])>,
) {
    let at = |j: usize| -> usize {
        match codes {
            Some((codes, slot_of)) => (cell[j] + slot_of[usize::from(codes[j])]) as usize,
            None => cell[j] as usize,
        }
    };
    if copies == COPIES {
        let (a0, rest) = acc.split_at_mut(cells);
        let (a1, rest) = rest.split_at_mut(cells);
        let (a2, a3) = rest.split_at_mut(cells);
        let n = cell.len() / COPIES * COPIES;
        for j in (0..n).step_by(COPIES) {
            a0[at(j)] += 1;
            a1[at(j + 1)] += 1;
            a2[at(j + 2)] += 1;
            a3[at(j + 3)] += 1;
        }
        for j in n..cell.len() {
            a0[at(j)] += 1;
        }
    } else {
        for j in 0..cell.len() {
            acc[at(j)] += 1;
        }
    }
}

/// Counts the rows of `range` that pass `filter`: per group, each slot of
/// each question (`acc`, `width` slots a group) and the group sizes.
///
/// The straightforward way, column by column over the rows that pass: the
/// reference that tests hold [`count_blocks`] to.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub(super) fn count(
    ix: &FormIndex,
    filter: &Filter,
    dims: &[Dim],
    cards: &[usize],
    slots: &[Slots],
    width: usize,
    groups: usize,
    range: std::ops::Range<usize>,
) -> (Vec<u64>, Vec<u64>) {
    let mut acc = vec![0u64; groups * width];
    let mut group_n = vec![0u64; groups];

    // First the group of every row that passes, then the counts column by
    // column: each filter, dimension and question is one tight loop over a
    // column, its kind matched once rather than once per row.
    let (rows, group) = select(ix, filter, dims, cards, range);
    for &g in &group {
        group_n[g as usize] += 1;
    }
    let cell: Vec<u32> = group.into_iter().map(|g| g * width as u32).collect();
    let mut offset = 0usize;
    for s in slots {
        let c = &ix.columns[s.col];
        let pairs = rows.iter().map(|&r| r as usize).zip(&cell);
        match c.kind {
            ColumnKind::Multi => {
                for (row, &base) in pairs {
                    let base = base as usize + offset;
                    let m = c.masks[row];
                    if m == 0 {
                        acc[base] += 1;
                    } else {
                        let mut bits = m;
                        while bits != 0 {
                            let b = bits.trailing_zeros() as usize;
                            if b + 1 < s.width {
                                acc[base + b + 1] += 1;
                            }
                            bits &= bits - 1;
                        }
                    }
                }
            }
            ColumnKind::Text { coded } => {
                for (row, &base) in pairs {
                    let base = base as usize + offset;
                    let label = c.codes[row] as usize;
                    acc[base + label.min(3)] += 1;
                    if coded && label != 0 {
                        let mut bits = c.masks[row];
                        while bits != 0 {
                            let b = bits.trailing_zeros() as usize;
                            if 4 + b < s.width {
                                acc[base + 4 + b] += 1;
                            }
                            bits &= bits - 1;
                        }
                    }
                }
            }
            _ => {
                for (row, &base) in pairs {
                    let code = c.codes[row] as usize;
                    if code < s.width {
                        acc[base as usize + offset + code] += 1;
                    }
                }
            }
        }
        offset += s.width;
    }

    (acc, group_n)
}
