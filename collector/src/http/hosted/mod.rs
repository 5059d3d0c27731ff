//! The hosted page for QR codes and links: `GET /f/{form}?loc=&ch=&lang=`.
//!
//! The collector renders the whole form as plain HTML in the GOV.UK
//! patterns (fieldset and legend, bound labels, error summary), with its
//! critical CSS inline and nothing that blocks painting, so the form is
//! usable from the first response and works with JavaScript turned off: it
//! posts `application/x-www-form-urlencoded` to `POST /f/{form}`, which
//! validates with the shared `survey` crate and stores through the same
//! [`ingest::record`](crate::service::ingest::record) as the JSON API.
//! With JavaScript on, the widget loader at the end of the page lets the
//! widget take the form over in place, with whatever the person has done on
//! it: the widget lays it out the same way, so nothing moves (progressive
//! enhancement). A server-made submission id in a hidden field makes a
//! double submit, or one by each, count once.
//!
//! Bot checks (on by default): a honeypot field, and a render token the
//! server signs when it renders the page (so the time from render to post
//! is the server's own, not a number the client sends). A post that fails
//! either is still stored, flagged with the reason and kept out of the
//! aggregates: a quick person is never thanked for an answer that was lost.
//!
//! ```text
//! GET  /f/{form} ─► lang (which language) ─► render (HTML, render token from bot)
//! POST /f/{form} ─► post (pairs → Fields → Submission) ─► bot (flag?) ─► survey::validate
//!                 ─► service::ingest ─► 303 /f/{form}/thanks   (or render with errors)
//!                                       (…&help=1: free text matched the safeguarding phrases)
//! ```
//!
//! Each page rendered is a `view` of the form in its funnel
//! ([`crate::service::funnel`]), counted here so that people without
//! JavaScript count; the widget taking the page over does not count it again.
//!
//! Safeguarding: free text that matches the form's safeguarding phrases
//! (the shared `survey` matcher, as the widget and the ingest service use)
//! makes the next page lead with the form's support numbers, above the
//! thank-you or above the errors, with the focus on them.
//!
//! The words and the stylesheet are the `ui` crate's, shared with the
//! widget. The pages run under a strict Content-Security-Policy
//! ([`super::security_headers`]): no inline script (the form definition the
//! page carries for the widget is a JSON data block, not a script), and
//! inline styles only by hash.

mod bot;
mod lang;
mod one;
mod post;
mod render;

use super::limit::Limits;
use super::responses::store_submission;
use super::AppState;
#[cfg(test)]
use crate::config::Config;
use crate::error::{Error, Result};
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::security_headers::{own_pages, PagePolicy};
use crate::service::invitations::{self, Lookup};
use crate::service::{funnel, tags};
use bot::{now_secs, RenderKey};
pub(in crate::http) use lang::choose_lang;
use post::{to_submission, Fields};
pub(in crate::http) use render::{esc, page_url};
use render::{help_panel, page_shell, render_form, FAVICON};
use survey::Kind;
use ui::i18n;

/// The name of the render tokens' key in the store's secrets.
const RENDER_SECRET: &str = "render-key";

/// The hosted page's routes. Posts from the page draw on the same limits
/// as JSON submissions (`rate_limit` per client, `global_rate_limit`).
pub fn routes(limits: &Limits, state: &AppState) -> Router<AppState> {
    let key = match crate::service::secrets::named(state.store.as_ref(), RENDER_SECRET) {
        Ok(bytes) => RenderKey::from_bytes(&bytes),
        Err(e) => {
            // Pages rendered before a restart will not verify after it.
            tracing::error!(error = %e, "the render token key could not be read: a key for this run only");
            RenderKey::new().unwrap_or_else(|e| {
                // Without the OS's random numbers no token verifies: every
                // post is then stored flagged, never lost.
                tracing::error!("no random key for render tokens: {e}");
                RenderKey::none()
            })
        }
    };
    let router = Router::new()
        .route(
            "/f/{form}",
            get(page).merge(limits.apply(post(submit)).layer(
                axum::middleware::from_fn_with_state(state.clone(), refused_as_page),
            )),
        )
        .route("/f/{form}/thanks", get(thanks))
        .route("/favicon.svg", get(favicon))
        .layer(Extension(Arc::new(key)))
        .layer(Extension(Arc::new(one::Rotation::default())))
        // The page is a few KB once compressed instead of ~24 KB: it is the
        // first thing a phone on mobile data downloads after the QR scan.
        .layer(tower_http::compression::CompressionLayer::new());
    own_pages(router, &policy())
}

