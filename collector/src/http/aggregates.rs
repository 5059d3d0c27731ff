//! Routes over the answer index: aggregates (JSON or CSV) and trends with
//! control limits, for analysts, admins and (restricted to their teams or
//! places, see [`super::scope`]) supervisors.
//!
//! ```text
//! URL query ─parse_query─► Query ─scope::restrict─► index::query::{aggregate, series} ─► JSON / CSV (+ control chart)
//! ```

use super::auth::Staff;
use super::forms::no_form;
use super::query_params::{pairs, parse_query};
use super::rows::rows;
use super::scope::restrict;
use super::AppState;
use crate::error::{Error, Result};
use crate::index::query::{self, Aggregates};
use analysis::stats::Period;
use analysis::{ControlChart, Proportion};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// Whether the client asked for CSV.
pub(super) fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// `GET /api/v1/forms/{form}/aggregates`.
// The tag is the module path these routes were first documented under;
// partners' generated clients group operations by it.
#[utoipa::path(get, path = "/api/v1/forms/{form}/aggregates", tag = "super::analyst",
    params(("form" = String, Path, description = "form id"),
        ("include" = Option<String>, Query, pattern = "^flagged$", description = "`flagged`: count the responses a bot check doubted too (analysts and admins)"),
        ("from" = Option<String>, Query, description = "first day (2024-10-01) or RFC 3339 time"),
        ("to" = Option<String>, Query, description = "last day, inclusive, or RFC 3339 time (exclusive)"),
        ("quarter" = Option<String>, Query, description = "a financial-year quarter, `2024/25 Q3`, instead of from/to"),
        ("location" = Option<String>, Query, description = "place ids, comma-separated"),
        ("channel" = Option<String>, Query, description = "channels, comma-separated"),
        ("version" = Option<String>, Query, description = "form versions, comma-separated"),
        ("where" = Option<String>, Query, description = "question:answer,answer (repeat, or separate with ;)"),
        ("team" = Option<String>, Query, description = TEAM_PARAM),
        ("category" = Option<String>, Query, description = CATEGORY_PARAM),
        ("by" = Option<String>, Query, description = "one or two of location, channel, lang, version, respondent, day, week, month, quarter, year, a question id, or a case attribute (team, category, reported_via, reported_on; attr.<name> where a question has the same id)"),
        ("question" = Option<String>, Query, description = "questions to report, comma-separated (default all)"),
        ("share" = Option<String>, Query, description = "`public` suppresses small cells")),
    responses((status = 404, body = crate::error::ProblemDetails, description = "no such form"), (status = 200, description = "cells and summaries; CSV with Accept: text/csv. A supervisor's token counts only the responses of its teams or at its places."),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor asked for a team (or place) outside the token's scope; `errors` names the parameter")),
    security(("bearer" = [])))]
pub async fn aggregates(
    staff: Staff,
    State(state): State<AppState>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let pairs = pairs(raw.as_deref());
    let result = aggregate_of(&state, &staff, &form, &pairs)?;
    if wants_csv(&headers) {
        Ok(csv_response(aggregates_csv(&result)?))
    } else {
        Ok(Json(result).into_response())
    }
}

/// The aggregates `staff` asked for with the query `pairs`: what the route
/// answers, and what the dashboard draws.
pub(super) fn aggregate_of(
    state: &AppState,
    staff: &Staff,
    form: &str,
    pairs: &[(String, String)],
) -> Result<Aggregates> {
    let published = state.store.form(form).ok_or_else(|| no_form(form))?;
    let mut q = parse_query(pairs, &["include"], &state.config.invitation_attributes)?;
    q.register = state.places.get();
    restrict(staff, &mut q)?;
    let rows = rows(state, staff, form, pairs)?;
    let ix = rows.read();
    query::aggregate(
        &ix,
        &q,
        published.form.respondent_question.as_deref(),
        state.config.min_cell,
    )
}

pub(super) fn csv_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response()
}

/// Long format: the `by` dimensions, then question, answer, count,
/// proportion, ci_low, ci_high. Starts with a UTF-8 byte-order mark so
/// Excel reads it as UTF-8.
pub fn aggregates_csv(a: &Aggregates) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut header: Vec<&str> = a.by.iter().map(String::as_str).collect();
    header.extend([
        "question",
        "answer",
        "count",
        "proportion",
        "ci_low",
        "ci_high",
    ]);
    let io = |e: csv::Error| Error::Io(std::io::Error::other(e));
    w.write_record(&header).map_err(io)?;
    let num = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
    for c in &a.cells {
        let mut rec: Vec<String> = c.group.clone();
        rec.extend([
            c.question.clone(),
            c.answer.clone(),
            c.count.map(|n| n.to_string()).unwrap_or_default(),
            num(c.proportion),
            num(c.ci_low),
            num(c.ci_high),
        ]);
        w.write_record(&rec).map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))
}

