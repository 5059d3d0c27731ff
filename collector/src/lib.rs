//! The collector: serves the forms and the widget, stores responses durably
//! in sled, and answers analysts.
//!
//! `main.rs` is a thin CLI over this library. Tests start the real server
//! with [`open`] and [`serve`] on `127.0.0.1:0`.
//!
//! Four floors, each using only those below it:
//!
//! ```text
//! edge     http/ (extractors, handlers, problem+json, OpenAPI), main.rs (CLI)
//!            │ parsed input
//! service  service/ (ingest, import, publish, export, coding, tokens, retention,
//!                   alerts, webhooks: the delivery worker, funnel: its counts)
//!            │ &dyn Store, &Indexes
//! storage  store/ (sled, keys, group commit)   index/ (answer indexes, queries, records)
//!            │
//! model    model/ (NewResponse → StoredResponse, ManualCode, Role, …), survey, analysis
//! ```

pub mod config;
pub mod error;
pub mod http;
pub mod index;
pub mod metrics;
pub mod model;
pub mod service;
pub mod store;

pub use config::Config;
pub use http::{app, AppState};

use std::future::Future;
use std::sync::Arc;
use store::{SledStore, Store};

pub use service::publish::publish_folder;

/// Opens the store in `config.data` and publishes the forms found in
/// `config.forms` (a changed file becomes a new version; an unchanged one
/// is left as it is), with the deployment's own safeguarding phrase lists
/// (`config.safeguarding_phrases`) put in first.
pub fn open(config: Config) -> anyhow::Result<AppState> {
    config.validate()?;
    let mut store = open_store(&config.data)?;
    let register = publish(&store, &config)?;
    let indexes = indexes_for(&config)?;
    let started = std::time::Instant::now();
    for id in store.form_ids() {
        if let Some(p) = store.form(&id) {
            indexes.rebuild(&store, &p.form)?;
        }
    }
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        "answer indexes ready"
    );
    store.write_missing_records(index::record::encoder)?;
    service::learning::load(&store, &indexes)?;
    Ok(AppState {
        store: Arc::new(store),
        config: Arc::new(config),
        indexes: Arc::new(indexes),
        metrics: Arc::new(metrics::Metrics::new()),
        feed: Arc::new(service::alerts::Feed::default()),
        places: Arc::new(service::places::Places::new(register)),
        tally: Arc::default(),
        proofs: Arc::default(),
    })
}

/// Publishes the forms in `config.forms` as `serve` does at start: with
/// the deployment's safeguarding phrase lists put in and its places
/// register resolved; the register.
pub fn publish(store: &dyn Store, config: &Config) -> anyhow::Result<model::Register> {
    let overrides = match &config.safeguarding_phrases {
        Some(path) => service::safeguarding::Overrides::load(path)?,
        None => service::safeguarding::Overrides::default(),
    };
    let register_file = service::places::file_for(config.places.as_deref(), &config.forms);
    let register = service::places::load(store, register_file.as_deref())?;
    service::publish::publish_folder_with(store, &config.forms, &overrides, &register)?;
    Ok(register)
}

/// The answer indexes with the coding `config` asks for: the lexicon
/// layer (and the deployment's own lexicon file) or plain VADER, the
/// learned label or the lexicon's band, and the codebooks with or
/// without the shipped theme model. `serve` and `demo-data` both code
/// with it, so demonstration answers are coded as served ones are.
pub fn indexes_for(config: &Config) -> anyhow::Result<index::Indexes> {
    let scorer = match (&config.lexicon, config.domain_lexicon) {
        (_, false) => analysis::Scorer::plain(),
        (None, true) => analysis::Scorer::new(),
        (Some(path), true) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            let extra = analysis::Lexicon::parse(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            analysis::Scorer::with_extra(&extra)
        }
    };
    tracing::info!(
        sentiment = %scorer.version(),
        label = if config.sentiment_model { analysis::label_model::VERSION } else { "lexicon" },
        themes = if config.theme_model { analysis::theme_model::VERSION } else { "codebook" },
        "sentiment scorer ready"
    );
    let indexes = match config.sentiment_model {
        true => index::Indexes::new(scorer).with_sentiment_model(),
        false => index::Indexes::new(scorer),
    };
    Ok(match config.theme_model {
        true => indexes.with_theme_model(),
        false => indexes,
    })
}

