//! Free text for analysts (and supervisors, of their own teams or places):
//! the answers with their sentiment and theme codes (`/text`) and analysts'
//! corrections to those codes (`PUT /responses/{id}/codes`). How well the automatic codes agree with the
//! analysts' is `agreement.rs`; the export's CSV and code merging live in
//! [`crate::service::export`].
//!
//! ```text
//! /text:  URL ─► index::text::find ─► page of ids ─► store.response ─► TextAnswer[]
//! /codes: body ─► check_codes ─► service::coding::set (store, then index)
//! ```
//!
//! Queries find their rows in the answer index (time, place, channel and the
//! effective codes live there) and read from sled only the responses on the
//! page. A manual code is stored in sled and applied to the index at once,
//! so aggregates, filters and the agreement report see it immediately.

use super::auth::{Analyst, Staff};
use super::forms::no_form;
use super::json;
use super::query_params::{pairs, parse_query};
use super::scope::restrict;
use super::AppState;
use crate::error::{Error, Result};
use crate::index::text::{self, TextHit, TextQuery};
use crate::model::{now_ms, rfc3339, Label, ManualCode, ResponseId, StoredResponse};
use crate::service::coding::{self, auto_coding, find_response, manual_codes_of};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use survey::{Answer, Form, Kind, Problem, ProblemKind};

/// Sentiment of one answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TextSentiment {
    /// VADER-style compound score in [-1, 1] (always the automatic one).
    pub compound: f64,
    /// `positive`, `neutral` or `negative`; an analyst's label wins.
    pub label: String,
}

/// An analyst's codes for one answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ManualView {
    /// Theme ids the analyst chose (possibly none).
    pub themes: Vec<String>,
    /// The analyst's sentiment label, if they set one.
    pub sentiment: Option<String>,
    /// Fingerprint of the token used (first 12 hex digits of its SHA-256).
    pub by: String,
    /// When, RFC 3339.
    pub at: Option<String>,
}

impl From<&ManualCode> for ManualView {
    fn from(m: &ManualCode) -> ManualView {
        ManualView {
            themes: m.themes.clone(),
            sentiment: m.sentiment.map(|l| l.as_str().to_owned()),
            by: m.by.clone(),
            at: rfc3339(m.at_ms),
        }
    }
}

/// One free-text answer with its codes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TextAnswer {
    /// Response id.
    pub id: String,
    /// Question id.
    pub question: String,
    /// The answer as written.
    pub text: String,
    /// Sentiment (the label is the analyst's when coded by hand).
    pub sentiment: TextSentiment,
    /// Theme ids (the analyst's when coded by hand).
    pub themes: Vec<String>,
    /// The analyst's codes, or null when the answer has only automatic ones.
    pub manual: Option<ManualView>,
    /// It holds a clearly positive part and a clearly negative one.
    pub mixed: bool,
    /// It asks for something: a suggestion, or contact or information.
    pub actionable: bool,
    /// The bot check the response failed (`too-fast`, `honeypot`,
    /// `render-token`); only with `include=flagged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
}

fn text_answer(
    state: &AppState,
    form: &Form,
    r: &StoredResponse,
    question: &str,
    manual: Option<&ManualCode>,
) -> Option<TextAnswer> {
    let Some(Answer::Text(text)) = r.answers.get(question) else {
        return None;
    };
    let auto = auto_coding(&state.indexes, form, r, question);
    let label = manual
        .and_then(|m| m.sentiment)
        .unwrap_or(auto.label)
        .as_str()
        .to_owned();
    let themes = manual.map_or(auto.themes, |m| m.themes.clone());
    Some(TextAnswer {
        id: r.id.map(|i| i.to_string()).unwrap_or_default(),
        question: question.to_owned(),
        text: text.clone(),
        sentiment: TextSentiment {
            compound: auto.compound,
            label,
        },
        themes,
        manual: manual.map(ManualView::from),
        mixed: auto.mixed,
        actionable: auto.actionable,
        flag: r.flag.clone(),
    })
}

