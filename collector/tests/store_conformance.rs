//! The conformance suite every `Store` implementation must pass; run here
//! against sled in a temp dir, the in-memory `MemStore` and the SQLite
//! `SqliteStore` (also in a temp dir).

use crate::common::*;
use collector::index::record;
use collector::model::{
    CountKey, Label, ManualCode, NewResponse, Role, Step, TextCoding, ERASED_TEXT,
};
use collector::store::{Expiries, Expiry, SledStore, Store};
use harness::SqliteStore;
use std::collections::BTreeMap;
use std::sync::Arc;
use survey::{Answer, Form};

fn mini() -> Form {
    serde_json::from_str(&std::fs::read_to_string(fixture_forms().join("mini.json")).unwrap())
        .unwrap()
}

fn response(form: &Form, safe: i64) -> NewResponse {
    let mut answers = BTreeMap::new();
    answers.insert("who".to_owned(), Answer::Text("resident".into()));
    answers.insert("safe".to_owned(), Answer::Number(safe));
    NewResponse {
        form: form.id.clone(),
        version: form.version,
        location: Some("aldgate".into()),
        channel: "embed".into(),
        lang: "en".into(),
        answers,
        coding: BTreeMap::new(),
        flag: None,
        attributes: BTreeMap::new(),
        personal: BTreeMap::new(),
        invitation: None,
    }
}

/// What retention erases of `version`'s responses: those received before
/// `before_ms`, their answers to `questions`.
fn expiring(version: u32, before_ms: u64, questions: &[String]) -> Expiries {
    Expiries::from([(
        version,
        Expiry {
            before_ms,
            questions: questions.to_vec(),
        },
    )])
}

/// Submits `r` with the index record the answer index would hand over.
async fn submit(
    store: &dyn Store,
    form: &Form,
    r: NewResponse,
    submission_id: &str,
    alerts: Vec<String>,
) -> collector::store::Result<collector::store::Submitted> {
    let bytes = record::encode(&r, Some(&record::Names::of(form)));
    store.submit(&r, bytes, submission_id, alerts).await
}

