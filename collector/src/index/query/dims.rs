//! Grouping dimensions (`by=`): a place, channel, language, version, time
//! period or question, resolved against an index into codes per row.

use super::calendar::{parse_period, Buckets};
use crate::error::{Error, Result};
use crate::index::form_index::{ColumnKind, FormIndex};
use analysis::stats::Period;

/// A grouping dimension resolved against an index.
pub(super) enum Dim {
    Location,
    Channel,
    Lang,
    Version,
    Period(Buckets),
    Column(usize),
}

impl Dim {
    pub(super) fn resolve(ix: &FormIndex, name: &str, respondent: Option<&str>) -> Result<Dim> {
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

    pub(super) fn cardinality(&self, ix: &FormIndex) -> usize {
        match self {
            Dim::Location => ix.locations.len() + 1,
            Dim::Channel => ix.channels.len() + 1,
            Dim::Lang => ix.langs.len() + 1,
            Dim::Version => ix.version.iter().copied().max().unwrap_or(0) as usize + 1,
            Dim::Period(b) => b.len(),
            Dim::Column(i) => ix.columns[*i].dict.len() + 1,
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
        };
        name.map_or_else(|| "_none".to_owned(), str::to_owned)
    }
}
