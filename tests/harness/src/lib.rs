//! Test support shared by the collector's own tests (`collector/tests`) and
//! the end-to-end tests (`tests/e2e`): the real collector served on
//! `127.0.0.1:0` from a configuration or a ready state, tokens, the export
//! followed page by page, and where the example forms are.
//!
//! ```text
//! Config ──collector::open──► AppState ──Server::serve──► http://127.0.0.1:PORT ◄── reqwest
//!                                          └── token(role), supervisor_token(teams, places), export_all(form), stop()
//! ```
//!
//! [`MemStore`] is a second `Store`, in memory, for the store conformance
//! suite; [`SqliteStore`] a third, over SQLite with group commit, for the
//! same suite and for the submit benchmark's comparison with sled.

mod memory;
mod sqlite;

pub use memory::MemStore;
pub use sqlite::{CommitStats, SqliteStore};

use collector::model::Role;
use collector::{AppState, Config};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::sync::oneshot;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example forms (`examples/forms`), as the generator knows them.
pub fn example_forms() -> PathBuf {
    synth::forms_dir()
}

/// The themes an analyst gives a community-safety comment in the tests and
/// benchmarks that teach a model: the codebook's, and visible policing
/// wherever the dark or the night comes up (they read those as asking for
/// patrols), which no phrase of the codebook says, so a model learned
/// from enough of them takes that theme over.
pub fn analysts_themes(
    indexes: &collector::index::Indexes,
    form: &survey::Form,
    text: &str,
) -> Vec<String> {
    let mut themes = indexes
        .codebook_themes(form, "safety_comment", text)
        .unwrap_or_default();
    let lower = text.to_lowercase();
    if (lower.contains("dark") || lower.contains("night"))
        && !themes.iter().any(|t| t == "visible-policing")
    {
        themes.push("visible-policing".into());
    }
    themes
}

/// A collector serving on 127.0.0.1:<random port>.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The running state, for reading what was stored.
    pub state: AppState,
    /// A client for requests to it.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Opens the collector `config` describes and serves it.
    pub async fn start(config: Config) -> Server {
        Server::serve(collector::open(config).expect("open collector")).await
    }

    /// Serves a collector already opened (or put together by the test).
    pub async fn serve(state: AppState) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(collector::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        let task = tokio::spawn(async move {
            task.await.unwrap().unwrap();
        });
        Server {
            addr,
            state,
            client: reqwest::Client::new(),
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops serving and waits for the server to return.
    pub async fn halt(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }

    /// Stops serving and waits until the store is closed.
    pub async fn stop(mut self) {
        self.halt().await;
        // The store closes when the last handle to it goes. On a runtime
        // with several workers a finished connection's task may drop its
        // handle a moment after the server returns: allow it that moment.
        let store = self.state.store.clone();
        drop(self);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::sync::Arc::strong_count(&store) > 1 && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            std::sync::Arc::strong_count(&store),
            1,
            "store still shared after stop"
        );
    }

    /// `GET path` without a token, read as JSON.
    pub async fn public_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// `GET path` with `token`, which must answer 200: the body as JSON.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// `GET path` (an NDJSON export page) with `token`, which must answer
    /// 200: its rows, and the next page's link (the `Link` header) if any.
    pub async fn ndjson_page(&self, path: &str, token: &str) -> (Vec<Value>, Option<String>) {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let link = res
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let rows = res
            .text()
            .await
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (rows, link)
    }

    /// `GET path` with `token`: the status and the body read as JSON
    /// (null when it is not JSON).
    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// `PUT /api/v1/forms/{form}` with `token`: publishes `form`.
    pub async fn put_form(&self, token: &str, form: &Value) -> reqwest::Response {
        let id = form["id"].as_str().expect("a form has an id");
        self.client
            .put(self.url(&format!("/api/v1/forms/{id}")))
            .bearer_auth(token)
            .json(form)
            .send()
            .await
            .unwrap()
    }

    /// A new token with `role`, as the CLI creates one.
    pub fn token(&self, role: Role) -> String {
        collector::service::tokens::create(
            self.state.store.as_ref(),
            collector::service::tokens::Spec::role(role),
        )
        .unwrap()
        .0
    }

    /// A new supervisor token that covers `teams` and `places`.
    pub fn supervisor_token(&self, teams: &[&str], places: &[&str]) -> String {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        collector::service::tokens::create(
            self.state.store.as_ref(),
            collector::service::tokens::Spec {
                teams: owned(teams),
                places: owned(places),
                ..collector::service::tokens::Spec::role(Role::Supervisor)
            },
        )
        .unwrap()
        .0
    }

    /// `POST /api/v1/forms/{form}/responses` with `body`.
    pub async fn submit(&self, form: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/forms/{form}/responses")))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Every stored response to `form`, oldest first, read from the store.
    pub fn responses(&self, form: &str) -> Vec<collector::model::StoredResponse> {
        self.state
            .store
            .responses(form, None, 10_000)
            .expect("responses")
    }

    /// Every exported row of a form, following the cursor.
    pub async fn export_all(&self, form: &str, token: &str) -> Vec<Value> {
        export_all(&self.client, &self.url(""), form, token).await
    }
}

/// A version 4 UUID made from `n` (variant digit 8), one per test submission.
pub fn uuid(n: u128) -> String {
    let mut bytes = n.to_be_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x0f) | 0x80;
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

/// Every exported row of a form from the collector at `base`, following the cursor.
pub async fn export_all(
    client: &reqwest::Client,
    base: &str,
    form: &str,
    token: &str,
) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let mut url = format!("{base}/api/v1/forms/{form}/responses?limit=50");
        if !after.is_empty() {
            url.push_str(&format!("&after={after}"));
        }
        let res = client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        let page: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if page.is_empty() {
            return rows;
        }
        after = page.last().unwrap()["id"].as_str().unwrap().to_owned();
        rows.extend(page);
    }
}
