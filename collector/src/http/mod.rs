//! The HTTP layer: routes, extractors and middleware. Handlers parse the
//! request, call a service (or the store and the index for plain reads),
//! and shape the answer.
//!
//! ```text
//! request ─► extractors (auth, AppJson, query) ─► handler ─► service ─► store / index
//!                                                   └──► JSON, CSV, HTML or problem+json
//! ```
//!
//! Public routes (forms, submissions, widget, hosted pages and the short
//! addresses printed on street posters, [`posters`]) need no account
//! and answer browsers from each form's allowed origins (CORS). Analyst and
//! admin routes need a bearer token and are not open to browsers elsewhere;
//! a supervisor's token reads aggregates, trends and free text of its own
//! teams or places only ([`scope`]). Widgets and hosted pages report
//! views, starts and leaves to `POST /api/v1/events` ([`events`]); the
//! funnel of a form reads them back ([`funnel`]).
//! Every response carries the security headers of [`security_headers`];
//! the hosted pages also carry its strict Content-Security-Policy.

mod actions;
mod aggregates;
mod agreement;
mod alerts;
mod auth;
mod backup;
mod cases;
mod client_ip;
mod cors;
mod dashboard;
mod events;
mod forms;
mod funnel;
mod hooks;
mod hosted;
mod invitations;
mod json;
mod limit;
mod models;
pub mod openapi;
mod ops;
mod places;
mod posters;
mod qr;
mod query_params;
mod responses;
mod results;
mod rows;
mod scope;
pub mod security_headers;
mod text;
mod widget_assets;

pub use query_params::parse_query;

use crate::config::Config;
use crate::error::Error;
use crate::store::Store;
use axum::error_handling::HandleErrorLayer;
use axum::routing::{delete, get, post, put};
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::timeout::RequestBodyTimeoutLayer;

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
    /// Where raised alerts are announced: the live streams and the
    /// webhook worker.
    pub feed: Arc<crate::service::alerts::Feed>,
    /// The register of places in use.
    pub places: Arc<crate::service::places::Places>,
    /// The funnel's counts not yet flushed to the store.
    pub tally: Arc<crate::service::funnel::Tally>,
    /// Proof-of-work challenges issued and proofs taken.
    pub proofs: Arc<crate::service::proof::Proofs>,
}

/// Where people and staff reach this collector: the configured
/// `public_url`, else the scheme-less `Host` the request came to (over
/// plain HTTP: a deployment behind TLS sets `public_url`).
pub(crate) fn public_base(config: &Config, headers: &axum::http::HeaderMap) -> String {
    if let Some(u) = &config.public_url {
        return u.clone();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .map_or_else(|| config.addr.to_string(), str::to_owned);
    format!("http://{host}")
}

/// Brotli or gzip, as the client accepts, for what is read: the form a
/// phone fetches before showing the widget (15 KB of JSON, 4 KB with
/// brotli) and what analysts pull (aggregates, text, exports).
fn compressed() -> tower_http::compression::CompressionLayer {
    tower_http::compression::CompressionLayer::new()
}

/// The whole application as a router.
pub fn app(state: AppState) -> Router {
    let limits = limit::Limits::new(&state.config);
    // The funnel's events draw on budgets of their own, as strict.
    let event_limits = limit::Limits::new(&state.config);
    let router = Router::new()
        .route("/healthz", get(ops::healthz))
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
            responses::submit_route(&limits).merge(get(responses::export).layer(compressed())),
        )
        .route(
            "/api/v1/forms/{form}/aggregates",
            get(aggregates::aggregates).layer(compressed()),
        )
        .route(
            "/api/v1/forms/{form}/funnel",
            get(funnel::funnel).layer(compressed()),
        )
        .route("/api/v1/events", events::route(&event_limits))
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
        .route(
            "/api/v1/responses/{id}/check-codes",
            put(text::set_check_codes),
        )
        .route(
            "/api/v1/forms/{form}/intercoder",
            get(agreement::intercoder),
        )
        .route(
            "/api/v1/forms/{form}/models",
            get(models::list).post(models::retrain),
        )
        .route("/api/v1/cases", get(cases::list))
        .route("/api/v1/cases/report", get(cases::report))
        .route("/api/v1/cases/{id}", get(cases::get).patch(cases::update))
        .route(
            "/api/v1/forms/{form}/invitations",
            post(invitations::upload),
        )
        .route(
            "/api/v1/forms/{form}/invitations/summary",
            get(invitations::summary),
        )
        .route(
            "/api/v1/forms/{form}/invitations/{id}/qr",
            get(invitations::qr),
        )
        .route(
            "/api/v1/tokens",
            post(auth::create_token).get(auth::list_tokens),
        )
        .route("/api/v1/tokens/{id}", delete(auth::revoke_token))
        .route("/api/v1/backup", post(backup::backup))
        .route("/api/v1/places", get(places::get).put(places::put))
        .route("/api/v1/actions", post(actions::create).get(actions::list))
        .route("/api/v1/actions/{id}", delete(actions::remove))
        .route("/api/v1/forms/{form}/challenge", get(responses::challenge))
        .route("/api/v1/alerts/stream", get(alerts::stream))
        .route("/api/v1/hooks", post(hooks::create).get(hooks::list))
        .route("/api/v1/hooks/{id}", delete(hooks::delete))
        .route("/api/v1/hooks/{id}/deliveries", get(hooks::hook_deliveries))
        .route("/api/v1/deliveries", get(hooks::deliveries))
        .route("/api/v1/deliveries/{id}/replay", post(hooks::replay))
        .merge(posters::routes())
        .merge(dashboard::routes())
        .merge(results::routes())
        .merge(hosted::routes(&limits, &state))
        .merge(widget_assets::routes(&state.config.dist))
        .fallback(|| async { Error::NotFound("no such route".into()) })
        // Cut off a client that holds a request open: one that leaves its
        // body waiting longer than `body_timeout_secs` for the next bytes,
        // or whose request takes longer than `request_timeout_secs` in all
        // (a slow-loris client trickling a byte at a time). Both answer 408
        // problem+json. A submission needs milliseconds once its body is
        // in, the group commit included, so neither touches one in normal
        // operation; and one cut off while it waits for the commit is still
        // committed and indexed (`responses::store_submission`): a retry
        // with its submission id answers 200 with the same id.
        .layer(
            ServiceBuilder::new()
                .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
                    state.config.body_timeout_secs,
                )))
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    Error::TimedOut
                }))
                .timeout(Duration::from_secs(state.config.request_timeout_secs)),
        )
        .layer(cors::layer(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::count,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http());
    security_headers::on_every_response(router).with_state(state)
}
