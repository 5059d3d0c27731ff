//! Bearer tokens at the edge: the extractors that check them, and the
//! admin endpoints that create, list and revoke them ([`crate::service::tokens`] makes and
//! hashes them).

use super::json::AppJson;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::{rfc3339, Role};
use crate::service::tokens;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};

/// A request made with a live token of any role (not revoked, not
/// expired). The token is hashed before it is looked up, so the lookup's
/// timing says nothing about the token itself.
#[derive(Debug, Clone)]
pub struct Staff {
    /// The token's role.
    pub role: Role,
    /// The token's stored hash.
    pub hash: [u8; 32],
    /// What a supervisor may see; none for analysts and admins (all).
    pub scope: Option<Scope>,
}

/// The teams and places a supervisor's token covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Team names.
    pub teams: Vec<String>,
    /// Place ids.
    pub places: Vec<String>,
}

impl Scope {
    /// Whether something of `team` at `place` is within the scope.
    pub fn covers(&self, team: Option<&str>, place: Option<&str>) -> bool {
        team.is_some_and(|t| self.teams.iter().any(|x| x == t))
            || place.is_some_and(|p| self.places.iter().any(|x| x == p))
    }
}

impl Staff {
    /// Who made the request, without revealing the token: its id (the
    /// first 12 hex digits of its SHA-256), recorded with codes and case
    /// changes.
    pub fn fingerprint(&self) -> String {
        tokens::token_id(&self.hash)
    }
}

/// A request made with a live analyst or admin token: sees every team.
#[derive(Debug, Clone, Copy)]
pub struct Analyst {
    /// The token's stored hash.
    pub hash: [u8; 32],
}

impl Analyst {
    /// Who made the request, without revealing the token: its id.
    pub fn fingerprint(&self) -> String {
        tokens::token_id(&self.hash)
    }
}

/// A request made with a live admin token.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<AppState> for Staff {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(Error::Unauthorized(
                "send a token as Authorization: Bearer <token>",
            ))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(Error::Unauthorized(
                "the Authorization header must be Bearer <token>",
            ))?;
        match tokens::check(state.store.as_ref(), token)? {
            Some((hash, t)) => Ok(Staff {
                role: t.role,
                hash,
                scope: (t.role == Role::Supervisor).then_some(Scope {
                    teams: t.teams,
                    places: t.places,
                }),
            }),
            None => Err(Error::Unauthorized(
                "the token is not known, or has expired or been revoked",
            )),
        }
    }
}

impl FromRequestParts<AppState> for Analyst {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Staff::from_request_parts(parts, state).await? {
            Staff {
                role: Role::Analyst | Role::Admin,
                hash,
                ..
            } => Ok(Analyst { hash }),
            Staff { .. } => Err(Error::Forbidden(
                "this needs an analyst or admin token; a supervisor sees their teams' results and cases".into(),
            )),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match Staff::from_request_parts(parts, state).await? {
            Staff {
                role: Role::Admin, ..
            } => Ok(Admin),
            Staff { .. } => Err(Error::Forbidden("this needs an admin token".into())),
        }
    }
}

/// Body of `POST /api/v1/tokens`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// `analyst`, `supervisor` or `admin`.
    #[schema(value_type = String, example = "supervisor")]
    pub role: Role,
    /// What it is for, shown in the list (`"Sgt Patel, East response"`).
    #[serde(default)]
    pub label: String,
    /// When it stops working (RFC 3339); none: it does not expire.
    #[serde(default)]
    pub expires: Option<String>,
    /// A supervisor's teams.
    #[serde(default)]
    pub teams: Vec<String>,
    /// A supervisor's places (place ids).
    #[serde(default)]
    pub places: Vec<String>,
}

/// Answer of `POST /api/v1/tokens`: the token, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    /// The new token.
    pub token: String,
    /// Its id, to list and revoke it.
    pub id: String,
}

/// A token as listed: never the token itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Its id.
    pub id: String,
    /// Its role.
    #[schema(value_type = String)]
    pub role: Role,
    /// What it is for.
    pub label: String,
    /// When it was made (RFC 3339), if known.
    pub created: Option<String>,
    /// When it stops working.
    pub expires: Option<String>,
    /// When it was revoked.
    pub revoked: Option<String>,
    /// Whether it is accepted now.
    pub live: bool,
    /// A supervisor's teams.
    pub teams: Vec<String>,
    /// A supervisor's places.
    pub places: Vec<String>,
}

/// Creates a token while the server runs (the CLI cannot, sled is locked).
#[utoipa::path(post, path = "/api/v1/tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn create_token(
    _: Admin,
    State(state): State<AppState>,
    AppJson(req): AppJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>)> {
    let expires_ms = match &req.expires {
        None => None,
        Some(t) => Some(parse_time(t).ok_or_else(|| {
            Error::BadRequest(format!(
                "expires: '{t}' is not an RFC 3339 time such as 2027-03-31T23:59:59Z"
            ))
        })?),
    };
    let (token, id) = tokens::create(
        state.store.as_ref(),
        tokens::Spec {
            role: req.role,
            label: req.label,
            expires_ms,
            teams: req.teams,
            places: req.places,
        },
    )?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, id })))
}

/// Lists every token (never the token itself).
#[utoipa::path(get, path = "/api/v1/tokens",
    responses((status = 200, body = [TokenInfo]), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_tokens(_: Admin, State(state): State<AppState>) -> Result<Json<Vec<TokenInfo>>> {
    let now = crate::model::now_ms();
    let list = tokens::list(state.store.as_ref())?
        .into_iter()
        .map(|(id, t)| TokenInfo {
            id,
            role: t.role,
            live: t.live(now),
            label: t.label,
            created: (t.created_ms > 0).then(|| rfc3339(t.created_ms)).flatten(),
            expires: t.expires_ms.and_then(rfc3339),
            revoked: t.revoked_ms.and_then(rfc3339),
            teams: t.teams,
            places: t.places,
        })
        .collect();
    Ok(Json(list))
}

/// Revokes a token: from now on it is refused.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn revoke_token(
    _: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    if tokens::revoke(state.store.as_ref(), &id)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Error::NotFound(format!("no token with id '{id}'")))
    }
}

/// An RFC 3339 time as ms since the Unix epoch.
pub fn parse_time(t: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A token that could not be made: the request's fault, or the store's.
impl From<crate::service::tokens::CreateError> for Error {
    fn from(e: crate::service::tokens::CreateError) -> Error {
        use crate::service::tokens::CreateError as C;
        match e {
            C::Store(e) => e.into(),
            e => Error::BadRequest(e.to_string()),
        }
    }
}
