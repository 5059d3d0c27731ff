//! Operations: `/readyz` tells a load balancer whether submissions can be
//! stored, `/metrics` counts what happened (Prometheus text).

use crate::common::*;
use collector::store::Store;
use harness::MemStore;
use serde_json::json;
use std::sync::Arc;

/// A collector over an in-memory store the test can make refuse writes,
/// as a real store does after a failed commit.
async fn over_memory(dir: &std::path::Path) -> (Server, Arc<MemStore>) {
    let store = Arc::new(MemStore::new());
    collector::publish_folder(store.as_ref(), &fixture_forms()).unwrap();
    let indexes = collector::index::Indexes::new(analysis::Scorer::new());
    for id in store.form_ids() {
        let form = store.form(&id).unwrap();
        indexes.rebuild(store.as_ref(), &form.form).unwrap();
    }
    let state = collector::AppState {
        store: store.clone(),
        config: Arc::new(config(dir)),
        indexes: Arc::new(indexes),
        metrics: Default::default(),
    };
    (Server::serve(state).await, store)
}

#[tokio::test]
async fn readyz_says_when_writes_are_refused_while_healthz_stays_alive() {
    let dir = tempfile::tempdir().unwrap();
    let (s, store) = over_memory(dir.path()).await;
    let get = |path: &'static str| s.client.get(s.url(path)).send();
    let ready = get("/readyz").await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
    assert_eq!(s.submit("mini", &valid_submission(1)).await.status(), 201);

    store.refuse_writes();
    let ready = get("/readyz").await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["content-type"], "application/problem+json");
    assert_eq!(s.submit("mini", &valid_submission(2)).await.status(), 503);
    assert_eq!(get("/healthz").await.unwrap().status(), 200, "still alive");
    drop(store);
    s.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_submissions_rejections_and_index_rows() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    assert_eq!(s.submit("mini", &valid_submission(1)).await.status(), 201);
    assert_eq!(s.submit("mini", &valid_submission(1)).await.status(), 200);
    assert_eq!(s.submit("mini", &valid_submission(2)).await.status(), 201);
    let invalid = json!({"submission_id": uuid(3), "answers": {"nope": 1}});
    assert_eq!(s.submit("mini", &invalid).await.status(), 422);
    let res = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    for line in [
        r#"collector_http_requests_total{route="/api/v1/forms/{form}/responses",method="POST",status="201"} 2"#,
        r#"collector_http_requests_total{route="/api/v1/forms/{form}/responses",method="POST",status="422"} 1"#,
        r#"collector_submissions_total{outcome="created"} 2"#,
        r#"collector_submissions_total{outcome="duplicate"} 1"#,
        r#"collector_submission_rejections_total{reason="invalid"} 1"#,
        "collector_submission_durable_seconds_count 3",
        r#"collector_index_rows{form="mini"} 2"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    // Route templates only: no form id, response id or answer in a label.
    assert!(!text.contains("/api/v1/forms/mini"), "{text}");
    s.stop().await;
}

/// `--log-format json`: every line the real binary writes is one JSON
/// object, for a log shipper.
#[tokio::test]
async fn json_logs_are_one_object_a_line() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_collector"))
        .args([
            "--log-format",
            "json",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--data",
        ])
        .arg(dir.path().join("data"))
        .arg("--forms")
        .arg(fixture_forms())
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let listening = loop {
        let line = lines.next().expect("the collector exited early").unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(
            v["timestamp"].is_string() && v["level"].is_string(),
            "{line}"
        );
        let message = v["fields"]["message"].as_str().unwrap_or("").to_owned();
        seen.push(message.clone());
        if message.starts_with("listening on http://") {
            break message;
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(listening.contains("127.0.0.1:"));
}
