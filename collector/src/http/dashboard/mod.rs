//! The staff dashboard at `/dashboard`: pages rendered on the server from
//! the same calls the API answers, with no script at all.
//!
//! ```text
//! browser ─cookie─► Signed (session ─► the token's Staff) ─► view ─► the API's own functions
//!                                                                 (aggregate_of, trends, list_text, funnel, cases …)
//!                                                             └─► Table ─► HTML (+ SVG chart) or CSV
//! ```
//!
//! Why server-rendered: the first view must be usable within 2 s over a
//! slow mobile connection, and a page of HTML and inline SVG is a few
//! kilobytes where a second WebAssembly app would be hundreds; every
//! filter is a plain GET form, so the query string is the view's whole
//! state (a link in an email opens the same view) and the browser's own
//! controls make it usable by keyboard. The figures come from the same
//! functions as the API's routes with the same query, so a figure on the
//! page is the API's figure.
//!
//! Staff sign in with their token once ([`sign`]); the session's cookie
//! is HttpOnly, Secure, SameSite=Strict and scoped to `/dashboard`, and
//! every write also carries the session's CSRF secret. What each role
//! sees follows the API's scopes: a supervisor's views count only their
//! teams and places, and coding is for analysts and admins.

mod chart;
mod map;
mod measure;
mod sign;
mod table;
mod text;
mod views;
mod work;

use super::auth::{Scope, Staff};
use super::security_headers::{own_pages, PagePolicy};
use super::AppState;
use crate::error::Error;
use crate::model::Role;
use crate::service::sessions::{self, Session};
use crate::store::Published;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// The session cookie's name.
const COOKIE: &str = "dashboard_session";

/// The dashboard's routes, with their page policy (no script, the one
/// inline stylesheet) and no caching anywhere.
pub(super) fn routes() -> Router<AppState> {
    let router = Router::new()
        .route("/dashboard", get(views::home))
        .route("/dashboard/", get(views::home))
        .route("/dashboard/sign-in", get(sign::page).post(sign::sign_in))
        .route("/dashboard/sign-out", post(sign::sign_out))
        .route("/dashboard/overview", get(views::overview))
        .route("/dashboard/drill", get(views::drill))
        .route("/dashboard/breakdown", get(views::breakdown))
        .route("/dashboard/crosstab", get(views::crosstab))
        .route("/dashboard/trend", get(views::trend))
        .route("/dashboard/map", get(map::page))
        .route("/dashboard/text", get(text::page))
        .route("/dashboard/codes", post(text::recode))
        .route("/dashboard/funnel", get(work::funnel))
        .route("/dashboard/cases", get(work::cases))
        .route("/dashboard/cases/{id}", post(work::change_case))
        .route(
            "/dashboard/actions",
            get(work::actions).post(work::add_action),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(super::compressed());
    own_pages(router, &PagePolicy::new(&[CSS]))
}

/// A request from a signed-in member of staff.
#[derive(Clone)]
struct Signed {
    /// What the token behind the session may see, as the API sees it.
    pub staff: Staff,
    /// The session (its CSRF secret for forms).
    pub session: Session,
    /// The token's label, shown in the header.
    pub label: String,
}

impl Signed {
    /// Whether this member of staff may code free text and see agreement.
    fn analyst(&self) -> bool {
        matches!(self.staff.role, Role::Analyst | Role::Admin)
    }

    fn admin(&self) -> bool {
        self.staff.role == Role::Admin
    }
}

/// The session cookie's value, if the request carries one.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Response> {
        let live = match cookie(&parts.headers) {
            Some(c) => sessions::live(state.store.as_ref(), &c).map_err(error_page)?,
            None => None,
        };
        let Some(live) = live else {
            // Back to where they were going once signed in (GETs only: a
            // form posted with an ended session is sent again by hand).
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .filter(|_| parts.method == axum::http::Method::GET)
                .filter(|p| local(p))
                .unwrap_or_else(|| "/dashboard".into());
            let to = format!(
                "/dashboard/sign-in?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", &next)
                    .finish()
            );
            return Err(Redirect::to(&to).into_response());
        };
        let role = live.token.role;
        Ok(Signed {
            staff: Staff {
                role,
                hash: live.hash,
                scope: (role == Role::Supervisor).then_some(Scope {
                    teams: live.token.teams.clone(),
                    places: live.token.places.clone(),
                }),
            },
            session: live.session,
            label: live.token.label,
        })
    }
}

