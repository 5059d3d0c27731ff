//! The page around every view: the header with the navigation and
//! sign-out, the shared filters form, the error page, and the stylesheet
//! (inline, allowed by its hash in the page policy).

use super::Ctx;
use crate::error::Error;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};

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
pub(super) fn shell(title: &str, nav: Option<(&Ctx, &str)>, body: Markup) -> Response {
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
pub(super) fn query_string(pairs: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// URL-encodes one value.
pub(super) fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// An error as a page: the API's status and message, in words.
pub(super) fn error_page(e: Error) -> Response {
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
pub(super) fn filters_form(
    ctx: &Ctx,
    path: &str,
    extra: Markup,
    keep: &[&str],
    all_time: bool,
) -> Markup {
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

/// A labelled select named `name` (its id `f-{name}`) of `options`
/// (value, words) with `selected` chosen; with `any`, a first option of
/// those words that leaves the filter out.
pub(super) fn select(
    name: &str,
    label: &str,
    options: &[(String, String)],
    selected: Option<&str>,
    any: Option<&str>,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) {
                @if let Some(words) = any {
                    option value="" { (words) }
                }
                @for (value, words) in options {
                    option value=(value) selected[selected == Some(value.as_str())] { (words) }
                }
            }
        }
    }
}

/// `(value, value)` for options whose words are their values.
pub(super) fn plain(values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| ((*v).to_owned(), (*v).to_owned()))
        .collect()
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
        let Ok((start, _)) = crate::http::query_params::parse_quarter(&q) else {
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
pub(super) const CSS: &str = r#"
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:1rem/1.5 "Helvetica Neue",Arial,sans-serif;color:#0b0c0c;background:#fff}
a{color:#1d70b8}a:visited{color:#4c2c92}a:hover{color:#003078}
a:focus,button:focus,input:focus,input:focus-within,select:focus,textarea:focus,summary:focus{outline:3px solid #ffdd00;outline-offset:0;box-shadow:0 0 0 6px #0b0c0c}
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
