//! `GET /api/v1/forms/{form}/funnel`: response rates and drop-off, for
//! analysts and admins, and for supervisors at their places (see
//! [`super::scope`]: a supervisor reads only the counts at their places or
//! at places lying in them).
//!
//! ```text
//! URL query ─parse─► FunnelQuery (+ a supervisor's places) ─► Tally::counts ─► funnel::funnel ─► JSON
//! ```

use super::auth::Staff;
use super::forms::no_form;
use super::query_params::pairs;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::Level;
use crate::service::funnel::{self, By, Figures, FunnelQuery};
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde::Serialize;

/// A form's funnel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FunnelView {
    /// Form id.
    pub form: String,
    /// The dimension grouped by, if any.
    pub by: Option<String>,
    /// Every count the filters keep.
    pub overall: FiguresView,
    /// One entry per value of `by`, in label order.
    pub groups: Vec<GroupView>,
}

/// One group of a funnel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupView {
    /// The group: a place, channel, language, version, day or month;
    /// `_none` for counts without a place, `unknown` for a place the
    /// register cannot place at that level.
    pub group: String,
    /// Its figures.
    #[serde(flatten)]
    pub figures: FiguresView,
}

/// The figures of a funnel.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FiguresView {
    /// Times the form was shown (by the widget, or as the hosted page).
    pub views: u64,
    /// Times a person gave a first answer.
    pub starts: u64,
    /// Responses stored (counted by the collector as it stores them).
    pub completions: u64,
    /// Times a person left after starting, without sending.
    pub leaves: u64,
    /// `completions / views`; null without views.
    pub completion_rate: Option<f64>,
    /// Lower end of its 95% Wilson interval; null without views, or with
    /// more completions than views.
    pub completion_ci_low: Option<f64>,
    /// Upper end of its 95% Wilson interval.
    pub completion_ci_high: Option<f64>,
    /// `starts / views`; null without views.
    pub start_rate: Option<f64>,
    /// Where those who left stopped (the furthest question they
    /// answered), in the form's question order.
    pub stopped_at: Vec<StopView>,
}

/// A question where people stopped.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StopView {
    /// Question id.
    pub question: String,
    /// How many stopped there.
    pub count: u64,
}

impl From<Figures> for FiguresView {
    fn from(f: Figures) -> FiguresView {
        FiguresView {
            views: f.views,
            starts: f.starts,
            completions: f.completions,
            leaves: f.leaves,
            completion_rate: f.completion_rate,
            completion_ci_low: f.completion_ci.map(|c| c.0),
            completion_ci_high: f.completion_ci.map(|c| c.1),
            start_rate: f.start_rate,
            stopped_at: f
                .stopped_at
                .into_iter()
                .map(|s| StopView {
                    question: s.question,
                    count: s.count,
                })
                .collect(),
        }
    }
}

fn bad(field: &str, message: impl Into<String>) -> Error {
    Error::BadParameter {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// `GET /api/v1/forms/{form}/funnel`.
#[utoipa::path(get, path = "/api/v1/forms/{form}/funnel", tag = "super::analyst",
    params(("form" = String, Path, description = "form id"),
        ("from" = Option<String>, Query, description = "first day (UTC), 2025-06-01"),
        ("to" = Option<String>, Query, description = "last day (UTC), inclusive"),
        ("by" = Option<String>, Query, description = "one of site, ward, cluster, sector (through the register's lineage of the place), location, channel, lang, version, day, month"),
        ("site" = Option<String>, Query, description = "site ids of the register, comma-separated"),
        ("ward" = Option<String>, Query, description = "ward ids, comma-separated"),
        ("cluster" = Option<String>, Query, description = "cluster ids, comma-separated"),
        ("sector" = Option<String>, Query, description = "sector ids, comma-separated"),
        ("location" = Option<String>, Query, description = "place ids as tagged, comma-separated"),
        ("channel" = Option<String>, Query, description = "channels, comma-separated"),
        ("lang" = Option<String>, Query, description = "languages, comma-separated"),
        ("version" = Option<String>, Query, description = "form versions, comma-separated")),
    responses((status = 200, body = FunnelView, description = "views, starts, completions, the completion rate with its 95% Wilson interval, the start rate and where those who left stopped; overall and by `by`. Counts stored and not yet flushed are both read. A supervisor's token counts only the events at its places."),
              (status = 400, body = crate::error::ProblemDetails, description = "a parameter that is wrong; `errors` names it"),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token covering no places (the counts carry no team), or a location outside its places"),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form")),
    security(("bearer" = [])))]
