//! What the collector's tests share: the fixture forms, a test
//! configuration, a valid submission; the server itself, tokens, export
//! paging and the example forms come from the `harness` crate, which the
//! end-to-end tests use too.

pub use harness::{example_forms, export_all, uuid, Server};

use collector::Config;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const ORIGIN: &str = "https://partner.example";

pub fn fixture_forms() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms")
}

pub fn config(data: &Path) -> Config {
    Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        data: data.to_path_buf(),
        forms: fixture_forms(),
        rate_limit: 0,
        global_rate_limit: 0,
        bot_checks: false,
        // Tests serve generated responses from 2023-2025: erasing their
        // text at start would race the tests that read it. The retention
        // tests turn it on.
        retention_interval_secs: 0,
        ..Config::default()
    }
}

/// Posts `valid_submission(n)` for every `n` at once, each in its own
/// task, to the responses `url`; every one must be created (201). The ids
/// acknowledged, in the order of `ns`.
pub async fn submit_concurrently(
    client: &reqwest::Client,
    url: &str,
    ns: impl IntoIterator<Item = u128>,
) -> Vec<String> {
    let tasks: Vec<_> = ns
        .into_iter()
        .map(|n| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .json(&valid_submission(n))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                res.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
        })
        .collect();
    let mut acked = Vec::new();
    for t in tasks {
        acked.push(t.await.unwrap());
    }
    acked
}

/// A browser's CORS preflight from a page at `origin` before it posts
/// JSON to `url`.
pub async fn preflight(client: &reqwest::Client, url: &str, origin: &str) -> reqwest::Response {
    client
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

pub fn valid_submission(n: u128) -> Value {
    json!({
        "submission_id": uuid(n),
        "answers": {"who": "worker", "safe": 2, "why_unsafe": "dark alley", "priorities": ["asb", "theft"]},
        "location": "bank",
        "channel": "qr",
        "lang": "pl"
    })
}

/// The arguments of `collector serve` on a free port over `data` with
/// the fixture forms, and the limits and the bot checks off: these
/// clients post answers as fast as they can, with no proof of work.
pub fn serve_args(data: &Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = [
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--rate-limit",
        "0",
        "--global-rate-limit",
        "0",
        "--bot-checks",
        "off",
        "--data",
    ]
    .map(Into::into)
    .to_vec();
    args.extend([data.into(), "--forms".into(), fixture_forms().into()]);
    args
}

/// Reads a child collector's log until it says where it listens; the rest
/// of the log is drained in the background.
/// A collector that has not said so within 60 s is killed and the test
/// fails, rather than hanging the run.
pub fn listening_address(child: &mut std::process::Child) -> String {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(i) = line.find("listening on http://") {
                let _ = tx.send(line[i + "listening on http://".len()..].trim().to_owned());
                break;
            }
        }
        for _ in lines {}
    });
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(addr) => addr,
        Err(e) => {
            let _ = child.kill();
            panic!("the collector did not say where it listens ({e}): it exited early or hangs");
        }
    }
}

/// Starts the real binary on a free port with `data`; its address.
pub fn start_binary(data: &Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_collector"))
        .args(serve_args(data))
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = listening_address(&mut child);
    (child, addr)
}

/// An analyst token made with the CLI, the server stopped.
pub fn create_token(data: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_collector"))
        .args(["token", "create", "--role", "analyst", "--data"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// Every file under `dir`, in any depth: what a search of the raw bytes
/// on disk reads.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Copies the folder `from` (a data folder built once for a test module)
/// into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A proof of work for a challenge to `form` issued 3 s ago: one a person
/// had time to answer.
pub fn solved_a_while_ago(s: &Server, form: &str) -> String {
    let challenge = s
        .state
        .proofs
        .challenge(
            s.state.store.as_ref(),
            form,
            collector::model::now_ms() - 3_000,
        )
        .unwrap();
    collector::service::proof::solve(&challenge).unwrap()
}
