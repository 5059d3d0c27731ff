//! Case attributes and supervisors: responses that came through an
//! invitation carry its `team`, `category`, … and results can be grouped
//! (`by=team`) and filtered (`team=`) by them, the same after a restart;
//! a supervisor's token sees the results and free text of its own teams
//! (or places) only, is refused a team outside them, and may not export.

use crate::common::*;
use collector::index::Indexes;
use collector::model::{Role, StoredResponse};
use collector::service::import;
use collector::store::{Doc, SledStore, Store};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const FORM: &str = "mini";
/// 2025-01-06, a Monday.
const START: u64 = 1_736_121_600_000;
const HOUR: u64 = 3_600_000;

/// Seeded responses alike: team, category, place, how many, and how
/// many of them answered `safe` = 2 with free text.
type Rows = (
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    usize,
    usize,
);

/// What the seeded rows are, by team.
const ROWS: [Rows; 5] = [
    (Some("East"), Some("theft"), "bank", 7, 3),
    (Some("East"), Some("assault"), "bank", 5, 2),
    (Some("West"), Some("theft"), "aldgate", 9, 4),
    // Came with no invitation: no attributes.
    (None, None, "aldgate", 3, 1),
    (None, None, "bank", 1, 0),
];

fn seeded_rows(indexes: &Indexes, form: &survey::Form) -> Vec<StoredResponse> {
    let mut out = Vec::new();
    let mut n = 0u64;
    for (team, category, place, count, with_text) in ROWS {
        for k in 0..count {
            n += 1;
            let mut answers = json!({"who": "worker", "safe": 4});
            if k < with_text {
                answers["safe"] = json!(2);
                let who = team.unwrap_or("none").to_lowercase();
                answers["why_unsafe"] = json!(format!("{who} dark alley {k}"));
            }
            let s: survey::Submission = serde_json::from_value(json!({
                "submission_id": uuid(u128::from(n)),
                "answers": answers,
                "location": place,
                "channel": "link",
            }))
            .unwrap();
            let mut r = import::stored(indexes, form, &s, START + n * HOUR).unwrap();
            if let Some(t) = team {
                r.attributes.insert("team".into(), t.into());
            }
            if let Some(c) = category {
                r.attributes.insert("category".into(), c.into());
            }
            r.attributes.insert("reported_via".into(), "phone".into());
            out.push(r);
        }
    }
    out
}

/// A sled folder with the fixture forms and the rows of [`ROWS`], closed
/// so that a server opens it as at a start.
fn seed(dir: &Path) {
    let store = SledStore::open(dir).unwrap();
    collector::publish_folder(&store, &fixture_forms()).unwrap();
    let form = store.form(FORM).unwrap().form.clone();
    // Coded as the server codes, and noted so: it scores nothing again.
    let indexes = Indexes::new(analysis::Scorer::new())
        .with_sentiment_model()
        .with_theme_model();
    store
        .put_doc(Doc::Coding, FORM, indexes.coding_version().as_bytes())
        .unwrap();
    let rows = seeded_rows(&indexes, &form);
    let n = rows.len();
    assert_eq!(
        store
            .import(&form, rows, collector::index::record::encoder)
            .unwrap(),
        n
    );
}