/// What the hosted pages may load: their own origin's scripts (the loader,
/// the glue, the wasm) and three inline styles, allowed by hash: the page's
/// own `<style>`, and the two the loader and the widget put in the
/// widget's shadow root once it takes over.
fn policy() -> PagePolicy {
    PagePolicy::new(&[&render::page_style(), ui::style::HOST_CSS, ui::style::CSS])
}

/// Query of the hosted page: where the QR code was, how the person came.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Place id.
    #[serde(default)]
    pub loc: Option<String>,
    /// Channel: `qr`, `link`, …
    #[serde(default)]
    pub ch: Option<String>,
    /// Language wanted.
    #[serde(default)]
    pub lang: Option<String>,
    /// A victim's invitation key.
    #[serde(default)]
    pub i: Option<String>,
    /// `1` on the thank-you page after free text that matched the form's
    /// safeguarding phrases: the page then leads with the form's support
    /// numbers. Not which categories, nor anything of the text: the link
    /// stays in the browser's history, and anyone may write it, which
    /// shows no more than the form's own numbers.
    #[serde(default)]
    pub help: Option<String>,
    /// On a form with a "one question a scan" set: the question of the
    /// set to ask (else the form's draw chooses).
    #[serde(default)]
    pub q: Option<String>,
}

/// The hosted page: the form as plain HTML that works without JavaScript,
/// which the widget then takes over.
#[utoipa::path(get, path = "/f/{form}", tag = "hosted pages",
    params(("form" = String, Path, description = "form id"), PageQuery),
    responses((status = 200, description = "the form page", content_type = "text/html", body = String),
              (status = 404, body = crate::error::ProblemDetails),
              (status = 409, description = "the invitation `i` was already answered: a page saying so", content_type = "text/html", body = String),
              (status = 410, description = "the invitation `i` expired or is not valid: a page saying so", content_type = "text/html", body = String)))]
