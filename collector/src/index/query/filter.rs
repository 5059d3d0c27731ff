//! Row filters (`from`, `to`, `location`, `channel`, `lang`, `version`,
//! `where`, case attributes such as `team`, and a supervisor's scope),
//! compiled against an index into tables of the codes that pass.

use super::{Query, TEAM};
use crate::error::{Error, Result};
use crate::index::form_index::{Column, ColumnKind, FormIndex, SENTIMENT_LABELS};
use crate::model::record;

/// A filter on one column: the codes (or mask bits) that pass.
pub(super) struct Where {
    pub(super) col: usize,
    pub(super) codes: Vec<bool>,
    pub(super) mask: u32,
    /// Text flags ([`record::MIXED`], [`record::ACTIONABLE`]) any of which
    /// passes (`where=comment:actionable`).
    pub(super) flags: u8,
}

impl Where {
    /// Whether row `row` of the where's column passes.
    pub(super) fn pass_row(&self, c: &Column, row: usize) -> bool {
        let by_code = self.codes[c.codes.get(row).copied().unwrap_or(0) as usize];
        let by_mask = self.mask != 0 && c.masks.get(row).is_some_and(|m| m & self.mask != 0);
        let by_flags = self.flags != 0 && c.flags.get(row).is_some_and(|f| f & self.flags != 0);
        by_code || by_mask || by_flags
    }
}

/// The compiled row filter.
pub(crate) struct Filter {
    pub(super) from: u64,
    pub(super) to: u64,
    pub(super) locations: Option<Vec<bool>>,
    pub(super) channels: Option<Vec<bool>>,
    pub(super) langs: Option<Vec<bool>>,
    pub(super) versions: Option<Vec<u16>>,
    pub(super) wheres: Vec<Where>,
    /// Per case attribute filtered: its column and the codes that pass.
    pub(super) attributes: Vec<(usize, Vec<bool>)>,
    /// A supervisor's scope.
    pub(super) scope: Option<ScopeFilter>,
}

/// A supervisor's scope compiled: a row passes when its team or its place
/// is one of theirs.
pub(super) struct ScopeFilter {
    /// The `team` attribute's column and the codes of their teams; none
    /// when no row carries a team.
    pub(super) teams: Option<(usize, Vec<bool>)>,
    /// Codes of their places.
    pub(super) places: Vec<bool>,
}

impl ScopeFilter {
    #[inline]
    pub(super) fn pass(&self, ix: &FormIndex, row: usize) -> bool {
        self.places[usize::from(ix.location[row])]
            || self
                .teams
                .as_ref()
                .is_some_and(|(at, ok)| ok[usize::from(ix.attributes[*at].codes[row])])
    }
}

/// Codes of the places that are one of `places` or lie in one (a site in
/// a ward, cluster or sector a supervisor's token names).
fn within(ix: &FormIndex, register: &crate::model::Register, places: &[String]) -> Vec<bool> {
    let named = |id: &str| places.iter().any(|p| p == id);
    (0..=ix.locations.len() as u32)
        .map(|code| {
            ix.locations.name(code).is_some_and(|place| {
                named(place)
                    || register.lineage(place).is_some_and(|l| {
                        crate::model::Level::ALL
                            .iter()
                            .filter_map(|&level| l.at(level))
                            .any(named)
                    })
            })
        })
        .collect()
}

/// Codes of the `values` a dictionary knows; values it does not know are
/// left out (a scope may name a team that has no response yet).
fn known(dict: &crate::index::dict::Dict, values: &[String]) -> Vec<bool> {
    let mut ok = vec![false; dict.len() + 1];
    for v in values {
        if let Some(c) = dict.code(v) {
            ok[c as usize] = true;
        }
    }
    ok
}

pub(super) fn allowed(
    dict: &crate::index::dict::Dict,
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
                flags: 0,
            };
            for a in answers {
                match &c.kind {
                    ColumnKind::Text { .. } => {
                        if let Some(i) = SENTIMENT_LABELS.iter().position(|l| l.as_str() == a) {
                            w.codes[i + 1] = true;
                        } else if a == "mixed" {
                            w.flags |= record::MIXED;
                        } else if a == "actionable" {
                            w.flags |= record::ACTIONABLE;
                        } else {
                            let t = c.dict.code(a).ok_or_else(|| {
                                Error::BadRequest(format!("where: '{a}' is neither a sentiment, a theme, mixed nor actionable for '{question}'"))
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
        let mut attributes = Vec::new();
        for (name, values) in &q.attributes {
            let Some(first) = values.first() else {
                continue;
            };
            let at = ix.attribute(name).ok_or_else(|| {
                Error::BadRequest(format!("no {name} '{first}' in this form's responses"))
            })?;
            if let Some(ok) = allowed(&ix.attributes[at].dict, values, name)? {
                attributes.push((at, ok));
            }
        }
        let scope = q.scope.as_ref().map(|s| ScopeFilter {
            teams: ix
                .attribute(TEAM)
                .map(|at| (at, known(&ix.attributes[at].dict, &s.teams))),
            places: within(ix, &q.register, &s.places),
        });
        let mut locations = allowed(&ix.locations, &q.locations, "location")?;
        for (level, ids) in &q.levels {
            if let Some(id) = ids.iter().find(|id| !q.register.has(*level, id)) {
                return Err(Error::BadRequest(format!(
                    "no {} '{id}' in the register of places",
                    level.name()
                )));
            }
            let ok: Vec<bool> = (0..=ix.locations.len() as u32)
                .map(|code| {
                    ix.locations.name(code).is_some_and(|place| {
                        q.register
                            .lineage(place)
                            .and_then(|l| l.at(*level))
                            .is_some_and(|at| ids.iter().any(|id| id == at))
                    })
                })
                .collect();
            locations = Some(match locations {
                None => ok,
                Some(before) => before.iter().zip(&ok).map(|(a, b)| *a && *b).collect(),
            });
        }
        Ok(Filter {
            from: q.from_ms.unwrap_or(0),
            to: q.to_ms.unwrap_or(u64::MAX),
            locations,
            channels: allowed(&ix.channels, &q.channels, "channel")?,
            langs: allowed(&ix.langs, &q.langs, "language")?,
            versions: (!q.versions.is_empty()).then(|| q.versions.clone()),
            wheres,
            attributes,
            scope,
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
        if !self
            .attributes
            .iter()
            .all(|(at, ok)| ok[usize::from(ix.attributes[*at].codes[row])])
        {
            return false;
        }
        if self.scope.as_ref().is_some_and(|s| !s.pass(ix, row)) {
            return false;
        }
        self.wheres
            .iter()
            .all(|w| w.pass_row(&ix.columns[w.col], row))
    }

    /// The rows that pass, in index order.
    pub(super) fn rows<'a>(&'a self, ix: &'a FormIndex) -> impl Iterator<Item = usize> + 'a {
        (0..ix.len()).filter(move |&r| self.pass(ix, r))
    }
}
