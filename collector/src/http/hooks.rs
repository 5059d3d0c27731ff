//! Webhooks at the edge (admin only): make, list and delete hooks; list
//! deliveries (a hook's, or every dead letter) and replay one.
//! [`crate::service::webhooks`] does the work; this module parses and
//! shapes.
//!
//! ```text
//! POST   /api/v1/hooks                      ─► webhooks::create ─► 201 {id, secret}
//! GET    /api/v1/hooks                      ─► webhooks::list (never the secret)
//! DELETE /api/v1/hooks/{id}                 ─► webhooks::delete ─► 204
//! GET    /api/v1/hooks/{id}/deliveries      ─► webhooks::deliveries(hook)
//! GET    /api/v1/deliveries?state=dead      ─► webhooks::deliveries (dead letters)
//! POST   /api/v1/deliveries/{id}/replay     ─► webhooks::replay ─► 202
//! ```

use super::auth::Admin;
use super::json::AppJson;
use super::json::AppQuery;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::{rfc3339, Delivery, DeliveryState, Hook};
use crate::service::webhooks::{self, Filter, NewHook};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

/// A hook or a replay refused: the request's fault, or the store's.
impl From<webhooks::Error> for Error {
    fn from(e: webhooks::Error) -> Error {
        use webhooks::Error as W;
        match e {
            W::Invalid { field, message } => Error::Unprocessable {
                field: field.to_owned(),
                message,
            },
            W::NotFound(s) => Error::NotFound(s),
            W::Conflict(s) => Error::Conflict(s),
            W::Store(e) => e.into(),
            W::Internal(s) => Error::Corrupt(s),
        }
    }
}

/// Body of `POST /api/v1/hooks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHookBody {
    /// The receiver: an http or https URL, not to a loopback, link-local
    /// or private address.
    #[schema(example = "https://alerts.example.police.uk/collector")]
    pub url: String,
    /// Forms whose alerts it takes; none or empty: every form.
    #[serde(default)]
    pub forms: Option<Vec<String>>,
    /// Teams whose alerts it takes; none or empty: every team.
    #[serde(default)]
    pub teams: Option<Vec<String>>,
    /// `alert` (ordinary alerts) and/or `safeguarding` (alerts with a
    /// safeguarding rule, which go only to hooks that take them);
    /// default `["alert"]`.
    #[serde(default)]
    #[schema(example = json!(["alert"]))]
    pub events: Option<Vec<String>>,
    /// Put the response's free-text answers in the body (never answers to
    /// personal questions); default false.
    #[serde(default)]
    pub include_text: Option<bool>,
}

/// Answer of `POST /api/v1/hooks`: the signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedHook {
    /// The hook's id.
    pub id: String,
    /// The Standard Webhooks signing secret (`whsec_` and base64 of the
    /// key): give it to the receiver; it is not shown again.
    pub secret: String,
}

/// A hook as listed: never its secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HookInfo {
    /// Its id.
    pub id: String,
    /// The receiver.
    pub url: String,
    /// Forms it takes alerts of (empty: all).
    pub forms: Vec<String>,
    /// Teams it takes alerts of (empty: all).
    pub teams: Vec<String>,
    /// Events it takes (`alert`, `safeguarding`).
    pub events: Vec<String>,
    /// Whether bodies carry free text.
    pub include_text: bool,
    /// When it was made (RFC 3339).
    pub created: Option<String>,
}