/// One point of a trend.
#[derive(Debug, Serialize)]
pub struct TrendPoint {
    /// Period label (`2024-10`, `2024/25 Q3`).
    pub period: String,
    /// Responses that answered the question in the period.
    pub n: u64,
    /// Of which gave one of the answers asked about (proportions only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The proportion or mean.
    pub value: f64,
    /// 95% Wilson interval of a proportion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    /// 95% Wilson interval of a proportion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// Lower control limit.
    pub lower: f64,
    /// Upper control limit.
    pub upper: f64,
    /// Whether the point is part of an exception.
    pub exception: bool,
}

/// An exception found in a trend.
#[derive(Debug, Serialize)]
pub struct TrendSignal {
    /// `outside_limits`, `run_above`, `run_below`, `trend_up` or `trend_down`.
    pub rule: analysis::stats::Rule,
    /// First period of the pattern.
    pub from: String,
    /// Last period of the pattern.
    pub to: String,
}

/// The `team` filter as the OpenAPI document describes it.
pub(super) const TEAM_PARAM: &str = "teams, comma-separated: responses whose invitation carried one of them. \
Every case attribute the deployment configures (category, reported_via, reported_on, …) filters the same way; attr.<name>= names any. \
A supervisor is refused (403) a team outside the token's scope.";

/// The `category` filter as the OpenAPI document describes it.
pub(super) const CATEGORY_PARAM: &str =
    "crime categories, comma-separated (a case attribute, like team)";

/// One group's series of a trend asked with `by`.
#[derive(Debug, Serialize)]
pub struct TrendGroup {
    /// The group's value of the `by` dimension (`_none` for responses
    /// without one).
    pub group: String,
    /// Centre line.
    pub centre: Option<f64>,
    /// Points in time order.
    pub points: Vec<TrendPoint>,
    /// Exceptions, as for the whole series.
    pub signals: Vec<TrendSignal>,
}

/// `GET /api/v1/forms/{form}/trends`.
#[derive(Debug, Serialize)]
pub struct Trend {
    /// Question id.
    pub question: String,
    /// `proportion` (of `answers`) or `mean`.
    pub measure: String,
    /// Answers counted, for a proportion.
    pub answers: Vec<String>,
    /// `month` unless asked otherwise.
    pub period: String,
    /// Centre line.
    pub centre: Option<f64>,
    /// Points in time order.
    pub points: Vec<TrendPoint>,
    /// Exceptions: a point outside ±2 sd, 7 in a row on one side of the
    /// centre, 7 rises or falls in a row.
    pub signals: Vec<TrendSignal>,
    /// The dimension of `groups`, when asked with `by`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// With `by`: one series per group that has responses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<TrendGroup>,
}

/// A series with its control chart, as points and signals.
struct Charted {
    centre: Option<f64>,
    points: Vec<TrendPoint>,
    signals: Vec<TrendSignal>,
}

