//! The funnel of a form: views, starts and completions, the completion
//! rate with its 95% Wilson interval, the start rate, and the questions
//! at which those who started and left stopped; overall and by one
//! dimension, over the counts a period and the filters keep.

use crate::model::{CountKey, Level, Register, Step};
use analysis::stats::{wilson, Z_95};
use std::collections::BTreeMap;
use survey::Form;

/// What a funnel groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// A level of the register (through the place's lineage).
    Level(Level),
    /// The place as tagged.
    Location,
    /// The channel.
    Channel,
    /// The language shown.
    Lang,
    /// The form version.
    Version,
    /// The UTC day.
    Day,
    /// The UTC month, `YYYY-MM`.
    Month,
}

impl By {
    /// Every name `by=` takes.
    pub const NAMES: [&'static str; 10] = [
        "site", "ward", "cluster", "sector", "location", "channel", "lang", "version", "day",
        "month",
    ];

    /// The dimension `name` names.
    pub fn parse(name: &str) -> Option<By> {
        if let Some(level) = Level::parse(name) {
            return Some(By::Level(level));
        }
        Some(match name {
            "location" => By::Location,
            "channel" => By::Channel,
            "lang" => By::Lang,
            "version" => By::Version,
            "day" => By::Day,
            "month" => By::Month,
            _ => return None,
        })
    }
}

/// Which counts a funnel reads, and how it groups them. Empty lists
/// filter nothing.
#[derive(Debug, Clone, Default)]
pub struct FunnelQuery {
    /// First day, `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
    /// The dimension to group by, if any.
    pub by: Option<By>,
    /// Places whose lineage has one of the ids at the level; all must hold.
    pub levels: Vec<(Level, Vec<String>)>,
    /// Places as tagged.
    pub locations: Vec<String>,
    /// Channels.
    pub channels: Vec<String>,
    /// Languages.
    pub langs: Vec<String>,
    /// Form versions.
    pub versions: Vec<u32>,
    /// A supervisor's places: only counts at one of them, or at a place
    /// lying in one, are read. `None` reads all.
    pub scope: Option<Vec<String>>,
}

/// One question where people stopped, and how many stopped there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stop {
    /// Question id.
    pub question: String,
    /// Leaves whose furthest question answered was it.
    pub count: u64,
}

/// The figures of a funnel (overall, or of one group).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Times the form was shown.
    pub views: u64,
    /// Times a person gave a first answer.
    pub starts: u64,
    /// Responses stored.
    pub completions: u64,
    /// Times a person left after starting, without sending.
    pub leaves: u64,
    /// `completions / views`; none without views.
    pub completion_rate: Option<f64>,
    /// Its 95% Wilson interval; none without views, or with more
    /// completions than views (answers sent from pages whose view was not
    /// counted).
    pub completion_ci: Option<(f64, f64)>,
    /// `starts / views`; none without views.
    pub start_rate: Option<f64>,
    /// Where those who left stopped, in the form's question order.
    pub stopped_at: Vec<Stop>,
}

/// A group's label and figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group (`_none` for counts without the dimension's value,
    /// `unknown` for a place the register cannot place at that level).
    pub group: String,
    /// Its figures.
    pub figures: Figures,
}

/// A form's funnel.
#[derive(Debug, Clone, PartialEq)]
pub struct Funnel {
    /// Every count the query kept.
    pub overall: Figures,
    /// By the query's dimension, in label order (versions in number
    /// order); empty without one.
    pub groups: Vec<Group>,
}

#[derive(Default)]
struct Sums {
    views: u64,
    starts: u64,
    completions: u64,
    stopped: BTreeMap<String, u64>,
}

impl Sums {
    fn add(&mut self, k: &CountKey, n: u64) {
        match k.step {
            Step::View => self.views += n,
            Step::Start => self.starts += n,
            Step::Complete => self.completions += n,
            Step::Leave => *self.stopped.entry(k.last_question.clone()).or_default() += n,
        }
    }

    fn figures(self, form: &Form) -> Figures {
        let rate = |x: u64| (self.views > 0).then(|| x as f64 / self.views as f64);
        let mut stopped = self.stopped;
        // The form's order first, then questions only older versions had.
        let mut stopped_at: Vec<Stop> = form
            .questions
            .iter()
            .filter_map(|q| {
                stopped.remove(&q.id).map(|count| Stop {
                    question: q.id.clone(),
                    count,
                })
            })
            .collect();
        stopped_at.extend(
            stopped
                .into_iter()
                .map(|(question, count)| Stop { question, count }),
        );
        Figures {
            views: self.views,
            starts: self.starts,
            completions: self.completions,
            leaves: stopped_at.iter().map(|s| s.count).sum(),
            completion_rate: rate(self.completions),
            completion_ci: wilson(self.completions, self.views, Z_95).map(|i| (i.low, i.high)),
            start_rate: rate(self.starts),
            stopped_at,
        }
    }
}

