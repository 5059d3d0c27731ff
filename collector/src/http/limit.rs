//! The limits on submissions, shared by the JSON API and the hosted form:
//! a per-client limit (`rate_limit` a minute, 0 = off), keyed by the client
//! address [`client_ip`](super::client_ip) finds, and a global cap across
//! all clients (`global_rate_limit` a second, 0 = off) that keeps a flood
//! from the store. Both answer `429` problem+json with `Retry-After`.
//!
//! ```text
//! POST ─► per client (ClientKey) ─► global (one budget) ─► handler
//!            └── 429 + Retry-After ◄──┘
//! ```
//!
//! The per-client check comes first, so a client already over its own
//! limit does not use up everyone's budget. Client addresses are kept in
//! memory only, and forgotten once idle.

use super::client_ip::ClientKey;
use super::AppState;
use crate::config::Config;
use crate::error::Error;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use std::sync::Arc;
use std::time::Duration;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::GlobalKeyExtractor;
use tower_governor::{GovernorError, GovernorLayer};

type NoOp = governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>;

/// The limiters, made once per app so that every submission route draws on
/// the same budgets.
#[derive(Clone)]
pub struct Limits {
    per_client: Option<Arc<GovernorConfig<ClientKey, NoOp>>>,
    global: Option<Arc<GovernorConfig<GlobalKeyExtractor, NoOp>>>,
}

impl Limits {
    /// The limiters `config` asks for.
    pub fn new(config: &Config) -> Limits {
        let per_client = (config.rate_limit > 0)
            .then(|| {
                GovernorConfigBuilder::default()
                    .key_extractor(ClientKey::new(
                        &config.trusted_proxies,
                        config.forwarded_header,
                    ))
                    .period(refill(60, config.rate_limit))
                    .burst_size(config.rate_limit)
                    .finish()
            })
            .flatten()
            .map(Arc::new);
        if let Some(conf) = &per_client {
            forget_idle_clients(conf);
        }
        let global = (config.global_rate_limit > 0)
            .then(|| {
                GovernorConfigBuilder::default()
                    .key_extractor(GlobalKeyExtractor)
                    .period(refill(1, config.global_rate_limit))
                    .burst_size(config.global_rate_limit)
                    .finish()
            })
            .flatten()
            .map(Arc::new);
        Limits { per_client, global }
    }

    /// `route` behind the limits that are on.
    pub fn apply(&self, mut route: MethodRouter<AppState>) -> MethodRouter<AppState> {
        // The last layer added runs first: the global cap goes on first.
        if let Some(conf) = &self.global {
            route = route.layer(GovernorLayer::new(conf.clone()).error_handler(too_many));
        }
        if let Some(conf) = &self.per_client {
            route = route.layer(GovernorLayer::new(conf.clone()).error_handler(too_many));
        }
        route
    }
}

/// One request back in the budget every `secs / n`.
fn refill(secs: u64, n: u32) -> Duration {
    (Duration::from_secs(secs) / n).max(Duration::from_nanos(1))
}

/// Forgets idle clients now and then, so the table stays small; stops when
/// the app is dropped.
fn forget_idle_clients(conf: &Arc<GovernorConfig<ClientKey, NoOp>>) {
    let limiter = Arc::downgrade(conf.limiter());
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                match limiter.upgrade() {
                    Some(l) => l.retain_recent(),
                    None => break,
                }
            }
        });
    }
}

/// The limiter's refusal as the collector's problem+json. The limiter
/// rounds the wait down to whole seconds; `Retry-After` rounds it up, so a
/// client that waits as told is let in.
fn too_many(e: GovernorError) -> Response {
    match e {
        GovernorError::TooManyRequests { wait_time, .. } => Error::RateLimited {
            retry_after: wait_time.saturating_add(1),
        }
        .into_response(),
        GovernorError::UnableToExtractKey | GovernorError::Other { .. } => {
            Error::BadRequest("the client address could not be read".into()).into_response()
        }
    }
}
