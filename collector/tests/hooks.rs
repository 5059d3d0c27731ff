//! Alert webhooks over real sockets: a receiver on 127.0.0.1 that answers
//! as each test scripts it, the collector on a real sled. Signatures are
//! checked with the `standardwebhooks` crate, an implementation of the
//! specification independent of ours.

use crate::common::*;
use collector::model::Role;
use collector::Config;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A form with one ordinary alert (an overall score of 4 or 5 is
/// dissatisfied), one safeguarding alert, free text and a personal
/// question.
pub fn alert_form() -> Value {
    json!({
        "id": "service",
        "version": 1,
        "title": {"en": "Your service"},
        "default_lang": "en",
        "languages": ["en"],
        "allowed_origins": [],
        "privacy_notice": "Answers are kept for one year.",
        "not_for_reporting": "This is not for reporting crime. In an emergency call 999.",
        "places": [{"id": "bank", "name": "Bank"}, {"id": "aldgate", "name": "Aldgate"}],
        "questions": [
            {"id": "overall", "kind": "scale", "text": "Overall, how satisfied were you? (1 very satisfied, 5 very dissatisfied)",
             "required": true, "min": 1, "max": 5},
            {"id": "worry", "kind": "single_choice", "text": "Is anything worrying you now?", "required": false,
             "options": [{"id": "no", "text": "No"}, {"id": "threat", "text": "Someone has threatened me"}]},
            {"id": "comments", "kind": "text", "text": "Tell us more", "max_length": 500},
            {"id": "contact", "kind": "text", "text": "A phone number to call you back", "max_length": 40,
             "personal": true}
        ],
        "alerts": [
            {"id": "dissatisfied", "question": "overall", "any_of": [4, 5]},
            {"id": "safeguarding:threat", "question": "worry", "any_of": ["threat"]}
        ]
    })
}

/// A configuration for webhook tests: private addresses allowed (the
/// receiver is on 127.0.0.1), retries 50 ms apart growing fivefold, a
/// 300 ms timeout.
pub fn hook_config(dir: &Path) -> Config {
    Config {
        allow_private_webhooks: true,
        webhook_retry_base_ms: 50,
        webhook_attempts: 8,
        webhook_timeout_ms: 300,
        ..config(dir)
    }
}

/// Publishes [`alert_form`]; an admin token.
pub async fn with_alert_form(s: &Server) -> String {
    let admin = s.token(Role::Admin);
    let res = s.put_form(&admin, &alert_form()).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    admin
}

/// A response to [`alert_form`]: `overall` 1 to 5, maybe a worry, a
/// comment and a contact number.
pub fn answer(n: u128, overall: i64, worry: Option<&str>) -> Value {
    let mut answers = json!({
        "overall": overall,
        "comments": "The officer never called me back about the bike",
        "contact": "07700 900123",
    });
    if let Some(w) = worry {
        answers["worry"] = json!(w);
    }
    json!({"submission_id": uuid(n), "answers": answers, "location": "bank"})
}

/// Submits `body` to the alert form; the response id.
pub async fn submit_alert(s: &Server, body: &Value) -> String {
    let res = s.submit("service", body).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// What a receiver answers to one request.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    /// This status, at once.
    Status(u16),
    /// 503, after this long (past the collector's timeout, so the
    /// collector never sees it).
    Slow(Duration),
    /// 429 with `Retry-After` in seconds.
    TooMany(u64),
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
    pub at: Instant,
    pub replied: u16,
}

impl Seen {
    pub fn id(&self) -> &str {
        self.headers["webhook-id"].to_str().unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    then: Option<Reply>,
    seen: Vec<Seen>,
}

/// A webhook receiver on 127.0.0.1: answers from its script, then with
/// its default (200 unless set), and records every request.
pub struct Receiver {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    pub async fn start(replies: &[Reply]) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Receiver::on(listener, replies)
    }

    /// On a port chosen before (one the collector tried while it was down).
    pub async fn start_on(addr: SocketAddr) -> Receiver {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        Receiver::on(listener, &[])
    }

    fn on(listener: tokio::net::TcpListener, replies: &[Reply]) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let script = Arc::new(Mutex::new(Script {
            replies: replies.iter().copied().collect(),
            ..Script::default()
        }));
        let s = script.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let s = s.clone();
                async move {
                    // Recorded as it arrives, with what it is answered (a
                    // slow reply must not let a later request be listed
                    // before it, and may be cut off when the collector
                    // gives up on it).
                    let reply = {
                        let mut s = s.lock().unwrap();
                        let reply = s
                            .replies
                            .pop_front()
                            .or(s.then)
                            .unwrap_or(Reply::Status(200));
                        let replied = match reply {
                            Reply::Status(code) => code,
                            Reply::Slow(_) => 503,
                            Reply::TooMany(_) => 429,
                        };
                        s.seen.push(Seen {
                            path: uri.path().to_owned(),
                            headers,
                            body: body.to_vec(),
                            at: Instant::now(),
                            replied,
                        });
                        reply
                    };
                    let (status, retry_after) = match reply {
                        Reply::Status(code) => (code, None),
                        Reply::Slow(d) => {
                            tokio::time::sleep(d).await;
                            (503, None)
                        }
                        Reply::TooMany(secs) => (429, Some(secs)),
                    };
                    let mut res = axum::http::Response::builder().status(status);
                    if let Some(secs) = retry_after {
                        res = res.header("retry-after", secs.to_string());
                    }
                    res.body(axum::body::Body::empty()).unwrap()
                }
            },
        );
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Receiver {
            addr,
            script,
            stop: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What it answers once its script is done.
    pub fn then(&self, reply: Reply) {
        self.script.lock().unwrap().then = Some(reply);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }

    /// Waits (up to `within`) until `n` requests came; what came.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Seen> {
        let deadline = Instant::now() + within;
        loop {
            let seen = self.seen();
            if seen.len() >= n || Instant::now() > deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `POST /api/v1/hooks` with `body`; the answer.
pub async fn post_hook(s: &Server, admin: &str, body: Value) -> reqwest::Response {
    s.client
        .post(s.url("/api/v1/hooks"))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Makes a hook; its id and secret.
pub async fn make_hook(s: &Server, admin: &str, body: Value) -> (String, String) {
    let res = post_hook(s, admin, body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let v: Value = res.json().await.unwrap();
    let secret = v["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (v["id"].as_str().unwrap().to_owned(), secret)
}

/// Waits (up to 20 s) until the hook's deliveries are all in `state`; them.
async fn deliveries_in(s: &Server, admin: &str, hook: &str, state: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = s
            .get_ok(&format!("/api/v1/hooks/{hook}/deliveries"), admin)
            .await;
        let list = list.as_array().unwrap().clone();
        if !list.is_empty() && list.iter().all(|d| d["state"] == state) {
            return list;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries of {hook} not {state}: {list:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Checks the request with the `standardwebhooks` crate.
fn verify(secret: &str, seen: &Seen) {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&seen.body, &seen.headers)
        .unwrap_or_else(|e| panic!("signature of {} does not verify: {e}", seen.id()));
}

#[tokio::test]
async fn an_alert_reaches_its_hooks_signed_within_a_second_with_text_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(hook_config(dir.path())).await;
    let admin = with_alert_form(&s).await;
    let rx = Receiver::start(&[]).await;
    let (plain, plain_secret) = make_hook(
        &s,
        &admin,
        json!({"url": rx.url("/plain"), "forms": ["service"]}),
    )
    .await;
    let (texty, texty_secret) = make_hook(
        &s,
        &admin,
        json!({"url": rx.url("/text"), "include_text": true}),
    )
    .await;
    // A satisfied answer raises nothing.
    submit_alert(&s, &answer(1, 1, None)).await;

    let submitted = Instant::now();
    let id = submit_alert(&s, &answer(2, 5, None)).await;
    let seen = rx.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(seen.len(), 2, "{seen:#?}");
    let latency = seen.iter().map(|x| x.at - submitted).max().unwrap();
    println!(
        "alert → receiver: {:.1} ms from the submission's POST to the later of two hooks",
        latency.as_secs_f64() * 1e3
    );
    assert!(latency < Duration::from_secs(1), "{latency:?}");

    let by_path = |p: &str| seen.iter().find(|x| x.path == p).unwrap().clone();
    let (a, b) = (by_path("/plain"), by_path("/text"));
    verify(&plain_secret, &a);
    verify(&texty_secret, &b);
    // One hook's secret does not sign the other's deliveries.
    assert!(standardwebhooks::Webhook::new(&plain_secret)
        .unwrap()
        .verify(&b.body, &b.headers)
        .is_err());
    assert_eq!(a.headers["content-type"], "application/json");
    assert!(a.headers["webhook-signature"]
        .to_str()
        .unwrap()
        .starts_with("v1,"));
    assert_ne!(a.id(), b.id(), "each hook's delivery has its own id");

    let body = a.json();
    assert_eq!(body["type"], "alert");
    assert_eq!(body["data"]["form"], "service");
    assert_eq!(body["data"]["rules"], json!(["dissatisfied"]));
    assert_eq!(body["data"]["response"], id);
    assert_eq!(body["data"]["team"], Value::Null);
    assert_eq!(body["data"]["location"], "bank");
    let case = body["data"]["case"].as_u64().unwrap();
    assert_eq!(
        body["data"]["case_url"],
        format!("{}/api/v1/cases/{case}", s.origin())
    );
    assert!(body["data"].get("text").is_none(), "{body}");
    let raw = String::from_utf8(a.body.clone()).unwrap();
    assert!(!raw.contains("bike") && !raw.contains("07700"), "{raw}");

    let body = b.json();
    assert_eq!(
        body["data"]["text"],
        json!({"comments": "The officer never called me back about the bike"})
    );
    let raw = String::from_utf8(b.body.clone()).unwrap();
    assert!(
        !raw.contains("07700"),
        "a personal answer never goes out: {raw}"
    );

    for hook in [&plain, &texty] {
        let list = deliveries_in(&s, &admin, hook, "delivered").await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["alert"], case);
        assert_eq!(list[0]["attempts"], 1);
    }
    // Nothing more comes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.seen().len(), 2);

    // The list shows no secret.
    let hooks = s.get_ok("/api/v1/hooks", &admin).await;
    assert_eq!(hooks.as_array().unwrap().len(), 2);
    assert!(!hooks.to_string().contains("whsec_"), "{hooks}");
    s.stop().await;
}

#[tokio::test]
async fn failed_attempts_are_retried_until_taken_and_the_alert_arrives_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(hook_config(dir.path())).await;
    let admin = with_alert_form(&s).await;
    // 500, then no answer within the 300 ms timeout, then 429 asking for
    // two seconds, then 200.
    let rx = Receiver::start(&[
        Reply::Status(500),
        Reply::Slow(Duration::from_millis(800)),
        Reply::TooMany(2),
    ])
    .await;
    let (hook, secret) = make_hook(&s, &admin, json!({"url": rx.url("/")})).await;
    submit_alert(&s, &answer(1, 4, None)).await;

    let list = deliveries_in(&s, &admin, &hook, "delivered").await;
    let seen = rx.seen();
    assert_eq!(seen.len(), 4, "{seen:#?}");
    let replies: Vec<u16> = seen.iter().map(|x| x.replied).collect();
    assert_eq!(replies, [500, 503, 429, 200]);
    // The same webhook-id every time, taken once: a receiver that keeps
    // the ids it took processes the alert once.
    assert!(seen.iter().all(|x| x.id() == seen[0].id()));
    let mut taken: Vec<&str> = seen
        .iter()
        .filter(|x| (200..300).contains(&x.replied))
        .map(Seen::id)
        .collect();
    taken.dedup();
    assert_eq!(taken.len(), 1);
    for x in &seen {
        verify(&secret, x);
    }
    // Retry-After was honoured: two seconds at least after the 429 (the
    // backoff alone would have waited 1 to 1.5 s).
    let waited = seen[3].at - seen[2].at;
    assert!(waited >= Duration::from_millis(1950), "{waited:?}");

    let d = &list[0];
    assert_eq!(d["attempts"], 4);
    let statuses: Vec<Value> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, [json!(500), Value::Null, json!(429), json!(200)]);
    assert!(d["history"][1]["error"]
        .as_str()
        .unwrap()
        .contains("no answer within 300 ms"));
    assert_eq!(d["webhook_id"], seen[0].id());

    let metrics = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains(r#"collector_webhook_deliveries_total{outcome="retried"} 3"#));
    assert!(metrics.contains(r#"collector_webhook_deliveries_total{outcome="delivered"} 1"#));
    s.stop().await;
}

#[tokio::test]
async fn a_4xx_is_not_retried_but_dead_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(hook_config(dir.path())).await;
    let admin = with_alert_form(&s).await;
    let rx = Receiver::start(&[]).await;
    rx.then(Reply::Status(410));
    let (hook, _) = make_hook(&s, &admin, json!({"url": rx.url("/gone")})).await;
    submit_alert(&s, &answer(1, 5, None)).await;
    let list = deliveries_in(&s, &admin, &hook, "dead").await;
    assert_eq!(list[0]["attempts"], 1);
    assert_eq!(list[0]["history"][0]["status"], 410);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.seen().len(), 1, "a 410 is not tried again");
    let dead = s.get_ok("/api/v1/deliveries?state=dead", &admin).await;
    assert_eq!(dead.as_array().unwrap().len(), 1);
    s.stop().await;
}

/// A hook's URL may hold its secret (a chat service's hook, a token in
/// the query, a user and password): an attempt that cannot connect is
/// recorded without it (the HTTP client's error names the URL).
#[tokio::test]
async fn an_attempt_that_cannot_connect_does_not_record_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(Config {
        webhook_attempts: 2,
        ..hook_config(dir.path())
    })
    .await;
    let admin = with_alert_form(&s).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://hook-user:pa55word@127.0.0.1:{port}/T0SECRET/B0SECRET?token=s3cr3t");
    let (hook, _) = make_hook(&s, &admin, json!({"url": url})).await;
    submit_alert(&s, &answer(1, 5, None)).await;
    let list = deliveries_in(&s, &admin, &hook, "dead").await;
    let history = list[0]["history"].to_string();
    assert!(history.contains("connect"), "{history}");
    for secret in ["pa55word", "SECRET", "s3cr3t", &port.to_string()] {
        assert!(!history.contains(secret), "{secret} in {history}");
    }
    s.stop().await;
}

#[tokio::test]
async fn a_dead_letter_after_the_last_attempt_is_listed_and_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(Config {
        webhook_attempts: 3,
        ..hook_config(dir.path())
    })
    .await;
    let admin = with_alert_form(&s).await;
    let rx = Receiver::start(&[]).await;
    rx.then(Reply::Status(503));
    let (hook, secret) = make_hook(&s, &admin, json!({"url": rx.url("/")})).await;
    submit_alert(&s, &answer(1, 5, None)).await;
    let list = deliveries_in(&s, &admin, &hook, "dead").await;
    assert_eq!(list[0]["attempts"], 3);
    assert_eq!(rx.seen().len(), 3);

    // Listed as a dead letter, across hooks.
    let dead = s.get_ok("/api/v1/deliveries?state=dead", &admin).await;
    let dead = dead.as_array().unwrap();
    assert_eq!(dead.len(), 1);
    let id = dead[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(dead[0]["hook"], hook.as_str());
    assert!(s
        .get_ok("/api/v1/deliveries?state=pending", &admin)
        .await
        .as_array()
        .unwrap()
        .is_empty());

    // The receiver is fixed; an admin replays the letter.
    rx.then(Reply::Status(204));
    let res = s
        .client
        .post(s.url(&format!("/api/v1/deliveries/{id}/replay")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let replayed: Value = res.json().await.unwrap();
    assert_eq!(replayed["state"], "pending");
    assert_eq!(replayed["replays"], 1);
    let list = deliveries_in(&s, &admin, &hook, "delivered").await;
    assert_eq!(list[0]["attempts"], 1);
    let seen = rx.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3].replied, 204);
    assert_eq!(seen[3].id(), seen[0].id(), "a replay keeps the webhook-id");
    verify(&secret, &seen[3]);
    assert!(s
        .get_ok("/api/v1/deliveries?state=dead", &admin)
        .await
        .as_array()
        .unwrap()
        .is_empty());

    // No such delivery; a replay of one still pending is refused.
    let res = s
        .client
        .post(s.url("/api/v1/deliveries/nope/replay"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    s.stop().await;
}

/// Opens the folder, retrying while the previous store lets go of sled's lock.
async fn reopen(config: Config) -> Server {
    for _ in 0..100 {
        match collector::open(config.clone()) {
            Ok(state) => return Server::serve(state).await,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    Server::start(config).await
}

#[tokio::test]
async fn a_delivery_pending_when_the_server_stops_arrives_once_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(hook_config(dir.path())).await;
    let admin = with_alert_form(&s).await;
    // A port with nobody listening yet: the receiver is down.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = down.local_addr().unwrap();
    drop(down);
    let (hook, secret) = make_hook(&s, &admin, json!({"url": format!("http://{addr}/")})).await;
    submit_alert(&s, &answer(1, 5, None)).await;
    // Wait for a failed attempt or two.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = s
            .get_ok(&format!("/api/v1/hooks/{hook}/deliveries"), &admin)
            .await;
        if list[0]["attempts"].as_u64().unwrap_or(0) >= 1 {
            assert_eq!(list[0]["state"], "pending");
            assert!(list[0]["history"][0]["error"].is_string(), "{list}");
            break;
        }
        assert!(Instant::now() < deadline, "no attempt: {list}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.stop().await;

    let rx = Receiver::start_on(addr).await;
    let s = reopen(hook_config(dir.path())).await;
    let list = deliveries_in(&s, &admin, &hook, "delivered").await;
    assert_eq!(list.len(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = rx.seen();
    assert_eq!(seen.len(), 1, "delivered once: {seen:#?}");
    verify(&secret, &seen[0]);
    s.stop().await;
}

#[tokio::test]
async fn hooks_to_private_addresses_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The default: private webhooks refused.
    let s = Server::start(config(dir.path())).await;
    let admin = s.token(Role::Admin);
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://[::ffff:192.168.1.1]/",
        "http://localhost:9000/",
        "ftp://alerts.example/",
    ] {
        let res = post_hook(&s, &admin, json!({"url": url})).await;
        assert_eq!(res.status(), 422, "{url}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "url", "{url}: {body}");
    }
    for (body, field) in [
        // An address of the documentation range: nothing is sent there,
        // as nothing is stored.
        (
            json!({"url": "https://192.0.2.10/", "events": ["everything"]}),
            "events",
        ),
        (
            json!({"url": "https://192.0.2.10/", "forms": ["nope"]}),
            "forms",
        ),
    ] {
        let res = post_hook(&s, &admin, body).await;
        assert_eq!(res.status(), 422);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    assert!(s
        .get_ok("/api/v1/hooks", &admin)
        .await
        .as_array()
        .unwrap()
        .is_empty());
    s.stop().await;
}

/// A hook made while private addresses were allowed, to a name that
/// resolves to loopback: once they are not, the delivery is refused
/// after resolution (as a name rebound to a private address would be),
/// and nothing reaches the receiver.
#[tokio::test]
async fn a_name_that_resolves_to_a_private_address_is_refused_at_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(hook_config(dir.path())).await;
    let admin = with_alert_form(&s).await;
    let rx = Receiver::start(&[]).await;
    let (hook, _) = make_hook(
        &s,
        &admin,
        json!({"url": format!("http://localhost:{}/", rx.addr.port())}),
    )
    .await;
    s.stop().await;
    let s = reopen(Config {
        allow_private_webhooks: false,
        ..hook_config(dir.path())
    })
    .await;
    submit_alert(&s, &answer(1, 5, None)).await;
    let list = deliveries_in(&s, &admin, &hook, "dead").await;
    let error = list[0]["history"][0]["error"].as_str().unwrap();
    assert!(error.contains("localhost resolves to"), "{error}");
    assert_eq!(list[0]["attempts"], 1);
    assert!(rx.seen().is_empty());
    s.stop().await;
}

#[tokio::test]
async fn safeguarding_alerts_go_only_to_hooks_that_take_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(hook_config(dir.path())).await;
    let admin = with_alert_form(&s).await;
    let rx = Receiver::start(&[]).await;
    make_hook(&s, &admin, json!({"url": rx.url("/alerts")})).await;
    make_hook(
        &s,
        &admin,
        json!({"url": rx.url("/safeguarding"), "events": ["safeguarding"]}),
    )
    .await;
    make_hook(
        &s,
        &admin,
        json!({"url": rx.url("/both"), "events": ["alert", "safeguarding"]}),
    )
    .await;
    // Another form's alerts only.
    make_hook(
        &s,
        &admin,
        json!({"url": rx.url("/mini"), "forms": ["mini"]}),
    )
    .await;
    // A team's alerts only: these responses came through no invitation.
    make_hook(
        &s,
        &admin,
        json!({"url": rx.url("/east"), "teams": ["east"]}),
    )
    .await;

    // Satisfied, but threatened: safeguarding.
    submit_alert(&s, &answer(1, 1, Some("threat"))).await;
    let seen = rx.wait_for(2, Duration::from_secs(5)).await;
    let mut paths: Vec<&str> = seen.iter().map(|x| x.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/both", "/safeguarding"]);
    for x in &seen {
        let body = x.json();
        assert_eq!(body["type"], "safeguarding");
        assert_eq!(body["data"]["rules"], json!(["safeguarding:threat"]));
    }

    // Dissatisfied, nothing worrying: an ordinary alert.
    submit_alert(&s, &answer(2, 5, Some("no"))).await;
    let seen = rx.wait_for(4, Duration::from_secs(5)).await;
    let mut paths: Vec<&str> = seen[2..].iter().map(|x| x.path.as_str()).collect();
    paths.sort();
    assert_eq!(paths, ["/alerts", "/both"]);
    assert!(seen[2..].iter().all(|x| x.json()["type"] == "alert"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.seen().len(), 4);
    s.stop().await;
}

#[tokio::test]
async fn a_deleted_hook_gets_nothing_more() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(hook_config(dir.path())).await;
    let admin = with_alert_form(&s).await;
    let rx = Receiver::start(&[]).await;
    let (hook, _) = make_hook(&s, &admin, json!({"url": rx.url("/")})).await;
    let res = s
        .client
        .delete(s.url(&format!("/api/v1/hooks/{hook}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = s
        .client
        .delete(s.url(&format!("/api/v1/hooks/{hook}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    submit_alert(&s, &answer(1, 5, None)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.seen().is_empty());

    // A hook deleted while a delivery to it waits for its next attempt:
    // the delivery becomes a dead letter, which cannot be replayed.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = down.local_addr().unwrap();
    drop(down);
    let (hook, _) = make_hook(&s, &admin, json!({"url": format!("http://{addr}/")})).await;
    submit_alert(&s, &answer(2, 5, None)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        let list = s
            .get_ok(&format!("/api/v1/hooks/{hook}/deliveries"), &admin)
            .await;
        if list[0]["attempts"].as_u64().unwrap_or(0) >= 1 {
            break list[0]["id"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no attempt: {list}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let res = s
        .client
        .delete(s.url(&format!("/api/v1/hooks/{hook}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let dead = s
            .get_ok(
                &format!("/api/v1/deliveries?hook={hook}&state=dead"),
                &admin,
            )
            .await;
        if let Some(d) = dead.as_array().unwrap().first() {
            let last = d["history"].as_array().unwrap().last().unwrap().clone();
            assert!(
                last["error"].as_str().unwrap().contains("hook was deleted"),
                "{d}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "not dead");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let res = s
        .client
        .post(s.url(&format!("/api/v1/deliveries/{id}/replay")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    s.stop().await;
}

/// A fan-out that made one alert's delivery and took the alert out of the
/// outbox, then failed to write the next (a disk failing for a moment):
/// the first delivery, on the store but off the schedule, is still sent,
/// and the second alert is fanned out again. Before, the first waited for
/// a restart.
#[tokio::test]
async fn a_delivery_made_before_a_failed_write_is_still_sent() {
    use collector::model::{record, NewResponse};
    use collector::store::{Doc, Store};
    use std::collections::BTreeMap;
    use survey::Answer;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(harness::MemStore::new());
    let state = collector::AppState {
        store: store.clone(),
        config: Arc::new(hook_config(dir.path())),
        indexes: Arc::new(collector::index::Indexes::new(analysis::Scorer::new())),
        metrics: Default::default(),
        feed: Default::default(),
        places: Default::default(),
        tally: Default::default(),
        proofs: Default::default(),
    };
    let s = Server::serve(state).await;
    let admin = with_alert_form(&s).await;
    let rx = Receiver::start(&[]).await;
    rx.then(Reply::Status(204));
    make_hook(&s, &admin, json!({"url": rx.url("/")})).await;
    // Two alerts in the outbox at once (straight into the store, so the
    // worker finds them together at its next look), and the second
    // delivery's write fails.
    store.fail_doc_write(Doc::Delivery, 1);
    let form = store.form("service").unwrap();
    for n in 1..=2u128 {
        let r = NewResponse {
            form: "service".into(),
            version: form.form.version,
            location: None,
            channel: "embed".into(),
            lang: "en".into(),
            answers: BTreeMap::from([("overall".to_owned(), Answer::Number(5))]),
            coding: BTreeMap::new(),
            flag: None,
            attributes: BTreeMap::new(),
            personal: BTreeMap::new(),
            invitation: None,
        };
        let bytes = record::encode(&r, Some(&record::Names::of(&form.form)));
        store
            .submit(&r, bytes, &uuid(n), vec!["dissatisfied".into()])
            .await
            .unwrap();
    }
    let seen = rx.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(seen.len(), 2, "both alerts delivered");
    assert_ne!(seen[0].id(), seen[1].id());
    drop((store, form));
    s.stop().await;
}
