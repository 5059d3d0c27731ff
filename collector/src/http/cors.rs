//! CORS: a browser may call a form's public routes from that form's allowed
//! origins, from origins the deployment allows for every form, and from the
//! collector's own pages; the funnel's events route (whose form is in the
//! body) from any form's. Everything else gets no CORS headers, and a POST
//! carrying another origin is refused outright (see `origin_allowed`).

use super::AppState;
use axum::http::{header, request::Parts, HeaderValue, Method};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The CORS layer for the whole router.
pub fn layer(state: AppState) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, parts: &Parts| {
                if parts.uri.path() == EVENTS {
                    // The form is in the body: any form's origin may ask;
                    // the route refuses an event of another form (403).
                    return state
                        .store
                        .form_ids()
                        .iter()
                        .any(|form| origin_allowed(&state, form, origin, parts));
                }
                form_in_path(parts.uri.path())
                    .is_some_and(|form| origin_allowed(&state, form, origin, parts))
            },
        ))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::HeaderName::from_static(PROOF_HEADER),
        ])
        .max_age(Duration::from_secs(86_400))
}

/// The header the widget's proof of work comes in.
pub const PROOF_HEADER: &str = "x-altcha";

/// The funnel's public events route.
const EVENTS: &str = "/api/v1/events";

/// The form id in `/api/v1/forms/{form}`, `…/responses` and `…/challenge`.
fn form_in_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/api/v1/forms/")?;
    match rest.split_once('/') {
        None => Some(rest),
        Some((form, "responses" | "challenge")) => Some(form),
        Some(_) => None,
    }
}

/// Whether a page at `origin` may use `form`.
pub fn origin_allowed(state: &AppState, form: &str, origin: &HeaderValue, parts: &Parts) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if state.config.allowed_origins.iter().any(|o| o == origin) {
        return true;
    }
    // The collector's own hosted pages post to it from its own origin.
    let own = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if let (Some(host), Some((_, rest))) = (own, origin.split_once("://")) {
        if rest == host {
            return true;
        }
    }
    state
        .store
        .form(form)
        .is_some_and(|p| p.form.allowed_origins.iter().any(|o| o == origin))
}
