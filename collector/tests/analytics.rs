//! Aggregates, suppression, trends and CSV over generated responses,
//! checked against an independent recount of the NDJSON export.
//!
//! One sled folder of synthetic community-safety responses is built once
//! (bulk import) and copied for every test, which then serves it for real.

use crate::common::*;
use collector::index::Indexes;
use collector::model::{Role, StoredResponse};
use collector::service::import;
use collector::store::{SledStore, Store};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;
use survey::{Answer, Form};
use synth::{Generator, Options};

const FORM: &str = "community-safety";
const COUNT: usize = 6000;
const SEED: u64 = 3;

fn example_form(id: &str) -> Form {
    let text = std::fs::read_to_string(example_forms().join(format!("{id}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn analysis() -> Indexes {
    // The coding of the default configuration, as the server uses (so
    // the server finds nothing to score again when it starts).
    Indexes::new(analysis::Scorer::new())
        .with_sentiment_model()
        .with_theme_model()
}

/// A sled folder with `COUNT` generated responses, built once.
fn fixture() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        collector::publish_folder(&store, &example_forms()).unwrap();
        let form = store.form(FORM).unwrap();
        let options = Options {
            seed: SEED,
            count: COUNT,
            ..Options::default()
        };
        let rows = synth::submissions(&form.form, options).unwrap();
        let n = import::load(&store, &analysis(), &form.form, rows).unwrap();
        assert_eq!(n, COUNT);
        dir
    })
    .path()
}

fn example_config(data: &Path) -> collector::Config {
    collector::Config {
        forms: example_forms(),
        ..config(data)
    }
}

/// A server over a private copy of the fixture, with an analyst token.
async fn loaded() -> (tempfile::TempDir, Server, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture(), dir.path());
    let s = Server::start(example_config(dir.path())).await;
    let token = s.token(Role::Analyst);
    (dir, s, token)
}

