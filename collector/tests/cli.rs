//! The command line as an IT team runs it: the real binary, its flags, its
//! environment and its configuration file.

use crate::common::{example_forms, export_all, preflight};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs the collector with `args` in `cwd`, with `COLLECTOR_CONFIG` set to
/// `config`; fails the test unless it exits 0.
fn run(cwd: &Path, config: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_collector"))
        .args(args)
        .current_dir(cwd)
        .env("COLLECTOR_CONFIG", config)
        .env_remove("COLLECTOR_DATA")
        .env_remove("COLLECTOR_FORMS")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "collector {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// With the service's configuration file named (`COLLECTOR_CONFIG`, as a
/// systemd unit sets it), the commands run with the server stopped work on
/// the data folder the server reads, not on `./data` where they are run:
/// demonstration data, a token, a backup. `demo-data` codes with the
/// file's settings, so the server does not score it all again at start.
/// Flags win over the file (`--allowed-origins`, `--dist`), and an unknown
/// key is warned of, not silently dropped.
#[tokio::test]
async fn the_configuration_file_names_the_data_folder_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let (data, dist) = (dir.path().join("store"), dir.path().join("dist"));
    std::fs::create_dir(&dist).unwrap();
    let widget = "/* the widget built for this deployment */";
    std::fs::write(dist.join("widget.js"), widget).unwrap();
    let config = dir.path().join("collector.toml");
    std::fs::write(
        &config,
        format!(
            "addr = \"127.0.0.1:0\"\n\
             data = {data:?}\n\
             forms = {forms:?}\n\
             rate_limit = 0\n\
             global_rate_limit = 0\n\
             bot_checks = false\n\
             retention_interval_secs = 0\n\
             sentiment_model = false\n\
             allowed_origins = [\"https://in-the-file.example\"]\n\
             colour = \"blue\"\n",
            forms = example_forms(),
        ),
    )
    .unwrap();

    let demo = run(
        &elsewhere,
        &config,
        &["demo-data", "--count", "40", "--form", "street-feedback"],
    );
    assert!(
        text(&demo.stdout).contains("street-feedback: imported 40 synthetic responses"),
        "{}",
        text(&demo.stdout)
    );
    let warned = text(&demo.stderr);
    assert!(
        warned.contains("unknown configuration key ignored") && warned.contains("colour"),
        "{warned}"
    );
    let token = text(&run(&elsewhere, &config, &["token", "create", "--role", "admin"]).stdout)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let backup = dir.path().join("backup");
    let backed = run(&elsewhere, &config, &["backup", backup.to_str().unwrap()]);
    assert!(
        text(&backed.stdout).starts_with("backed up 40 responses"),
        "{}",
        text(&backed.stdout)
    );
    assert!(
        !elsewhere.join("data").exists(),
        "a command wrote to ./data, not to the configured folder"
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_collector"))
        .args([
            "serve",
            "--allowed-origins",
            "https://by-flag.example",
            "--dist",
        ])
        .arg(&dist)
        .current_dir(&elsewhere)
        .env("COLLECTOR_CONFIG", &config)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut before = Vec::new();
    let addr = loop {
        let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("the collector did not start: {before:?}");
        };
        if let Some(i) = line.find("listening on http://") {
            break line[i + "listening on http://".len()..].trim().to_owned();
        }
        before.push(line);
    };
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();

    let rescored: Vec<_> = before
        .iter()
        .filter(|l| l.contains("scoring them again"))
        .collect();
    assert!(
        rescored.is_empty(),
        "demo data was coded otherwise than the server codes: {rescored:?}"
    );
    let rows = export_all(&client, &base, "street-feedback", &token).await;
    assert_eq!(rows.len(), 40);
    // The token is an admin's: it lists tokens, which an analyst's cannot.
    let tokens = client
        .get(format!("{base}/api/v1/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), 200);

    let served = client
        .get(format!("{base}/widget.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.text().await.unwrap(), widget);

    // The flag's list replaces the file's.
    let url = format!("{base}/api/v1/forms/street-feedback/responses");
    for (origin, allowed) in [
        ("https://by-flag.example", true),
        ("https://in-the-file.example", false),
        ("https://stranger.example", false),
    ] {
        let res = preflight(&client, &url, origin).await;
        let allows = res
            .headers()
            .get("access-control-allow-origin")
            .is_some_and(|v| v == origin);
        assert_eq!(allows, allowed, "{origin}");
    }

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());
}

/// `--data` (and `COLLECTOR_DATA`) wins over the configuration file's
/// folder, for a command run with the server stopped as for `serve`.
#[test]
fn the_data_flag_wins_over_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let (in_file, by_flag) = (dir.path().join("in-file"), dir.path().join("by-flag"));
    let config = dir.path().join("collector.toml");
    std::fs::write(&config, format!("data = {in_file:?}\n")).unwrap();
    run(
        dir.path(),
        &config,
        &[
            "token",
            "create",
            "--role",
            "analyst",
            "--data",
            by_flag.to_str().unwrap(),
        ],
    );
    assert!(by_flag.join("db").is_file());
    assert!(!in_file.exists());
    let out = Command::new(env!("CARGO_BIN_EXE_collector"))
        .args(["retention"])
        .current_dir(dir.path())
        .env("COLLECTOR_CONFIG", &config)
        .env("COLLECTOR_DATA", &by_flag)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("no form in {}", by_flag.display())),
        "{}",
        text(&out.stdout)
    );
}