/// Runs the suite on `store`; returns the token it created (so a caller
/// can look for it where the store keeps its data).
async fn conformance(store: &dyn Store) -> String {
    // Publishing: versions only grow, identical content is no new version.
    let form = store.publish(mini()).unwrap();
    assert_eq!(form.form.version, 1);
    assert_eq!(store.publish(mini()).unwrap().form.version, 1);
    let mut changed = mini();
    changed.title = serde_json::from_str(r#"{"en": "Changed", "pl": "Zmieniona"}"#).unwrap();
    let form = store.publish(changed).unwrap();
    assert_eq!(form.form.version, 2);
    assert_eq!(store.form("mini").unwrap().form.version, 2);
    assert!(store.form("nope").is_none());
    let mut broken = mini();
    broken.default_lang = "xx".into();
    assert!(
        store.publish(broken).is_err(),
        "an invalid form is not published"
    );

    // Submissions: ids grow, retries are stored once, alerts go with them.
    assert_eq!(store.last_alert_seq().unwrap(), 0, "no alert yet");
    let f = &form.form;
    let a = submit(
        store,
        f,
        response(f, 1),
        &uuid(1),
        vec!["very-unsafe".into()],
    )
    .await
    .unwrap();
    let b = submit(store, f, response(f, 4), &uuid(2), vec![])
        .await
        .unwrap();
    let again = submit(
        store,
        f,
        response(f, 5),
        &uuid(1),
        vec!["very-unsafe".into()],
    )
    .await
    .unwrap();
    assert!(a.created && b.created && !again.created);
    assert_eq!(again.id, a.id);
    assert!(b.id > a.id);

    let all = store.responses("mini", None, 100).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, Some(a.id));
    assert_eq!(
        all[0].answers["safe"],
        Answer::Number(1),
        "the first answers are kept on retry"
    );
    assert!(all[0].received_ms > 0);
    assert_eq!(store.responses("mini", Some(a.id), 100).unwrap().len(), 1);
    assert_eq!(store.responses("mini", Some(b.id), 100).unwrap().len(), 0);
    assert_eq!(store.responses("mini", None, 1).unwrap().len(), 1);
    assert!(store.responses("other", None, 100).unwrap().is_empty());

    // Index records: one per stored response (none for the retry), each
    // what encoding the stored response gives.
    assert!(store.records_complete());
    let mut records = Vec::new();
    store
        .scan_records("mini", &mut |id, bytes| records.push((id, bytes.to_vec())))
        .unwrap();
    let versions = store.form_versions("mini").unwrap();
    assert_eq!(
        versions.last(),
        Some(f),
        "versions end with the current one"
    );
    let names: Vec<_> = versions.iter().map(record::Names::of).collect();
    assert_eq!(records.len(), all.len());
    for ((id, bytes), r) in records.iter().zip(&all) {
        assert_eq!(Some(*id), r.id);
        let decoded = record::decode(bytes, |v| names.iter().find(|n| n.version() == v)).unwrap();
        let version = names.iter().find(|n| n.version() == r.version);
        let expected = record::encode(r, version);
        let expected = record::decode(&expected, |_| version).unwrap();
        assert_eq!(decoded, expected);
    }

    let alerts = store.pending_alerts(10).unwrap();
    assert_eq!(alerts.len(), 1, "one alert, not one per retry");
    assert_eq!(alerts[0].rules, ["very-unsafe"]);
    assert_eq!(alerts[0].response, a.id.to_string());
    assert_eq!(alerts[0].seq, a.id.seq);
    assert_eq!(store.alerts_after(0, 10).unwrap(), alerts);
    assert_eq!(store.alert(a.id.seq).unwrap().as_ref(), alerts.first());
    // The latest alert, not the latest response (b raised none).
    assert_eq!(store.last_alert_seq().unwrap(), a.id.seq);

    let forms = store.forms().unwrap();
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].responses, 2);

    // Tokens: only hashes are stored; what was put comes back, replaced
    // by a later put (a revocation).
    let t = collector::service::tokens::new_token().unwrap();
    assert_eq!(t.len(), 64);
    let hash = collector::service::tokens::hash_token(&t);
    let mut record = collector::model::TokenRecord::new(Role::Supervisor);
    record.teams = vec!["east".into()];
    store.put_token(hash, &record).unwrap();
    assert_eq!(store.token(&hash).unwrap().as_ref(), Some(&record));
    record.revoked_ms = Some(1);
    store.put_token(hash, &record).unwrap();
    assert_eq!(store.token(&hash).unwrap(), Some(record.clone()));
    assert_eq!(store.tokens().unwrap(), vec![(hash, record)]);
    assert_eq!(store.token(&[0; 32]).unwrap(), None);

    // Flagged (a bot check doubted it): kept aside and counted once, with
    // no alert, no index record, and not among the responses.
    let mut doubted = response(f, 1);
    doubted.flag = Some("too-fast".into());
    let alert = || vec!["very-unsafe".to_owned()];
    let c = submit(store, f, doubted.clone(), &uuid(3), alert())
        .await
        .unwrap();
    let c_again = submit(store, f, doubted, &uuid(3), alert()).await.unwrap();
    assert!(c.created && !c_again.created && c_again.id == c.id);
    let flagged = store.flagged("mini", 10).unwrap();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].id, Some(c.id));
    assert_eq!(flagged[0].flag.as_deref(), Some("too-fast"));
    // Read by id and by cursor, as /text and the export read them.
    let by_id = store.flagged_response("mini", c.id).unwrap().unwrap();
    assert_eq!(
        (by_id.id, by_id.flag.as_deref()),
        (Some(c.id), Some("too-fast"))
    );
    let first = store.responses("mini", None, 1).unwrap()[0].id;
    assert!(store
        .flagged_response("mini", first.unwrap())
        .unwrap()
        .is_none());
    assert_eq!(store.flagged_after("mini", None, 10).unwrap().len(), 1);
    assert_eq!(store.flagged_after("mini", first, 10).unwrap().len(), 1);
    assert!(store
        .flagged_after("mini", Some(c.id), 10)
        .unwrap()
        .is_empty());
    assert!(store.flagged_after("mini", None, 0).unwrap().is_empty());
    assert_eq!(store.responses("mini", None, 100).unwrap().len(), 2);
    assert_eq!(store.pending_alerts(10).unwrap().len(), 1);
    assert_eq!(store.forms().unwrap()[0].responses, 2);
    let mut records = 0;
    store
        .scan_records("mini", &mut |_, _| records += 1)
        .unwrap();
    assert_eq!(records, 2);

    // Manual codes: what is set comes back, per response and question, and
    // setting a question again replaces its code.
    let code = |themes: &[&str], sentiment, at_ms| ManualCode {
        themes: themes.iter().map(|t| t.to_string()).collect(),
        sentiment,
        by: "0123456789ab".into(),
        at_ms,
    };
    let first = code(&["lighting"], Some(Label::Negative), 1);
    let second = code(&[], None, 2);
    let other = code(&["drugs"], Some(Label::Positive), 3);
    store
        .set_manual_code("mini", a.id, "why_unsafe", &first)
        .unwrap();
    store
        .set_manual_code("mini", a.id, "other", &other)
        .unwrap();
    store
        .set_manual_code("mini", b.id, "why_unsafe", &first)
        .unwrap();
    store
        .set_manual_code("mini", b.id, "why_unsafe", &second)
        .unwrap();
    let mut codes = store.manual_codes("mini").unwrap();
    codes.sort_by_key(|(id, _)| *id);
    let expected = vec![
        (
            a.id,
            BTreeMap::from([
                ("other".to_owned(), other.clone()),
                ("why_unsafe".to_owned(), first.clone()),
            ]),
        ),
        (b.id, BTreeMap::from([("why_unsafe".to_owned(), second)])),
    ];
    assert_eq!(codes, expected, "manual codes round-trip");
    assert!(store.manual_codes("other").unwrap().is_empty());

    // Retention: `erase_text` replaces the text of the questions named in
    // the responses (flagged ones too) received strictly before the time
    // given, keeps their coding, other answers and manual codes, and is
    // idempotent.
    let with_text = |flag: Option<&str>| {
        let mut r = response(f, 2);
        r.answers
            .insert("why_unsafe".into(), Answer::Text("dark underpass".into()));
        r.coding.insert(
            "why_unsafe".into(),
            TextCoding {
                compound: -0.5,
                label: Label::Negative,
                themes: vec!["lighting".into()],
                mixed: false,
                actionable: true,
            },
        );
        r.flag = flag.map(str::to_owned);
        r
    };
    let d = submit(store, f, with_text(None), &uuid(4), vec![])
        .await
        .unwrap();
    let e = submit(store, f, with_text(Some("honeypot")), &uuid(5), vec![])
        .await
        .unwrap();
    let q = ["why_unsafe".to_owned()];
    let v = f.version;
    let erase = |form: &str, version: u32, before_ms: u64, q: &[String]| {
        store
            .erase_text(form, &expiring(version, before_ms, q))
            .unwrap()
    };
    assert_eq!(erase("mini", v, d.id.ms, &q), 0);
    assert_eq!(erase("mini", v, e.id.ms + 1, &[]), 0);
    // Another version's period and questions are not theirs.
    assert_eq!(erase("mini", v + 1, u64::MAX, &q), 0);
    assert_eq!(erase("mini", v, e.id.ms + 1, &q), 2);
    assert_eq!(erase("mini", v, e.id.ms + 1, &q), 0);
    assert_eq!(erase("other", v, u64::MAX, &q), 0);
    let erased = store.response("mini", d.id).unwrap().unwrap();
    assert_eq!(
        erased.answers["why_unsafe"],
        Answer::Text(ERASED_TEXT.into())
    );
    assert_eq!(erased.answers["who"], Answer::Text("resident".into()));
    assert_eq!(
        erased.coding["why_unsafe"].themes,
        vec!["lighting".to_owned()]
    );
    assert_eq!(erased.received_ms, d.id.ms);
    let flagged = store.flagged("mini", 10).unwrap();
    assert_eq!(
        flagged.last().unwrap().answers["why_unsafe"],
        Answer::Text(ERASED_TEXT.into())
    );
    assert_eq!(store.manual_codes("mini").unwrap(), expected);

    // Re-coding: `recode` rewrites the responses (flagged ones too) from
    // an id on whose coding the closure changes, their index records with
    // them, and counts only those it changed.
    let later = submit(store, f, with_text(None), &uuid(6), vec![])
        .await
        .unwrap();
    let last = submit(store, f, with_text(None), &uuid(7), vec![])
        .await
        .unwrap();
    let themes = |id| {
        store.response("mini", id).unwrap().unwrap().coding["why_unsafe"]
            .themes
            .clone()
    };
    let before = themes(later.id);
    // A pass told to stop writes nothing of the run it stopped at.
    let mut calls = 0;
    let stopped = store
        .recode("mini", Some(later.id), &mut |run| {
            calls += 1;
            for r in run.iter_mut() {
                r.coding.get_mut("why_unsafe").unwrap().themes = vec!["first".to_owned()];
            }
            None
        })
        .unwrap();
    assert_eq!((stopped, calls), (0, 1));
    // Only the responses the closure says changed are written.
    let mut runs = 0;
    assert_eq!(
        store
            .recode("mini", Some(later.id), &mut |run| {
                runs += 1;
                for r in run.iter_mut() {
                    r.coding.get_mut("why_unsafe").unwrap().themes = vec!["unsaid".to_owned()];
                }
                Some(run.iter().map(|_| false).collect())
            })
            .unwrap(),
        0
    );
    assert_eq!(runs, 1, "two responses: one run");
    assert_eq!(
        themes(later.id),
        before,
        "nothing said changed: nothing written"
    );
    assert_eq!(themes(last.id), before);
    let mut recode = |run: &mut [collector::model::StoredResponse]| {
        Some(
            run.iter_mut()
                .map(|r| match r.coding.get_mut("why_unsafe") {
                    Some(c) if c.themes != ["recoded"] => {
                        c.themes = vec!["recoded".to_owned()];
                        true
                    }
                    _ => false,
                })
                .collect(),
        )
    };
    assert_eq!(
        store.recode("mini", Some(later.id), &mut recode).unwrap(),
        2
    );
    assert_eq!(
        store.recode("mini", Some(later.id), &mut recode).unwrap(),
        0
    );
    assert_eq!(themes(later.id), ["recoded"]);
    assert_eq!(themes(last.id), ["recoded"]);
    assert_eq!(themes(d.id), ["lighting"], "before `from`: untouched");
    let names = record::Names::of(f);
    let mut recorded = BTreeMap::new();
    store
        .scan_records("mini", &mut |id, bytes| {
            let r = record::decode(bytes, |_| Some(&names)).unwrap();
            if let Some(c) = r.coding.iter().find(|c| c.0 == "why_unsafe") {
                recorded.insert(id, c.4.iter().map(|t| t.to_string()).collect::<Vec<_>>());
            }
        })
        .unwrap();
    assert_eq!(recorded[&later.id], ["recoded"], "the record follows");
    assert_eq!(recorded[&d.id], ["lighting"]);
    assert!(store.recode("mini", None, &mut recode).unwrap() >= 2);
    assert_eq!(store.recode("mini", None, &mut recode).unwrap(), 0);
    assert_eq!(themes(d.id), ["recoded"]);
    assert_eq!(
        store.flagged("mini", 10).unwrap().last().unwrap().coding["why_unsafe"].themes,
        ["recoded"]
    );
    assert_eq!(store.recode("other", None, &mut recode).unwrap(), 0);
    t
}

