//! The hosted page for QR codes and links: `GET /f/{form}?loc=&ch=&lang=`.
//!
//! The collector renders the whole form as plain HTML in the GOV.UK
//! patterns (fieldset and legend, bound labels, error summary), with its
//! critical CSS inline and nothing that blocks painting, so the form is
//! usable from the first response and works with JavaScript turned off: it
//! posts `application/x-www-form-urlencoded` to `POST /f/{form}`, which
//! validates with the shared `survey` crate and stores through the same
//! [`ingest::record`] as the JSON API. With JavaScript on, the widget loader
//! at the end of the page replaces the form with the widget (progressive
//! enhancement). A server-made submission id in a hidden field makes a
//! double submit count once.
//!
//! Bot checks (on by default): a honeypot field, and a render token the
//! server signs when it renders the page (so the time from render to post
//! is the server's own, not a number the client sends). A post that fails
//! either is still stored, flagged with the reason and kept out of the
//! aggregates: a quick person is never thanked for an answer that was lost.
//!
//! The widget's words and stylesheet are shared with the widget itself:
//! both files are plain Rust with no dependencies, included here by path.

use super::AppState;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::service::ingest;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use survey::{Answer, Form, Kind, Question};

use ui::i18n::{self, Strings};
use ui::style;

/// The hosted page's routes. Posts from the page count against the same
/// per-client limit as JSON submissions (`rate_limit`, 0 = off).
pub fn routes(config: &Config) -> Router<AppState> {
    let key = RenderKey::new().unwrap_or_else(|e| {
        // Without the OS's random numbers no token verifies: every post is
        // then stored flagged, never lost.
        tracing::error!("no random key for render tokens: {e}");
        RenderKey([0; 32])
    });
    Router::new()
        .route(
            "/f/{form}",
            get(page).merge(super::limit::rate_limited(post(submit), config)),
        )
        .route("/f/{form}/thanks", get(thanks))
        .route("/favicon.svg", get(favicon))
        .layer(Extension(Arc::new(key)))
        // The page is a few KB once compressed instead of ~24 KB: it is the
        // first thing a phone on mobile data downloads after the QR scan.
        .layer(tower_http::compression::CompressionLayer::new())
}

/// Query of the hosted page: where the QR code was, how the person came.
#[derive(Debug, Default, Deserialize)]
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
}

/// Seconds a person needs at least to fill in a form; faster is a bot.
const MIN_FILL_SECONDS: u64 = 2;
/// How long a rendered page's token stays good.
const TOKEN_LIFE_SECONDS: u64 = 24 * 60 * 60;

/// The key render tokens are signed with, made at start. A page rendered
/// before a restart no longer verifies, so its post is kept flagged
/// (`render-token`), not lost.
struct RenderKey([u8; 32]);

impl RenderKey {
    fn new() -> std::result::Result<Self, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(RenderKey(key))
    }

    fn mac(&self, form: &str, submission_id: &str, secs: u64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        for part in [
            form.as_bytes(),
            submission_id.as_bytes(),
            &secs.to_be_bytes(),
        ] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    /// `secs.signature`: when the page for this form and submission id was
    /// rendered, signed.
    fn sign(&self, form: &str, submission_id: &str, secs: u64) -> String {
        let tag = self.mac(form, submission_id, secs).finalize().into_bytes();
        format!("{secs}.{}", hex::encode(tag))
    }

    /// Why a post with this token (and honeypot) looks like a bot, if it does.
    fn doubt(&self, form: &str, f: &Fields, honeypot: bool, now: u64) -> Option<&'static str> {
        if honeypot {
            return Some("honeypot");
        }
        let rendered = f.token.split_once('.').and_then(|(secs, tag)| {
            let secs: u64 = secs.parse().ok()?;
            let tag = hex::decode(tag).ok()?;
            self.mac(form, &f.submission_id, secs)
                .verify_slice(&tag)
                .ok()
                .map(|()| secs)
        });
        match rendered {
            None => Some("render-token"),
            Some(t) if t > now || now - t > TOKEN_LIFE_SECONDS => Some("render-token"),
            Some(t) if now - t < MIN_FILL_SECONDS => Some("too-fast"),
            Some(_) => None,
        }
    }
}

