//! The overview of a form: responses this quarter against the last, and
//! each headline measure with its 95% interval and the change, flagged
//! when a two-proportion test finds it significant.

use super::measure;
use super::table::{Cell, Kind, Num, Table};
use super::views::{aggregates, period_words, shared_note};
use super::{filters_form, Ctx, Signed};
use crate::error::Result;
use crate::http::AppState;
use crate::index::query::quarter_label;
use analysis::Change;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use maud::html;

/// `GET /dashboard/overview?form=&quarter=&…`: responses and the headline
/// measures this quarter against the last, with 95% intervals and the
/// change flagged when it is significant.
pub(super) async fn overview(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer(state, signed, raw, overview_page)
}

fn previous_quarter(q: &str) -> Result<String> {
    let (start, _) = crate::http::query_params::parse_quarter(q)?;
    Ok(quarter_label(start.saturating_sub(1)))
}

fn overview_page(ctx: &Ctx) -> Result<Response> {
    let mut measures = measure::headlines(&ctx.form.form);
    for (k, v) in &ctx.pairs {
        if k == "m" && !v.is_empty() && !measures.iter().any(|m| &m.key == v) {
            measures.push(measure::parse(&ctx.form.form, v)?);
        }
    }
    let questions: Vec<&str> = measures.iter().map(|m| m.question.as_str()).collect();
    let mut questions_param = questions.clone();
    questions_param.sort_unstable();
    questions_param.dedup();
    let qp = questions_param.join(",");
    let extra: Vec<(&str, &str)> = if qp.is_empty() {
        Vec::new()
    } else {
        vec![("question", qp.as_str())]
    };
    let quarter = ctx.quarter();
    let now = aggregates(ctx, ctx.filters(), &extra)?;
    let before_q = quarter.as_deref().map(previous_quarter).transpose()?;
    let before = match &before_q {
        Some(q) => Some(aggregates(ctx, ctx.filters_over(Some(q.clone())), &extra)?),
        None => None,
    };
    let this_name = period_words(ctx);
    let last_name = before_q.clone().unwrap_or_else(|| "–".into());
    let mut responses = Table::new(
        format!("Responses, {this_name} against {last_name}"),
        &["Period", "Responses"],
    );
    responses.rows.push(vec![
        Cell::Text(this_name.clone()),
        Cell::Num(Num::count(now.n)),
    ]);
    if let Some(b) = &before {
        responses.rows.push(vec![
            Cell::Text(last_name.clone()),
            Cell::Num(Num::count(b.n)),
        ]);
    }
    let mut t = Table::new(
        format!("Headline measures, {this_name}, with the change since {last_name}"),
        &[
            "Measure",
            &this_name,
            "95% interval",
            "Answers",
            &last_name,
            "Change",
        ],
    );
    for m in &measures {
        let f = m.figure(&now, &[]);
        let b = before
            .as_ref()
            .map(|b| m.figure(b, &[]))
            .unwrap_or_default();
        let change = match (f.count, f.n, b.count, b.n) {
            (Some(c), Some(n), Some(bc), Some(bn)) => Change::between(c, n, bc, bn),
            _ => None,
        };
        let flag = change.filter(|c| c.significant).map(|c| {
            if c.difference > 0.0 {
                "▲ significant"
            } else {
                "▼ significant"
            }
        });
        let href = ctx.url(
            "/dashboard/trend",
            &[("m", Some(&m.key)), ("quarter", None)],
        );
        t.rows.push(vec![
            Cell::Link(m.label.clone(), href),
            Cell::Num(Num::share(f.share, f.count)),
            Cell::Interval(f.ci),
            Cell::Num(Num::count(f.n)),
            Cell::Num(Num::share(b.share, b.count)),
            Cell::Num(Num::of(change.map(|c| c.difference), Kind::Points).flagged(flag)),
        ]);
    }
    let tables = [responses, t];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let path = "/dashboard/overview";
    let title = format!("{}: overview", ctx.form.form.title.get("en", "en"));
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            (filters_form(ctx, path, html! {}, &[], false))
            (shared_note(ctx))
            p.lede {
                "Shares of those who answered each question, " (this_name)
                @if before.is_some() { ", against " (last_name) }
                ". A change is marked significant when a two-proportion test puts it outside chance at the 95% level. Each measure links to its trend."
            }
            (tables[0].html(Some(&ctx.csv_link(path, 0))))
            (tables[1].html(Some(&ctx.csv_link(path, 1))))
        },
    ))
}
