//! The limits, over a real socket: the client behind a trusted proxy, the
//! per-client limit and the global cap (429 problem+json with
//! `Retry-After`), and the timeouts that cut off a client holding a
//! request open.

use crate::common::*;
use collector::model::Role;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Posts submission `n` as the client the proxy says `forwarded_for` is;
/// the status.
async fn submit_as(s: &Server, forwarded_for: &str, n: u128) -> u16 {
    s.client
        .post(s.url("/api/v1/forms/mini/responses"))
        .header("x-forwarded-for", forwarded_for)
        .json(&valid_submission(n))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rate_limit = 2;
    // The test's own address stands for the force's reverse proxy.
    cfg.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let s = Server::start(cfg).await;
    let a = [
        submit_as(&s, "203.0.113.1", 1).await,
        submit_as(&s, "203.0.113.1", 2).await,
        submit_as(&s, "203.0.113.1", 3).await,
    ];
    assert_eq!(a, [201, 201, 429], "the first client is limited");
    // A made-up address on the left changes nothing: the proxy appended
    // the one it saw on the right.
    assert_eq!(submit_as(&s, "198.51.100.77, 203.0.113.1", 4).await, 429);
    // Another phone behind the same proxy still has its whole budget.
    assert_eq!(submit_as(&s, "203.0.113.2", 5).await, 201);
    assert_eq!(submit_as(&s, "203.0.113.2", 6).await, 201);
    s.stop().await;
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_for_header_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rate_limit = 2;
    assert!(cfg.trusted_proxies.is_empty(), "none by default");
    let s = Server::start(cfg).await;
    // Two "clients" that are one peer share one budget: a client cannot
    // pick its own key by sending the header.
    let statuses = [
        submit_as(&s, "203.0.113.1", 1).await,
        submit_as(&s, "203.0.113.2", 2).await,
        submit_as(&s, "203.0.113.3", 3).await,
    ];
    assert_eq!(statuses, [201, 201, 429]);
    s.stop().await;
}

#[tokio::test]
async fn over_the_limit_is_429_problem_json_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.rate_limit = 1;
    let s = Server::start(cfg).await;
    assert_eq!(s.submit("mini", &valid_submission(1)).await.status(), 201);
    let res = s.submit("mini", &valid_submission(2)).await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    // One a minute: the next is let in about 60 s after the first.
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], "/problems/rate-limited");
    assert_eq!(body["title"], "Too Many Requests");
    assert_eq!(body["status"], 429);
    assert_eq!(
        body["detail"],
        format!("too many submissions; try again in {retry} s")
    );
    // The refused submission was not stored.
    assert_eq!(s.export_all("mini", &s.token(Role::Analyst)).await.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn the_global_cap_limits_every_client_together_on_both_routes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.global_rate_limit = 1;
    cfg.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let s = Server::start(cfg).await;
    assert_eq!(submit_as(&s, "203.0.113.1", 1).await, 201);
    // A different client, within the same second: over the global cap.
    let res = s
        .client
        .post(s.url("/api/v1/forms/mini/responses"))
        .header("x-forwarded-for", "203.0.113.2")
        .json(&valid_submission(2))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.headers()["retry-after"], "1");
    // The hosted form's posts draw on the same budget. A person sent
    // that: their form comes back, answers still in it, under a notice
    // that nothing was stored, in their language, to send again.
    let res = s
        .client
        .post(s.url("/f/mini"))
        .header("x-forwarded-for", "203.0.113.3")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "submission_id={}&lang=pl&q.who=resident&q.safe=1&q.why_unsafe=Ciemny+zau%C5%82ek",
            uuid(3)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(res.headers()["retry-after"], "1");
    let page = res.text().await.unwrap();
    assert!(
        page.contains(ui::i18n::strings("pl").send_failed),
        "the notice, in Polish: {page}"
    );
    assert!(page.contains("Ciemny zaułek"), "the answer is kept: {page}");
    assert!(
        page.contains(&format!(r#"name="submission_id" value="{}""#, uuid(3))),
        "sent again under the same id, so counted once"
    );
    assert!(page.contains(r#"<form method="post" action="/f/mini""#));
    // A second later the budget is back.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(submit_as(&s, "203.0.113.2", 2).await, 201);
    s.stop().await;
}

/// Sends `head` and then `body` a byte at a time, `gap` apart, on a raw
/// connection to `s`; the response head, and how long it took to come.
async fn trickle(s: &Server, head: &str, body: &[u8], gap: Duration) -> (String, Duration) {
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    let started = Instant::now();
    conn.write_all(head.as_bytes()).await.unwrap();
    let (mut rd, mut wr) = conn.into_split();
    let body = body.to_vec();
    let writer = tokio::spawn(async move {
        for b in body {
            if wr.write_all(&[b]).await.is_err() {
                break;
            }
            tokio::time::sleep(gap).await;
        }
        // Then stall, holding the connection open.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(wr);
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match rd.read(&mut buf).await.unwrap() {
                0 => break,
                n => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server answers a stalled client within its timeouts");
    writer.abort();
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_client_that_stalls_or_trickles_its_body_is_cut_off_with_408() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.body_timeout_secs = 1;
    cfg.request_timeout_secs = 3;
    let s = Server::start(cfg).await;
    let head = "POST /api/v1/forms/mini/responses HTTP/1.1\r\nhost: collector\r\n\
                content-type: application/json\r\ncontent-length: 400\r\n\r\n";

    // Headers, a few bytes of body, then nothing: the body timeout.
    let (res, took) = trickle(&s, head, b"{\"submission_id\"", Duration::ZERO).await;
    assert!(res.starts_with("HTTP/1.1 408"), "{res}");
    assert!(
        res.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{res}"
    );
    assert!(took < Duration::from_millis(2900), "cut off after {took:?}");

    // A byte every 400 ms never trips the body timeout, but the whole
    // request may take 3 s.
    let (res, took) = trickle(&s, head, &[b' '; 400], Duration::from_millis(400)).await;
    assert!(res.starts_with("HTTP/1.1 408"), "{res}");
    assert!(
        took >= Duration::from_millis(2900),
        "cut off after {took:?}"
    );
    assert!(took < Duration::from_secs(6), "cut off after {took:?}");

    // A submission sent at once, commit included, is well within both.
    assert_eq!(s.submit("mini", &valid_submission(1)).await.status(), 201);
    assert_eq!(s.export_all("mini", &s.token(Role::Analyst)).await.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn a_client_that_stalls_its_headers_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.request_timeout_secs = 1;
    let s = Server::start(cfg).await;
    let mut conn = TcpStream::connect(s.addr).await.unwrap();
    let started = Instant::now();
    // Half a request head, then nothing.
    conn.write_all(b"POST /api/v1/forms/mini/responses HTTP/1.1\r\nhost: collector\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut got)).await;
    assert!(
        closed.is_ok(),
        "the connection is still open after {:?}",
        started.elapsed()
    );
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "closed after {took:?}");
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    // Nothing was answered but, at most, a 408.
    let got = String::from_utf8_lossy(&got);
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got}");
    // Others are served as usual meanwhile and after.
    assert_eq!(s.submit("mini", &valid_submission(1)).await.status(), 201);
    s.stop().await;
}
