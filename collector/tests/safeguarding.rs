//! Safeguarding over the real server: free text that matches a form's
//! safeguarding phrases puts a `safeguarding:<category>` alert in the
//! outbox with the response, on a form with no alert rules of its own; a
//! deployment's own phrase lists replace the form's at start.

use crate::common::{config, example_forms, uuid, Server};
use serde_json::{json, Value};

fn street(n: u128, comment: &str) -> Value {
    json!({
        "submission_id": uuid(n),
        "answers": {"feel_safe_now": 2, "comment": comment},
        "location": "bank",
        "channel": "qr",
        "lang": "en"
    })
}

/// Guards the safeguarding alert: raised in the same write as the
/// response, one per category matched, even though street-feedback has
/// no alert rules; none for other text; once for a retried submission.
#[tokio::test]
async fn matching_free_text_raises_a_safeguarding_alert_on_a_form_without_rules() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(collector::Config {
        forms: example_forms(),
        ..config(dir.path())
    })
    .await;
    let form = s.state.store.form("street-feedback").unwrap();
    assert!(
        form.form.alerts.is_empty(),
        "the form has no rules of its own"
    );

    let res = s
        .submit("street-feedback", &street(1, "Well lit, feels fine"))
        .await;
    assert_eq!(res.status(), 201);
    assert!(s.state.store.alerts_after(0, 100).unwrap().is_empty());

    let body = street(
        2,
        "My ex said he's going to kill me and I want to end my life",
    );
    let res = s.submit("street-feedback", &body).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A retry stores nothing new, and so no second alert.
    assert_eq!(s.submit("street-feedback", &body).await.status(), 200);

    // One alert for the response, with a rule per category matched.
    let alerts = s.state.store.alerts_after(0, 100).unwrap();
    assert_eq!(alerts.len(), 1);
    let mut rules: Vec<&str> = alerts[0].rules.iter().map(String::as_str).collect();
    rules.sort();
    assert_eq!(rules, ["safeguarding:self_harm", "safeguarding:threat"]);
    assert_eq!(alerts[0].form, "street-feedback");
    assert_eq!(alerts[0].response, id);
    assert!(alerts[0].safeguarding());

    // In another of the form's languages, too.
    let mut polish = street(3, "Nie chcę już żyć");
    polish["lang"] = json!("pl");
    assert_eq!(s.submit("street-feedback", &polish).await.status(), 201);
    assert_eq!(s.state.store.alerts_after(0, 100).unwrap().len(), 2);
    s.stop().await;
}

/// Guards `safeguarding_phrases`: the deployment's lists replace the
/// form's at start as a new form version (served to the widget, used by
/// the server), the same file again makes no new version, and a file that
/// names no form, or lists a bad phrase, stops the start.
#[tokio::test]
async fn a_deployments_own_phrase_lists_replace_the_forms_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("safeguarding.json");
    std::fs::write(
        &lists,
        json!({"street-feedback": {
            "version": "clp-2",
            "phrases": {"threat": {
                "en": ["menaced me"], "pl": ["grozi* mi"], "es": ["me amenaz*"],
                "bn": ["হুমকি দিয়েছে"], "ar": ["هددني"]
            }}
        }})
        .to_string(),
    )
    .unwrap();
    let with_lists = || collector::Config {
        forms: example_forms(),
        safeguarding_phrases: Some(lists.clone()),
        ..config(&dir.path().join("db"))
    };

    let s = Server::start(with_lists()).await;
    let served: Value = s.public_json("/api/v1/forms/street-feedback").await;
    assert_eq!(served["safeguarding"]["version"], "clp-2");
    assert_eq!(
        served["safeguarding"]["phrases"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["threat"]
    );
    assert_eq!(
        served["safeguarding"]["contacts"][0]["number"], "999",
        "the form's numbers are kept"
    );
    let version = served["version"].as_u64().unwrap();
    s.submit(
        "street-feedback",
        &street(1, "A man menaced me at the barriers"),
    )
    .await;
    s.submit("street-feedback", &street(2, "I want to kill myself"))
        .await;
    let rules: Vec<String> = s
        .state
        .store
        .alerts_after(0, 100)
        .unwrap()
        .into_iter()
        .flat_map(|a| a.rules)
        .collect();
    assert_eq!(
        rules,
        ["safeguarding:threat"],
        "the shipped lists are replaced"
    );
    s.stop().await;

    let s = Server::start(with_lists()).await;
    let again: Value = s.public_json("/api/v1/forms/street-feedback").await;
    assert_eq!(
        again["version"].as_u64(),
        Some(version),
        "unchanged: no new version"
    );
    s.stop().await;

    std::fs::write(
        &lists,
        r#"{"no-such-form": {"version": "1", "phrases": {"threat": {"en": ["x y"]}}}}"#,
    )
    .unwrap();
    let e = collector::open(with_lists()).err().expect("refused");
    assert!(e.to_string().contains("'no-such-form'"), "{e}");

    std::fs::write(
        &lists,
        r#"{"community-safety": {"version": "1", "phrases": {"threat": {"en": ["*"]}}}}"#,
    )
    .unwrap();
    let e = format!(
        "{:#}",
        collector::open(with_lists()).err().expect("refused")
    );
    assert!(e.contains("safeguarding.phrases.threat.en[0]"), "{e}");
}

/// A form published over HTTP with a broken safeguarding section is
/// refused with problem+json naming the field at fault.
#[tokio::test]
async fn publishing_a_bad_safeguarding_section_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(collector::Config {
        forms: example_forms(),
        ..config(dir.path())
    })
    .await;
    let admin = s.token(collector::model::Role::Admin);
    let mut form: Value = s.public_json("/api/v1/forms/community-safety").await;
    form["safeguarding"]["contacts"][1]["number"] = json!("call us");
    form["safeguarding"]["phrases"]["self_harm"]["en"][0] = json!("  ");
    let res = s.put_form(&admin, &form).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.unwrap();
    let paths: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "safeguarding.phrases.self_harm.en[0]",
            "safeguarding.contacts[1].number"
        ]
    );
    s.stop().await;
}
