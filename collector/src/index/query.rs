//! Aggregate queries over the answer index: filters, one or two grouping
//! dimensions, counts and proportions with Wilson intervals, scale means,
//! satisfied shares, and small-cell suppression for shared outputs.

use super::form_index::{ColumnKind, FormIndex, SENTIMENT_LABELS};
use crate::error::{Error, Result};
use analysis::stats::{Date, FiscalQuarter, Period};
use analysis::{Proportion, Table};
use serde::Serialize;

/// A parsed query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Earliest arrival, ms (inclusive).
    pub from_ms: Option<u64>,
    /// Latest arrival, ms (exclusive).
    pub to_ms: Option<u64>,
    /// Place ids allowed (empty: all).
    pub locations: Vec<String>,
    /// Channels allowed (empty: all).
    pub channels: Vec<String>,
    /// Languages allowed (empty: all).
    pub langs: Vec<String>,
    /// Form versions allowed (empty: all).
    pub versions: Vec<u16>,
    /// `question:answer,answer` filters, all of which must hold.
    pub wheres: Vec<(String, Vec<String>)>,
    /// Grouping dimensions (at most two).
    pub by: Vec<String>,
    /// Questions to report (empty: all).
    pub questions: Vec<String>,
    /// Suppress small cells (output shared beyond analysts).
    pub public: bool,
}

impl Query {
    /// Parses URL query pairs; unknown keys are refused so typos show.
    pub fn parse(pairs: &[(String, String)], extra: &[&str]) -> Result<Query> {
        let mut q = Query::default();
        let list = |v: &str| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "from" => q.from_ms = Some(parse_time(v, false)?),
                "to" => q.to_ms = Some(parse_time(v, true)?),
                "quarter" => {
                    let (a, b) = parse_quarter(v)?;
                    q.from_ms = Some(a);
                    q.to_ms = Some(b);
                }
                "location" => q.locations.extend(list(v)),
                "channel" => q.channels.extend(list(v)),
                "lang" => q.langs.extend(list(v)),
                "version" => {
                    for s in list(v) {
                        q.versions.push(s.parse().map_err(|_| {
                            Error::BadRequest(format!("version '{s}' is not a number"))
                        })?);
                    }
                }
                "where" => {
                    for clause in v.split(';').filter(|c| !c.is_empty()) {
                        let (question, answers) = clause.split_once(':').ok_or_else(|| {
                            Error::BadRequest(format!(
                                "where '{clause}' must look like question:answer,answer"
                            ))
                        })?;
                        q.wheres.push((question.to_owned(), list(answers)));
                    }
                }
                "by" => q.by.extend(list(v)),
                "question" => q.questions.extend(list(v)),
                "share" => match v.as_str() {
                    "public" => q.public = true,
                    "analysts" => q.public = false,
                    _ => return Err(Error::BadRequest("share must be public or analysts".into())),
                },
                other if extra.contains(&other) => {}
                other => return Err(Error::BadRequest(format!("unknown parameter '{other}'"))),
            }
        }
        if q.by.len() > 2 {
            return Err(Error::BadRequest("group by at most two dimensions".into()));
        }
        Ok(q)
    }
}

/// `2024-10-01` (start of day, or end of day for `to`) or RFC 3339.
fn parse_time(s: &str, end: bool) -> Result<u64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok((t.unix_timestamp_nanos() / 1_000_000).max(0) as u64);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).map_err(|_| {
        Error::BadRequest(format!(
            "'{s}' is not a date like 2024-10-01 or an RFC 3339 time"
        ))
    })?;
    let d = if end { d.next_day().unwrap_or(d) } else { d };
    Ok((d.midnight().assume_utc().unix_timestamp().max(0) as u64) * 1000)
}

/// `2024/25 Q3` (or `2024/25Q3`) → [1 Oct 2024, 1 Jan 2025) in ms.
fn parse_quarter(s: &str) -> Result<(u64, u64)> {
    let bad = || Error::BadRequest(format!("quarter '{s}' must look like 2024/25 Q3"));
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (year, q) = compact
        .split_once('Q')
        .or_else(|| compact.split_once('q'))
        .ok_or_else(bad)?;
    let start_year: i64 = year
        .split('/')
        .next()
        .and_then(|y| y.parse().ok())
        .ok_or_else(bad)?;
    let q: i64 = q
        .parse()
        .ok()
        .filter(|q| (1..=4).contains(q))
        .ok_or_else(bad)?;
    let month_index = start_year * 12 + 3 + (q - 1) * 3; // April = index 3
    Ok((month_start_ms(month_index), month_start_ms(month_index + 3)))
}

