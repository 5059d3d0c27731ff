//! Starting a real collector for a test.

use collector::model::Role;
use collector::{AppState, Config};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;

pub const ORIGIN: &str = "https://partner.example";

/// The example forms (`examples/forms`), as the generator knows them.
pub fn example_forms() -> PathBuf {
    synth::forms_dir()
}

pub fn fixture_forms() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms")
}

pub fn config(data: &Path) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        data: data.to_path_buf(),
        forms: fixture_forms(),
        rate_limit: 0,
        bot_checks: false,
        ..Config::default()
    }
}

/// Posts `valid_submission(n)` for every `n` at once, each in its own
/// task, to the responses `url`; every one must be created (201). The ids
/// acknowledged, in the order of `ns`.
pub async fn submit_concurrently(
    client: &reqwest::Client,
    url: &str,
    ns: impl IntoIterator<Item = u128>,
) -> Vec<String> {
    let tasks: Vec<_> = ns
        .into_iter()
        .map(|n| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .json(&valid_submission(n))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                res.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(t.await.unwrap());
    }
    acked
}

/// A collector serving on 127.0.0.1:<random port>.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn start(config: Config) -> Server {
        let state = collector::open(config).expect("open collector");
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

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops serving and waits until the store is closed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
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

    pub fn token(&self, role: Role) -> String {
        let t = collector::service::tokens::new_token().unwrap();
        self.state
            .store
            .add_token(collector::service::tokens::hash_token(&t), role)
            .unwrap();
        t
    }

    pub async fn submit(&self, form: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/v1/forms/{form}/responses")))
            .json(body)
            .send()
            .await
            .unwrap()
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

pub fn valid_submission(n: u128) -> Value {
    json!({
        "submission_id": uuid(n),
        "answers": {"who": "worker", "safe": 2, "why_unsafe": "dark alley", "priorities": ["asb", "theft"]},
        "location": "bank",
        "channel": "qr",
        "lang": "pl"
    })
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
