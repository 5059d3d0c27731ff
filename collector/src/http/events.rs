//! `POST /api/v1/events`: the widget's and the hosted page's `view`,
//! `start` and `leave`, as JSON or as a `navigator.sendBeacon` body (which
//! arrives as `text/plain;charset=UTF-8`). Public, like a submission: no
//! token, the form's allowed origins only, its own per-client rate limit,
//! a small body. Nothing is kept but a count: no identifier, no cookie,
//! no address.
//!
//! ```text
//! content type, size ─► json::parse ─► form (404) ─► origin (403) ─► funnel::key (422) ─► Tally ─► 202
//! ```

use super::cors::origin_allowed;
use super::forms::no_form;
use super::json;
use super::limit::Limits;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::now_ms;
use crate::service::funnel;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};

/// An event is a few short tags: anything larger is not one.
pub const MAX_EVENT_BYTES: usize = 2048;

/// `POST /api/v1/events`: counts one event; `202` with no body.
#[utoipa::path(post, path = "/api/v1/events", tag = "events",
    request_body(content = Object, content_type = "application/json",
        description = "{\"form\", \"version\", \"event\": \"view|start|leave\", \"last_question\"?, \"location\"?, \"channel\"?, \"lang\"?}; \
also accepted as text/plain (a navigator.sendBeacon body). `leave` names the furthest question answered in `last_question`. \
Completions are not sent: the collector counts them from the responses it stores. An unknown place is counted as `unknown`, an odd channel folded into a word; a `last_question` on a view or a start is checked but not kept, and other fields are ignored."),
    responses((status = 202, description = "counted"),
              (status = 400, body = crate::error::ProblemDetails, description = "not JSON"),
              (status = 403, body = crate::error::ProblemDetails, description = "a page at an origin the form does not allow"),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form"),
              (status = 413, body = crate::error::ProblemDetails), (status = 415, body = crate::error::ProblemDetails),
              (status = 422, body = crate::error::ProblemDetails, description = "a version the form never had, an event other than view, start or leave, or a last_question that is not a question of that version; `errors` names the field"),
              (status = 429, body = crate::error::ProblemDetails)))]
pub async fn record(State(state): State<AppState>, req: Request) -> Result<Response> {
    let (parts, body) = req.into_parts();
    let accepted = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .is_some_and(|v| {
            v.eq_ignore_ascii_case("application/json") || v.eq_ignore_ascii_case("text/plain")
        });
    if !accepted {
        return Err(Error::UnsupportedMediaType(
            "application/json (or text/plain, as navigator.sendBeacon sends it)",
        ));
    }
    let bytes = axum::body::to_bytes(body, MAX_EVENT_BYTES)
        .await
        .map_err(|e| {
            if json::timed_out(&e) {
                Error::TimedOut
            } else {
                Error::TooLarge(MAX_EVENT_BYTES)
            }
        })?;
    let value: serde_json::Value = json::parse(&bytes)?;
    if !value.is_object() {
        return Err(Error::MalformedJson("an event is a JSON object".into()));
    }
    let form_id = value
        .get("form")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Error::Unprocessable {
            field: "form".into(),
            message: "form must be the form's id".into(),
        })?;
    let published = state.store.form(form_id).ok_or_else(|| no_form(form_id))?;
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        if !origin_allowed(&state, form_id, origin, &parts) {
            return Err(Error::Forbidden(format!(
                "pages at {} may not count events of this form",
                origin.to_str().unwrap_or("this origin")
            )));
        }
    }
    let key = funnel::key(
        state.store.as_ref(),
        &state.places.get(),
        &published,
        &value,
        now_ms(),
    )?;
    state.tally.add(key, &state.metrics);
    Ok(StatusCode::ACCEPTED.into_response())
}

/// The events route, behind limits of its own (a person's events do not
/// use up their budget for sending answers), as strict per client.
pub fn route(limits: &Limits) -> MethodRouter<AppState> {
    limits.apply(post(record))
}