pub(in crate::http) async fn page(
    State(state): State<AppState>,
    Extension(key): Extension<Arc<RenderKey>>,
    Extension(rotation): Extension<Arc<one::Rotation>>,
    Path(form_id): Path<String>,
    Query(q): Query<PageQuery>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response> {
    let (published, lang) = form_and_lang(&state, &form_id, &q, &headers)?;
    let form = &published.form;
    let register = state.places.get();
    let invitation = match q.i.as_deref().filter(|i| !i.is_empty()) {
        None => None,
        Some(key) => {
            let store = state.store.clone();
            let (form_id, key) = (form.id.clone(), key.to_owned());
            let found = tokio::task::spawn_blocking(move || {
                invitations::open(store.as_ref(), &form_id, &key).map(|l| (l, key))
            })
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;
            match found {
                (Lookup::Open(_), key) => Some(key),
                (Lookup::Answered(_), _) => return Ok(notice(form, &lang, Error::InvitationUsed)),
                (Lookup::Expired | Lookup::Unknown, _) => {
                    return Ok(notice(form, &lang, Error::Gone(String::new())))
                }
            }
        }
    };
    let submission_id = new_submission_id()?;
    let mut fields = Fields {
        token: key.sign(&form.id, &submission_id, now_secs()),
        submission_id,
        location: tags::place(&register, form, q.loc),
        channel: q.ch.map_or_else(|| "link".into(), |c| tags::channel(&c)),
        lang: lang.clone(),
        invitation,
        answers: BTreeMap::new(),
    };
    // The place from the QR code answers the location question up front:
    // itself when the form lists it, else its ward when the form lists
    // wards (a QR code at a station answers "which area" with the ward
    // the station is in).
    let answer = fields.location.as_deref().and_then(|loc| {
        if form.place(loc).is_some() {
            return Some(loc.to_owned());
        }
        let ward = register.lineage(loc)?.ward;
        form.place(ward).map(|p| p.id.clone())
    });
    if let Some(answer) = answer {
        for question in form
            .questions
            .iter()
            .filter(|q| matches!(q.kind, Kind::Location {}))
        {
            fields
                .answers
                .insert(question.id.clone(), vec![answer.clone()]);
        }
    }
    // The page is a view of the form, counted here so that people without
    // JavaScript count too; the widget taking it over is told not to
    // count it again (`data-view-counted`). A HEAD shows no one anything.
    if method == Method::GET {
        state.tally.add(
            funnel::view(
                form,
                fields.location.as_deref(),
                &fields.channel,
                &lang,
                crate::model::now_ms(),
            ),
            &state.metrics,
        );
    }
    // A "one question a scan" form asks one question of its set.
    if let Some(question) = rotation.draw(form, q.q.as_deref()) {
        return Ok(html_response(
            StatusCode::OK,
            one::render_one(form, question, &fields, state.config.bot_checks, None),
        ));
    }
    Ok(html_response(
        StatusCode::OK,
        render_form(form, &fields, &[], None, state.config.bot_checks, false),
    ))
}

/// The hosted form's plain post: stored, then a redirect to the thank-you
/// page; with a question at fault, the form again with its errors.
#[utoipa::path(post, path = "/f/{form}", tag = "hosted pages",
    params(("form" = String, Path, description = "form id")),
    request_body(content = Object, content_type = "application/x-www-form-urlencoded",
                 description = "submission_id, token, loc, ch, lang, i, and q.<question id> per answer"),
    responses((status = 303, description = "stored; to the thank-you page"),
              (status = 200, description = "the form again, with its errors", content_type = "text/html", body = String),
              (status = 400, body = crate::error::ProblemDetails, description = "a tampered id, place or channel"),
              (status = 404, body = crate::error::ProblemDetails),
              (status = 409, description = "the invitation was already answered: a page saying so", content_type = "text/html", body = String),
              (status = 410, description = "the invitation expired or is not valid: a page saying so", content_type = "text/html", body = String),
              (status = 413, body = crate::error::ProblemDetails), (status = 415, body = crate::error::ProblemDetails),
              (status = 408, body = crate::error::ProblemDetails, description = "the post did not arrive in time"),
              (status = 429, description = "over the rate limit (`Retry-After`): the form again, answers kept, saying nothing was stored", content_type = "text/html", body = String),
              (status = 503, description = "the store refuses writes: the form again, answers kept, saying nothing was stored", content_type = "text/html", body = String)))]
