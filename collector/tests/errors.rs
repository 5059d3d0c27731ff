//! Bad input: each gets problem+json with a specific message, and nothing
//! is stored.

use crate::common::*;
use collector::model::Role;
use serde_json::{json, Value};

async fn problem(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

#[tokio::test]
async fn each_bad_request_gets_its_own_status_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let url = s.url("/api/v1/forms/mini/responses");

    let res = s
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"submission_id\": ")
        .send()
        .await
        .unwrap();
    let p = problem(res, 400).await;
    assert!(
        p["detail"].as_str().unwrap().contains("not valid JSON"),
        "{p}"
    );

    let p = problem(s.submit("no-such-form", &valid_submission(1)).await, 404).await;
    assert!(p["detail"].as_str().unwrap().contains("no-such-form"));

    let big = json!({"submission_id": uuid(2), "answers": {"why_unsafe": "x".repeat(70_000)}});
    problem(s.submit("mini", &big).await, 413).await;

    let res = s
        .client
        .post(&url)
        .header("content-type", "text/plain")
        .body(valid_submission(3).to_string())
        .send()
        .await
        .unwrap();
    let p = problem(res, 415).await;
    assert!(p["detail"].as_str().unwrap().contains("application/json"));

    let res = s
        .client
        .post(&url)
        .body(valid_submission(3).to_string())
        .send()
        .await
        .unwrap();
    problem(res, 415).await;

    // Invalid answers: every question at fault is listed with its code.
    let bad = json!({
        "submission_id": "not-a-uuid",
        "answers": {"safe": 9, "priorities": ["asb", "theft", "drugs"], "why_unsafe": "x", "nope": 1},
        "location": "mars"
    });
    let p = problem(s.submit("mini", &bad).await, 422).await;
    let mut got: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            // An unknown place is kept as `unknown`, never a reason to
            // refuse (tests/places.rs).
            ("nope".into(), "unknown_question".into()),
            ("priorities".into(), "too_many".into()),
            ("safe".into(), "out_of_range".into()),
            ("submission_id".into(), "invalid".into()),
            ("who".into(), "required".into()),
            // `safe` is invalid, so the follow-up was not shown.
            ("why_unsafe".into(), "not_shown".into()),
        ]
    );
    let who = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "who")
        .unwrap();
    assert_eq!(who["message"], "Select an answer for ‘Who are you?’");

    let p = problem(s.submit("mini", &json!([1, 2])).await, 422).await;
    assert_eq!(p["errors"][0]["field"], "body");

    let token = s.token(Role::Analyst);
    let rows = s.export_all("mini", &token).await;
    assert!(rows.is_empty(), "nothing half-written: {rows:?}");
    s.stop().await;
}

#[tokio::test]
async fn tokens_missing_unknown_or_weak_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let url = s.url("/api/v1/forms/mini/responses");

    let res = s.client.get(&url).send().await.unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    problem(res, 401).await;
    problem(
        s.client
            .get(&url)
            .bearer_auth("0".repeat(64))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    problem(
        s.client
            .get(&url)
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    problem(
        s.client.get(s.url("/api/v1/forms")).send().await.unwrap(),
        401,
    )
    .await;

    let analyst = s.token(Role::Analyst);
    let res = s
        .client
        .post(s.url("/api/v1/tokens"))
        .bearer_auth(&analyst)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    problem(res, 403).await;

    for (path, status) in [
        ("/api/v1/forms/mini/responses?after=zzz", 400),
        ("/api/v1/forms/mini/responses?limit=0", 400),
        ("/api/v1/forms/ghost/responses", 404),
    ] {
        let res = s
            .client
            .get(s.url(path))
            .bearer_auth(&analyst)
            .send()
            .await
            .unwrap();
        problem(res, status).await;
    }
    problem(
        s.client.get(s.url("/no/such/route")).send().await.unwrap(),
        404,
    )
    .await;
    s.stop().await;
}

/// Each kind of bad submission has its own specific answer, none is a 5xx,
/// and none stores anything: deeply nested, wrong-typed, an unknown or a
/// misplaced field (a `version` the wire format does not take), invalid
/// UTF-8, and a replay of a stored submission id with other answers.
#[tokio::test]
async fn odd_bodies_each_get_a_specific_error_and_a_replay_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let url = s.url("/api/v1/forms/mini/responses");
    let raw = |body: Vec<u8>| {
        s.client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    // 20,000 nested arrays (within the size limit): refused as JSON, not a
    // stack overflow.
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let p = problem(raw(deep.into_bytes()).await.unwrap(), 400).await;
    assert!(
        p["detail"].as_str().unwrap().contains("not valid JSON"),
        "{p}"
    );
    // Nested inside an answer, within the size limit: the answer is wrong.
    let mut nested = json!("x");
    for _ in 0..100 {
        nested = json!([nested]);
    }
    let sub = json!({"submission_id": uuid(10), "answers": {"who": nested, "safe": 2}});
    let p = problem(s.submit("mini", &sub).await, 422).await;
    assert_eq!(p["errors"][0]["field"], "who", "{p}");

    // Invalid UTF-8 inside a string.
    let mut bytes =
        br#"{"submission_id": "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f", "answers": {"who": ""#
            .to_vec();
    bytes.extend([0xff, 0xfe]);
    bytes.extend(br#""}}"#);
    let p = problem(raw(bytes).await.unwrap(), 400).await;
    assert!(
        p["detail"].as_str().unwrap().contains("not valid JSON"),
        "{p}"
    );

    // Wrong types: a word for a scale, a number for a choice, an object
    // for the answers.
    let wrong = json!({"submission_id": uuid(11), "answers": {"who": 3, "safe": "two"}});
    let p = problem(s.submit("mini", &wrong).await, 422).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"who") && fields.contains(&"safe"), "{p}");
    let p = problem(
        s.submit("mini", &json!({"submission_id": uuid(12), "answers": [1]}))
            .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "answers", "{p}");

    // A field the wire format does not have (a client sending the form
    // version it saw): named, not ignored.
    let mut versioned = valid_submission(13);
    versioned["version"] = json!(7);
    let p = problem(s.submit("mini", &versioned).await, 422).await;
    assert_eq!(p["errors"][0]["field"], "version", "{p}");

    // A replay of a stored submission id with other answers: the first
    // answers stand, the same id comes back, nothing new is stored.
    let first = s.submit("mini", &valid_submission(14)).await;
    assert_eq!(first.status(), 201);
    let id = first.json::<Value>().await.unwrap()["id"].clone();
    let mut replay = valid_submission(14);
    replay["answers"]["who"] = json!("visitor");
    let again = s.submit("mini", &replay).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], id);

    let token = s.token(Role::Analyst);
    let rows = s.export_all("mini", &token).await;
    assert_eq!(rows.len(), 1, "only the valid first submission: {rows:?}");
    assert_eq!(
        rows[0]["answers"]["who"], "worker",
        "the first answers stand"
    );
    s.stop().await;
}
