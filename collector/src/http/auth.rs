//! Bearer tokens at the edge: the extractors that check them, and the
//! admin endpoint that creates one ([`crate::service::tokens`] makes and
//! hashes them).

use super::json::AppJson;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::Role;
use crate::service::tokens::{self, hash_token};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};

/// A request made with a valid token of at least the analyst role.
#[derive(Debug, Clone, Copy)]
pub struct Analyst {
    /// The token's role.
    pub role: Role,
    /// The token's stored hash.
    pub hash: [u8; 32],
}

impl Analyst {
    /// Who made the request, without revealing the token: the first 12 hex
    /// digits of its SHA-256, recorded with manual codes.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.hash[..6])
    }
}

/// A request made with a valid admin token.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<AppState> for Analyst {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(Error::Unauthorized(
                "send an analyst token as Authorization: Bearer <token>",
            ))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::Unauthorized(
                "the Authorization header must be Bearer <token>",
            ))?;
        let hash = hash_token(token);
        match state.store.token_role(&hash)? {
            Some(role) => Ok(Analyst { role, hash }),
            None => Err(Error::Unauthorized("the token is not known")),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Analyst::from_request_parts(parts, state).await? {
            Analyst {
                role: Role::Admin, ..
            } => Ok(Admin),
            Analyst { .. } => Err(Error::Forbidden("this needs an admin token".into())),
        }
    }
}

/// Body of `POST /api/v1/tokens`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    /// `analyst` or `admin`.
    #[schema(value_type = String, example = "analyst")]
    pub role: Role,
}

/// Answer of `POST /api/v1/tokens`: the token, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    /// The new token.
    pub token: String,
}

/// Creates a token while the server runs (the CLI cannot, sled is locked).
#[utoipa::path(post, path = "/api/v1/tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn create_token(
    _: Admin,
    State(state): State<AppState>,
    AppJson(req): AppJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>)> {
    let token = tokens::create(state.store.as_ref(), req.role)?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token })))
}
