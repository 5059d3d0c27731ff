//! The views of results: the overview of a form's headline measures, the
//! drill-down through the places, a measure broken down by any
//! dimension, a question's cross-tab, and the trend with its control
//! chart. Each reads the API's own aggregates and trends for the same
//! query.

use super::chart::{self, Bar, Point};
use super::measure::{self, Figure, Measure};
use super::table::{Cell, Kind, Num, Table};
use super::{error_page, filters_form, Ctx, Signed};
use crate::error::{Error, Result};
use crate::http::aggregates::{aggregate_of, trends};
use crate::http::AppState;
use crate::index::query::{quarter_label, Aggregates};
use analysis::Change;
use axum::extract::{Path, RawQuery, State};
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
fn aggregates(
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
fn chosen(ctx: &Ctx) -> Result<Measure> {
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

fn shared_note(ctx: &Ctx) -> Markup {
    html! {
        @if ctx.shared() {
            p.note { "Marked for sharing: numbers under " (ctx.state.config.min_cell) ", and any that would let one be worked out, are hidden (–), as in the published figures." }
        }
    }
}

fn period_words(ctx: &Ctx) -> String {
    ctx.quarter().unwrap_or_else(|| "all time".into())
}

/// `GET /dashboard/overview?form=&quarter=&…`: responses and the headline
/// measures this quarter against the last, with 95% intervals and the
/// change flagged when it is significant.
pub(super) async fn overview(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = match Ctx::new(state, signed, raw) {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    overview_page(&ctx).unwrap_or_else(error_page)
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

/// The levels of the drill-down, from the top; a victim survey's teams
/// stand beside them.
const LEVELS: [&str; 4] = ["sector", "cluster", "ward", "site"];

fn level_name(level: &str) -> &str {
    match level {
        "sector" => "Sector",
        "cluster" => "Cluster",
        "ward" => "Ward",
        "site" => "Site",
        "team" => "Team",
        _ => "Group",
    }
}

/// `GET /dashboard/drill?form=&m=&level=&in=level:id&…`: a measure at one
/// level of places (city → sector → cluster → ward → site, or by team),
/// each place linking one level down.
pub(super) async fn drill(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = match Ctx::new(state, signed, raw) {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    drill_page(&ctx).unwrap_or_else(error_page)
}

fn drill_page(ctx: &Ctx) -> Result<Response> {
    let m = chosen(ctx)?;
    let level = ctx.get("level").unwrap_or("sector");
    if !LEVELS.contains(&level) && level != "team" {
        return Err(Error::BadParameter {
            field: "level".into(),
            message: format!("level '{level}' is not one of sector, cluster, ward, site, team"),
        });
    }
    let parent = match ctx.get("in") {
        Some(p) => {
            let (l, id) = p.split_once(':').ok_or_else(|| Error::BadParameter {
                field: "in".into(),
                message: "name the place above as level:id, such as cluster:liverpool-street"
                    .into(),
            })?;
            if !LEVELS.contains(&l) {
                return Err(Error::BadParameter {
                    field: "in".into(),
                    message: format!("'{l}' is not one of sector, cluster, ward, site"),
                });
            }
            Some((l.to_owned(), id.to_owned()))
        }
        None => None,
    };
    let mut extra: Vec<(&str, &str)> = vec![("by", level), ("question", &m.question)];
    if let Some((l, id)) = &parent {
        extra.push((l.as_str(), id.as_str()));
    }
    let a = aggregates(ctx, ctx.filters(), &extra)?;
    let below = LEVELS
        .iter()
        .position(|l| *l == level)
        .and_then(|i| LEVELS.get(i + 1));
    let mut rows: Vec<(String, Figure)> = a
        .summaries
        .iter()
        .filter(|s| s.question == m.question)
        .map(|s| (s.group[0].clone(), m.figure(&a, &s.group)))
        .collect();
    if ctx.get("sort") == Some("name") {
        rows.sort_by_key(|(g, _)| ctx.place_name(g));
    } else {
        // Lowest first: where people feel least safe, or are least satisfied.
        rows.sort_by(|(ga, a), (gb, b)| {
            a.share
                .unwrap_or(f64::MAX)
                .total_cmp(&b.share.unwrap_or(f64::MAX))
                .then_with(|| ga.cmp(gb))
        });
    }
    let place_words = parent
        .as_ref()
        .map(|(l, id)| format!(" in {} ({})", ctx.place_name(id), l))
        .unwrap_or_else(|| {
            if level == "team" {
                String::new()
            } else {
                " across the city".into()
            }
        });
    let caption = format!(
        "{} by {}{}, {}",
        m.label,
        level_name(level).to_lowercase(),
        place_words,
        period_words(ctx)
    );
    let mut t = Table::new(
        caption.clone(),
        &[
            level_name(level),
            "Share",
            "95% interval",
            "Count",
            "Answers",
        ],
    );
    let mut bars = Vec::new();
    for (g, f) in &rows {
        let name = if level == "team" {
            g.clone()
        } else {
            ctx.place_name(g)
        };
        let down = match below {
            Some(next) if g != "_none" && g != "unknown" => Some(ctx.url(
                "/dashboard/drill",
                &[
                    ("level", Some(next)),
                    ("in", Some(&format!("{level}:{g}"))),
                    ("format", None),
                    ("table", None),
                ],
            )),
            _ => None,
        };
        // Its trend: the same measure and filters, at this place alone.
        let trend = ctx.url(
            "/dashboard/trend",
            &[
                (level, Some(g.as_str())),
                ("quarter", None),
                ("level", None),
                ("in", None),
                ("sort", None),
                ("format", None),
                ("table", None),
            ],
        );
        let first = Cell::Place {
            name: name.clone(),
            down,
            trend,
        };
        t.rows.push(vec![
            first,
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
    // Where we are: the city, then each place above.
    let register = ctx.state.places.get();
    let mut crumbs: Vec<(String, String)> = vec![(
        "City".into(),
        ctx.url(
            "/dashboard/drill",
            &[("level", Some("sector")), ("in", None)],
        ),
    )];
    if let Some((l, id)) = &parent {
        let chain: Vec<(&str, String)> = match l.as_str() {
            "sector" => vec![("sector", id.clone())],
            "cluster" => {
                let sector = register
                    .clusters
                    .iter()
                    .find(|c| &c.id == id)
                    .map(|c| c.sector.clone());
                sector
                    .into_iter()
                    .map(|s| ("sector", s))
                    .chain([("cluster", id.clone())])
                    .collect()
            }
            "ward" => {
                let lineage = register.lineage(id);
                let mut v = Vec::new();
                if let Some(s) = lineage.and_then(|x| x.sector) {
                    v.push(("sector", s.to_owned()));
                }
                if let Some(c) = lineage.and_then(|x| x.cluster) {
                    v.push(("cluster", c.to_owned()));
                }
                v.push(("ward", id.clone()));
                v
            }
            _ => vec![(l.as_str(), id.clone())],
        };
        for (l, id) in chain {
            let next = LEVELS
                .iter()
                .position(|x| *x == l)
                .and_then(|i| LEVELS.get(i + 1))
                .copied()
                .unwrap_or("site");
            crumbs.push((
                ctx.place_name(&id),
                ctx.url(
                    "/dashboard/drill",
                    &[("level", Some(next)), ("in", Some(&format!("{l}:{id}")))],
                ),
            ));
        }
    }
    // Every level of the whole city (all wards, say) is a view of its own
    // below the city's.
    if parent.is_none() && level != "sector" {
        crumbs.push((
            format!("All {}s", level_name(level).to_lowercase()),
            String::new(),
        ));
    }
    let path = "/dashboard/drill";
    let title = format!("{}: places", ctx.form.form.title.get("en", "en"));
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            nav.crumbs aria-label="Where you are" {
                ol {
                    @for (i, (name, href)) in crumbs.iter().enumerate() {
                        li {
                            @if i + 1 == crumbs.len() {
                                span aria-current="location" { (name) }
                            } @else {
                                a href=(href) { (name) }
                            }
                        }
                    }
                }
            }
            (filters_form(ctx, path, html! {
                (measure_field(ctx, &m))
                div.field {
                    label for="f-level" { "Level" }
                    select id="f-level" name="level" {
                        @for l in LEVELS.iter().chain(["team"].iter()) {
                            option value=(l) selected[*l == level] { (level_name(l)) "s" }
                        }
                    }
                }
            }, &["in", "sort"], false))
            (shared_note(ctx))
            p.lede { "Lowest share first. " @if below.is_some() { "Choose a place to see the " (below.map(|b| level_name(b).to_lowercase()).unwrap_or_default()) "s in it." } }
            p { a href=(ctx.url(path, &[("sort", Some(if ctx.get("sort") == Some("name") { "value" } else { "name" }))])) { @if ctx.get("sort") == Some("name") { "Sort by share, lowest first" } @else { "Sort by name" } } }
            div.pair {
                div { (chart::bars(&caption, &bars)) }
                div { (tables[0].html(Some(&ctx.csv_link(path, 0)))) }
            }
            p { a href=(ctx.url("/dashboard/trend", &[("quarter", None), ("level", None), ("in", None), ("sort", None)])) { "See the trend of this measure" } }
        },
    ))
}

/// The dimensions a measure breaks down by, with their names.
fn dimensions(ctx: &Ctx) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("respondent".into(), "Respondent type".into()),
        ("channel".into(), "Channel".into()),
        ("lang".into(), "Language".into()),
        ("month".into(), "Month".into()),
        ("quarter".into(), "Financial quarter".into()),
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
    let ctx = match Ctx::new(state, signed, raw) {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    breakdown_page(&ctx).unwrap_or_else(error_page)
}

fn breakdown_page(ctx: &Ctx) -> Result<Response> {
    let m = chosen(ctx)?;
    let dims = dimensions(ctx);
    let by = ctx.get("by").unwrap_or(dims[0].0.as_str()).to_owned();
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
        let name = group_name(ctx, &by, &s.group[0]);
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
    html! {
        div.field {
            label for="f-by" { "By" }
            select id="f-by" name="by" {
                @for (k, n) in dims {
                    option value=(k) selected[k == by] { (n) }
                }
            }
        }
    }
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
    let ctx = match Ctx::new(state, signed, raw) {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    crosstab_page(&ctx).unwrap_or_else(error_page)
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
    let by = ctx.get("by").unwrap_or(dims[0].0.as_str()).to_owned();
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
        let mut row = vec![Cell::Text(group_name(ctx, &by, &s.group[0]))];
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
                div.field {
                    label for="f-question" { "Question" }
                    select id="f-question" name="question" {
                        @for c in &choices {
                            option value=(c.id) selected[c.id == qid] { (c.text.get("en", "en")) }
                        }
                    }
                }
                (by_field(&dims, &by))
            }, &[], false))
            (shared_note(ctx))
            (tables[0].html(Some(&ctx.csv_link(path, 0))))
        },
    ))
}

