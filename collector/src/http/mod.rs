//! The HTTP layer: routes, extractors and middleware. Handlers parse the
//! request, call a service (or the store and the index for plain reads),
//! and shape the answer.
//!
//! ```text
//! request ─► extractors (auth, AppJson, query) ─► handler ─► service ─► store / index
//!                                                   └──► JSON, CSV, HTML or problem+json
//! ```
//!
//! Public routes (forms, submissions, widget, hosted pages) need no account
//! and answer browsers from each form's allowed origins (CORS). Analyst and
//! admin routes need a bearer token and are not open to browsers elsewhere.
//! Every response carries the security headers of [`security_headers`];
//! the hosted pages also carry its strict Content-Security-Policy.

mod aggregates;
mod agreement;
mod auth;
mod cors;
mod forms;
mod hosted;
mod json;
mod limit;
pub mod openapi;
mod ops;
mod query_params;
mod responses;
pub mod security_headers;
mod text;
mod widget_assets;

pub use query_params::parse_query;

use crate::config::Config;
use crate::error::Error;
use crate::store::Store;
use axum::routing::{get, post, put};
use axum::Router;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// Where forms, responses and tokens live.
    pub store: Arc<dyn Store>,
    /// The running configuration.
    pub config: Arc<Config>,
    /// The answer indexes, with sentiment and theme coding.
    pub indexes: Arc<crate::index::Indexes>,
    /// Counters for operators (`/metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
}

/// Brotli or gzip, as the client accepts, for what is read: the form a
/// phone fetches before showing the widget (15 KB of JSON, 4 KB with
/// brotli) and what analysts pull (aggregates, text, exports).
fn compressed() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
}

/// The whole application as a router.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ops::ready))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/api/v1/forms", get(forms::list_forms).layer(compressed()))
        .route(
            "/api/v1/forms/{form}",
            get(forms::get_form)
                .layer(compressed())
                .put(forms::publish_form),
        )
        .route(
            "/api/v1/forms/{form}/responses",
            responses::submit_route(&state.config)
                .merge(get(responses::export).layer(compressed())),
        )
        .route(
            "/api/v1/forms/{form}/aggregates",
            get(aggregates::aggregates).layer(compressed()),
        )
        .route(
            "/api/v1/forms/{form}/trends",
            get(aggregates::trends).layer(compressed()),
        )
        .route(
            "/api/v1/forms/{form}/text",
            get(text::list_text).layer(compressed()),
        )
        .route(
            "/api/v1/forms/{form}/agreement",
            get(agreement::agreement).layer(compressed()),
        )
        .route("/api/v1/responses/{id}/codes", put(text::set_codes))
        .route("/api/v1/tokens", post(auth::create_token))
        .merge(hosted::routes(&state.config))
        .merge(widget_assets::routes(&state.config.dist))
        .fallback(|| async { Error::NotFound("no such route".into()) })
        .layer(cors::layer(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::count,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    security_headers::on_every_response(router).with_state(state)
}
