//! The collector: serves the forms and the widget, stores responses durably
//! in sled, and answers analysts.
//!
//! `main.rs` is a thin CLI over this library. Tests start the real server
//! with [`open`] and [`serve`] on `127.0.0.1:0`.

pub mod config;
pub mod error;
pub mod http;
pub mod index;
pub mod ingest;
pub mod store;
pub mod synth;

pub use config::Config;
pub use http::{app, AppState};

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use store::{SledStore, Store};

/// Opens the store in `config.data` and publishes the forms found in
/// `config.forms` (a changed file becomes a new version; an unchanged one
/// is left as it is).
pub fn open(config: Config) -> anyhow::Result<AppState> {
    config.validate()?;
    let mut store = SledStore::open(&config.data).map_err(|e| match e {
        error::Error::Storage(sled::Error::Io(io))
            if io.kind() == std::io::ErrorKind::WouldBlock =>
        {
            anyhow::anyhow!(
                "the data folder {} is in use by another collector",
                config.data.display()
            )
        }
        e => anyhow::anyhow!("cannot open the data folder {}: {e}", config.data.display()),
    })?;
    publish_folder(&store, &config.forms)?;
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
    tracing::info!(sentiment = %scorer.version(), "sentiment scorer ready");
    let indexes = index::Indexes::new(scorer);
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
    store.write_missing_records()?;
    Ok(AppState {
        store: Arc::new(store),
        config: Arc::new(config),
        indexes: Arc::new(indexes),
    })
}

/// Publishes every `*.json` form in `dir`.
pub fn publish_folder(store: &dyn Store, dir: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(dir = %dir.display(), "no forms folder; serving the forms already published");
            return Ok(());
        }
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", dir.display())),
    };
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        let form: survey::Form = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a valid form: {e}", path.display()))?;
        let published = store.publish(form).map_err(|e| match e {
            error::Error::InvalidForm(problems) => {
                let list: Vec<String> = problems
                    .iter()
                    .map(|p| format!("  {}: {}", p.path, p.message))
                    .collect();
                anyhow::anyhow!("{} has problems:\n{}", path.display(), list.join("\n"))
            }
            e => anyhow::anyhow!("{}: {e}", path.display()),
        })?;
        tracing::info!(form = %published.form.id, version = published.form.version, "form published");
    }
    Ok(())
}

/// Serves the app on `listener` until `shutdown` resolves, then finishes
/// the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
