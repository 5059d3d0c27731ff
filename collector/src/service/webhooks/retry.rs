//! When to try a delivery again, and whether to: exponential backoff with
//! jitter, a receiver's `Retry-After` honoured, and which answers are
//! worth another attempt.
//!
//! ```text
//! 2xx ─► delivered
//! 408, 429, 5xx, timeout, network error ─► again after base·5^(n-1) ±20 % (or Retry-After if later) … until the last attempt ─► dead
//! 3xx, any other 4xx, a refused address ─► dead at once
//! ```
//!
//! With the defaults (8 attempts, 5 s base) the waits are about 5 s, 25 s,
//! 2 min, 10 min, 52 min, 4 h 20 and 21 h 42: the last attempt comes about
//! 27 hours after the first.

use std::time::Duration;

/// Each wait is this many times the one before.
const FACTOR: u32 = 5;
/// The longest wait, whatever the schedule or a `Retry-After` asks.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// A retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The wait after the first failed attempt.
    pub base: Duration,
    /// Attempts before a delivery is dead.
    pub attempts: u32,
}

impl Policy {
    /// The wait after `failed` attempts (1 for the first), before jitter.
    pub fn wait(&self, failed: u32) -> Duration {
        let exp = failed.saturating_sub(1).min(20);
        let mult = FACTOR.saturating_pow(exp);
        self.base.saturating_mul(mult).min(MAX_WAIT)
    }

    /// [`Policy::wait`] spread by ±20 % (`jitter` in [0, 1)), so that
    /// deliveries failing together do not all come back together; never
    /// less than a `Retry-After` the receiver asked for.
    pub fn next_wait(&self, failed: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let spread = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
        // Spread, then held to the longest wait: spreading a wait already
        // at it would make it longer.
        let wait = self.wait(failed).mul_f64(spread).min(MAX_WAIT);
        match retry_after {
            Some(asked) => wait.max(asked.min(MAX_WAIT)),
            None => wait,
        }
    }
}

/// What an answer means for a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Taken.
    Delivered,
    /// Worth another attempt.
    Retry,
    /// Not worth another attempt.
    Dead,
}

/// What the receiver's status means.
pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        408 | 429 | 500..=599 => Verdict::Retry,
        // Following redirects is the Standard Webhooks' "failure": the
        // hook's URL needs changing, which no retry does.
        _ => Verdict::Dead,
    }
}

/// A `Retry-After` value (seconds, or an HTTP date) as a wait from
/// `now_ms`.
pub fn retry_after(value: &str, now_ms: u64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at =
        time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let at_ms = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()?;
    Some(Duration::from_millis(at_ms.saturating_sub(now_ms)))
}

/// A number in [0, 1) from the system's random source (0.5 if it fails).
pub fn jitter() -> f64 {
    let mut b = [0u8; 4];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u32::from_le_bytes(b)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_spans_about_a_day() {
        let p = Policy {
            base: Duration::from_secs(5),
            attempts: 8,
        };
        let waits: Vec<u64> = (1..p.attempts).map(|n| p.wait(n).as_secs()).collect();
        assert_eq!(waits, [5, 25, 125, 625, 3125, 15625, 78125]);
        let total: u64 = waits.iter().sum();
        assert!((86_400..2 * 86_400).contains(&total), "{total}");
    }

    #[test]
    fn jitter_spreads_and_retry_after_wins_when_later() {
        let p = Policy {
            base: Duration::from_millis(1000),
            attempts: 3,
        };
        assert_eq!(p.next_wait(1, 0.0, None), Duration::from_millis(800));
        assert!(p.next_wait(1, 0.999, None) < Duration::from_millis(1200));
        assert_eq!(
            p.next_wait(1, 0.5, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
        assert_eq!(
            p.next_wait(1, 0.5, Some(Duration::from_millis(10))),
            Duration::from_millis(1000)
        );
        // A receiver cannot push a delivery out past a day.
        assert_eq!(
            p.next_wait(1, 0.5, Some(Duration::from_secs(10_000_000))),
            MAX_WAIT
        );
        assert_eq!(p.wait(100), MAX_WAIT);
        // Spread never takes a wait past a day either.
        assert_eq!(p.next_wait(100, 0.999, None), MAX_WAIT);
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn which_answers_are_retried() {
        assert_eq!(verdict(200), Verdict::Delivered);
        assert_eq!(verdict(204), Verdict::Delivered);
        for s in [408, 429, 500, 502, 503, 504] {
            assert_eq!(verdict(s), Verdict::Retry, "{s}");
        }
        for s in [301, 302, 400, 401, 403, 404, 410, 422] {
            assert_eq!(verdict(s), Verdict::Dead, "{s}");
        }
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(retry_after("120", 0), Some(Duration::from_secs(120)));
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 s after the epoch.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777_000 - 5_000),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777_000 + 5_000),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", 0), None);
    }
}
