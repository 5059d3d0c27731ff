//! Every route, over a real socket.

use crate::common::*;
use collector::model::Role;
use serde_json::{json, Value};

#[tokio::test]
async fn health_form_and_openapi() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;

    let res = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    let res = s
        .client
        .get(s.url("/api/v1/forms/mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let form: Value = res.json().await.unwrap();
    assert_eq!(form["id"], "mini");
    assert_eq!(form["version"], 1);
    assert_eq!(form["questions"][2]["show_if"]["question"], "safe");

    let res = s
        .client
        .get(s.url("/api/v1/forms/mini"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304, "a matching ETag is answered 304");

    let res = s
        .client
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    for path in [
        "/api/v1/forms",
        "/api/v1/forms/{form}",
        "/api/v1/forms/{form}/responses",
        "/api/v1/tokens",
    ] {
        assert!(doc["paths"][path].is_object(), "openapi lacks {path}");
    }
    s.stop().await;
}

/// The form a phone fetches, and what analysts pull, come compressed to a
/// client that accepts it, and the same to one that does not.
#[tokio::test]
async fn reads_are_compressed_for_clients_that_accept_them() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    for i in 0..20 {
        assert_eq!(s.submit("mini", &valid_submission(i)).await.status(), 201);
    }
    let analyst = s.token(Role::Analyst);
    for path in [
        "/api/v1/forms/mini",
        "/api/v1/forms",
        "/api/v1/forms/mini/aggregates?by=location",
        "/api/v1/forms/mini/responses",
    ] {
        let get = |encoding: &'static str| {
            s.client
                .get(s.url(path))
                .bearer_auth(&analyst)
                .header("accept-encoding", encoding)
                .send()
        };
        let plain = get("identity").await.unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        let plain = plain.bytes().await.unwrap();

        let res = get("gzip").await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        assert!(
            res.headers()["vary"]
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding"),
            "{path}"
        );
        let zipped = res.bytes().await.unwrap();
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, plain, "{path}: the same document");

        let res = get("br").await.unwrap();
        assert_eq!(res.headers()["content-encoding"], "br", "{path}");
        let squeezed = res.bytes().await.unwrap();
        let mut unsqueezed = Vec::new();
        brotli_decompressor::Decompressor::new(&squeezed[..], 4096)
            .read_to_end(&mut unsqueezed)
            .unwrap();
        assert_eq!(unsqueezed, plain, "{path}: the same document, in brotli");
    }
    // The form itself shrinks to well under half.
    let form = |encoding: &'static str| {
        s.client
            .get(s.url("/api/v1/forms/mini"))
            .header("accept-encoding", encoding)
            .send()
    };
    let plain = form("identity").await.unwrap().bytes().await.unwrap().len();
    let zipped = form("gzip").await.unwrap().bytes().await.unwrap().len();
    assert!(zipped * 2 < plain, "{zipped} of {plain} bytes");
    s.stop().await;
}

