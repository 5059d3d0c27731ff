//! End-to-end test harness: starts the real collector on `127.0.0.1:0` with
//! a temporary sled database, the example forms and the built widget, and
//! serves partner pages from another port, so tests exercise exactly what
//! a deployment runs. The server itself is the `harness` crate's, shared
//! with the collector's own tests.
//!
//! ```text
//! partner page (reserve + serve_page_on) ──<script src=…/widget.js>──► Collector (harness::Server)
//! ```

pub use harness::workspace;

/// A collector running on a random local port.
pub struct Collector {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// The running state, for reading what was stored.
    pub state: collector::AppState,
    server: harness::Server,
    _data: tempfile::TempDir,
}

impl Collector {
    /// Starts a collector that lets `partner_origins` embed every form.
    /// Rate limits and bot checks are off, as for any test harness.
    pub async fn start(partner_origins: Vec<String>) -> Collector {
        Self::start_with(partner_origins, false).await
    }

    /// Starts a collector with the bot checks on, as deployed.
    pub async fn start_with_bot_checks() -> Collector {
        Self::start_with(vec![], true).await
    }

    /// Starts a collector holding `count` generated responses to each of
    /// `forms` (2023-04 to 2025-03), as `collector demo-data` loads them.
    pub async fn start_with_demo(forms: &[&str], count: usize) -> Collector {
        let data = tempfile::tempdir().expect("temp dir");
        {
            let store = collector::store::SledStore::open(&data.path().join("db")).expect("open");
            collector::publish_folder(&store, &harness::example_forms()).expect("publish");
            // The coding the collector uses, as `collector demo-data`.
            let indexes = collector::index::Indexes::new(analysis::Scorer::new())
                .with_sentiment_model()
                .with_theme_model();
            for id in forms {
                use collector::store::Store as _;
                let form = store.form(id).expect("an example form");
                let options = synth::Options {
                    count,
                    ..synth::Options::default()
                };
                let rows = synth::submissions(&form.form, options).expect("generate");
                collector::service::import::load(&store, &indexes, &form.form, rows)
                    .expect("import");
            }
        }
        Self::open(data, vec![], false).await
    }

    /// Starts a collector that lets `partner_origins` embed every form,
    /// with the bot checks on or off.
    pub async fn start_with(partner_origins: Vec<String>, bot_checks: bool) -> Collector {
        let data = tempfile::tempdir().expect("temp dir");
        Self::open(data, partner_origins, bot_checks).await
    }

    async fn open(
        data: tempfile::TempDir,
        partner_origins: Vec<String>,
        bot_checks: bool,
    ) -> Collector {
        let config = collector::Config {
            data: data.path().join("db"),
            forms: harness::example_forms(),
            dist: workspace().join("dist"),
            rate_limit: 0,
            global_rate_limit: 0,
            bot_checks,
            allowed_origins: partner_origins,
            ..collector::Config::default()
        };
        let server = harness::Server::start(config).await;
        Collector {
            origin: server.origin(),
            state: server.state.clone(),
            server,
            _data: data,
        }
    }

    /// Every stored response to `form`, oldest first.
    pub fn responses(&self, form: &str) -> Vec<collector::model::StoredResponse> {
        self.server.responses(form)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        self.server.halt().await;
    }
}

/// Binds a listener now (so its origin is known before the page exists).
pub async fn reserve() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    (listener, origin)
}

/// Serves `html` at `/` on an already bound listener.
pub fn serve_page_on(listener: tokio::net::TcpListener, html: String) {
    serve(listener, html, None);
}

/// Serves `html` at `/` on an already bound listener, with `csp` as its
/// `Content-Security-Policy`: a partner page with a policy of its own.
pub fn serve_page_with_csp_on(listener: tokio::net::TcpListener, html: String, csp: String) {
    serve(listener, html, Some(csp));
}

fn serve(listener: tokio::net::TcpListener, html: String, csp: Option<String>) {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let (html, csp) = (html.clone(), csp.clone());
            async move {
                let mut res =
                    axum::response::IntoResponse::into_response(axum::response::Html(html));
                if let Some(csp) = csp {
                    let value = axum::http::HeaderValue::try_from(csp).expect("a header value");
                    res.headers_mut()
                        .insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
                }
                res
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
}
