//! Proof of work on the JSON API (bot checks on, as deployed): a
//! submission with a good proof is counted; one without, with a proof
//! used before, or sooner than a person could answer after its challenge,
//! is kept flagged with the reason, never refused and never counted twice.

use crate::common::*;
use collector::service::proof;
use serde_json::{json, Value};

async fn send(s: &Server, n: u128, proof: Option<&str>) -> u16 {
    let mut req = s
        .client
        .post(s.url("/api/v1/forms/mini/responses"))
        .json(&json!({"submission_id": uuid(n), "answers": {"who": "resident", "safe": 4}}));
    if let Some(p) = proof {
        req = req.header("x-altcha", p);
    }
    req.send().await.unwrap().status().as_u16()
}

/// The test configuration with the bot checks on, as deployed.
fn checked(dir: &std::path::Path) -> collector::Config {
    collector::Config {
        bot_checks: true,
        ..config(dir)
    }
}

/// The flags of the responses kept aside, sorted.
fn flags(s: &Server) -> Vec<String> {
    let mut flags: Vec<String> = s
        .state
        .store
        .flagged("mini", 10)
        .unwrap()
        .into_iter()
        .map(|r| r.flag.unwrap())
        .collect();
    flags.sort();
    flags
}

#[tokio::test]
async fn the_json_api_takes_a_proof_once_and_keeps_the_rest_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(checked(dir.path())).await;

    // The challenge, as the widget gets it: never cached.
    let res = s
        .client
        .get(s.url("/api/v1/forms/mini/challenge"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let fresh: Value = res.json().await.unwrap();
    assert_eq!(fresh["algorithm"], "SHA-256");
    assert!(fresh["maxnumber"].as_u64().unwrap() <= proof::MAX_NUMBER);
    // The widget waits this long after it came before it sends.
    assert_eq!(fresh["wait_ms"], proof::MIN_SECS * 1000);
    let res = s
        .client
        .get(s.url("/api/v1/forms/nope/challenge"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // A challenge a person had time to answer: counted.
    let good = solved_a_while_ago(&s, "mini");
    assert_eq!(send(&s, 1, Some(&good)).await, 201);
    // A retry of the same submission is the same response: 200, once.
    assert_eq!(send(&s, 1, Some(&good)).await, 200);
    // The same proof for other answers: kept, flagged.
    assert_eq!(send(&s, 2, Some(&good)).await, 201);
    // No proof, or a mangled one: kept, flagged.
    assert_eq!(send(&s, 3, None).await, 201);
    assert_eq!(send(&s, 4, Some("bm90IGEgcHJvb2Y=")).await, 201);
    // Answered the moment the challenge came: kept, flagged.
    let quick = proof::solve(&fresh).unwrap();
    assert_eq!(send(&s, 5, Some(&quick)).await, 201);

    let counted: Vec<String> = s
        .responses("mini")
        .into_iter()
        .map(|r| r.id.unwrap().to_string())
        .collect();
    assert_eq!(counted.len(), 1, "only the good proof is counted");
    assert_eq!(
        flags(&s),
        ["proof-of-work", "proof-of-work", "proof-reused", "too-fast"]
    );

    // A partner page's preflight may send the proof's header.
    let res = s
        .client
        .request(
            reqwest::Method::OPTIONS,
            s.url("/api/v1/forms/mini/responses"),
        )
        .header("origin", "https://partner.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, x-altcha")
        .send()
        .await
        .unwrap();
    let allowed = res
        .headers()
        .get("access-control-allow-headers")
        .map(|v| v.to_str().unwrap().to_ascii_lowercase())
        .unwrap_or_default();
    assert!(allowed.contains("x-altcha"), "{allowed:?}");
    s.stop().await;
}

#[tokio::test]
async fn with_the_bot_checks_off_the_widget_is_told_not_to_wait() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    assert!(!s.state.config.bot_checks);
    let c: Value = s.public_json("/api/v1/forms/mini/challenge").await;
    assert_eq!(c["wait_ms"], 0);
    // Answers sent at once are counted, proof or none.
    assert_eq!(send(&s, 1, proof::solve(&c).as_deref()).await, 201);
    assert_eq!(send(&s, 2, None).await, 201);
    assert!(s.state.store.flagged("mini", 10).unwrap().is_empty());
}

/// A proof taken before a restart is still taken after it: its answers
/// counted once, and the same proof for other answers after the restart
/// kept flagged as reused.
#[tokio::test]
async fn a_proof_taken_before_a_restart_is_refused_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let c = checked(dir.path());
    let s = Server::start(c.clone()).await;
    let good = solved_a_while_ago(&s, "mini");
    assert_eq!(send(&s, 1, Some(&good)).await, 201);
    s.stop().await;

    let s = Server::start(c).await;
    assert_eq!(send(&s, 2, Some(&good)).await, 201);
    assert_eq!(
        s.responses("mini").len(),
        1,
        "the reused proof is not counted"
    );
    assert_eq!(flags(&s), ["proof-reused"]);
    s.stop().await;
}

/// One proof sent with many different answers at the same moment is
/// taken once: the mark that takes it is a compare-and-swap in the store,
/// so exactly one is counted and every other is kept flagged as reused.
/// Other good proofs sent beside them are counted.
#[tokio::test]
async fn one_proof_sent_many_times_at_once_is_taken_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(checked(dir.path())).await;
    let shared = solved_a_while_ago(&s, "mini");
    let own: Vec<String> = (0..8).map(|_| solved_a_while_ago(&s, "mini")).collect();
    let sends = (0..32u128).map(|n| send(&s, 100 + n, Some(&shared)));
    let others = own
        .iter()
        .enumerate()
        .map(|(i, p)| send(&s, 200 + i as u128, Some(p)));
    let (sent, others) = tokio::join!(
        futures_util::future::join_all(sends),
        futures_util::future::join_all(others)
    );
    assert!(
        sent.iter().chain(&others).all(|code| *code == 201),
        "{sent:?} {others:?}"
    );
    assert_eq!(s.responses("mini").len(), 1 + own.len());
    let flagged = s.state.store.flagged("mini", 100).unwrap();
    assert_eq!(flagged.len(), 31);
    assert!(flagged
        .iter()
        .all(|r| r.flag.as_deref() == Some("proof-reused")));
    s.stop().await;
}

/// The server sweeps the marks of expired proofs as proofs come in (on
/// the blocking pool, beside the request): a mark whose proof expired is
/// gone soon after the next good proof, and that proof's own stays.
#[tokio::test]
async fn the_server_sweeps_the_marks_of_expired_proofs() {
    use collector::store::Doc;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(checked(dir.path())).await;
    let old = format!("{:012}-{}", 1_000_000_000u64, "ab".repeat(16));
    assert!(s.state.store.put_doc_once(Doc::Spent, &old).unwrap());
    let good = solved_a_while_ago(&s, "mini");
    assert_eq!(send(&s, 1, Some(&good)).await, 201);
    let marks = || -> Vec<String> {
        s.state
            .store
            .docs(Doc::Spent, None, 100)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while marks().contains(&old) {
        assert!(
            std::time::Instant::now() < deadline,
            "never swept: {:?}",
            marks()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(marks().len(), 1, "the good proof's own mark stays");
    assert_eq!(s.responses("mini").len(), 1);
    s.stop().await;
}
