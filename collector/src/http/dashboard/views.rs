//! A measure broken down by any dimension, a question's cross-tab, and
//! what the other views of results share: the API's aggregates for a
//! view, the measure asked for and its picker. Each view reads the API's
//! own aggregates and trends for the same query.

use super::chart::{self, Bar};
use super::measure::{self, Measure};
use super::table::{Cell, Num, Table};
use super::{error_page, filters_form, Ctx, Signed};
use crate::error::{Error, Result};
use crate::http::aggregates::aggregate_of;
use crate::http::AppState;
use crate::index::query::Aggregates;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

/// `GET /dashboard`: to the overview of the first form.
pub(super) async fn home(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    match Ctx::new(state, signed, raw) {
        Ok(ctx) => Redirect::to(&ctx.url("/dashboard/overview", &[])).into_response(),
        Err(e) => error_page(e),
    }
}

/// The aggregates of this view's filters plus `extra`, as the API
/// computes them for this member of staff.
pub(super) fn aggregates(
    ctx: &Ctx,
    mut pairs: Vec<(String, String)>,
    extra: &[(&str, &str)],
) -> Result<Aggregates> {
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    aggregate_of(&ctx.state, &ctx.signed.staff, ctx.id(), &pairs)
}

/// The measure the view is about: `m`, else the form's first headline.
pub(super) fn chosen(ctx: &Ctx) -> Result<Measure> {
    match ctx.get("m") {
        Some(key) => measure::parse(&ctx.form.form, key),
        None => measure::headlines(&ctx.form.form)
            .into_iter()
            .next()
            .ok_or_else(|| Error::BadParameter {
                field: "m".into(),
                message: "this form has no headline measure; name one as m=question:answer,answer"
                    .into(),
            }),
    }
}

/// The measure picker: the headlines, and the measure asked for.
pub(super) fn measure_field(ctx: &Ctx, current: &Measure) -> Markup {
    let mut all = measure::headlines(&ctx.form.form);
    if !all.iter().any(|m| m.key == current.key) {
        all.push(current.clone());
    }
    html! {
        div.field {
            label for="f-m" { "Measure" }
            select id="f-m" name="m" {
                @for m in &all {
                    option value=(m.key) selected[m.key == current.key] { (m.label) }
                }
            }
        }
    }
}

pub(super) fn shared_note(ctx: &Ctx) -> Markup {
    html! {
        @if ctx.shared() {
            p.note { "Marked for sharing: numbers under " (ctx.state.config.min_cell) ", and any that would let one be worked out, are hidden (–), as in the published figures." }
        }
    }
}

pub(super) fn period_words(ctx: &Ctx) -> String {
    ctx.quarter().unwrap_or_else(|| "all time".into())
}

/// The dimension asked for (`by`): one of [`dimensions`], the first by
/// default.
fn chosen_by(ctx: &Ctx, dims: &[(String, String)]) -> Result<String> {
    match ctx.get("by") {
        None => Ok(dims[0].0.clone()),
        Some(by) if dims.iter().any(|(k, _)| k == by) => Ok(by.to_owned()),
        Some(by) => Err(Error::BadParameter {
            field: "by".into(),
            message: format!(
                "'{by}' is not one of {}",
                dims.iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// The dimensions a measure breaks down by, with their names.
fn dimensions(ctx: &Ctx) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("respondent".into(), "Respondent type".into()),
        ("channel".into(), "Channel".into()),
        ("lang".into(), "Language".into()),
        ("month".into(), "Month".into()),
        ("quarter".into(), "Financial quarter".into()),
        ("sector".into(), "Sector".into()),
        ("cluster".into(), "Cluster".into()),
        ("ward".into(), "Ward".into()),
        ("site".into(), "Site".into()),
    ];
    if ctx.form.form.respondent_question.is_none() {
        out.remove(0);
    }
    for a in &ctx.state.config.invitation_attributes {
        out.push((a.clone(), a.replace('_', " ")));
    }
    for q in &ctx.form.form.questions {
        if matches!(
            q.kind,
            survey::Kind::SingleChoice { .. } | survey::Kind::Scale { .. }
        ) && !q.personal
        {
            let words = q.text.get("en", "en");
            out.push((q.id.clone(), format!("Answer to: {words}")));
        }
    }
    out
}

/// `GET /dashboard/breakdown?form=&m=&by=`: a measure by respondent type,
/// channel, language, month, quarter, team or another answer.
pub(super) async fn breakdown(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer(state, signed, raw, breakdown_page)
}

fn breakdown_page(ctx: &Ctx) -> Result<Response> {
    let m = chosen(ctx)?;
    let dims = dimensions(ctx);
    let by = chosen_by(ctx, &dims)?;
    let by_name = dims
        .iter()
        .find(|(k, _)| *k == by)
        .map_or(by.clone(), |(_, n)| n.clone());
    let a = aggregates(
        ctx,
        ctx.filters(),
        &[("by", &by), ("question", &m.question)],
    )?;
    let caption = format!(
        "{} by {}, {}",
        m.label,
        by_name.to_lowercase(),
        period_words(ctx)
    );
    let mut t = Table::new(
        caption.clone(),
        &[&by_name, "Share", "95% interval", "Count", "Answers"],
    );
    let mut bars = Vec::new();
    for s in a.summaries.iter().filter(|s| s.question == m.question) {
        let f = m.figure(&a, &s.group);
        let name = group_name(ctx, &by, s.group.first().map_or("", String::as_str));
        t.rows.push(vec![
            Cell::Text(name.clone()),
            Cell::Num(Num::share(f.share, f.count)),
            Cell::Interval(f.ci),
            Cell::Num(Num::count(f.count)),
            Cell::Num(Num::count(f.n)),
        ]);
        bars.push(Bar {
            label: name,
            value: f.share,
            ci: f.ci,
            count: f.count,
        });
    }
    let tables = [t];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let path = "/dashboard/breakdown";
    let title = format!("{}: breakdown", ctx.form.form.title.get("en", "en"));
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            (filters_form(ctx, path, html! {
                (measure_field(ctx, &m))
                (by_field(&dims, &by))
            }, &[], false))
            (shared_note(ctx))
            div.pair {
                div { (chart::bars(&caption, &bars)) }
                div { (tables[0].html(Some(&ctx.csv_link(path, 0)))) }
            }
        },
    ))
}