/// `GET /dashboard/trend?form=&m=&period=month|quarter&…`: a measure's
/// control chart, with the centre line, the ±2σ limits and the exceptions.
pub(super) async fn trend(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = match Ctx::new(state, signed, raw) {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    trend_page(&ctx).await.unwrap_or_else(error_page)
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
    let mut q = ctx.filters_all_time();
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
    let points: Vec<Point> = trend
        .points
        .iter()
        .filter(|p| shown(p))
        .map(|p| Point {
            period: p.period.clone(),
            value: p.value,
            lower: p.lower,
            upper: p.upper,
            exception: p.exception,
            n: p.n,
        })
        .collect();
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
    for p in &trend.points {
        if !shown(p) {
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
        }
        t.rows.push(vec![
            Cell::Text(p.period.clone()),
            Cell::Num(
                Num::share(Some(p.value), p.count).flagged(p.exception.then_some("exception")),
            ),
            Cell::Num(Num::share(Some(p.lower), None)),
            Cell::Num(Num::share(Some(p.upper), None)),
            Cell::Num(Num::count(p.count)),
            Cell::Num(Num::count(Some(p.n))),
            Cell::Text(if p.exception {
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
            @if let Some(c) = trend.centre {
                p { "Centre line " span data-value=(c) { (format!("{:.0}%", c * 100.0)) } "; the dashed lines are the control limits (±2 standard deviations)." }
            }
            (chart::control(&caption, trend.centre, &points, true))
            h2 { "Exceptions" }
            @if trend.signals.is_empty() {
                p { "None: every point is within the limits, with no run or trend of 7." }
            } @else {
                ul.signals {
                    @for s in &trend.signals {
                        li data-rule=(serde_json::to_value(s.rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()) data-from=(s.from) data-to=(s.to) {
                            @if s.from == s.to { (s.from) } @else { (s.from) " to " (s.to) }
                            ": " (rule(&s.rule))
                            " – " a href=(ctx.url("/dashboard/text", &[("quarter", Some(&quarter_of(&s.to))), ("m", None), ("period", None), ("question", None)])) { "what people said then" }
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
