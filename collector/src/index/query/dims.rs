//! Grouping dimensions (`by=`): a place, channel, language, version, time
//! period, question or case attribute (`team`, `category`, …, or
//! `attr.<name>` where a question has the same id), resolved against an
//! index into codes per row.

use super::calendar::{parse_period, Buckets};
use crate::error::{Error, Result};
use crate::index::form_index::{ColumnKind, FormIndex};
use analysis::stats::Period;

/// How a case attribute is named where a question could have its name.
pub const ATTR: &str = "attr.";

/// A grouping dimension resolved against an index.
pub(super) enum Dim {
    Location,
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
    ) -> Result<Dim> {
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
                        "cannot group by '{q}': use location, channel, lang, version, respondent, day, week, month, quarter, year, a question id or a case attribute (team, category, …)"
                    )))
                }
            },
        })
    }

    pub(super) fn cardinality(&self, ix: &FormIndex) -> usize {
        match self {
            Dim::Location => ix.locations.len() + 1,
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
