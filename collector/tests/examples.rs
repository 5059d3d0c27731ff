//! The real forms in examples/forms: the run command's folder publishes,
//! and each form takes a complete answer through the HTTP API.

use crate::common::*;
use collector::model::Role;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use survey::{Form, Kind};

/// An answer to every question that is shown, picking the first option.
fn full_answers(form: &Form) -> Map<String, Value> {
    let mut typed = BTreeMap::new();
    let mut out = Map::new();
    for q in &form.questions {
        if !form.is_shown(q, &typed) {
            continue;
        }
        let (value, answer) = match &q.kind {
            Kind::SingleChoice { options } => (
                json!(options[0].id),
                survey::Answer::Text(options[0].id.clone()),
            ),
            Kind::MultipleChoice { options, .. } => (
                json!([options[0].id]),
                survey::Answer::Choices(vec![options[0].id.clone()]),
            ),
            Kind::Scale { min, .. } => (json!(min), survey::Answer::Number(*min)),
            Kind::Text { .. } => (
                json!("Street lights out near the station"),
                survey::Answer::Text("x".into()),
            ),
            Kind::Location {} => (
                json!(form.places[0].id),
                survey::Answer::Text(form.places[0].id.clone()),
            ),
            Kind::Consent {} => (json!(true), survey::Answer::Consent(true)),
        };
        typed.insert(q.id.clone(), answer);
        out.insert(q.id.clone(), value);
    }
    out
}

#[tokio::test]
async fn the_three_real_forms_publish_and_accept_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.forms = example_forms();
    let s = Server::start(cfg).await;
    let token = s.token(Role::Analyst);
    for (n, id) in ["community-safety", "victim-satisfaction", "street-feedback"]
        .into_iter()
        .enumerate()
    {
        let form: Form = s.public_json(&format!("/api/v1/forms/{id}")).await;
        assert!(!form.privacy_notice.is_blank(), "{id} has a privacy notice");
        assert!(
            form.not_for_reporting.get("en", "en").contains("999"),
            "{id} says to call 999"
        );
        let body = json!({
            "submission_id": uuid(n as u128 + 1),
            "answers": full_answers(&form),
            "location": form.places.first().map(|p| p.id.clone()),
            "channel": "qr",
        });
        let res = s.submit(id, &body).await;
        assert_eq!(res.status(), 201, "{id}: {}", res.text().await.unwrap());
        let rows = s.export_all(id, &token).await;
        assert_eq!(rows.len(), 1);
        // Every answer is exported but those to questions that collect
        // personal data, which the store keeps apart for the case's team.
        let mut expected = body["answers"].clone();
        for q in form.questions.iter().filter(|q| q.personal) {
            expected.as_object_mut().unwrap().remove(&q.id);
        }
        assert_eq!(rows[0]["answers"], expected);
        let personal: Vec<&str> = form
            .questions
            .iter()
            .filter(|q| q.personal)
            .map(|q| q.id.as_str())
            .collect();
        if id == "victim-satisfaction" {
            assert_eq!(personal, ["crime_reference", "callback_contact"]);
        }
    }
    s.stop().await;
}