/// The funnel of `form` (its current version gives the question order)
/// over `counts`, as `q` asks; places are read against `register`.
pub fn funnel(
    form: &Form,
    register: &Register,
    counts: &[(CountKey, u64)],
    q: &FunnelQuery,
) -> Funnel {
    let mut overall = Sums::default();
    let mut groups: BTreeMap<String, Sums> = BTreeMap::new();
    for (k, n) in counts.iter().filter(|(k, _)| kept(k, register, q)) {
        overall.add(k, *n);
        if let Some(by) = q.by {
            groups.entry(label(k, register, by)).or_default().add(k, *n);
        }
    }
    let mut groups: Vec<Group> = groups
        .into_iter()
        .map(|(group, sums)| Group {
            group,
            figures: sums.figures(form),
        })
        .collect();
    if q.by == Some(By::Version) {
        // 2 before 10.
        groups.sort_by_key(|g| g.group.parse::<u32>().unwrap_or(u32::MAX));
    }
    Funnel {
        overall: overall.figures(form),
        groups,
    }
}

fn kept(k: &CountKey, register: &Register, q: &FunnelQuery) -> bool {
    let within = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
    let lineage = register.lineage(&k.location);
    q.from.as_deref().is_none_or(|from| k.day.as_str() >= from)
        && q.to.as_deref().is_none_or(|to| k.day.as_str() <= to)
        && within(&q.locations, &k.location)
        && within(&q.channels, &k.channel)
        && within(&q.langs, &k.lang)
        && (q.versions.is_empty() || q.versions.contains(&k.version))
        && q.levels.iter().all(|(level, ids)| {
            lineage
                .and_then(|l| l.at(*level))
                .is_some_and(|at| ids.iter().any(|id| id == at))
        })
        && q.scope.as_ref().is_none_or(|places| {
            let theirs = |id: &str| places.iter().any(|p| p == id);
            theirs(&k.location)
                || lineage.is_some_and(|l| Level::ALL.iter().filter_map(|&x| l.at(x)).any(theirs))
        })
}

fn label(k: &CountKey, register: &Register, by: By) -> String {
    match by {
        By::Level(_) if k.location.is_empty() => "_none".to_owned(),
        By::Level(level) => register
            .lineage(&k.location)
            .and_then(|l| l.at(level))
            .unwrap_or(survey::UNKNOWN_PLACE)
            .to_owned(),
        By::Location if k.location.is_empty() => "_none".to_owned(),
        By::Location => k.location.clone(),
        By::Channel => k.channel.clone(),
        By::Lang => k.lang.clone(),
        By::Version => k.version.to_string(),
        By::Day => k.day.clone(),
        By::Month => k.day.get(..7).unwrap_or(&k.day).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(version: u32, day: &str, location: &str, step: Step, last: &str) -> CountKey {
        CountKey {
            form: "f".into(),
            version,
            day: day.into(),
            location: location.into(),
            channel: "qr".into(),
            lang: "en".into(),
            step,
            last_question: last.into(),
        }
    }

    fn form() -> Form {
        Form::from_value(&serde_json::json!({
            "id": "f", "title": "T", "default_lang": "en", "languages": ["en"],
            "privacy_notice": "P", "not_for_reporting": "N",
            "questions": [
                {"id": "b", "kind": "scale", "text": "Q", "min": 1, "max": 5},
                {"id": "a", "kind": "scale", "text": "Q", "min": 1, "max": 5}
            ]
        }))
        .unwrap()
    }

    fn labels(f: &Funnel) -> Vec<&str> {
        f.groups.iter().map(|g| g.group.as_str()).collect()
    }

    #[test]
    fn groups_sort_as_people_read_them_and_stops_follow_the_form() {
        let counts = [
            (key(10, "2025-06-30", "", Step::View, ""), 3),
            (key(2, "2025-07-01", "narnia", Step::View, ""), 1),
            (key(2, "2025-07-01", "narnia", Step::Leave, "a"), 1),
            (key(2, "2025-07-01", "narnia", Step::Leave, "gone"), 2),
            (key(2, "2025-07-02", "narnia", Step::Leave, "b"), 4),
            (key(10, "2025-07-02", "", Step::Complete, "a"), 5),
        ];
        let r = Register::default();
        let run = |by| {
            let q = FunnelQuery {
                by: Some(by),
                ..FunnelQuery::default()
            };
            funnel(&form(), &r, &counts, &q)
        };
        assert_eq!(labels(&run(By::Version)), ["2", "10"]);
        assert_eq!(labels(&run(By::Month)), ["2025-06", "2025-07"]);
        assert_eq!(labels(&run(By::Location)), ["_none", "narnia"]);
        assert_eq!(labels(&run(By::Level(Level::Ward))), ["_none", "unknown"]);
        let all = run(By::Day).overall;
        let stops: Vec<(&str, u64)> = all
            .stopped_at
            .iter()
            .map(|s| (s.question.as_str(), s.count))
            .collect();
        assert_eq!(stops, [("b", 4), ("a", 1), ("gone", 2)]);
        assert_eq!((all.views, all.completions, all.leaves), (4, 5, 7));
        // More completions than views: a rate, but no interval.
        assert_eq!(all.completion_rate, Some(1.25));
        assert_eq!(all.completion_ci, None);
        let july = FunnelQuery {
            from: Some("2025-07-01".into()),
            to: Some("2025-07-01".into()),
            ..FunnelQuery::default()
        };
        assert_eq!(funnel(&form(), &r, &counts, &july).overall.views, 1);
    }
}