#[tokio::test]
async fn submit_then_export_with_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let token = s.token(Role::Analyst);

    let res = s.submit("mini", &valid_submission(1)).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 32);

    let rows = s.export_all("mini", &token).await;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["id"], id.as_str());
    assert_eq!(r["form"], "mini");
    assert_eq!(r["version"], 1);
    assert_eq!(r["location"], "bank");
    assert_eq!(r["channel"], "qr");
    assert_eq!(r["lang"], "pl");
    assert_eq!(
        r["answers"],
        json!({"who": "worker", "safe": 2, "why_unsafe": "dark alley", "priorities": ["asb", "theft"]})
    );
    assert!(r["received_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        r.get("submission_id").is_none(),
        "client ids are not exported"
    );

    let list: Value = s
        .client
        .get(s.url("/api/v1/forms"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list,
        json!([{"id": "mini", "version": 1, "title": "Mini survey", "responses": 1}])
    );
    s.stop().await;
}

#[tokio::test]
async fn export_pages_with_cursor_and_link_header() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let token = s.token(Role::Analyst);
    for n in 0..7 {
        assert_eq!(s.submit("mini", &valid_submission(n)).await.status(), 201);
    }
    let res = s
        .client
        .get(s.url("/api/v1/forms/mini/responses?limit=3"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let link = res.headers()["link"].to_str().unwrap().to_owned();
    let page: Vec<Value> = res
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(page.len(), 3);
    assert!(
        link.contains(&format!("after={}", page[2]["id"].as_str().unwrap())),
        "{link}"
    );

    let all = s.export_all("mini", &token).await;
    let ids: Vec<&str> = all.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ids sort in arrival order");
    assert_eq!(ids.len(), 7);
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no row twice across pages");
    s.stop().await;
}

#[tokio::test]
async fn retry_with_same_submission_id_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let token = s.token(Role::Analyst);
    let body = valid_submission(42);
    let first = s.submit("mini", &body).await;
    assert_eq!(first.status(), 201);
    let first_id = first.json::<Value>().await.unwrap()["id"].clone();
    for _ in 0..3 {
        let again = s.submit("mini", &body).await;
        assert_eq!(again.status(), 200, "a retry is acknowledged, not created");
        assert_eq!(again.json::<Value>().await.unwrap()["id"], first_id);
    }
    // Different answers under the same id are still the same submission.
    let mut changed = body.clone();
    changed["answers"]["safe"] = json!(5);
    changed["answers"]
        .as_object_mut()
        .unwrap()
        .remove("why_unsafe");
    assert_eq!(s.submit("mini", &changed).await.status(), 200);
    assert_eq!(s.export_all("mini", &token).await.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn two_hundred_concurrent_submissions_are_all_acknowledged_and_present() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let token = s.token(Role::Analyst);
    let mut acked = submit_concurrently(
        &s.client,
        &s.url("/api/v1/forms/mini/responses"),
        1000..1200,
    )
    .await;
    let mut stored: Vec<String> = s
        .export_all("mini", &token)
        .await
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    acked.sort();
    stored.sort();
    assert_eq!(acked.len(), 200);
    assert_eq!(stored, acked);
    s.stop().await;
}

#[tokio::test]
async fn admin_publishes_a_new_version_and_responses_record_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let admin = s.token(Role::Admin);
    let analyst = s.token(Role::Analyst);
    let mut form: Value = s.public_json("/api/v1/forms/mini").await;
    form["title"]["en"] = json!("Mini survey, revised");

    let res = s.put_form(&analyst, &form).await;
    assert_eq!(res.status(), 403, "analysts cannot publish");

    let res = s.put_form(&admin, &form).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["version"], 2);
    assert_eq!(s.submit("mini", &valid_submission(7)).await.status(), 201);
    let rows = s.export_all("mini", &analyst).await;
    assert_eq!(rows[0]["version"], 2);

    // Publishing the same content again makes no new version.
    let res = s.put_form(&admin, &form).await;
    assert_eq!(res.json::<Value>().await.unwrap()["version"], 2);

    // A broken form is refused with the path at fault.
    form["questions"][2]["show_if"]["question"] = json!("priorities");
    let res = s.put_form(&admin, &form).await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["path"], "questions[2].show_if.question");

    // Admins create tokens over HTTP while the server runs.
    let res = s
        .client
        .post(s.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"role": "analyst"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let new_token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = s
        .client
        .get(s.url("/api/v1/forms"))
        .bearer_auth(&new_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn cors_allows_the_forms_origins_and_refuses_others() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.allowed_origins = vec!["http://127.0.0.1:9".into()];
    let s = Server::start(cfg).await;
    let url = s.url("/api/v1/forms/mini/responses");
    for origin in [ORIGIN, "http://127.0.0.1:9"] {
        let res = preflight(&s.client, &url, origin).await;
        assert_eq!(res.headers()["access-control-allow-origin"], origin);
        let res = s
            .client
            .post(&url)
            .header("origin", origin)
            .json(&valid_submission(origin.len() as u128))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["access-control-allow-origin"], origin);
    }
    // The collector's own pages.
    let own = format!("http://{}", s.addr);
    let res = s
        .client
        .post(&url)
        .header("origin", &own)
        .json(&valid_submission(99))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let evil = "https://evil.example";
    let res = s
        .client
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", evil)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = s
        .client
        .post(&url)
        .header("origin", evil)
        .json(&valid_submission(100))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    s.stop().await;
}

#[tokio::test]
async fn rate_limit_answers_429_per_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rate_limit = 3;
    let s = Server::start(cfg).await;
    let mut statuses = Vec::new();
    for n in 0..5 {
        statuses.push(
            s.submit("mini", &valid_submission(500 + n))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![201, 201, 201, 429, 429]);
    s.stop().await;
}