impl From<Hook> for HookInfo {
    fn from(h: Hook) -> HookInfo {
        HookInfo {
            id: h.id,
            url: h.url,
            forms: h.forms,
            teams: h.teams,
            events: h.events.iter().map(|e| e.name().to_owned()).collect(),
            include_text: h.include_text,
            created: rfc3339(h.created_ms),
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptInfo {
    /// When it started (RFC 3339).
    pub at: Option<String>,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// What went wrong (no answer in time, a refused address …).
    pub error: Option<String>,
    /// How long it took, in ms.
    pub took_ms: u64,
}

/// A delivery of one alert to one hook.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryInfo {
    /// Its id (the alert's sequence number, 20 digits, and the hook's id).
    pub id: String,
    /// The hook.
    pub hook: String,
    /// The alert's sequence number: its case id.
    pub alert: u64,
    /// The response that raised it.
    pub response: String,
    /// `alert` or `safeguarding`.
    pub event: String,
    /// `pending`, `delivered` or `dead` (a dead letter).
    pub state: String,
    /// Attempts since it was raised or last replayed.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    pub next_attempt: Option<String>,
    /// The `webhook-id` header its receiver sees on every attempt.
    pub webhook_id: String,
    /// When it was made.
    pub created: Option<String>,
    /// When the receiver took it.
    pub delivered: Option<String>,
    /// Times an admin replayed it.
    pub replays: u32,
    /// The latest attempts, oldest first.
    pub history: Vec<AttemptInfo>,
}

impl DeliveryInfo {
    fn new(id: String, d: Delivery) -> DeliveryInfo {
        DeliveryInfo {
            id,
            webhook_id: d.webhook_id(),
            hook: d.hook,
            alert: d.alert,
            response: d.response,
            event: d.event.name().to_owned(),
            state: d.state.name().to_owned(),
            attempts: d.attempts,
            next_attempt: (d.state == DeliveryState::Pending)
                .then(|| rfc3339(d.next_ms))
                .flatten(),
            created: rfc3339(d.created_ms),
            delivered: d.delivered_ms.and_then(rfc3339),
            replays: d.replays,
            history: d
                .history
                .into_iter()
                .map(|a| AttemptInfo {
                    at: rfc3339(a.at_ms),
                    status: a.status,
                    error: a.error,
                    took_ms: a.took_ms,
                })
                .collect(),
        }
    }
}

/// Query of the delivery lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeliveryQuery {
    /// Only deliveries in this state: `pending`, `delivered` or `dead`.
    #[param(pattern = "^(pending|delivered|dead)$")]
    pub state: Option<String>,
    /// Only this hook's (on `/api/v1/deliveries`; a deleted hook's too).
    pub hook: Option<String>,
    /// Id of the last delivery already read.
    pub after: Option<String>,
    /// Deliveries per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// Makes a hook; its signing secret is in the answer, once.
#[utoipa::path(post, path = "/api/v1/hooks", request_body = NewHookBody,
    responses((status = 201, body = CreatedHook),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails),
              (status = 422, body = crate::error::ProblemDetails,
               description = "a field at fault, named in `errors` (`url` to a private address, an unknown form or event)")),
    security(("bearer" = [])))]
pub async fn create(
    _: Admin,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewHookBody>,
) -> Result<(StatusCode, Json<CreatedHook>)> {
    let hook = webhooks::create(
        state.store.as_ref(),
        NewHook {
            url: body.url,
            forms: body.forms.unwrap_or_default(),
            teams: body.teams.unwrap_or_default(),
            events: body.events.unwrap_or_default(),
            include_text: body.include_text.unwrap_or(false),
        },
        state.config.allow_private_webhooks,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedHook {
            id: hook.id,
            secret: hook.secret,
        }),
    ))
}

