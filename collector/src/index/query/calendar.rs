//! Calendar arithmetic for trends and period groupings: which bucket
//! (day, week from Monday, month, financial quarter or year from April) a
//! time falls in, where each bucket starts, and its label.
//!
//! ```text
//! ms ─► period_bucket ─► bucket number ─► Buckets::of (a search among bounds) / label
//! ```

use analysis::stats::{FiscalQuarter, Period};
use time::{Date, Month, OffsetDateTime};

/// Start (ms, UTC) of a month numbered from January of year 0 (`year * 12
/// + month - 1`); 0 before 1970, and past the calendar's end, never.
pub(super) fn month_start_ms(month_index: i64) -> u64 {
    let year = month_index.div_euclid(12);
    let month = Month::try_from(month_index.rem_euclid(12) as u8 + 1).unwrap_or(Month::January);
    match i32::try_from(year)
        .ok()
        .and_then(|y| Date::from_calendar_date(y, month, 1).ok())
    {
        Some(d) => (d.midnight().assume_utc().unix_timestamp().max(0) as u64) * 1000,
        None if year < 1970 => 0,
        None => u64::MAX,
    }
}

/// The UTC year and month (1–12) of a time.
fn year_month(ms: u64) -> (i64, u32) {
    let t = i64::try_from(ms / 1000)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    (i64::from(t.year()), u32::from(u8::from(t.month())))
}

/// `[start, end)` in ms of a financial-year quarter: `q` 1–4 of the year
/// from April `start_year`.
pub fn quarter_bounds(start_year: i64, q: i64) -> (u64, u64) {
    let month_index = start_year * 12 + 3 + (q - 1) * 3; // April = index 3
    (month_start_ms(month_index), month_start_ms(month_index + 3))
}

/// The period buckets of an index's span, so that a row's bucket is a
/// search among a few boundaries rather than a calendar conversion.
pub(super) struct Buckets {
    pub(super) period: Period,
    /// Bucket number of the first bucket.
    pub(super) first: i64,
    /// Start (ms) of every bucket after the first, up to one past the last.
    pub(super) bounds: Vec<u64>,
}

impl Buckets {
    pub(super) fn new(period: Period, span: Option<(u64, u64)>) -> Buckets {
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

    pub(super) fn len(&self) -> usize {
        self.bounds.len() + 1
    }

    /// Index (from 0) of the bucket holding `ms`.
    #[inline]
    pub(super) fn of(&self, ms: u64) -> usize {
        self.bounds.partition_point(|&b| b <= ms)
    }

    pub(super) fn label(&self, i: usize) -> String {
        period_label(self.period, self.first + i as i64)
    }
}

pub(super) const DAY_MS: u64 = 86_400_000;

pub(super) fn period_bucket(p: Period, ms: u64) -> i64 {
    let days = (ms / DAY_MS) as i64;
    match p {
        Period::Day => days,
        Period::Week => (days + 3).div_euclid(7),
        _ => {
            let (year, month) = year_month(ms);
            let m = year * 12 + i64::from(month) - 1;
            match p {
                Period::Month => m,
                Period::Quarter => (m - 3).div_euclid(3),
                _ => (m - 3).div_euclid(12),
            }
        }
    }
}

pub(super) fn period_label(p: Period, bucket: i64) -> String {
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

/// The quarter label of a time, for messages.
pub fn quarter_label(ms: u64) -> String {
    let (year, month) = year_month(ms);
    FiscalQuarter::of_month(year, month).to_string()
}
