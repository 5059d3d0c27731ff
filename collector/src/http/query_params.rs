//! The analyst routes' URL query: `from`, `to`, `quarter`, `location`,
//! `site`, `ward`, `cluster`, `sector` (the register's levels), `channel`, `lang`, `version`, `where`, `by`, `question`, `share`, and
//! case attributes (`team=`, `category=`, … as the deployment configures
//! them, or `attr.<name>=` for any), read into an
//! [`index::query::Query`](Query) for the index to run.

use crate::error::{Error, Result};
use crate::index::query::{quarter_bounds, Query, ATTR};

/// Splits a raw query string into pairs (repeated keys kept).
pub(super) fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Parses URL query pairs into a [`Query`]; unknown keys are refused so
/// typos show, except the `extra` ones the route reads itself.
/// `attributes` are the case attributes the deployment knows: each is a
/// filter key of its own (`team=East,West`) and a dimension for `by`.
pub fn parse_query(
    pairs: &[(String, String)],
    extra: &[&str],
    attributes: &[String],
) -> Result<Query> {
    let mut q = Query {
        known_attributes: attributes.to_vec(),
        ..Query::default()
    };
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
            l @ ("site" | "ward" | "cluster" | "sector") => {
                let level = crate::model::Level::parse(l).unwrap_or(crate::model::Level::Site);
                match q.levels.iter_mut().find(|(x, _)| *x == level) {
                    Some((_, ids)) => ids.extend(list(v)),
                    None => q.levels.push((level, list(v))),
                }
            }
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
            other if other.len() > ATTR.len() && other.starts_with(ATTR) => {
                attribute(&mut q, &other[ATTR.len()..], list(v));
            }
            other if attributes.iter().any(|a| a == other) => attribute(&mut q, other, list(v)),
            other => return Err(Error::BadRequest(format!("unknown parameter '{other}'"))),
        }
    }
    if q.by.len() > 2 {
        return Err(Error::BadRequest("group by at most two dimensions".into()));
    }
    Ok(q)
}

/// Adds values to the filter on a case attribute (one filter per name, so
/// `team=a&team=b` means either, as `team=a,b` does).
fn attribute(q: &mut Query, name: &str, values: Vec<String>) {
    match q.attributes.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => v.extend(values),
        None => q.attributes.push((name.to_owned(), values)),
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
pub(super) fn parse_quarter(s: &str) -> Result<(u64, u64)> {
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
    Ok(quarter_bounds(start_year, q))
}