pub(in crate::http) async fn submit(
    State(state): State<AppState>,
    Extension(key): Extension<Arc<RenderKey>>,
    Path(form_id): Path<String>,
    posted: std::result::Result<axum::Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response> {
    let pairs = match posted {
        Ok(axum::Form(pairs)) => pairs,
        Err(e) if super::json::timed_out(&e) => return Err(Error::TimedOut),
        // problem+json like every other refusal, with axum's reason.
        Err(FormRejection::InvalidFormContentType(_)) => {
            return Err(Error::UnsupportedMediaType(
                "application/x-www-form-urlencoded (the form's own post)",
            ))
        }
        Err(e) => return Err(Error::BadRequest(e.body_text())),
    };
    let published = state
        .store
        .form(&form_id)
        .ok_or_else(|| not_found(&form_id))?;
    let form = &published.form;
    let (fields, honeypot) = Fields::from_post(form, &state.places.get(), pairs);
    let lang = fields.lang.clone();
    let flag = state
        .config
        .bot_checks
        .then(|| {
            // One tap takes a person less time than a whole form.
            let min_secs = if form.one_question.is_some() {
                bot::MIN_TAP_SECONDS
            } else {
                bot::MIN_FILL_SECONDS
            };
            key.doubt(&form.id, &fields, honeypot, now_secs(), min_secs)
        })
        .flatten();
    if let Some(reason) = flag {
        tracing::info!(form = %form.id, reason, "hosted form post flagged by the bot checks");
    }
    // Read from what was posted, valid or not: a person who wrote that
    // they are in danger sees the numbers even if they missed a question.
    let help = !form
        .safeguarding_matches(|id| fields.answers.get(id)?.first().map(String::as_str))
        .is_empty();
    let submission = to_submission(form, &fields);
    match survey::validate(form, &submission) {
        Ok(valid) => {
            match store_submission(
                &state,
                published.clone(),
                valid,
                flag.map(str::to_owned),
                crate::service::ingest::Via::PagePost,
            )
            .await
            {
                Ok(_) => Ok(thanks_redirect(&form.id, &lang, help)),
                // A clear page, not a problem+json: a person sent this.
                Err(e @ (Error::InvitationUsed | Error::Gone(_))) => Ok(notice(form, &lang, e)),
                Err(e) => Err(e),
            }
        }
        Err(problems) => {
            let s = i18n::strings(&lang);
            let mut errors = Vec::new();
            for q in &form.questions {
                if let Some(p) = problems.iter().find(|p| p.field == q.id) {
                    errors.push((q.id.clone(), i18n::message(q, p.code, s)));
                }
            }
            // A one-tap page again, with what was wrong.
            if let (Some(set), Some((id, message))) = (&form.one_question, errors.first()) {
                let question = form.question(id).filter(|q| set.has(&q.id));
                if let Some(question) = question {
                    let body = one::render_one(
                        form,
                        question,
                        &fields,
                        state.config.bot_checks,
                        Some(message),
                    );
                    return Ok(html_response(StatusCode::OK, body));
                }
            }
            if errors.is_empty() {
                // Not the person's doing (a tampered id, place or channel).
                let detail = problems
                    .iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(Error::BadRequest(detail));
            }
            let body = render_form(form, &fields, &errors, None, state.config.bot_checks, help);
            Ok(html_response(StatusCode::OK, body))
        }
    }
}

/// A person's post that could not be kept (over the rate limit, the store
/// refusing writes, a timeout within the handler) comes back as their form, their
/// answers still in it, under a notice in their language that nothing was
/// stored and that they can send it again: not as the problem+json the API
/// gives, which a browser shows as raw text. The status and `Retry-After`
/// stay. So the post is read here, before the limits, to be had again.
async fn refused_as_page(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Read before the limits refuse it, so bounded by the JSON API's limit:
    // percent-encoding takes up to three bytes for one of its UTF-8, and
    // four times leaves room for the field names.
    let limit = state.config.max_body_bytes.saturating_mul(4);
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(e) if super::json::timed_out(&e) => return Error::TimedOut.into_response(),
        Err(_) => return Error::TooLarge(limit).into_response(),
    };
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes.clone()));
    let res = next.run(request).await;
    let status = res.status();
    if !(status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error())
    {
        return res;
    }
    let Some(published) = state.store.form(&form_id) else {
        return res;
    };
    let form = &published.form;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let (fields, _) = Fields::from_post(form, &state.places.get(), pairs);
    let s = i18n::strings(&fields.lang);
    // As after any post: someone who wrote that they are in danger sees
    // the numbers first.
    let help = !form
        .safeguarding_matches(|id| fields.answers.get(id)?.first().map(String::as_str))
        .is_empty();
    let body = render_form(
        form,
        &fields,
        &[],
        Some(s.send_failed),
        state.config.bot_checks,
        help,
    );
    let mut page = html_response(status, body);
    if let Some(wait) = res.headers().get(header::RETRY_AFTER) {
        page.headers_mut().insert(header::RETRY_AFTER, wait.clone());
    }
    page
}

