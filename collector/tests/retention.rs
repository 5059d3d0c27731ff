//! Retention: free text older than a form's `retention_days` is erased
//! from sled (and from its files on disk once compacted), while the codes,
//! the aggregates and the manual codes stay; `/text` and the export show
//! the erasure; a second run erases nothing more.

use crate::common::*;
use collector::index::Indexes;
use collector::model::{now_ms, Role, ERASED_TEXT};
use collector::service::{import, retention};
use collector::store::{Doc, SledStore, Store};
use serde_json::{json, Value};
use std::path::Path;

const FORM: &str = "community-safety";
const DAY: u64 = 24 * 60 * 60 * 1000;
/// Distinctive phrases: old ones must leave the disk, young ones stay.
const OLD: [&str; 3] = [
    "zebracrossing-quokka drugs dealt by the station every night",
    "zebracrossing-wombat phone snatched by someone on a moped",
    "zebracrossing-numbat I never see police around here",
];
const YOUNG: &str = "zebracrossing-platypus lots of shouting and drugs by the bins";

fn rows(indexes: &Indexes, form: &survey::Form, now: u64) -> Vec<collector::model::StoredResponse> {
    // community-safety keeps text 730 days: three answers are 800 days
    // old, one is 10 days old.
    let mut out = Vec::new();
    let times = [
        now - 800 * DAY,
        now - 799 * DAY,
        now - 798 * DAY,
        now - 10 * DAY,
    ];
    for (i, (text, ms)) in OLD.iter().chain([&YOUNG]).zip(times).enumerate() {
        let s: survey::Submission = serde_json::from_value(json!({
            "submission_id": uuid(i as u128 + 1),
            "answers": {
                "respondent_type": "worker",
                "feel_safe_day": 4,
                "feel_safe_dark": 2,
                "worry": "a-little",
                "safety_comment": text,
            },
            "location": "moorgate",
            "channel": "qr",
        }))
        .unwrap();
        out.push(import::stored(indexes, form, &s, ms).unwrap());
    }
    out
}

fn config_for(dir: &Path) -> collector::Config {
    let mut cfg = config(dir);
    cfg.forms = example_forms();
    // The test runs retention itself, with its own clock.
    cfg.retention_interval_secs = 0;
    cfg
}

