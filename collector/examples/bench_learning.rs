//! Learning from analysts at city scale: imports generated
//! community-safety responses that all carry a comment into a temporary
//! sled folder, has analysts' codes disagree with the codebook in a way a
//! model can learn, trains the model (`service::learning::train`, as the
//! background worker does), then codes every stored comment again
//! (`service::learning::recode`) while 16 clients keep submitting through
//! a real collector on 127.0.0.1 at `--rate` a second in all (500 by
//! default: far above what posters and partner pages bring a city, enough
//! to see a pass hold submissions up). Prints training time, the pass's
//! time and rate, and the submissions' rate and latency before and during
//! the pass.
//!
//! ```text
//! cargo run --release -p collector --example bench_learning -- [--count 1000000] [--codes 400] [--rate 500] [--seed 1] [--data DIR] [--whole | --label]
//! ```
//!
//! With `--whole` the pass scores every comment again whole (compound,
//! label, themes, flags), as a collector does at start where its shipped
//! coding differs from the one the answers were scored by; with `--label`
//! it labels every comment and codes its themes again, as it does where
//! only the shipped label model (and maybe the theme model) differs.
//!
//! `--count` is the number of comments (responses with one) imported. With
//! `--data DIR` the folder is kept, and one that already holds responses is
//! used as it is.

/// The allocator the server runs with (see `main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use collector::model::{ManualCode, ResponseId};
use collector::service::{import, learning};
use collector::store::{SledStore, Store};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use survey::Answer;

