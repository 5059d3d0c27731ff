//! Dashboard speed at city scale: bulk-imports generated community-safety
//! responses into a temporary sled folder, serves them from a real
//! collector on 127.0.0.1, signs in, and times every dashboard view and a
//! ward's public page (the time from request to the whole page, on the
//! loopback: the server's time); then, when Chromium and the npm tools are
//! there, loads the first view (the overview) in headless Chromium over a
//! slow mobile connection (150 ms round trip, 1.6 Mbit/s) and prints when
//! it was usable.
//!
//! ```text
//! cargo run --release -p collector --example bench_dashboard -- [--count 1000000] [--runs 15] [--data DIR]
//! ```

/// The allocator the server runs with (see `main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use collector::model::Role;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "support/demo.rs"]
mod demo;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The views timed: what a sergeant and an analyst open.
const VIEWS: [&str; 15] = [
    "/dashboard/overview?form=community-safety",
    "/dashboard/overview?form=community-safety&respondent=worker&share=public",
    "/dashboard/drill?form=community-safety&m=feel_safe_dark",
    "/dashboard/drill?form=community-safety&m=feel_safe_dark&level=ward&respondent=worker",
    "/dashboard/drill?form=community-safety&m=feel_safe_dark&level=site&in=ward:bishopsgate",
    "/dashboard/breakdown?form=community-safety&m=police_fair&by=respondent",
    "/dashboard/crosstab?form=community-safety&question=worry&by=ward",
    "/dashboard/trend?form=community-safety&m=feel_safe_dark",
    "/dashboard/map?form=community-safety&m=feel_safe_dark&respondent=worker",
    "/dashboard/trend?form=community-safety&m=feel_safe_dark&ward=bishopsgate&respondent=worker",
    "/dashboard/text?form=community-safety",
    "/dashboard/text?form=community-safety&theme=drugs&ward=bishopsgate",
    "/dashboard/funnel?form=community-safety",
    "/dashboard/cases?form=community-safety",
    "/results/bishopsgate",
];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = arg("--count").map_or(Ok(1_000_000), |s| s.parse())?;
    let runs: usize = arg("--runs").map_or(Ok(15), |s| s.parse())?;
    let temp = tempfile::tempdir()?;
    let data: PathBuf = arg("--data").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    if !data.join("db").exists() {
        let done = demo::import(&data, count, 1)?;
        println!(
            "imported {} responses in {:.1} s (then sled replayed its log once, {:.2} s)",
            done.count,
            done.took.as_secs_f64(),
            done.replay.as_secs_f64()
        );
    }
    let (state, opened) = demo::open_timed(&data)?;
    println!("collector opened in {:.1} s", opened.as_secs_f64());
    let token = collector::service::tokens::create(
        state.store.as_ref(),
        collector::service::tokens::Spec::role(Role::Admin),
    )?
    .0;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(collector::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let signed = client
        .post(format!("{base}/dashboard/sign-in"))
        .form(&[("token", token.as_str())])
        .send()
        .await?;
    anyhow::ensure!(
        signed.status() == 303,
        "sign-in answered {}",
        signed.status()
    );
    let cookie = signed.headers()["set-cookie"]
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();

    println!(
        "{:<92} {:>8} {:>8} {:>8} {:>9}",
        "view", "p50 ms", "p95 ms", "max ms", "HTML KiB"
    );
    let mut worst = Duration::ZERO;
    for view in VIEWS {
        let mut times = Vec::with_capacity(runs);
        let mut bytes = 0;
        for i in 0..runs + 2 {
            let t = Instant::now();
            let res = client
                .get(format!("{base}{view}"))
                .header("cookie", &cookie)
                .send()
                .await?;
            anyhow::ensure!(res.status() == 200, "{view} answered {}", res.status());
            bytes = res.bytes().await?.len();
            // The first two warm the caches of the page and the index.
            if i >= 2 {
                times.push(t.elapsed());
            }
        }
        times.sort();
        let (p50, p95, max) = (
            times[times.len() / 2],
            times[(times.len() * 95 / 100).min(times.len() - 1)],
            times[times.len() - 1],
        );
        worst = worst.max(max);
        println!(
            "{view:<92} {:>8.1} {:>8.1} {:>8.1} {:>9.1}",
            ms(p50),
            ms(p95),
            ms(max),
            bytes as f64 / 1024.0
        );
    }
    println!(
        "slowest view at {} responses: {:.1} ms (target: under 300 ms)",
        state
            .indexes
            .index("community-safety")
            .map_or(0, |ix| ix.read().unwrap_or_else(|e| e.into_inner()).len()),
        ms(worst)
    );

    // The first view over a slow mobile connection, in a real browser.
    let tools = harness::workspace().join("tests/browser");
    if tools.join("node_modules/playwright-core").is_dir() {
        let session = cookie.trim_start_matches("dashboard_session=").to_owned();
        let b = base.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("node")
                .arg(tools.join("bench-dashboard.mjs"))
                .arg(&b)
                .arg(&session)
                .output()
        })
        .await??;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
        }
    } else {
        println!("(no npm tools: run scripts/setup.sh for the slow-connection figure)");
    }
    let _ = stop.send(());
    server.await??;
    Ok(())
}