pub async fn funnel(
    staff: Staff,
    State(state): State<AppState>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<FunnelView>> {
    let published = state.store.form(&form).ok_or_else(|| no_form(&form))?;
    let register = state.places.get();
    let pairs = pairs(raw.as_deref());
    let mut q = parse(&pairs, &register)?;
    if let Some(scope) = &staff.scope {
        if scope.places.is_empty() {
            return Err(Error::Forbidden(
                "the funnel's counts carry no team: a supervisor's token needs places to read them"
                    .into(),
            ));
        }
        let theirs = |p: &String| {
            scope.places.contains(p)
                || register.lineage(p).is_some_and(|l| {
                    Level::ALL
                        .iter()
                        .filter_map(|&level| l.at(level))
                        .any(|at| scope.places.iter().any(|s| s == at))
                })
        };
        if let Some(place) = q.locations.iter().find(|p| !theirs(p)) {
            return Err(Error::OutOfScope {
                field: "location".into(),
                message: format!("location '{place}' is outside this token's places"),
            });
        }
        q.scope = Some(scope.places.clone());
    }
    let counts = state.tally.counts(state.store.as_ref(), &form)?;
    let result = funnel::funnel(&published.form, &register, &counts, &q);
    Ok(Json(FunnelView {
        form,
        by: pairs.into_iter().find(|(k, _)| k == "by").map(|(_, v)| v),
        overall: result.overall.into(),
        groups: result
            .groups
            .into_iter()
            .map(|g| GroupView {
                group: g.group,
                figures: g.figures.into(),
            })
            .collect(),
    }))
}

/// The funnel's URL query; each wrong parameter is named.
fn parse(pairs: &[(String, String)], register: &crate::model::Register) -> Result<FunnelQuery> {
    let mut q = FunnelQuery::default();
    let list = |v: &str| -> Vec<String> {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    let date = |field: &str, v: &str| -> Result<String> {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(v, &fmt)
            .map(|_| v.to_owned())
            .map_err(|_| bad(field, format!("'{v}' is not a day like 2025-06-01")))
    };
    for (k, v) in pairs {
        match k.as_str() {
            "from" => q.from = Some(date("from", v)?),
            "to" => q.to = Some(date("to", v)?),
            "by" => {
                if q.by.is_some() {
                    return Err(bad("by", "group by one dimension"));
                }
                q.by = Some(By::parse(v).ok_or_else(|| {
                    bad(
                        "by",
                        format!("'{v}' is not one of {}", By::NAMES.join(", ")),
                    )
                })?);
            }
            l @ ("site" | "ward" | "cluster" | "sector") => {
                let level = Level::parse(l).unwrap_or(Level::Site);
                let ids = list(v);
                if let Some(id) = ids.iter().find(|id| !register.has(level, id)) {
                    return Err(bad(l, format!("no {l} '{id}' in the register of places")));
                }
                match q.levels.iter_mut().find(|(x, _)| *x == level) {
                    Some((_, have)) => have.extend(ids),
                    None => q.levels.push((level, ids)),
                }
            }
            "location" => q.locations.extend(list(v)),
            "channel" => q.channels.extend(list(v)),
            "lang" => q.langs.extend(list(v)),
            "version" => {
                for s in list(v) {
                    q.versions.push(
                        s.parse().map_err(|_| {
                            bad("version", format!("'{s}' is not a version number"))
                        })?,
                    );
                }
            }
            other => {
                return Err(bad(
                    other,
                    format!(
                        "unknown parameter '{}'",
                        other.chars().take(64).collect::<String>()
                    ),
                ))
            }
        }
    }
    if let (Some(from), Some(to)) = (&q.from, &q.to) {
        if from > to {
            return Err(bad("to", format!("to ({to}) is before from ({from})")));
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<FunnelQuery>) -> String {
        match r {
            Err(Error::BadParameter { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_wrong_parameter_is_named() {
        let r = crate::model::Register::default();
        let p = |s: &str| parse(&pairs(Some(s)), &r);
        assert_eq!(field(p("by=street")), "by");
        assert_eq!(field(p("by=ward&by=site")), "by");
        assert_eq!(field(p("from=June")), "from");
        assert_eq!(field(p("from=2025-06-02&to=2025-06-01")), "to");
        assert_eq!(field(p("ward=narnia")), "ward");
        assert_eq!(field(p("version=two")), "version");
        assert_eq!(field(p("wards=x")), "wards");
        let q = p("by=month&channel=qr,embed&from=2025-06-01").unwrap();
        assert_eq!(q.by, Some(By::Month));
        assert_eq!(q.channels, ["qr", "embed"]);
    }
}
