//! Learning from analysts: their manual codes train a theme model in the
//! background, which takes over a theme only where it agrees with them
//! better than the codebook on held-out codes; the stored answers are then
//! coded again and the counts move; models are versioned and kept.

use crate::common::*;
use collector::model::Role;
use collector::store::{Doc, Store};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const FORM: &str = "community-safety";
const BASE: &str = "/api/v1/forms/community-safety";

/// People who miss officers on foot, in a word the codebook does not list.
fn unseen(i: usize) -> String {
    let places = [
        "the high street",
        "the estate",
        "our road",
        "the market",
        "the station",
        "the park",
        "the square",
        "the precinct",
    ];
    let forms = [
        "No uniforms on {} after six",
        "Haven't spotted a uniform on {} in months",
        "Uniforms never walk down {}",
        "Would love to see a uniform walking {}",
    ];
    forms[i % forms.len()].replace("{}", places[(i / forms.len()) % places.len()])
}

/// Broken lights, in the codebook's own words.
fn lamps(i: usize) -> String {
    let places = [
        "by the bins",
        "on the path",
        "near the school",
        "in the car park",
        "by the canal",
        "on Church Lane",
    ];
    let forms = [
        "The street lights are out {}",
        "Street lighting {} is broken again",
        "Lamps {} never fixed",
        "Lights out {} for weeks",
        "Dark {}, need street lights",
    ];
    forms[i % forms.len()].replace("{}", places[(i / forms.len()) % places.len()])
}

