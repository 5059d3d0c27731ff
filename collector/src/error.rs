//! The collector's one error type, and how it is answered over HTTP.
//!
//! Every error reaches the client as `application/problem+json` (RFC 9457)
//! with a specific `detail`; invalid submissions also carry `errors`, one per
//! field at fault. Server-side failures are logged and answered without
//! internals.
//!
//! ```text
//! store::Error ─From─► Error ◄─ handlers, services, index
//!                        └─IntoResponse─► status + application/problem+json
//! ```

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Result with the collector's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not valid JSON.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is larger than allowed.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// The content type is not the one the route takes.
    #[error("send the body as {0}")]
    UnsupportedMediaType(&'static str),
    /// No such form (or response).
    #[error("{0}")]
    NotFound(String),
    /// A submission failed validation.
    #[error("the answers have {} problem(s)", .0.len())]
    Invalid(Vec<survey::Problem>),
    /// A form definition failed its checks.
    #[error("the form definition has {} problem(s)", .0.len())]
    InvalidForm(Vec<survey::FormProblem>),
    /// A malformed query parameter or path part.
    #[error("{0}")]
    BadRequest(String),
    /// A query parameter that is wrong, named in the problem's `errors`.
    #[error("{field}: {message}")]
    BadParameter {
        /// The query parameter (`by`, `ward`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// No or an unknown bearer token.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A token without the needed role, or an origin that may not post.
    #[error("{0}")]
    Forbidden(String),
    /// A supervisor asked for results outside their teams or places; the
    /// problem names the query parameter at fault.
    #[error("{message}")]
    OutOfScope {
        /// The query parameter (`team`, `location`).
        field: String,
        /// What is outside, for a person.
        message: String,
    },
    /// Too many submissions, from one client or from all at once; answered
    /// with `Retry-After`.
    #[error("too many submissions; try again in {retry_after} s")]
    RateLimited {
        /// Seconds to wait before trying again.
        retry_after: u64,
    },
    /// The request (or its body) did not arrive in time.
    #[error("the request took too long to arrive; nothing was stored, please try again")]
    TimedOut,
    /// The store refuses writes after a failed commit (fail-stop).
    #[error("storage is unavailable")]
    Unavailable,
    /// The store failed.
    #[error(transparent)]
    Storage(crate::store::Error),
    /// A file could not be read or written.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Stored data could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A feature this deployment has not set up (or its store cannot do).
    #[error("{0}")]
    NotConfigured(String),
    /// A request that conflicts with what is there.
    #[error("{0}")]
    Conflict(String),
    /// Another response already answered this invitation.
    #[error("this invitation has already been answered; thank you, nothing more was stored")]
    InvitationUsed,
    /// An invitation that is unknown, altered or expired.
    #[error("{0}")]
    Gone(String),
    /// Uploaded rows with problems: one `{field, message}` each.
    #[error("the rows have {} problem(s); nothing was stored", .0.len())]
    InvalidRows(Vec<serde_json::Value>),
    /// A request that parses but cannot be done as asked: one field at
    /// fault (a webhook URL to a private address).
    #[error("{field}: {message}")]
    Unprocessable {
        /// The field at fault.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// The store's errors as the edge answers them: the same kinds as the
/// store's own (unavailable, corrupt, an invalid form …), one status each.
impl From<crate::store::Error> for Error {
    fn from(e: crate::store::Error) -> Error {
        use crate::store::Error as S;
        match e {
            S::InvalidForm(problems) => Error::InvalidForm(problems),
            S::Unavailable => Error::Unavailable,
            S::Io(e) => Error::Io(e),
            S::Corrupt(s) => Error::Corrupt(s),
            S::Unsupported(s) => Error::NotConfigured(s),
            S::Refused(s) => Error::Conflict(s),
            e @ S::InUse(_) => Error::Conflict(e.to_string()),
            S::InvitationUsed => Error::InvitationUsed,
            e @ S::Storage(_) => Error::Storage(e),
        }
    }
}

impl Error {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::MalformedJson(_) | Error::BadRequest(_) | Error::BadParameter { .. } => {
                StatusCode::BAD_REQUEST
            }
            Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Invalid(_)
            | Error::InvalidForm(_)
            | Error::InvalidRows(_)
            | Error::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::OutOfScope { .. } => StatusCode::FORBIDDEN,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::TimedOut => StatusCode::REQUEST_TIMEOUT,
            Error::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            // Not the server failing: it was not set up for this (no
            // backup folder, a store that cannot copy itself).
            Error::Conflict(_) | Error::NotConfigured(_) | Error::InvitationUsed => {
                StatusCode::CONFLICT
            }
            Error::Gone(_) => StatusCode::GONE,
            Error::Storage(_) | Error::Io(_) | Error::Corrupt(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// The problem+json body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemDetails {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// One entry per field at fault (invalid submissions and forms, a
    /// supervisor's filter outside their scope).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<serde_json::Value>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "the server could not complete the request; nothing was stored, please try again"
                .to_owned()
        } else {
            self.to_string()
        };
        let slug = match &self {
            Error::MalformedJson(_) => "malformed-json",
            Error::TooLarge(_) => "too-large",
            Error::UnsupportedMediaType(_) => "unsupported-media-type",
            Error::NotFound(_) => "not-found",
            Error::Invalid(_) => "invalid-answers",
            Error::InvalidForm(_) => "invalid-form",
            Error::BadRequest(_) | Error::BadParameter { .. } => "bad-request",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::OutOfScope { .. } => "out-of-scope",
            Error::RateLimited { .. } => "rate-limited",
            Error::TimedOut => "timed-out",
            Error::Unavailable => "unavailable",
            Error::NotConfigured(_) => "not-configured",
            Error::Conflict(_) => "conflict",
            Error::InvitationUsed => "invitation-used",
            Error::Gone(_) => "gone",
            Error::InvalidRows(_) => "invalid-rows",
            Error::Unprocessable { .. } => "invalid-request",
            _ => "server-error",
        };
        let retry_after = match &self {
            Error::RateLimited { retry_after } => Some(*retry_after),
            _ => None,
        };
        let errors = match self {
            Error::Invalid(problems) => problems.iter().map(|p| serde_json::json!(p)).collect(),
            Error::InvalidForm(problems) => problems.iter().map(|p| serde_json::json!(p)).collect(),
            Error::InvalidRows(problems) => problems,
            Error::OutOfScope { field, message } => {
                vec![
                    serde_json::json!({"field": field, "code": "out_of_scope", "message": message}),
                ]
            }
            Error::Unprocessable { field, message } | Error::BadParameter { field, message } => {
                vec![serde_json::json!({"field": field, "message": message})]
            }
            _ => Vec::new(),
        };
        let body = ProblemDetails {
            kind: format!("/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut res = (status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}
