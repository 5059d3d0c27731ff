//! What the response-rate funnel counts: how many people saw a form, began
//! it, left it part-way (and at which question) or completed it, by form
//! version, day, place, channel and language. Counts only: nothing in a
//! key says who.
//!
//! ```text
//! widget / hosted page ─► view, start, leave ─┐
//! ingest (a response stored) ─► complete ─────┴─► CountKey + n ─► store (summed)
//! ```

/// A step of the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// The form was shown.
    View,
    /// The person gave a first answer.
    Start,
    /// The person left after starting, without sending.
    Leave,
    /// A response was stored (counted by the collector, never sent in).
    Complete,
}

impl Step {
    /// Every step, in funnel order.
    pub const ALL: [Step; 4] = [Step::View, Step::Start, Step::Leave, Step::Complete];

    /// Its name on the wire and in keys.
    pub fn name(self) -> &'static str {
        match self {
            Step::View => "view",
            Step::Start => "start",
            Step::Leave => "leave",
            Step::Complete => "complete",
        }
    }

    /// The step `name` names.
    pub fn parse(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// What one count is of. Strings are kept as normalised tags (a place
/// id or `unknown`, a channel word, a language of the form, a question
/// id); an empty `location` is no place, an empty `last_question` none.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountKey {
    /// Form id.
    pub form: String,
    /// Form version shown or answered.
    pub version: u32,
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Place id, `unknown`, or empty for none.
    pub location: String,
    /// Channel (`embed`, `qr`, `link`, …).
    pub channel: String,
    /// Language of the form shown.
    pub lang: String,
    /// The step.
    pub step: Step,
    /// The furthest question answered (a leave) or the form's last
    /// question (a completion); empty otherwise.
    pub last_question: String,
}

/// The UTC day of `ms` since the Unix epoch, `YYYY-MM-DD`.
pub fn day_of(ms: u64) -> String {
    let date = i64::try_from(ms / 1000)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .map_or(time::Date::MIN, |t| t.date());
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        // 2024-02-29T23:59:59.999Z and a millisecond later.
        assert_eq!(day_of(1_709_251_199_999), "2024-02-29");
        assert_eq!(day_of(1_709_251_200_000), "2024-03-01");
    }

    #[test]
    fn steps_round_trip_by_name() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.name()), Some(s));
        }
        assert_eq!(Step::parse("submit"), None);
    }
}