/// Whether `next` is a dashboard address of this site (so the sign-in
/// page never sends anyone elsewhere).
fn local(next: &str) -> bool {
    next.starts_with("/dashboard")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.starts_with("/dashboard/sign-")
}

/// A write from the dashboard: refused unless it carries the session's
/// CSRF secret and, when the browser says where it came from, came from
/// this site.
fn check_write(signed: &Signed, headers: &HeaderMap, csrf: &str) -> std::result::Result<(), Error> {
    let cross = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v != "same-origin" && v != "none");
    if cross || !sessions::csrf_ok(&signed.session, csrf) {
        return Err(Error::Forbidden(
            "this form was not sent from a page of this dashboard, or it is out of date: go back, reload the page and try again".into(),
        ));
    }
    Ok(())
}

/// What a dashboard view needs: who asks, the query, and the form.
struct Ctx {
    pub state: AppState,
    pub signed: Signed,
    /// The URL's query as pairs, in order.
    pub pairs: Vec<(String, String)>,
    /// The form viewed.
    pub form: Arc<Published>,
}

/// Query keys the API's queries take as they are.
const PASSED: [&str; 16] = [
    "from", "to", "quarter", "location", "site", "ward", "cluster", "sector", "channel", "lang",
    "version", "where", "team", "category", "share", "include",
];

impl Ctx {
    fn new(
        state: AppState,
        signed: Signed,
        raw: Option<String>,
    ) -> std::result::Result<Ctx, Error> {
        let pairs = super::query_params::pairs(raw.as_deref());
        let ids = state.store.form_ids();
        let id = pairs
            .iter()
            .find(|(k, _)| k == "form")
            .map(|(_, v)| v.clone())
            .or_else(|| ids.first().cloned())
            .ok_or_else(|| Error::NotFound("no form is published yet".into()))?;
        let form = state
            .store
            .form(&id)
            .ok_or_else(|| Error::NotFound(format!("no form '{id}'")))?;
        Ok(Ctx {
            state,
            signed,
            pairs,
            form,
        })
    }

    fn id(&self) -> &str {
        &self.form.form.id
    }

    /// The last value of `key`, if given and not empty.
    fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Whether the view is marked for sharing (small cells hidden).
    fn shared(&self) -> bool {
        self.get("share") == Some("public")
    }