/// Alerts, small records, invitations and personal answers: what the
/// service-recovery services need of any store.
async fn recovery_conformance(store: &dyn Store) {
    use collector::store::Doc;
    let f = &store.publish(mini()).unwrap().form.clone();
    // The outbox: an alert leaves it when taken, and stays in the log.
    let mut r = response(f, 1);
    r.attributes.insert("team".into(), "east".into());
    r.personal
        .insert("contact".into(), Answer::Text("07700 900123".into()));
    r.invitation = Some("inv-1".into());
    let a = submit(
        store,
        f,
        r.clone(),
        &uuid(100),
        vec!["x".into(), "safeguarding:threat".into()],
    )
    .await
    .unwrap();
    let pending = store.pending_alerts(10).unwrap();
    let mine = pending.iter().find(|x| x.seq == a.id.seq).unwrap();
    assert_eq!(mine.team.as_deref(), Some("east"));
    assert!(mine.safeguarding());
    store.take_alert(a.id.seq).unwrap();
    assert!(store
        .pending_alerts(10)
        .unwrap()
        .iter()
        .all(|x| x.seq != a.id.seq));
    assert_eq!(store.alert(a.id.seq).unwrap().as_ref(), Some(mine));
    assert!(store.alerts_after(a.id.seq - 1, 10).unwrap().contains(mine));
    assert!(store.alerts_after(a.id.seq, 10).unwrap().is_empty());
    assert_eq!(store.last_alert_seq().unwrap(), a.id.seq);
    // The stored response holds its attributes, not its personal answers.
    let stored = store.response("mini", a.id).unwrap().unwrap();
    assert_eq!(stored.attributes["team"], "east");
    assert!(!serde_json::to_string(&stored).unwrap().contains("07700"));
    assert_eq!(
        store.personal("mini", a.id).unwrap().unwrap()["contact"],
        Answer::Text("07700 900123".into())
    );
    // One response per invitation; a retry of the same submission is
    // still the same response.
    assert_eq!(store.invitation_answer("inv-1").unwrap(), Some(a.id));
    let again = submit(store, f, r.clone(), &uuid(100), vec![])
        .await
        .unwrap();
    assert!(!again.created && again.id == a.id);
    let other = submit(store, f, r.clone(), &uuid(101), vec![]).await;
    assert!(
        matches!(other, Err(collector::store::Error::InvitationUsed)),
        "{other:?}"
    );
    assert_eq!(store.invitation_answer("inv-2").unwrap(), None);
    // Personal answers are erased one at a time, or by age.
    assert!(store.erase_personal("mini", a.id).unwrap());
    assert!(!store.erase_personal("mini", a.id).unwrap());
    assert_eq!(store.personal("mini", a.id).unwrap(), None);
    r.invitation = None;
    let b = submit(store, f, r, &uuid(102), vec![]).await.unwrap();
    let erase = |version: u32, before_ms: u64| {
        store
            .erase_personal_before("mini", &expiring(version, before_ms, &[]))
            .unwrap()
    };
    assert_eq!(erase(f.version, b.id.ms), 0);
    assert_eq!(
        erase(f.version + 1, u64::MAX),
        0,
        "another version's period"
    );
    assert_eq!(erase(f.version, b.id.ms + 1), 1);
    assert_eq!(store.personal("mini", b.id).unwrap(), None);
    // Small records: put, get, list in key order after a key, remove.
    for k in ["b", "a", "c"] {
        store.put_doc(Doc::Hook, k, k.as_bytes()).unwrap();
    }
    store.put_doc(Doc::Case, "a", b"case").unwrap();
    assert_eq!(
        store.get_doc(Doc::Hook, "a").unwrap().as_deref(),
        Some(&b"a"[..])
    );
    assert_eq!(
        store.get_doc(Doc::Case, "a").unwrap().as_deref(),
        Some(&b"case"[..])
    );
    let keys = |after| -> Vec<String> {
        store
            .docs(Doc::Hook, after, 10)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(keys(None), ["a", "b", "c"]);
    assert_eq!(keys(Some("a")), ["b", "c"]);
    assert_eq!(store.docs(Doc::Hook, None, 2).unwrap().len(), 2);
    assert!(store.remove_doc(Doc::Hook, "b").unwrap());
    assert!(!store.remove_doc(Doc::Hook, "b").unwrap());
    assert_eq!(keys(None), ["a", "c"]);
    assert!(store.docs(Doc::Delivery, None, 10).unwrap().is_empty());
    // A response a bot check doubted raises its safeguarding alert (a
    // person in danger mistaken for a bot still reaches someone), and no
    // other.
    let mut doubted = response(f, 1);
    doubted.flag = Some("too-fast".into());
    let c = submit(
        store,
        f,
        doubted,
        &uuid(103),
        vec!["x".into(), "safeguarding:self_harm".into()],
    )
    .await
    .unwrap();
    assert_eq!(
        store.alert(c.id.seq).unwrap().unwrap().rules,
        ["safeguarding:self_harm"]
    );
    store.take_alert(c.id.seq).unwrap();
    let many: Vec<(String, Vec<u8>)> = (0..300)
        .map(|i| (format!("{i:04}"), vec![i as u8]))
        .collect();
    store.put_docs(Doc::Invitation, &many).unwrap();
    assert_eq!(store.docs(Doc::Invitation, None, 1000).unwrap(), many);
    // Removed many at once: those there are counted, one not there is not.
    let gone: Vec<String> = ["0001", "0002", "nope"].map(String::from).into();
    assert_eq!(store.remove_docs(Doc::Invitation, &gone).unwrap(), 2);
    assert_eq!(store.docs(Doc::Invitation, None, 1000).unwrap().len(), 298);
    assert_eq!(store.get_doc(Doc::Invitation, "0001").unwrap(), None);
    // Stored once: the second time says it was there, and another
    // kind's same key is its own.
    assert!(store.put_doc_once(Doc::Spent, "k").unwrap());
    assert!(!store.put_doc_once(Doc::Spent, "k").unwrap());
    assert!(store.put_doc_once(Doc::Owed, "k").unwrap());
    assert_eq!(
        store.get_doc(Doc::Spent, "k").unwrap().as_deref(),
        Some(&b""[..])
    );
}

fn count(form: &str, step: Step, location: &str, last: &str) -> CountKey {
    CountKey {
        form: form.into(),
        version: 1,
        day: "2025-06-01".into(),
        location: location.into(),
        channel: "qr".into(),
        lang: "en".into(),
        step,
        last_question: last.into(),
    }
}

/// The funnel's counts: added to what is stored (the same key twice in
/// one batch too), read back per form, an empty place and question kept
/// as empty, and a form whose id starts another's kept apart.
fn counts_conformance(store: &dyn Store) {
    let view = count("mini", Step::View, "bank", "");
    let nowhere = count("mini", Step::View, "", "");
    let leave = count("mini", Step::Leave, "aldgate", "safe");
    store
        .add_counts(&[(view.clone(), 3), (leave.clone(), 1), (view.clone(), 2)])
        .unwrap();
    store
        .add_counts(&[(view.clone(), 4), (nowhere.clone(), 1)])
        .unwrap();
    store.add_counts(&[]).unwrap();
    store
        .add_counts(&[(count("mini-2", Step::Complete, "bank", "who"), 7)])
        .unwrap();
    let mut got = store.counts("mini").unwrap();
    got.sort();
    let mut want = vec![(view, 9), (nowhere, 1), (leave, 1)];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(store.counts("mini-2").unwrap().len(), 1);
    assert!(store.counts("min").unwrap().is_empty());
}

#[tokio::test]
async fn sled_store_keeps_counts_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    counts_conformance(&store);
    let before = store.counts("mini").unwrap();
    drop(store);
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.counts("mini").unwrap(), before);
    store
        .add_counts(&[(count("mini", Step::View, "bank", ""), 1)])
        .unwrap();
    let views: u64 = store
        .counts("mini")
        .unwrap()
        .iter()
        .filter(|(k, _)| k.step == Step::View && k.location == "bank")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(views, 10, "added to what was stored before the restart");
}