/// Every export row, paging with `after`.
async fn export(s: &Server, token: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after = String::new();
    loop {
        let mut url = s.url(&format!("/api/v1/forms/{FORM}/responses?limit=2000"));
        if !after.is_empty() {
            url.push_str(&format!("&after={after}"));
        }
        let res = s.client.get(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        let page: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let Some(last) = page.last() else {
            return rows;
        };
        after = last["id"].as_str().unwrap().to_owned();
        rows.extend(page);
    }
}

// ---------------------------------------------------------------------------
// An independent recount over export rows.

/// The filters and grouping of one query, as the test understands them.
#[derive(Default, Clone)]
struct Spec {
    from_ms: Option<u64>,
    to_ms: Option<u64>,
    locations: Vec<&'static str>,
    channels: Vec<&'static str>,
    wheres: Vec<(&'static str, Vec<&'static str>)>,
    by: Vec<&'static str>,
    questions: Vec<&'static str>,
}

fn ms_of(row: &Value) -> u64 {
    let t = time::OffsetDateTime::parse(
        row["received_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as u64
}

fn day_ms(y: i32, m: u8, d: u8) -> u64 {
    let date = time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap();
    date.midnight().assume_utc().unix_timestamp() as u64 * 1000
}

/// The answer as strings (option ids, a scale value; several for multi).
fn answer_strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Number(n) => vec![n.to_string()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Array(a) => a.iter().flat_map(answer_strings).collect(),
        _ => Vec::new(),
    }
}

fn passes(spec: &Spec, row: &Value) -> bool {
    let ms = ms_of(row);
    if spec.from_ms.is_some_and(|f| ms < f) || spec.to_ms.is_some_and(|t| ms >= t) {
        return false;
    }
    let loc = row["location"].as_str().unwrap_or("");
    if !spec.locations.is_empty() && !spec.locations.contains(&loc) {
        return false;
    }
    let ch = row["channel"].as_str().unwrap_or("");
    if !spec.channels.is_empty() && !spec.channels.contains(&ch) {
        return false;
    }
    spec.wheres.iter().all(|(q, allowed)| {
        answer_strings(&row["answers"][q])
            .iter()
            .any(|a| allowed.contains(&a.as_str()))
    })
}

fn group_label(dim: &str, row: &Value) -> String {
    let ms = ms_of(row);
    let date = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64).unwrap();
    let (y, m) = (date.year(), u8::from(date.month()) as i32);
    match dim {
        "month" => format!("{y:04}-{m:02}"),
        "quarter" => {
            // Financial years start in April.
            let fy = if m >= 4 { y } else { y - 1 };
            let q = ((m - 4).rem_euclid(12)) / 3 + 1;
            format!("{fy}/{:02} Q{q}", (fy + 1) % 100)
        }
        "location" | "channel" | "lang" => row[dim].as_str().unwrap_or("_none").to_owned(),
        "respondent" => group_label("respondent_type", row),
        q => answer_strings(&row["answers"][q])
            .first()
            .cloned()
            .unwrap_or_else(|| "_none".into()),
    }
}

/// Responses, answered, sum of scale values, satisfied answers.
type GroupTotals = (u64, u64, f64, u64);

/// (group, question, answer) → count; (group, question) → (n, answered, sum, satisfied).
#[derive(Default)]
struct Recount {
    cells: HashMap<(Vec<String>, String, String), u64>,
    groups: HashMap<(Vec<String>, String), GroupTotals>,
}

fn recount(spec: &Spec, rows: &[Value], form: &Form) -> Recount {
    let mut out = Recount::default();
    for row in rows.iter().filter(|r| passes(spec, r)) {
        let group: Vec<String> = spec.by.iter().map(|d| group_label(d, row)).collect();
        for q in &spec.questions {
            let question = form.question(q).unwrap();
            let g = out
                .groups
                .entry((group.clone(), q.to_string()))
                .or_default();
            g.0 += 1;
            let mut answers: Vec<String> = match &question.kind {
                survey::Kind::Text { .. } => {
                    let coding = &row["text_coding"][q];
                    if coding.is_null() {
                        Vec::new()
                    } else {
                        let mut v = vec![coding["label"].as_str().unwrap().to_owned()];
                        v.extend(
                            coding["themes"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|t| format!("theme:{}", t.as_str().unwrap())),
                        );
                        v
                    }
                }
                _ => answer_strings(&row["answers"][q]),
            };
            if answers.is_empty() {
                answers.push("_skipped".into());
            } else {
                g.1 += 1;
                if let survey::Kind::Scale { satisfied, .. } = &question.kind {
                    let v: i64 = answers[0].parse().unwrap();
                    g.2 += v as f64;
                    g.3 += u64::from(satisfied.contains(&v));
                }
            }
            for a in answers {
                *out.cells
                    .entry((group.clone(), q.to_string(), a))
                    .or_default() += 1;
            }
        }
    }
    out
}

fn query_string(spec: &Spec, extra: &str) -> String {
    let mut parts: Vec<(String, String)> = Vec::new();
    let list = |v: &[&str]| v.join(",");
    if !spec.by.is_empty() {
        parts.push(("by".into(), list(&spec.by)));
    }
    parts.push(("question".into(), list(&spec.questions)));
    if !spec.locations.is_empty() {
        parts.push(("location".into(), list(&spec.locations)));
    }
    if !spec.channels.is_empty() {
        parts.push(("channel".into(), list(&spec.channels)));
    }
    for (q, a) in &spec.wheres {
        parts.push(("where".into(), format!("{q}:{}", list(a))));
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &parts {
        s.append_pair(k, v);
    }
    let mut out = s.finish();
    if !extra.is_empty() {
        out.push('&');
        out.push_str(extra);
    }
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Checks one aggregate answer against the recount.
fn check(spec: &Spec, api: &Value, truth: &Recount, what: &str) {
    let n_truth: u64 = {
        let q = spec.questions[0];
        truth
            .groups
            .iter()
            .filter(|((_, question), _)| question == q)
            .map(|(_, g)| g.0)
            .sum()
    };
    assert_eq!(api["n"].as_u64(), Some(n_truth), "{what}: n");
    assert!(n_truth > 0, "{what}: the query should select something");
    let mut seen = 0;
    for c in api["cells"].as_array().unwrap() {
        let key = (
            strings(&c["group"]),
            c["question"].as_str().unwrap().to_owned(),
            c["answer"].as_str().unwrap().to_owned(),
        );
        let expected = truth.cells.get(&key).copied().unwrap_or(0);
        assert_eq!(c["count"].as_u64(), Some(expected), "{what}: cell {key:?}");
        seen += u64::from(expected > 0);
        if let Some(p) = c["proportion"].as_f64() {
            let answered = truth.groups[&(key.0.clone(), key.1.clone())].1;
            assert!(
                close(p, expected as f64 / answered as f64),
                "{what}: proportion of {key:?}"
            );
            let (lo, hi) = (
                c["ci_low"].as_f64().unwrap(),
                c["ci_high"].as_f64().unwrap(),
            );
            assert!(
                lo <= p + 1e-12 && p <= hi + 1e-12,
                "{what}: interval of {key:?}: {lo} {p} {hi}"
            );
        }
    }
    assert_eq!(
        seen,
        truth.cells.len() as u64,
        "{what}: every non-empty cell is reported"
    );
    for s in api["summaries"].as_array().unwrap() {
        let key = (
            strings(&s["group"]),
            s["question"].as_str().unwrap().to_owned(),
        );
        let (n, answered, sum, satisfied) = truth.groups[&key];
        assert_eq!(s["n"].as_u64(), Some(n), "{what}: n of {key:?}");
        assert_eq!(
            s["answered"].as_u64(),
            Some(answered),
            "{what}: answered of {key:?}"
        );
        if let Some(mean) = s.get("mean").and_then(Value::as_f64) {
            assert!(
                close(mean, sum / answered as f64),
                "{what}: mean of {key:?}"
            );
            let share = s["satisfied"]["proportion"].as_f64().unwrap();
            assert!(
                close(share, satisfied as f64 / answered as f64),
                "{what}: satisfied share of {key:?}"
            );
        }
    }
}

fn specs() -> Vec<(Spec, &'static str)> {
    vec![
        (
            Spec {
                questions: vec!["feel_safe_dark", "worry", "priorities", "safety_comment"],
                ..Spec::default()
            },
            "",
        ),
        (
            Spec {
                by: vec!["respondent"],
                channels: vec!["qr"],
                questions: vec!["feel_safe_day", "feel_safe_dark", "victim_reported"],
                ..Spec::default()
            },
            "channel=qr",
        ),
        (
            Spec {
                by: vec!["location", "quarter"],
                wheres: vec![("respondent_type", vec!["worker"])],
                from_ms: Some(day_ms(2023, 10, 1)),
                to_ms: Some(day_ms(2024, 10, 1)),
                questions: vec!["feel_safe_dark"],
                ..Spec::default()
            },
            "from=2023-10-01&to=2024-09-30",
        ),
        (
            Spec {
                by: vec!["month", "worry"],
                locations: vec!["liverpool-street", "bank"],
                wheres: vec![("priorities", vec!["phone-bag-theft", "vawg"])],
                from_ms: Some(day_ms(2024, 10, 1)),
                to_ms: Some(day_ms(2025, 1, 1)),
                questions: vec!["victim_12m", "confidence_overall"],
                ..Spec::default()
            },
            "quarter=2024/25+Q3",
        ),
        (
            Spec {
                by: vec!["respondent_type"],
                wheres: vec![
                    ("feel_safe_day", vec!["4", "5"]),
                    ("victim_12m", vec!["yes"]),
                ],
                questions: vec!["confidence_overall", "why_not_reported", "police_fair"],
                ..Spec::default()
            },
            "",
        ),
    ]
}

#[tokio::test]
async fn aggregates_match_a_recount_of_the_export() {
    let (_dir, s, token) = loaded().await;
    let form = example_form(FORM);
    let rows = export(&s, &token).await;
    assert_eq!(rows.len(), COUNT);
    for (i, (spec, extra)) in specs().into_iter().enumerate() {
        // Time filters are given as `extra` (from/to or quarter).
        let qs = query_string(&spec, extra);
        let api = s
            .get_ok(&format!("/api/v1/forms/{FORM}/aggregates?{qs}"), &token)
            .await;
        let truth = recount(&spec, &rows, &form);
        check(&spec, &api, &truth, &format!("query {i} ({qs})"));
    }
    s.stop().await;
}

#[tokio::test]
async fn csv_aggregates_match_the_json_cells() {
    let (_dir, s, token) = loaded().await;
    for (spec, extra) in specs() {
        let qs = query_string(&spec, extra);
        let path = format!("/api/v1/forms/{FORM}/aggregates?{qs}");
        let json = s.get_ok(&path, &token).await;
        let res = s
            .client
            .get(s.url(&path))
            .bearer_auth(&token)
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let body = res.bytes().await.unwrap();
        let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
        let mut r = csv::Reader::from_reader(body);
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let mut expected_header: Vec<String> = spec.by.iter().map(|b| b.to_string()).collect();
        expected_header.extend(
            [
                "question",
                "answer",
                "count",
                "proportion",
                "ci_low",
                "ci_high",
            ]
            .map(String::from),
        );
        assert_eq!(header, expected_header);
        let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        let cells = json["cells"].as_array().unwrap();
        assert_eq!(records.len(), cells.len(), "{qs}: one CSV row per cell");
        let k = spec.by.len();
        for (rec, c) in records.iter().zip(cells) {
            assert_eq!(
                rec.iter().take(k).collect::<Vec<_>>(),
                strings(&c["group"]),
                "{qs}"
            );
            assert_eq!(&rec[k], c["question"].as_str().unwrap());
            assert_eq!(&rec[k + 1], c["answer"].as_str().unwrap());
            let count: Option<u64> = (!rec[k + 2].is_empty()).then(|| rec[k + 2].parse().unwrap());
            assert_eq!(count, c["count"].as_u64());
            for (i, name) in ["proportion", "ci_low", "ci_high"].iter().enumerate() {
                let v: Option<f64> =
                    (!rec[k + 3 + i].is_empty()).then(|| rec[k + 3 + i].parse().unwrap());
                match (v, c[name].as_f64()) {
                    (None, None) => {}
                    (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{qs}: {name}"),
                    other => panic!("{qs}: {name} differs: {other:?}"),
                }
            }
        }
    }
    s.stop().await;
}

/// Counts of one question by group, from an aggregate answer (None = hidden).
fn table(api: &Value, question: &str) -> BTreeMap<(String, String), Option<u64>> {
    api["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["question"] == question)
        .map(|c| {
            let group = strings(&c["group"]).first().cloned().unwrap_or_default();
            (
                (group, c["answer"].as_str().unwrap().to_owned()),
                c["count"].as_u64(),
            )
        })
        .collect()
}

#[tokio::test]
async fn public_output_hides_small_cells_and_resists_differencing() {
    let (_dir, s, token) = loaded().await;
    let min = u64::from(s.state.config.min_cell);
    let base = format!("/api/v1/forms/{FORM}/aggregates?question=worry&where=respondent_type:student,business&channel=qr");
    let public = s
        .get_ok(&format!("{base}&by=location&share=public"), &token)
        .await;
    let truth = s.get_ok(&format!("{base}&by=location"), &token).await;
    let totals = s.get_ok(&format!("{base}&share=public"), &token).await;
    assert_eq!(public["suppressed_below"], min);

    let shown = table(&public, "worry");
    let real = table(&truth, "worry");
    let all = table(&totals, "worry");
    let mut hidden = 0;
    let mut small = 0;
    for (key, v) in &shown {
        let true_count = real[key].unwrap();
        small += u64::from(true_count < min);
        match v {
            Some(c) => {
                assert!(*c >= min, "a cell under {min} is shown: {key:?} = {c}");
                assert_eq!(*c, true_count);
            }
            None => hidden += 1,
        }
    }
    assert!(small > 0 && hidden > 0, "the query should have small cells");

    // Group sizes as published.
    let sizes: HashMap<String, Option<u64>> = public["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (strings(&s["group"])[0].clone(), s["n"].as_u64()))
        .collect();
    // Rows: a group's size minus its shown cells.
    for (group, n) in &sizes {
        let row: Vec<(&String, &Option<u64>)> = shown
            .iter()
            .filter(|((g, _), _)| g == group)
            .map(|((_, a), v)| (a, v))
            .collect();
        let hidden_here: Vec<u64> = row
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(a, _)| real[&(group.clone(), (*a).clone())].unwrap())
            .collect();
        if let (Some(n), false) = (n, hidden_here.is_empty()) {
            let rest = n - row.iter().filter_map(|(_, v)| **v).sum::<u64>();
            assert!(
                hidden_here.len() >= 2,
                "group {group}: its only hidden cell is its size minus the rest ({rest})"
            );
        }
    }
    // Columns: the all-groups count minus the shown cells of every group.
    let answers: Vec<String> = all.keys().map(|(_, a)| a.clone()).collect();
    for answer in answers {
        let Some(total) = all[&(String::new(), answer.clone())] else {
            continue;
        };
        let column: Vec<(&String, &Option<u64>)> = shown
            .iter()
            .filter(|((_, a), _)| *a == answer)
            .map(|((g, _), v)| (g, v))
            .collect();
        let hidden_here: Vec<u64> = column
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(g, _)| real[&((*g).clone(), answer.clone())].unwrap())
            .collect();
        if hidden_here.is_empty() {
            continue;
        }
        let rest = total - column.iter().filter_map(|(_, v)| **v).sum::<u64>();
        assert!(
            hidden_here.len() >= 2,
            "answer {answer}: its only hidden cell is the total minus the rest ({rest})"
        );
    }
    // Means and shares are not published for groups with hidden cells.
    let dark = s.get_ok(&format!("/api/v1/forms/{FORM}/aggregates?question=feel_safe_dark&where=respondent_type:student&channel=qr&by=location&share=public"), &token)
    .await;
    for sm in dark["summaries"].as_array().unwrap() {
        let group = strings(&sm["group"])[0].clone();
        let any_hidden = dark["cells"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| strings(&c["group"])[0] == group && c["count"].is_null());
        if any_hidden {
            assert!(
                sm.get("mean").is_none(),
                "{group}: a mean would reveal a hidden cell"
            );
        }
    }
    s.stop().await;
}

const WALKTHROUGH_TREND: &str = "/api/v1/forms/community-safety/trends?question=feel_safe_dark&answer=1,2&period=month&location=liverpool-street&where=respondent_type:worker";

#[tokio::test]
async fn walkthrough_trend_flags_the_autumn_2024_exception() {
    let (_dir, s, token) = loaded().await;
    let trend = s.get_ok(WALKTHROUGH_TREND, &token).await;
    let points = trend["points"].as_array().unwrap();
    assert_eq!(points.len(), 24, "April 2023 to March 2025");
    let flagged: Vec<&str> = points
        .iter()
        .filter(|p| p["exception"] == true)
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert!(
        ["2024-10", "2024-11", "2024-12"]
            .iter()
            .any(|m| flagged.contains(m)),
        "Oct–Dec 2024 should be an exception: {trend}"
    );
    let signal_in_q3 = trend["signals"].as_array().unwrap().iter().any(|s| {
        s["from"].as_str().unwrap() <= "2024-12" && s["to"].as_str().unwrap() >= "2024-10"
    });
    assert!(signal_in_q3, "{trend}");
    // Those months are above the centre, and well above the months around.
    let centre = trend["centre"].as_f64().unwrap();
    for p in points {
        let in_q3 = ["2024-10", "2024-11", "2024-12"].contains(&p["period"].as_str().unwrap());
        if in_q3 {
            assert!(p["value"].as_f64().unwrap() > centre + 0.1, "{p}");
        }
    }
    // The same quarter's aggregate: more feel unsafe, and theft and lighting
    // lead the comments.
    let q3 = s.get_ok("/api/v1/forms/community-safety/aggregates?quarter=2024/25%20Q3&location=liverpool-street&where=respondent_type:worker&question=feel_safe_dark,safety_comment", &token)
    .await;
    let themes: Vec<(String, u64)> = q3["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["answer"].as_str().unwrap().starts_with("theme:"))
        .map(|c| {
            (
                c["answer"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let top = themes.iter().max_by_key(|(_, n)| *n).unwrap();
    assert!(
        ["theme:phone-bag-theft", "theme:lighting-environment"].contains(&top.0.as_str()),
        "{themes:?}"
    );
    s.stop().await;
}

/// Imports rows into a fresh store whose monthly share of feel_safe_dark
/// in {1, 2} is `hits[i]` out of 100 in month i (from April 2023).
async fn crafted_trend(hits: &[u64]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    collector::publish_folder(&store, &example_forms()).unwrap();
    let form = store.form(FORM).unwrap().form.clone();
    let mut rows = Vec::new();
    for (i, &hit) in hits.iter().enumerate() {
        let (y, m) = (2023 + (3 + i as i32) / 12, ((3 + i) % 12 + 1) as u8);
        let start = day_ms(y, m, 1);
        for k in 0..100u64 {
            let mut answers = BTreeMap::new();
            answers.insert("respondent_type".into(), Answer::Text("worker".into()));
            answers.insert("feel_safe_day".into(), Answer::Number(4));
            answers.insert(
                "feel_safe_dark".into(),
                Answer::Number(if k < hit { 2 } else { 4 }),
            );
            answers.insert("worry".into(), Answer::Text("a-little".into()));
            rows.push(StoredResponse {
                id: None,
                form: FORM.into(),
                version: form.version,
                received_ms: start + k * 3_600_000,
                location: Some("liverpool-street".into()),
                channel: "qr".into(),
                lang: "en".into(),
                answers,
                coding: BTreeMap::new(),
                flag: None,
                attributes: BTreeMap::new(),
            });
        }
    }
    assert_eq!(
        store
            .import(&form, rows, collector::index::record::encoder)
            .unwrap(),
        hits.len() * 100
    );
    // Serve this very store (reopening the folder at once could race
    // sled's release of its lock), with the index rebuilt as at start.
    let analysis = analysis();
    analysis.rebuild(&store, &form).unwrap();
    let register = collector::service::places::load(&store, None).unwrap();
    let state = collector::AppState {
        store: std::sync::Arc::new(store),
        config: std::sync::Arc::new(example_config(dir.path())),
        indexes: std::sync::Arc::new(analysis),
        metrics: Default::default(),
        feed: Default::default(),
        places: std::sync::Arc::new(collector::service::places::Places::new(register)),
        tally: Default::default(),
        proofs: Default::default(),
    };
    let mut server = Server::serve(state).await;
    let token = server.token(Role::Analyst);
    let res = server
        .client
        .get(server.url(WALKTHROUGH_TREND))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let trend: Value = res.json().await.unwrap();
    server.halt().await;
    assert_eq!(trend["points"].as_array().unwrap().len(), hits.len());
    trend
}

fn signals(trend: &Value) -> Vec<(String, String, String)> {
    trend["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["rule"].as_str().unwrap().to_owned(),
                s["from"].as_str().unwrap().to_owned(),
                s["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn seven_months_above_the_centre_is_a_run_and_six_are_not() {
    // 45 and 55 alternate, then 55 for a while. The centre is 0.515 both
    // times and every point is inside its limits (0.415–0.615), so only a
    // run of points above the centre can signal.
    let alternating = |len: usize, first: u64| -> Vec<u64> {
        (0..len)
            .map(|i| {
                if (i % 2 == 0) == (first == 45) {
                    45
                } else {
                    55
                }
            })
            .collect()
    };
    let mut seven = alternating(13, 45);
    seven.extend([55; 7]);
    let trend = crafted_trend(&seven).await;
    assert!((trend["centre"].as_f64().unwrap() - 0.515).abs() < 1e-9);
    assert_eq!(
        signals(&trend),
        vec![("run_above".into(), "2024-05".into(), "2024-11".into())]
    );
    let flagged: Vec<&str> = trend["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["exception"] == true)
        .map(|p| p["period"].as_str().unwrap())
        .collect();
    assert_eq!(
        flagged,
        ["2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11"]
    );

    let mut six = alternating(14, 55);
    six.extend([55; 6]);
    let trend = crafted_trend(&six).await;
    assert!((trend["centre"].as_f64().unwrap() - 0.515).abs() < 1e-9);
    assert_eq!(signals(&trend), vec![], "a six-month run is not a signal");
}

#[tokio::test]
async fn aggregates_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture(), dir.path());
    let s = Server::start(example_config(dir.path())).await;
    let token = s.token(Role::Analyst);
    // A live submission too, so the index holds appended rows as well.
    let sub = Generator::new(
        &example_form(FORM),
        Options {
            seed: 99,
            count: 1,
            ..Options::default()
        },
    )
    .unwrap()
    .next()
    .unwrap();
    let res = s.submit(FORM, &synth::to_json(&sub.submission)).await;
    assert_eq!(res.status(), 201);
    let queries: Vec<String> = specs()
        .into_iter()
        .map(|(spec, extra)| query_string(&spec, extra))
        .chain([
            "by=month&question=feel_safe_dark,safety_comment".to_owned(),
            "by=respondent,worry&question=priorities&share=public".to_owned(),
        ])
        .collect();
    let mut before = Vec::new();
    for q in &queries {
        before.push(
            s.get_ok(&format!("/api/v1/forms/{FORM}/aggregates?{q}"), &token)
                .await,
        );
    }
    let trend_before = s.get_ok(WALKTHROUGH_TREND, &token).await;
    s.stop().await;

    let s = Server::start(example_config(dir.path())).await;
    for (q, b) in queries.iter().zip(&before) {
        let after = s
            .get_ok(&format!("/api/v1/forms/{FORM}/aggregates?{q}"), &token)
            .await;
        assert_eq!(&after, b, "{q} changed across a restart");
    }
    assert_eq!(s.get_ok(WALKTHROUGH_TREND, &token).await, trend_before);
    assert_eq!(before[0]["n"], (COUNT + 1) as u64);
    s.stop().await;
}

#[test]
fn generated_submissions_are_valid_for_every_form() {
    for id in synth::FORMS {
        let form = example_form(id);
        let options = Options {
            seed: 11,
            count: 3000,
            ..Options::default()
        };
        let mut shown_chains = 0;
        let mut comments = 0;
        for g in Generator::new(&form, options).unwrap() {
            let valid = survey::validate(&form, &g.submission)
                .unwrap_or_else(|p| panic!("{id}: {p:?} in {:?}", g.submission));
            shown_chains += usize::from(
                valid.answers.contains_key("why_not_reported")
                    || valid.answers.contains_key("crime_reference"),
            );
            comments += usize::from(
                valid
                    .answers
                    .values()
                    .any(|a| matches!(a, Answer::Text(t) if t.contains(' '))),
            );
        }
        assert!(comments > 100, "{id}: few comments");
        if id != "street-feedback" {
            assert!(shown_chains > 10, "{id}: the show_if chains are used");
        }
    }
}

/// Opens a sled folder, waiting while the store that last had it open
/// still releases its lock.
fn open_store(dir: &Path) -> SledStore {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match SledStore::open(dir) {
            Ok(store) => return store,
            Err(e) if std::time::Instant::now() < deadline && e.to_string().contains("lock") => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// Changes a closed store with sled itself, as an older collector (or one
/// from before index records) would have left it.
fn edit_db(dir: &Path, edit: impl FnOnce(&sled::Db)) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let db = loop {
        match sled::open(dir) {
            Ok(db) => break db,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    };
    edit(&db);
    db.flush().unwrap();
}

/// Changes the `responses` tree of a closed store with sled itself.
fn edit_responses(dir: &Path, edit: impl FnOnce(&sled::Tree)) {
    edit_db(dir, |db| edit(&db.open_tree("responses").unwrap()));
}

/// Every stored response to the form, read by a store opened for it.
fn all_responses(dir: &Path) -> Vec<collector::model::StoredResponse> {
    open_store(dir).responses(FORM, None, usize::MAX).unwrap()
}

/// Rewrites `responses` of a closed store as JSON under schema 1: the
/// folder as a collector from before schema 2 (responses kept whole as
/// JSON) left it.
fn as_json_era(dir: &Path, responses: &[collector::model::StoredResponse]) {
    edit_db(dir, |db| {
        let t = db.open_tree("responses").unwrap();
        for r in responses {
            let key = collector::store::keys::response(&r.form, r.id.unwrap());
            t.insert(key, serde_json::to_vec(r).unwrap()).unwrap();
        }
        let meta = db.open_tree("meta").unwrap();
        meta.insert(b"schema", &1u32.to_be_bytes()).unwrap();
    });
}

/// How many responses of a closed store are still kept as JSON.
fn json_responses(dir: &Path) -> usize {
    let mut n = 0;
    edit_responses(dir, |t| {
        n = t
            .scan_prefix(b"r\0")
            .values()
            .filter(|v| v.as_ref().unwrap().first() == Some(&b'{'))
            .count();
    });
    n
}

/// The index as parsing every stored response's JSON gives it, manual
/// codes applied: what the rebuild from index records must equal.
fn index_from_json(store: &SledStore, form: &Form) -> collector::index::form_index::FormIndex {
    let mut ix = collector::index::form_index::FormIndex::new(form);
    store
        .scan_raw(&form.id, &mut |id, json| ix.push_json(id, json).unwrap())
        .unwrap();
    for (id, codes) in store.manual_codes(&form.id).unwrap() {
        let row = ix.row_of(id).unwrap();
        for (question, code) in codes {
            collector::index::apply_manual(&mut ix, row, &question, &code);
        }
    }
    ix
}

fn rebuilt(store: &SledStore, form: &Form) -> collector::index::form_index::FormIndex {
    let analysis = analysis();
    analysis.rebuild(store, form).unwrap();
    let ix = analysis.index(&form.id).unwrap();
    let ix = ix.read().unwrap().clone();
    ix
}

/// A fixture copy with one live submission (free text included) and one
/// manual code on top of the imported responses.
async fn fixture_with_live_writes() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture(), dir.path());
    let store = open_store(dir.path());
    let form = store.form(FORM).unwrap().form.clone();
    let analysis = analysis();
    let generated = Generator::new(
        &form,
        Options {
            seed: 77,
            count: 40,
            ..Options::default()
        },
    )
    .unwrap()
    .map(|g| import::new_response(&analysis, &form, &g.submission).unwrap())
    .find(|r| r.coding.contains_key("safety_comment"))
    .unwrap();
    let submitted = store
        .submit(
            &generated,
            analysis.record(&form, &generated),
            "7d0f3e2a-5b1c-4d8e-9f60-1a2b3c4d5e6f",
            vec![],
        )
        .await
        .unwrap();
    let code = collector::model::ManualCode {
        themes: vec![],
        sentiment: Some(collector::model::Label::Positive),
        by: "tester".into(),
        at_ms: 1,
    };
    store
        .set_manual_code(FORM, submitted.id, "safety_comment", &code)
        .unwrap();
    dir
}

#[tokio::test]
async fn index_rebuilt_from_records_equals_index_parsed_from_json() {
    let dir = fixture_with_live_writes().await;
    let store = open_store(dir.path());
    assert!(store.records_complete());
    let form = store.form(FORM).unwrap().form.clone();
    let from_json = index_from_json(&store, &form);
    assert_eq!(from_json.len(), COUNT + 1);
    assert_eq!(from_json.hand_coded(), 1);
    assert_eq!(rebuilt(&store, &form), from_json);
}

#[tokio::test]
async fn stores_without_index_records_are_rebuilt_from_json_then_given_records() {
    let dir = fixture_with_live_writes().await;
    let expected = {
        let store = open_store(dir.path());
        let form = store.form(FORM).unwrap().form.clone();
        index_from_json(&store, &form)
    };
    let responses = all_responses(dir.path());
    // As a collector from before index records left it: every response
    // JSON, none with a record.
    as_json_era(dir.path(), &responses);
    edit_responses(dir.path(), |t| {
        for k in t.scan_prefix(b"x").keys() {
            t.remove(k.unwrap()).unwrap();
        }
        t.remove(b"m\0recorded").unwrap();
    });
    assert_eq!(json_responses(dir.path()), responses.len());
    let mut store = open_store(dir.path());
    assert!(!store.records_complete());
    let form = store.form(FORM).unwrap().form.clone();
    assert_eq!(rebuilt(&store, &form), expected, "rebuilt from JSON");
    store
        .write_missing_records(collector::index::record::encoder)
        .unwrap();
    assert!(store.wait_for_records());
    assert_eq!(
        rebuilt(&store, &form),
        expected,
        "rebuilt from the new records"
    );
    drop(store);
    // Every response is kept as record and rest now, and reads back as it
    // was, free text and compound scores exactly.
    assert_eq!(json_responses(dir.path()), 0);
    assert_eq!(all_responses(dir.path()), responses);
    let store = open_store(dir.path());
    assert!(store.records_complete(), "the records outlive a restart");
    assert_eq!(rebuilt(&store, &form), expected);
    drop(store);

    // An older collector stored one more response: JSON, with no record.
    let first = &responses[..1];
    as_json_era(dir.path(), first);
    edit_responses(dir.path(), |t| {
        let (key, _) = t.scan_prefix(b"x").next().unwrap().unwrap();
        t.remove(key).unwrap();
        t.insert(b"m\0recorded", &[0u8; 16]).unwrap();
    });
    let mut store = open_store(dir.path());
    assert!(!store.records_complete());
    assert_eq!(rebuilt(&store, &form), expected);
    store
        .write_missing_records(collector::index::record::encoder)
        .unwrap();
    assert!(store.wait_for_records());
    assert_eq!(rebuilt(&store, &form), expected);
    drop(store);
    assert_eq!(json_responses(dir.path()), 0);
    assert_eq!(all_responses(dir.path()), responses);
}

#[tokio::test]
async fn free_text_left_out_of_records_is_read_from_json_when_a_choice_needs_it() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture(), dir.path());
    let store = open_store(dir.path());
    // A new version asks for a choice under the free-text question's id,
    // so the index needs the words that records leave out.
    let mut form = serde_json::to_value(&store.form(FORM).unwrap().form).unwrap();
    let question = form["questions"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|q| q["id"] == "safety_comment")
        .unwrap();
    *question = serde_json::json!({
        "id": "safety_comment", "kind": "single_choice",
        "text": {"en": "Safe?", "pl": "Bezpiecznie?", "es": "¿Seguro?", "bn": "নিরাপদ?", "ar": "آمن؟"},
        "required": false,
        "options": [
            {"id": "yes", "text": {"en": "Yes", "pl": "Tak", "es": "Sí", "bn": "হ্যাঁ", "ar": "نعم"}},
            {"id": "no", "text": {"en": "No", "pl": "Nie", "es": "No", "bn": "না", "ar": "لا"}}
        ]
    });
    form["codebook"]["questions"] = serde_json::json!(["priorities_other"]);
    let form: Form = serde_json::from_value(form).unwrap();
    let form = store.publish(form).unwrap().form.clone();
    let from_json = index_from_json(&store, &form);
    let (_, column) = from_json.column("safety_comment").unwrap();
    assert!(column.known_answers() > 2, "comments read as answers");
    assert_eq!(rebuilt(&store, &form), from_json);
}

/// Publishing a new version rebuilds the index while people keep
/// answering: every response stored meanwhile is counted, and once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn responses_stored_during_a_rebuild_are_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let admin = s.token(Role::Admin);
    let analyst = s.token(Role::Analyst);
    for n in 0..300u128 {
        assert_eq!(s.submit("mini", &valid_submission(n)).await.status(), 201);
    }
    let form: Value = s.public_json("/api/v1/forms/mini").await;

    let mut writers = Vec::new();
    for w in 0..8u128 {
        let client = s.client.clone();
        let url = s.url("/api/v1/forms/mini/responses");
        writers.push(tokio::spawn(async move {
            for n in 0..60u128 {
                let res = client
                    .post(&url)
                    .json(&valid_submission(10_000 + w * 1000 + n))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        }));
    }
    for v in 0..8 {
        let mut next = form.clone();
        next["title"]["en"] = Value::String(format!("Version {v}"));
        assert_eq!(s.put_form(&admin, &next).await.status(), 200);
    }
    for w in writers {
        w.await.unwrap();
    }

    let stored = s.export_all("mini", &analyst).await.len();
    assert_eq!(stored, 300 + 8 * 60);
    let agg = s
        .get_ok("/api/v1/forms/mini/aggregates?question=safe", &analyst)
        .await;
    assert_eq!(
        agg["n"], stored as u64,
        "the index holds each stored response once"
    );
    s.stop().await;
}

/// Guards `include=flagged`: a response a bot check doubted is counted in
/// no aggregate or trend until an analyst asks for it, and then exactly
/// once; a supervisor may not ask.
#[tokio::test]
async fn flagged_responses_count_only_when_an_analyst_asks() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.bot_checks = true;
    let s = Server::start(c).await;
    let analyst = s.token(Role::Analyst);
    // Through the JSON API, with a proof of work for a challenge issued
    // three seconds ago: counted.
    let proof = solved_a_while_ago(&s, "mini");
    let res = s
        .client
        .post(s.url("/api/v1/forms/mini/responses"))
        .header("x-altcha", proof)
        .json(&json!({"submission_id": uuid(1), "answers": {"who": "resident", "safe": 2}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    // A plain post of the hosted form with no render token: kept, flagged.
    let res = s
        .client
        .post(s.url("/f/mini"))
        .form(&[
            ("submission_id", uuid(2).as_str()),
            ("q.who", "resident"),
            ("q.safe", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}",
        res.status()
    );
    assert_eq!(s.state.store.flagged("mini", 10).unwrap().len(), 1);
    let get = |q: &'static str, token: String| {
        let s = &s;
        async move {
            let res = s
                .client
                .get(s.url(&format!("/api/v1/forms/mini/{q}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, plain) = get("aggregates?question=safe", analyst.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(plain["n"], 1, "the flagged response is left out");
    let (status, with) = get("aggregates?question=safe&include=flagged", analyst.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(with["n"], 2, "and counted, once, when asked for");
    let five = |a: &Value| {
        a["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["question"] == "safe" && c["answer"] == "5")
            .map(|c| c["count"].clone())
    };
    assert_eq!(five(&plain), Some(json!(0)));
    assert_eq!(five(&with), Some(json!(1)));
    let (_, trend) = get(
        "trends?question=safe&measure=mean&include=flagged",
        analyst.clone(),
    )
    .await;
    let n: u64 = trend["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["n"].as_u64().unwrap())
        .sum();
    assert_eq!(n, 2);
    // The live index is untouched by the question.
    let (_, again) = get("aggregates?question=safe", analyst.clone()).await;
    assert_eq!(again["n"], 1);
    assert_eq!(
        get("aggregates?include=everything", analyst.clone())
            .await
            .0,
        400
    );
    let supervisor = s.supervisor_token(&["east"], &[]);
    assert_eq!(
        get("aggregates?include=flagged", supervisor.clone())
            .await
            .0,
        403
    );

    // Free text and the export show what the bot check held back too,
    // each answer with its flag, only when asked.
    let res = s
        .client
        .post(s.url("/f/mini"))
        .form(&[
            ("submission_id", uuid(3).as_str()),
            ("q.who", "resident"),
            ("q.safe", "1"),
            ("q.why_unsafe", "Dark alley, station"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.url().path().ends_with("/thanks"), "{}", res.url());
    let (status, text) = get("text?question=why_unsafe", analyst.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(text, json!([]), "held back: not listed");
    let (status, text) = get("text?question=why_unsafe&include=flagged", analyst.clone()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text.as_array().unwrap().len(), 1, "{text}");
    assert_eq!(text[0]["text"], "Dark alley, station");
    assert_eq!(text[0]["flag"], "render-token");
    assert_eq!(
        get("text?include=flagged", supervisor).await.0,
        403,
        "a supervisor reads their teams' real answers"
    );
    let export = |q: &'static str| {
        let (s, analyst) = (&s, analyst.clone());
        async move {
            s.ndjson_page(&format!("/api/v1/forms/mini/responses{q}"), &analyst)
                .await
        }
    };
    let (rows, _) = export("").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].get("flag").is_none());
    let (rows, _) = export("?include=flagged").await;
    let flags: Vec<&Value> = rows.iter().map(|r| &r["flag"]).collect();
    assert_eq!(
        flags,
        [&Value::Null, &json!("render-token"), &json!("render-token")],
        "in arrival order, each once"
    );
    // Paged: two pages of two and one, the cursor keeping include.
    let (first, link) = export("?include=flagged&limit=2").await;
    assert_eq!(first.len(), 2);
    let link = link.expect("a next page");
    assert!(link.contains("include=flagged"), "{link}");
    let after = first[1]["id"].as_str().unwrap().to_owned();
    let rest = s
        .client
        .get(s.url(&format!(
            "/api/v1/forms/mini/responses?include=flagged&limit=2&after={after}"
        )))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(rest.lines().count(), 1);
    let res = s
        .client
        .get(s.url("/api/v1/forms/mini/responses?include=flagged"))
        .bearer_auth(&analyst)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",flag"), "{header}");
    assert_eq!(
        csv.lines().filter(|l| l.ends_with(",render-token")).count(),
        2
    );
    assert_eq!(get("responses?include=all", analyst).await.0, 400);
    s.stop().await;
}

/// Counts and group sizes an aggregate answer publishes for one question:
/// cells by (group, answer), sizes by group (None = hidden).
type Published = (
    BTreeMap<(Vec<String>, String), Option<u64>>,
    BTreeMap<Vec<String>, Option<u64>>,
);

fn published(api: &Value, question: &str) -> Published {
    let cells = api["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["question"] == question)
        .map(|c| {
            (
                (
                    strings(&c["group"]),
                    c["answer"].as_str().unwrap().to_owned(),
                ),
                c["count"].as_u64(),
            )
        })
        .collect();
    let sizes = api["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["question"] == question)
        .map(|s| (strings(&s["group"]), s["n"].as_u64()))
        .collect();
    (cells, sizes)
}

/// One published count: which query, which group, which answer (None: the
/// group's size).
type Entry = (u8, Vec<String>, Option<String>);

/// The tables a table's groups add up to: their id, and the dimension of
/// its group that names theirs (None: the table grouped by none).
type AddsUpTo = Vec<(u8, Option<usize>)>;

/// Publishes `question` (with `filter`) grouped by `by` (one dimension or
/// two), by each of two dimensions and by none, for the public, and
/// subtracts along every sum the tables share (a row of groups in one
/// dimension adds up to the one-way count, groups to the larger group's
/// size, and, where the answers partition the respondents, answers to
/// their group's size); returns the hidden counts recovered, and how many
/// were hidden.
async fn difference_linked(
    s: &Server,
    token: &str,
    question: &str,
    filter: &str,
    by: &[&str],
    partition: bool,
) -> (Vec<(Entry, u64)>, usize) {
    let base = format!("/api/v1/forms/{FORM}/aggregates?question={question}{filter}");
    let mut known: BTreeMap<Entry, Option<u64>> = BTreeMap::new();
    let mut truth: BTreeMap<Entry, u64> = BTreeMap::new();
    // Each table: its id, its query, and the tables its groups add up to.
    let mut queries: Vec<(u8, String, AddsUpTo)> = vec![(3, String::new(), vec![])];
    for (i, b) in by.iter().enumerate() {
        queries.push((i as u8, format!("&by={b}"), vec![(3, None)]));
    }
    if let [a, b] = by {
        queries.push((2, format!("&by={a},{b}"), vec![(0, Some(0)), (1, Some(1))]));
    }
    for (q, by, _) in &queries {
        let public = published(
            &s.get_ok(&format!("{base}{by}&share=public"), token).await,
            question,
        );
        let all = published(&s.get_ok(&format!("{base}{by}"), token).await, question);
        for ((g, a), v) in public.0 {
            truth.insert(
                (*q, g.clone(), Some(a.clone())),
                all.0[&(g.clone(), a.clone())].unwrap(),
            );
            known.insert((*q, g, Some(a)), v);
        }
        for (g, v) in public.1 {
            truth.insert((*q, g.clone(), None), all.1[&g].unwrap());
            known.insert((*q, g, None), v);
        }
    }
    let hidden = known.values().filter(|v| v.is_none()).count();
    // The sums, each as (parts, total).
    let mut sums: Vec<(Vec<Entry>, Entry)> = Vec::new();
    for (q, _, into) in &queries {
        for &(coarser, dim) in into {
            for total in known.keys().filter(|e| e.0 == coarser) {
                let parts = known
                    .keys()
                    .filter(|e| {
                        e.0 == *q && e.2 == total.2 && dim.is_none_or(|d| e.1[d] == total.1[0])
                    })
                    .cloned()
                    .collect();
                sums.push((parts, total.clone()));
            }
        }
    }
    if partition {
        for group in known.keys().filter(|e| e.2.is_none()) {
            let parts = known
                .keys()
                .filter(|e| e.0 == group.0 && e.1 == group.1 && e.2.is_some())
                .cloned()
                .collect();
            sums.push((parts, group.clone()));
        }
    }
    // The sums hold on the true counts, so the attacker's equations are
    // sound (every answer, skipped included, is a cell).
    for (parts, total) in &sums {
        let sum: u64 = parts.iter().map(|p| truth[p]).sum();
        assert_eq!(
            sum, truth[total],
            "{question}{filter}: {parts:?} -> {total:?}"
        );
    }
    // A group that is its coarser table's only group is the same count
    // under two names (grouped by a dimension a filter fixes, say): shown
    // under either, it is published, not recovered.
    loop {
        let mut progress = false;
        for (parts, total) in sums.iter().filter(|(parts, _)| parts.len() == 1) {
            match (known[&parts[0]], known[total]) {
                (Some(v), None) => known.insert(total.clone(), Some(v)),
                (None, Some(v)) => known.insert(parts[0].clone(), Some(v)),
                _ => continue,
            };
            progress = true;
        }
        if !progress {
            break;
        }
    }
    let mut found = Vec::new();
    loop {
        let mut progress = false;
        for (parts, total) in &sums {
            let mut unknown: Vec<&Entry> = parts.iter().filter(|p| known[*p].is_none()).collect();
            if known[total].is_none() {
                unknown.push(total);
            }
            if unknown.len() != 1 {
                continue;
            }
            let e = unknown[0].clone();
            let shown: u64 = parts.iter().filter_map(|p| known[p]).sum();
            let v = if &e == total {
                shown
            } else {
                known[total].unwrap() - shown
            };
            assert_eq!(v, truth[&e]);
            known.insert(e.clone(), Some(v));
            found.push((e, v));
            progress = true;
        }
        if !progress {
            return (found, hidden);
        }
    }
}

/// A table grouped two ways for the public, published beside the tables
/// grouped by each of its dimensions and by none (what a page of results
/// would carry), gives away no hidden count of any of the four to an
/// attacker who subtracts along the sums they share; nor does one grouped
/// one way beside the table grouped by none. (Before they were suppressed
/// as linked tables, the first query gave away four counts, one of them 4
/// people in a place and quarter, and the fourth the size of a group of 9
/// students at one place: a multiple choice's ticks were taken for its
/// respondents.)
#[tokio::test]
async fn a_table_grouped_two_ways_gives_away_no_hidden_count_with_its_margins() {
    let (_dir, s, token) = loaded().await;
    let cases: [(&str, &str, &[&str], bool); 12] = [
        ("feel_safe_dark", "", &["location", "quarter"], true),
        ("feel_safe_dark", "&channel=qr", &["age", "channel"], true),
        (
            "feel_safe_dark",
            "&quarter=2024/25%20Q3",
            &["quarter"],
            true,
        ),
        (
            "priorities",
            "&where=respondent_type:student",
            &["location"],
            false,
        ),
        (
            "feel_safe_dark",
            "&channel=qr",
            &["location", "quarter"],
            true,
        ),
        (
            "worry",
            "&where=respondent_type:worker",
            &["location", "quarter"],
            true,
        ),
        ("feel_safe_day", "", &["respondent_type", "location"], true),
        ("priorities", "", &["location", "quarter"], false),
        (
            "safety_comment",
            "&quarter=2024/25%20Q3",
            &["location", "respondent_type"],
            false,
        ),
        ("priorities", "&channel=qr", &["location"], false),
        ("why_not_reported", "", &["location"], false),
        ("safety_comment", "&channel=qr", &["month"], false),
    ];
    for (question, filter, by, partition) in cases {
        let (found, hidden) = difference_linked(&s, &token, question, filter, by, partition).await;
        assert!(
            hidden > 0,
            "{question}{filter}: nothing hidden, nothing tested"
        );
        assert!(
            found.is_empty(),
            "{question}{filter} by {by:?}: recovered {} hidden counts: {found:?}",
            found.len()
        );
    }
    s.stop().await;
}

/// A trend is not suppressed: asked for as shared, it is refused with the
/// field at fault, not answered with its small counts.
#[tokio::test]
async fn a_trend_asked_for_as_shared_is_refused() {
    let (_dir, s, token) = loaded().await;
    let res = s
        .client
        .get(s.url(&format!("{WALKTHROUGH_TREND}&share=public")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "share", "{problem}");
    // For analysts it is answered.
    s.get_ok(&format!("{WALKTHROUGH_TREND}&share=analysts"), &token)
        .await;
    s.stop().await;
}