async fn answer(s: &Server, n: u128, comment: &str) -> String {
    let res = s
        .submit(
            FORM,
            &json!({"submission_id": uuid(n), "location": "moorgate", "channel": "qr",
                    "answers": {"respondent_type": "resident", "feel_safe_day": 4,
                                "feel_safe_dark": 2, "worry": "a-little",
                                "safety_comment": comment}}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn code(s: &Server, token: &str, id: &str, themes: &[&str]) {
    let res = s
        .client
        .put(s.url(&format!("/api/v1/responses/{id}/codes")))
        .bearer_auth(token)
        .json(&json!({"question": "safety_comment", "themes": themes}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// One answer as `/text` lists it.
async fn text_item(s: &Server, token: &str, id: &str) -> Value {
    let page = s
        .get_ok(
            &format!("{BASE}/text?question=safety_comment&limit=500"),
            token,
        )
        .await;
    page.as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed"))
        .clone()
}

/// The auto themes of one answer, from `/text`.
async fn auto_themes(s: &Server, token: &str, id: &str) -> Vec<String> {
    let item = text_item(s, token, id).await;
    item["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

fn cell(agg: &Value, answer: &str) -> u64 {
    agg["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["question"] == "safety_comment" && c["answer"] == answer)
        .map(|c| c["count"].as_u64().unwrap())
        .sum()
}

/// Waits (at most 60 s) until the newest model was trained on `examples`
/// hand-coded answers and has finished its re-coding pass; returns the
/// model list.
async fn model_ready(s: &Server, token: &str, examples: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = s.get_ok(&format!("{BASE}/models"), token).await;
        let newest = &list["models"][0];
        if newest["examples"] == examples && !newest["recoded"].is_null() {
            return list;
        }
        assert!(Instant::now() < deadline, "no model of {examples}: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asks for the model to be retrained now (202), and gives the
/// background task time to train one if the codes call for it.
async fn ask_retrain(s: &Server, token: &str) {
    let res = s
        .client
        .post(s.url(&format!("{BASE}/models")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

fn theme<'a>(model: &'a Value, id: &str) -> &'a Value {
    model["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["theme"] == id)
        .unwrap()
}

/// The dashboard's free-text view of the comments, signed in with `token`.
async fn free_text_view(s: &Server, token: &str) -> String {
    let cookie = crate::dashboard::sign_in(s, token).await;
    let (status, html) = crate::dashboard::get(
        s,
        &cookie,
        "/dashboard/text?form=community-safety&question=safety_comment",
    )
    .await;
    assert_eq!(status, 200);
    html
}

/// A server with the example forms in a new folder (kept while the first
/// value lives) that retrains at every change (60 s apart in a
/// deployment), its config, and an analyst's token. The shipped coding is
/// the codebooks' phrases alone: what the analysts' model is judged
/// against then stays put as the shipped theme model is trained on more
/// comments (their interplay: `a_new_shipped_coding_trains_the_analysts_model_again`,
/// and `text_coding`).
async fn started() -> (tempfile::TempDir, collector::Config, Server, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.forms = example_forms();
    cfg.retrain_after_secs = 0;
    cfg.theme_model = false;
    let s = Server::start(cfg.clone()).await;
    let token = s.token(Role::Analyst);
    (dir, cfg, s, token)
}

#[tokio::test]
async fn analysts_codes_train_a_model_that_takes_over_where_it_agrees_better() {
    let (_dir, cfg, s, token) = started().await;

    // 30 answers of each kind; analysts code 25 of each and leave 5.
    let mut police = Vec::new();
    let mut lights = Vec::new();
    for i in 0..30 {
        police.push(answer(&s, i as u128 + 1, &unseen(i)).await);
        lights.push(answer(&s, i as u128 + 101, &lamps(i)).await);
    }
    let agg_path = format!("{BASE}/aggregates?question=safety_comment");
    let before = s.get_ok(&agg_path, &token).await;
    assert_eq!(
        cell(&before, "theme:visible-policing"),
        0,
        "the codebook misses them"
    );
    assert_eq!(cell(&before, "theme:lighting-environment"), 30);
    let none = s.get_ok(&format!("{BASE}/models"), &token).await;
    assert_eq!(none["models"], json!([]));
    assert_eq!(none["min_examples"], 20);

    for id in &police[..15] {
        code(&s, &token, id, &["visible-policing"]).await;
    }
    // Fewer than 20 codes train nothing yet.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let list = s.get_ok(&format!("{BASE}/models"), &token).await;
    assert_eq!(list["models"], json!([]), "15 codes: no model yet? {list}");
    for (a, b) in police[15..25].iter().zip(&lights) {
        code(&s, &token, a, &["visible-policing"]).await;
        code(&s, &token, b, &["lighting-environment"]).await;
    }
    for id in &lights[10..25] {
        code(&s, &token, id, &["lighting-environment"]).await;
    }

    // Retrained in the background as codes came in: the newest version
    // is trained on all 50.
    let list = model_ready(&s, &token, 50).await;
    let m = &list["models"][0];
    let version = m["version"].as_u64().unwrap();
    assert_eq!(m["in_use"], true);
    let vp = theme(m, "visible-policing");
    assert_eq!(vp["positives"], 25);
    assert_eq!(vp["in_use"], "learned", "{vp}");
    assert_eq!(vp["codebook"]["both_yes"], 0);
    assert_eq!(vp["codebook"]["n"], 50);
    let learned_kappa = vp["learned"]["kappa"].as_f64().unwrap();
    assert!(learned_kappa > 0.8, "held-out kappa {learned_kappa}");
    assert!(learned_kappa > vp["codebook"]["kappa"].as_f64().unwrap_or(-1.0));
    let light = theme(m, "lighting-environment");
    assert_eq!(light["in_use"], "codebook", "{light}");
    assert_eq!(light["codebook"]["kappa"], 1.0);
    assert_eq!(theme(m, "drugs")["in_use"], "codebook", "never coded");
    assert!(list["models"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .all(|m| m["in_use"] == false));

    // The agreement report shows both coders and the one in use.
    let report = s
        .get_ok(&format!("{BASE}/agreement?question=safety_comment"), &token)
        .await;
    assert_eq!(report["learning"]["version"], version);
    assert_eq!(
        theme(&report["learning"], "visible-policing")["in_use"],
        "learned"
    );

    // The dashboard's free-text view shows which coder each theme uses.
    let html = free_text_view(&s, &token).await;
    let doc = scraper::Html::parse_document(&html);
    let row = |name: &str| -> Vec<String> {
        let rows = scraper::Selector::parse("table tr").unwrap();
        doc.select(&rows)
            .map(|r| {
                r.text()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .find(|cells| {
                cells.first().is_some_and(|c| c == name)
                    && cells
                        .iter()
                        .any(|c| c == "learned model" || c == "codebook")
            })
            .unwrap_or_default()
    };
    assert_eq!(
        row("Visible policing").get(1).map(String::as_str),
        Some("learned model"),
        "{html}"
    );
    assert_eq!(
        row("Lighting and environment").get(1).map(String::as_str),
        Some("codebook")
    );
    assert!(html.contains(&format!("Model version {version} is in use")));

    // The five answers nobody coded were coded again: the counts move.
    for id in &police[25..] {
        let got = auto_themes(&s, &token, id).await;
        assert!(
            got.contains(&"visible-policing".to_owned()),
            "{id}: {got:?}"
        );
    }
    let after = s.get_ok(&agg_path, &token).await;
    assert_eq!(cell(&after, "theme:visible-policing"), 30);
    assert_eq!(cell(&after, "theme:lighting-environment"), 30);

    // A new answer is coded by the model as it arrives.
    let fresh = answer(&s, 500, "Not one uniform near the square at night").await;
    assert!(auto_themes(&s, &token, &fresh)
        .await
        .contains(&"visible-policing".to_owned()));

    // The same codes train no new version.
    ask_retrain(&s, &token).await;
    let again = s.get_ok(&format!("{BASE}/models"), &token).await;
    assert_eq!(again["models"][0]["version"], version);

    // A supervisor may not see or start models.
    let supervisor = s.supervisor_token(&["city-east"], &[]);
    for req in [
        s.client.get(s.url(&format!("{BASE}/models"))),
        s.client.post(s.url(&format!("{BASE}/models"))),
    ] {
        assert_eq!(
            req.bearer_auth(&supervisor).send().await.unwrap().status(),
            403
        );
    }

    // A changed code trains version 2; version 1 is kept, not in use.
    code(&s, &token, &police[25], &["visible-policing"]).await;
    let list = model_ready(&s, &token, 51).await;
    assert_eq!(list["models"][0]["version"], version + 1);
    assert_eq!(list["models"][1]["version"], version);
    assert_eq!(list["models"][1]["in_use"], false);

    // After a restart the newest model is in use again at once.
    s.stop().await;
    let s = Server::start(cfg.clone()).await;
    let again = answer(&s, 501, "No uniforms at the market this week").await;
    assert!(auto_themes(&s, &token, &again)
        .await
        .contains(&"visible-policing".to_owned()));
    let list = s.get_ok(&format!("{BASE}/models"), &token).await;
    assert_eq!(list["models"][0]["version"], version + 1);
    let after = s.get_ok(&agg_path, &token).await;
    assert_eq!(cell(&after, "theme:visible-policing"), 32);
    s.stop().await;

    // A model made by an older collector, on other features, is not used
    // with these: the codebook codes until it is trained again from the
    // same codes, which starts at once.
    {
        let store = collector::store::SledStore::open(&cfg.data).unwrap();
        let key = format!("{FORM}/{:08}", version + 1);
        let mut record: Value =
            serde_json::from_slice(&store.get_doc(Doc::Model, &key).unwrap().unwrap()).unwrap();
        record["features"] = json!(analysis::learn::FEATURES - 1);
        store
            .put_doc(Doc::Model, &key, &serde_json::to_vec(&record).unwrap())
            .unwrap();
    }
    let s = Server::start(cfg).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let list = loop {
        let list = model_ready(&s, &token, 51).await;
        if list["models"][0]["version"] == version + 2 {
            break list;
        }
        assert!(Instant::now() < deadline, "not trained again: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(list["models"][0]["in_use"], true);
    assert_eq!(list["models"][1]["in_use"], false);
    assert_eq!(
        theme(&list["models"][0], "visible-policing")["in_use"],
        "learned"
    );
    let after = s.get_ok(&agg_path, &token).await;
    assert_eq!(cell(&after, "theme:visible-policing"), 32);
    s.stop().await;
}

/// The store's re-coding pass runs beside submissions: every response
/// submitted while it runs is stored once, coded by the model in use when
/// it was coded or re-coded after (none left with the old codes).
#[tokio::test]
async fn recoding_runs_beside_submissions_and_leaves_none_with_old_codes() {
    let (_dir, _, s, token) = started().await;
    let mut ids = Vec::new();
    for i in 0..60 {
        let text = if i % 2 == 0 { unseen(i) } else { lamps(i) };
        ids.push(answer(&s, i as u128 + 1, &text).await);
    }
    for (i, id) in ids.iter().enumerate().take(50) {
        let t = if i % 2 == 0 {
            "visible-policing"
        } else {
            "lighting-environment"
        };
        code(&s, &token, id, &[t]).await;
    }
    // Submissions go on while the model is trained and the pass runs.
    let writer =
        {
            let (url, client) = (
                s.url(&format!("/api/v1/forms/{FORM}/responses")),
                s.client.clone(),
            );
            tokio::spawn(async move {
                let mut n = 1000u128;
                let started = Instant::now();
                while started.elapsed() < Duration::from_secs(4) {
                    n += 1;
                    let res = client
                    .post(&url)
                    .json(&json!({"submission_id": uuid(n), "location": "moorgate", "channel": "qr",
                                  "answers": {"respondent_type": "resident", "feel_safe_day": 4,
                                              "feel_safe_dark": 2, "worry": "a-little",
                                              "safety_comment": unseen(n as usize)}}))
                    .send()
                    .await
                    .unwrap();
                    assert_eq!(res.status(), 201);
                }
                n - 1000
            })
        };
    let sent = writer.await.unwrap();
    model_ready(&s, &token, 50).await;
    // Give a straggler's pass its second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = s
        .get_ok(
            &format!("{BASE}/aggregates?question=safety_comment"),
            &token,
        )
        .await;
    // 30 + 30 at the start (25 coded by hand, 5 coded again), and every
    // answer sent while the model was trained.
    assert_eq!(
        cell(&after, "theme:visible-policing"),
        30 + sent as u64,
        "sent {sent}"
    );
    assert_eq!(cell(&after, "theme:lighting-environment"), 30);
    s.stop().await;
}

/// Thanks said in bitter irony, which the shipped label model reads as
/// praise.
fn ironic(i: usize) -> String {
    let places = [
        "the station",
        "the market",
        "the estate",
        "the park",
        "our road",
        "the square",
        "the canal",
        "the high street",
        "the precinct",
        "the bus stop",
    ];
    let forms = [
        "Cheers for the lovely quiet patrol nobody saw at {}, marvellous",
        "Marvellous work at {} again, lovely, cheers",
        "Cheers, lovely and marvellous as ever near {}",
    ];
    forms[i % forms.len()].replace("{}", places[(i / forms.len()) % places.len()])
}

/// The auto sentiment label of one answer, from `/text`.
async fn auto_label(s: &Server, token: &str, id: &str) -> String {
    let item = text_item(s, token, id).await;
    assert!(item["manual"].is_null(), "{item}");
    item["sentiment"]["label"].as_str().unwrap().to_owned()
}

/// The auto sentiment label of the answer to `question` of response `id`,
/// from `/text`.
async fn label_of(s: &Server, token: &str, question: &str, id: &str) -> String {
    let page = s
        .get_ok(&format!("{BASE}/text?question={question}&limit=500"), token)
        .await;
    let item = page.as_array().unwrap().iter().find(|i| i["id"] == id);
    item.unwrap_or_else(|| panic!("{id} not listed: {page}"))["sentiment"]["label"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Analysts' sentiment labels retrain the label model too: where the
/// retrained model reads held-out labels as the analysts do significantly
/// more often than the shipped one, it labels; the stored answers are
/// labelled again (their flags kept) and the counts move.
#[tokio::test]
async fn analysts_labels_retrain_the_sentiment_label_where_it_reads_them_better() {
    let (_dir, cfg, s, token) = started().await;

    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(answer(&s, i as u128 + 1, &ironic(i)).await);
    }
    // One that asks for something, coded like the rest: its flag stays.
    let asks = answer(
        &s,
        99,
        "Please could someone call me back about the lovely marvellous patrol, cheers",
    )
    .await;
    // An answer to a question the codebook does not code: the label
    // model labels it all the same, at ingest and in the pass.
    let other = s
        .submit(
            FORM,
            &json!({"submission_id": uuid(98), "location": "moorgate", "channel": "qr",
                    "answers": {"respondent_type": "resident", "feel_safe_day": 4,
                                "feel_safe_dark": 2, "worry": "a-little",
                                "priorities": ["other"], "priorities_other": ironic(7)}}),
        )
        .await;
    assert_eq!(other.status(), 201);
    let other = other.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(
        label_of(&s, &token, "priorities_other", &other).await,
        "negative",
        "read as praise"
    );
    let agg_path = format!("{BASE}/aggregates?question=safety_comment");
    let before = s.get_ok(&agg_path, &token).await;
    let mut shipped_negative = 0;
    for id in &ids[25..] {
        shipped_negative += u64::from(auto_label(&s, &token, id).await == "negative");
    }
    assert!(
        shipped_negative < 3,
        "the shipped model reads them as praise"
    );
    // Most of the 31 read as praise (label `stack-2` reads 10 of them as
    // the complaints they are; `stack-1` read fewer).
    let negative_before = cell(&before, "negative");
    assert!(negative_before < 16, "{before}");

    for id in &ids[..25] {
        let res = s
            .client
            .put(s.url(&format!("/api/v1/responses/{id}/codes")))
            .bearer_auth(&token)
            .json(&json!({"question": "safety_comment", "themes": [], "sentiment": "negative"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let list = model_ready(&s, &token, 25).await;
    let label = &list["models"][0]["sentiment"];
    assert_eq!(label["examples"], 25, "{label}");
    assert_eq!(label["in_use"], "learned", "{label}");
    let (learned, shipped) = (
        label["learned_right"].as_u64().unwrap(),
        label["shipped_right"].as_u64().unwrap(),
    );
    assert!(learned >= 20 && learned > shipped, "{label}");
    assert!(label["p_value"].as_f64().unwrap() < 0.05);
    assert_eq!(
        label["only_learned"].as_u64().unwrap() - label["only_shipped"].as_u64().unwrap(),
        learned - shipped
    );
    // The agreement report carries it too.
    let report = s
        .get_ok(&format!("{BASE}/agreement?question=safety_comment"), &token)
        .await;
    assert_eq!(report["learning"]["sentiment"]["in_use"], "learned");
    // So does the dashboard's free-text view.
    let html = free_text_view(&s, &token).await;
    assert!(
        html.contains(&format!(
            "Sentiment labels: of 25 answers labelled by hand, the label model retrained with them reads {learned} as the analysts did (each held out), the shipped one {shipped}; the retrained one is in use."
        )),
        "{html}"
    );

    // The five nobody labelled, and the one that asks, are labelled again,
    // and so is the answer the codebook does not code.
    for id in ids[25..].iter().chain([&asks]) {
        assert_eq!(auto_label(&s, &token, id).await, "negative", "{id}");
    }
    assert_eq!(
        label_of(&s, &token, "priorities_other", &other).await,
        "negative"
    );
    let page = s
        .get_ok(
            &format!("{BASE}/text?question=safety_comment&actionable=true"),
            &token,
        )
        .await;
    let flagged: Vec<&Value> = page.as_array().unwrap().iter().map(|i| &i["id"]).collect();
    assert_eq!(flagged, vec![&json!(asks)], "the flag is kept");
    let after = s.get_ok(&agg_path, &token).await;
    assert_eq!(cell(&after, "negative"), 31);

    // A new answer is labelled by the retrained model as it arrives, and
    // after a restart.
    let fresh = answer(
        &s,
        500,
        "Lovely, marvellous, cheers for the patrol near the library",
    )
    .await;
    assert_eq!(auto_label(&s, &token, &fresh).await, "negative");
    s.stop().await;
    let s = Server::start(cfg).await;
    let again = answer(
        &s,
        501,
        "Cheers, marvellous and lovely as ever by the river",
    )
    .await;
    assert_eq!(auto_label(&s, &token, &again).await, "negative");
    assert_eq!(cell(&s.get_ok(&agg_path, &token).await, "negative"), 33);
    s.stop().await;
}

/// A model learned from the analysts is judged against the coding the
/// collector ships. When a new collector ships another (here the shipped
/// theme model, turned on), the same hand codes train a new model at
/// start, judged against the coding now shipped; a start with the same
/// coding trains none.
#[tokio::test]
async fn a_new_shipped_coding_trains_the_analysts_model_again() {
    // Started with the phrases alone as the shipped coding.
    let (_dir, mut cfg, s, token) = started().await;
    // The phrases miss these two; the shipped theme model finds them.
    let missed = [
        "Police? What police",
        "Never see anyone in uniform round the estate",
    ];
    for (i, comment) in missed.iter().enumerate() {
        let id = answer(&s, 500 + i as u128, comment).await;
        code(&s, &token, &id, &["visible-policing"]).await;
    }
    for i in 0..20 {
        let id = answer(&s, 600 + i as u128, &lamps(i)).await;
        code(&s, &token, &id, &["lighting-environment"]).await;
    }
    let list = model_ready(&s, &token, 22).await;
    let first = &list["models"][0];
    assert_eq!(first["version"], 1);
    let codebook = |m: &Value| theme(m, "visible-policing")["codebook"].clone();
    assert_eq!(codebook(first)["both_yes"], 0, "{first}");
    assert_eq!(codebook(first)["manual_only"], 2, "{first}");
    s.stop().await;

    cfg.theme_model = true;
    let s = Server::start(cfg.clone()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let list = loop {
        let list = s.get_ok(&format!("{BASE}/models"), &token).await;
        if list["models"][0]["version"] == 2 && !list["models"][0]["recoded"].is_null() {
            break list;
        }
        assert!(Instant::now() < deadline, "not trained again: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let second = &list["models"][0];
    assert_eq!(second["examples"], 22);
    assert_eq!(codebook(second)["both_yes"], 2, "{second}");
    assert_eq!(codebook(second)["manual_only"], 0, "{second}");
    assert_eq!(list["models"][1]["version"], 1, "the one before is kept");
    s.stop().await;

    // Started again with the same coding: asked to retrain, it finds
    // nothing new to learn from.
    let s = Server::start(cfg).await;
    ask_retrain(&s, &token).await;
    let list = s.get_ok(&format!("{BASE}/models"), &token).await;
    assert_eq!(list["models"].as_array().unwrap().len(), 2, "{list}");
    s.stop().await;
}

/// A sled store in a temporary folder with the example forms published,
/// and the community-safety form.
fn fresh_store() -> (tempfile::TempDir, collector::store::SledStore, survey::Form) {
    let dir = tempfile::tempdir().unwrap();
    let store = collector::store::SledStore::open(dir.path()).unwrap();
    collector::publish_folder(&store, &synth::forms_dir()).unwrap();
    let form = store.form(FORM).unwrap().form.clone();
    (dir, store, form)
}

/// `n` generated answers to `form` that carry a comment, received over
/// the 300 days before yesterday.
fn with_comments(
    form: &survey::Form,
    seed: u64,
    n: usize,
) -> impl Iterator<Item = (survey::Submission, u64)> {
    let now = collector::model::now_ms();
    synth::submissions(
        form,
        synth::Options {
            seed,
            count: usize::MAX / 2,
            from_ms: now - 300 * 86_400_000,
            to_ms: now - 86_400_000,
        },
    )
    .unwrap()
    .filter(|(s, _)| s.answers.contains_key("safety_comment"))
    .take(n)
}

/// A whole pass (the shipped coding changed) over more answers than one
/// run of the store's (500), coded on every core while the next run is
/// read: every answer is scored again once, exactly as it is scored alone,
/// in its place, and counted once; the coding is noted, and a second pass
/// changes nothing.
#[test]
fn a_whole_pass_over_many_runs_scores_each_answer_once_as_alone() {
    use collector::index::Indexes;
    use collector::model::ResponseId;
    use collector::service::{import, learning};
    use survey::Answer;
    let (_dir, store, form) = fresh_store();
    let rows = with_comments(&form, 11, 1_100);
    // Stored under the lexicon alone: the models' coding differs.
    let lexicon = Indexes::new(analysis::Scorer::new());
    assert_eq!(import::load(&store, &lexicon, &form, rows).unwrap(), 1_100);
    let indexes = Indexes::new(analysis::Scorer::new())
        .with_sentiment_model()
        .with_theme_model();
    let start = ResponseId { ms: 0, seq: 0 };
    let pass = learning::recode(&store, &indexes, FORM, start, learning::Redo::Whole).unwrap();
    assert!(!pass.stopped);

    let versions = store.form_versions(FORM).unwrap();
    let (mut seen, mut texts, mut after) = (std::collections::BTreeSet::new(), 0, None);
    loop {
        let page = store.responses(FORM, after, 400).unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        for r in &page {
            assert!(seen.insert(r.id), "each response once");
            let version = versions.iter().find(|v| v.version == r.version).unwrap();
            for (question, coding) in &r.coding {
                let Some(Answer::Text(text)) = r.answers.get(question) else {
                    continue;
                };
                texts += 1;
                assert_eq!(*coding, indexes.rescore(version, question, text), "{text}");
            }
        }
    }
    assert_eq!(seen.len(), 1_100);
    assert_eq!(pass.answers, texts, "each answer counted once");
    assert!(pass.changed > 0 && pass.changed <= texts, "{pass:?}");
    assert_eq!(
        store.get_doc(Doc::Coding, FORM).unwrap().as_deref(),
        Some(indexes.coding_version().as_bytes())
    );
    let again = learning::recode(&store, &indexes, FORM, start, learning::Redo::Whole).unwrap();
    assert_eq!((again.answers, again.changed), (texts, 0));
}

/// A sled store in a temporary folder with 1,000 answers that carry a
/// comment, the first 400 coded by analysts: the codebook's themes, and
/// visible policing wherever the dark or the night comes up, which no
/// phrase of the codebook says (so a model learned from them takes that
/// theme over). Returns the folder, the store, the indexes that stored
/// them (no model learned yet), the form and the answers, oldest first.
fn coded_store() -> (
    tempfile::TempDir,
    collector::store::SledStore,
    collector::index::Indexes,
    survey::Form,
    Vec<collector::model::StoredResponse>,
) {
    use collector::model::ManualCode;
    use collector::service::import;
    use survey::Answer;
    let (dir, store, form) = fresh_store();
    let now = collector::model::now_ms();
    let rows = with_comments(&form, 5, 1_000);
    let first = recent_indexes();
    assert_eq!(import::load(&store, &first, &form, rows).unwrap(), 1_000);
    let all = store.responses(FORM, None, 2_000).unwrap();
    assert_eq!(all.len(), 1_000);
    // Analysts code 400 answers (see `harness::analysts_themes`).
    for r in &all[..400] {
        let Some(Answer::Text(text)) = r.answers.get("safety_comment") else {
            unreachable!("every answer has a comment")
        };
        let code = ManualCode {
            themes: harness::analysts_themes(&first, &form, text),
            sentiment: None,
            by: "test".into(),
            at_ms: now,
        };
        store
            .set_manual_code(FORM, r.id.unwrap(), "safety_comment", &code)
            .unwrap();
    }
    (dir, store, first, form, all)
}

/// The indexes a collector starts with: the shipped label, flag and
/// theme models on.
fn recent_indexes() -> collector::index::Indexes {
    collector::index::Indexes::new(analysis::Scorer::new())
        .with_sentiment_model()
        .with_theme_model()
}

/// Hand codes set before a stop, with no model learned from them yet, are
/// learned from after the start, without an analyst setting another; a
/// start with nothing new to learn makes no new model.
#[test]
fn codes_set_before_a_stop_are_learned_from_after_the_start() {
    use collector::service::learning;
    let (_dir, store, _first, _form, _all) = coded_store();
    assert!(learning::latest(&store, FORM).unwrap().is_none());
    let after = std::time::Duration::from_secs(60);
    let restarted = recent_indexes();
    learning::load(&store, &restarted).unwrap();
    let trained = learning::run_once(&store, &restarted, after).unwrap();
    assert_eq!(trained, vec![FORM.to_owned()]);
    let model = learning::latest(&store, FORM).unwrap().expect("a model");
    assert_eq!(model.version, 1);
    assert!(model.recoded.is_some(), "and its pass ran: {model:?}");
    assert_eq!(restarted.learned().adopted(FORM).unwrap().version, 1);

    let again = recent_indexes();
    learning::load(&store, &again).unwrap();
    let trained = learning::run_once(&store, &again, std::time::Duration::ZERO).unwrap();
    assert!(trained.is_empty(), "{trained:?}");
    assert_eq!(learning::latest(&store, FORM).unwrap().unwrap().version, 1);
}

/// A pass from a later answer (one coded across an adoption) does not
/// note a newly adopted model as having coded the stored answers again:
/// the answers before it are still waiting for the pass from the start.
/// Were the collector stopped before that pass ended, the next start must
/// still run it; only the pass from the start notes the model.
#[test]
fn only_a_pass_from_the_first_answer_notes_a_new_model_as_coded_again() {
    use collector::model::ResponseId;
    use collector::service::learning;
    let (_dir, store, first, _form, all) = coded_store();
    let model = learning::train(&store, &first, FORM).unwrap().unwrap();
    assert!(model.choice.uses_learned(), "{:?}", model.choice);
    assert!(
        model.recoded.is_none(),
        "the stored answers are still to do"
    );
    let work = first.learned().take_work();
    assert_eq!(
        work[FORM].recode_from,
        Some(ResponseId { ms: 0, seq: 0 }),
        "training noted the pass from the start"
    );

    // The pass for an answer coded across the adoption runs first.
    let later = all[800].id.unwrap();
    let pass = learning::recode(&store, &first, FORM, later, learning::Redo::Themes).unwrap();
    assert_eq!(pass.answers, 200);
    assert!(
        learning::latest(&store, FORM)
            .unwrap()
            .unwrap()
            .recoded
            .is_none(),
        "200 of 1,000 answers coded again is not the model's pass"
    );

    // Stopped here: the next start finds the pass from the start undone.
    let restarted = recent_indexes();
    learning::load(&store, &restarted).unwrap();
    let work = restarted.learned().take_work();
    assert_eq!(
        work.get(FORM).and_then(|w| w.recode_from),
        Some(ResponseId { ms: 0, seq: 0 }),
        "{work:?}"
    );
    let pass = learning::recode(
        &store,
        &restarted,
        FORM,
        ResponseId { ms: 0, seq: 0 },
        learning::Redo::Themes,
    )
    .unwrap();
    assert_eq!(pass.answers, 1_000);
    let recoded = learning::latest(&store, FORM)
        .unwrap()
        .unwrap()
        .recoded
        .expect("noted by the pass from the start");
    assert_eq!(recoded.answers, 1_000);
    assert!(recoded.changed > 0, "{recoded:?}");

    // A later pass from a later answer adds what it changed, and no more.
    let again = learning::recode(&store, &restarted, FORM, later, learning::Redo::Themes).unwrap();
    assert_eq!((again.answers, again.changed), (200, 0));
    assert_eq!(
        learning::latest(&store, FORM).unwrap().unwrap().recoded,
        Some(recoded)
    );
}

/// An answer coded across an adoption (by the model being replaced) is
/// noted in the store as well as for the worker: a stop before the
/// worker's next round still codes it again after the start. A pass notes
/// it done only if it ran to the end and covered it.
#[test]
fn an_answer_coded_across_an_adoption_is_coded_again_after_a_stop() {
    use collector::model::ResponseId;
    use collector::service::learning;
    let (_dir, store, first, _form, all) = coded_store();
    learning::train(&store, &first, FORM)
        .unwrap()
        .expect("a model");
    let pass = learning::recode(
        &store,
        &first,
        FORM,
        ResponseId { ms: 0, seq: 0 },
        learning::Redo::Themes,
    )
    .unwrap();
    assert_eq!(pass.answers, 1_000);
    let owed_on_start = |store: &collector::store::SledStore| {
        let indexes = recent_indexes();
        learning::load(store, &indexes).unwrap();
        indexes
            .learned()
            .take_work()
            .get(FORM)
            .and_then(|w| w.recode_from)
    };
    assert_eq!(owed_on_start(&store), None, "nothing owed yet");

    // Two answers stored in the moment a model was adopted; then a stop.
    let (early, later) = (all[100].id.unwrap(), all[800].id.unwrap());
    learning::owe(&store, &first, FORM, later).unwrap();
    learning::owe(&store, &first, FORM, early).unwrap();
    assert_eq!(owed_on_start(&store), Some(early));

    // A pass cut short by a stop leaves the notes.
    let stopping = recent_indexes();
    learning::load(&store, &stopping).unwrap();
    stopping.learned().stop();
    let cut = learning::recode(&store, &stopping, FORM, early, learning::Redo::Themes).unwrap();
    assert!(cut.stopped);
    assert_eq!(owed_on_start(&store), Some(early));

    // A pass from the later answer codes it, not the earlier one.
    let restarted = recent_indexes();
    learning::load(&store, &restarted).unwrap();
    let pass = learning::recode(&store, &restarted, FORM, later, learning::Redo::Themes).unwrap();
    assert_eq!((pass.answers, pass.stopped), (200, false));
    assert_eq!(owed_on_start(&store), Some(early));
    let pass = learning::recode(&store, &restarted, FORM, early, learning::Redo::Themes).unwrap();
    assert_eq!((pass.answers, pass.stopped), (900, false));
    assert_eq!(owed_on_start(&store), None, "both coded again");
}

/// A pass codes the answers stored when it begins. One stored while it
/// runs, to a version of the form published while it runs (which the
/// pass's reading of the versions does not know), is coded as it comes
/// and left alone: the pass goes on to the end rather than failing on it
/// (it did, and started again from the first answer a second later).
#[test]
fn a_form_version_published_during_a_pass_does_not_stop_it() {
    use collector::index::Indexes;
    use collector::service::import;
    let (_dir, store, form) = fresh_store();
    let indexes = Indexes::new(analysis::Scorer::new());
    let now = collector::model::now_ms();
    let rows = synth::submissions(
        &form,
        synth::Options {
            seed: 3,
            count: 3_000,
            from_ms: now - 30 * 86_400_000,
            to_ms: now - 86_400_000,
        },
    )
    .unwrap();
    assert_eq!(import::load(&store, &indexes, &form, rows).unwrap(), 3_000);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut read, mut added) = (0, None);
    let pass = store.recode(FORM, None, &mut |run| {
        read += run.len();
        if added.is_none() {
            // While the first run is coded (the next two are read
            // meanwhile, the rest not yet): a new version, and an answer
            // to it.
            let mut next = serde_json::to_value(&form).unwrap();
            next["questions"][0]["text"]["en"] = json!("Which of these describes you best?");
            let next: survey::Form = serde_json::from_value(next).unwrap();
            let next = store.publish(next).unwrap().form.clone();
            assert_eq!(next.version, form.version + 1);
            let g = synth::Generator::new(
                &next,
                synth::Options {
                    seed: 4,
                    count: 1,
                    ..synth::Options::default()
                },
            )
            .unwrap()
            .next()
            .unwrap();
            let r = import::new_response(&indexes, &next, &g.submission).unwrap();
            let record = indexes.record(&next, &r);
            let submitted = runtime
                .block_on(store.submit(&r, record, &uuid(4_242), vec![]))
                .unwrap();
            added = Some(submitted.id);
        }
        Some(vec![false; run.len()])
    });
    assert_eq!(pass.unwrap(), 0, "nothing changed");
    assert_eq!(read, 3_000, "the answers stored when it began, each once");
    let added = added.unwrap();
    assert_eq!(
        store.response(FORM, added).unwrap().unwrap().version,
        form.version + 1,
        "the answer stored meanwhile is kept as it came"
    );
    // The next pass reads it with the rest.
    let mut again = 0;
    store
        .recode(FORM, None, &mut |run| {
            again += run.len();
            Some(vec![false; run.len()])
        })
        .unwrap();
    assert_eq!(again, 3_001);
}

/// A model trained on features this collector no longer makes is not put
/// in use at start, and is trained again at once. The codes it left on
/// the stored answers are coded again as now, whatever retraining gives:
/// it may give no model at all (too few hand codes left), and then
/// nothing else would redo them.
#[test]
fn a_model_on_other_features_leaves_its_codes_to_a_pass_from_the_start() {
    use collector::model::ResponseId;
    use collector::service::learning;
    let (_dir, store, first, _form, _all) = coded_store();
    let model = learning::train(&store, &first, FORM).unwrap().unwrap();
    assert!(model.choice.uses_learned(), "{:?}", model.choice);
    let start = ResponseId { ms: 0, seq: 0 };
    let pass = learning::recode(&store, &first, FORM, start, learning::Redo::Themes).unwrap();
    assert!(pass.changed > 0, "{pass:?}");
    let mut m = learning::latest(&store, FORM).unwrap().unwrap();
    assert!(m.recoded.is_some());
    // As a collector making other features left it.
    m.features = analysis::learn::FEATURES - 1;
    store
        .put_doc(
            Doc::Model,
            &format!("{FORM}/{:08}", m.version),
            &serde_json::to_vec(&m).unwrap(),
        )
        .unwrap();
    let restarted = recent_indexes();
    learning::load(&store, &restarted).unwrap();
    assert!(restarted.learned().adopted(FORM).is_none(), "not in use");
    let work = restarted.learned().take_work();
    let w = &work[FORM];
    assert!(w.retrain && w.now, "{w:?}");
    assert_eq!(w.recode_from, Some(start), "{w:?}");
}