fn by_field(dims: &[(String, String)], by: &str) -> Markup {
    super::select("by", "By", dims, Some(by), None)
}

/// What a group is called: an option's words, a place's name, or itself.
fn group_name(ctx: &Ctx, by: &str, g: &str) -> String {
    if g == "_none" {
        return "Not given".into();
    }
    let q = if by == "respondent" {
        ctx.form.form.respondent_question.as_deref()
    } else {
        Some(by)
    };
    if let Some(q) = q.and_then(|q| ctx.form.form.question(q)) {
        match &q.kind {
            survey::Kind::SingleChoice { options } => {
                if let Some(o) = options.iter().find(|o| o.id == g) {
                    return o.text.get("en", "en").to_owned();
                }
            }
            survey::Kind::Scale { labels, .. } => {
                if let Some(l) = labels.iter().find(|l| l.value.to_string() == g) {
                    return format!("{g} {}", l.text.get("en", "en"));
                }
            }
            _ => {}
        }
    }
    if matches!(by, "location" | "site" | "ward" | "cluster" | "sector") {
        return ctx.place_name(g);
    }
    g.to_owned()
}

/// `GET /dashboard/crosstab?form=&question=&by=`: a question's answers
/// (shares of each group's answers) by a dimension.
pub(super) async fn crosstab(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer(state, signed, raw, crosstab_page)
}

fn crosstab_page(ctx: &Ctx) -> Result<Response> {
    let choices: Vec<&survey::Question> = ctx
        .form
        .form
        .questions
        .iter()
        .filter(|q| {
            matches!(
                q.kind,
                survey::Kind::SingleChoice { .. }
                    | survey::Kind::MultipleChoice { .. }
                    | survey::Kind::Scale { .. }
            ) && !q.personal
        })
        .collect();
    let qid = ctx
        .get("question")
        .or_else(|| {
            choices
                .iter()
                .find(|q| Some(q.id.as_str()) != ctx.form.form.respondent_question.as_deref())
                .map(|q| q.id.as_str())
        })
        .ok_or_else(|| Error::BadRequest("this form has no choice or scale question".into()))?
        .to_owned();
    let q = ctx
        .form
        .form
        .question(&qid)
        .filter(|q| choices.iter().any(|c| c.id == q.id))
        .ok_or_else(|| Error::BadParameter {
            field: "question".into(),
            message: format!("'{qid}' is not a choice or scale question of this form"),
        })?;
    let dims = dimensions(ctx);
    let by = chosen_by(ctx, &dims)?;
    let a = aggregates(ctx, ctx.filters(), &[("by", &by), ("question", &qid)])?;
    let answers: Vec<(String, String)> = match &q.kind {
        survey::Kind::SingleChoice { options } | survey::Kind::MultipleChoice { options, .. } => {
            options
                .iter()
                .map(|o| (o.id.clone(), o.text.get("en", "en").to_owned()))
                .collect()
        }
        survey::Kind::Scale {
            min, max, labels, ..
        } => (*min..=*max)
            .map(|v| {
                let words = labels
                    .iter()
                    .find(|l| l.value == v)
                    .map(|l| format!("{v} {}", l.text.get("en", "en")))
                    .unwrap_or_else(|| v.to_string());
                (v.to_string(), words)
            })
            .collect(),
        _ => Vec::new(),
    };
    let by_name = dims
        .iter()
        .find(|(k, _)| *k == by)
        .map_or(by.clone(), |(_, n)| n.clone());
    let mut head: Vec<&str> = vec![&by_name];
    head.extend(answers.iter().map(|(_, n)| n.as_str()));
    head.push("Answers");
    let caption = format!(
        "{} by {}, {} (share of each row's answers)",
        q.text.get("en", "en"),
        by_name.to_lowercase(),
        period_words(ctx)
    );
    let mut t = Table::new(caption, &head);
    for s in a.summaries.iter().filter(|s| s.question == qid) {
        let mut row = vec![Cell::Text(group_name(
            ctx,
            &by,
            s.group.first().map_or("", String::as_str),
        ))];
        for (id, _) in &answers {
            let c = a
                .cells
                .iter()
                .find(|c| c.question == qid && c.group == s.group && &c.answer == id);
            let num = match c {
                Some(c) => Num::share(c.proportion, c.count),
                None => Num::share(s.answered.filter(|n| *n > 0).map(|_| 0.0), Some(0)),
            };
            row.push(Cell::Num(num));
        }
        row.push(Cell::Num(Num::count(s.answered)));
        t.rows.push(row);
    }
    let tables = [t];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let path = "/dashboard/crosstab";
    let title = format!("{}: cross-tab", ctx.form.form.title.get("en", "en"));
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            (filters_form(ctx, path, html! {
                (super::select("question", "Question", &choices.iter().map(|c| (c.id.clone(), c.text.get("en", "en").to_owned())).collect::<Vec<_>>(), Some(&qid), None))
                (by_field(&dims, &by))
            }, &[], false))
            (shared_note(ctx))
            (tables[0].html(Some(&ctx.csv_link(path, 0))))
        },
    ))
}