/// The thank-you page (leading with the support numbers after `help=1`).
#[utoipa::path(get, path = "/f/{form}/thanks", tag = "hosted pages",
    params(("form" = String, Path, description = "form id"), PageQuery),
    responses((status = 200, description = "the thank-you page", content_type = "text/html", body = String),
              (status = 404, body = crate::error::ProblemDetails)))]
pub(in crate::http) async fn thanks(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let (published, lang) = form_and_lang(&state, &form_id, &q, &headers)?;
    let form = &published.form;
    let s = i18n::strings(&lang);
    let t = |x: &survey::Text| esc(x.get(&lang, &form.default_lang));
    let body = form
        .thank_you
        .as_ref()
        .map_or_else(|| esc(s.thank_you_body), t);
    // After free text that reads as someone in danger, the numbers come
    // first: in the page, and in its title, which a screen reader reads
    // out before anything else.
    let help = match q.help.as_deref() {
        Some("1") => help_panel(form, &lang),
        _ => String::new(),
    };
    let main = format!(
        r#"{help}<div class="panel"><h1>{}</h1><p>{}</p></div>"#,
        esc(s.thank_you),
        body
    );
    let title = if help.is_empty() {
        t(&form.title)
    } else {
        format!("{} – {}", esc(s.help_title), t(&form.title))
    };
    Ok(html_response(
        StatusCode::OK,
        page_shell(form, &lang, &title, &main, None),
    ))
}

/// A page that tells the person why their invitation link cannot take an
/// answer: already answered (409), or expired or altered (410, with the
/// form without the invitation a click away).
fn notice(form: &survey::Form, lang: &str, why: Error) -> Response {
    let s = i18n::strings(lang);
    let t = |x: &survey::Text| esc(x.get(lang, &form.default_lang));
    let (status, heading, body) = match why {
        Error::InvitationUsed => (StatusCode::CONFLICT, s.thank_you, s.already_answered),
        _ => (StatusCode::GONE, s.there_is_a_problem, s.link_expired),
    };
    let mut main = format!(
        r#"<div class="panel"><h1>{}</h1><p>{}</p>"#,
        esc(heading),
        esc(body)
    );
    if status == StatusCode::GONE {
        let _ = std::fmt::Write::write_fmt(
            &mut main,
            format_args!(
                r#"<p><a class="link" href="{}">{}</a></p>"#,
                esc(&page_url(&form.id, "", &[("lang", lang)])),
                t(&form.title)
            ),
        );
    }
    main.push_str("</div>");
    html_response(status, page_shell(form, lang, &t(&form.title), &main, None))
}

fn thanks_redirect(form: &str, lang: &str, help: bool) -> Response {
    let mut query = vec![("lang", lang)];
    if help {
        query.push(("help", "1"));
    }
    Redirect::to(&page_url(form, "/thanks", &query)).into_response()
}

/// The published form and the language to show it in.
fn form_and_lang(
    state: &AppState,
    form_id: &str,
    q: &PageQuery,
    headers: &HeaderMap,
) -> Result<(std::sync::Arc<crate::store::Published>, String)> {
    let published = state
        .store
        .form(form_id)
        .ok_or_else(|| not_found(form_id))?;
    let lang = choose_lang(&published.form, q.lang.as_deref(), headers);
    Ok((published, lang))
}

fn not_found(form: &str) -> Error {
    Error::NotFound(format!(
        "no form '{}'",
        form.chars().take(64).collect::<String>()
    ))
}

/// A fresh version 4 UUID for the page's hidden submission id.
fn new_submission_id() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    Ok(uuid::Builder::from_random_bytes(b).into_uuid().to_string())
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}

fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            // The page holds a fresh submission id: never serve it from a cache.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
pub(super) mod tests;