/// Opens the folder, retrying while the previous store lets go of sled's lock.
fn reopen(dir: &Path) -> collector::AppState {
    for _ in 0..100 {
        match collector::open(config_for(dir)) {
            Ok(s) => return s,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    collector::open(config_for(dir)).unwrap()
}

/// Whether any file under `dir` contains `needle`.
fn on_disk(dir: &Path, needle: &str) -> bool {
    let mut found = false;
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        found |= bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    }
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every aggregate and theme cell of the form, and its agreement report.
async fn aggregates(s: &Server, token: &str) -> (Value, Value) {
    let base = format!("/api/v1/forms/{FORM}");
    let get = |path: String| {
        let req = s.client.get(s.url(&path)).bearer_auth(token);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };
    let agg = get(format!("{base}/aggregates?question=safety_comment")).await;
    let all = get(format!("{base}/aggregates")).await;
    let agreement = get(format!("{base}/agreement")).await;
    (json!([agg, all]), agreement)
}

async fn texts(s: &Server, token: &str) -> Vec<String> {
    let res = s
        .client
        .get(s.url(&format!("/api/v1/forms/{FORM}/text")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let items: Vec<Value> = res.json().await.unwrap();
    items
        .iter()
        .map(|i| i["text"].as_str().unwrap().to_owned())
        .collect()
}

async fn exported(s: &Server, token: &str) -> Vec<String> {
    s.export_all(FORM, token)
        .await
        .iter()
        .map(|r| r["answers"]["safety_comment"].as_str().unwrap().to_owned())
        .collect()
}

/// A sled store in `dir` with the example forms and the four rows of
/// [`rows`] (three past the retention period at `now`, one inside it).
fn seeded(dir: &Path, now: u64) -> SledStore {
    let store = SledStore::open(dir).unwrap();
    collector::publish_folder(&store, &example_forms()).unwrap();
    let form = store.form(FORM).unwrap().form.clone();
    // Coded as the server codes, and noted so: it scores nothing again.
    let indexes = Indexes::new(analysis::Scorer::new())
        .with_sentiment_model()
        .with_theme_model();
    let imported = store
        .import(
            &form,
            rows(&indexes, &form, now),
            collector::index::record::encoder,
        )
        .unwrap();
    assert_eq!(imported, 4);
    store
        .put_doc(Doc::Coding, FORM, indexes.coding_version().as_bytes())
        .unwrap();
    store
}

#[tokio::test]
async fn retention_erases_old_free_text_and_keeps_codes_and_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    // Seeded and closed, so the server opens it as at a start.
    drop(seeded(dir.path(), now));
    let s = Server::serve(reopen(dir.path())).await;
    let token = s.token(Role::Analyst);
    let ids: Vec<String> = s
        .export_all(FORM, &token)
        .await
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    // An analyst codes one old answer by hand.
    let res = s
        .client
        .put(s.url(&format!("/api/v1/responses/{}/codes", ids[0])))
        .bearer_auth(&token)
        .json(&json!({"question": "safety_comment", "themes": ["visible-policing"], "sentiment": "positive"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let before = aggregates(&s, &token).await;
    let mut want: Vec<String> = OLD.iter().chain([&YOUNG]).map(|t| t.to_string()).collect();
    assert_eq!(exported(&s, &token).await, want);
    assert_eq!(texts(&s, &token).await, want);

    let runs = retention::run(s.state.store.as_ref(), now).unwrap();
    let run = runs.iter().find(|r| r.form == FORM).unwrap();
    assert_eq!((run.days, run.erased), (730, 3));
    assert_eq!(run.before_ms, now - 730 * DAY);
    // Idempotent: a second run erases nothing more.
    let again = retention::run(s.state.store.as_ref(), now).unwrap();
    assert!(again.iter().all(|r| r.erased == 0), "{again:?}");

    for t in want.iter_mut().take(3) {
        *t = ERASED_TEXT.to_owned();
    }
    assert_eq!(exported(&s, &token).await, want);
    assert_eq!(texts(&s, &token).await, want);
    assert_eq!(aggregates(&s, &token).await, before);
    let manual = s.state.store.manual_codes(FORM).unwrap();
    assert_eq!(manual.len(), 1);
    assert_eq!(
        manual[0].1["safety_comment"].themes,
        vec!["visible-policing".to_owned()]
    );
    s.stop().await;

    // After a restart (indexes rebuilt from the stored records) the
    // aggregates are the same and the text stays erased.
    let s = Server::serve(reopen(dir.path())).await;
    let token = s.token(Role::Analyst);
    assert_eq!(aggregates(&s, &token).await, before);
    assert_eq!(exported(&s, &token).await, want);
    s.stop().await;

    // On disk: the young text is there; the erased text's old bytes may
    // linger in sled's earlier log segments until it reuses them (see
    // `sled_keeps_overwritten_bytes_until_compacted`). A compacted copy
    // holds none of them.
    assert!(on_disk(dir.path(), YOUNG));
    let copy = tempfile::tempdir().unwrap();
    let copy_dir = copy.path().join("data");
    {
        let store = open_sled(dir.path());
        store.compact_into(&copy_dir).unwrap();
    }
    assert!(on_disk(&copy_dir, YOUNG));
    for t in OLD {
        assert!(!on_disk(&copy_dir, t), "{t} still on disk after compaction");
    }
    // The copy is a working store with the same aggregates.
    let mut s = Server::serve(reopen(&copy_dir)).await;
    let token = s.token(Role::Analyst);
    assert_eq!(aggregates(&s, &token).await, before);
    assert_eq!(exported(&s, &token).await, want);
    s.halt().await;
}

fn open_sled(dir: &Path) -> SledStore {
    for _ in 0..100 {
        if let Ok(s) = SledStore::open(dir) {
            return s;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    SledStore::open(dir).unwrap()
}

/// What sled 0.34 does with a value it overwrote: after `erase_text`, a
/// flush and closing the store, are the old bytes still in its files?
/// This records the answer (printed) rather than assuming it.
#[test]
fn sled_keeps_overwritten_bytes_until_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    {
        let store = seeded(dir.path(), now);
        assert!(on_disk(dir.path(), OLD[0]));
        let runs = retention::run(&store, now).unwrap();
        assert_eq!(runs.iter().map(|r| r.erased).sum::<usize>(), 3);
    }
    let lingering = OLD.iter().filter(|t| on_disk(dir.path(), t)).count();
    println!("after erase, flush and close: {lingering} of 3 erased texts still in sled's files");
    // The live store never returns them, whatever the files hold.
    let store = open_sled(dir.path());
    let live = store.responses(FORM, None, 100).unwrap();
    assert!(live.iter().all(|r| {
        let t = serde_json::to_string(r).unwrap();
        OLD.iter().all(|o| !t.contains(o))
    }));
    let lingering_after_reopen = OLD.iter().filter(|t| on_disk(dir.path(), t)).count();
    println!("after reopening: {lingering_after_reopen} of 3 still in sled's files");
    drop(store);

    // Compacting in place (what `collector retention --compact` does)
    // leaves none of them, and keeps everything current.
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let p = f.unwrap().path();
        if p != data {
            std::fs::rename(&p, data.join(p.file_name().unwrap())).unwrap();
        }
    }
    SledStore::compact(&data).unwrap();
    for t in OLD {
        assert!(
            !on_disk(dir.path(), t),
            "{t} still on disk after compaction"
        );
    }
    assert!(on_disk(dir.path(), YOUNG));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no copies left beside it"
    );
    let store = open_sled(&data);
    assert_eq!(store.responses(FORM, None, 100).unwrap().len(), 4);
}

/// The schedule runs at start beside the server, and stopping the server
/// stops it and lets the store close (it holds the store weakly).
#[tokio::test]
async fn the_server_erases_at_start_and_its_schedule_stops_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    drop(seeded(dir.path(), now));
    let mut cfg = config_for(dir.path());
    cfg.retention_interval_secs = 3600;
    let s = Server::serve(collector::open(cfg).unwrap()).await;
    let token = s.token(Role::Analyst);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut got = exported(&s, &token).await;
    while got[0] != ERASED_TEXT && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        got = exported(&s, &token).await;
    }
    assert_eq!(
        got,
        [ERASED_TEXT, ERASED_TEXT, ERASED_TEXT, YOUNG].map(str::to_owned)
    );
    s.stop().await;
}

/// Each response goes by the version it answered: its period is the
/// shorter of that version's (what its respondent was told) and the
/// current one's, and only that version's free-text questions are erased
/// (a question id that became a choice keeps its answers). Personal
/// answers go by the same period.
#[tokio::test]
async fn each_version_is_erased_by_its_own_period_and_its_own_free_text() {
    use collector::model::{record, NewResponse};
    use std::collections::BTreeMap;
    use survey::Answer;
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let mini: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_forms().join("mini.json")).unwrap())
            .unwrap();
    let text = |id: &str, personal: bool| json!({"id": id, "kind": "text", "text": {"en": id, "pl": id}, "max_length": 200, "personal": personal});
    let choice = json!({"id": "area", "kind": "single_choice", "text": {"en": "Area", "pl": "Okolica"},
        "options": [{"id": "north", "text": {"en": "North", "pl": "Północ"}},
                    {"id": "south", "text": {"en": "South", "pl": "Południe"}}]});
    let version = |days: Option<u32>, area: Value| -> survey::Form {
        let mut f = mini.clone();
        if let Some(d) = days {
            f["retention_days"] = json!(d);
        }
        let qs = f["questions"].as_array_mut().unwrap();
        qs.push(area);
        qs.push(text("contact", true));
        serde_json::from_value(f).unwrap()
    };
    let submit = |f: std::sync::Arc<collector::store::Published>, n: u128, area: &str| {
        let (store, area) = (&store, area.to_owned());
        async move {
            let f = &f.form;
            let mut answers = BTreeMap::new();
            answers.insert("who".to_owned(), Answer::Text("resident".into()));
            answers.insert("safe".to_owned(), Answer::Number(3));
            answers.insert("area".to_owned(), Answer::Text(area));
            let r = NewResponse {
                form: f.id.clone(),
                version: f.version,
                location: None,
                channel: "embed".into(),
                lang: "en".into(),
                answers,
                coding: BTreeMap::new(),
                flag: None,
                attributes: BTreeMap::new(),
                personal: BTreeMap::from([(
                    "contact".to_owned(),
                    Answer::Text(format!("07700 90000{n}")),
                )]),
                invitation: None,
            };
            let bytes = record::encode(&r, Some(&record::Names::of(f)));
            store.submit(&r, bytes, &uuid(n), vec![]).await.unwrap().id
        }
    };
    // Version 1 keeps 30 days and asks where as free text; version 2 keeps
    // a year and asks it as a choice; version 3 names no period.
    let v1 = store
        .publish(version(Some(30), text("area", false)))
        .unwrap();
    let a = submit(v1, 1, "by the old bridge").await;
    let v2 = store.publish(version(Some(365), choice.clone())).unwrap();
    let b = submit(v2, 2, "north").await;
    let v3 = store.publish(version(None, choice.clone())).unwrap();
    assert_eq!(v3.form.version, 3);
    let c = submit(v3, 3, "south").await;
    let now = now_ms();
    let area = |id| store.response("mini", id).unwrap().unwrap().answers["area"].clone();
    let contact = |id| store.personal("mini", id).unwrap().is_some();

    // 40 days on: version 1's text and contact are past their 30 days,
    // though the current version names no period.
    let runs = retention::run(&store, now + 40 * DAY).unwrap();
    assert_eq!((runs[0].erased, runs[0].personal, runs[0].days), (1, 1, 30));
    assert_eq!(area(a), Answer::Text(ERASED_TEXT.into()));
    assert!(!contact(a));
    assert_eq!(area(b), Answer::Text("north".into()));
    assert!(contact(b) && contact(c));

    // 400 days on: version 2's contact goes; its area is a choice and
    // stays. Version 3 has no period: nothing of it goes.
    let runs = retention::run(&store, now + 400 * DAY).unwrap();
    assert_eq!((runs[0].erased, runs[0].personal), (0, 1));
    assert_eq!(area(b), Answer::Text("north".into()));
    assert!(!contact(b));
    assert_eq!(area(c), Answer::Text("south".into()));
    assert!(contact(c));

    // A fourth version keeps 7 days: now no one's is kept longer.
    store.publish(version(Some(7), choice)).unwrap();
    let runs = retention::run(&store, now + 8 * DAY).unwrap();
    assert_eq!((runs[0].erased, runs[0].personal, runs[0].days), (0, 1, 7));
    assert!(!contact(c));
    assert_eq!(area(c), Answer::Text("south".into()));
}
