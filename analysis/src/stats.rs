//! Figures for aggregates: proportions with Wilson intervals, scale
//! summaries, reporting periods, and control charts for monthly trends.
//!
//! Dates are UTC and computed from unix seconds with the proleptic
//! Gregorian calendar (days-from-civil arithmetic), so there is no time-zone
//! or clock dependency. Financial years run from April, as the force
//! reports them: `2024/25 Q1` is April–June 2024 and `2024/25 Q4` is
//! January–March 2025.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The standard normal quantile for a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A closed interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// The Wilson score interval for `successes` out of `n` at normal quantile
/// `z` (use [`Z_95`]); `None` when `n` is 0 or `successes > n`.
///
/// Unlike the textbook p ± z·se interval it stays inside [0, 1] and does
/// not collapse to a point at 0 or n successes, which matters for the small
/// cells of a cross-tab.
pub fn wilson(successes: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let (x, n) = (successes as f64, n as f64);
    let p = x / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// A count as a share of its base, with its 95% Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Proportion {
    /// How many.
    pub count: u64,
    /// Out of how many.
    pub n: u64,
    /// `count / n`.
    pub proportion: f64,
    /// 95% Wilson interval.
    pub ci: Interval,
}

impl Proportion {
    /// `count` out of `n`; `None` when `n` is 0 or `count > n`.
    pub fn new(count: u64, n: u64) -> Option<Proportion> {
        let ci = wilson(count, n, Z_95)?;
        Some(Proportion {
            count,
            n,
            proportion: count as f64 / n as f64,
            ci,
        })
    }
}

/// How a proportion changed from one period to the next, with a two-sided
/// test of the difference at the 95% level (two proportions, pooled
/// standard error), as a performance report flags a "significant" change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `now − before`, as a proportion (0.05 is five points).
    pub difference: f64,
    /// The test statistic.
    pub z: f64,
    /// Whether `|z|` reaches 1.96.
    pub significant: bool,
}

impl Change {
    /// The change from `before_count` of `before_n` to `count` of `n`;
    /// none when either period has no answers. Identical shares, or every
    /// answer the same in both, are no change (z = 0).
    pub fn between(count: u64, n: u64, before_count: u64, before_n: u64) -> Option<Change> {
        if n == 0 || before_n == 0 || count > n || before_count > before_n {
            return None;
        }
        let (p1, p2) = (
            count as f64 / n as f64,
            before_count as f64 / before_n as f64,
        );
        let pooled = (count + before_count) as f64 / (n + before_n) as f64;
        let se = (pooled * (1.0 - pooled) * (1.0 / n as f64 + 1.0 / before_n as f64)).sqrt();
        let z = if se > 0.0 { (p1 - p2) / se } else { 0.0 };
        Some(Change {
            difference: p1 - p2,
            z,
            significant: z.abs() >= Z_95,
        })
    }
}

/// Mean, spread and distribution of answers to a scale question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleSummary {
    /// Number of answers.
    pub n: u64,
    /// Mean answer; `None` with no answers.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1); `None` with fewer than 2 answers.
    pub sd: Option<f64>,
    /// Count of each value from `min` to `max`, zeros included; values
    /// outside the scale are not counted anywhere.
    pub distribution: BTreeMap<i64, u64>,
}

impl ScaleSummary {
    /// Summarises answers on the scale `min..=max`.
    pub fn new(values: impl IntoIterator<Item = i64>, min: i64, max: i64) -> ScaleSummary {
        let mut distribution: BTreeMap<i64, u64> = (min..=max).map(|v| (v, 0)).collect();
        let (mut n, mut sum, mut sum_sq) = (0u64, 0f64, 0f64);
        for v in values {
            if let Some(c) = distribution.get_mut(&v) {
                *c += 1;
                n += 1;
                sum += v as f64;
                sum_sq += (v as f64) * (v as f64);
            }
        }
        let mean = (n > 0).then(|| sum / n as f64);
        let sd = mean.filter(|_| n > 1).map(|m| {
            ((sum_sq - n as f64 * m * m) / (n as f64 - 1.0))
                .max(0.0)
                .sqrt()
        });
        ScaleSummary {
            n,
            mean,
            sd,
            distribution,
        }
    }

