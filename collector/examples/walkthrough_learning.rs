//! An analyst's walk-through of learning from their codes, on a real
//! collector on 127.0.0.1 (a temporary data folder each), twice:
//!
//! 1. `frozen set`: every community-safety comment of the frozen
//!    evaluation set (`analysis/eval/comments.tsv`) is submitted, and an
//!    analyst codes `--codes` of its development part by hand with the
//!    set's labels (the codebooks were tuned on that part, so they are
//!    hard to beat there).
//! 2. `everyday words`: residents who miss officers on foot say so in
//!    words no codebook phrase lists ("not a uniform in sight"), beside
//!    comments the codebook codes well; the analyst codes `--codes` of
//!    them.
//!
//! Each time the analyst's codes go in through `PUT
//! /api/v1/responses/{id}/codes`, the collector retrains in the background,
//! and the walk-through prints, per theme, how the codebook and the learned
//! model agree with the analyst on held-out codes and which one is now in
//! use (`GET …/models`), how the theme counts moved (`GET …/aggregates`),
//! and how well the codes in use agree with the labels of the comments
//! nobody coded (the evaluation set's test part, nothing was tuned on it),
//! before and after.
//!
//! ```text
//! cargo run --release -p collector --example walkthrough_learning -- [--codes 50]
//! ```

#[path = "../../analysis/examples/support/eval_set.rs"]
mod eval_set;

use collector::model::Role;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const FORM: &str = "community-safety";

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Theme → count of answers with it, from the aggregates.
fn theme_counts(agg: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for c in agg["cells"].as_array().into_iter().flatten() {
        if let Some(theme) = c["answer"].as_str().and_then(|a| a.strip_prefix("theme:")) {
            *out.entry(theme.to_owned()).or_default() += c["count"].as_u64().unwrap_or(0);
        }
    }
    out
}

/// Micro-averaged precision, recall and F1 of `got` against `want`.
fn micro(pairs: &[(Vec<String>, Vec<String>)]) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fne) = (0f64, 0f64, 0f64);
    for (got, want) in pairs {
        tp += got.iter().filter(|t| want.contains(t)).count() as f64;
        fp += got.iter().filter(|t| !want.contains(t)).count() as f64;
        fne += want.iter().filter(|t| !got.contains(t)).count() as f64;
    }
    let p = tp / (tp + fp).max(1.0);
    let r = tp / (tp + fne).max(1.0);
    (p, r, 2.0 * p * r / (p + r).max(f64::MIN_POSITIVE))
}

/// A comment, its themes, and whether the analyst may code it (the
/// others are held out to check the codes in use against).
struct Comment {
    text: String,
    themes: Vec<String>,
    codable: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let codes: usize = arg("--codes").map_or(Ok(50), |s| s.parse())?;
    let frozen: Vec<Comment> = eval_set::load()
        .into_iter()
        .filter(|c| c.form == FORM)
        .map(|c| Comment {
            codable: c.split == "dev",
            text: c.text,
            themes: c.themes,
        })
        .collect();
    run("frozen set", &frozen, codes).await?;
    run("everyday words", &everyday(), codes).await
}

/// Officers missed in words no phrase lists, broken lights in the
/// codebook's own words, and comments with no theme; every other one held
/// out.
fn everyday() -> Vec<Comment> {
    let places = [
        "the high street",
        "the estate",
        "our road",
        "the market",
        "the station",
        "the park",
        "the square",
        "the precinct",
        "the canal path",
        "the bus stop",
    ];
    let missed = [
        "Not a uniform in sight on {}",
        "Haven't spotted a uniform on {} in months",
        "Uniforms never walk down {}",
        "Would love to see a uniform walking {}",
    ];
    let lamps = [
        "The street lights are out on {}",
        "Street lighting on {} is broken again",
        "Lamps on {} never fixed",
        "Dark on {}, need street lights",
    ];
    let fine = [
        "Feel fine on {} most days",
        "{} is friendly and busy",
        "Nothing to add about {}",
        "Neighbours look out for each other on {}",
    ];
    let mut out = Vec::new();
    for (i, place) in places.iter().enumerate() {
        for (list, theme) in [
            (&missed, Some("visible-policing")),
            (&lamps, Some("lighting-environment")),
            (&fine, None),
        ] {
            for (j, t) in list
                .iter()
                .enumerate()
                .take(if theme.is_some() { 4 } else { 2 })
            {
                out.push(Comment {
                    text: t.replace("{}", place),
                    themes: theme.map(|t| vec![t.to_owned()]).unwrap_or_default(),
                    codable: (i + j) % 2 == 0,
                });
            }
        }
    }
    out
}

