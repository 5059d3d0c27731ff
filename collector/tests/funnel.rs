//! The response-rate funnel over a real socket and a real sled: events
//! from browsers (as JSON and as `sendBeacon` bodies), views counted by
//! the hosted page itself, completions counted from stored responses,
//! and the funnel read back with hand-counted figures, grouped, filtered,
//! refused where it should be, and kept across a restart.
//!
//! The hand count (form `mini`, whose questions are who, safe,
//! why_unsafe, priorities):
//!
//! | site (ward)          | channel | views        | starts | leaves (at) | completions |
//! |----------------------|---------|--------------|--------|-------------|-------------|
//! | bank (cheap)         | qr      | 5 + 1 hosted | 4      | 1 (safe)    | 3           |
//! | aldgate (portsoken)  | embed   | 4            | 2      | 1 (who)     | 1           |
//! | total                |         | 10           | 6      | 2           | 4           |

use crate::common::*;
use collector::model::Role;
use serde_json::{json, Value};
use std::path::Path;

const FORM: &str = "mini";
const Z: f64 = 1.959_963_984_540_054;

/// Two sectors, a ward in each, a site in each ward.
const REGISTER: &str = r#"{
  "sectors": [{"id": "east", "name": "East"}, {"id": "west", "name": "West"}],
  "clusters": [{"id": "fenchurch", "name": "Fenchurch", "sector": "east"},
               {"id": "poultry", "name": "Poultry", "sector": "west"}],
  "wards": [{"id": "portsoken", "name": "Portsoken", "cluster": "fenchurch"},
            {"id": "cheap", "name": "Cheap", "cluster": "poultry"}],
  "sites": [{"id": "aldgate", "name": "Aldgate", "ward": "portsoken", "installed": "2025-01-01"},
            {"id": "bank", "name": "Bank", "ward": "cheap", "installed": "2025-01-01"}]
}"#;

fn funnel_config(dir: &Path) -> collector::Config {
    let places = dir.join("places.json");
    std::fs::write(&places, REGISTER).unwrap();
    collector::Config {
        places: Some(places),
        ..config(&dir.join("data"))
    }
}