fn month_start_ms(month_index: i64) -> u64 {
    let d = Date {
        year: month_index.div_euclid(12),
        month: month_index.rem_euclid(12) as u32 + 1,
        day: 1,
    };
    (d.days_since_epoch() * 86_400_000).max(0) as u64
}

/// A grouping dimension resolved against an index.
enum Dim {
    Location,
    Channel,
    Lang,
    Version,
    Period(Buckets),
    Column(usize),
}

/// The period buckets of an index's span, so that a row's bucket is a
/// search among a few boundaries rather than a calendar conversion.
struct Buckets {
    period: Period,
    /// Bucket number of the first bucket.
    first: i64,
    /// Start (ms) of every bucket after the first, up to one past the last.
    bounds: Vec<u64>,
}

impl Buckets {
    fn new(period: Period, span: Option<(u64, u64)>) -> Buckets {
        let Some((a, b)) = span else {
            return Buckets {
                period,
                first: 0,
                bounds: Vec::new(),
            };
        };
        let first = period_bucket(period, a);
        let last = period_bucket(period, b);
        let start = |bucket: i64| -> u64 {
            match period {
                Period::Day => (bucket.max(0) as u64) * DAY_MS,
                Period::Week => ((bucket * 7 - 3).max(0) as u64) * DAY_MS,
                Period::Month => month_start_ms(bucket),
                Period::Quarter => month_start_ms(bucket * 3 + 3),
                Period::Year => month_start_ms(bucket * 12 + 3),
            }
        };
        Buckets {
            period,
            first,
            bounds: (first + 1..=last).map(start).collect(),
        }
    }

    fn len(&self) -> usize {
        self.bounds.len() + 1
    }

    /// Index (from 0) of the bucket holding `ms`.
    #[inline]
    fn of(&self, ms: u64) -> usize {
        self.bounds.partition_point(|&b| b <= ms)
    }

    fn label(&self, i: usize) -> String {
        period_label(self.period, self.first + i as i64)
    }
}

const DAY_MS: u64 = 86_400_000;

fn period_bucket(p: Period, ms: u64) -> i64 {
    let days = (ms / DAY_MS) as i64;
    match p {
        Period::Day => days,
        Period::Week => (days + 3).div_euclid(7),
        _ => {
            let d = Date::from_unix((ms / 1000) as i64);
            let m = d.year * 12 + i64::from(d.month) - 1;
            match p {
                Period::Month => m,
                Period::Quarter => (m - 3).div_euclid(3),
                _ => (m - 3).div_euclid(12),
            }
        }
    }
}

fn period_label(p: Period, bucket: i64) -> String {
    let seconds = match p {
        Period::Day => bucket * 86_400,
        Period::Week => (bucket * 7 - 3) * 86_400,
        Period::Month => month_start_ms(bucket) as i64 / 1000,
        Period::Quarter => month_start_ms(bucket * 3 + 3) as i64 / 1000,
        Period::Year => month_start_ms(bucket * 12 + 3) as i64 / 1000,
    };
    p.key(seconds)
}

/// Parses `day|week|month|quarter|year`.
pub fn parse_period(s: &str) -> Option<Period> {
    match s {
        "day" => Some(Period::Day),
        "week" => Some(Period::Week),
        "month" => Some(Period::Month),
        "quarter" => Some(Period::Quarter),
        "year" => Some(Period::Year),
        _ => None,
    }
}

impl Dim {
    fn resolve(ix: &FormIndex, name: &str, respondent: Option<&str>) -> Result<Dim> {
        let name = if name == "respondent" {
            respondent.unwrap_or(name)
        } else {
            name
        };
        Ok(match name {
            "location" => Dim::Location,
            "channel" => Dim::Channel,
            "lang" => Dim::Lang,
            "version" => Dim::Version,
            p if parse_period(p).is_some() => {
                let period = parse_period(p).unwrap_or(Period::Month);
                Dim::Period(Buckets::new(period, ix.span))
            }
            q => match ix.column(q) {
                Some((i, c)) if matches!(c.kind, ColumnKind::Choice | ColumnKind::Scale { .. } | ColumnKind::Consent) => {
                    Dim::Column(i)
                }
                Some(_) => {
                    return Err(Error::BadRequest(format!(
                        "'{q}' cannot group: group by a single-choice, scale or location question"
                    )))
                }
                None => {
                    return Err(Error::BadRequest(format!(
                        "cannot group by '{q}': use location, channel, lang, version, respondent, day, week, month, quarter, year or a question id"
                    )))
                }
            },
        })
    }

