//! Service recovery: victims' invitations (signed, used once, expiring,
//! carrying their case attributes), cases worked to a close by their own
//! team's supervisor, the 2-working-day report, personal answers walled off
//! and erased, and tokens that expire and can be revoked.

use crate::common::*;
use collector::model::{now_ms, Role};
use collector::store::{Doc, SledStore, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

const FORM: &str = "victim-satisfaction";
const CONTACT: &str = "07700 900461 after 6pm";
const CRIME_REF: &str = "CL-4471-2026";

async fn server(dir: &std::path::Path) -> Server {
    let mut c = config(dir);
    c.forms = example_forms();
    Server::start(c).await
}

/// `POST /api/v1/tokens` as `admin`: a supervisor of `teams`.
async fn supervisor(s: &Server, admin: &str, teams: &[&str]) -> String {
    let res = s
        .client
        .post(s.url("/api/v1/tokens"))
        .bearer_auth(admin)
        .json(&json!({"role": "supervisor", "label": format!("Sgt of {teams:?}"), "teams": teams}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Uploads `rows` as JSON; the links' keys (`i=`), in order.
async fn invite(s: &Server, admin: &str, rows: Value) -> Vec<(String, String)> {
    let res = s
        .client
        .post(s.url(&format!("/api/v1/forms/{FORM}/invitations")))
        .bearer_auth(admin)
        .json(&rows)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let issued: Vec<Value> = res.json().await.unwrap();
    issued
        .iter()
        .map(|i| {
            let url = i["url"].as_str().unwrap();
            assert!(
                url.starts_with(&format!("{}/f/{FORM}?i=", s.origin())),
                "{url}"
            );
            let key = url.split("?i=").nth(1).unwrap().to_owned();
            (i["id"].as_str().unwrap().to_owned(), key)
        })
        .collect()
}

/// A dissatisfied victim's answers through invitation `key`, asking to be
/// called back.
fn dissatisfied(n: u128, key: &str) -> Value {
    json!({
        "submission_id": uuid(n),
        "invitation": key,
        "channel": "link",
        "answers": {
            "overall_service": 5,
            "treatment": 4,
            "experience_comment": "Nobody called me back about the burglary",
            "callback_consent": true,
            "crime_reference": CRIME_REF,
            "callback_contact": CONTACT,
        }
    })
}

async fn get_json(s: &Server, token: &str, path: &str) -> (StatusCode, Value) {
    let res = s
        .client
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn patch(s: &Server, token: &str, id: u64, body: Value) -> (StatusCode, Value) {
    let res = s
        .client
        .patch(s.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_invitation_carries_its_case_attributes_and_is_answered_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let admin = s.token(Role::Admin);

    // Personal data in a row is refused, naming the row and the field,
    // and nothing is made.
    let res = s
        .client
        .post(s.url(&format!("/api/v1/forms/{FORM}/invitations")))
        .bearer_auth(&admin)
        .json(&json!([{"team": "east"}, {"team": "east", "name": "Jo Bloggs"}, {"category": "07700 900123"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rows[1].name", "rows[2].category"]);
    assert!(s
        .state
        .store
        .docs(Doc::Invitation, None, 10)
        .unwrap()
        .is_empty());

    // JSON and CSV uploads.
    let east = invite(
        &s,
        &admin,
        json!([
            {"team": "east", "category": "burglary", "reported_via": "phone", "reported_on": "2026-11-20"},
            {"team": "east", "category": "theft-from-person"},
        ]),
    )
    .await;
    let res = s
        .client
        .post(s.url(&format!("/api/v1/forms/{FORM}/invitations?expires_days=7")))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body("team,category\nwest,burglary\nwest,vehicle-crime\nwest,burglary\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let west: Vec<Value> = res.json().await.unwrap();
    assert_eq!(west.len(), 3);

    // The QR code of a link is an SVG.
    let res = s
        .client
        .get(s.url(&format!(
            "/api/v1/forms/{FORM}/invitations/{}/qr",
            east[0].0
        )))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert!(res.text().await.unwrap().contains("<svg"));

    // Opening the link shows the form with the invitation in it.
    let key = &east[0].1;
    let page = s
        .client
        .get(s.url(&format!("/f/{FORM}?i={key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!(r#"name="i" value="{key}""#)));
    assert!(html.contains(&format!(r#"data-invitation="{key}""#)));

    // Answering through it: the response carries the attributes.
    let res = s.submit(FORM, &dissatisfied(1, key)).await;
    assert_eq!(res.status(), 201);
    let stored = s.responses(FORM);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].attributes["team"], "east");
    assert_eq!(stored[0].attributes["category"], "burglary");
    assert_eq!(stored[0].attributes["reported_on"], "2026-11-20");
    // A retry of the same submission is the same response.
    assert_eq!(s.submit(FORM, &dissatisfied(1, key)).await.status(), 200);
    // A second response to the same invitation is refused, by the API…
    let res = s.submit(FORM, &dissatisfied(2, key)).await;
    assert_eq!(res.status(), 409);
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/invitation-used");
    // …by the hosted page when opened again, and by its form.
    let page = s
        .client
        .get(s.url(&format!("/f/{FORM}?i={key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 409);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("You have already answered this survey"),
        "{text}"
    );
    let res = s
        .client
        .post(s.url(&format!("/f/{FORM}")))
        .form(&[
            ("submission_id", uuid(3).as_str()),
            ("i", key.as_str()),
            ("q.overall_service", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You have already answered"));
    assert_eq!(s.responses(FORM).len(), 1, "stored once");

    // An altered key, or one for another form, is refused with a page
    // that leads to the form without it.
    let (id, sig) = key.split_once('.').unwrap();
    for bad in [
        format!(
            "{id}.{}",
            sig.replace(|c: char| c.is_ascii_alphabetic(), "A")
        ),
        format!("x{id}.{sig}"),
    ] {
        let page = s
            .client
            .get(s.url(&format!("/f/{FORM}?i={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 410);
        assert!(page
            .text()
            .await
            .unwrap()
            .contains("has expired or is not valid"));
        assert_eq!(s.submit(FORM, &dissatisfied(4, &bad)).await.status(), 410);
    }
    let page = s
        .client
        .get(s.url(&format!("/f/street-feedback?i={key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);

    // An expired link: refused, and not counted as answered.
    let west_id = west[1]["id"].as_str().unwrap();
    let west_key = west[1]["url"]
        .as_str()
        .unwrap()
        .split("?i=")
        .nth(1)
        .unwrap()
        .to_owned();
    let mut inv: Value = serde_json::from_slice(
        &s.state
            .store
            .get_doc(Doc::Invitation, west_id)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    inv["expires_ms"] = json!(now_ms() - 1);
    s.state
        .store
        .put_doc(Doc::Invitation, west_id, &serde_json::to_vec(&inv).unwrap())
        .unwrap();
    assert_eq!(
        s.submit(FORM, &dissatisfied(5, &west_key)).await.status(),
        410
    );
    let page = s
        .client
        .get(s.url(&format!("/f/{FORM}?i={west_key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);

    // West's first link is answered without being opened first (the
    // JSON API): it counts as opened too.
    let west0 = west[0]["url"]
        .as_str()
        .unwrap()
        .split("?i=")
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(s.submit(FORM, &dissatisfied(6, &west0)).await.status(), 201);

    // Exact response rates.
    let (status, by_team) = get_json(
        &s,
        &admin,
        &format!("/api/v1/forms/{FORM}/invitations/summary?by=team"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        by_team,
        json!([
            {"group": "east", "sent": 2, "opened": 1, "answered": 1, "response_rate": 0.5},
            {"group": "west", "sent": 3, "opened": 1, "answered": 1, "response_rate": 1.0 / 3.0},
        ])
    );
    let (_, by_category) = get_json(
        &s,
        &admin,
        &format!("/api/v1/forms/{FORM}/invitations/summary?by=category"),
    )
    .await;
    let burglary = by_category
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "burglary")
        .unwrap();
    assert_eq!(
        (burglary["sent"].as_u64(), burglary["answered"].as_u64()),
        (Some(3), Some(2))
    );
    let (_, by_week) = get_json(
        &s,
        &admin,
        &format!("/api/v1/forms/{FORM}/invitations/summary?by=week"),
    )
    .await;
    assert_eq!(by_week.as_array().unwrap().len(), 1);
    assert_eq!(by_week[0]["sent"], 5);
    // A supervisor of east sees east only.
    let sgt = supervisor(&s, &admin, &["east"]).await;
    let (_, mine) = get_json(
        &s,
        &sgt,
        &format!("/api/v1/forms/{FORM}/invitations/summary"),
    )
    .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["group"], "east");
    // Only admins upload.
    let res = s
        .client
        .post(s.url(&format!("/api/v1/forms/{FORM}/invitations")))
        .bearer_auth(&sgt)
        .json(&json!([{"team": "east"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    s.stop().await;
}

#[tokio::test]
async fn a_case_is_worked_to_a_close_by_its_own_team_and_its_call_back_details_then_leave_the_store(
) {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let admin = s.token(Role::Admin);
    let analyst = s.token(Role::Analyst);
    let east = supervisor(&s, &admin, &["east"]).await;
    let west = supervisor(&s, &admin, &["west"]).await;
    let published = s.state.store.form(FORM).unwrap();
    assert_eq!(
        published
            .form
            .questions
            .iter()
            .filter(|q| q.personal)
            .count(),
        2,
        "the example form marks its call-back questions personal"
    );
    let links = invite(
        &s,
        &admin,
        json!([{"team": "east", "category": "burglary"}]),
    )
    .await;
    assert_eq!(
        s.submit(FORM, &dissatisfied(1, &links[0].1)).await.status(),
        201
    );

    // The personal answers are in no export, aggregate or text listing.
    let export = s.export_all(FORM, &analyst).await;
    assert_eq!(export.len(), 1);
    let everything_read = [
        serde_json::to_string(&export).unwrap(),
        get_json(&s, &analyst, &format!("/api/v1/forms/{FORM}/text"))
            .await
            .1
            .to_string(),
        get_json(&s, &analyst, &format!("/api/v1/forms/{FORM}/aggregates"))
            .await
            .1
            .to_string(),
        s.client
            .get(s.url(&format!("/api/v1/forms/{FORM}/responses")))
            .bearer_auth(&analyst)
            .header("accept", "text/csv")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    ];
    for read in &everything_read {
        assert!(
            !read.contains("07700") && !read.contains(CRIME_REF),
            "{read}"
        );
    }
    assert!(everything_read[1].contains("Nobody called me back"));

    // The alert opened a case: east's supervisor sees it, west's does not.
    // A satisfied victim's answer raises no alert, so opens no case.
    let satisfied = json!({
        "submission_id": uuid(2),
        "answers": {"overall_service": 1, "treatment": 2,
                    "experience_comment": "The officer was kind and kept me informed"}
    });
    assert_eq!(s.submit(FORM, &satisfied).await.status(), 201);
    let (_, list) = get_json(&s, &east, "/api/v1/cases").await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    let case = &list[0];
    assert_eq!(case["state"], "new");
    assert_eq!(case["team"], "east");
    // The form's rules as they matched: two dissatisfied scores (any_of
    // 4 or 5) and the comment labelled negative (sentiment_is).
    assert_eq!(
        case["rules"],
        json!([
            "dissatisfied-treatment",
            "dissatisfied-overall-service",
            "negative-comment"
        ])
    );
    assert!(
        case.get("personal").is_none(),
        "the list shows no call-back details"
    );
    let id = case["id"].as_u64().unwrap();
    assert_eq!(get_json(&s, &west, "/api/v1/cases").await.1, json!([]));
    assert_eq!(
        get_json(&s, &west, &format!("/api/v1/cases/{id}")).await.0,
        404
    );
    assert_eq!(
        patch(&s, &west, id, json!({"state": "acknowledged"}))
            .await
            .0,
        404
    );
    // An analyst reads it without the call-back details, and cannot work it.
    let (status, seen) = get_json(&s, &analyst, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, 200);
    assert!(seen.get("personal").is_none());
    assert_eq!(
        patch(&s, &analyst, id, json!({"state": "acknowledged"}))
            .await
            .0,
        403
    );
    // The team's supervisor sees who to call.
    let (_, seen) = get_json(&s, &east, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(seen["personal"]["callback_contact"], CONTACT);
    assert_eq!(seen["personal"]["crime_reference"], CRIME_REF);

    // Worked: acknowledged, contacted with an outcome, resolved.
    let (status, after) = patch(
        &s,
        &east,
        id,
        json!({"state": "acknowledged", "note": "Will call tonight"}),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["state"], "acknowledged");
    assert!(after["hours_to_acknowledge"].as_f64().unwrap() < 0.01);
    // Backwards, or closing without a reason, is refused.
    assert_eq!(patch(&s, &east, id, json!({"state": "new"})).await.0, 409);
    assert_eq!(
        patch(&s, &east, id, json!({"state": "acknowledged"}))
            .await
            .0,
        409
    );
    assert_eq!(
        patch(&s, &east, id, json!({"state": "closed"})).await.0,
        409
    );
    assert_eq!(
        patch(&s, &east, id, json!({"state": "sorted"})).await.0,
        400
    );
    let (_, after) = patch(
        &s,
        &east,
        id,
        json!({"state": "contacted", "outcome": "reached", "note": "Apologised; officer to visit"}),
    )
    .await;
    assert!(after["contacted_in_2_working_days"].as_bool().unwrap());
    assert_eq!(
        after["personal"]["callback_contact"], CONTACT,
        "still there until the case ends"
    );
    let (_, after) = patch(
        &s,
        &east,
        id,
        json!({"state": "resolved", "note": "Visited; crime re-investigated"}),
    )
    .await;
    assert_eq!(after["state"], "resolved");
    let states: Vec<&str> = after["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["acknowledged", "contacted", "resolved"]);
    assert_eq!(after["history"][1]["outcome"], "reached");
    assert!(after["history"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["by"].as_str().unwrap().len() == 12));
    assert!(after.get("personal").is_none(), "erased as the case ended");
    assert_eq!(
        patch(&s, &east, id, json!({"state": "closed", "reason": "x"}))
            .await
            .0,
        409
    );
    // Not open any more; listed under resolved.
    assert_eq!(get_json(&s, &east, "/api/v1/cases").await.1, json!([]));
    assert_eq!(
        get_json(&s, &east, "/api/v1/cases?state=resolved")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The report: one case, contacted within 2 working days.
    let (_, report) = get_json(&s, &east, &format!("/api/v1/cases/report?form={FORM}")).await;
    assert_eq!(report["cases"], 1);
    assert_eq!(report["contacted_in_2_working_days"], 1);
    assert_eq!(report["share_contacted_in_2_working_days"], 1.0);
    assert_eq!(report["open"], 0);
    assert_eq!(
        get_json(&s, &west, "/api/v1/cases/report").await.1["cases"],
        0
    );

    // Gone from the store, not just hidden: the key is gone, and once sled
    // rewrites its files the bytes are too.
    let response = s.responses(FORM)[0].id.unwrap();
    assert_eq!(s.state.store.personal(FORM, response).unwrap(), None);
    s.stop().await;
    SledStore::compact(dir.path()).unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.personal(FORM, response).unwrap(), None);
    assert_eq!(
        store.responses(FORM, None, 10).unwrap().len(),
        2,
        "the responses themselves stay"
    );
    drop(store);
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        for secret in [CONTACT, CRIME_REF] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} still in {}",
                file.display()
            );
        }
    }
}

/// A victim who ticks "satisfied" but writes a complaint with no negative
/// word in it is heard: the comment's label, not a score threshold, raises
/// the example form's `negative-comment` alert, and a case opens.
#[tokio::test]
async fn a_complaint_said_without_a_negative_word_opens_a_case() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let admin = s.token(Role::Admin);
    let east = supervisor(&s, &admin, &["east"]).await;
    let links = invite(
        &s,
        &admin,
        json!([{"team": "east", "category": "burglary"}, {"team": "east", "category": "burglary"}]),
    )
    .await;
    let quiet = "Gave a statement in March. Its now October and I am still waiting";
    // The lexicon's score alone would not have raised it.
    assert!(analysis::Scorer::new().score(quiet).compound > -0.5);
    let answer = |n: u128, key: &str, comment: &str| {
        json!({
            "submission_id": uuid(n),
            "invitation": key,
            "channel": "link",
            "answers": {"overall_service": 2, "treatment": 2, "experience_comment": comment}
        })
    };
    let res = s.submit(FORM, &answer(1, &links[0].1, quiet)).await;
    assert_eq!(res.status(), 201);
    let stored: Value = res.json().await.unwrap();
    let res = s
        .submit(
            FORM,
            &answer(
                2,
                &links[1].1,
                "The officer was patient and rang me every week",
            ),
        )
        .await;
    assert_eq!(res.status(), 201);
    let (_, list) = get_json(&s, &east, "/api/v1/cases").await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["rules"], json!(["negative-comment"]));
    let (_, case) = get_json(&s, &east, &format!("/api/v1/cases/{}", list[0]["id"])).await;
    assert_eq!(case["response"], stored["id"], "{case}");
}

#[tokio::test]
async fn closing_a_case_needs_a_reason_and_erases_its_call_back_details_and_retention_erases_those_of_open_cases(
) {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let admin = s.token(Role::Admin);
    let links = invite(&s, &admin, json!([{"team": "east"}, {"team": "east"}])).await;
    for (n, (_, key)) in links.iter().enumerate() {
        assert_eq!(
            s.submit(FORM, &dissatisfied(n as u128 + 1, key))
                .await
                .status(),
            201
        );
    }
    let (_, list) = get_json(&s, &admin, "/api/v1/cases").await;
    let ids: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1], "oldest first");
    let east = supervisor(&s, &admin, &["east"]).await;
    let (status, closed) = patch(
        &s,
        &east,
        ids[0],
        json!({"state": "closed", "reason": "No reply to three calls"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(closed["history"][0]["reason"], "No reply to three calls");
    let responses = s.responses(FORM);
    assert_eq!(
        s.state
            .store
            .personal(FORM, responses[0].id.unwrap())
            .unwrap(),
        None
    );
    assert!(s
        .state
        .store
        .personal(FORM, responses[1].id.unwrap())
        .unwrap()
        .is_some());
    // The form keeps text 365 days: a run a year and a day on erases the
    // personal answers of the case still open.
    let later = now_ms() + 366 * 24 * 3_600_000;
    let runs = collector::service::retention::run(s.state.store.as_ref(), later).unwrap();
    let run = runs.iter().find(|r| r.form == FORM).unwrap();
    assert_eq!(run.personal, 1);
    assert_eq!(
        s.state
            .store
            .personal(FORM, responses[1].id.unwrap())
            .unwrap(),
        None
    );
    s.stop().await;
}

#[tokio::test]
async fn tokens_have_labels_and_expire_and_can_be_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let admin = s.token(Role::Admin);
    // A supervisor needs a team or place; others take none; no past expiry.
    for bad in [
        json!({"role": "supervisor"}),
        json!({"role": "analyst", "teams": ["east"]}),
        json!({"role": "analyst", "expires": "2020-01-01T00:00:00Z"}),
        json!({"role": "analyst", "expires": "tomorrow"}),
    ] {
        let res = s
            .client
            .post(s.url("/api/v1/tokens"))
            .bearer_auth(&admin)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
    }
    let res = s
        .client
        .post(s.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"role": "analyst", "label": "Performance team", "expires": "2099-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let (token, id) = (
        made["token"].as_str().unwrap(),
        made["id"].as_str().unwrap(),
    );
    assert_eq!(
        get_json(&s, token, &format!("/api/v1/forms/{FORM}/aggregates"))
            .await
            .0,
        200
    );
    let (_, list) = get_json(&s, &admin, "/api/v1/tokens").await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap();
    assert_eq!(listed["label"], "Performance team");
    assert_eq!(listed["expires"], "2099-01-01T00:00:00Z");
    assert_eq!(listed["live"], true);
    assert!(!list.to_string().contains(token), "never the token itself");
    // Revoked: refused from then on.
    let res = s
        .client
        .delete(s.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        get_json(&s, token, &format!("/api/v1/forms/{FORM}/aggregates"))
            .await
            .0,
        401
    );
    let (_, list) = get_json(&s, &admin, "/api/v1/tokens").await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["live"],
        false
    );
    let res = s
        .client
        .delete(s.url("/api/v1/tokens/000000000000"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Expired: refused.
    let expiring = collector::service::tokens::new_token().unwrap();
    let mut record = collector::model::TokenRecord::new(Role::Analyst);
    record.expires_ms = Some(now_ms() - 1);
    s.state
        .store
        .put_token(collector::service::tokens::hash_token(&expiring), &record)
        .unwrap();
    let (status, problem) =
        get_json(&s, &expiring, &format!("/api/v1/forms/{FORM}/aggregates")).await;
    assert_eq!(status, 401);
    assert!(problem["detail"].as_str().unwrap().contains("expired"));
    s.stop().await;
}

/// Two staff moving the same cases on at the same moment: every change
/// answered 200 is in the case's history. Each change reads the history,
/// checks the step and writes it back; two at once both read the same
/// history, and the second write dropped the first's change (a closure
/// lost, the case open again, its reason gone).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_made_to_a_case_at_the_same_moment_are_all_kept() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let admin = s.token(Role::Admin);
    const CASES: u128 = 16;
    for n in 0..CASES {
        let mut answers = dissatisfied(100 + n, "");
        answers.as_object_mut().unwrap().remove("invitation");
        assert_eq!(s.submit(FORM, &answers).await.status(), 201);
    }
    let (_, list) = get_json(&s, &admin, "/api/v1/cases").await;
    let ids: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), CASES as usize);
    let mut both = 0;
    for id in ids {
        let (contacted, closed) = tokio::join!(
            patch(
                &s,
                &admin,
                id,
                json!({"state": "contacted", "note": "left a message"})
            ),
            patch(
                &s,
                &admin,
                id,
                json!({"state": "closed", "reason": "duplicate of another case"})
            ),
        );
        assert_eq!(closed.0, 200, "{closed:?}");
        let (_, case) = get_json(&s, &admin, &format!("/api/v1/cases/{id}")).await;
        let states: Vec<&str> = case["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["state"].as_str().unwrap())
            .collect();
        assert_eq!(case["state"], "closed", "the closure was lost: {case}");
        if contacted.0 == 200 {
            both += 1;
            assert_eq!(states, ["contacted", "closed"], "{case}");
        } else {
            assert_eq!(contacted.0, 409, "{contacted:?}");
            assert_eq!(states, ["closed"], "{case}");
        }
    }
    println!("{both} of {CASES} cases took both changes");
    s.stop().await;
}