    /// This view's address with some keys set (`Some`) or removed (`None`).
    fn url(&self, path: &str, set: &[(&str, Option<&str>)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        let mut seen = std::collections::HashSet::new();
        for (k, v) in &self.pairs {
            if v.is_empty() || seen.contains(k.as_str()) && set.iter().any(|(x, _)| x == k) {
                continue;
            }
            match set.iter().find(|(x, _)| x == k) {
                Some((_, Some(nv))) => {
                    if seen.insert(k.clone()) {
                        s.append_pair(k, nv);
                    }
                }
                Some((_, None)) => {}
                None => {
                    s.append_pair(k, v);
                }
            }
        }
        for (k, v) in set {
            if let Some(v) = v {
                if !seen.contains(*k) {
                    s.append_pair(k, v);
                }
            }
        }
        if !self.pairs.iter().any(|(k, _)| k == "form") {
            s.append_pair("form", self.id());
        }
        let q = s.finish();
        format!("{path}?{q}")
    }

    /// The newest financial quarter with responses, `2024/25 Q4`.
    fn latest_quarter(&self) -> Option<String> {
        let ix = self.state.indexes.index(self.id())?;
        let span = ix.read().unwrap_or_else(|e| e.into_inner()).span();
        span.map(|(_, last)| crate::index::query::quarter_label(last))
    }

    /// The period asked for: a quarter (the newest with responses unless
    /// another is named), or none for all time (`quarter=all`, or
    /// `from`/`to` given).
    fn quarter(&self) -> Option<String> {
        if self.get("from").is_some() || self.get("to").is_some() {
            return None;
        }
        match self.get("quarter") {
            Some("all") => None,
            Some(q) => Some(q.to_owned()),
            None => self.latest_quarter(),
        }
    }

    /// The API query of this view's filters: the period, places, channel,
    /// language and the respondent type (`respondent=worker` becomes the
    /// form's `where=respondent_type:worker`).
    fn filters(&self) -> Vec<(String, String)> {
        self.filters_over(self.quarter())
    }

    /// [`Ctx::filters`] over all time unless a period is named (trends).
    fn filters_all_time(&self) -> Vec<(String, String)> {
        let named = self
            .get("quarter")
            .filter(|q| *q != "all")
            .map(str::to_owned);
        self.filters_over(named)
    }

    /// [`Ctx::filters`] over the quarter `quarter` (none: as the query says
    /// with `from`/`to`, or all time).
    fn filters_over(&self, quarter: Option<String>) -> Vec<(String, String)> {
        let attributes = &self.state.config.invitation_attributes;
        let mut out: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, v)| {
                !v.is_empty()
                    && k != "quarter"
                    && (PASSED.contains(&k.as_str()) || attributes.iter().any(|a| a == k))
            })
            .cloned()
            .collect();
        if let Some(q) = quarter {
            out.push(("quarter".into(), q));
        }
        if let (Some(r), Some(rq)) = (
            self.get("respondent"),
            self.form.form.respondent_question.as_deref(),
        ) {
            out.push(("where".into(), format!("{rq}:{r}")));
        }
        out
    }

    /// A place's name in the register, else its id.
    fn place_name(&self, id: &str) -> String {
        let register = self.state.places.get();
        let name = |t: &survey::Text| t.get("en", "en").to_owned();
        if let Some(s) = register.site(id) {
            return name(&s.name);
        }
        if let Some(w) = register.ward(id) {
            return name(&w.name);
        }
        if let Some(c) = register.clusters.iter().find(|c| c.id == id) {
            return name(&c.name);
        }
        if let Some(s) = register.sectors.iter().find(|s| s.id == id) {
            return name(&s.name);
        }
        match id {
            "_none" => "No place given".into(),
            "unknown" => "A place the register does not know".into(),
            _ => id.to_owned(),
        }
    }

    /// A page of this dashboard around `body`.
    fn page(&self, title: &str, current: &str, body: Markup) -> Response {
        shell(title, Some((self, current)), body)
    }

    /// The view's table as CSV, when `format=csv` asks for it.
    fn csv(&self, tables: &[table::Table]) -> Option<Response> {
        if self.get("format") != Some("csv") {
            return None;
        }
        let i: usize = self.get("table").and_then(|t| t.parse().ok()).unwrap_or(0);
        let Some(t) = tables.get(i) else {
            return Some(error_page(Error::NotFound(format!(
                "this view has no table {i}"
            ))));
        };
        Some(match t.csv() {
            Ok(body) => (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{}.csv\"", file_name(&t.caption)),
                    ),
                ],
                body,
            )
                .into_response(),
            Err(e) => error_page(e),
        })
    }

    /// The link to table `i` of this view as CSV.
    fn csv_link(&self, path: &str, i: usize) -> String {
        let n = i.to_string();
        self.url(path, &[("format", Some("csv")), ("table", Some(&n))])
    }
}

fn file_name(caption: &str) -> String {
    let s: String = caption
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let parts: Vec<&str> = s.split('-').filter(|p| !p.is_empty()).collect();
    parts.join("-").chars().take(80).collect()
}

/// The views in the navigation: path and name.
const VIEWS: [(&str, &str); 10] = [
    ("/dashboard/overview", "Overview"),
    ("/dashboard/drill", "Places"),
    ("/dashboard/map", "Map"),
    ("/dashboard/breakdown", "Breakdown"),
    ("/dashboard/crosstab", "Cross-tab"),
    ("/dashboard/trend", "Trends"),
    ("/dashboard/text", "Free text"),
    ("/dashboard/funnel", "Response rates"),
    ("/dashboard/cases", "Cases"),
    ("/dashboard/actions", "We did"),
];

