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
//! One module a job: [`sign`] (in and out), [`overview`], [`places`] (the
//! drill-down), [`map`], [`views`] (breakdown, cross-tab, and what the
//! views of results share), [`trend`], [`text`] (free text and coding),
//! [`work`] (response rates, cases, "we did"); [`measure`] (what a headline
//! measure is), [`table`] and [`chart`] (figures as HTML, CSV and SVG),
//! [`page`] (the page around them).
//!
//! Staff sign in with their token once ([`sign`]); the session's cookie
//! is HttpOnly, Secure, SameSite=Strict and scoped to `/dashboard`, and
//! every write also carries the session's CSRF secret. What each role
//! sees follows the API's scopes: a supervisor's views count only their
//! teams and places, and coding is for analysts and admins.

mod chart;
mod map;
mod measure;
mod overview;
mod page;
mod places;
mod sign;
mod table;
mod text;
mod trend;
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
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::Markup;
use page::{enc, error_page, filters_form, plain, query_string, select, shell, CSS};
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
        .route("/dashboard/overview", get(overview::overview))
        .route("/dashboard/drill", get(places::drill))
        .route("/dashboard/breakdown", get(views::breakdown))
        .route("/dashboard/crosstab", get(views::crosstab))
        .route("/dashboard/trend", get(trend::trend))
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

/// A view's answer: its context from the request, then `view`; an error
/// of either as a page.
fn answer(
    state: AppState,
    signed: Signed,
    raw: Option<String>,
    view: impl FnOnce(&Ctx) -> crate::error::Result<Response>,
) -> Response {
    match Ctx::new(state, signed, raw) {
        Ok(ctx) => view(&ctx).unwrap_or_else(error_page),
        Err(e) => error_page(e),
    }
}

/// [`answer`] for a view that awaits the API's async functions.
async fn answer_async(
    state: AppState,
    signed: Signed,
    raw: Option<String>,
    view: impl for<'a> FnOnce(
        &'a Ctx,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = crate::error::Result<Response>> + Send + 'a>,
    >,
) -> Response {
    match Ctx::new(state, signed, raw) {
        Ok(ctx) => view(&ctx).await.unwrap_or_else(error_page),
        Err(e) => error_page(e),
    }
}

/// Whether `next` is a dashboard address of this site (so the sign-in
/// page never sends anyone elsewhere).
fn local(next: &str) -> bool {
    next.bytes().all(|b| b.is_ascii_graphic())
        && next.starts_with("/dashboard")
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
