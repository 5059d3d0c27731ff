//! Analyst routes over the answer index: aggregates (JSON or CSV) and trends
//! with control limits.
//!
//! ```text
//! URL query ─parse_query─► Query ─► index::query::{aggregate, series} ─► JSON / CSV (+ control chart)
//! ```

use super::auth::Analyst;
use super::forms::no_form;
use super::query_params::{pairs, parse_query};
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
        ("from" = Option<String>, Query, description = "first day (2024-10-01) or RFC 3339 time"),
        ("to" = Option<String>, Query, description = "last day, inclusive, or RFC 3339 time (exclusive)"),
        ("quarter" = Option<String>, Query, description = "a financial-year quarter, `2024/25 Q3`, instead of from/to"),
        ("location" = Option<String>, Query, description = "place ids, comma-separated"),
        ("channel" = Option<String>, Query, description = "channels, comma-separated"),
        ("version" = Option<String>, Query, description = "form versions, comma-separated"),
        ("where" = Option<String>, Query, description = "question:answer,answer (repeat, or separate with ;)"),
        ("by" = Option<String>, Query, description = "one or two of location, channel, lang, version, respondent, day, week, month, quarter, year, or a question id"),
        ("question" = Option<String>, Query, description = "questions to report, comma-separated (default all)"),
        ("share" = Option<String>, Query, description = "`public` suppresses small cells")),
    responses((status = 200, description = "cells and summaries; CSV with Accept: text/csv"),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn aggregates(
    _: Analyst,
    State(state): State<AppState>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response> {
    let published = state.store.form(&form).ok_or_else(|| no_form(&form))?;
    let q = parse_query(&pairs(raw.as_deref()), &[])?;
    let ix = state.indexes.index(&form).ok_or_else(|| no_form(&form))?;
    let result = {
        let ix = ix.read().unwrap_or_else(|e| e.into_inner());
        query::aggregate(
            &ix,
            &q,
            published.form.respondent_question.as_deref(),
            state.config.min_cell,
        )?
    };
    if wants_csv(&headers) {
        Ok(csv_response(aggregates_csv(&result)?))
    } else {
        Ok(Json(result).into_response())
    }
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
}

/// `GET /api/v1/forms/{form}/trends?question=&answer=&measure=&period=` plus
/// the aggregate filters.
#[utoipa::path(get, path = "/api/v1/forms/{form}/trends", tag = "super::analyst",
    params(("form" = String, Path, description = "form id"),
        ("question" = String, Query, description = "question id"),
        ("answer" = Option<String>, Query, description = "answers whose share is tracked, comma-separated"),
        ("measure" = Option<String>, Query, description = "`proportion` (default with answer) or `mean` (scales)"),
        ("period" = Option<String>, Query, description = "day, week, month (default), quarter or year")),
    responses((status = 200, description = "points with control limits and exceptions"),
              (status = 400, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn trends(
    _: Analyst,
    State(state): State<AppState>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Trend>> {
    if state.store.form(&form).is_none() {
        return Err(no_form(&form));
    }
    let pairs = pairs(raw.as_deref());
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let q = parse_query(&pairs, &["question", "answer", "measure", "period"])?;
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
    let ix = state.indexes.index(&form).ok_or_else(|| no_form(&form))?;
    let ix = ix.read().unwrap_or_else(|e| e.into_inner());
    let (col, c) = ix
        .column(&question)
        .ok_or_else(|| Error::BadRequest(format!("this form has no question '{question}'")))?;
    let (series, chart) = match measure.as_str() {
        "proportion" => {
            if answers.is_empty() {
                return Err(Error::BadRequest("a proportion needs answer=…".into()));
            }
            let codes = query::answer_codes(&ix, col, &answers)?;
            let series = query::series(&ix, &q, period, col, &codes)?;
            let pairs: Vec<(u64, u64)> = series.iter().map(|p| (p.hits, p.answered)).collect();
            let chart = ControlChart::proportions(&pairs);
            (series, chart)
        }
        "mean" => {
            if !c.is_scale() {
                return Err(Error::BadRequest(format!(
                    "'{question}' is not a scale; track a proportion with answer=…"
                )));
            }
            let series = query::series(&ix, &q, period, col, &[])?;
            let means: Vec<f64> = series.iter().map(|p| p.sum / p.answered as f64).collect();
            let chart = ControlChart::values(&means);
            (series, chart)
        }
        _ => {
            return Err(Error::BadRequest(
                "measure must be proportion or mean".into(),
            ))
        }
    };
    let points = series
        .iter()
        .enumerate()
        .map(|(i, point)| {
            let prop = (measure == "proportion")
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
    Ok(Json(Trend {
        question,
        measure,
        answers,
        period: period_name,
        centre: chart.as_ref().map(|c| c.centre),
        points,
        signals,
    }))
}