#[tokio::test]
async fn memory_store_keeps_counts() {
    counts_conformance(&harness::MemStore::new());
}

#[tokio::test]
async fn sled_store_keeps_recovery_records_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    recovery_conformance(&store).await;
    let alerts = store.alerts_after(0, 10).unwrap();
    drop(store);
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.alerts_after(0, 10).unwrap(), alerts);
    assert!(store.pending_alerts(10).unwrap().is_empty());
    assert_eq!(
        store
            .get_doc(collector::store::Doc::Case, "a")
            .unwrap()
            .as_deref(),
        Some(&b"case"[..])
    );
}

#[tokio::test]
async fn memory_store_keeps_recovery_records() {
    recovery_conformance(&harness::MemStore::new()).await;
}

#[tokio::test]
async fn sled_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let token = conformance(&store).await;
    drop(store);
    // And the token hash is all that is on disk.
    let db_bytes: Vec<u8> = std::fs::read(dir.path().join("db")).unwrap_or_default();
    assert!(!db_bytes.is_empty());
    let files: Vec<(std::path::PathBuf, Vec<u8>)> = files_under(dir.path())
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, bytes)
        })
        .collect();
    let holds = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        files.iter().any(|(_, b)| holds(b, b"Mini survey")),
        "the search sees what sled stored (the form's title)"
    );
    for (file, bytes) in &files {
        assert!(
            !holds(bytes, token.as_bytes()),
            "the raw token is in {}",
            file.display()
        );
    }
}

