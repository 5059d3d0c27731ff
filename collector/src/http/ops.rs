//! Operations: `/readyz` (ready to store: the store accepts writes and the
//! answer indexes are built) beside `/healthz` (alive), `/metrics`
//! (Prometheus text, see [`crate::metrics`]), and the middleware that
//! counts every request by route template and status.

use super::client_ip::client_ip;
use super::AppState;
use crate::error::{Error, Result};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::net::SocketAddr;

/// `GET /healthz`: the process is alive (it says nothing of the store; see
/// `/readyz`).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "`ok`", content_type = "text/plain", body = String)))]
pub(super) async fn healthz() -> &'static str {
    "ok"
}

/// 200 while submissions can be stored; 503 problem+json once the store
/// refuses writes (after a failed commit), so a load balancer sends phones
/// elsewhere. The indexes are built before the server listens, so a
/// listening collector has them.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "`ready`", content_type = "text/plain", body = String),
              (status = 503, body = crate::error::ProblemDetails, description = "the store refuses writes")))]
pub(super) async fn ready(State(state): State<AppState>) -> Result<&'static str> {
    if state.store.accepts_writes() {
        Ok("ready")
    } else {
        Err(Error::Unavailable)
    }
}

/// The Prometheus text exposition, to the clients `metrics_from` names
/// (loopback and the private ranges unless configured): how many answers
/// were set aside as a bot's, and why, would tell a bot whether it got
/// through.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "requests by route and status, submissions, rejections by reason, commit latency, index sizes, alert deliveries",
               content_type = "application/openmetrics-text", body = String),
              (status = 403, body = crate::error::ProblemDetails, description = "a client `metrics_from` does not name")))]
pub(super) async fn metrics(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
) -> Result<Response> {
    // Without a peer (the router called in-process) there is no client.
    if let Some(Extension(ConnectInfo(peer))) = peer {
        let c = &state.config;
        let client = client_ip(peer.ip(), &headers, &c.trusted_proxies, c.forwarded_header);
        if !c.metrics_from.iter().any(|r| r.contains(client)) {
            return Err(Error::Forbidden(
                "metrics are for the deployment's own monitoring (metrics_from)".into(),
            ));
        }
    }
    let sizes = state.store.form_ids().into_iter().filter_map(|id| {
        let rows = state
            .indexes
            .index(&id)?
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        Some((id, rows))
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(sizes, state.store.commit_stats()),
    )
        .into_response())
}

/// Counts each request by its route template (never the path itself: it
/// holds form ids and response ids) and status, and each refused
/// submission by why.
pub(super) async fn count(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status();
    state.metrics.request(
        &route,
        method.as_str(),
        status.as_u16(),
        started.elapsed().as_secs_f64(),
    );
    let submission = method == Method::POST
        && (route == "/api/v1/forms/{form}/responses" || route == "/f/{form}");
    if submission && (status.is_client_error() || status.is_server_error()) {
        state.metrics.rejected(match status {
            StatusCode::BAD_REQUEST => "malformed",
            StatusCode::FORBIDDEN => "origin",
            StatusCode::NOT_FOUND => "no_such_form",
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "media_type",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            StatusCode::REQUEST_TIMEOUT => "timed_out",
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            StatusCode::SERVICE_UNAVAILABLE => "unavailable",
            s if s.is_server_error() => "server_error",
            _ => "other",
        });
    }
    res
}
