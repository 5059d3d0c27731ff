//! Form definitions: read (public, cached with an ETag), list and publish.

use super::auth::{Admin, Analyst};
use super::json::AppJson;
use super::AppState;
use crate::error::{Error, Result};
use crate::service::publish;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// `GET /api/v1/forms/{form}`: the current version of a form.
#[utoipa::path(get, path = "/api/v1/forms/{form}",
    params(("form" = String, Path, description = "form id")),
    responses((status = 200, description = "the form definition", content_type = "application/json"),
              (status = 304, description = "unchanged since the ETag sent"),
              (status = 404, body = crate::error::ProblemDetails)))]
pub async fn get_form(
    State(state): State<AppState>,
    Path(form): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let published = state.store.form(&form).ok_or_else(|| no_form(&form))?;
    let etag = HeaderValue::from_str(&published.etag).map_err(|e| Error::Corrupt(e.to_string()))?;
    let cache = HeaderValue::from_static("public, max-age=60, stale-while-revalidate=600");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == etag)
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        published.json.clone(),
    )
        .into_response())
}

// The store's `crate::model::FormSummary` as the API documents it.
/// A short description of a form, for listings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FormSummary {
    /// Form id.
    pub id: String,
    /// Current version.
    pub version: u32,
    /// Title in the default language.
    pub title: String,
    /// Number of responses stored (all versions).
    pub responses: u64,
}

impl From<crate::model::FormSummary> for FormSummary {
    fn from(s: crate::model::FormSummary) -> FormSummary {
        let crate::model::FormSummary {
            id,
            version,
            title,
            responses,
        } = s;
        FormSummary {
            id,
            version,
            title,
            responses,
        }
    }
}

/// `GET /api/v1/forms`: every form with its current version and response count.
#[utoipa::path(get, path = "/api/v1/forms",
    responses((status = 200, body = Vec<FormSummary>), (status = 401, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn list_forms(
    _: Analyst,
    State(state): State<AppState>,
) -> Result<Json<Vec<FormSummary>>> {
    Ok(Json(
        state.store.forms()?.into_iter().map(Into::into).collect(),
    ))
}

/// `PUT /api/v1/forms/{form}`: publishes a new version (admin).
#[utoipa::path(put, path = "/api/v1/forms/{form}",
    params(("form" = String, Path, description = "form id")),
    request_body(content = Object, content_type = "application/json", description = "the form definition"),
    responses((status = 401, body = crate::error::ProblemDetails), (status = 400, body = crate::error::ProblemDetails, description = "not JSON"), (status = 200, description = "the published form, with its version"),
              (status = 422, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn publish_form(
    _: Admin,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    AppJson(mut form): AppJson<survey::Form>,
) -> Result<Response> {
    if form.id != form_id {
        return Err(Error::BadRequest(format!(
            "the body's id '{}' is not '{form_id}'",
            form.id
        )));
    }
    crate::service::places::resolve(&mut form, &state.places.get());
    // Publishing syncs to disk and the rebuild reads every response: both
    // stay off the async runtime.
    let published = tokio::task::spawn_blocking(move || {
        publish::publish(state.store.as_ref(), &state.indexes, form)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        published.json.clone(),
    )
        .into_response())
}

pub(super) fn no_form(form: &str) -> Error {
    let shown: String = form.chars().take(64).collect();
    Error::NotFound(format!("there is no form '{shown}'"))
}
