//! Durable submissions per second: concurrent HTTP writers post valid
//! community-safety submissions to a real collector on 127.0.0.1 (rate
//! limit and bot checks off), each waiting for its `201`, which comes only
//! after the group commit has reached the disk.
//!
//! `--store memory` puts the in-memory store of the tests (`MemStore`) under
//! the same HTTP stack, validation, sentiment scoring and index: what the
//! collector does without a disk, the ceiling the sled store is measured
//! against. `--writers` takes a list; each count runs against a fresh store.
//!
//! ```text
//! cargo run --release -p collector --example bench_submit -- [--store sled|memory] [--writers 1,16,64,256] [--seconds 5]
//! ```

use collector::store::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use synth::{Generator, Options};

const FORM: &str = "community-safety";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let counts: Vec<usize> = arg("--writers")
        .unwrap_or_else(|| "1,16,64,256".into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let seconds: f64 = arg("--seconds").map_or(Ok(5.0), |s| s.parse())?;
    let store = arg("--store").unwrap_or_else(|| "sled".into());
    if !matches!(store.as_str(), "sled" | "memory") {
        anyhow::bail!("--store is sled or memory, not {store}");
    }
    println!("store {store}, {seconds} s per run");
    println!("writers   submissions/s   p50 ms   p99 ms   failed");
    for writers in counts {
        let run = run(&store, writers, seconds).await?;
        println!(
            "{writers:>7}   {:>13.0}   {:>6.1}   {:>6.1}   {:>6}",
            run.per_second, run.p50, run.p99, run.failed
        );
    }
    Ok(())
}

/// One run's figures.
struct Run {
    per_second: f64,
    p50: f64,
    p99: f64,
    failed: u64,
}

/// A collector over `store` in a fresh temp dir, and `writers` writers
/// posting to it for `seconds`.
async fn run(store: &str, writers: usize, seconds: f64) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let config = collector::Config {
        addr: "127.0.0.1:0".parse()?,
        data: dir.path().to_path_buf(),
        forms: synth::forms_dir(),
        rate_limit: 0,
        global_rate_limit: 0,
        bot_checks: false,
        ..collector::Config::default()
    };
    let mut state = collector::open(config)?;
    if store == "memory" {
        // The forms exactly as published (safeguarding lists merged in),
        // and indexes with the scorer `open` chose, over the memory store.
        let memory = Arc::new(harness::MemStore::new());
        for id in state.store.form_ids() {
            if let Some(p) = state.store.form(&id) {
                memory.publish(p.form.clone())?;
            }
        }
        let indexes = collector::index::Indexes::new(analysis::Scorer::new());
        for id in memory.form_ids() {
            if let Some(p) = memory.form(&id) {
                indexes.rebuild(memory.as_ref(), &p.form)?;
            }
        }
        state.indexes = Arc::new(indexes);
        state.store = memory;
    }
    let form = state
        .store
        .form(FORM)
        .ok_or_else(|| anyhow::anyhow!("{FORM} is not published"))?
        .form
        .clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(collector::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let url = format!("http://{addr}/api/v1/forms/{FORM}/responses");

    let running = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (url, running, form) = (url.clone(), running.clone(), form.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut gen = Generator::new(
                &form,
                Options {
                    seed: 1000 + w as u64,
                    count: usize::MAX,
                    ..Options::default()
                },
            )?;
            let mut latencies = Vec::new();
            let mut failed = 0u64;
            while running.load(Ordering::Relaxed) {
                let body = synth::to_json(&gen.next().expect("endless").submission);
                let t = Instant::now();
                let res = client.post(&url).json(&body).send().await?;
                if res.status() == 201 {
                    latencies.push(t.elapsed());
                } else {
                    failed += 1;
                }
            }
            anyhow::Ok((latencies, failed))
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    running.store(false, Ordering::Relaxed);
    let mut latencies = Vec::new();
    let mut failed = 0;
    for t in tasks {
        let (l, f) = t.await??;
        latencies.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    server.await??;

    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    Ok(Run {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: ms(pct(0.5)),
        p99: ms(pct(0.99)),
        failed,
    })
}
