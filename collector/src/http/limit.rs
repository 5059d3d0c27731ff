//! The per-client limit on submissions (`rate_limit` a minute, 0 = off),
//! shared by the JSON API and the hosted form. Client addresses are kept in
//! memory only, and forgotten once idle.

use super::AppState;
use crate::config::Config;
use crate::error::Error;
use axum::response::IntoResponse;
use axum::routing::MethodRouter;
use std::time::Duration;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::GovernorLayer;

/// `route` behind the per-client limit, unless the limit is 0.
pub fn rate_limited(route: MethodRouter<AppState>, config: &Config) -> MethodRouter<AppState> {
    if config.rate_limit == 0 {
        return route;
    }
    let per =
        Duration::from_millis(60_000 / u64::from(config.rate_limit)).max(Duration::from_millis(1));
    let Some(conf) = GovernorConfigBuilder::default()
        .period(per)
        .burst_size(config.rate_limit)
        .finish()
    else {
        return route;
    };
    // Forget idle clients now and then, so the table stays small.
    let limiter = std::sync::Arc::downgrade(conf.limiter());
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
    route.layer(GovernorLayer::new(conf).error_handler(|_| Error::RateLimited.into_response()))
}
