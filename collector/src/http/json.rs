//! [`AppJson`]: a JSON request body that, when it does not parse, is
//! answered in the collector's problem+json format from this one place
//! (as axum's `error-handling` example does), not from a `map_err` in
//! every handler.

use crate::error::Error;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// A request body parsed as JSON into `T`. The content type is not
/// checked; a body that is not JSON of that shape is a
/// [`Error::MalformedJson`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            if timed_out(&e) {
                Error::TimedOut.into_response()
            } else {
                e.into_response()
            }
        })?;
        parse(&body)
            .map(AppJson)
            .map_err(IntoResponse::into_response)
    }
}

/// Parses a JSON body already read (for routes that check the request
/// before reading it).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::MalformedJson(e.to_string()))
}

/// Whether a body could not be read because the client stopped sending it
/// (the body timeout of [`super::app`]), anywhere in `e`'s chain of causes.
pub fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        next = e.source();
    }
    false
}

/// A query string parsed into `T`; one that does not parse (a count that
/// is not a number, an unknown value) is a [`Error::BadRequest`] in
/// problem+json like every other error, not axum's plain-text rejection.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for AppQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(AppQuery)
            .map_err(|e| Error::BadRequest(format!("the query string: {e}")))
    }
}
