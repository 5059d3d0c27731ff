//! Analytics at city scale: bulk-imports generated community-safety
//! responses into a temporary sled folder, then measures start-up (sled
//! open and index rebuild), the index's memory per response, cross-tab
//! queries on the index, and aggregate requests over HTTP.
//!
//! ```text
//! cargo run --release -p collector --example bench_analytics -- [--count 1000000] [--seed 1] [--data DIR]
//! ```
//!
//! With `--data DIR` the folder is kept, and a folder that already holds
//! responses is measured as it is (no import), so the measurements can be
//! repeated without generating a million responses again.

use collector::index::query;
use collector::model::Role;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "support/demo.rs"]
mod demo;
use demo::FORM;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Row {
    what: String,
    value: String,
    target: &'static str,
    ok: Option<bool>,
}

fn main() -> anyhow::Result<()> {
    let count: usize = arg("--count").map_or(Ok(1_000_000), |s| s.parse())?;
    let seed: u64 = arg("--seed").map_or(Ok(1), |s| s.parse())?;
    let temp = tempfile::tempdir()?;
    let data: PathBuf = arg("--data").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let reuse = data.join("db").exists();
    let mut rows: Vec<Row> = Vec::new();

    // Import (not a target).
    if !reuse {
        let done = demo::import(&data, count, seed)?;
        rows.push(Row {
            what: format!(
                "bulk import of {} responses (generate, validate, code, write)",
                done.count
            ),
            value: format!(
                "{:.1} s ({:.0}/s)",
                done.took.as_secs_f64(),
                done.count as f64 / done.took.as_secs_f64()
            ),
            target: "-",
            ok: None,
        });
        // The first open after a bulk load replays it from sled's log; a
        // server that took a million responses since its last start pays
        // this once more at its next start. Shown, then out of the way.
        rows.push(Row {
            what: "first open after the import: sled replays its log (once)".into(),
            value: format!("{:.2} s", done.replay.as_secs_f64()),
            target: "-",
            ok: None,
        });
    }
    let disk: u64 = std::fs::read_dir(&data)?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    rows.push(Row {
        what: "sled folder size".into(),
        value: format!("{:.0} MB", disk as f64 / 1e6),
        target: "-",
        ok: None,
    });

    // Start-up: sled open + index rebuild.
    let (state, startup) = demo::open_timed(&data)?;
    rows.push(Row {
        what: "start-up: collector::open (sled open + index rebuild)".into(),
        value: format!("{:.2} s", startup.as_secs_f64()),
        target: "< 5 s",
        ok: Some(startup < Duration::from_secs(5)),
    });

    let ix = state.indexes.index(FORM).expect("index");
    {
        let ix = ix.read().unwrap_or_else(|e| e.into_inner());
        let per_row = ix.bytes_per_row();
        let heap = ix.heap_bytes() as f64 / ix.len().max(1) as f64;
        rows.push(Row {
            what: format!("index rows ({} responses): bytes_per_row()", ix.len()),
            value: per_row.to_string(),
            target: "< 64",
            ok: Some(per_row < 64),
        });
        rows.push(Row {
            what: "index heap_bytes() / rows".into(),
            value: format!("{heap:.1}"),
            target: "< 64",
            ok: Some(heap < 64.0),
        });
    }

    // Cross-tabs on the index directly.
    let respondent = state
        .store
        .form(FORM)
        .and_then(|p| p.form.respondent_question.clone());
    let queries = [
        "by=respondent_type,worry&where=feel_safe_day:4,5",
        "by=location,quarter&where=respondent_type:worker&question=feel_safe_dark",
    ];
    for q in queries {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        let parsed = collector::http::parse_query(&pairs, &[], &[])?;
        let mut times = Vec::new();
        let mut cells = 0;
        for _ in 0..20 {
            let ix = ix.read().unwrap_or_else(|e| e.into_inner());
            let started = Instant::now();
            let a = query::aggregate(&ix, &parsed, respondent.as_deref(), 10)?;
            times.push(started.elapsed());
            cells = a.cells.len();
        }
        times.sort();
        let median = percentile(&times, 0.5);
        rows.push(Row {
            what: format!("aggregate() {q} ({cells} cells): min / median of 20"),
            value: format!("{:.1} / {:.1} ms", ms(times[0]), ms(median)),
            target: "< 50 ms",
            ok: Some(median < Duration::from_millis(50)),
        });
    }

    // Over HTTP, one connection, sequential requests.
    let (token, _) = collector::service::tokens::create(
        state.store.as_ref(),
        collector::service::tokens::Spec::role(Role::Analyst),
    )?;
    let rt = tokio::runtime::Runtime::new()?;
    let http_rows = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(collector::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let mut out = Vec::new();
        for q in [
            "by=respondent_type,worry&where=feel_safe_day:4,5",
            "by=respondent_type,worry&where=feel_safe_day:4,5&question=worry,feel_safe_dark",
        ] {
            let url = format!("http://{addr}/api/v1/forms/{FORM}/aggregates?{q}");
            let mut times = Vec::new();
            let mut bytes = 0;
            for _ in 0..200 {
                let started = Instant::now();
                let res = client.get(&url).bearer_auth(&token).send().await?;
                anyhow::ensure!(res.status() == 200, "status {}", res.status());
                bytes = res.bytes().await?.len();
                times.push(started.elapsed());
            }
            times.sort();
            let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
            out.push(Row {
                what: format!(
                    "GET aggregates?{q} ({} kB JSON): p50 / p95 of 200",
                    bytes / 1000
                ),
                value: format!("{:.1} / {:.1} ms", ms(p50), ms(p95)),
                target: "p50 < 5 ms",
                ok: Some(p50 < Duration::from_millis(5)),
            });
        }
        let _ = stop.send(());
        server.await??;
        anyhow::Ok(out)
    })?;
    rows.extend(http_rows);
    drop(state);

    let width = rows.iter().map(|r| r.what.len()).max().unwrap_or(0);
    println!();
    println!(
        "{:width$}  {:>22}  {:>10}  result",
        "measure", "value", "target"
    );
    println!("{}", "-".repeat(width + 46));
    for r in &rows {
        let result = match r.ok {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        println!(
            "{:width$}  {:>22}  {:>10}  {result}",
            r.what, r.value, r.target
        );
    }
    Ok(())
}
