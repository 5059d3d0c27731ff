//! A measure's trend as a control chart: the centre line, the ±2σ limits
//! and the exceptions, as the force's performance reports draw them, with
//! the months held back when the view is marked for sharing.

use super::chart::{self, Point};
use super::table::{Cell, Num, Table};
use super::views::{chosen, measure_field, shared_note};
use super::{filters_form, Ctx, Signed};
use crate::error::{Error, Result};
use crate::http::aggregates::trends;
use crate::http::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use maud::html;

/// `GET /dashboard/trend?form=&m=&period=month|quarter&…`: a measure's
/// control chart, with the centre line, the ±2σ limits and the exceptions.
pub(super) async fn trend(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer_async(state, signed, raw, |ctx| Box::pin(trend_page(ctx))).await
}

async fn trend_page(ctx: &Ctx) -> Result<Response> {
    let m = chosen(ctx)?;
    let period = match ctx.get("period").unwrap_or("month") {
        p @ ("month" | "quarter") => p,
        other => {
            return Err(Error::BadParameter {
                field: "period".into(),
                message: format!("period '{other}' is not month or quarter"),
            })
        }
    };
    // Every period, for analysts: the sharing rule is applied below.
    let mut q = ctx.filters_all_time();
    q.retain(|(k, _)| k != "share");
    q.push(("question".into(), m.question.clone()));
    q.push(("answer".into(), m.answers.join(",")));
    q.push(("measure".into(), "proportion".into()));
    q.push(("period".into(), period.into()));
    let trend = trends(
        ctx.signed.staff.clone(),
        State(ctx.state.clone()),
        Path(ctx.id().to_owned()),
        RawQuery(Some(super::query_string(&q))),
    )
    .await?
    .0;
    // Marked for sharing: a period is shown only when both those who gave
    // the answers counted and those who did not number at least the
    // threshold (the trends API itself reports every period).
    let min = u64::from(ctx.state.config.min_cell);
    let shown = |p: &crate::http::aggregates::TrendPoint| {
        !ctx.shared() || p.count.is_some_and(|c| c >= min && p.n - c >= min)
    };
    // The rows as shown: every period, or with some held back, the chart
    // drawn again from the others alone (its centre, limits and exceptions
    // would otherwise carry the hidden months).
    let all_shown = trend.points.iter().all(shown);
    let visible: Vec<&crate::http::aggregates::TrendPoint> =
        trend.points.iter().filter(|p| shown(p)).collect();
    let redrawn = (!all_shown)
        .then(|| {
            let pairs: Vec<(u64, u64)> = visible
                .iter()
                .map(|p| (p.count.unwrap_or(0), p.n))
                .collect();
            analysis::ControlChart::proportions(&pairs)
        })
        .flatten();
    let mut k = 0;
    let kept: Vec<Option<Point>> = trend
        .points
        .iter()
        .map(|p| {
            if !shown(p) {
                return None;
            }
            let i = k;
            k += 1;
            let (lower, upper, exception) = match (&redrawn, all_shown) {
                (_, true) => (p.lower, p.upper, p.exception),
                (Some(c), false) => (c.points[i].lower, c.points[i].upper, c.flagged(i)),
                (None, false) => (p.value, p.value, false),
            };
            Some(Point {
                period: p.period.clone(),
                value: p.value,
                lower,
                upper,
                exception,
                n: p.n,
            })
        })
        .collect();
    let centre = if all_shown {
        trend.centre
    } else {
        redrawn.as_ref().map(|c| c.centre)
    };
    let signals: Vec<(analysis::stats::Rule, String, String)> = if all_shown {
        trend
            .signals
            .iter()
            .map(|s| (s.rule, s.from.clone(), s.to.clone()))
            .collect()
    } else {
        redrawn
            .as_ref()
            .map(|c| {
                c.signals
                    .iter()
                    .map(|s| {
                        (
                            s.rule,
                            visible[s.first].period.clone(),
                            visible[s.last].period.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let points: Vec<Point> = kept.iter().flatten().cloned().collect();
    let caption = format!("{} by {period}", m.label);
    let mut t = Table::new(
        caption.clone(),
        &[
            "Period",
            "Share",
            "Lower limit",
            "Upper limit",
            "Count",
            "Answers",
            "Exception",
        ],
    );
    for (p, k) in trend.points.iter().zip(&kept) {
        let Some(k) = k else {
            t.rows.push(vec![
                Cell::Text(p.period.clone()),
                Cell::Num(Num::share(None, None)),
                Cell::Num(Num::share(None, None)),
                Cell::Num(Num::share(None, None)),
                Cell::Num(Num::count(None)),
                Cell::Num(Num::count(None)),
                Cell::Text(String::new()),
            ]);
            continue;
        };
        t.rows.push(vec![
            Cell::Text(p.period.clone()),
            Cell::Num(
                Num::share(Some(p.value), p.count).flagged(k.exception.then_some("exception")),
            ),
            Cell::Num(Num::share(Some(k.lower), None)),
            Cell::Num(Num::share(Some(k.upper), None)),
            Cell::Num(Num::count(p.count)),
            Cell::Num(Num::count(Some(p.n))),
            Cell::Text(if k.exception {
                "yes".into()
            } else {
                String::new()
            }),
        ]);
    }
    let tables = [t];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let rule = |r: &analysis::stats::Rule| -> &'static str {
        use analysis::stats::Rule;
        match r {
            Rule::OutsideLimits => "outside the control limits",
            Rule::RunAbove => "7 or more in a row above the centre line",
            Rule::RunBelow => "7 or more in a row below the centre line",
            Rule::TrendUp => "7 or more rises in a row",
            Rule::TrendDown => "7 or more falls in a row",
        }
    };
    let path = "/dashboard/trend";
    let title = format!("{}: trend", ctx.form.form.title.get("en", "en"));
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            (filters_form(ctx, path, html! {
                (measure_field(ctx, &m))
                div.field {
                    label for="f-period" { "Each point is a" }
                    select id="f-period" name="period" {
                        option value="month" selected[period == "month"] { "Month" }
                        option value="quarter" selected[period == "quarter"] { "Financial quarter" }
                    }
                }
            }, &[], true))
            (shared_note(ctx))
            h2 { (caption) }
            @if let Some(c) = centre {
                p { "Centre line " span data-value=(c) { (format!("{:.0}%", c * 100.0)) } "; the dashed lines are the control limits (±2 standard deviations)." }
            }
            (chart::control(&caption, centre, &points, true))
            h2 { "Exceptions" }
            @if signals.is_empty() {
                p { "None: every point is within the limits, with no run or trend of 7." }
            } @else {
                ul.signals {
                    @for (r, from, to) in &signals {
                        li data-rule=(serde_json::to_value(r).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) data-from=(from) data-to=(to) {
                            @if from == to { (from) } @else { (from) " to " (to) }
                            ": " (rule(r))
                            " – " a href=(ctx.url("/dashboard/text", &[("quarter", Some(&quarter_of(to))), ("m", None), ("period", None), ("question", None)])) { "what people said then" }
                        }
                    }
                }
            }
            (tables[0].html(Some(&ctx.csv_link(path, 0))))
        },
    ))
}

/// The financial quarter a period label (`2024-10` or `2024/25 Q3`) falls in.
fn quarter_of(period: &str) -> String {
    if period.contains('Q') {
        return period.to_owned();
    }
    let mut parts = period.split('-');
    let (Some(Ok(y)), Some(Ok(m))) = (
        parts.next().map(str::parse::<i64>),
        parts.next().map(str::parse::<u32>),
    ) else {
        return "all".into();
    };
    analysis::FiscalQuarter::of_month(y, m).to_string()
}
