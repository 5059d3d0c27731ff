//! Grouping dimensions (`by=`): a place, channel, language, version, time
//! period, question or case attribute (`team`, `category`, …, or
//! `attr.<name>` where a question has the same id), resolved against an
//! index into codes per row.

use super::calendar::{parse_period, Buckets};
use crate::error::{Error, Result};
use crate::index::form_index::{ColumnKind, FormIndex};
use crate::model::{Level, Register};
use analysis::stats::Period;

/// How a case attribute is named where a question could have its name.
pub const ATTR: &str = "attr.";

/// A grouping dimension resolved against an index.
pub(super) enum Dim {
    Location,
    /// A level of the register: per place code, its group (0: no place,
    /// then the level's ids, then `unknown` for a place the register
    /// lacks); and the groups' names.
    Place {
        map: Vec<u32>,
        names: Vec<String>,
    },
    Channel,
    Lang,
    Version,
    Period(Buckets),
    Column(usize),
    /// A case attribute's column; none for one the deployment knows but no
    /// row carries yet (every row is `_none`).
    Attribute(Option<usize>),
}

impl Dim {
    /// The dimension `name` names; `known` are the case attributes the
    /// deployment knows.
    pub(super) fn resolve(
        ix: &FormIndex,
        name: &str,
        respondent: Option<&str>,
        known: &[String],
        register: &Register,
    ) -> Result<Dim> {
        let name = if name == "respondent" {
            respondent.unwrap_or(name)
        } else {
            name
        };
        Ok(match name {
            "location" => Dim::Location,
            l if Level::parse(l).is_some() => {
                let level = Level::parse(l).unwrap_or(Level::Site);
                let mut names: Vec<String> = vec!["_none".to_owned()];
                names.extend(register.ids(level).into_iter().map(str::to_owned));
                let unknown = names.len() as u32;
                names.push(survey::UNKNOWN_PLACE.to_owned());
                // A place the register lacks is `unknown`; one it has that
                // names nothing at this level (a ward, grouped by site) is
                // `_none`, as a response with no place is.
                let map = (0..=ix.locations.len() as u32)
                    .map(|code| match ix.locations.name(code).map(|p| register.lineage(p)) {
                        None => 0,
                        Some(None) => unknown,
                        Some(Some(l)) => l
                            .at(level)
                            .and_then(|id| names.iter().position(|n| n == id))
                            .map_or(0, |i| i as u32),
                    })
                    .collect();
                Dim::Place { map, names }
            }
            "channel" => Dim::Channel,
            "lang" => Dim::Lang,
            "version" => Dim::Version,
            p if parse_period(p).is_some() => {
                let period = parse_period(p).unwrap_or(Period::Month);
                Dim::Period(Buckets::new(period, ix.span))
            }
            q if q.len() > ATTR.len() && q.starts_with(ATTR) => {
                Dim::Attribute(ix.attribute(&q[ATTR.len()..]))
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
                None if ix.attribute(q).is_some() || known.iter().any(|k| k == q) => {
                    Dim::Attribute(ix.attribute(q))
                }
                None => {
                    return Err(Error::BadRequest(format!(
                        "cannot group by '{q}': use location, site, ward, cluster, sector, channel, lang, version, respondent, day, week, month, quarter, year, a question id or a case attribute (team, category, …)"
                    )))
                }
            },
        })
    }

    pub(super) fn cardinality(&self, ix: &FormIndex) -> usize {
        match self {
            Dim::Location => ix.locations.len() + 1,
            Dim::Place { names, .. } => names.len(),
            Dim::Channel => ix.channels.len() + 1,
            Dim::Lang => ix.langs.len() + 1,
            Dim::Version => ix.version.iter().copied().max().unwrap_or(0) as usize + 1,
            Dim::Period(b) => b.len(),
            Dim::Column(i) => ix.columns[*i].dict.len() + 1,
            Dim::Attribute(Some(at)) => ix.attributes[*at].dict.len() + 1,
            Dim::Attribute(None) => 1,
        }
    }

    /// The code of `row` (below [`Dim::cardinality`]).
    pub(super) fn code(&self, ix: &FormIndex, row: usize) -> usize {
        match self {
            Dim::Location => usize::from(ix.location[row]),
            Dim::Place { map, .. } => map[usize::from(ix.location[row])] as usize,
            Dim::Channel => usize::from(ix.channel[row]),
            Dim::Lang => usize::from(ix.lang[row]),
            Dim::Version => usize::from(ix.version[row]),
            Dim::Period(b) => b.of(ix.ms[row]),
            Dim::Column(i) => usize::from(ix.columns[*i].codes[row]),
            Dim::Attribute(Some(at)) => usize::from(ix.attributes[*at].codes[row]),
            Dim::Attribute(None) => 0,
        }
    }

    pub(super) fn label(&self, ix: &FormIndex, code: usize) -> String {
        let name = match self {
            Dim::Location => ix.locations.name(code as u32),
            Dim::Place { names, .. } => names.get(code).map(String::as_str),
            Dim::Channel => ix.channels.name(code as u32),
            Dim::Lang => ix.langs.name(code as u32),
            Dim::Version => return code.to_string(),
            Dim::Period(b) => return b.label(code),
            Dim::Column(i) => ix.columns[*i].dict.name(code as u32),
            Dim::Attribute(Some(at)) => ix.attributes[*at].dict.name(code as u32),
            Dim::Attribute(None) => None,
        };
        name.map_or_else(|| "_none".to_owned(), str::to_owned)
    }
}