/// Charts a series: proportions of `hits` (with Wilson intervals) or means.
fn chart(series: &[query::PeriodCount], proportion: bool) -> Charted {
    let chart = if proportion {
        let pairs: Vec<(u64, u64)> = series.iter().map(|p| (p.hits, p.answered)).collect();
        ControlChart::proportions(&pairs)
    } else {
        let means: Vec<f64> = series.iter().map(|p| p.sum / p.answered as f64).collect();
        ControlChart::values(&means)
    };
    let points = series
        .iter()
        .enumerate()
        .map(|(i, point)| {
            let prop = proportion
                .then(|| Proportion::new(point.hits, point.answered))
                .flatten();
            let value = prop.map_or(point.sum / point.answered as f64, |p| p.proportion);
            let cp = chart.as_ref().map(|c| c.points[i]);
            TrendPoint {
                period: point.period.clone(),
                n: point.answered,
                count: prop.map(|p| p.count),
                value,
                ci_low: prop.map(|p| p.ci.low),
                ci_high: prop.map(|p| p.ci.high),
                lower: cp.map_or(value, |p| p.lower),
                upper: cp.map_or(value, |p| p.upper),
                exception: chart.as_ref().is_some_and(|c| c.flagged(i)),
            }
        })
        .collect();
    let signals = chart
        .as_ref()
        .map(|c| {
            c.signals
                .iter()
                .map(|s| TrendSignal {
                    rule: s.rule,
                    from: series[s.first].period.clone(),
                    to: series[s.last].period.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    Charted {
        centre: chart.as_ref().map(|c| c.centre),
        points,
        signals,
    }
}

/// `GET /api/v1/forms/{form}/trends?question=&answer=&measure=&period=&by=`
/// plus the aggregate filters.
#[utoipa::path(get, path = "/api/v1/forms/{form}/trends", tag = "super::analyst",
    params(("form" = String, Path, description = "form id"),
        ("include" = Option<String>, Query, pattern = "^flagged$", description = "`flagged`: count the responses a bot check doubted too (analysts and admins)"),
        ("question" = String, Query, description = "question id"),
        ("answer" = Option<String>, Query, description = "answers whose share is tracked, comma-separated"),
        ("measure" = Option<String>, Query, description = "`proportion` (default with answer) or `mean` (scales)"),
        ("period" = Option<String>, Query, description = "day, week, month (default), quarter or year"),
        ("by" = Option<String>, Query, description = "one dimension that is not a period (location, channel, lang, version, respondent, a question id, or a case attribute such as team or category): adds `by` and `groups`, one series per group"),
        ("team" = Option<String>, Query, description = TEAM_PARAM),
        ("category" = Option<String>, Query, description = CATEGORY_PARAM)),
    responses((status = 404, body = crate::error::ProblemDetails, description = "no such form"), (status = 200, description = "points with control limits and exceptions (with `by`: also per group). A supervisor's token counts only the responses of its teams or at its places."),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor asked for a team (or place) outside the token's scope; `errors` names the parameter")),
    security(("bearer" = [])))]
pub async fn trends(
    staff: Staff,
    State(state): State<AppState>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Trend>> {
    let published = state.store.form(&form).ok_or_else(|| no_form(&form))?;
    let pairs = pairs(raw.as_deref());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let mut q = parse_query(
        &pairs,
        &["question", "answer", "measure", "period", "include"],
        &state.config.invitation_attributes,
    )?;
    q.register = state.places.get();
    restrict(&staff, &mut q)?;
    // A trend's counts are not suppressed: asked for as if they were, it
    // is refused rather than answered with every small count in it.
    if q.public {
        return Err(Error::BadParameter {
            field: "share".into(),
            message: "a trend is not suppressed for sharing; the dashboard's trend view marked for sharing shows only the periods safe to publish, and aggregates take share=public".into(),
        });
    }
    let rows = rows(&state, &staff, &form, &pairs)?;
    if q.by.len() > 1 {
        return Err(Error::BadRequest(
            "a trend is grouped by one dimension at most".into(),
        ));
    }
    let question =
        get("question").ok_or_else(|| Error::BadRequest("name the question to track".into()))?;
    let answers: Vec<String> = get("answer")
        .map(|a| {
            a.split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let measure = get("measure").unwrap_or_else(|| {
        if answers.is_empty() {
            "mean".into()
        } else {
            "proportion".into()
        }
    });
    let period_name = get("period").unwrap_or_else(|| "month".into());
    let period: Period = query::parse_period(&period_name).ok_or_else(|| {
        Error::BadRequest("period must be day, week, month, quarter or year".into())
    })?;
    let ix = rows.read();
    let (col, c) = ix
        .column(&question)
        .ok_or_else(|| Error::BadRequest(format!("this form has no question '{question}'")))?;
    let proportion = match measure.as_str() {
        "proportion" if answers.is_empty() => {
            return Err(Error::BadRequest("a proportion needs answer=…".into()));
        }
        "proportion" => true,
        "mean" if !c.is_scale() => {
            return Err(Error::BadRequest(format!(
                "'{question}' is not a scale; track a proportion with answer=…"
            )));
        }
        "mean" => false,
        _ => {
            return Err(Error::BadRequest(
                "measure must be proportion or mean".into(),
            ))
        }
    };
    let codes = if proportion {
        query::answer_codes(&ix, col, &answers)?
    } else {
        Vec::new()
    };
    let whole = chart(&query::series(&ix, &q, period, col, &codes)?, proportion);
    let by = q.by.first().cloned();
    let groups = match &by {
        Some(by) => {
            let respondent = published.form.respondent_question.as_deref();
            query::series_by(&ix, &q, period, col, &codes, by, respondent)?
                .into_iter()
                .map(|(group, series)| {
                    let c = chart(&series, proportion);
                    TrendGroup {
                        group,
                        centre: c.centre,
                        points: c.points,
                        signals: c.signals,
                    }
                })
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Json(Trend {
        question,
        measure,
        answers,
        period: period_name,
        centre: whole.centre,
        points: whole.points,
        signals: whole.signals,
        by,
        groups,
    }))
}
