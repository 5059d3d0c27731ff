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
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::security_headers::{own_pages, PagePolicy};
use crate::service::invitations::{self, Lookup};
use bot::{now_secs, RenderKey};
use lang::choose_lang;
use post::{to_submission, Fields};
use render::{esc, help_panel, page_shell, page_url, render_form, FAVICON};
use survey::Kind;
use ui::i18n;

/// The hosted page's routes. Posts from the page draw on the same limits
/// as JSON submissions (`rate_limit` per client, `global_rate_limit`).
pub fn routes(limits: &Limits) -> Router<AppState> {
    let key = RenderKey::new().unwrap_or_else(|e| {
        // Without the OS's random numbers no token verifies: every post is
        // then stored flagged, never lost.
        tracing::error!("no random key for render tokens: {e}");
        RenderKey::zero()
    });
    let router = Router::new()
        .route("/f/{form}", get(page).merge(limits.apply(post(submit))))
        .route("/f/{form}/thanks", get(thanks))
        .route("/favicon.svg", get(favicon))
        .layer(Extension(Arc::new(key)))
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
    Path(form_id): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let (published, lang) = form_and_lang(&state, &form_id, &q, &headers)?;
    let form = &published.form;
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
        location: q.loc.filter(|l| survey::is_known_place(form, l)),
        channel: q
            .ch
            .filter(|c| survey::is_channel(c))
            .unwrap_or_else(|| "link".into()),
        lang: lang.clone(),
        invitation,
        answers: BTreeMap::new(),
    };
    // The place from the QR code answers the location question up front.
    if let Some(loc) = &fields.location {
        if form.place(loc).is_some() {
            for question in form
                .questions
                .iter()
                .filter(|q| matches!(q.kind, Kind::Location {}))
            {
                fields
                    .answers
                    .insert(question.id.clone(), vec![loc.clone()]);
            }
        }
    }
    Ok(html_response(
        StatusCode::OK,
        render_form(form, &fields, &[], state.config.bot_checks, false),
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
              (status = 429, body = crate::error::ProblemDetails)))]
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
    let (fields, honeypot) = Fields::from_post(form, pairs);
    let lang = fields.lang.clone();
    let flag = state
        .config
        .bot_checks
        .then(|| key.doubt(&form.id, &fields, honeypot, now_secs()))
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
            match store_submission(&state, published.clone(), valid, flag.map(str::to_owned)).await
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
            if errors.is_empty() {
                // Not the person's doing (a tampered id, place or channel).
                let detail = problems
                    .iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(Error::BadRequest(detail));
            }
            let body = render_form(form, &fields, &errors, state.config.bot_checks, help);
            Ok(html_response(StatusCode::OK, body))
        }
    }
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
pub(super) mod tests {
    use super::*;
    use survey::{Answer, Form};

    /// The community-safety example form.
    pub(super) fn form() -> Form {
        serde_json::from_str(include_str!(
            "../../../../examples/forms/community-safety.json"
        ))
        .unwrap()
    }

    /// A collector on a temp-dir sled with the example forms, rate limit
    /// off, bot checks as given.
    fn state(dir: &tempfile::TempDir, bot_checks: bool) -> AppState {
        let config = Config {
            data: dir.path().join("db"),
            forms: concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/forms").into(),
            rate_limit: 0,
            global_rate_limit: 0,
            bot_checks,
            ..Config::default()
        };
        crate::open(config).unwrap()
    }

    async fn post(app: &Router, body: String) -> Response {
        use tower::ServiceExt;
        let req = axum::http::Request::post("/f/community-safety")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .unwrap();
        app.clone().oneshot(req).await.unwrap()
    }