/// Lists the hooks (never their secrets).
#[utoipa::path(get, path = "/api/v1/hooks",
    responses((status = 200, body = [HookInfo]),
              (status = 401, body = crate::error::ProblemDetails), (status = 403, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn list(_: Admin, State(state): State<AppState>) -> Result<Json<Vec<HookInfo>>> {
    let hooks = webhooks::list(state.store.as_ref())?;
    Ok(Json(hooks.into_iter().map(HookInfo::from).collect()))
}

/// Deletes a hook. Its deliveries stay listed; pending ones become dead
/// letters at their next attempt.
#[utoipa::path(delete, path = "/api/v1/hooks/{id}",
    params(("id" = String, Path, description = "The hook's id")),
    responses((status = 204), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails), (status = 404, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn delete(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    if webhooks::delete(state.store.as_ref(), &id)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound(format!("no hook with id '{id}'")))
    }
}

/// A hook's deliveries, oldest alert first, cursor-paged (a `Link:
/// rel="next"` header continues).
#[utoipa::path(get, path = "/api/v1/hooks/{id}/deliveries",
    params(("id" = String, Path, description = "The hook's id"), DeliveryQuery),
    responses((status = 200, body = [DeliveryInfo]), (status = 400, body = crate::error::ProblemDetails),
              (status = 401, body = crate::error::ProblemDetails), (status = 403, body = crate::error::ProblemDetails),
              (status = 404, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn hook_deliveries(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<DeliveryQuery>,
) -> Result<Response> {
    if webhooks::hook(state.store.as_ref(), &id)?.is_none() {
        return Err(Error::NotFound(format!("no hook with id '{id}'")));
    }
    let path = format!("/api/v1/hooks/{id}/deliveries");
    list_deliveries(&state, Some(id), q, &path)
}

/// Deliveries to every hook, oldest alert first, cursor-paged:
/// `?state=dead` lists the dead letters.
#[utoipa::path(get, path = "/api/v1/deliveries",
    params(DeliveryQuery),
    responses((status = 200, body = [DeliveryInfo]), (status = 400, body = crate::error::ProblemDetails),
              (status = 401, body = crate::error::ProblemDetails), (status = 403, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn deliveries(
    _: Admin,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<DeliveryQuery>,
) -> Result<Response> {
    let hook = q.hook.clone();
    list_deliveries(&state, hook, q, "/api/v1/deliveries")
}

fn list_deliveries(
    state: &AppState,
    hook: Option<String>,
    q: DeliveryQuery,
    path: &str,
) -> Result<Response> {
    let filter = Filter {
        state: match q.state.as_deref() {
            None | Some("") => None,
            Some("pending") => Some(DeliveryState::Pending),
            Some("delivered") => Some(DeliveryState::Delivered),
            Some("dead") => Some(DeliveryState::Dead),
            Some(other) => {
                return Err(Error::BadRequest(format!(
                    "state: '{other}' is not pending, delivered or dead"
                )))
            }
        },
        hook,
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Error::BadRequest("limit must be from 1 to 1000".into()));
    }
    let page = webhooks::deliveries(state.store.as_ref(), &filter, q.after.as_deref(), limit)?;
    let next = (page.len() == limit)
        .then(|| page.last().map(|(k, _)| k.clone()))
        .flatten();
    let rows: Vec<DeliveryInfo> = page
        .into_iter()
        .map(|(k, d)| DeliveryInfo::new(k, d))
        .collect();
    let mut res = Json(rows).into_response();
    if let Some(last) = next {
        let mut query = format!("after={last}&limit={limit}");
        if let Some(s) = &q.state {
            query.push_str(&format!("&state={s}"));
        }
        if let (Some(h), "/api/v1/deliveries") = (&filter.hook, path) {
            query.push_str(&format!("&hook={h}"));
        }
        if let Ok(v) = HeaderValue::from_str(&format!("<{path}?{query}>; rel=\"next\"")) {
            res.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(res)
}

/// Sends a dead (or delivered) delivery again: a new round of attempts,
/// the first at once, with the same `webhook-id`.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/replay",
    params(("id" = String, Path, description = "The delivery's id")),
    responses((status = 202, body = DeliveryInfo, description = "pending again; the worker sends it at once"),
              (status = 401, body = crate::error::ProblemDetails), (status = 403, body = crate::error::ProblemDetails),
              (status = 404, body = crate::error::ProblemDetails),
              (status = 409, body = crate::error::ProblemDetails, description = "still pending, or its hook was deleted")),
    security(("bearer" = [])))]
pub async fn replay(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryInfo>)> {
    let d = webhooks::replay(state.store.as_ref(), &state.feed, &id)?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryInfo::new(id, d))))
}
