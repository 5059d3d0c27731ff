//! The views of work to do: response rates (the street funnel and the
//! victims' invitations), the team's open cases oldest first with their
//! state changes, and the "we did" entries that the public results pages
//! show.

use super::table::{Cell, Num, Table};
use super::{check_write, error_page, Ctx, Signed};
use crate::error::{Error, Result};
use crate::http::cases::{self, CaseChange, ListQuery};
use crate::http::funnel::funnel as funnel_api;
use crate::http::invitations::{summary, SummaryQuery};
use crate::http::json::{AppJson, AppQuery};
use crate::http::AppState;
use crate::service::actions::{self, NewAction};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use std::collections::BTreeMap;

/// `GET /dashboard/funnel?form=&by=&from=&to=`: views, starts, completions
/// and the completion rate by place or channel; invitations sent and
/// answered by team.
pub(super) async fn funnel(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer_async(state, signed, raw, |ctx| Box::pin(funnel_page(ctx))).await
}

const FUNNEL_BY: [(&str, &str); 7] = [
    ("site", "Site"),
    ("ward", "Ward"),
    ("cluster", "Cluster"),
    ("sector", "Sector"),
    ("channel", "Channel"),
    ("lang", "Language"),
    ("month", "Month"),
];

async fn funnel_page(ctx: &Ctx) -> Result<Response> {
    let by = ctx.get("by").unwrap_or("site");
    let mut q = vec![("by".to_owned(), by.to_owned())];
    for k in [
        "from", "to", "site", "ward", "cluster", "sector", "channel", "lang",
    ] {
        if let Some(v) = ctx.get(k) {
            q.push((k.into(), v.into()));
        }
    }
    let f = funnel_api(
        ctx.signed.staff.clone(),
        State(ctx.state.clone()),
        Path(ctx.id().to_owned()),
        RawQuery(Some(super::query_string(&q))),
    )
    .await?
    .0;
    let by_name = FUNNEL_BY
        .iter()
        .find(|(k, _)| *k == by)
        .map_or(by, |(_, n)| n);
    let mut t = Table::new(
        format!(
            "Views, starts and completions by {}",
            by_name.to_lowercase()
        ),
        &[
            by_name,
            "Views",
            "Starts",
            "Completions",
            "Completion rate",
            "95% interval",
            "Left after starting",
        ],
    );
    let mut row = |name: String, g: &crate::http::funnel::FiguresView| {
        t.rows.push(vec![
            Cell::Text(name),
            Cell::Num(Num::count(Some(g.views))),
            Cell::Num(Num::count(Some(g.starts))),
            Cell::Num(Num::count(Some(g.completions))),
            Cell::Num(Num::share(g.completion_rate, Some(g.completions))),
            Cell::Interval(g.completion_ci_low.zip(g.completion_ci_high)),
            Cell::Num(Num::count(Some(g.leaves))),
        ]);
    };
    for g in &f.groups {
        let name = if matches!(by, "site" | "ward" | "cluster" | "sector") {
            ctx.place_name(&g.group)
        } else {
            g.group.clone()
        };
        row(name, &g.figures);
    }
    row("All".into(), &f.overall);
    let rates = summary(
        ctx.signed.staff.clone(),
        State(ctx.state.clone()),
        Path(ctx.id().to_owned()),
        AppQuery(SummaryQuery {
            by: Some("team".into()),
        }),
    )
    .await?
    .0;
    let mut inv = Table::new(
        "Invitations sent, opened and answered by team",
        &["Team", "Sent", "Opened", "Answered", "Response rate"],
    );
    for r in &rates {
        inv.rows.push(vec![
            Cell::Text(if r.group == "_none" {
                "No team".into()
            } else {
                r.group.clone()
            }),
            Cell::Num(Num::count(Some(r.sent))),
            Cell::Num(Num::count(Some(r.opened))),
            Cell::Num(Num::count(Some(r.answered))),
            Cell::Num(Num::share(Some(r.response_rate), Some(r.answered))),
        ]);
    }
    let tables = [t, inv];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let path = "/dashboard/funnel";
    let title = format!("{}: response rates", ctx.form.form.title.get("en", "en"));
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            form.filters method="get" action=(path) {
                input type="hidden" name="form" value=(ctx.id());
                div.field {
                    label for="f-by" { "By" }
                    select id="f-by" name="by" {
                        @for (k, n) in FUNNEL_BY {
                            option value=(k) selected[k == by] { (n) }
                        }
                    }
                }
                div.field {
                    label for="f-from" { "From (first day)" }
                    input id="f-from" name="from" type="date" value=[ctx.get("from")];
                }
                div.field {
                    label for="f-to" { "To (last day)" }
                    input id="f-to" name="to" type="date" value=[ctx.get("to")];
                }
                button type="submit" { "Show" }
            }
            p.lede { "A view is the form shown (the widget, or the page a QR code opens); a completion is a response stored. The rate is completions per view, with its 95% interval." }
            (tables[0].html(Some(&ctx.csv_link(path, 0))))
            @if !rates.is_empty() {
                h2 { "Victims' invitations" }
                (tables[1].html(Some(&ctx.csv_link(path, 1))))
            }
        },
    ))
}

