//! Crash safety under load: writers submit without pause from several
//! clients while the real collector is SIGKILLed at random moments and
//! started again, over and over. After every restart each acknowledged
//! response is there exactly once with its answers as sent, submissions
//! that were never acknowledged and are sent again (as the widget does)
//! are not stored twice, and the aggregates equal a recount of the export.
//!
//! `CRASH_CYCLES` sets the number of kills (100 in the normal run; e.g.
//! `CRASH_CYCLES=10000 cargo test -p collector --test integration crash`
//! for the long run); `CRASH_SEED` repeats a run's timing.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WRITERS: usize = 4;

/// Submission `n`: its number is in the free text, so every stored row
/// says which submission it is.
fn submission(n: u64) -> Value {
    let who = ["resident", "worker", "visitor"][(n % 3) as usize];
    let priorities = [json!(["asb"]), json!(["theft"]), json!(["asb", "theft"])];
    let priorities = priorities[(n % 3) as usize].clone();
    json!({
        "submission_id": uuid(u128::from(n)),
        "answers": {"who": who, "safe": 1 + (n % 2), "why_unsafe": format!("n{n}"),
                    "priorities": priorities},
        "location": "bank",
        "channel": "qr",
        "lang": "en"
    })
}

/// What the writers learnt: acknowledged ids by submission, and
/// submissions sent but never answered (to send again after the restart).
#[derive(Default, Clone)]
struct Ledger {
    acked: HashMap<u64, String>,
    unanswered: Vec<u64>,
}

/// Checks the collector at `base` against everything acknowledged so far.
async fn verify(client: &reqwest::Client, base: &str, token: &str, ledger: &Ledger, cycle: usize) {
    let rows = export_all(client, base, "mini", token).await;
    let mut by_n: BTreeMap<u64, &Value> = BTreeMap::new();
    for r in &rows {
        let text = r["answers"]["why_unsafe"].as_str().unwrap();
        let n: u64 = text[1..].parse().unwrap();
        assert!(
            by_n.insert(n, r).is_none(),
            "cycle {cycle}: submission {n} stored twice"
        );
    }
    for (n, id) in &ledger.acked {
        let row = by_n
            .get(n)
            .unwrap_or_else(|| panic!("cycle {cycle}: acknowledged submission {n} ({id}) lost"));
        assert_eq!(row["id"], json!(id), "cycle {cycle}: submission {n}'s id");
        assert_eq!(
            row["answers"],
            submission(*n)["answers"],
            "cycle {cycle}: submission {n}'s answers"
        );
    }
    // The answer index agrees with what is stored.
    let agg: Value = client
        .get(format!("{base}/api/v1/forms/mini/aggregates?question=who"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(agg["n"], json!(rows.len()), "cycle {cycle}: n");
    for c in agg["cells"].as_array().unwrap() {
        let answer = c["answer"].as_str().unwrap();
        let recount = rows
            .iter()
            .filter(|r| r["answers"]["who"] == answer)
            .count();
        assert_eq!(c["count"], json!(recount), "cycle {cycle}: who = {answer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_answers_survive_repeated_sigkills_exactly_once() {
    let cycles: usize = std::env::var("CRASH_CYCLES").map_or(100, |v| v.parse().unwrap());
    let seed: u64 = std::env::var("CRASH_SEED")
        .map_or_else(|_| collector::model::now_ms(), |v| v.parse().unwrap());
    println!("crash loop: {cycles} cycles, CRASH_SEED={seed}");
    let mut rng = seed | 1;
    let mut next = move || {
        // xorshift64: the kill times, repeatable from the seed.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = create_token(&data);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let counter = Arc::new(AtomicU64::new(0));
    let mut kills_with_writes_in_flight = 0;
    for cycle in 0..cycles {
        let (mut child, addr) = start_binary(&data);
        let base = format!("http://{addr}");
        {
            // A copy: no lock is held across the requests.
            let ledger = ledger.lock().unwrap().clone();
            verify(&client, &base, &token, &ledger, cycle).await;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let in_flight = Arc::new(AtomicU64::new(0));
        let retry: Vec<u64> = std::mem::take(&mut ledger.lock().unwrap().unanswered);
        let retry = Arc::new(Mutex::new(retry));
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (client, base, ledger, counter, stop, in_flight, retry) = (
                    client.clone(),
                    base.clone(),
                    ledger.clone(),
                    counter.clone(),
                    stop.clone(),
                    in_flight.clone(),
                    retry.clone(),
                );
                tokio::spawn(async move {
                    while !stop.load(Ordering::Acquire) {
                        // Answers not acknowledged before a kill go again first.
                        let n = retry
                            .lock()
                            .unwrap()
                            .pop()
                            .unwrap_or_else(|| counter.fetch_add(1, Ordering::Relaxed));
                        in_flight.fetch_add(1, Ordering::AcqRel);
                        let res = client
                            .post(format!("{base}/api/v1/forms/mini/responses"))
                            .json(&submission(n))
                            .send()
                            .await;
                        let id = match res {
                            Ok(r) if r.status() == 201 || r.status() == 200 => r
                                .json::<Value>()
                                .await
                                .ok()
                                .and_then(|v| v["id"].as_str().map(str::to_owned)),
                            _ => None,
                        };
                        in_flight.fetch_sub(1, Ordering::AcqRel);
                        let mut ledger = ledger.lock().unwrap();
                        match id {
                            Some(id) => {
                                if let Some(old) = ledger.acked.insert(n, id.clone()) {
                                    assert_eq!(old, id, "a retry of {n} got another id");
                                }
                            }
                            None => {
                                ledger.unanswered.push(n);
                                return;
                            }
                        }
                    }
                })
            })
            .collect();
        // Let them write for 10 to 200 ms, then kill without warning.
        tokio::time::sleep(Duration::from_millis(10 + next() % 190)).await;
        if in_flight.load(Ordering::Acquire) > 0 {
            kills_with_writes_in_flight += 1;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        stop.store(true, Ordering::Release);
        for w in writers {
            w.await.unwrap();
        }
    }
    let (mut child, addr) = start_binary(&data);
    let ledger = ledger.lock().unwrap().clone();
    verify(&client, &format!("http://{addr}"), &token, &ledger, cycles).await;
    child.kill().unwrap();
    child.wait().unwrap();
    println!(
        "crash loop: {} acknowledged over {cycles} kills, {kills_with_writes_in_flight} with writes in flight",
        ledger.acked.len()
    );
    assert!(ledger.acked.len() > cycles, "the writers hardly wrote");
    assert!(
        kills_with_writes_in_flight * 2 > cycles,
        "most kills should land mid-write"
    );
}