/// A whole page: the header with navigation and sign-out (when signed
/// in), and `body` as the main content.
fn shell(title: &str, nav: Option<(&Ctx, &str)>, body: Markup) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Community feedback dashboard" }
                style { (PreEscaped(CSS)) }
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header.top {
                    div.bar {
                        span.brand { "Community feedback" }
                        @if let Some((ctx, _)) = nav {
                            span.who { "Signed in as " (if ctx.signed.label.is_empty() { ctx.signed.staff.role.as_str().to_owned() } else { ctx.signed.label.clone() }) " (" (ctx.signed.staff.role.as_str()) ")" }
                            form.signout method="post" action="/dashboard/sign-out" {
                                input type="hidden" name="csrf" value=(ctx.signed.session.csrf);
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                    @if let Some((ctx, current)) = nav {
                        nav aria-label="Dashboard views" {
                            ul {
                                @for (path, name) in VIEWS {
                                    li {
                                        @if path == current {
                                            a href=(ctx.url(path, &[("format", None), ("table", None), ("after", None)])) aria-current="page" { (name) }
                                        } @else {
                                            a href=(format!("{path}?form={}", enc(ctx.id()))) { (name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    };
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page.into_string(),
    )
        .into_response()
}

/// A query string of `pairs`.
fn query_string(pairs: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// URL-encodes one value.
fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// An error as a page: the API's status and message, in words.
fn error_page(e: Error) -> Response {
    let status = e.status();
    let message = if status.is_server_error() {
        tracing::error!(error = %e, "dashboard request failed");
        "The dashboard could not answer just now. Please try again in a moment.".to_owned()
    } else {
        e.to_string()
    };
    let title = match status {
        StatusCode::FORBIDDEN => "You cannot see this",
        StatusCode::NOT_FOUND => "Not found",
        s if s.is_client_error() => "There is a problem with this view",
        _ => "Sorry, there is a problem",
    };
    let problems: Vec<String> = match &e {
        Error::Invalid(ps) => ps
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect(),
        _ => Vec::new(),
    };
    let mut res = shell(
        title,
        None,
        html! {
            h1 { (title) }
            p { (message) }
            @if !problems.is_empty() {
                ul { @for p in &problems { li { (p) } } }
            }
            p { a href="/dashboard" { "Back to the dashboard" } }
        },
    );
    *res.status_mut() = status;
    res
}

/// The form picker and filters shared by the views: a GET form, so the
/// query string stays the view's whole state.
fn filters_form(ctx: &Ctx, path: &str, extra: Markup, keep: &[&str], all_time: bool) -> Markup {
    let quarters = quarters(ctx);
    let current = match ctx.get("quarter") {
        Some(q) => Some(q.to_owned()),
        None if all_time => Some("all".to_owned()),
        None => ctx.latest_quarter(),
    };
    let respondents: Vec<(String, String)> = ctx
        .form
        .form
        .respondent_question
        .as_deref()
        .and_then(|q| ctx.form.form.question(q))
        .map(|q| match &q.kind {
            survey::Kind::SingleChoice { options } => options
                .iter()
                .map(|o| (o.id.clone(), o.text.get("en", "en").to_owned()))
                .collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    let channels = ctx
        .state
        .indexes
        .index(ctx.id())
        .map(|ix| ix.read().unwrap_or_else(|e| e.into_inner()).channels())
        .unwrap_or_default();
    html! {
        form.filters method="get" action=(path) {
            @for k in keep {
                @if let Some(v) = ctx.get(k) {
                    input type="hidden" name=(k) value=(v);
                }
            }
            div.field {
                label for="f-form" { "Survey" }
                select id="f-form" name="form" {
                    @for id in ctx.state.store.form_ids() {
                        option value=(id) selected[id == ctx.id()] { (ctx.state.store.form(&id).map(|p| p.form.title.get("en", "en").to_owned()).unwrap_or(id.clone())) }
                    }
                }
            }
            div.field {
                label for="f-quarter" { "Period" }
                select id="f-quarter" name="quarter" {
                    option value="all" selected[current.as_deref() == Some("all")] { "All time" }
                    @for q in &quarters {
                        option value=(q) selected[current.as_deref() == Some(q.as_str())] { (q) }
                    }
                }
            }
            @if !respondents.is_empty() {
                div.field {
                    label for="f-respondent" { "Respondent type" }
                    select id="f-respondent" name="respondent" {
                        option value="" { "Everyone" }
                        @for (id, name) in &respondents {
                            option value=(id) selected[ctx.get("respondent") == Some(id.as_str())] { (name) }
                        }
                    }
                }
            }
            div.field {
                label for="f-channel" { "Channel" }
                select id="f-channel" name="channel" {
                    option value="" { "All channels" }
                    @for c in &channels {
                        option value=(c) selected[ctx.get("channel") == Some(c.as_str())] { (c) }
                    }
                }
            }
            (extra)
            div.field.check {
                input type="checkbox" id="f-share" name="share" value="public" checked[ctx.shared()];
                label for="f-share" { "For sharing: hide small numbers" }
            }
            button type="submit" { "Show" }
        }
    }
}

/// The financial quarters the form's responses span, newest first.
fn quarters(ctx: &Ctx) -> Vec<String> {
    let Some(ix) = ctx.state.indexes.index(ctx.id()) else {
        return Vec::new();
    };
    let Some((first, last)) = ix.read().unwrap_or_else(|e| e.into_inner()).span() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut t = last;
    loop {
        let q = crate::index::query::quarter_label(t);
        let Ok((start, _)) = super::query_params::parse_quarter(&q) else {
            break;
        };
        out.push(q);
        if start <= first || start == 0 || out.len() > 80 {
            break;
        }
        t = start - 1;
    }
    out
}

/// The whole stylesheet, inline (allowed by its hash in the page policy):
/// one request for the first view. GOV.UK's type scale, colours and
/// focus style.
const CSS: &str = r#"
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:1rem/1.5 "Helvetica Neue",Arial,sans-serif;color:#0b0c0c;background:#fff}
a{color:#1d70b8}a:visited{color:#4c2c92}a:hover{color:#003078}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #ffdd00;outline-offset:0;box-shadow:0 0 0 6px #0b0c0c}
a:focus{background:#ffdd00;color:#0b0c0c;text-decoration:none;box-shadow:0 -2px #ffdd00,0 4px #0b0c0c;outline:none}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;z-index:2;padding:8px}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header.top{background:#0b0c0c;color:#fff;padding:0 16px}
.bar{display:flex;flex-wrap:wrap;gap:8px 24px;align-items:center;padding:10px 0}
.brand{font-weight:700;font-size:1.2rem}.who{flex:1}
header.top nav ul{list-style:none;margin:0;padding:0 0 8px;display:flex;flex-wrap:wrap;gap:4px 18px}
header.top a{color:#fff}header.top a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
header.top a:focus{color:#0b0c0c}
button.link{background:none;border:0;box-shadow:none;color:#fff;text-decoration:underline;font:inherit;font-weight:400;cursor:pointer;padding:4px;min-height:0}
a.minor{font-size:.9rem;margin-inline-start:6px}
main{padding:16px;max-width:1180px;margin:0 auto}
h1{font-size:2rem;line-height:1.2;margin:8px 0 16px}h2{font-size:1.5rem;margin:32px 0 12px}
.lede{font-size:1.15rem;max-width:46em}
form.filters{display:flex;flex-wrap:wrap;gap:12px 20px;align-items:flex-end;background:#f3f2f1;padding:12px 16px;margin:0 0 20px}
.field{display:flex;flex-direction:column;gap:4px}.field label{font-weight:700}
.field.check{flex-direction:row;align-items:center;gap:8px}.field.check label{font-weight:400}
.field.check input{width:24px;height:24px;margin:0}
select,input,textarea{font:inherit;border:2px solid #0b0c0c;padding:5px;min-height:40px;background:#fff;color:#0b0c0c}
button{font:inherit;font-weight:700;background:#00703c;color:#fff;border:0;box-shadow:0 2px 0 #002d18;padding:8px 14px;min-height:40px;cursor:pointer}
button.secondary{background:#f3f2f1;color:#0b0c0c;box-shadow:0 2px 0 #929191}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:0 0 8px;min-width:50%}
caption{text-align:left;font-weight:700;font-size:1.1rem;padding:0 0 8px}
th,td{border-bottom:1px solid #b1b4b6;padding:8px 12px 8px 0;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.flag{font-weight:700;color:#0b0c0c;background:#ffdd00;padding:0 4px}
.csv{margin:0 0 24px}
.pair{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:24px;align-items:start}
@media (max-width:900px){.pair{grid-template-columns:1fr}}
svg.chart{width:100%;height:auto;max-width:760px;display:block}
svg.map text{font-family:Arial,sans-serif}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 20px;font-size:.9rem}
ul.legend li{display:flex;align-items:center;gap:6px}
.crumbs ol{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px}
.crumbs li+li::before{content:"›";margin-right:4px}
.answer{border-left:5px solid #b1b4b6;padding:4px 0 4px 12px;margin:0 0 20px}
.answer blockquote{margin:0 0 6px;font-size:1.1rem}
.tags{color:#505a5f;margin:0 0 6px}
fieldset{border:0;padding:0;margin:0 0 8px}legend{font-weight:700}
.themes{display:flex;flex-wrap:wrap;gap:4px 16px}
.themes label{display:flex;align-items:center;gap:6px}.themes input{width:22px;height:22px;min-height:0}
.note{border-left:5px solid #1d70b8;padding:8px 12px;background:#f3f2f1;max-width:46em}
.error-summary{border:5px solid #d4351c;padding:12px 16px;margin:0 0 20px}
.error-summary a{color:#d4351c;font-weight:700}
.error{color:#d4351c;font-weight:700}
"#;