/// Opens the sled store in `data`, saying plainly when another collector
/// has it open (sled locks its file).
pub fn open_store(data: &std::path::Path) -> anyhow::Result<SledStore> {
    SledStore::open(data).map_err(|e| match e {
        store::Error::InUse(_) => anyhow::anyhow!(
            "the data folder {} is in use by another collector",
            data.display()
        ),
        e => anyhow::anyhow!("cannot open the data folder {}: {e}", data.display()),
    })
}

/// Serves the app on `listener` until `shutdown` resolves, then finishes
/// the requests in flight and stores the funnel's last counts.
///
/// This is `axum::serve` with one thing more: a client must send its
/// request headers within `request_timeout_secs` of starting them, or its
/// connection is closed (hyper's header read timeout, which `axum::serve`
/// leaves off). The timeouts over the router only start once the headers
/// are in, so without this a client trickling its headers could hold a
/// connection open for ever.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    use tower::ServiceExt;

    let headers_within = std::time::Duration::from_secs(state.config.request_timeout_secs);
    // Retention runs beside the server and stops with it; it holds the
    // store weakly, so the store still closes when the app is dropped.
    let (stop_retention, retention_stopped) = tokio::sync::oneshot::channel::<()>();
    let retention = match state.config.retention_interval_secs {
        0 => None,
        secs => Some(tokio::spawn(service::retention::schedule(
            Arc::downgrade(&state.store),
            std::time::Duration::from_secs(secs),
            async move {
                let _ = retention_stopped.await;
            },
        ))),
    };
    // The webhook worker, likewise: it stops with the server, and holds
    // the store weakly.
    let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
    let base_url = match &state.config.public_url {
        Some(u) => u.clone(),
        None => format!("http://{}", listener.local_addr()?),
    };
    let worker = tokio::spawn(service::webhooks::worker::run(
        Arc::downgrade(&state.store),
        state.feed.clone(),
        state.metrics.clone(),
        service::webhooks::worker::Settings {
            policy: service::webhooks::retry::Policy {
                base: std::time::Duration::from_millis(state.config.webhook_retry_base_ms),
                attempts: state.config.webhook_attempts,
            },
            timeout: std::time::Duration::from_millis(state.config.webhook_timeout_ms),
            allow_private: state.config.allow_private_webhooks,
            base_url,
        },
        async move {
            let _ = worker_stopped.await;
        },
    ));
    // Theme models are retrained from analysts' codes in the background,
    // likewise stopping with the server.
    let (stop_learning, learning_stopped) = tokio::sync::oneshot::channel::<()>();
    let learning = tokio::spawn(service::learning::run(
        Arc::downgrade(&state.store),
        state.indexes.clone(),
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(state.config.retrain_after_secs),
        async move {
            let _ = learning_stopped.await;
        },
    ));
    // The funnel's counts go to the store every second, and once more
    // below when every request is done: a stop loses none of them.
    let (stop_tally, tally_stopped) = tokio::sync::oneshot::channel::<()>();
    let (tally, metrics, store) = (
        state.tally.clone(),
        state.metrics.clone(),
        Arc::downgrade(&state.store),
    );
    let flusher = tokio::spawn(service::funnel::run(
        store.clone(),
        tally.clone(),
        metrics.clone(),
        async move {
            let _ = tally_stopped.await;
        },
    ));
    let feed = state.feed.clone();
    let state_indexes = state.indexes.clone();
    feed.open();
    let router = app(state);
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Small writes go out at once: an event on the live alert feed
        // would otherwise wait for the client's delayed ACK (Nagle's
        // algorithm), about 40 ms.
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req.map(axum::body::Body::new)
            },
        );
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(headers_within)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = connections.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    // Live alert streams never end by themselves: end them, so that the
    // connections carrying them can close.
    feed.close();
    // A re-coding pass under way ends at its next answer (and runs again
    // at the next start).
    state_indexes.learned().stop();
    let _ = stop_learning.send(());
    let _ = stop_retention.send(());
    let _ = stop_worker.send(());
    if let Some(retention) = retention {
        let _ = retention.await;
    }
    let _ = worker.await;
    let _ = learning.await;
    connections.shutdown().await;
    let _ = stop_tally.send(());
    let _ = flusher.await;
    if let Some(store) = store.upgrade() {
        if let Err(e) = tally.flush(store.as_ref(), &metrics) {
            tracing::error!(error = %e, "the funnel's last counts could not be stored");
        }
    }
    Ok(())
}

/// As `axum::serve` does: a connection reset before it was accepted is
/// nothing; anything else (out of file descriptors) is logged and waited
/// out for a second.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept error");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
}