#[tokio::test]
async fn memory_store_conforms() {
    conformance(&harness::MemStore::new()).await;
}

/// Refreshing sled's snapshot after a load (as `demo-data` does) keeps
/// every response, and the store opens and takes writes as before.
#[tokio::test]
async fn a_refreshed_snapshot_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let form = store.publish(mini()).unwrap().form.clone();
    for n in 0..50 {
        submit(
            &store,
            &form,
            response(&form, 1 + n % 5),
            &uuid(n as u128),
            vec![],
        )
        .await
        .unwrap();
    }
    let before = store.responses("mini", None, 1000).unwrap();
    drop(store);
    collector::store::SledStore::refresh_snapshot(dir.path()).unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.responses("mini", None, 1000).unwrap(), before);
    let more = submit(&store, &form, response(&form, 3), &uuid(999), vec![])
        .await
        .unwrap();
    assert!(more.created && more.id > before.last().unwrap().id.unwrap());
}

/// Many submissions at once, as a busy form sees them: each stored exactly
/// once, ids unique and in arrival order; copies of one submission sent in
/// the same burst stored once, under one id; one invitation answered once
/// however many answer it at the same moment.
async fn concurrent_conformance(store: Arc<dyn Store>) {
    let form = Arc::new(store.publish(mini()).unwrap().form.clone());
    let tasks: Vec<_> = (0..300u128)
        .map(|n| {
            let (store, form) = (store.clone(), form.clone());
            tokio::spawn(async move {
                let mut r = response(&form, 1 + (n % 5) as i64);
                let submission = match n % 6 {
                    // A retry of the same submission, within the burst.
                    0 => uuid(1_000_000),
                    // Different submissions through one invitation.
                    1 => {
                        r.invitation = Some("shared".into());
                        uuid(n)
                    }
                    _ => uuid(n),
                };
                (
                    n,
                    submit(store.as_ref(), &form, r, &submission, vec![]).await,
                )
            })
        })
        .collect();
    let mut same = Vec::new();
    let (mut answered, mut refused) = (Vec::new(), 0);
    let mut created = Vec::new();
    for t in tasks {
        let (n, result) = t.await.unwrap();
        match (n % 6, result) {
            (0, Ok(s)) => same.push(s),
            (1, Ok(s)) if s.created => {
                answered.push(s.id);
                created.push(s.id);
            }
            (1, Err(collector::store::Error::InvitationUsed)) => refused += 1,
            (_, Ok(s)) if s.created => created.push(s.id),
            (_, other) => panic!("submission {n}: unexpected {other:?}"),
        }
    }
    assert_eq!(same.len(), 50);
    assert_eq!(
        same.iter().filter(|s| s.created).count(),
        1,
        "one copy stored"
    );
    assert!(
        same.iter().all(|s| s.id == same[0].id),
        "every copy hears its id"
    );
    created.push(same[0].id);
    assert_eq!(
        (answered.len(), refused),
        (1, 49),
        "one answer per invitation"
    );
    assert_eq!(
        store.invitation_answer("shared").unwrap(),
        Some(answered[0])
    );

    let stored = store.responses("mini", None, 1000).unwrap();
    // 200 different submissions, one of the 50 copies, one invitation's.
    assert_eq!(stored.len(), 202);
    let ids: Vec<_> = stored.iter().map(|r| r.id.unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids rise, no two alike"
    );
    assert!(
        stored.iter().all(|r| r.received_ms == r.id.unwrap().ms),
        "each response's time is its id's"
    );
    created.sort();
    assert_eq!(created, ids, "every id answered is the one stored");
    let mut records = 0;
    store
        .scan_records("mini", &mut |_, _| records += 1)
        .unwrap();
    assert_eq!(records, 202);
}