    /// The share of answers that are one of `values` (for example the
    /// "satisfied" values 1 and 2), with its interval.
    pub fn share(&self, values: &[i64]) -> Option<Proportion> {
        let count = self
            .distribution
            .iter()
            .filter(|(v, _)| values.contains(v))
            .map(|(_, c)| c)
            .sum();
        Proportion::new(count, self.n)
    }
}

/// A calendar date (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
}

const SECONDS_PER_DAY: i64 = 86_400;

impl Date {
    /// The UTC date of a unix time in seconds.
    pub fn from_unix(seconds: i64) -> Date {
        civil_from_days(seconds.div_euclid(SECONDS_PER_DAY))
    }

    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// ISO weekday: Monday 1 … Sunday 7.
    pub fn iso_weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.days_since_epoch() + 3).rem_euclid(7) as u32 + 1
    }

    /// ISO 8601 week-numbering year and week (1–53): weeks start on Monday
    /// and belong to the year their Thursday falls in.
    pub fn iso_week(self) -> (i64, u32) {
        let days = self.days_since_epoch();
        let thursday = days - i64::from(self.iso_weekday()) + 4;
        let year = civil_from_days(thursday).year;
        let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
        (year, week as u32)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date { year, month, day }
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A quarter of a UK financial year (April to March).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalQuarter {
    /// The calendar year the financial year starts in (2024 for 2024/25).
    pub start_year: i64,
    /// 1 = April–June, 2 = July–September, 3 = October–December,
    /// 4 = January–March.
    pub quarter: u8,
}

impl FiscalQuarter {
    /// The quarter a month (1–12) of a calendar year falls in.
    pub fn of_month(year: i64, month: u32) -> FiscalQuarter {
        if month <= 3 {
            FiscalQuarter {
                start_year: year - 1,
                quarter: 4,
            }
        } else {
            FiscalQuarter {
                start_year: year,
                quarter: ((month - 4) / 3 + 1) as u8,
            }
        }
    }

    /// The quarter of a date.
    pub fn of_date(date: Date) -> FiscalQuarter {
        FiscalQuarter::of_month(date.year, date.month)
    }

    /// `2024/25`.
    pub fn year_label(self) -> String {
        format!(
            "{}/{:02}",
            self.start_year,
            (self.start_year + 1).rem_euclid(100)
        )
    }
}

impl fmt::Display for FiscalQuarter {
    /// `2024/25 Q3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Q{}", self.year_label(), self.quarter)
    }
}

/// A reporting period that responses are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// `2024-10-05`
    Day,
    /// ISO week, `2024-W40`
    Week,
    /// `2024-10`
    Month,
    /// Financial-year quarter, `2024/25 Q3`
    Quarter,
    /// Financial year, `2024/25`
    Year,
}

impl Period {
    /// The key of the period (UTC) that a unix time in seconds falls in.
    /// Keys of one kind sort in time order within a century.
    pub fn key(self, unix_seconds: i64) -> String {
        let d = Date::from_unix(unix_seconds);
        match self {
            Period::Day => d.to_string(),
            Period::Week => {
                let (y, w) = d.iso_week();
                format!("{y:04}-W{w:02}")
            }
            Period::Month => format!("{:04}-{:02}", d.year, d.month),
            Period::Quarter => FiscalQuarter::of_date(d).to_string(),
            Period::Year => FiscalQuarter::of_date(d).year_label(),
        }
    }
}

/// Limits are drawn this many standard deviations from the centre line.
pub const CONTROL_LIMIT_SIGMAS: f64 = 2.0;
/// Points in a row on one side of the centre line that make a shift.
pub const RUN_LENGTH: usize = 7;
/// Rises (or falls) in a row that make a trend.
pub const TREND_LENGTH: usize = 7;

/// One point of a control chart with its limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChartPoint {
    /// The plotted value (a proportion or a mean).
    pub value: f64,
    /// Lower control limit for this point.
    pub lower: f64,
    /// Upper control limit for this point.
    pub upper: f64,
}