    fn cardinality(&self, ix: &FormIndex) -> usize {
        match self {
            Dim::Location => ix.locations.len() + 1,
            Dim::Channel => ix.channels.len() + 1,
            Dim::Lang => ix.langs.len() + 1,
            Dim::Version => ix.version.iter().copied().max().unwrap_or(0) as usize + 1,
            Dim::Period(b) => b.len(),
            Dim::Column(i) => ix.columns[*i].dict.len() + 1,
        }
    }

    fn label(&self, ix: &FormIndex, code: usize) -> String {
        let name = match self {
            Dim::Location => ix.locations.name(code as u32),
            Dim::Channel => ix.channels.name(code as u32),
            Dim::Lang => ix.langs.name(code as u32),
            Dim::Version => return code.to_string(),
            Dim::Period(b) => return b.label(code),
            Dim::Column(i) => ix.columns[*i].dict.name(code as u32),
        };
        name.map_or_else(|| "_none".to_owned(), str::to_owned)
    }
}

/// A filter on one column: the codes (or mask bits) that pass.
struct Where {
    col: usize,
    codes: Vec<bool>,
    mask: u32,
}

/// The compiled row filter.
pub(crate) struct Filter {
    from: u64,
    to: u64,
    locations: Option<Vec<bool>>,
    channels: Option<Vec<bool>>,
    langs: Option<Vec<bool>>,
    versions: Option<Vec<u16>>,
    wheres: Vec<Where>,
}

fn allowed(
    dict: &super::form_index::Dict,
    values: &[String],
    what: &str,
) -> Result<Option<Vec<bool>>> {
    if values.is_empty() {
        return Ok(None);
    }
    let mut ok = vec![false; dict.len() + 1];
    for v in values {
        let c = dict.code(v).ok_or_else(|| {
            Error::BadRequest(format!("no {what} '{v}' in this form's responses"))
        })?;
        ok[c as usize] = true;
    }
    Ok(Some(ok))
}

impl Filter {
    /// Compiles the query's filters against an index; unknown values are errors.
    pub(crate) fn compile(ix: &FormIndex, q: &Query) -> Result<Filter> {
        let mut wheres = Vec::new();
        for (question, answers) in &q.wheres {
            let (col, c) = ix.column(question).ok_or_else(|| {
                Error::BadRequest(format!("where: this form has no question '{question}'"))
            })?;
            let mut w = Where {
                col,
                codes: vec![false; 256],
                mask: 0,
            };
            for a in answers {
                match &c.kind {
                    ColumnKind::Text { .. } => {
                        if let Some(i) = SENTIMENT_LABELS.iter().position(|l| l.as_str() == a) {
                            w.codes[i + 1] = true;
                        } else {
                            let t = c.dict.code(a).ok_or_else(|| {
                                Error::BadRequest(format!("where: '{a}' is neither a sentiment nor a theme of '{question}'"))
                            })?;
                            w.mask |= 1 << (t - 1);
                        }
                    }
                    _ => {
                        let code = c.dict.code(a).ok_or_else(|| {
                            Error::BadRequest(format!(
                                "where: '{a}' is not an answer to '{question}'"
                            ))
                        })?;
                        if matches!(c.kind, ColumnKind::Multi) {
                            w.mask |= 1u32.checked_shl(code - 1).unwrap_or(0);
                        } else {
                            w.codes[code as usize] = true;
                        }
                    }
                }
            }
            wheres.push(w);
        }
        Ok(Filter {
            from: q.from_ms.unwrap_or(0),
            to: q.to_ms.unwrap_or(u64::MAX),
            locations: allowed(&ix.locations, &q.locations, "location")?,
            channels: allowed(&ix.channels, &q.channels, "channel")?,
            langs: allowed(&ix.langs, &q.langs, "language")?,
            versions: (!q.versions.is_empty()).then(|| q.versions.clone()),
            wheres,
        })
    }

    /// Whether a row passes every filter.
    #[inline]
    pub(crate) fn pass(&self, ix: &FormIndex, row: usize) -> bool {
        let ms = ix.ms[row];
        if ms < self.from || ms >= self.to {
            return false;
        }
        if let Some(ok) = &self.locations {
            if !ok[ix.location[row] as usize] {
                return false;
            }
        }
        if let Some(ok) = &self.channels {
            if !ok[ix.channel[row] as usize] {
                return false;
            }
        }
        if let Some(ok) = &self.langs {
            if !ok[ix.lang[row] as usize] {
                return false;
            }
        }
        if let Some(v) = &self.versions {
            if !v.contains(&ix.version[row]) {
                return false;
            }
        }
        self.wheres.iter().all(|w| {
            let c = &ix.columns[w.col];
            let by_code = w.codes[c.codes.get(row).copied().unwrap_or(0) as usize];
            let by_mask = w.mask != 0 && c.masks.get(row).is_some_and(|m| m & w.mask != 0);
            by_code || by_mask
        })
    }

