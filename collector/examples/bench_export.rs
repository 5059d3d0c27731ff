//! Export speed and disk per response: bulk-imports generated
//! community-safety responses into a temporary sled folder, then reads the
//! whole form back through `GET /api/v1/forms/{form}/responses` as NDJSON
//! (10,000 rows a page, following the `Link` header) from a real collector
//! on 127.0.0.1, and prints rows per second, the data folder's size on
//! disk per response, and the size of the NDJSON per row.
//!
//! ```text
//! cargo run --release -p collector --example bench_export -- [--count 200000] [--seed 1] [--data DIR]
//! ```
//!
//! With `--data DIR` the folder is kept, and a folder that already holds
//! responses is measured as it is (no import).

/// The allocator the server runs with (see `main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use collector::model::Role;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "support/demo.rs"]
mod demo;
use demo::FORM;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Bytes the files under `dir` take on disk (allocated blocks, as `du`).
fn disk_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            disk_bytes(&entry.path())?
        } else {
            meta.blocks() * 512
        };
    }
    Ok(total)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = arg("--count").map_or(Ok(200_000), |s| s.parse())?;
    let seed: u64 = arg("--seed").map_or(Ok(1), |s| s.parse())?;
    let temp = tempfile::tempdir()?;
    let data: PathBuf = arg("--data").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);

    if !data.join("db").exists() {
        let done = demo::import(&data, count, seed)?;
        println!(
            "imported {} responses in {:.1} s (then sled replayed its log once, {:.2} s)",
            done.count,
            done.took.as_secs_f64(),
            done.replay.as_secs_f64()
        );
    }

    let (state, _) = demo::open_timed(&data)?;
    let responses = state
        .store
        .forms()?
        .iter()
        .map(|f| f.responses)
        .sum::<u64>();
    let disk = disk_bytes(&data)?;
    let token = collector::service::tokens::create(
        state.store.as_ref(),
        collector::service::tokens::Spec::role(Role::Analyst),
    )?
    .0;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(collector::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut next = Some(format!("/api/v1/forms/{FORM}/responses?limit=10000"));
    let (mut rows, mut bytes, mut pages) = (0usize, 0usize, Vec::new());
    while let Some(path) = next.take() {
        let t = Instant::now();
        let res = client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await?;
        anyhow::ensure!(res.status() == 200, "export answered {}", res.status());
        next = res
            .headers()
            .get("link")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split_once('>'))
            .map(|(p, _)| p.to_owned());
        let body = res.bytes().await?;
        pages.push(t.elapsed());
        bytes += body.len();
        rows += body.iter().filter(|b| **b == b'\n').count();
    }
    let took = started.elapsed();
    let _ = stop.send(());
    server.await??;

    pages.sort();
    println!("responses stored          {responses}");
    println!(
        "data folder on disk       {:.1} MB, {:.0} bytes per response",
        disk as f64 / 1e6,
        disk as f64 / responses.max(1) as f64
    );
    println!(
        "export (NDJSON)           {rows} rows in {:.2} s: {:.0} rows/s, {:.0} bytes per row",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64(),
        bytes as f64 / rows.max(1) as f64
    );
    println!(
        "page of 10,000 rows       p50 {:.0} ms, max {:.0} ms",
        pages[pages.len() / 2].as_secs_f64() * 1000.0,
        pages.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    Ok(())
}