/// A rule that marks a special-cause variation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A point strictly above its upper or below its lower limit.
    OutsideLimits,
    /// [`RUN_LENGTH`] or more points in a row strictly above the centre line.
    RunAbove,
    /// [`RUN_LENGTH`] or more points in a row strictly below the centre line.
    RunBelow,
    /// [`TREND_LENGTH`] or more rises in a row: that many consecutive
    /// points each strictly higher than the point before it.
    TrendUp,
    /// [`TREND_LENGTH`] or more falls in a row, likewise.
    TrendDown,
}

/// Where a rule fired: points `first..=last` (indices into the series).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// Which rule.
    pub rule: Rule,
    /// First point of the pattern. For a trend this is the point the first
    /// rise starts from.
    pub first: usize,
    /// Last point of the pattern.
    pub last: usize,
}

/// One month of a scale question for [`ControlChart::means`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MonthlyMean {
    /// Mean answer that month.
    pub mean: f64,
    /// Sample standard deviation of that month's answers.
    pub sd: f64,
    /// Number of answers that month.
    pub n: u64,
}

/// A control chart of a monthly series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControlChart {
    /// Centre line.
    pub centre: f64,
    /// Points with their limits, in series order.
    pub points: Vec<ChartPoint>,
    /// Every pattern found, by rule then position; runs and trends are
    /// reported once each, over their whole length.
    pub signals: Vec<Signal>,
}

impl ControlChart {
    /// A p-chart of `(count, n)` pairs. The centre line is p̄ = Σcount / Σn
    /// (the mean of the series weighted by n; the plain mean when every n
    /// is equal), and point i's limits are p̄ ± 2·sqrt(p̄(1 − p̄) / nᵢ),
    /// clipped to [0, 1]. `None` for an empty series, a month with n = 0,
    /// or a count above its n.
    pub fn proportions(series: &[(u64, u64)]) -> Option<ControlChart> {
        if series.is_empty() || series.iter().any(|&(c, n)| n == 0 || c > n) {
            return None;
        }
        let (total_c, total_n) = series
            .iter()
            .fold((0u64, 0u64), |(a, b), &(c, n)| (a + c, b + n));
        let centre = total_c as f64 / total_n as f64;
        let points = series
            .iter()
            .map(|&(c, n)| {
                let sd = (centre * (1.0 - centre) / n as f64).sqrt();
                ChartPoint {
                    value: c as f64 / n as f64,
                    lower: (centre - CONTROL_LIMIT_SIGMAS * sd).max(0.0),
                    upper: (centre + CONTROL_LIMIT_SIGMAS * sd).min(1.0),
                }
            })
            .collect();
        Some(ControlChart::with_points(centre, points))
    }

