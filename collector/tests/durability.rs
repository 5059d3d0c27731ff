//! Acknowledged responses survive a stop, a restart, and a killed process.

use crate::common::*;
use collector::model::Role;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn every_acknowledged_response_is_read_back_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let token = s.token(Role::Analyst);
    let mut acked = Vec::new();
    for n in 0..50 {
        let res = s.submit("mini", &valid_submission(n)).await;
        assert_eq!(res.status(), 201);
        acked.push(
            res.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let before = s.export_all("mini", &token).await;
    s.stop().await;

    let s = Server::start(config(dir.path())).await;
    let after = s.export_all("mini", &token).await;
    assert_eq!(
        after, before,
        "the same rows, byte for byte, after a restart"
    );
    let ids: Vec<&str> = after.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, acked.iter().map(String::as_str).collect::<Vec<_>>());

    // A retry after the restart is still recognised, and new ids still sort last.
    assert_eq!(s.submit("mini", &valid_submission(3)).await.status(), 200);
    let res = s.submit("mini", &valid_submission(1000)).await;
    let new_id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(new_id.as_str() > acked.last().unwrap().as_str());
    s.stop().await;
}

/// Runs the real binary, SIGKILLs it right after acknowledgements, and
/// checks that every acknowledged response is there on the next start.
#[tokio::test]
async fn acknowledged_responses_survive_a_killed_process() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_collector"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--rate-limit",
                "0",
                "--data",
            ])
            .arg(&data)
            .arg("--forms")
            .arg(fixture_forms())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let addr = loop {
            let line = lines.next().expect("collector exited early").unwrap();
            if let Some(i) = line.find("listening on http://") {
                break line[i + "listening on http://".len()..].trim().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        (child, addr)
    };

    let (mut child, addr) = start();
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/api/v1/forms/mini/responses");
    let mut acked = submit_concurrently(&client, &url, 0..100).await;
    child.kill().unwrap(); // SIGKILL: no graceful shutdown, no final flush
    child.wait().unwrap();

    let token_out = Command::new(env!("CARGO_BIN_EXE_collector"))
        .args(["token", "create", "--role", "analyst", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        token_out.status.success(),
        "{}",
        String::from_utf8_lossy(&token_out.stderr)
    );
    let token = String::from_utf8(token_out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();

    let (mut child, addr) = start();
    let mut stored: Vec<String> = export_all(&client, &format!("http://{addr}"), "mini", &token)
        .await
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    acked.sort();
    stored.sort();
    assert_eq!(stored, acked);
}