    /// The rows that pass, in index order.
    fn rows<'a>(&'a self, ix: &'a FormIndex) -> impl Iterator<Item = usize> + 'a {
        (0..ix.len()).filter(move |&r| self.pass(ix, r))
    }
}

/// The rows that pass `filter`, and the group of each (its position in
/// the product of the dimensions' codes).
#[cfg(test)]
fn select(
    ix: &FormIndex,
    filter: &Filter,
    dims: &[Dim],
    cards: &[usize],
    range: std::ops::Range<usize>,
) -> (Vec<u32>, Vec<u32>) {
    const OUT: u32 = u32::MAX;
    let mut sel = vec![0u32; range.len()];
    let r = range.clone();
    fn drop_where<T: Copy>(sel: &mut [u32], col: &[T], keep: impl Fn(T) -> bool) {
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
    for w in &filter.wheres {
        let c = &ix.columns[w.col];
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
    fn fold<T: Copy>(sel: &mut [u32], col: &[T], card: usize, code: impl Fn(T) -> usize) {
        for (s, &v) in sel.iter_mut().zip(col) {
            if *s != OUT {
                *s = *s * card as u32 + code(v).min(card - 1) as u32;
            }
        }
    }
    for (d, &card) in dims.iter().zip(cards) {
        match d {
            Dim::Location => fold(&mut sel, &ix.location[r.clone()], card, |c| c as usize),
            Dim::Channel => fold(&mut sel, &ix.channel[r.clone()], card, |c| c as usize),
            Dim::Lang => fold(&mut sel, &ix.lang[r.clone()], card, |c| c as usize),
            Dim::Version => fold(&mut sel, &ix.version[r.clone()], card, |c| c as usize),
            Dim::Period(b) => fold(&mut sel, &ix.ms[r.clone()], card, |ms| b.of(ms)),
            Dim::Column(i) => fold(&mut sel, &ix.columns[*i].codes[r.clone()], card, |c| {
                c as usize
            }),
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
enum Col<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    Period(&'a [u64], &'a Buckets),
}

/// Rows that [`count_blocks`] takes at a time: a block's pass flags and
/// group offsets stay in the L1 cache between its passes over the columns.
const BLOCK: usize = 1024;

/// Copies of the counters that [`count_blocks`] keeps when there are few
/// of them: row `j` of a block counts into copy `j % COPIES`, so rows close
/// together that hit the same cell (a handful of groups and answers, a
/// million rows) add to different memory and do not wait on each other.
const COPIES: usize = 4;

/// Most cells (groups × slots) counted in [`COPIES`] copies; more are
/// counted in one, as they are too spread out to collide often.
const COPIES_UP_TO: usize = 16 * 1024;

/// A filter as [`count_blocks`] applies it: a table of the codes that pass
/// (1) and fail (0), indexed by the code itself so there is no bounds or
/// range check per row.
enum BlockFilter<'a> {
    Time(&'a [u64]),
    U8(&'a [u8], Box<[u8; 256]>),
    U16(&'a [u16], Box<[u8; 65536]>),
    Mask(&'a [u32], u32),
    CodeOrMask(&'a [u8], Box<[u8; 256]>, &'a [u32], u32),
    Nothing,
}

/// A pass table from the codes allowed (`ok[code]`).
fn from_table(ok: &[bool]) -> impl Fn(usize) -> bool + '_ {
    |i| ok.get(i).copied().unwrap_or(false)
}

/// A pass table: 1 for the codes that pass, 0 for the others.
fn table<const N: usize>(ok: impl Fn(usize) -> bool) -> Box<[u8; N]> {
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
fn count_blocks(
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
    for w in &filter.wheres {
        let c = &ix.columns[w.col];
        let codes = (!c.codes.is_empty()).then(|| &c.codes[r.clone()]);
        let masks = (!c.masks.is_empty() && w.mask != 0).then(|| &c.masks[r.clone()]);
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
                Dim::Channel => Col::U8(&ix.channel[r.clone()]),
                Dim::Lang => Col::U8(&ix.lang[r.clone()]),
                Dim::Version => Col::U16(&ix.version[r.clone()]),
                Dim::Period(b) => Col::Period(&ix.ms[r.clone()], b),
                Dim::Column(i) => Col::U8(&ix.columns[*i].codes[r.clone()]),
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
                Col::Period(ms, b) => {
                    for (g, &t) in cell.iter_mut().zip(&ms[rows.clone()]) {
                        *g = *g * card + (b.of(t) as u32).min(top);
                    }
                }
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
fn tally(
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
fn count(
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

/// One cell of the result (long format).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    /// The group's value for each `by` dimension, in order.
    pub group: Vec<String>,
    /// Question id.
    pub question: String,
    /// Option id, scale value, sentiment label, `theme:<id>`, or `_skipped`.
    pub answer: String,
    /// Count; `None` when suppressed.
    pub count: Option<u64>,
    /// Share of those who answered; `None` when suppressed or not a share.
    pub proportion: Option<f64>,
    /// Wilson 95% interval, low end.
    pub ci_low: Option<f64>,
    /// Wilson 95% interval, high end.
    pub ci_high: Option<f64>,
}

/// A question's summary in one group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// The group's value for each `by` dimension.
    pub group: Vec<String>,
    /// Question id.
    pub question: String,
    /// Responses in the group.
    pub n: Option<u64>,
    /// Of which answered this question.
    pub answered: Option<u64>,
    /// Of which skipped it (or were not shown it).
    pub skipped: Option<u64>,
    /// Mean (scales).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Sample standard deviation (scales).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// Share answering a "satisfied" value (scales that define them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfied: Option<Proportion>,
}

/// The answer to an aggregate query.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregates {
    /// Form id.
    pub form: String,
    /// Grouping dimensions.
    pub by: Vec<String>,
    /// Responses that passed the filters.
    pub n: Option<u64>,
    /// Whether small cells were suppressed (and under what count).
    pub suppressed_below: Option<u32>,
    /// The cells.
    pub cells: Vec<Cell>,
    /// Summaries per group and question.
    pub summaries: Vec<Summary>,
}

/// How a question's slots are laid out in the accumulator.
struct Slots {
    col: usize,
    /// Slot 0 = skipped; then one per code (labels, then themes, for text).
    width: usize,
}

fn slots_for(ix: &FormIndex, col: usize) -> Slots {
    let c = &ix.columns[col];
    let width = match c.kind {
        ColumnKind::Text { .. } => 1 + 3 + c.dict.len(),
        _ => 1 + c.dict.len(),
    };
    Slots { col, width }
}

/// Runs `q` over `ix`; `min_cell` is the suppression threshold for public output.
pub fn aggregate(
    ix: &FormIndex,
    q: &Query,
    respondent: Option<&str>,
    min_cell: u32,
) -> Result<Aggregates> {
    let filter = Filter::compile(ix, q)?;
    let dims: Vec<Dim> =
        q.by.iter()
            .map(|b| Dim::resolve(ix, b, respondent))
            .collect::<Result<_>>()?;
    let by_cols: Vec<usize> = dims
        .iter()
        .filter_map(|d| {
            if let Dim::Column(i) = d {
                Some(*i)
            } else {
                None
            }
        })
        .collect();
    let questions: Vec<usize> = if q.questions.is_empty() {
        (0..ix.columns.len())
            .filter(|i| !by_cols.contains(i))
            .collect()
    } else {
        q.questions
            .iter()
            .map(|name| {
                ix.column(name)
                    .map(|(i, _)| i)
                    .ok_or_else(|| Error::BadRequest(format!("this form has no question '{name}'")))
            })
            .collect::<Result<_>>()?
    };
    let slots: Vec<Slots> = questions.iter().map(|&c| slots_for(ix, c)).collect();
    let width: usize = slots.iter().map(|s| s.width).sum();
    let cards: Vec<usize> = dims.iter().map(|d| d.cardinality(ix)).collect();
    let groups: usize = cards.iter().product::<usize>().max(1);
    if groups.saturating_mul(width.max(1)) > 50_000_000 {
        return Err(Error::BadRequest(
            "that grouping is too fine; use a longer period or fewer dimensions".into(),
        ));
    }
    // Large indexes are counted in two halves on two threads, then summed.
    let n = ix.len();
    let count = |range| count_blocks(ix, &filter, &dims, &cards, &slots, width, groups, range);
    let (acc, group_n) = if n >= 200_000 {
        let mid = n / 2;
        let (left, right) = std::thread::scope(|scope| {
            let right = scope.spawn(|| count(mid..n));
            let left = count(0..mid);
            (
                left,
                right
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        });
        let (mut acc, mut group_n) = left;
        acc.iter_mut().zip(right.0).for_each(|(a, b)| *a += b);
        group_n.iter_mut().zip(right.1).for_each(|(a, b)| *a += b);
        (acc, group_n)
    } else {
        count(0..n)
    };

    let total: u64 = group_n.iter().sum();
    let live: Vec<usize> = (0..groups).filter(|&g| group_n[g] > 0).collect();
    let group_labels = |g: usize| -> Vec<String> {
        let mut rest = g;
        let mut out = vec![String::new(); dims.len()];
        for i in (0..dims.len()).rev() {
            out[i] = dims[i].label(ix, rest % cards[i]);
            rest /= cards[i];
        }
        out
    };

    let mut cells = Vec::new();
    let mut summaries = Vec::new();
    let mut offset = 0;
    for s in &slots {
        let c = &ix.columns[s.col];
        // counts[group][slot]
        let counts: Vec<Vec<u64>> = live
            .iter()
            .map(|&g| acc[g * width + offset..g * width + offset + s.width].to_vec())
            .collect();
        offset += s.width;
        let shown = suppression(
            &counts,
            &live.iter().map(|&g| group_n[g]).collect::<Vec<_>>(),
            q.public,
            min_cell,
            &c.kind,
        );
        for (gi, &g) in live.iter().enumerate() {
            let group = group_labels(g);
            let n = group_n[g];
            let skipped = counts[gi][0];
            let answered = n - skipped;
            let row_ok = shown.row_complete[gi];
            let n_shown = shown.n[gi];
            let answered_shown = n_shown && shown.cell[gi][0];
            let mut scale_sum = (0f64, 0f64);
            for slot in 1..s.width {
                let count = counts[gi][slot];
                let answer = match c.kind {
                    ColumnKind::Text { .. } if slot <= 3 => {
                        SENTIMENT_LABELS[slot - 1].as_str().to_owned()
                    }
                    ColumnKind::Text { .. } => {
                        format!("theme:{}", c.dict.name((slot - 3) as u32).unwrap_or("?"))
                    }
                    _ => c.dict.name(slot as u32).unwrap_or("?").to_owned(),
                };
                if let ColumnKind::Scale { min, .. } = c.kind {
                    let v = (min + slot as i64 - 1) as f64;
                    scale_sum.0 += v * count as f64;
                    scale_sum.1 += v * v * count as f64;
                }
                let visible = shown.cell[gi][slot];
                let p = if visible && answered_shown {
                    Proportion::new(count, answered)
                } else {
                    None
                };
                cells.push(Cell {
                    group: group.clone(),
                    question: c.id.clone(),
                    answer,
                    count: visible.then_some(count),
                    proportion: p.map(|p| p.proportion),
                    ci_low: p.map(|p| p.ci.low),
                    ci_high: p.map(|p| p.ci.high),
                });
            }
            cells.push(Cell {
                group: group.clone(),
                question: c.id.clone(),
                answer: "_skipped".into(),
                count: shown.cell[gi][0].then_some(skipped),
                proportion: None,
                ci_low: None,
                ci_high: None,
            });
            let (mut mean, mut sd, mut satisfied) = (None, None, None);
            if let ColumnKind::Scale {
                min,
                satisfied: sat,
                ..
            } = &c.kind
            {
                if row_ok && answered > 0 {
                    let a = answered as f64;
                    let m = scale_sum.0 / a;
                    mean = Some(m);
                    if answered > 1 {
                        sd = Some(((scale_sum.1 - a * m * m) / (a - 1.0)).max(0.0).sqrt());
                    }
                    if !sat.is_empty() {
                        let count: u64 = sat
                            .iter()
                            .filter_map(|v| usize::try_from(v - min + 1).ok())
                            .filter(|&slot| slot < s.width)
                            .map(|slot| counts[gi][slot])
                            .sum();
                        satisfied = Proportion::new(count, answered);
                    }
                }
            }
            summaries.push(Summary {
                group,
                question: c.id.clone(),
                n: n_shown.then_some(n),
                answered: answered_shown.then_some(answered),
                skipped: shown.cell[gi][0].then_some(skipped),
                mean,
                sd,
                satisfied,
            });
        }
    }

    Ok(Aggregates {
        form: ix.form.clone(),
        by: q.by.clone(),
        n: (!q.public || total >= u64::from(min_cell)).then_some(total),
        suppressed_below: q.public.then_some(min_cell),
        cells,
        summaries,
    })
}

struct Shown {
    /// cell[group][slot]
    cell: Vec<Vec<bool>>,
    /// Whether the group's size is shown.
    n: Vec<bool>,
    /// Whether every slot of the group is shown (so derived figures such as
    /// a mean cannot reveal a hidden count).
    row_complete: Vec<bool>,
}

/// Which counts may be published. For analysts, all; for public output,
/// cells under `min_cell` are hidden and then enough others that no hidden
/// count can be worked out from the group sizes (row totals) or from the
/// all-groups counts another query would give (column totals).
fn suppression(
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

/// The period buckets of the filtered rows with a count and a base:
/// (label, count of rows whose answer to `col` is in `answers`, rows that
/// answered `col`), in time order. For a mean, `answers` is empty and the
/// count is the sum of values.
pub fn series(
    ix: &FormIndex,
    q: &Query,
    period: Period,
    col: usize,
    answers: &[bool],
) -> Result<Vec<(String, u64, u64, f64)>> {
    let filter = Filter::compile(ix, q)?;
    if ix.span.is_none() {
        return Ok(Vec::new());
    }
    let buckets = Buckets::new(period, ix.span);
    let len = buckets.len();
    let mut hit = vec![0u64; len];
    let mut base = vec![0u64; len];
    let mut sum = vec![0f64; len];
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
        let i = buckets.of(ix.ms[row]);
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
    Ok((0..len)
        .filter(|&i| base[i] > 0)
        .map(|i| (buckets.label(i), hit[i], base[i], sum[i]))
        .collect())
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

/// The quarter label of a time, for messages.
pub fn quarter_label(ms: u64) -> String {
    FiscalQuarter::of_date(Date::from_unix((ms / 1000) as i64)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Indexes;
    use crate::store::ResponseId;
    use crate::synth::{self, Generator, Options};

    fn index(count: usize) -> FormIndex {
        let text = include_str!("../../../examples/forms/community-safety.json");
        let form: survey::Form = serde_json::from_str(text).unwrap();
        let analysis = Indexes::new(analysis::Scorer::new());
        let mut ix = FormIndex::new(&form);
        let gen = Generator::new(
            &form,
            Options {
                count,
                ..Options::default()
            },
        )
        .unwrap();
        for (seq, g) in gen.enumerate() {
            let mut r = synth::stored(&analysis, &form, &g).unwrap();
            r.id = Some(ResponseId {
                ms: g.received_ms,
                seq: seq as u64 + 1,
            });
            ix.push(&r);
        }
        ix
    }

    /// Guards the two-thread split of large queries: counting two halves
    /// and adding them up must give exactly the counts of one pass.
    #[test]
    fn counts_of_parts_add_up_to_the_whole() {
        let ix = index(3000);
        let queries = [
            "by=respondent_type,worry&where=feel_safe_day:4,5",
            "by=location,quarter&where=respondent_type:worker&question=feel_safe_dark,safety_comment",
            "by=month&where=priorities:drugs,phone-bag-theft&from=2024-01-01",
            "where=priorities:",
        ];
        for query in queries {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let q = Query::parse(&pairs, &[]).unwrap();
            let filter = Filter::compile(&ix, &q).unwrap();
            let dims: Vec<Dim> =
                q.by.iter()
                    .map(|b| Dim::resolve(&ix, b, None).unwrap())
                    .collect();
            let cards: Vec<usize> = dims.iter().map(|d| d.cardinality(&ix)).collect();
            let groups = cards.iter().product::<usize>().max(1);
            let slots: Vec<Slots> = (0..ix.columns.len()).map(|c| slots_for(&ix, c)).collect();
            let width = slots.iter().map(|s| s.width).sum();
            let whole = count_blocks(
                &ix,
                &filter,
                &dims,
                &cards,
                &slots,
                width,
                groups,
                0..ix.len(),
            );
            assert!(
                query.ends_with(':') || whole.1.iter().sum::<u64>() > 0,
                "{query} selects rows"
            );
            for mid in [1, 1234, 2999] {
                let a = count_blocks(&ix, &filter, &dims, &cards, &slots, width, groups, 0..mid);
                let b = count_blocks(
                    &ix,
                    &filter,
                    &dims,
                    &cards,
                    &slots,
                    width,
                    groups,
                    mid..ix.len(),
                );
                let acc: Vec<u64> = a.0.iter().zip(&b.0).map(|(x, y)| x + y).collect();
                let n: Vec<u64> = a.1.iter().zip(&b.1).map(|(x, y)| x + y).collect();
                assert_eq!((acc, n), whole, "{query} split at {mid}");
            }
        }
    }
    /// A small deterministic generator for the randomised queries below.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }

        fn some<T: Clone>(&mut self, from: &[T], most: usize) -> Vec<T> {
            (0..self.below(most + 1))
                .map(|_| from[self.below(from.len())].clone())
                .collect()
        }
    }

    fn names(d: &super::super::form_index::Dict) -> Vec<String> {
        (1..=d.len() as u32)
            .filter_map(|c| d.name(c).map(str::to_owned))
            .collect()
    }

    /// A random query over `ix`: any filters, dimensions and questions.
    fn random_query(ix: &FormIndex, rng: &mut Rng) -> Query {
        let mut q = Query::default();
        let (first, last) = ix.span.unwrap();
        if rng.below(3) == 0 {
            q.from_ms = Some(first + (rng.below(1000) as u64) * (last - first) / 1000);
        }
        if rng.below(3) == 0 {
            q.to_ms = Some(first + (rng.below(1000) as u64) * (last - first) / 1000);
        }
        if rng.below(4) == 0 {
            q.locations = rng.some(&names(&ix.locations), 4);
        }
        if rng.below(6) == 0 {
            q.channels = rng.some(&names(&ix.channels), 2);
        }
        if rng.below(6) == 0 {
            q.langs = rng.some(&names(&ix.langs), 1);
        }
        if rng.below(6) == 0 {
            q.versions = rng.some(&[1, 2], 2);
        }
        for _ in 0..rng.below(3) {
            let c = &ix.columns[rng.below(ix.columns.len())];
            let mut answers = names(&c.dict);
            if let ColumnKind::Text { .. } = c.kind {
                answers.extend(SENTIMENT_LABELS.map(|l| l.as_str().to_owned()));
            }
            if answers.is_empty() {
                continue;
            }
            q.wheres.push((c.id.clone(), rng.some(&answers, 3)));
        }
        let mut dims: Vec<String> = ["location", "channel", "lang", "version"]
            .into_iter()
            .chain(["day", "week", "month", "quarter", "year"])
            .map(String::from)
            .collect();
        dims.extend(
            ix.columns
                .iter()
                .filter(|c| !matches!(c.kind, ColumnKind::Multi | ColumnKind::Text { .. }))
                .map(|c| c.id.clone()),
        );
        q.by = rng.some(&dims, 2);
        let questions: Vec<String> = ix.columns.iter().map(|c| c.id.clone()).collect();
        q.questions = rng.some(&questions, 5);
        q
    }

    /// Guards the block-wise counter used for queries of a few questions:
    /// on random queries (every kind of filter, dimension and question) it
    /// must give exactly the counts of the column-wise one, for the whole
    /// index and for parts of it that do not start or end on a block.
    #[test]
    fn block_counts_agree_with_column_counts_on_random_queries() {
        let ix = index(3000);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut few_cells, mut many_cells, mut selecting) = (0, 0, 0);
        for round in 0..400 {
            let q = random_query(&ix, &mut rng);
            let filter = Filter::compile(&ix, &q).unwrap();
            let dims: Vec<Dim> =
                q.by.iter()
                    .map(|b| Dim::resolve(&ix, b, None).unwrap())
                    .collect();
            let cards: Vec<usize> = dims.iter().map(|d| d.cardinality(&ix)).collect();
            let groups = cards.iter().product::<usize>().max(1);
            let slots: Vec<Slots> = q
                .questions
                .iter()
                .map(|name| slots_for(&ix, ix.column(name).unwrap().0))
                .collect();
            let width = slots.iter().map(|s| s.width).sum();
            if (groups + 1) * (width + 2) > COPIES_UP_TO {
                many_cells += 1;
            } else {
                few_cells += 1;
            }
            let args = (
                &ix,
                &filter,
                &dims[..],
                &cards[..],
                &slots[..],
                width,
                groups,
            );
            let by_column = |range| {
                count(
                    args.0, args.1, args.2, args.3, args.4, args.5, args.6, range,
                )
            };
            let by_block = |range| {
                count_blocks(
                    args.0, args.1, args.2, args.3, args.4, args.5, args.6, range,
                )
            };
            let whole = by_column(0..ix.len());
            selecting += usize::from(whole.1.iter().sum::<u64>() > 0);
            assert_eq!(by_block(0..ix.len()), whole, "round {round}: {q:?}");
            let mid = 1 + rng.below(ix.len() - 1);
            let end = mid + rng.below(ix.len() - mid);
            assert_eq!(
                by_block(mid..end),
                by_column(mid..end),
                "round {round} rows {mid}..{end}: {q:?}"
            );
        }
        assert!(
            few_cells > 100 && many_cells > 5,
            "{few_cells} small and {many_cells} large"
        );
        assert!(selecting > 200, "{selecting} queries selected rows");
    }
}