async fn page(
    State(state): State<AppState>,
    Extension(key): Extension<Arc<RenderKey>>,
    Path(form_id): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let (published, lang) = form_and_lang(&state, &form_id, &q, &headers)?;
    let form = &published.form;
    let submission_id = new_submission_id()?;
    let mut fields = Fields {
        token: key.sign(&form.id, &submission_id, now_secs()),
        submission_id,
        location: q.loc.filter(|l| known_place(form, l)),
        channel: q
            .ch
            .filter(|c| is_channel(c))
            .unwrap_or_else(|| "link".into()),
        lang: lang.clone(),
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
        render_form(form, &fields, &[], state.config.bot_checks),
    ))
}

/// What the person sent (or what the page starts with).
#[derive(Debug, Clone)]
struct Fields {
    submission_id: String,
    location: Option<String>,
    channel: String,
    lang: String,
    /// The render token (see [`RenderKey::sign`]).
    token: String,
    /// Question id → the raw values posted (several for checkboxes).
    answers: BTreeMap<String, Vec<String>>,
}

async fn submit(
    State(state): State<AppState>,
    Extension(key): Extension<Arc<RenderKey>>,
    Path(form_id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response> {
    let published = state
        .store
        .form(&form_id)
        .ok_or_else(|| not_found(&form_id))?;
    let form = &published.form;
    let mut fields = Fields {
        submission_id: String::new(),
        location: None,
        channel: "link".into(),
        lang: form.default_lang.clone(),
        token: String::new(),
        answers: BTreeMap::new(),
    };
    let mut honeypot = false;
    for (k, v) in pairs {
        match k.as_str() {
            "submission_id" => fields.submission_id = v,
            "loc" if known_place(form, &v) => fields.location = Some(v),
            "ch" if is_channel(&v) => fields.channel = v,
            "lang" => fields.lang = form.pick_lang(&v).to_owned(),
            "token" => fields.token = v,
            "website" => honeypot |= !v.is_empty(),
            _ => {
                if let Some(id) = k.strip_prefix("q.") {
                    fields.answers.entry(id.to_owned()).or_default().push(v);
                }
            }
        }
    }
    let lang = fields.lang.clone();
    let flag = state
        .config
        .bot_checks
        .then(|| key.doubt(&form.id, &fields, honeypot, now_secs()))
        .flatten();
    if let Some(reason) = flag {
        tracing::info!(form = %form.id, reason, "hosted form post flagged by the bot checks");
    }
    let submission = to_submission(form, &fields);
    match survey::validate(form, &submission) {
        Ok(valid) => {
            ingest::record(
                state.store.as_ref(),
                &state.indexes,
                form,
                valid,
                flag.map(str::to_owned),
            )
            .await?;
            Ok(thanks_redirect(&form.id, &lang))
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
            let body = render_form(form, &fields, &errors, state.config.bot_checks);
            Ok(html_response(StatusCode::OK, body))
        }
    }
}

async fn thanks(
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
    let main = format!(
        r#"<div class="panel"><h1>{}</h1><p>{}</p></div>"#,
        esc(s.thank_you),
        body
    );
    Ok(html_response(
        StatusCode::OK,
        page_shell(form, &lang, &t(&form.title), &main, None),
    ))
}

/// Whether `loc` may be recorded: one of the form's places, or any short
/// id when the form lists none. A mistyped QR code is ignored rather than
/// shown to the person as an error they cannot fix.
fn known_place(form: &Form, loc: &str) -> bool {
    if form.places.is_empty() {
        !loc.is_empty()
            && loc.len() <= 64
            && loc
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    } else {
        form.place(loc).is_some()
    }
}

/// A channel as the shared rules accept it: a short lower-case word.
fn is_channel(ch: &str) -> bool {
    !ch.is_empty()
        && ch.len() <= 32
        && ch
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn thanks_redirect(form: &str, lang: &str) -> Response {
    Redirect::to(&format!(
        "/f/{}/thanks?lang={}",
        url_part(form),
        url_part(lang)
    ))
    .into_response()
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

/// Drops answers to questions that the earlier answers hide (without
/// JavaScript every question is on the page), then shapes each answer as
/// its kind needs.
fn to_submission(form: &Form, f: &Fields) -> survey::Submission {
    let mut typed: BTreeMap<String, Answer> = BTreeMap::new();
    let mut answers = BTreeMap::new();
    for q in &form.questions {
        if !form.is_shown(q, &typed) {
            continue;
        }
        let values: Vec<&String> = f
            .answers
            .get(&q.id)
            .map(|v| v.iter().filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let Some(first) = values.first() else {
            continue;
        };
        let value = match &q.kind {
            Kind::MultipleChoice { .. } => {
                serde_json::Value::from(values.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            }
            Kind::Scale { .. } => match first.parse::<i64>() {
                Ok(n) => n.into(),
                Err(_) => serde_json::Value::String(first.to_string()),
            },
            Kind::Consent {} => serde_json::Value::Bool(first.as_str() == "true"),
            _ => serde_json::Value::String(first.to_string()),
        };
        if let Ok(a) = serde_json::from_value::<Answer>(value.clone()) {
            typed.insert(q.id.clone(), a);
        }
        answers.insert(q.id.clone(), value);
    }
    survey::Submission {
        submission_id: f.submission_id.clone(),
        answers,
        location: f.location.clone(),
        channel: Some(f.channel.clone()),
        lang: Some(f.lang.clone()),
    }
}

/// `?lang=` if the form has it, else the browser's Accept-Language, else
/// the form's default.
fn choose_lang(form: &Form, wanted: Option<&str>, headers: &HeaderMap) -> String {
    let offered = |l: &str| {
        let base = l.split(['-', '_']).next().unwrap_or(l);
        form.languages.iter().any(|x| x == l || x == base)
    };
    if let Some(l) = wanted.filter(|l| offered(l)) {
        return form.pick_lang(l).to_owned();
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for tag in accept.split(',') {
        let tag = tag.split(';').next().unwrap_or("").trim();
        if !tag.is_empty() && offered(tag) {
            return form.pick_lang(tag).to_owned();
        }
    }
    form.default_lang.clone()
}

fn render_form(form: &Form, f: &Fields, errors: &[(String, String)], bot_checks: bool) -> String {
    let lang = f.lang.as_str();
    let s = i18n::strings(lang);
    let t = |x: &survey::Text| esc(x.get(lang, &form.default_lang));
    let mut h = String::with_capacity(16 * 1024);

    if form.languages.len() > 1 {
        let _ = write!(
            h,
            r#"<nav aria-label="{}"><ul class="langs">"#,
            esc(s.language)
        );
        for l in &form.languages {
            let name = esc(i18n::lang_name(l));
            if *l == f.lang {
                let _ = write!(
                    h,
                    r#"<li><span class="cur" aria-current="true">{name}</span></li>"#
                );
            } else {
                let mut href = format!(
                    "/f/{}?lang={}&ch={}",
                    url_part(&form.id),
                    url_part(l),
                    url_part(&f.channel)
                );
                if let Some(loc) = &f.location {
                    let _ = write!(href, "&loc={}", url_part(loc));
                }
                let _ = write!(
                    h,
                    r#"<li><a class="link" href="{}" lang="{l}" hreflang="{l}">{name}</a></li>"#,
                    esc(&href),
                    l = esc(l)
                );
            }
        }
        h.push_str("</ul></nav>");
    }
    let _ = write!(h, "<h1>{}</h1>", t(&form.title));
    if let Some(intro) = &form.intro {
        let _ = write!(h, "<p>{}</p>", t(intro));
    }
    let _ = write!(h, r#"<p class="inset">{}</p>"#, t(&form.not_for_reporting));

    if !errors.is_empty() {
        let _ = write!(
            h,
            r#"<div class="es" tabindex="-1" id="error-summary" autofocus><div role="alert"><h2>{}</h2><ul>"#,
            esc(s.there_is_a_problem)
        );
        for (id, msg) in errors {
            let text = form
                .question(id)
                .map(|q| format!("{} – {msg}", q.text.get(lang, &form.default_lang)))
                .unwrap_or(msg.clone());
            let _ = write!(
                h,
                r##"<li><a href="#f-{}">{}</a></li>"##,
                esc(id),
                esc(&text)
            );
        }
        h.push_str("</ul></div></div>");
    }

    let _ = write!(
        h,
        r#"<form method="post" action="/f/{}" novalidate>"#,
        esc(&form.id)
    );
    for (name, value) in [
        ("submission_id", f.submission_id.as_str()),
        ("loc", f.location.as_deref().unwrap_or("")),
        ("ch", f.channel.as_str()),
        ("lang", lang),
    ] {
        let _ = write!(
            h,
            r#"<input type="hidden" name="{name}" value="{}">"#,
            esc(value)
        );
    }
    if bot_checks {
        let _ = write!(
            h,
            r#"<input type="hidden" name="token" value="{}">"#,
            esc(&f.token)
        );
        // Hidden from people and screen readers; bots fill it in.
        h.push_str(r#"<div class="vh" aria-hidden="true"><label for="website">Website</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>"#);
    }
    for q in &form.questions {
        let error = errors
            .iter()
            .find(|(id, _)| *id == q.id)
            .map(|(_, m)| m.as_str());
        question(&mut h, form, q, f, error, s);
    }
    let _ = write!(
        h,
        r#"<div class="btns"><button type="submit" class="btn">{}</button></div></form>"#,
        esc(s.submit)
    );
    let _ = write!(
        h,
        "<details><summary>{}</summary><p>{}</p></details>",
        esc(s.privacy),
        t(&form.privacy_notice)
    );

    // The widget gets the form from the page itself, saving a round trip.
    // `<` only occurs inside JSON strings, where `\u003c` means the same.
    let definition = serde_json::to_string(form)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    let script = format!(
        r##"<script type="application/json" id="form-definition">{definition}</script>
<script src="/widget.js" data-form="{}" data-lang="{}" data-location="{}" data-channel="{}" data-target="#widget" data-replace="#page-form" data-definition="#form-definition" data-layout="page" data-submission-id="{}" async></script>"##,
        esc(&form.id),
        esc(lang),
        esc(f.location.as_deref().unwrap_or("")),
        esc(&f.channel),
        esc(&f.submission_id)
    );
    // With errors, the person is mid-way: keep the server's form and its
    // messages rather than start the widget afresh.
    let script = errors.is_empty().then_some(script);
    let title = if errors.is_empty() {
        t(&form.title)
    } else {
        format!("{} {}", esc(s.error_prefix), t(&form.title))
    };
    page_shell(form, lang, &title, &h, script.as_deref())
}

fn question(
    h: &mut String,
    form: &Form,
    q: &Question,
    f: &Fields,
    error: Option<&str>,
    s: &Strings,
) {
    let lang = f.lang.as_str();
    let t = |x: &survey::Text| esc(x.get(lang, &form.default_lang));
    let id = format!("f-{}", q.id);
    let name = format!("q.{}", q.id);
    let values: &[String] = f.answers.get(&q.id).map(Vec::as_slice).unwrap_or(&[]);
    let mut text = t(&q.text);
    if !q.required && !matches!(q.kind, Kind::Consent {}) {
        text = format!("{text} {}", esc(s.optional));
    }
    // Without JavaScript every question is on the page, so each says
    // when it applies.
    let hint = i18n::hint(
        form,
        q,
        s,
        |x| x.get(lang, &form.default_lang).to_owned(),
        true,
    );
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(hint_id.clone());
    }
    if error.is_some() {
        described.push(error_id.clone());
    }
    let described = if described.is_empty() {
        String::new()
    } else {
        format!(r#" aria-describedby="{}""#, described.join(" "))
    };
    let hint_html = hint.map_or(String::new(), |h| {
        format!(r#"<div id="{hint_id}" class="hint">{}</div>"#, esc(&h))
    });
    let error_html = error.map_or(String::new(), |e| {
        format!(
            r#"<p id="{error_id}" class="err"><span class="vh">{} </span>{}</p>"#,
            esc(s.error_prefix),
            esc(e)
        )
    });
    let class = if error.is_some() { "q has-err" } else { "q" };
    let checked = |v: &str| {
        if values.iter().any(|x| x == v) {
            " checked"
        } else {
            ""
        }
    };

    let choices = |items: Vec<(String, String)>, kind: &str, row: bool| -> String {
        let mut out = String::new();
        if row {
            out.push_str(r#"<div class="row">"#);
        }
        for (n, (value, label)) in items.iter().enumerate() {
            let input_id = if n == 0 {
                id.clone()
            } else {
                format!("{id}-{}", value)
            };
            let desc = if n == 0 { described.as_str() } else { "" };
            let _ = write!(
                out,
                r#"<div class="opt"><input type="{kind}" id="{iid}" name="{name}" value="{v}"{c}{desc}><label for="{iid}">{label}</label></div>"#,
                iid = esc(&input_id),
                v = esc(value),
                c = checked(value),
            );
        }
        if row {
            out.push_str("</div>");
        }
        out
    };
    let group = |inner: String| -> String {
        format!(
            r#"<div class="{class}"><fieldset{described}><legend>{text}</legend>{hint_html}{error_html}{inner}</fieldset></div>"#
        )
    };
    let select = |items: Vec<(String, String)>| -> String {
        let mut out = format!(
            r#"<div class="{class}"><label class="lbl" for="{id}">{text}</label>{hint_html}{error_html}<select id="{id}" name="{name}"{described}><option value="">—</option>"#
        );
        for (value, label) in items {
            let sel = if values.contains(&value) {
                " selected"
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<option value="{}"{sel}>{label}</option>"#,
                esc(&value)
            );
        }
        out.push_str("</select></div>");
        out
    };
    const SELECT_OVER: usize = 10;
    let html = match &q.kind {
        Kind::SingleChoice { options } => {
            let items: Vec<_> = options.iter().map(|o| (o.id.clone(), t(&o.text))).collect();
            if items.len() > SELECT_OVER {
                select(items)
            } else {
                group(choices(items, "radio", false))
            }
        }
        Kind::Location {} => {
            let items: Vec<_> = form
                .places
                .iter()
                .map(|p| (p.id.clone(), t(&p.name)))
                .collect();
            if items.len() > SELECT_OVER {
                select(items)
            } else {
                group(choices(items, "radio", false))
            }
        }
        Kind::MultipleChoice { options, .. } => {
            let items: Vec<_> = options.iter().map(|o| (o.id.clone(), t(&o.text))).collect();
            group(choices(items, "checkbox", false))
        }
        Kind::Scale {
            min, max, labels, ..
        } => {
            let wide = max - min > 5;
            let items: Vec<_> = (*min..=*max)
                .map(|n| {
                    let label = match labels.iter().find(|l| l.value == n) {
                        Some(l) if !wide => format!("{n} – {}", t(&l.text)),
                        _ => n.to_string(),
                    };
                    (n.to_string(), label)
                })
                .collect();
            group(choices(items, "radio", wide))
        }
        Kind::Text { multiline, .. } => {
            let value = esc(values.first().map(String::as_str).unwrap_or(""));
            let input = if *multiline {
                format!(
                    r#"<textarea id="{id}" name="{name}" rows="5"{described}>{value}</textarea>"#
                )
            } else {
                format!(r#"<input type="text" id="{id}" name="{name}" value="{value}"{described}>"#)
            };
            format!(
                r#"<div class="{class}"><label class="lbl" for="{id}">{text}</label>{hint_html}{error_html}{input}</div>"#
            )
        }
        Kind::Consent {} => group(format!(
            r#"<div class="opt"><input type="checkbox" id="{id}" name="{name}" value="true"{c}{described}><label for="{id}">{text}</label></div>"#,
            c = checked("true"),
        )),
    };
    h.push_str(&html);
}

/// The page's icon: browsers ask for one, and a 404 is a console error.
const FAVICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b0c0c"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>"##;

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

/// The page around the content: inline CSS only, no blocking resources.
fn page_shell(form: &Form, lang: &str, title: &str, main: &str, script: Option<&str>) -> String {
    let dir = if i18n::is_rtl(lang) { "rtl" } else { "ltr" };
    // What a search result or a shared link says of the page.
    let description = form
        .intro
        .as_ref()
        .unwrap_or(&form.title)
        .get(lang, &form.default_lang);
    format!(
        r#"<!doctype html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="description" content="{description}">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<title>{title}</title>
<style>{PAGE_CSS}{css}</style>
</head>
<body>
<div class="top"><p>City of London Police</p></div>
<main id="main" class="page">
<div id="page-form" class="cfw">{main}</div>
<div id="widget" hidden></div>
</main>
{script}
</body>
</html>
"#,
        lang = esc(lang),
        description = esc(description),
        css = style::CSS,
        script = script.unwrap_or(""),
    )
}

const PAGE_CSS: &str = "html{-webkit-text-size-adjust:100%}body{margin:0;background:#fff;color:#0b0c0c}\
.top{background:#0b0c0c;color:#fff;font-family:Helvetica,Arial,sans-serif;font-weight:700;padding:.75em 1em}.top p{margin:0}\
.page{display:block;max-width:40em;margin:0 auto;padding:0 1em 2em}\n";

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

fn new_submission_id() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = hex::encode(b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Escapes text for HTML element content and quoted attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query or path part.
fn url_part(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        serde_json::from_str(include_str!(
            "../../../examples/forms/community-safety.json"
        ))
        .unwrap()
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
        let config = Config {
            data: dir.path().join("db"),
            forms: concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/forms").into(),
            rate_limit: 0,
            bot_checks: false,
            ..Config::default()
        };
        let state = crate::open(config).unwrap();
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
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data: dir.path().join("db"),
            forms: concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/forms").into(),
            rate_limit: 0,
            ..Config::default()
        };
        assert!(config.bot_checks, "on by default");
        let state = crate::open(config).unwrap();
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

    #[test]
    fn unknown_places_and_odd_channels_are_ignored() {
        let form = form();
        assert!(known_place(&form, "bank"));
        assert!(!known_place(&form, "narnia"));
        assert!(is_channel("qr") && !is_channel("QR code") && !is_channel(""));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(url_part("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn hidden_answers_are_dropped_and_kinds_shaped() {
        let form = form();
        let mut answers = BTreeMap::new();
        answers.insert("respondent_type".to_string(), vec!["resident".to_string()]);
        answers.insert("feel_safe_day".to_string(), vec!["2".to_string()]);
        answers.insert("victim_12m".to_string(), vec!["no".to_string()]);
        // Only asked after "yes": without JavaScript it was on the page anyway.
        answers.insert("victim_reported".to_string(), vec!["no".to_string()]);
        answers.insert(
            "priorities".to_string(),
            vec!["drugs".to_string(), "fraud-cyber".to_string()],
        );
        let f = Fields {
            submission_id: new_submission_id().unwrap(),
            location: None,
            channel: "qr".into(),
            lang: "en".into(),
            token: String::new(),
            answers,
        };
        let sub = to_submission(&form, &f);
        assert!(!sub.answers.contains_key("victim_reported"));
        assert_eq!(sub.answers["feel_safe_day"], serde_json::json!(2));
        assert_eq!(
            sub.answers["priorities"],
            serde_json::json!(["drugs", "fraud-cyber"])
        );
    }

    #[test]
    fn page_has_labels_fieldsets_and_the_widget_loader() {
        let form = form();
        let f = Fields {
            submission_id: "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f".into(),
            location: Some("bank".into()),
            channel: "qr".into(),
            lang: "en".into(),
            token: String::new(),
            answers: BTreeMap::new(),
        };
        let html = render_form(&form, &f, &[], true);
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains(r#"<html lang="en" dir="ltr">"#));
        assert!(html.contains("<fieldset"));
        assert!(html.contains(r#"<label for="f-respondent_type">"#));
        assert!(
            html.contains(r#"name="submission_id" value="0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f""#)
        );
        assert!(html.contains(r#"data-channel="qr""#));
        assert!(
            !html.contains(r#"rel="stylesheet""#),
            "no blocking stylesheet"
        );
        let start = html.find(r#"id="form-definition">"#).unwrap() + 21;
        let json = &html[start..start + html[start..].find("</script>").unwrap()];
        let embedded: Form = serde_json::from_str(json).unwrap();
        assert_eq!(embedded, form, "the page carries the form for the widget");
        let with_errors = render_form(
            &form,
            &f,
            &[("respondent_type".into(), "Select an answer".into())],
            false,
        );
        assert!(with_errors.contains(r##"<a href="#f-respondent_type">"##));
        assert!(!with_errors.contains("widget.js"));
    }
}