// Its own import (comments only), not the shared one.
#[allow(dead_code)]
#[path = "support/demo.rs"]
mod demo;
use demo::FORM;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Submissions made and their latencies (sorted, ms), from 16 clients
/// posting generated responses to `base` at `rate` a second in all until
/// `done` is set.
async fn submit_until(
    base: &str,
    seed: u64,
    rate: u64,
    done: Arc<AtomicBool>,
) -> (usize, Duration, Vec<f64>) {
    let form = synth::forms_dir();
    let published: survey::Form = serde_json::from_str(
        &std::fs::read_to_string(form.join(format!("{FORM}.json"))).expect("form"),
    )
    .expect("form json");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_no in 0..16u64 {
        let (base, done, published) = (base.to_owned(), done.clone(), published.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let url = format!("{base}/api/v1/forms/{FORM}/responses");
            let generated = synth::submissions(
                &published,
                synth::Options {
                    seed: seed * 1000 + client_no,
                    count: 1_000_000,
                    ..synth::Options::default()
                },
            )
            .expect("form known");
            let mut latencies = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_secs_f64(16.0 / rate as f64));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            for (submission, _) in generated {
                tick.tick().await;
                if done.load(Ordering::Acquire) {
                    break;
                }
                let t = Instant::now();
                let res = client
                    .post(&url)
                    .json(&submission)
                    .send()
                    .await
                    .expect("post");
                assert_eq!(
                    res.status(),
                    201,
                    "{}",
                    res.text().await.unwrap_or_default()
                );
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client"));
    }
    let took = started.elapsed();
    all.sort_by(f64::total_cmp);
    (all.len(), took, all)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = arg("--count").map_or(Ok(1_000_000), |s| s.parse())?;
    let codes: usize = arg("--codes").map_or(Ok(400), |s| s.parse())?;
    let seed: u64 = arg("--seed").map_or(Ok(1), |s| s.parse())?;
    let rate: u64 = arg("--rate").map_or(Ok(500), |s| s.parse())?;
    let redo = if std::env::args().any(|a| a == "--whole") {
        learning::Redo::Whole
    } else if std::env::args().any(|a| a == "--label") {
        learning::Redo::Label
    } else {
        learning::Redo::Themes
    };
    let temp = tempfile::tempdir()?;
    let data: PathBuf = arg("--data").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);

    if !data.join("db").exists() {
        let started = Instant::now();
        let store = SledStore::open(&data)?;
        collector::publish_folder(&store, &synth::forms_dir())?;
        let form = store.form(FORM).expect("community-safety is published");
        let generated = synth::submissions(
            &form.form,
            // Within the form's retention period, so that the text is
            // still there to code (older text is erased at start).
            synth::Options {
                seed,
                count: usize::MAX / 2,
                from_ms: collector::model::now_ms() - 365 * 86_400_000,
                to_ms: collector::model::now_ms() - 86_400_000,
            },
        )?
        .filter(|(s, _)| s.answers.contains_key("safety_comment"))
        .take(count);
        let n = import::load(
            &store,
            // The default configuration's coding, which the server uses:
            // nothing to score again at its start.
            &collector::index::Indexes::new(analysis::Scorer::new())
                .with_sentiment_model()
                .with_theme_model(),
            &form.form,
            generated,
        )?;
        drop(store);
        demo::retry_in_use(|| SledStore::refresh_snapshot(&data))?;
        println!(
            "imported {n} responses with a comment in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let (state, opened) = demo::open_timed(&data)?;
    println!("opened in {:.1} s", opened.as_secs_f64());
    let store = state.store.clone();
    let published = store.form(FORM).expect("published");

    // Analysts code the first `codes` comments: the codebook's themes,
    // and visible policing wherever a comment is about the dark or the
    // night (`harness::analysts_themes`).
    let started = Instant::now();
    let mut coded = 0;
    let mut after: Option<ResponseId> = None;
    while coded < codes {
        let page = store.responses(FORM, after, 1000)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for r in &page {
            let Some(Answer::Text(text)) = r.answers.get("safety_comment") else {
                continue;
            };
            let code = ManualCode {
                themes: harness::analysts_themes(&state.indexes, &published.form, text),
                sentiment: None,
                by: "bench".into(),
                at_ms: collector::model::now_ms(),
            };
            collector::service::coding::set(
                store.clone(),
                &state.indexes,
                FORM,
                r.id.expect("stored"),
                "safety_comment",
                &code,
            )
            .await?;
            coded += 1;
            if coded == codes {
                break;
            }
        }
    }
    println!(
        "analysts' codes           {coded} set in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Trained below, to time it: not by the server's worker.
    state.indexes.learned().take_work();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(collector::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    // Trained here rather than by the worker, to time it.
    let (s, ix) = (store.clone(), state.indexes.clone());
    let model = tokio::task::spawn_blocking(move || {
        let m = learning::train(s.as_ref(), &ix, FORM);
        // The pass below is this model's: the worker need not start one.
        ix.learned().take_work();
        m
    })
    .await??;
    match model {
        Some(model) => {
            let learned: Vec<&str> = model
                .choice
                .themes
                .iter()
                .filter(|t| t.use_learned)
                .map(|t| t.theme.as_str())
                .collect();
            println!(
                "training                  {} ms on {} codes (5 folds and the final model); learned model in use for {learned:?}",
                model.training_ms, model.choice.examples
            );
        }
        // A kept folder's codes are the same as last time: its model
        // stands, and a whole or label pass does not need a new one.
        None if redo != learning::Redo::Themes => {
            println!("training                  none: the codes are those of the model in use")
        }
        None => anyhow::bail!(
            "no model trained (fewer than {} codes, or the same codes as the model in use?)",
            learning::MIN_EXAMPLES
        ),
    }

    // Submissions alone, for 5 s.
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5)).await;
        flag.store(true, Ordering::Release);
    });
    let (n, took, lat) = submit_until(&base, seed + 1, rate, done).await;
    println!(
        "submissions alone         {:.0}/s, p50 {:.1} ms, p99 {:.1} ms (16 clients at {rate}/s in all, {n} in {:.1} s)",
        n as f64 / took.as_secs_f64(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        took.as_secs_f64()
    );

    // The pass, with submissions beside it until it ends.
    let done = Arc::new(AtomicBool::new(false));
    let (s, ix, flag) = (store.clone(), state.indexes.clone(), done.clone());
    let pass = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let p = learning::recode(s.as_ref(), &ix, FORM, ResponseId { ms: 0, seq: 0 }, redo);
        flag.store(true, Ordering::Release);
        (p, t.elapsed())
    });
    let (n, took, lat) = submit_until(&base, seed + 2, rate, done).await;
    let (p, pass_took) = pass.await?;
    let p = p?;
    println!(
        "{:<26}{} comments read, {} changed, in {:.1} s: {:.0} comments/s (index rebuild included)",
        match redo {
            learning::Redo::Whole => "whole pass",
            learning::Redo::Label => "label pass",
            learning::Redo::Themes => "re-coding pass",
        },
        p.answers,
        p.changed,
        pass_took.as_secs_f64(),
        p.answers as f64 / pass_took.as_secs_f64()
    );
    println!(
        "submissions during it     {:.0}/s, p50 {:.1} ms, p99 {:.1} ms ({n} in {:.1} s)",
        n as f64 / took.as_secs_f64(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        took.as_secs_f64()
    );
    let _ = stop.send(());
    server.await??;
    Ok(())
}