pub(super) fn list(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn last<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Parses `after` and `limit` the way the export does.
fn page_params(after: Option<&str>, limit: Option<&str>) -> Result<(Option<ResponseId>, usize)> {
    let after = match after {
        Some(s) => Some(
            ResponseId::parse(s)
                .ok_or_else(|| Error::BadRequest("after must be a response id".into()))?,
        ),
        None => None,
    };
    let limit = match limit {
        Some(s) => s
            .parse()
            .map_err(|_| Error::BadRequest("limit must be from 1 to 10000".into()))?,
        None => 1000,
    };
    if !(1..=10_000).contains(&limit) {
        return Err(Error::BadRequest("limit must be from 1 to 10000".into()));
    }
    Ok((after, limit))
}

/// `GET /api/v1/forms/{form}/text`: free-text answers with their codes,
/// oldest first, at most `limit` responses a page.
#[utoipa::path(get, path = "/api/v1/forms/{form}/text",
    params(("form" = String, Path, description = "form id"),
        ("question" = Option<String>, Query, description = "text questions, comma-separated (default: every text question)"),
        ("theme" = Option<String>, Query, description = "theme ids, comma-separated: answers with any of them"),
        ("sentiment" = Option<String>, Query, description = "positive, neutral, negative, comma-separated"),
        ("mixed" = Option<bool>, Query, description = "`true`: only answers with a clearly positive and a clearly negative part; `false`: only the others"),
        ("actionable" = Option<bool>, Query, description = "`true`: only answers that ask for something (a suggestion, contact, information); `false`: only the others"),
        ("blind" = Option<bool>, Query, description = "`true`: leave out the analysts' codes (`manual` null, themes and label automatic; `theme` and `sentiment` filter by the automatic codes), for a second coder coding blind"),
        ("from" = Option<String>, Query, description = "first day (2024-10-01) or RFC 3339 time"),
        ("to" = Option<String>, Query, description = "last day, inclusive, or RFC 3339 time (exclusive)"),
        ("quarter" = Option<String>, Query, description = "a financial-year quarter, `2024/25 Q3`, instead of from/to"),
        ("location" = Option<String>, Query, description = "place ids, comma-separated"),
        ("channel" = Option<String>, Query, description = "channels, comma-separated"),
        ("lang" = Option<String>, Query, description = "languages, comma-separated"),
        ("version" = Option<String>, Query, description = "form versions, comma-separated"),
        ("where" = Option<String>, Query, description = "question:answer,answer (repeat, or separate with ;): only the answers of responses that gave one of them, such as where=respondent_type:worker"),
        ("team" = Option<String>, Query, description = super::aggregates::TEAM_PARAM),
        ("category" = Option<String>, Query, description = super::aggregates::CATEGORY_PARAM),
        ("after" = Option<String>, Query, description = "id of the last response already read"),
        ("limit" = Option<usize>, Query, description = "responses per page, 1 to 10000 (default 1000); a response may carry several answers"),
        ("include" = Option<String>, Query, pattern = "^flagged$", description = "`flagged`: list the answers of responses a bot check doubted too, each with its `flag` (analysts and admins)")),
    responses((status = 404, body = crate::error::ProblemDetails, description = "no such form"), (status = 200, body = [TextAnswer], description = "answers in arrival order; a Link header (rel=\"next\") when there may be more. A supervisor's token lists only the answers of its teams or at its places."),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor asked for a team (or place) outside the token's scope; `errors` names the parameter"),
              (status = 404, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn list_text(
    staff: Staff,
    State(state): State<AppState>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let published = state.store.form(&form).ok_or_else(|| no_form(&form))?;
    let pairs = pairs(raw.as_deref());
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| matches!(k.as_str(), "by" | "share"))
    {
        return Err(Error::BadRequest(format!(
            "'{k}' does not apply to free text; filter with question, theme, sentiment, mixed, actionable, from, to, location, channel, lang, version, where or a case attribute such as team"
        )));
    }
    let mut q = parse_query(
        &pairs,
        &[
            "theme",
            "sentiment",
            "mixed",
            "actionable",
            "blind",
            "after",
            "limit",
            "include",
        ],
        &state.config.invitation_attributes,
    )?;
    let flag = |name: &str| -> Result<Option<bool>> {
        match last(&pairs, name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(Error::BadRequest(format!(
                "{name} must be true or false, not '{other}'"
            ))),
        }
    };
    let (mixed, actionable) = (flag("mixed")?, flag("actionable")?);
    // A second coder reads blind: no analyst's codes on the page, and the
    // theme and sentiment filters read the automatic codes.
    let blind = flag("blind")?.unwrap_or(false);
    q.register = state.places.get();
    restrict(&staff, &mut q)?;
    let (after, limit) = page_params(last(&pairs, "after"), last(&pairs, "limit"))?;
    let flagged = super::rows::include_flagged(&staff, &pairs)?;
    let rows = super::rows::rows(&state, &staff, &form, &pairs)?;
    let page = {
        let ix = rows.read();
        text::find(
            &ix,
            &TextQuery {
                rows: &q,
                themes: &list(&pairs, "theme"),
                sentiments: &list(&pairs, "sentiment"),
                mixed,
                actionable,
                blind,
                after,
                limit,
            },
        )?
    };
    let coded: HashSet<ResponseId> = page
        .iter()
        .filter(|p| p.hand_coded && !blind)
        .map(|p| p.id)
        .collect();
    let manual = manual_codes_of(state.store.as_ref(), &form, &coded)?;
    let mut out = Vec::with_capacity(page.len());
    for TextHit { id, questions, .. } in &page {
        let r = match state.store.response(&form, *id)? {
            Some(r) => Some(r),
            None if flagged => state.store.flagged_response(&form, *id)?,
            None => None,
        };
        let Some(r) = r else {
            continue;
        };
        for question in questions {
            let m = manual.get(id).and_then(|m| m.get(question));
            out.extend(text_answer(&state, &published.form, &r, question, m));
        }
    }
    let mut res = Json(out).into_response();
    if page.len() == limit {
        if let Some(TextHit { id: last_id, .. }) = page.last() {
            let mut next = form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs.iter().filter(|(k, _)| k != "after" && k != "limit") {
                next.append_pair(k, v);
            }
            next.append_pair("after", &last_id.to_string());
            next.append_pair("limit", &limit.to_string());
            let link = format!(
                "</api/v1/forms/{form}/text?{}>; rel=\"next\"",
                next.finish()
            );
            if let Ok(v) = HeaderValue::from_str(&link) {
                res.headers_mut().insert(header::LINK, v);
            }
        }
    }
    Ok(res)
}

/// Body of `PUT /api/v1/responses/{id}/codes`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetCodes {
    /// The free-text question coded.
    #[schema(example = "safety_comment")]
    pub question: String,
    /// Theme ids from the form's codebook; empty when none applies.
    #[schema(example = json!(["drugs", "visible-policing"]))]
    pub themes: Vec<String>,
    /// `positive`, `neutral` or `negative`; leave out to keep the automatic label.
    #[serde(default)]
    pub sentiment: Option<String>,
}

fn problem(field: &str, code: ProblemKind, message: String) -> Problem {
    Problem {
        field: field.to_owned(),
        code,
        message,
    }
}

/// Checks `req` against the form and the response; the themes come back
/// deduplicated, in codebook order.
fn check_codes(form: &Form, r: &StoredResponse, req: &SetCodes) -> Result<Vec<String>> {
    let question = form.questions.iter().find(|q| q.id == req.question);
    match question.map(|q| &q.kind) {
        Some(Kind::Text { .. }) => {}
        Some(_) => {
            return Err(Error::Invalid(vec![problem(
                "question",
                ProblemKind::WrongType,
                format!("'{}' is not a free-text question", req.question),
            )]))
        }
        None => {
            return Err(Error::Invalid(vec![problem(
                "question",
                ProblemKind::UnknownQuestion,
                format!("the form '{}' has no question '{}'", form.id, req.question),
            )]))
        }
    }
    let mut problems = Vec::new();
    if !matches!(r.answers.get(&req.question), Some(Answer::Text(_))) {
        problems.push(problem(
            "question",
            ProblemKind::Invalid,
            format!("this response has no answer to '{}'", req.question),
        ));
    }
    let codebook = form
        .codebook
        .as_ref()
        .filter(|c| c.questions.is_empty() || c.questions.contains(&req.question));
    let mut themes = Vec::new();
    for t in &req.themes {
        if !codebook.is_some_and(|c| c.themes.iter().any(|x| &x.id == t)) {
            problems.push(problem(
                "themes",
                ProblemKind::NotAnOption,
                match codebook {
                    Some(_) => format!(
                        "'{t}' is not a theme of the codebook for '{}'",
                        req.question
                    ),
                    None => format!("'{}' has no codebook, so no themes", req.question),
                },
            ));
        }
    }
    if let Some(c) = codebook {
        themes = c
            .themes
            .iter()
            .filter(|x| req.themes.contains(&x.id))
            .map(|x| x.id.clone())
            .collect();
    }
    if let Some(s) = &req.sentiment {
        if Label::parse(s).is_none() {
            problems.push(problem(
                "sentiment",
                ProblemKind::NotAnOption,
                format!("sentiment '{s}' must be positive, neutral or negative"),
            ));
        }
    }
    if problems.is_empty() {
        Ok(themes)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// `PUT /api/v1/responses/{id}/codes`: an analyst sets or corrects the
/// themes (and optionally the sentiment) of one free-text answer. Their
/// codes replace the automatic ones in aggregates, filters and exports.
#[utoipa::path(put, path = "/api/v1/responses/{id}/codes",
    params(("id" = String, Path, description = "response id")),
    request_body = SetCodes,
    responses((status = 200, body = TextAnswer, description = "the answer with its new codes"),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token: coding is for analysts and admins"),
              (status = 404, body = crate::error::ProblemDetails),
              (status = 422, body = crate::error::ProblemDetails, description = "unknown question or theme, or no answer to code")),
    security(("bearer" = [])))]
pub async fn set_codes(
    who: Analyst,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<TextAnswer>> {
    let not_found = || Error::NotFound(format!("no response '{id}'"));
    let Coded {
        rid,
        r,
        published,
        question,
        code,
    } = coded(&state, &who, &id, &body)?;
    coding::set(
        state.store.clone(),
        &state.indexes,
        &r.form,
        rid,
        &question,
        &code,
    )
    .await?;
    let answer =
        text_answer(&state, &published.form, &r, &question, Some(&code)).ok_or_else(not_found)?;
    Ok(Json(answer))
}

/// An analyst's codes for one answer, checked: what both coders' routes
/// store.
struct Coded {
    rid: ResponseId,
    r: StoredResponse,
    published: std::sync::Arc<crate::store::Published>,
    question: String,
    code: ManualCode,
}

/// Reads and checks a codes body for the response `id` (404 for an
/// unknown id whatever the body, 422 for codes that do not fit).
fn coded(state: &AppState, who: &Analyst, id: &str, body: &[u8]) -> Result<Coded> {
    let not_found = || Error::NotFound(format!("no response '{id}'"));
    let rid = ResponseId::parse(id).ok_or_else(not_found)?;
    // Read after the id is checked: an unknown id is a 404 whatever the body.
    let req: SetCodes = json::parse(body)?;
    let r = find_response(state.store.as_ref(), rid)?.ok_or_else(not_found)?;
    let published = state.store.form(&r.form).ok_or_else(|| no_form(&r.form))?;
    let themes = check_codes(&published.form, &r, &req)?;
    let code = ManualCode {
        themes,
        sentiment: req.sentiment.as_deref().and_then(Label::parse),
        by: who.fingerprint(),
        at_ms: now_ms(),
    };
    Ok(Coded {
        rid,
        r,
        published,
        question: req.question,
        code,
    })
}

/// `PUT /api/v1/responses/{id}/check-codes`: a second analyst codes an
/// answer blind (reading `/text?blind=true`). Their codes are kept apart
/// from the first coder's and count in no aggregate: only in
/// `/intercoder`.
#[utoipa::path(put, path = "/api/v1/responses/{id}/check-codes",
    params(("id" = String, Path, description = "response id")),
    request_body = SetCodes,
    responses((status = 200, body = ManualView, description = "the second coder's codes as kept"),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token: coding is for analysts and admins"),
              (status = 404, body = crate::error::ProblemDetails),
              (status = 422, body = crate::error::ProblemDetails, description = "unknown question or theme, or no answer to code")),
    security(("bearer" = [])))]
pub async fn set_check_codes(
    who: Analyst,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<ManualView>> {
    let Coded {
        rid,
        r,
        question,
        code,
        ..
    } = coded(&state, &who, &id, &body)?;
    crate::service::intercoder::set(state.store.as_ref(), &r.form, rid, &question, &code)?;
    Ok(Json(ManualView::from(&code)))
}