    /// A chart of a plain series (monthly means, counts, scores). The
    /// centre line is the mean of the points and the limits are
    /// mean ± 2·s, with s the sample standard deviation (n − 1) of the
    /// points themselves. `None` with fewer than 2 points or a value that
    /// is not finite.
    pub fn values(series: &[f64]) -> Option<ControlChart> {
        if series.len() < 2 || series.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let n = series.len() as f64;
        let centre = series.iter().sum::<f64>() / n;
        let sd = (series.iter().map(|v| (v - centre).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let (lower, upper) = (
            centre - CONTROL_LIMIT_SIGMAS * sd,
            centre + CONTROL_LIMIT_SIGMAS * sd,
        );
        let points = series
            .iter()
            .map(|&value| ChartPoint {
                value,
                lower,
                upper,
            })
            .collect();
        Some(ControlChart::with_points(centre, points))
    }

    /// An x̄-chart of monthly means of a scale, each given with its sample
    /// standard deviation and number of answers. The centre line is the
    /// grand mean Σnᵢx̄ᵢ / Σnᵢ; the spread within months is pooled,
    /// s = sqrt(Σ(nᵢ − 1)sᵢ² / Σ(nᵢ − 1)), and point i's limits are
    /// centre ± 2·s / sqrt(nᵢ). `None` for an empty series, a month with
    /// n = 0, a value that is not finite, or no month with n ≥ 2.
    pub fn means(series: &[MonthlyMean]) -> Option<ControlChart> {
        let bad =
            |m: &MonthlyMean| m.n == 0 || !m.mean.is_finite() || !m.sd.is_finite() || m.sd < 0.0;
        if series.is_empty() || series.iter().any(bad) {
            return None;
        }
        let total: f64 = series.iter().map(|m| m.n as f64).sum();
        let centre = series.iter().map(|m| m.n as f64 * m.mean).sum::<f64>() / total;
        let dof: f64 = series.iter().map(|m| m.n as f64 - 1.0).sum();
        if dof <= 0.0 {
            return None;
        }
        let pooled = (series
            .iter()
            .map(|m| (m.n as f64 - 1.0) * m.sd * m.sd)
            .sum::<f64>()
            / dof)
            .sqrt();
        let points = series
            .iter()
            .map(|m| {
                let se = pooled / (m.n as f64).sqrt();
                ChartPoint {
                    value: m.mean,
                    lower: centre - CONTROL_LIMIT_SIGMAS * se,
                    upper: centre + CONTROL_LIMIT_SIGMAS * se,
                }
            })
            .collect();
        Some(ControlChart::with_points(centre, points))
    }

    fn with_points(centre: f64, points: Vec<ChartPoint>) -> ControlChart {
        let signals = signals(centre, &points);
        ControlChart {
            centre,
            points,
            signals,
        }
    }

    /// Whether point `i` is part of any signal.
    pub fn flagged(&self, i: usize) -> bool {
        self.signals.iter().any(|s| (s.first..=s.last).contains(&i))
    }
}

fn signals(centre: f64, points: &[ChartPoint]) -> Vec<Signal> {
    let mut out = Vec::new();
    for (i, p) in points.iter().enumerate() {
        if p.value > p.upper || p.value < p.lower {
            out.push(Signal {
                rule: Rule::OutsideLimits,
                first: i,
                last: i,
            });
        }
    }
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    // Runs: maximal stretches of points strictly on one side.
    runs(
        &values,
        |v| v > centre,
        RUN_LENGTH,
        Rule::RunAbove,
        0,
        &mut out,
    );
    runs(
        &values,
        |v| v < centre,
        RUN_LENGTH,
        Rule::RunBelow,
        0,
        &mut out,
    );
    // Trends: maximal stretches of rises (falls) between neighbours; the
    // pattern starts at the point before the first rise.
    let rises: Vec<f64> = values.windows(2).map(|w| w[1] - w[0]).collect();
    runs(
        &rises,
        |d| d > 0.0,
        TREND_LENGTH,
        Rule::TrendUp,
        1,
        &mut out,
    );
    runs(
        &rises,
        |d| d < 0.0,
        TREND_LENGTH,
        Rule::TrendDown,
        1,
        &mut out,
    );
    out
}

/// Reports every maximal stretch of at least `min` items that satisfy
/// `hit`; `extra` widens the reported span to the left (a trend of k rises
/// covers k + 1 points).
fn runs(
    items: &[f64],
    hit: impl Fn(f64) -> bool,
    min: usize,
    rule: Rule,
    extra: usize,
    out: &mut Vec<Signal>,
) {
    let mut start = None;
    for i in 0..=items.len() {
        match (start, items.get(i).is_some_and(|&v| hit(v))) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                if i - s >= min {
                    out.push(Signal {
                        rule,
                        first: s,
                        last: i - 1 + extra,
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_change_is_significant_when_the_two_proportion_test_says_so() {
        // 60/100 against 45/100: pooled 0.525, se 0.07062, z 2.124.
        let c = Change::between(60, 100, 45, 100).expect("both periods answered");
        assert!((c.difference - 0.15).abs() < 1e-12);
        assert!((c.z - 2.1239).abs() < 1e-3, "z {}", c.z);
        assert!(c.significant);
        // 52/100 against 45/100: z 0.99, within chance.
        let c = Change::between(52, 100, 45, 100).expect("both periods answered");
        assert!((c.z - 0.9905).abs() < 1e-3, "z {}", c.z);
        assert!(!c.significant);
        // A fall is negative and can be significant too.
        assert!(Change::between(30, 200, 60, 200).is_some_and(|c| c.z < -3.0 && c.significant));
        // Everyone the same both times: no change, not a division by zero.
        assert_eq!(Change::between(10, 10, 20, 20).map(|c| c.z), Some(0.0));
        assert!(Change::between(1, 0, 1, 2).is_none());
        assert!(Change::between(5, 4, 1, 2).is_none());
    }

    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_matches_independently_computed_values() {
        // Expected values from solving (p̂ − p)² = z²·p(1 − p)/n as a
        // quadratic in p, in Python with z = NormalDist().inv_cdf(0.975).
        let cases = [
            (0, 10, 0.000000, 0.277533),
            (5, 10, 0.236593, 0.763407),
            (81, 263, 0.255289, 0.366210),
            (10, 10, 0.722467, 1.000000),
            (1, 1, 0.206549, 1.000000),
            (263, 1000, 0.236657, 0.291157),
        ];
        for (x, n, lo, hi) in cases {
            let ci = wilson(x, n, Z_95).unwrap();
            assert!(
                close(ci.low, lo, 1e-6) && close(ci.high, hi, 1e-6),
                "{x}/{n}: {ci:?}"
            );
        }
        assert_eq!(wilson(0, 0, Z_95), None);
        assert_eq!(wilson(3, 2, Z_95), None);
        let p = Proportion::new(81, 263).unwrap();
        assert!(close(p.proportion, 0.307985, 1e-6));
    }

    #[test]
    fn scale_summary_counts_every_value_and_ignores_strays() {
        let s = ScaleSummary::new([1, 2, 2, 3, 5, 5, 9], 1, 5);
        assert_eq!(s.n, 6);
        assert_eq!(
            s.distribution.values().copied().collect::<Vec<_>>(),
            [1, 2, 1, 0, 2]
        );
        assert!(close(s.mean.unwrap(), 3.0, 1e-12));
        // Sample sd of 1,2,2,3,5,5: Σ(x−3)² = 4+1+1+0+4+4 = 14, /5, sqrt.
        assert!(close(s.sd.unwrap(), (14.0f64 / 5.0).sqrt(), 1e-12));
        let satisfied = s.share(&[1, 2]).unwrap();
        assert_eq!((satisfied.count, satisfied.n), (3, 6));

        let empty = ScaleSummary::new([], 0, 10);
        assert_eq!(
            (empty.n, empty.mean, empty.sd, empty.distribution.len()),
            (0, None, None, 11)
        );
        assert_eq!(empty.share(&[9, 10]), None);
        assert_eq!(ScaleSummary::new([4], 1, 5).sd, None);
    }

    #[test]
    fn financial_quarters_start_in_april() {
        let q = |y, m| FiscalQuarter::of_month(y, m).to_string();
        assert_eq!(q(2024, 4), "2024/25 Q1");
        assert_eq!(q(2024, 6), "2024/25 Q1");
        assert_eq!(q(2024, 7), "2024/25 Q2");
        assert_eq!(q(2024, 10), "2024/25 Q3");
        assert_eq!(q(2024, 12), "2024/25 Q3");
        assert_eq!(q(2025, 1), "2024/25 Q4");
        assert_eq!(q(2025, 3), "2024/25 Q4");
        assert_eq!(q(2025, 4), "2025/26 Q1");
        assert_eq!(q(2000, 2), "1999/00 Q4");
        assert!(FiscalQuarter::of_month(2025, 3) < FiscalQuarter::of_month(2025, 4));
    }

    #[test]
    fn period_keys_from_unix_seconds() {
        // Dates and ISO weeks checked against Python's datetime.
        let t = 1_728_086_400; // 2024-10-05 00:00:00 UTC, a Saturday
        assert_eq!(Period::Day.key(t), "2024-10-05");
        assert_eq!(Period::Week.key(t), "2024-W40");
        assert_eq!(Period::Month.key(t), "2024-10");
        assert_eq!(Period::Quarter.key(t), "2024/25 Q3");
        assert_eq!(Period::Year.key(t), "2024/25");
        // The last second of 2024 is in ISO week 1 of 2025, and in Q3.
        assert_eq!(Period::Day.key(1_735_689_599), "2024-12-31");
        assert_eq!(Period::Week.key(1_735_689_599), "2025-W01");
        assert_eq!(Period::Quarter.key(1_735_689_599), "2024/25 Q3");
        assert_eq!(Period::Quarter.key(1_735_689_600), "2024/25 Q4");
        assert_eq!(Period::Week.key(1_609_459_200), "2020-W53"); // 2021-01-01
        assert_eq!(Period::Week.key(1_704_067_200), "2024-W01"); // a Monday
        assert_eq!(Period::Day.key(951_782_400), "2000-02-29");
        assert_eq!(Period::Day.key(0), "1970-01-01");
        assert_eq!(Period::Day.key(-1), "1969-12-31");
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let d = civil_from_days(days);
            assert_eq!(d.days_since_epoch(), days, "{d}");
            assert!((1..=12).contains(&d.month) && (1..=31).contains(&d.day));
        }
        assert_eq!(Date::from_unix(0).iso_weekday(), 4);
    }

    fn rules(chart: &ControlChart) -> Vec<(Rule, usize, usize)> {
        chart
            .signals
            .iter()
            .map(|s| (s.rule, s.first, s.last))
            .collect()
    }

    #[test]
    fn plain_series_limits_use_the_sample_sd_of_the_points() {
        let c = ControlChart::values(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        // Mean 5, sample sd sqrt(32/7).
        let sd = (32.0f64 / 7.0).sqrt();
        assert!(close(c.centre, 5.0, 1e-12));
        assert!(close(c.points[0].upper, 5.0 + 2.0 * sd, 1e-12));
        assert!(close(c.points[0].lower, 5.0 - 2.0 * sd, 1e-12));
        assert!(rules(&c).is_empty());
        assert!(ControlChart::values(&[1.0]).is_none());
    }

    #[test]
    fn p_chart_limits_use_the_binomial_sd_of_each_month() {
        let c = ControlChart::proportions(&[(30, 100), (10, 25), (50, 200), (40, 100)]).unwrap();
        let p = 130.0 / 425.0;
        assert!(close(c.centre, p, 1e-12));
        for (pt, n) in c.points.iter().zip([100.0, 25.0, 200.0, 100.0]) {
            let sd = (p * (1.0 - p) / n).sqrt();
            assert!(close(pt.upper, p + 2.0 * sd, 1e-12) && close(pt.lower, p - 2.0 * sd, 1e-12));
        }
        // The smallest month has the widest limits.
        assert!(c.points[1].upper > c.points[0].upper);
        assert!(ControlChart::proportions(&[(1, 0)]).is_none());
        assert!(ControlChart::proportions(&[]).is_none());
    }

    #[test]
    fn means_chart_limits_use_the_pooled_sd_over_root_n() {
        let m = |mean, sd, n| MonthlyMean { mean, sd, n };
        let c = ControlChart::means(&[m(3.0, 1.0, 10), m(3.5, 2.0, 40), m(2.0, 1.0, 10)]).unwrap();
        // Grand mean (30 + 140 + 20) / 60; pooled sd sqrt((9 + 156 + 9) / 57).
        let centre = 190.0 / 60.0;
        let pooled = (174.0f64 / 57.0).sqrt();
        assert!(close(c.centre, centre, 1e-12));
        assert!(close(
            c.points[0].upper,
            centre + 2.0 * pooled / 10f64.sqrt(),
            1e-12
        ));
        assert!(close(
            c.points[1].lower,
            centre - 2.0 * pooled / 40f64.sqrt(),
            1e-12
        ));
        // 2.0 against limits of about 3.17 ± 1.10: outside.
        assert_eq!(rules(&c), [(Rule::OutsideLimits, 2, 2)]);
        assert!(ControlChart::means(&[m(3.0, 1.0, 1)]).is_none());
        assert!(ControlChart::means(&[m(3.0, 1.0, 0), m(3.0, 1.0, 5)]).is_none());
    }

    #[test]
    fn a_point_outside_the_limits_is_flagged_and_one_inside_is_not() {
        // Alternating 9, 11 keeps runs and trends out of the picture.
        let mut s: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 9.0 } else { 11.0 })
            .collect();
        s.push(30.0);
        let c = ControlChart::values(&s).unwrap();
        assert_eq!(rules(&c), [(Rule::OutsideLimits, 20, 20)]);
        assert!(c.flagged(20) && !c.flagged(19));
        // The same spike of 19 stays inside when the months vary more.
        let mut s: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 4.0 } else { 16.0 })
            .collect();
        s.push(19.0);
        let c = ControlChart::values(&s).unwrap();
        assert!(rules(&c).is_empty(), "{:?}", c.signals);

        // p-chart: 70% in a month of 100 against p̄ near 30%.
        let c = ControlChart::proportions(&[
            (30, 100),
            (28, 100),
            (31, 100),
            (29, 100),
            (70, 100),
            (30, 100),
        ])
        .unwrap();
        assert_eq!(rules(&c), [(Rule::OutsideLimits, 4, 4)]);
        // Just inside: 30% ± 2·sqrt(.3·.7/100) ≈ [20.8%, 39.2%].
        let c = ControlChart::proportions(&[(30, 100), (39, 100), (21, 100), (30, 100)]).unwrap();
        assert!(rules(&c).is_empty(), "{:?}", c.signals);
    }

    #[test]
    fn seven_in_a_row_on_one_side_is_a_run_and_six_is_not() {
        // Centre 0 by symmetry; the first half sits above, the second below.
        let above7 = [
            1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, -1.0, -2.0, -1.0, -2.0, -1.0, -2.0, -1.0, 0.0,
        ];
        let c = ControlChart::values(&above7).unwrap();
        assert!(close(c.centre, 0.0, 1e-12));
        assert_eq!(rules(&c), [(Rule::RunAbove, 0, 6), (Rule::RunBelow, 7, 13)]);

        let six = [
            1.0, 2.0, 1.0, 2.0, 1.0, 2.0, -1.0, -2.0, -1.0, -2.0, -1.0, -2.0,
        ];
        let c = ControlChart::values(&six).unwrap();
        assert!(rules(&c).is_empty(), "{:?}", c.signals);

        // A point on the centre line breaks a run.
        let broken = [1.0, 2.0, 1.0, 0.0, 2.0, 1.0, 2.0, 1.0, -4.0, -4.0, -2.0];
        let c = ControlChart::values(&broken).unwrap();
        assert!(close(c.centre, 0.0, 1e-12));
        assert!(rules(&c).is_empty(), "{:?}", c.signals);
    }

    #[test]
    fn seven_rises_in_a_row_is_a_trend_and_six_is_not() {
        // 8 points, each of the last 7 higher than the one before.
        let up = [5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 4.0, 5.0, 4.0];
        let c = ControlChart::values(&up).unwrap();
        assert!(
            rules(&c).contains(&(Rule::TrendUp, 1, 8)),
            "{:?}",
            c.signals
        );

        let six_rises = [5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 5.0, 4.0, 5.0, 4.0];
        let c = ControlChart::values(&six_rises).unwrap();
        assert!(
            !c.signals.iter().any(|s| s.rule == Rule::TrendUp),
            "{:?}",
            c.signals
        );

        // A repeated value is not a rise.
        let flat = [1.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let c = ControlChart::values(&flat).unwrap();
        assert!(
            !c.signals.iter().any(|s| s.rule == Rule::TrendUp),
            "{:?}",
            c.signals
        );

        let down: Vec<f64> = (0..8).map(|i| 0.5 - 0.01 * i as f64).collect();
        let series: Vec<(u64, u64)> = down
            .iter()
            .map(|p| ((p * 1000.0).round() as u64, 1000))
            .collect();
        let c = ControlChart::proportions(&series).unwrap();
        assert!(
            rules(&c).contains(&(Rule::TrendDown, 0, 7)),
            "{:?}",
            c.signals
        );
        let c = ControlChart::proportions(&series[..7]).unwrap();
        assert!(
            !c.signals.iter().any(|s| s.rule == Rule::TrendDown),
            "{:?}",
            c.signals
        );
    }
}