async fn run(name: &str, comments: &[Comment], codes: usize) -> anyhow::Result<()> {
    println!("== {name} ==\n");
    let dir = tempfile::tempdir()?;
    let state = collector::open(collector::Config {
        addr: "127.0.0.1:0".parse()?,
        data: dir.path().to_path_buf(),
        forms: eval_set::root().join("examples/forms"),
        rate_limit: 0,
        global_rate_limit: 0,
        bot_checks: false,
        // Retrain as soon as the codes change (a minute apart by default).
        retrain_after_secs: 0,
        ..collector::Config::default()
    })?;
    let token = collector::service::tokens::create(
        state.store.as_ref(),
        collector::service::tokens::Spec::role(Role::Analyst),
    )?
    .0;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(collector::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let api = format!("{base}/api/v1/forms/{FORM}");

    // Everyone's comments arrive.
    let mut ids = Vec::new();
    for (i, c) in comments.iter().enumerate() {
        let res = client
            .post(format!("{api}/responses"))
            .json(&json!({
                "submission_id": format!("00000000-0000-4000-8000-{:012x}", i + 1),
                "location": "moorgate", "channel": "qr",
                "answers": {"respondent_type": "resident", "feel_safe_day": 3,
                            "feel_safe_dark": 3, "worry": "a-little",
                            "safety_comment": c.text}}))
            .send()
            .await?;
        anyhow::ensure!(res.status() == 201, "submit: {}", res.text().await?);
        ids.push(
            res.json::<Value>().await?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let get = |path: String| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let res = client.get(path).bearer_auth(token).send().await?;
            anyhow::ensure!(res.status() == 200, "{}", res.text().await?);
            Ok::<Value, anyhow::Error>(res.json().await?)
        }
    };
    // The codes in use for the test part (uncoded), against its labels.
    let test_fit = |page: &Value| {
        let by_id: BTreeMap<&str, Vec<String>> = page
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                let themes = i["themes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect();
                (i["id"].as_str().unwrap_or_default(), themes)
            })
            .collect();
        let pairs: Vec<(Vec<String>, Vec<String>)> = comments
            .iter()
            .zip(&ids)
            .filter(|(c, _)| !c.codable)
            .map(|(c, id)| {
                (
                    by_id.get(id.as_str()).cloned().unwrap_or_default(),
                    c.themes.clone(),
                )
            })
            .collect();
        (pairs.len(), micro(&pairs))
    };
    let agg_path = format!("{api}/aggregates?question=safety_comment");
    let text_path = format!("{api}/text?question=safety_comment&limit=10000");
    let before = theme_counts(&get(agg_path.clone()).await?);
    let (tested, fit_before) = test_fit(&get(text_path.clone()).await?);
    println!(
        "{} community-safety comments submitted ({} the analyst may code, {tested} held out)\n",
        comments.len(),
        comments.iter().filter(|c| c.codable).count()
    );

    // The analyst codes the first `codes` development comments by hand.
    let mut coded = 0;
    for (c, id) in comments.iter().zip(&ids).filter(|(c, _)| c.codable) {
        if coded == codes {
            break;
        }
        let res = client
            .put(format!("{base}/api/v1/responses/{id}/codes"))
            .bearer_auth(&token)
            .json(&json!({"question": "safety_comment", "themes": c.themes}))
            .send()
            .await?;
        anyhow::ensure!(res.status() == 200, "code: {}", res.text().await?);
        coded += 1;
    }
    println!(
        "an analyst coded {coded} of them by hand; the collector retrains in the background\n"
    );

    // Wait for the model trained on all of them, and its pass.
    let deadline = Instant::now() + Duration::from_secs(120);
    let model = loop {
        let list = get(format!("{api}/models")).await?;
        let newest = list["models"][0].clone();
        if newest["examples"] == coded && !newest["recoded"].is_null() {
            break newest;
        }
        if coded < collector::service::learning::MIN_EXAMPLES
            && Instant::now() > deadline - Duration::from_secs(110)
        {
            println!(
                "fewer than {} codes: no model is trained",
                collector::service::learning::MIN_EXAMPLES
            );
            let _ = stop.send(());
            server.await??;
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "no model: {list}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let after = theme_counts(&get(agg_path).await?);
    let (_, fit_after) = test_fit(&get(text_path).await?);

    println!(
        "model version {} (trained on {} codes in {} ms; held-out figures from 5-fold cross-validation)\n",
        model["version"], model["examples"], model["training_ms"]
    );
    println!(
        "{:<28} {:>5}  {:>14}  {:>14}  {:<9} {:>6} {:>6}",
        "theme", "coded", "codebook kappa", "learned kappa", "in use", "before", "after"
    );
    let kappa = |v: &Value| v.as_f64().map_or("-".to_owned(), |k| format!("{k:.2}"));
    for t in model["themes"].as_array().into_iter().flatten() {
        let id = t["theme"].as_str().unwrap_or_default();
        println!(
            "{:<28} {:>5}  {:>14}  {:>14}  {:<9} {:>6} {:>6}",
            id,
            t["positives"],
            kappa(&t["codebook"]["kappa"]),
            kappa(&t["learned"]["kappa"]),
            t["in_use"].as_str().unwrap_or_default(),
            before.get(id).copied().unwrap_or(0),
            after.get(id).copied().unwrap_or(0),
        );
    }
    println!(
        "\nanswers coded again: {} read, {} changed",
        model["recoded"]["answers"], model["recoded"]["changed"]
    );
    println!(
        "codes in use on the {tested} held-out comments (nobody coded them) against their labels:\n  before  precision {:.3} recall {:.3} F1 {:.3}\n  after   precision {:.3} recall {:.3} F1 {:.3}\n",
        fit_before.0, fit_before.1, fit_before.2, fit_after.0, fit_after.1, fit_after.2
    );
    let _ = stop.send(());
    server.await??;
    Ok(())
}
