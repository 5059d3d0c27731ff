//! The register of places at the edge: analysts read it, admins replace
//! it. [`crate::service::places`] keeps it; forms that take their places
//! from it are published anew when their places change.
//!
//! ```text
//! GET /api/v1/places (analyst) ─► Places::get
//! PUT /api/v1/places (admin)   ─► places::replace ─► publish::republish_register_forms
//! ```

use super::auth::{Admin, Analyst};
use super::json::AppJson;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::Register;
use crate::service::{places, publish};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

fn json(register: &Register) -> Result<Response> {
    let body = serde_json::to_vec(register).map_err(|e| Error::Corrupt(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /api/v1/places`: the register in use.
#[utoipa::path(get, path = "/api/v1/places", tag = "places",
    responses((status = 200, body = Object, description = "`{sectors: [{id, name, ...}], clusters: [{id, name, sector}], wards: [{id, name, cluster}], sites: [{id, name, ward, installed, removed?, lat?, lon?}]}`; a name is a string or language → string"),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn get(_: Analyst, State(state): State<AppState>) -> Result<Response> {
    json(&state.places.get())
}

/// `PUT /api/v1/places`: replaces the register. Every problem is named
/// (`sites[3].ward`) and nothing changes unless there is none; the forms
/// that take their places from it become new versions when their places
/// change.
#[utoipa::path(put, path = "/api/v1/places", tag = "places",
    request_body(content = Object, content_type = "application/json",
        description = "the whole register, as `GET /api/v1/places` gives it"),
    responses((status = 200, body = Object, description = "the register now in use"),
              (status = 400, body = crate::error::ProblemDetails, description = "not JSON"),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails),
              (status = 422, body = crate::error::ProblemDetails, description = "not a register, or one with problems: `errors` names each field at fault")),
    security(("bearer" = [])))]
pub async fn put(
    _: Admin,
    State(state): State<AppState>,
    AppJson(body): AppJson<serde_json::Value>,
) -> Result<Response> {
    let register: Register = serde_json::from_value(body).map_err(|e| Error::Unprocessable {
        field: "body".into(),
        message: format!("not a register of places: {e}"),
    })?;
    let st = state.clone();
    let register = tokio::task::spawn_blocking(move || -> Result<Register> {
        places::replace(st.store.as_ref(), &st.places, register.clone())?;
        publish::republish_register_forms(st.store.as_ref(), &st.indexes, &register)?;
        Ok(register)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    json(&register)
}
