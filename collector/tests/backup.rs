//! Backup and restore: the CLI round trip with the server stopped, its
//! refusals, and `POST /api/v1/backup` while submissions keep arriving.

use crate::common::*;
use collector::model::Role;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn cli(args: &[&str], paths: &[&Path]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_collector"));
    cmd.args(args);
    for p in paths {
        cmd.arg(p);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Stops the real binary as systemd would, and waits for its clean exit.
fn stop_binary(mut child: std::process::Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Value {
    let res = client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200, "{url}");
    res.json().await.unwrap()
}

/// Everything an analyst reads back: the export, the aggregates and the
/// free text with its manual codes.
async fn read_back(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> (Vec<Value>, Value, Value) {
    let export = export_all(client, base, "mini", token).await;
    let aggregates = get_json(
        client,
        &format!("{base}/api/v1/forms/mini/aggregates?by=location"),
        token,
    )
    .await;
    let text = get_json(
        client,
        &format!("{base}/api/v1/forms/mini/text?question=why_unsafe"),
        token,
    )
    .await;
    (export, aggregates, text)
}

#[tokio::test]
async fn cli_backup_then_restore_into_a_wiped_folder_gives_back_every_row_code_and_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dest = dir.path().join("backup");
    let token = create_token(&data);
    let (child, addr) = start_binary(&data);
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    let ids = submit_concurrently(
        &client,
        &format!("{base}/api/v1/forms/mini/responses"),
        0..40,
    )
    .await;
    let res = client
        .put(format!("{base}/api/v1/responses/{}/codes", ids[3]))
        .bearer_auth(&token)
        .json(&json!({"question": "why_unsafe", "themes": [], "sentiment": "positive"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let before = read_back(&client, &base, &token).await;
    assert_eq!(before.0.len(), 40);
    stop_binary(child);

    let out = cli(&["backup", "--data"], &[&data, &dest]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_dir_all(&data).unwrap();
    let out = cli(&["restore", "--data"], &[&data, &dest]);
    assert!(out.status.success(), "{}", stderr(&out));

    let (child, addr) = start_binary(&data);
    let after = read_back(&client, &format!("http://{addr}"), &token).await;
    stop_binary(child);
    assert_eq!(after.0, before.0, "the export, row for row");
    assert_eq!(
        serde_json::to_string(&after.0).unwrap(),
        serde_json::to_string(&before.0).unwrap(),
        "byte for byte"
    );
    assert_eq!(after.1, before.1, "the same aggregates");
    assert_eq!(after.2, before.2, "the same free text and manual codes");
}

#[tokio::test]
async fn backup_and_restore_refuse_to_overwrite_or_read_the_wrong_thing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    create_token(&data);

    // A non-empty destination.
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep.txt"), "mine").unwrap();
    let out = cli(&["backup", "--data"], &[&data, &full]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(full.join("keep.txt")).unwrap(),
        "mine"
    );

    // A folder a running collector holds.
    let (child, _) = start_binary(&data);
    let out = cli(&["backup", "--data"], &[&data, &dir.path().join("b1")]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("in use by another collector"),
        "{}",
        stderr(&out)
    );
    stop_binary(child);

    let good = dir.path().join("good");
    let out = cli(&["backup", "--data"], &[&data, &good]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A source that is not a collector store.
    let other = dir.path().join("other");
    let out = cli(&["restore", "--data"], &[&other, &full]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a collector data folder"),
        "{}",
        stderr(&out)
    );
    let plain_sled = dir.path().join("plain");
    drop(sled::open(&plain_sled).unwrap());
    let out = cli(&["restore", "--data"], &[&other, &plain_sled]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no schema version"),
        "{}",
        stderr(&out)
    );
    assert!(!other.exists(), "nothing left behind");

    // A non-empty data folder, unless --force.
    let out = cli(&["restore", "--data"], &[&full, &good]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(full.join("keep.txt")).unwrap(),
        "mine"
    );
    let out = cli(&["restore", "--force", "--data"], &[&full, &good]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!full.join("keep.txt").exists());
    assert!(full.join("db").is_file());
}

/// Guards the online backup: every submission acknowledged before the
/// call is in the copy, every row of it reads, and submissions kept being
/// acknowledged (none refused) around and during the copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn online_backup_under_load_holds_every_earlier_acknowledgement() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("backups");
    let s = Server::start(collector::Config {
        backup_dir: Some(backups.clone()),
        ..config(&dir.path().join("data"))
    })
    .await;
    let admin = s.token(Role::Admin);
    let analyst = s.token(Role::Analyst);

    let url = s.url("/api/v1/backup");
    assert_eq!(s.client.post(&url).send().await.unwrap().status(), 401);
    let res = s
        .client
        .post(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = s
        .client
        .post(&url)
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // (ack time, id) of every acknowledged submission; any other status fails.
    let acked: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..6u128)
        .map(|c| {
            let (client, url) = (s.client.clone(), s.url("/api/v1/forms/mini/responses"));
            let (acked, stop) = (acked.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = c * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let res = client
                        .post(&url)
                        .json(&valid_submission(n))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 201);
                    let id = res.json::<Value>().await.unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    acked.lock().unwrap().push((Instant::now(), id));
                }
            })
        })
        .collect();
    let count = || acked.lock().unwrap().len();
    while count() < 300 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    let res = s
        .client
        .post(&url)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let at_return = count();
    while count() < at_return + 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let before: Vec<&String> = acked
        .iter()
        .filter(|(t, _)| *t < started)
        .map(|(_, id)| id)
        .collect();
    eprintln!(
        "online backup of {} bytes ({} responses) answered in {} ms",
        made["bytes"],
        made["responses"],
        took.as_millis()
    );
    s.stop().await;

    let path = std::path::PathBuf::from(made["path"].as_str().unwrap());
    assert!(path.starts_with(&backups));
    let restored = dir.path().join("restored");
    collector::store::restore(&restored, &path, false).unwrap();
    let s = Server::start(config(&restored)).await;
    let rows = s.export_all("mini", &analyst).await;
    s.stop().await;
    assert!(
        rows.iter().all(|r| r["answers"]["who"] == "worker"),
        "every row whole"
    );
    assert_eq!(rows.len() as u64, made["responses"].as_u64().unwrap());
    let in_backup: std::collections::HashSet<&str> =
        rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(before.len() >= 300);
    for id in before {
        assert!(
            in_backup.contains(id.as_str()),
            "{id} acknowledged before the backup"
        );
    }
}

#[tokio::test]
async fn online_backup_without_a_backup_dir_is_409() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let admin = s.token(Role::Admin);
    let res = s
        .client
        .post(s.url("/api/v1/backup"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("backup_dir"));
    s.stop().await;
}

/// A compaction (`retention --compact`) or a restore stopped between its
/// two renames leaves the data folder missing, the original beside it and
/// the whole new copy beside that. The next open puts the copy in place
/// (before, it started an empty store there, and a second compaction then
/// deleted the copy); with only the original beside it, it refuses.
#[test]
fn a_swap_stopped_half_way_is_finished_at_the_next_open() {
    use collector::store::{Doc, SledStore, Store};
    let root = tempfile::tempdir().unwrap();
    let at = |name: &str| root.path().join(name);
    let kept = |store: &SledStore| store.get_doc(Doc::Hook, "kept").unwrap();
    // Stops after `old` took the original's place, before `new` took its.
    let stop_half_way = |data: &Path, new: &Path, old: &Path| {
        {
            let store = SledStore::open(data).unwrap();
            store.put_doc(Doc::Hook, "kept", b"yes").unwrap();
            store.compact_into(new).unwrap();
        }
        std::fs::rename(data, old).unwrap();
    };

    // A compaction: `DIR.compacting` and `DIR.old`.
    stop_half_way(&at("a"), &at("a.compacting"), &at("a.old"));
    let store = SledStore::open(&at("a")).unwrap();
    assert_eq!(kept(&store).as_deref(), Some(&b"yes"[..]));
    assert!(!at("a.old").exists() && !at("a.compacting").exists());
    drop(store);

    // Compacting again in that state finishes it first, then compacts.
    stop_half_way(&at("b"), &at("b.compacting"), &at("b.old"));
    SledStore::compact(&at("b")).unwrap();
    assert_eq!(
        kept(&SledStore::open(&at("b")).unwrap()).as_deref(),
        Some(&b"yes"[..])
    );
    assert!(!at("b.old").exists() && !at("b.compacting").exists());

    // A restore: `.DIR.restoring` and `.DIR.old`.
    stop_half_way(&at("c"), &at(".c.restoring"), &at(".c.old"));
    let store = SledStore::open(&at("c")).unwrap();
    assert_eq!(kept(&store).as_deref(), Some(&b"yes"[..]));
    assert!(!at(".c.old").exists() && !at(".c.restoring").exists());
    drop(store);

    // Only the original beside it: refused, nothing touched.
    stop_half_way(&at("d"), &at("d.compacting"), &at("d.old"));
    std::fs::remove_dir_all(at("d.compacting")).unwrap();
    let refused = SledStore::open(&at("d")).err().expect("refused");
    assert!(refused.to_string().contains("d.old"), "{refused}");
    assert!(!at("d").exists() && at("d.old").join("db").is_file());
}