/// The Wilson score interval, written out from its formula here rather
/// than taken from `analysis`, so the test checks the collector's sums.
fn wilson(x: f64, n: f64) -> (f64, f64) {
    let p = x / n;
    let centre = (p + Z * Z / (2.0 * n)) / (1.0 + Z * Z / n);
    let half = Z / (1.0 + Z * Z / n) * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt();
    (centre - half, centre + half)
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

/// Posts one event with `content_type`; its status.
async fn post_event(s: &Server, body: &Value, content_type: &str) -> reqwest::Response {
    s.client
        .post(s.url("/api/v1/events"))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

fn event(step: &str, location: &str, channel: &str, last: Option<&str>) -> Value {
    let mut e = json!({"form": FORM, "version": 1, "event": step,
                       "location": location, "channel": channel, "lang": "en"});
    if let Some(q) = last {
        e["last_question"] = json!(q);
    }
    e
}

fn submission(n: u128, location: &str, channel: &str) -> Value {
    json!({
        "submission_id": uuid(n),
        "answers": {"who": "worker", "safe": 4},
        "location": location,
        "channel": channel,
        "lang": "en"
    })
}

async fn funnel(s: &Server, token: &str, query: &str) -> reqwest::Response {
    s.client
        .get(s.url(&format!("/api/v1/forms/{FORM}/funnel{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn funnel_json(s: &Server, token: &str, query: &str) -> Value {
    let res = funnel(s, token, query).await;
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

/// Checks one set of figures against a hand count.
fn assert_figures(
    f: &Value,
    (views, starts, completions): (u64, u64, u64),
    stopped: &[(&str, u64)],
    what: &str,
) {
    assert_eq!(f["views"], views, "{what}: views in {f}");
    assert_eq!(f["starts"], starts, "{what}: starts in {f}");
    assert_eq!(f["completions"], completions, "{what}: completions in {f}");
    let (v, st, c) = (views as f64, starts as f64, completions as f64);
    assert!(close(&f["completion_rate"], c / v), "{what}: rate in {f}");
    assert!(close(&f["start_rate"], st / v), "{what}: start rate in {f}");
    let (low, high) = wilson(c, v);
    assert!(close(&f["completion_ci_low"], low), "{what}: {low} in {f}");
    assert!(
        close(&f["completion_ci_high"], high),
        "{what}: {high} in {f}"
    );
    let want: Vec<Value> = stopped
        .iter()
        .map(|(q, n)| json!({"question": q, "count": n}))
        .collect();
    assert_eq!(f["stopped_at"], json!(want), "{what}: stopped_at");
    assert_eq!(
        f["leaves"],
        stopped.iter().map(|(_, n)| n).sum::<u64>(),
        "{what}"
    );
}

const BANK: (u64, u64, u64) = (6, 4, 3);
const ALDGATE: (u64, u64, u64) = (4, 2, 1);
const ALL: (u64, u64, u64) = (10, 6, 4);

/// Sends the hand-counted events and responses.
async fn send_the_hand_count(s: &Server) {
    // Bank: five views from the widget (two as sendBeacon bodies), one
    // from the hosted page below; four starts; one left at `safe`.
    for i in 0..5 {
        let ct = if i < 2 {
            "text/plain;charset=UTF-8"
        } else {
            "application/json"
        };
        let res = post_event(s, &event("view", "bank", "qr", None), ct).await;
        assert_eq!(res.status(), 202);
        assert!(res.bytes().await.unwrap().is_empty(), "202 with no body");
    }
    for _ in 0..4 {
        let res = post_event(s, &event("start", "bank", "qr", None), "application/json").await;
        assert_eq!(res.status(), 202);
    }
    let res = post_event(
        s,
        &event("leave", "bank", "qr", Some("safe")),
        "text/plain;charset=UTF-8",
    )
    .await;
    assert_eq!(res.status(), 202);
    // The hosted page counts its own view and tells the widget so.
    let page = s
        .client
        .get(s.url("/f/mini?loc=bank&ch=qr&lang=en"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-view-counted="1""#), "{html}");

    // Aldgate, from a partner page (its origin is allowed): four views,
    // two starts, one left at `who`.
    for (step, n, last) in [
        ("view", 4, None),
        ("start", 2, None),
        ("leave", 1, Some("who")),
    ] {
        for _ in 0..n {
            let res = s
                .client
                .post(s.url("/api/v1/events"))
                .header("content-type", "text/plain;charset=UTF-8")
                .header("origin", ORIGIN)
                .body(event(step, "aldgate", "embed", last).to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 202, "{step}");
        }
    }

    // Completions are the responses stored: three at Bank, one at
    // Aldgate; a retry of one is stored once and counted once.
    for n in 1..=3 {
        assert_eq!(
            s.submit(FORM, &submission(n, "bank", "qr")).await.status(),
            201
        );
    }
    assert_eq!(
        s.submit(FORM, &submission(3, "bank", "qr")).await.status(),
        200
    );
    assert_eq!(
        s.submit(FORM, &submission(4, "aldgate", "embed"))
            .await
            .status(),
        201
    );
}

/// Every figure of the hand count, overall, by ward and by channel, and
/// through each filter.
async fn assert_the_hand_count(s: &Server, token: &str) {
    let all = funnel_json(s, token, "").await;
    assert_figures(&all["overall"], ALL, &[("who", 1), ("safe", 1)], "overall");
    assert_eq!(all["groups"], json!([]));
    // The figures themselves, as worked out by hand: 4 of 10.
    assert!(close(&all["overall"]["completion_rate"], 0.4));
    assert!(close(&all["overall"]["start_rate"], 0.6));
    let (low, high) = wilson(4.0, 10.0);
    assert!((low - 0.1682).abs() < 1e-4 && (high - 0.6873).abs() < 1e-4);

    let by_ward = funnel_json(s, token, "?by=ward").await;
    assert_eq!(by_ward["by"], "ward");
    let groups = by_ward["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{by_ward}");
    assert_eq!(groups[0]["group"], "cheap");
    assert_figures(&groups[0], BANK, &[("safe", 1)], "cheap");
    assert_eq!(groups[1]["group"], "portsoken");
    assert_figures(&groups[1], ALDGATE, &[("who", 1)], "portsoken");
    assert_figures(
        &by_ward["overall"],
        ALL,
        &[("who", 1), ("safe", 1)],
        "by ward",
    );

    let by_channel = funnel_json(s, token, "?by=channel").await;
    let groups = by_channel["groups"].as_array().unwrap();
    assert_eq!(groups[0]["group"], "embed");
    assert_figures(&groups[0], ALDGATE, &[("who", 1)], "embed");
    assert_eq!(groups[1]["group"], "qr");
    assert_figures(&groups[1], BANK, &[("safe", 1)], "qr");

    let by_sector = funnel_json(s, token, "?by=sector").await;
    let labels: Vec<&str> = by_sector["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["east", "west"]);

    for (query, want, stopped) in [
        ("?ward=portsoken", ALDGATE, &[("who", 1)][..]),
        ("?site=bank", BANK, &[("safe", 1)][..]),
        ("?sector=west", BANK, &[("safe", 1)][..]),
        ("?channel=embed", ALDGATE, &[("who", 1)][..]),
        ("?location=aldgate&lang=en", ALDGATE, &[("who", 1)][..]),
        (
            "?from=2000-01-01&version=1",
            ALL,
            &[("who", 1), ("safe", 1)][..],
        ),
    ] {
        let f = funnel_json(s, token, query).await;
        assert_figures(&f["overall"], want, stopped, query);
    }
    // A period with nothing in it: zeros, and no rate to speak of.
    let none = funnel_json(s, token, "?to=2000-01-01").await;
    assert_eq!(none["overall"]["views"], 0);
    assert_eq!(none["overall"]["completion_rate"], Value::Null);
    assert_eq!(none["overall"]["completion_ci_low"], Value::Null);
    assert_eq!(none["overall"]["start_rate"], Value::Null);
}

/// 422 naming the field at fault.
async fn assert_unprocessable(s: &Server, body: &Value, field: &str) -> Value {
    let res = post_event(s, body, "application/json").await;
    assert_eq!(res.status(), 422, "{body}");
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "{body}"
    );
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    problem
}

#[tokio::test]
async fn the_funnel_counts_by_hand_and_keeps_its_counts_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(funnel_config(dir.path())).await;
    let token = s.token(Role::Analyst);
    send_the_hand_count(&s).await;
    assert_the_hand_count(&s, &token).await;

    // The background flush puts every count in the store within a
    // second or so, without waiting for a stop.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let stored: u64 = s
            .state
            .store
            .counts(FORM)
            .unwrap()
            .iter()
            .map(|(_, n)| n)
            .sum();
        // 10 views, 6 starts, 2 leaves, 4 completions.
        if stored == 22 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {stored} of 22 counts were flushed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.stop().await;

    // The same data folder, opened again: the same funnel.
    let s = Server::start(funnel_config(dir.path())).await;
    let token = s.token(Role::Analyst);
    assert_the_hand_count(&s, &token).await;

    // Tags are made safe, never refused: an unknown place is `unknown`,
    // an odd channel folded into a word.
    let odd = json!({"form": FORM, "version": 1, "event": "view",
                     "location": "Narnia!", "channel": "Twitter Ads", "lang": "xx"});
    assert_eq!(post_event(&s, &odd, "application/json").await.status(), 202);
    let f = funnel_json(&s, &token, "?channel=twitter-ads&by=location").await;
    assert_eq!(f["groups"][0]["group"], "unknown", "{f}");
    assert_eq!(f["groups"][0]["views"], 1);
    let f = funnel_json(&s, &token, "?channel=twitter-ads&by=lang").await;
    assert_eq!(f["groups"][0]["group"], "en", "the form's default language");
    s.stop().await;
}

#[tokio::test]
async fn a_stop_stores_the_counts_not_yet_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(funnel_config(dir.path())).await;
    for _ in 0..3 {
        let res = post_event(&s, &event("view", "bank", "qr", None), "application/json").await;
        assert_eq!(res.status(), 202);
    }
    // Stopped at once: the last flush is the server's own, on its way out.
    s.stop().await;
    let s = Server::start(funnel_config(dir.path())).await;
    let token = s.token(Role::Analyst);
    assert_eq!(funnel_json(&s, &token, "").await["overall"]["views"], 3);
    s.stop().await;
}

#[tokio::test]
async fn events_are_refused_with_the_field_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(funnel_config(dir.path())).await;

    let problem = assert_unprocessable(&s, &event("complete", "bank", "qr", None), "event").await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("counts them from the responses it stores"),
        "{problem}"
    );
    assert_unprocessable(&s, &event("click", "bank", "qr", None), "event").await;
    assert_unprocessable(
        &s,
        &event("leave", "bank", "qr", Some("nope")),
        "last_question",
    )
    .await;
    assert_unprocessable(&s, &event("leave", "bank", "qr", None), "last_question").await;
    assert_unprocessable(
        &s,
        &event("view", "bank", "qr", Some("nope")),
        "last_question",
    )
    .await;
    let mut v9 = event("view", "bank", "qr", None);
    v9["version"] = json!(9);
    assert_unprocessable(&s, &v9, "version").await;
    assert_unprocessable(&s, &json!({"version": 1, "event": "view"}), "form").await;

    let mut unknown = event("view", "bank", "qr", None);
    unknown["form"] = json!("nope");
    let res = post_event(&s, &unknown, "application/json").await;
    assert_eq!(res.status(), 404);

    let res = post_event(&s, &event("view", "bank", "qr", None), "text/xml").await;
    assert_eq!(res.status(), 415);
    let mut big = event("view", "bank", "qr", None);
    big["padding"] = json!("x".repeat(4000));
    assert_eq!(post_event(&s, &big, "application/json").await.status(), 413);
    let res = s
        .client
        .post(s.url("/api/v1/events"))
        .header("content-type", "text/plain")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = s
        .client
        .post(s.url("/api/v1/events"))
        .header("content-type", "application/json")
        .header("origin", "https://elsewhere.example")
        .body(event("view", "bank", "qr", None).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "an origin the form does not allow");

    // A partner page's browser may ask first (CORS preflight).
    let res = s
        .client
        .request(reqwest::Method::OPTIONS, s.url("/api/v1/events"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);

    // Nothing refused was counted.
    let token = s.token(Role::Analyst);
    let f = funnel_json(&s, &token, "").await;
    assert_eq!(f["overall"]["views"], 0, "{f}");

    // The funnel's own refusals: 400 naming the parameter, 404, 401.
    for (query, field) in [
        ("?by=street", "by"),
        ("?by=ward&by=site", "by"),
        ("?ward=narnia", "ward"),
        ("?site=bank,nowhere", "site"),
        ("?from=June", "from"),
        ("?from=2025-06-02&to=2025-06-01", "to"),
        ("?version=two", "version"),
        ("?colour=blue", "colour"),
    ] {
        let res = funnel(&s, &token, query).await;
        assert_eq!(res.status(), 400, "{query}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    let res = s
        .client
        .get(s.url("/api/v1/forms/nope/funnel"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = s
        .client
        .get(s.url("/api/v1/forms/mini/funnel"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    s.stop().await;
}

/// A supervisor reads the funnel of their places only.
#[tokio::test]
async fn a_supervisor_sees_the_funnel_of_their_places() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(funnel_config(dir.path())).await;
    send_the_hand_count(&s).await;
    let cheap = s.supervisor_token(&[], &["cheap"]);
    let f = funnel_json(&s, &cheap, "?by=site").await;
    assert_figures(&f["overall"], BANK, &[("safe", 1)], "cheap's supervisor");
    assert_eq!(f["groups"].as_array().unwrap().len(), 1);
    assert_eq!(f["groups"][0]["group"], "bank");
    let res = funnel(&s, &cheap, "?location=aldgate").await;
    assert_eq!(res.status(), 403);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "location");
    let team_only = s.supervisor_token(&["East"], &[]);
    assert_eq!(funnel(&s, &team_only, "").await.status(), 403);
    s.stop().await;
}

/// Events have a per-client budget of their own: a person's events do
/// not use up their budget for sending answers.
#[tokio::test]
async fn events_are_rate_limited_per_client_apart_from_answers() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(collector::Config {
        rate_limit: 2,
        ..funnel_config(dir.path())
    })
    .await;
    for _ in 0..2 {
        let res = post_event(&s, &event("view", "bank", "qr", None), "application/json").await;
        assert_eq!(res.status(), 202);
    }
    let res = post_event(&s, &event("view", "bank", "qr", None), "application/json").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(
        s.submit(FORM, &submission(1, "bank", "qr")).await.status(),
        201,
        "the answer's budget is untouched"
    );
    let metrics = s
        .client
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"collector_funnel_events_total{step="view"} 2"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"collector_funnel_events_total{step="complete"} 1"#),
        "{metrics}"
    );
    s.stop().await;
}