/// `GET /dashboard/cases?state=open|all|…&team=`: the cases in this member
/// of staff's scope, oldest first, with their changes; supervisors and
/// admins move them on from here.
pub(super) async fn cases(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer_async(state, signed, raw, |ctx| Box::pin(cases_page(ctx))).await
}

async fn cases_page(ctx: &Ctx) -> Result<Response> {
    let which = ctx.get("state").unwrap_or("open").to_owned();
    let list = cases::list(
        ctx.signed.staff.clone(),
        State(ctx.state.clone()),
        AppQuery(ListQuery {
            state: Some(which.clone()),
            team: ctx.get("team").map(str::to_owned),
            form: None,
        }),
    )
    .await?
    .0;
    let mut t = Table::new(
        format!("Cases ({which}), oldest first"),
        &[
            "Case",
            "Raised",
            "Form",
            "Team",
            "Place",
            "State",
            "Hours to acknowledge",
            "Contacted within 2 working days",
        ],
    );
    for c in &list {
        t.rows.push(vec![
            Cell::Link(format!("Case {}", c.id), format!("#case-{}", c.id)),
            Cell::Text(c.raised.clone().unwrap_or_default()),
            Cell::Text(c.form.clone()),
            Cell::Text(c.team.clone().unwrap_or_default()),
            Cell::Text(
                c.location
                    .as_deref()
                    .map(|l| ctx.place_name(l))
                    .unwrap_or_default(),
            ),
            Cell::Text(c.state.clone()),
            Cell::Num(Num::of(c.hours_to_acknowledge, super::table::Kind::Value)),
            Cell::Text(if c.contacted_in_2_working_days {
                "yes".into()
            } else {
                "no".into()
            }),
        ]);
    }
    let tables = [t];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let works = ctx.signed.staff.role != crate::model::Role::Analyst;
    let path = "/dashboard/cases";
    Ok(ctx.page(
        "Cases",
        path,
        html! {
            h1 { "Cases" }
            form.filters method="get" action=(path) {
                input type="hidden" name="form" value=(ctx.id());
                div.field {
                    label for="f-state" { "Show" }
                    select id="f-state" name="state" {
                        @for s in ["open", "new", "acknowledged", "contacted", "resolved", "closed", "all"] {
                            option value=(s) selected[s == which] { (s) }
                        }
                    }
                }
                div.field {
                    label for="f-team" { "Team" }
                    input id="f-team" name="team" type="text" value=[ctx.get("team")];
                }
                button type="submit" { "Show" }
            }
            p.lede { "A case is raised when a victim is dissatisfied or a comment asks for help. Contact the person within 2 working days, then record what happened." }
            (tables[0].html(Some(&ctx.csv_link(path, 0))))
            @for c in &list {
                section.answer id=(format!("case-{}", c.id)) aria-labelledby=(format!("case-{}-h", c.id)) {
                    h2 id=(format!("case-{}-h", c.id)) { "Case " (c.id) ": " (c.state) }
                    p.tags { "Raised " (c.raised.clone().unwrap_or_default()) " · rules: " (c.rules.join(", ")) @if c.safeguarding { " · safeguarding" } }
                    @if !c.history.is_empty() {
                        ol {
                            @for h in &c.history {
                                li { (h.state) " at " (h.at.clone().unwrap_or_default()) " by " (h.by) @if let Some(n) = &h.note { ": " (n) } }
                            }
                        }
                    }
                    @if works && c.state != "closed" {
                        form method="post" action=(format!("/dashboard/cases/{}", c.id)) {
                            input type="hidden" name="csrf" value=(ctx.signed.session.csrf);
                            input type="hidden" name="back" value=(ctx.url(path, &[]));
                            div.field {
                                label for=(format!("st-{}", c.id)) { "Move to" }
                                select id=(format!("st-{}", c.id)) name="state" {
                                    @for s in ["acknowledged", "contacted", "resolved", "closed"] {
                                        option value=(s) { (s) }
                                    }
                                }
                            }
                            div.field {
                                label for=(format!("note-{}", c.id)) { "Note (optional)" }
                                textarea id=(format!("note-{}", c.id)) name="note" rows="2" cols="40" {}
                            }
                            div.field {
                                label for=(format!("reason-{}", c.id)) { "Reason (needed to close)" }
                                input id=(format!("reason-{}", c.id)) name="reason" type="text";
                            }
                            p { button type="submit" { "Save" span.visually-hidden { " case " (c.id) } } }
                        }
                    }
                }
            }
        },
    ))
}

