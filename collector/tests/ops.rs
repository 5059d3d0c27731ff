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
        feed: Default::default(),
        places: Default::default(),
        tally: Default::default(),
        proofs: Default::default(),
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
    // A person's post from the hosted page: not thanked, told in a page
    // that nothing was stored, their answers still there to send again.
    let res = s
        .client
        .post(s.url("/f/mini"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "submission_id={}&lang=en&q.who=resident&q.safe=2&q.why_unsafe=Dark+alley",
            uuid(3)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let page = res.text().await.unwrap();
    assert!(page.contains(ui::i18n::strings("en").send_failed), "{page}");
    assert!(page.contains("Dark alley"), "{page}");
    assert!(!page.contains(ui::i18n::strings("en").thank_you_body));
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
        // One after another, each its own group (the retry too: the
        // commit thread recognises it).
        "collector_store_commit_groups 3",
        "collector_store_commit_submissions 3",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    // Route templates only: no form id, response id or answer in a label.
    assert!(!text.contains("/api/v1/forms/mini"), "{text}");
    s.stop().await;
}

/// `--log-format json`: every line the real binary writes is one JSON
/// object, for a log shipper.
/// `/metrics` says how many answers were set aside as a bot's and why:
/// only the deployment's own monitoring reads it (`metrics_from`:
/// loopback and the private ranges unless configured), the client read
/// as the rate limit reads it behind a trusted proxy.
#[tokio::test]
async fn metrics_are_read_only_from_the_deployments_own_network() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let s = Server::start(cfg).await;
    let scrape = |from: Option<&'static str>| {
        let mut req = s.client.get(s.url("/metrics"));
        if let Some(ip) = from {
            req = req.header("x-forwarded-for", ip);
        }
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(scrape(None).await, 200, "loopback");
    assert_eq!(scrape(Some("10.1.2.3")).await, 200, "a private address");
    assert_eq!(scrape(Some("203.0.113.9")).await, 403, "the internet");
    s.stop().await;

    let mut cfg = config(dir.path());
    cfg.metrics_from = vec!["192.0.2.0/24".parse().unwrap()];
    let s = Server::start(cfg).await;
    let res = s.client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 403, "loopback, when not named");
    let problem: serde_json::Value = res.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("metrics_from"),
        "{problem}"
    );
    s.stop().await;
}

#[tokio::test]
async fn json_logs_are_one_object_a_line() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_collector"))
        .args(["--log-format", "json"])
        .args(serve_args(&dir.path().join("data")))
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

/// The logs of a busy run, at every level, hold no answer, no token and
/// no client address: what a person wrote and who asked stay out of them.
#[tokio::test]
async fn logs_hold_no_answers_tokens_or_client_addresses() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token_out = std::process::Command::new(env!("CARGO_BIN_EXE_collector"))
        .args(["token", "create", "--role", "analyst", "--data"])
        .arg(&data)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let token = String::from_utf8(token_out.stdout.clone())
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_collector"))
        .args(serve_args(&data))
        .env("RUST_LOG", "trace")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    // Read the address, then keep reading everything in the background.
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        log.extend(
            rx.recv_timeout(std::time::Duration::from_secs(20))
                .expect("log"),
        );
        let text = String::from_utf8_lossy(&log);
        if let Some(i) = text.find("listening on http://") {
            let rest = &text[i + "listening on http://".len()..];
            if let Some(end) = rest.find(|c: char| c.is_whitespace() || c == '"') {
                break rest[..end].to_owned();
            }
        }
    };
    let secret = "Zebra lane 12B dark";
    let client = reqwest::Client::new();
    let base = format!("http://{addr}");
    let mut sub = valid_submission(1);
    sub["answers"]["why_unsafe"] = json!(secret);
    let res = client
        .post(format!("{base}/api/v1/forms/mini/responses"))
        .json(&sub)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for path in ["/api/v1/forms/mini/text", "/api/v1/forms/mini/responses"] {
        let res = client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.text().await.unwrap().contains(secret), "{path}");
    }
    let bad = client
        .get(format!("{base}/api/v1/forms/mini/text"))
        .bearer_auth("a-wrong-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    // Signing in to the dashboard: the token goes in a form body, the
    // session in a cookie; neither is logged.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = no_redirect
        .post(format!("{base}/dashboard/sign-in"))
        .form(&[
            ("token", token.as_str()),
            ("next", "/dashboard/text?form=mini"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let session = signed.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = no_redirect
        .get(format!("{base}/dashboard/text?form=mini"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text().await.unwrap().contains(secret),
        "the answer on the page"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    while let Ok(chunk) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
        log.extend(chunk);
    }
    let log = String::from_utf8_lossy(&log);
    assert!(log.lines().count() > 10, "the run logged little: {log}");
    for (what, needle) in [
        ("the answer", secret),
        ("a word of the answer", "Zebra"),
        ("the token", token.as_str()),
        ("the wrong token", "a-wrong-token-0123456789"),
        (
            "the dashboard session",
            session.trim_start_matches("dashboard_session="),
        ),
    ] {
        assert!(!log.contains(needle), "{what} is in the log");
    }
    // The server's own address is logged once, when it starts listening;
    // clients connect from 127.0.0.1 too, so no other line may name it.
    let addresses: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("127.0.0.1") && !l.contains("listening on"))
        .collect();
    assert!(
        addresses.is_empty(),
        "client addresses logged: {addresses:?}"
    );
}
