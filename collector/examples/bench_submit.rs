//! Durable submissions per second: `wrk` (Debian's `wrk`, a C load
//! generator in its own process) posts valid community-safety submissions
//! over loopback to a real collector on 127.0.0.1 (rate limit and bot
//! checks off); each `201` comes only after the group commit has reached
//! the disk. Every request carries a fresh submission id, so none is a
//! retry.
//!
//! `--store memory` puts the in-memory store of the tests (`MemStore`) under
//! the same HTTP stack, validation, sentiment scoring and index: what the
//! collector does without a disk, the ceiling the sled store is measured
//! against. `--store sqlite` puts SQLite there instead (WAL,
//! `synchronous=FULL`, one transaction per group of submissions): the
//! engine a user would pick instead. `--writers` takes a list of
//! concurrent connections; each count runs against a fresh store.
//!
//! ```text
//! cargo run --release -p collector --example bench_submit -- [--store sled|memory|sqlite] [--writers 1,16,64,256] [--seconds 5]
//! ```

/// The allocator the server runs with (see `main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use collector::store::Store;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use synth::{Generator, Options};

const FORM: &str = "community-safety";

/// Distinct generated submissions `wrk` cycles through.
const BODIES: usize = 4096;

/// Where a body's submission id goes; `wrk` writes a fresh UUID there for
/// every request.
const ID_SLOT: &str = "00000000-0000-4000-8000-000000000000";

/// wrk's script: reads the bodies, gives each request a UUID of its
/// thread's number and a counter, and prints the figures in one line.
const SCRIPT: &str = r#"
local bodies = {}
local n = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
init = function(args)
  for line in io.lines(args[1]) do
    local a, b = string.find(line, args[2], 1, true)
    bodies[#bodies + 1] = { string.sub(line, 1, a - 1), string.sub(line, b + 1) }
  end
end
request = function()
  n = n + 1
  local body = bodies[(n % #bodies) + 1]
  local id = string.format("%08x-0000-4000-8000-%012x", tid, n)
  return wrk.format("POST", wrk.path, { ["Content-Type"] = "application/json" },
    body[1] .. id .. body[2])
end
done = function(summary, latency, requests)
  local failed = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, failed,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
"#;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let counts: Vec<usize> = arg("--writers")
        .unwrap_or_else(|| "1,16,64,256".into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let seconds: u64 = arg("--seconds").map_or(Ok(5), |s| s.parse())?;
    let store = arg("--store").unwrap_or_else(|| "sled".into());
    if !matches!(store.as_str(), "sled" | "memory" | "sqlite") {
        anyhow::bail!("--store is sled, memory or sqlite, not {store}");
    }
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        anyhow::bail!("wrk is not installed: apt-get install wrk");
    }
    let work = tempfile::tempdir()?;
    let bodies = work.path().join("bodies.ndjson");
    let script = work.path().join("submit.lua");
    std::fs::write(&script, SCRIPT)?;
    write_bodies(&bodies)?;

    println!("store {store}, {seconds} s per run, wrk over loopback");
    println!("writers   submissions/s   p50 ms   p99 ms   failed   per sync");
    for writers in counts {
        let run = run(&store, writers, seconds, &script, &bodies).await?;
        let per_sync = run
            .commits
            .filter(|c| c.groups > 0)
            .map_or("-".to_owned(), |c| {
                format!("{:.1}", c.submissions as f64 / c.groups as f64)
            });
        println!(
            "{writers:>7}   {:>13.0}   {:>6.2}   {:>6.2}   {:>6}   {per_sync:>8}",
            run.per_second, run.p50, run.p99, run.failed
        );
    }
    Ok(())
}

/// `BODIES` generated submissions as JSON lines, each with [`ID_SLOT`]
/// where its submission id goes.
fn write_bodies(path: &Path) -> anyhow::Result<()> {
    let form: survey::Form = serde_json::from_str(&std::fs::read_to_string(
        synth::forms_dir().join(format!("{FORM}.json")),
    )?)?;
    let gen = Generator::new(
        &form,
        Options {
            seed: 1000,
            count: BODIES,
            ..Options::default()
        },
    )?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for g in gen {
        let mut s = g.submission;
        s.submission_id = ID_SLOT.into();
        writeln!(out, "{}", synth::to_json(&s))?;
    }
    out.flush()?;
    Ok(())
}

/// One run's figures.
struct Run {
    per_second: f64,
    p50: f64,
    p99: f64,
    failed: u64,
    /// Submissions per group commit (one sync each), where the store
    /// commits in groups.
    commits: Option<collector::store::CommitStats>,
}

/// A collector over `store` in a fresh temp dir, and `wrk` with `writers`
/// connections posting to it for `seconds`.
async fn run(
    store: &str,
    writers: usize,
    seconds: u64,
    script: &Path,
    bodies: &Path,
) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let config = collector::Config {
        addr: "127.0.0.1:0".parse()?,
        data: dir.path().join("sled"),
        forms: synth::forms_dir(),
        rate_limit: 0,
        global_rate_limit: 0,
        bot_checks: false,
        ..collector::Config::default()
    };
    let mut state = collector::open(config)?;
    let other: Option<Arc<dyn Store>> = match store {
        "memory" => Some(Arc::new(harness::MemStore::new())),
        "sqlite" => Some(Arc::new(harness::SqliteStore::open(
            &dir.path().join("sqlite"),
        )?)),
        _ => None,
    };
    if let Some(other) = other {
        // The forms exactly as published (safeguarding lists merged in),
        // and indexes with the scorer `open` chose, over the other store.
        for id in state.store.form_ids() {
            if let Some(p) = state.store.form(&id) {
                other.publish(p.form.clone())?;
            }
        }
        let indexes = collector::index::Indexes::new(analysis::Scorer::new());
        for id in other.form_ids() {
            if let Some(p) = other.form(&id) {
                indexes.rebuild(other.as_ref(), &p.form)?;
            }
        }
        state.indexes = Arc::new(indexes);
        state.store = other;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(collector::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let url = format!("http://{addr}/api/v1/forms/{FORM}/responses");

    let (script, bodies) = (script.to_path_buf(), bodies.to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("wrk")
            .args(["-t", if writers > 1 { "2" } else { "1" }])
            .args(["-c", &writers.to_string()])
            .args(["-d", &format!("{seconds}s")])
            .args(["--timeout", "10s"])
            .arg("-s")
            .arg(&script)
            .arg(&url)
            .arg("--")
            .arg(&bodies)
            .arg(ID_SLOT)
            .output()
    })
    .await??;
    let commits = state.store.commit_stats();
    let _ = stop.send(());
    server.await??;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "wrk printed no result:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let f: Vec<u64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let [requests, failed, micros, p50, p99] = f[..] else {
        anyhow::bail!("wrk's result line is {line}");
    };
    Ok(Run {
        per_second: (requests - failed) as f64 / (micros as f64 / 1e6),
        p50: p50 as f64 / 1000.0,
        p99: p99 as f64 / 1000.0,
        failed,
        commits,
    })
}