/// `POST /dashboard/cases/{id}`: a case moved on, as `PATCH
/// /api/v1/cases/{id}` moves it.
pub(super) async fn change_case(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| fields.get(k).filter(|v| !v.trim().is_empty()).cloned();
    if let Err(refused) = check_write(&signed, &headers, &get("csrf").unwrap_or_default()) {
        return error_page(refused);
    }
    let change = CaseChange {
        state: get("state").unwrap_or_default(),
        note: get("note"),
        outcome: None,
        reason: get("reason"),
    };
    match cases::update(
        signed.staff.clone(),
        State(state),
        Path(id),
        AppJson(change),
    )
    .await
    {
        Ok(_) => {
            let back = get("back")
                .filter(|b| super::local(b))
                .unwrap_or_else(|| "/dashboard/cases".into());
            (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response()
        }
        Err(e) => error_page(e),
    }
}

/// `GET /dashboard/actions?form=`: the "we did" entries, and for admins a
/// form to add one.
pub(super) async fn actions(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = match Ctx::new(state, signed, raw) {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    actions_page(&ctx, None).unwrap_or_else(error_page)
}

fn actions_page(ctx: &Ctx, problems: Option<&[survey::Problem]>) -> Result<Response> {
    let all: Vec<actions::Action> = actions::all(ctx.state.store.as_ref())?
        .into_iter()
        .filter(|a| a.form == ctx.id())
        .collect();
    let named = super::measure::Themes::of(&ctx.form.form);
    let themes = &named.0;
    let theme_name = |id: &str| named.name(id);
    let mut t = Table::new(
        "What we did, newest first",
        &["Done on", "Wards", "Themes", "What was done"],
    );
    let lang = ctx.form.form.default_lang.clone();
    for a in &all {
        t.rows.push(vec![
            Cell::Text(a.done_on.clone()),
            Cell::Text(
                a.wards
                    .iter()
                    .map(|w| ctx.place_name(w))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::Text(
                a.themes
                    .iter()
                    .map(|x| theme_name(x))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Cell::Text(a.text.get(&lang).cloned().unwrap_or_default()),
        ]);
    }
    let tables = [t];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let path = "/dashboard/actions";
    let wards = ctx.state.places.get().wards.clone();
    let mut res = ctx.page(
        "We did",
        path,
        html! {
            @if let Some(ps) = problems {
                div.error-summary role="alert" aria-labelledby="error-title" tabindex="-1" {
                    h2 id="error-title" { "There is a problem" }
                    ul { @for p in ps { li { a href=(format!("#{}", anchor(&p.field))) { (p.message) } } } }
                }
            }
            h1 { "We did: " (ctx.form.form.title.get("en", "en")) }
            p.lede { "What the force did about what people raised. Each entry shows on the public results page of the wards it names, beside the themes people raised there." }
            (tables[0].html(Some(&ctx.csv_link(path, 0))))
            @if ctx.signed.admin() {
                h2 { "Add an entry" }
                form method="post" action=(format!("{path}?form={}", super::enc(ctx.id()))) {
                    input type="hidden" name="csrf" value=(ctx.signed.session.csrf);
                    div.field {
                        label for="text" { "What was done (" (lang) ", up to 600 characters)" }
                        textarea id="text" name="text" rows="3" cols="60" maxlength="600" {}
                    }
                    div.field {
                        label for="done_on" { "Done on" }
                        input id="done_on" name="done_on" type="date";
                    }
                    fieldset id="themes" {
                        legend { "Themes it answers" }
                        div.themes {
                            @for (id, name) in themes {
                                label { input type="checkbox" name="theme" value=(id); (name) }
                            }
                        }
                    }
                    fieldset id="wards" {
                        legend { "Wards" }
                        div.themes {
                            @for w in &wards {
                                label { input type="checkbox" name="ward" value=(w.id); (w.name.get("en", "en")) }
                            }
                        }
                    }
                    p { button type="submit" { "Add entry" } }
                }
            }
        },
    );
    if problems.is_some() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// Where on the entry form a problem's field is.
fn anchor(field: &str) -> &str {
    match field.split(['[', '.']).next().unwrap_or(field) {
        "themes" => "themes",
        "wards" => "wards",
        "done_on" => "done_on",
        _ => "text",
    }
}

/// `POST /dashboard/actions?form=`: an admin adds an entry.
pub(super) async fn add_action(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let mut csrf = String::new();
    let mut new = NewAction {
        form: String::new(),
        themes: Vec::new(),
        wards: Vec::new(),
        text: BTreeMap::new(),
        done_on: String::new(),
    };
    let mut text = String::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "theme" => new.themes.push(v.into_owned()),
            "ward" => new.wards.push(v.into_owned()),
            "text" => text = v.into_owned(),
            "done_on" => new.done_on = v.into_owned(),
            _ => {}
        }
    }
    if let Err(refused) = check_write(&signed, &headers, &csrf) {
        return error_page(refused);
    }
    if !signed.admin() {
        return error_page(Error::Forbidden("adding an entry needs an admin".into()));
    }
    let ctx = match Ctx::new(state, signed, raw) {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    new.form = ctx.id().to_owned();
    new.text.insert(ctx.form.form.default_lang.clone(), text);
    let register = ctx.state.places.get();
    let (store, by) = (ctx.state.store.clone(), ctx.signed.staff.fingerprint());
    let added =
        tokio::task::spawn_blocking(move || actions::add(store.as_ref(), &register, new, by))
            .await
            .unwrap_or_else(|e| Err(Error::Io(std::io::Error::other(e))));
    match added {
        Ok(_) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, ctx.url("/dashboard/actions", &[]))],
        )
            .into_response(),
        Err(Error::Invalid(problems)) => {
            actions_page(&ctx, Some(&problems)).unwrap_or_else(error_page)
        }
        Err(e) => error_page(e),
    }
}