    async fn text_of(res: Response) -> String {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn posted_form_is_validated_then_stored_once_through_the_shared_path() {
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir, false);
        let app = crate::app(state.clone());

        let id = "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f";
        let res = post(&app, format!("submission_id={id}&loc=bank&ch=qr&lang=pl")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page = text_of(res).await;
        assert!(
            page.contains("There is a problem"),
            "the error summary, in English: the form offers no Polish"
        );
        assert!(page.contains(r##"<a href="#f-respondent_type">"##));
        assert!(
            page.contains(r#"<input type="hidden" name="loc" value="bank">"#),
            "the place is kept"
        );

        let valid = format!(
            "submission_id={id}&loc=bank&ch=qr&lang=en&q.respondent_type=visitor&q.feel_safe_day=4\
             &q.feel_safe_dark=2&q.worry=a-lot&q.priorities=drugs&q.priorities=fraud-cyber\
             &q.victim_reported=yes-all"
        );
        for _ in 0..2 {
            let res = post(&app, valid.clone()).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            assert_eq!(
                res.headers()[header::LOCATION],
                "/f/community-safety/thanks?lang=en"
            );
        }
        let stored = state.store.responses("community-safety", None, 10).unwrap();
        assert_eq!(stored.len(), 1, "a double submit is stored once");
        let r = &stored[0];
        assert_eq!(
            (r.location.as_deref(), r.channel.as_str()),
            (Some("bank"), "qr")
        );
        assert_eq!(
            r.answers["priorities"],
            Answer::Choices(vec!["drugs".into(), "fraud-cyber".into()])
        );
        assert!(
            !r.answers.contains_key("victim_reported"),
            "not asked, so not stored"
        );
    }

    /// The value of hidden field `name` on a rendered page.
    fn hidden(page: &str, name: &str) -> String {
        let at = format!(r#"name="{name}" value=""#);
        let start = page.find(&at).unwrap() + at.len();
        page[start..start + page[start..].find('"').unwrap()].to_owned()
    }

    /// Guards the production defaults (bot checks on): a person who answers
    /// within 2 s of the page loading is thanked only because the answer
    /// was kept, flagged and out of the counts; a later retry of the same
    /// submission stores nothing new.
    #[tokio::test]
    async fn bot_checks_keep_a_quick_answer_flagged_never_drop_it() {
        use tower::ServiceExt;
        assert!(Config::default().bot_checks, "on by default");
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir, true);
        let app = crate::app(state.clone());
        let get = |uri: &str| {
            app.clone().oneshot(
                axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
        };
        let page = text_of(get("/f/street-feedback?loc=bank&ch=qr").await.unwrap()).await;
        let (id, token) = (hidden(&page, "submission_id"), hidden(&page, "token"));
        let body = |id: &str, token: &str, extra: &str| {
            format!(
                "submission_id={id}&token={token}&loc=bank&ch=qr&lang=en&q.feel_safe_now=4{extra}"
            )
        };
        let post = |body: String| {
            app.clone().oneshot(
                axum::http::Request::post("/f/street-feedback")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(body))
                    .unwrap(),
            )
        };

        // At once: thanked, and kept aside as too fast.
        let res = post(body(&id, &token, "")).await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let flagged = state.store.flagged("street-feedback", 10).unwrap();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].flag.as_deref(), Some("too-fast"));
        assert_eq!(flagged[0].answers["feel_safe_now"], Answer::Number(4));
        assert!(state
            .store
            .responses("street-feedback", None, 10)
            .unwrap()
            .is_empty());
        let ix = state.indexes.index("street-feedback").unwrap();
        assert_eq!(ix.read().unwrap().len(), 0, "not counted");

        // A forged token, a filled honeypot: kept, each with its reason.
        let other = "1b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f";
        let res = post(body(other, &token, "")).await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let third = "2b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f";
        post(body(third, "", "&website=spam")).await.unwrap();
        let reasons: Vec<_> = state
            .store
            .flagged("street-feedback", 10)
            .unwrap()
            .into_iter()
            .map(|r| r.flag.unwrap())
            .collect();
        assert_eq!(reasons, ["too-fast", "render-token", "honeypot"]);

        // After 2 s a fresh page's answer is stored as usual; the quick
        // one's retry counts once.
        let page = text_of(get("/f/street-feedback?loc=bank&ch=qr").await.unwrap()).await;
        let (id2, token2) = (hidden(&page, "submission_id"), hidden(&page, "token"));
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_eq!(
            post(body(&id2, &token2, "")).await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
        post(body(&id, &token, "")).await.unwrap();
        let stored = state.store.responses("street-feedback", None, 10).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].flag, None);
        assert_eq!(state.store.flagged("street-feedback", 10).unwrap().len(), 3);
        assert_eq!(ix.read().unwrap().len(), 1);
    }
    /// Guards the hosted pages' policy: the form, the form with errors and
    /// the thank-you page each carry it, with `X-Frame-Options: DENY`, and
    /// every `<style>` on them is allowed by its hash; nothing else inline
    /// (no style attribute, no script but the JSON data block) is there.
    #[tokio::test]
    async fn hosted_pages_carry_a_strict_policy_that_allows_their_own_styles() {
        use super::super::security_headers::style_hash;
        use tower::ServiceExt;
        let dir = tempfile::tempdir().unwrap();
        let app = crate::app(state(&dir, false));
        let get = |uri: &str| {
            app.clone().oneshot(
                axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
        };
        let pages = [
            get("/f/street-feedback?loc=bank&ch=qr").await.unwrap(),
            get("/f/street-feedback?lang=ar").await.unwrap(),
            get("/f/community-safety/thanks?lang=en").await.unwrap(),
            post(
                &app,
                "submission_id=0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f&lang=en".into(),
            )
            .await,
        ];
        for res in pages {
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY");
            let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            assert_eq!(csp, policy().as_str());
            assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
            for css in [ui::style::HOST_CSS, ui::style::CSS] {
                assert!(csp.contains(&style_hash(css)), "the widget's styles");
            }
            let html = text_of(res).await;
            let mut styles = 0;
            for (at, _) in html.match_indices("<style>") {
                let text = &html[at + 7..at + html[at..].find("</style>").unwrap()];
                assert!(csp.contains(&style_hash(text)), "{text}");
                styles += 1;
            }
            assert_eq!(styles, 1);
            assert!(!html.contains(" style="), "no style attribute");
            for (at, _) in html.match_indices("<script") {
                let tag = &html[at..at + html[at..].find('>').unwrap()];
                assert!(
                    tag.contains(r#"type="application/json""#)
                        || tag.contains(r#"src="/widget.js""#),
                    "{tag}"
                );
            }
        }
    }

    /// Guards the page without JavaScript after free text that reads as
    /// someone in danger: the thank-you page (and, when a question was
    /// missed, the form with its errors) leads with the form's numbers,
    /// focused, as `tel:` links; the redirect says only `help=1`; the
    /// alert is raised; other text gets the plain thank-you.
    #[tokio::test]
    async fn free_text_that_reads_as_danger_leads_the_next_page_with_the_numbers() {
        use tower::ServiceExt;
        let dir = tempfile::tempdir().unwrap();
        let state = state(&dir, false);
        let app = crate::app(state.clone());
        let send = |body: String| {
            app.clone().oneshot(
                axum::http::Request::post("/f/street-feedback")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(body))
                    .unwrap(),
            )
        };
        let get = |uri: String| {
            app.clone().oneshot(
                axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
        };
        let id = |n: u128| uuid::Uuid::from_u128(0x0b5c3f0e_7a53_4c1e_9d1f_2a4b6c8d0e00 + n);

        let res = send(format!(
            "submission_id={}&loc=bank&ch=qr&lang=en&q.feel_safe_now=1&q.comment=I+want+to+kill+myself",
            id(1)
        ))
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert_eq!(to, "/f/street-feedback/thanks?lang=en&help=1");
        let rules: Vec<String> = state
            .store
            .pending_alerts(10)
            .unwrap()
            .into_iter()
            .flat_map(|a| a.rules)
            .collect();
        assert_eq!(rules, ["safeguarding:self_harm"]);

        let page = text_of(get(to).await.unwrap()).await;
        let help = page.find(r#"<div class="help" role="region" aria-labelledby="help-title">"#);
        let thanks = page.find(r#"<div class="panel">"#);
        assert!(help.is_some() && help < thanks, "the numbers lead: {page}");
        assert!(page
            .contains(r#"<h2 id="help-title" tabindex="-1" autofocus>If you need help now</h2>"#));
        for (tel, shown) in [
            ("999", "999"),
            ("116123", "116 123"),
            ("08081689111", "0808 16 89 111"),
        ] {
            assert!(
                page.contains(&format!(r#"<a class="tel" href="tel:{tel}">{shown}</a>"#)),
                "{tel}"
            );
        }
        assert!(page.contains("<title>If you need help now – "));

        // Polish text, a required answer missed: the form comes back with
        // its error, led by the numbers in Polish; nothing is stored.
        let res = send(format!(
            "submission_id={}&loc=bank&ch=qr&lang=pl&q.comment=Mąż+mnie+bije",
            id(2)
        ))
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let page = text_of(res).await;
        let help = page.find(r#"<div class="help""#).unwrap();
        assert!(help < page.find(r#"<div class="es""#).unwrap());
        assert!(page.contains("Jeśli potrzebujesz pomocy teraz"));
        assert_eq!(state.store.pending_alerts(10).unwrap().len(), 1);

        // Other text: the plain thank-you, and the page without `help`.
        let res = send(format!(
            "submission_id={}&loc=bank&ch=qr&lang=en&q.feel_safe_now=4&q.comment=Well+lit",
            id(3)
        ))
        .await
        .unwrap();
        assert_eq!(
            res.headers()[header::LOCATION],
            "/f/street-feedback/thanks?lang=en"
        );
        let page = text_of(
            get("/f/street-feedback/thanks?lang=en".into())
                .await
                .unwrap(),
        )
        .await;
        assert!(!page.contains(r#"class="help""#));
        // Anyone may write `help=1`: it shows the form's own numbers, no more.
        let page = text_of(
            get("/f/street-feedback/thanks?lang=en&help=%3Cb%3Ecall+me%3C/b%3E".into())
                .await
                .unwrap(),
        )
        .await;
        assert!(!page.contains(r#"class="help""#) && !page.contains("call me"));
    }

    #[test]
    fn unknown_places_and_odd_channels_are_ignored() {
        let form = form();
        let known_place = survey::is_known_place;
        let is_channel = survey::is_channel;
        assert!(known_place(&form, "bank"));
        assert!(!known_place(&form, "narnia"));
        assert!(is_channel("qr") && !is_channel("QR code") && !is_channel(""));
    }
}