/// Also guards the group commit itself: the burst shares syncs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sled_store_stores_concurrent_submissions_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    concurrent_conformance(store.clone()).await;
    let stats = store.commit_stats().expect("sled commits in groups");
    assert!(stats.submissions >= 300, "{stats:?}");
    assert!(
        stats.groups < stats.submissions,
        "submissions share syncs: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_stores_concurrent_submissions_once() {
    concurrent_conformance(Arc::new(harness::MemStore::new())).await;
}

/// Also guards the group commit itself: the burst shares commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_stores_concurrent_submissions_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    concurrent_conformance(store.clone()).await;
    let stats = store.commit_stats();
    assert!(stats.submissions >= 300, "{stats:?}");
    assert!(
        stats.groups < stats.submissions,
        "submissions share commits: {stats:?}"
    );
}

#[tokio::test]
async fn sqlite_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let token = conformance(&store).await;
    let before = store.responses("mini", None, 100).unwrap();
    let flagged = store.flagged("mini", 100).unwrap();
    let codes = store.manual_codes("mini").unwrap();
    drop(store);
    // Only the token's hash is on disk.
    let files: Vec<(std::path::PathBuf, Vec<u8>)> = files_under(dir.path())
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, bytes)
        })
        .collect();
    let holds = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(
        files.iter().any(|(_, b)| holds(b, b"Mini survey")),
        "the search sees what SQLite stored (the form's title)"
    );
    for (file, bytes) in &files {
        assert!(
            !holds(bytes, token.as_bytes()),
            "the raw token is in {}",
            file.display()
        );
    }
    // Reopened: everything read back as it was, forms at their versions,
    // and new ids after the old ones.
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.responses("mini", None, 100).unwrap(), before);
    assert_eq!(store.flagged("mini", 100).unwrap(), flagged);
    assert_eq!(store.manual_codes("mini").unwrap(), codes);
    assert_eq!(store.form("mini").unwrap().form.version, 2);
    assert_eq!(store.form_versions("mini").unwrap().len(), 2);
    let form = store.form("mini").unwrap().form.clone();
    let more = submit(&store, &form, response(&form, 3), &uuid(999), vec![])
        .await
        .unwrap();
    assert!(more.created && more.id > flagged.last().unwrap().id.unwrap());
    let again = submit(&store, &form, response(&form, 3), &uuid(1), vec![])
        .await
        .unwrap();
    assert_eq!(
        (again.created, again.id),
        (false, before[0].id.unwrap()),
        "a retry after the restart is still the first response"
    );
}