/// Opens the folder, retrying while a previous store lets go of sled's lock.
fn reopen(dir: &Path) -> collector::AppState {
    for _ in 0..100 {
        match collector::open(config(dir)) {
            Ok(s) => return s,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    collector::open(config(dir)).unwrap()
}

async fn get(s: &Server, token: &str, path: &str) -> reqwest::Response {
    s.client
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Responses per group of an aggregate, from its summaries of `safe`.
fn group_sizes(a: &Value) -> BTreeMap<String, u64> {
    a["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["question"] == "safe")
        .map(|s| {
            let group: Vec<&str> = s["group"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap())
                .collect();
            (group.join("/"), s["n"].as_u64().unwrap())
        })
        .collect()
}

fn sizes(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// What an aggregate query answers, asked of a running server: the
/// numbers compared across a restart.
async fn answers(s: &Server, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for q in [
        "by=team",
        "by=category",
        "by=team,category",
        "by=reported_via,who",
        "team=East",
        "category=theft&by=location",
        "by=team&question=why_unsafe",
    ] {
        out.push(
            s.get_ok(&format!("/api/v1/forms/{FORM}/aggregates?{q}"), token)
                .await,
        );
    }
    out.push(
        s.get_ok(
            &format!("/api/v1/forms/{FORM}/trends?question=safe&period=week&by=team"),
            token,
        )
        .await,
    );
    out
}

#[tokio::test]
async fn results_grouped_and_filtered_by_case_attributes_are_exact_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::serve(reopen(dir.path())).await;
    let token = s.token(Role::Analyst);
    let agg = |q: &str| format!("/api/v1/forms/{FORM}/aggregates?{q}");

    let by_team = s.get_ok(&agg("by=team"), &token).await;
    assert_eq!(by_team["n"], 25);
    assert_eq!(
        group_sizes(&by_team),
        sizes(&[("East", 12), ("West", 9), ("_none", 4)])
    );
    // The same through attr.<name>, the spelling for a name a question has.
    let by_attr = s.get_ok(&agg("by=attr.team"), &token).await;
    assert_eq!(by_attr["cells"], by_team["cells"]);
    let by_category = s.get_ok(&agg("by=category"), &token).await;
    assert_eq!(
        group_sizes(&by_category),
        sizes(&[("theft", 16), ("assault", 5), ("_none", 4)])
    );
    let crossed = s.get_ok(&agg("by=team,category"), &token).await;
    assert_eq!(
        group_sizes(&crossed),
        sizes(&[
            ("East/theft", 7),
            ("East/assault", 5),
            ("West/theft", 9),
            ("_none/_none", 4)
        ])
    );
    // Exact answer counts in a group: East answered safe = 2 five times.
    let cell = by_team["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["group"] == json!(["East"]) && c["question"] == "safe" && c["answer"] == "2")
        .unwrap()
        .clone();
    assert_eq!(cell["count"], 5);
    // Filters, alone and with each other and the usual ones.
    for (q, n) in [
        ("team=East", 12),
        ("team=East,West", 21),
        ("team=East&team=West", 21),
        ("category=assault", 5),
        ("team=East&category=theft", 7),
        ("team=West&location=bank", 0),
        ("attr.team=West", 9),
        ("team=", 25),
    ] {
        let a = s.get_ok(&agg(q), &token).await;
        assert_eq!(a["n"], n, "{q}");
    }
    let res = get(&s, &token, &agg("team=North")).await;
    assert_eq!(res.status(), 400);
    // A case attribute the deployment knows but no response carries yet
    // groups every response as _none; an unknown name is refused.
    let a = s.get_ok(&agg("by=reported_on"), &token).await;
    assert_eq!(group_sizes(&a), sizes(&[("_none", 25)]));
    assert_eq!(get(&s, &token, &agg("by=shoe_size")).await.status(), 400);

    // Trends: one series per team, adding up to the whole.
    let trend = s
        .get_ok(
            &format!("/api/v1/forms/{FORM}/trends?question=safe&period=year&by=team"),
            &token,
        )
        .await;
    assert_eq!(trend["by"], "team");
    let groups: Vec<(&str, u64)> = trend["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"].as_str().unwrap(),
                g["points"][0]["n"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(groups, [("_none", 4), ("East", 12), ("West", 9)]);
    assert_eq!(trend["points"][0]["n"], 25);
    let res = get(
        &s,
        &token,
        &format!("/api/v1/forms/{FORM}/trends?question=safe&by=month"),
    )
    .await;
    assert_eq!(res.status(), 400, "a trend is not grouped by a period");

    // CSV: the dimension is a column named as asked.
    let csv = s
        .client
        .get(s.url(&agg("by=team&question=safe")))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap(),
        "team,question,answer,count,proportion,ci_low,ci_high"
    );
    assert!(lines.any(|l| l.starts_with("East,safe,2,5,")), "{csv}");

    let before = answers(&s, &token).await;
    s.stop().await;
    let s = Server::serve(reopen(dir.path())).await;
    let token = s.token(Role::Analyst);
    assert!(s.state.store.records_complete());
    assert_eq!(answers(&s, &token).await, before);
    s.stop().await;
}

#[tokio::test]
async fn exports_carry_the_case_attributes() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::serve(reopen(dir.path())).await;
    let token = s.token(Role::Analyst);
    let rows = s.export_all(FORM, &token).await;
    assert_eq!(rows.len(), 25);
    assert_eq!(
        rows[0]["attributes"],
        json!({"team": "East", "category": "theft", "reported_via": "phone"})
    );
    assert_eq!(rows[24]["attributes"], json!({"reported_via": "phone"}));
    let csv = s
        .client
        .get(s.url(&format!("/api/v1/forms/{FORM}/responses")))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    // Those the deployment configures, in its order, as far as the
    // responses carry them; reported_on is configured but never seen.
    let attrs: Vec<&str> = header
        .iter()
        .filter(|h| h.starts_with("attr."))
        .map(String::as_str)
        .collect();
    assert_eq!(attrs, ["attr.team", "attr.category", "attr.reported_via"]);
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 25);
    assert_eq!(&records[0][at("attr.team")], "East");
    assert_eq!(&records[0][at("attr.category")], "theft");
    assert_eq!(&records[20][at("attr.team")], "West");
    assert_eq!(&records[24][at("attr.team")], "");
    assert_eq!(&records[24][at("attr.reported_via")], "phone");
    s.stop().await;
}

/// The free text a token lists, in arrival order.
async fn free_text(s: &Server, token: &str, query: &str) -> Vec<String> {
    s.get_ok(&format!("/api/v1/forms/{FORM}/text?{query}"), token)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn out_of_scope(res: reqwest::Response, field: &str) {
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], "/problems/out-of-scope");
    assert_eq!(body["errors"][0]["field"], field, "{body}");
    assert!(body["detail"].as_str().unwrap().contains(field), "{body}");
}

#[tokio::test]
async fn a_supervisor_sees_only_their_teams_results_and_free_text() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::serve(reopen(dir.path())).await;
    let east = s.supervisor_token(&["East"], &[]);
    let analyst = s.token(Role::Analyst);
    let admin = s.token(Role::Admin);
    let agg = |q: &str| format!("/api/v1/forms/{FORM}/aggregates?{q}");

    let mine = s.get_ok(&agg("by=team"), &east).await;
    assert_eq!(mine["n"], 12);
    assert_eq!(group_sizes(&mine), sizes(&[("East", 12)]));
    let crossed = s.get_ok(&agg("by=category,location"), &east).await;
    assert_eq!(
        group_sizes(&crossed),
        sizes(&[("theft/bank", 7), ("assault/bank", 5)])
    );
    assert_eq!(s.get_ok(&agg("team=East"), &east).await["n"], 12);
    assert_eq!(s.get_ok(&agg("category=theft"), &east).await["n"], 7);
    // Another team's place narrows East's rows, it does not widen them.
    assert_eq!(s.get_ok(&agg("location=aldgate"), &east).await["n"], 0);
    out_of_scope(get(&s, &east, &agg("team=West")).await, "team").await;
    out_of_scope(get(&s, &east, &agg("team=East,West")).await, "team").await;
    out_of_scope(get(&s, &east, &agg("attr.team=West")).await, "team").await;

    let trend = s
        .get_ok(
            &format!("/api/v1/forms/{FORM}/trends?question=safe&period=year&by=team"),
            &east,
        )
        .await;
    assert_eq!(trend["points"][0]["n"], 12);
    let groups: Vec<&str> = trend["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["East"]);
    out_of_scope(
        get(
            &s,
            &east,
            &format!("/api/v1/forms/{FORM}/trends?question=safe&team=West"),
        )
        .await,
        "team",
    )
    .await;

    let east_text: Vec<String> = (0..3)
        .map(|k| format!("east dark alley {k}"))
        .chain((0..2).map(|k| format!("east dark alley {k}")))
        .collect();
    assert_eq!(free_text(&s, &east, "").await, east_text);
    // Paged, it stays inside the scope.
    let first: Vec<Value> = serde_json::from_value(
        s.get_ok(&format!("/api/v1/forms/{FORM}/text?limit=2"), &east)
            .await,
    )
    .unwrap();
    let after = first[1]["id"].as_str().unwrap();
    assert_eq!(
        free_text(&s, &east, &format!("after={after}")).await,
        east_text[2..]
    );
    out_of_scope(
        get(&s, &east, &format!("/api/v1/forms/{FORM}/text?team=West")).await,
        "team",
    )
    .await;

    // Exports, agreement and setting codes are for analysts and admins.
    for path in [
        format!("/api/v1/forms/{FORM}/responses"),
        format!("/api/v1/forms/{FORM}/agreement?question=why_unsafe"),
    ] {
        let res = get(&s, &east, &path).await;
        assert_eq!(res.status(), 403, "{path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let res = s
        .client
        .get(s.url(&format!("/api/v1/forms/{FORM}/responses")))
        .bearer_auth(&east)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let id = s.responses(FORM)[0].id.unwrap().to_string();
    let res = s
        .client
        .put(s.url(&format!("/api/v1/responses/{id}/codes")))
        .bearer_auth(&east)
        .json(&json!({"question": "why_unsafe", "themes": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Analysts and admins see every team, as before.
    for token in [&analyst, &admin] {
        let all = s.get_ok(&agg("by=team"), token).await;
        assert_eq!(
            group_sizes(&all),
            sizes(&[("East", 12), ("West", 9), ("_none", 4)])
        );
        assert_eq!(s.get_ok(&agg("team=West"), token).await["n"], 9);
        assert_eq!(free_text(&s, token, "").await.len(), 10);
    }
    s.stop().await;
}

#[tokio::test]
async fn a_supervisor_of_places_sees_every_response_at_them() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let s = Server::serve(reopen(dir.path())).await;
    let agg = |q: &str| format!("/api/v1/forms/{FORM}/aggregates?{q}");
    // Aldgate: West's cases and the responses with no invitation there.
    let aldgate = s.supervisor_token(&[], &["aldgate"]);
    let a = s.get_ok(&agg("by=team"), &aldgate).await;
    assert_eq!(group_sizes(&a), sizes(&[("West", 9), ("_none", 3)]));
    // A team filter narrows what is at their places: any team may be named.
    assert_eq!(s.get_ok(&agg("team=West"), &aldgate).await["n"], 9);
    assert_eq!(s.get_ok(&agg("team=East"), &aldgate).await["n"], 0);
    out_of_scope(get(&s, &aldgate, &agg("location=bank")).await, "location").await;
    assert_eq!(
        free_text(&s, &aldgate, "").await,
        [
            "west dark alley 0",
            "west dark alley 1",
            "west dark alley 2",
            "west dark alley 3",
            "none dark alley 0"
        ]
    );
    // Teams and places together: either will do.
    let both = s.supervisor_token(&["East"], &["aldgate"]);
    let a = s.get_ok(&agg("by=team"), &both).await;
    assert_eq!(
        group_sizes(&a),
        sizes(&[("East", 12), ("West", 9), ("_none", 3)])
    );
    // A team with no response yet is no error: nothing of theirs to count.
    let new_team = s.supervisor_token(&["North"], &[]);
    let a = s.get_ok(&agg("by=team"), &new_team).await;
    assert_eq!(a["n"], 0);
    assert!(free_text(&s, &new_team, "").await.is_empty());
    s.stop().await;
}
