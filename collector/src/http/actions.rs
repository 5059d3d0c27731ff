//! "We did" entries at the edge: admins record what the force did about
//! what people raised, against a form's themes and the wards concerned;
//! staff list them; each ward's public page shows its own
//! ([`super::results`]).
//!
//! ```text
//! POST /api/v1/actions (admin) ─► actions::add ─► store
//! GET  /api/v1/actions?ward=&form= (staff) ─► actions::all
//! DELETE /api/v1/actions/{id} (admin) ─► actions::remove
//! ```

use super::auth::{Admin, Staff};
use super::json::{AppJson, AppQuery};
use super::AppState;
use crate::error::{Error, Result};
use crate::model::Role;
use crate::service::actions::{self, Action, NewAction};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// `POST /api/v1/actions`: records an entry; every problem is named by
/// its field.
#[utoipa::path(post, path = "/api/v1/actions", tag = "actions", request_body = NewAction,
    responses((status = 201, body = Action, description = "the entry as stored"),
              (status = 400, body = crate::error::ProblemDetails, description = "not JSON"),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "not an admin token"),
              (status = 415, body = crate::error::ProblemDetails),
              (status = 422, body = crate::error::ProblemDetails, description = "`errors` names each field at fault (an unknown form, theme or ward, a missing default-language text, a bad date)")),
    security(("bearer" = [])))]
pub async fn create(
    staff: Staff,
    State(state): State<AppState>,
    AppJson(new): AppJson<NewAction>,
) -> Result<(StatusCode, Json<Action>)> {
    if staff.role != Role::Admin {
        return Err(Error::Forbidden("this needs an admin token".into()));
    }
    let register = state.places.get();
    let by = staff.fingerprint();
    let st = state.clone();
    let action =
        tokio::task::spawn_blocking(move || actions::add(st.store.as_ref(), &register, new, by))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    Ok((StatusCode::CREATED, Json(action)))
}

/// `GET /api/v1/actions` filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only the entries naming this ward.
    pub ward: Option<String>,
    /// Only the entries answering this form's themes.
    pub form: Option<String>,
}

/// `GET /api/v1/actions`: the entries, newest done first.
#[utoipa::path(get, path = "/api/v1/actions", tag = "actions", params(ListQuery),
    responses((status = 200, body = [Action]),
              (status = 400, body = crate::error::ProblemDetails),
              (status = 401, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn list(
    _: Staff,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Json<Vec<Action>>> {
    let all = actions::all(state.store.as_ref())?;
    Ok(Json(
        all.into_iter()
            .filter(|a| q.ward.as_ref().is_none_or(|w| a.wards.contains(w)))
            .filter(|a| q.form.as_ref().is_none_or(|f| &a.form == f))
            .collect(),
    ))
}

/// `DELETE /api/v1/actions/{id}`.
#[utoipa::path(delete, path = "/api/v1/actions/{id}", tag = "actions",
    params(("id" = String, Path, description = "entry id")),
    responses((status = 204, description = "removed"),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails),
              (status = 404, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn remove(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    if actions::remove(state.store.as_ref(), &id)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound(format!("no entry '{id}'")))
    }
}