#[tokio::test]
async fn sqlite_store_keeps_recovery_records_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    recovery_conformance(&store).await;
    let alerts = store.alerts_after(0, 10).unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.alerts_after(0, 10).unwrap(), alerts);
    assert!(store.pending_alerts(10).unwrap().is_empty());
    assert_eq!(
        store
            .get_doc(collector::store::Doc::Case, "a")
            .unwrap()
            .as_deref(),
        Some(&b"case"[..])
    );
    assert_eq!(
        store.invitation_answer("inv-1").unwrap().map(|id| id.seq),
        alerts.first().map(|a| a.seq)
    );
}

#[tokio::test]
async fn sqlite_store_keeps_counts_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    counts_conformance(&store);
    let mut before = store.counts("mini").unwrap();
    before.sort();
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    let mut after = store.counts("mini").unwrap();
    after.sort();
    assert_eq!(after, before);
    store
        .add_counts(&[(count("mini", Step::View, "bank", ""), 1)])
        .unwrap();
    let views: u64 = store
        .counts("mini")
        .unwrap()
        .iter()
        .filter(|(k, _)| k.step == Step::View && k.location == "bank")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(views, 10, "added to what was stored before the restart");
}

/// A backup holds every acknowledged response and is itself a data folder;
/// a folder that is not empty is refused.
#[tokio::test]
async fn sqlite_store_backs_up_into_a_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("data")).unwrap();
    let form = store.publish(mini()).unwrap().form.clone();
    for n in 0..20 {
        submit(
            &store,
            &form,
            response(&form, 1 + n % 5),
            &uuid(n as u128),
            vec![],
        )
        .await
        .unwrap();
    }
    let dest = dir.path().join("backup");
    let info = store.backup(&dest).unwrap();
    assert_eq!(info.responses, 20);
    assert!(info.bytes > 0);
    assert!(matches!(
        store.backup(&dest),
        Err(collector::store::Error::Refused(_))
    ));
    let copy = SqliteStore::open(&dest).unwrap();
    assert_eq!(
        copy.responses("mini", None, 100).unwrap(),
        store.responses("mini", None, 100).unwrap()
    );
    assert_eq!(copy.form("mini").unwrap().form, form);
}
