//! Free text for analysts: `/text` with its filters and cursor, manual codes
//! (`PUT /responses/{id}/codes`) winning in aggregates, filters and the
//! export, and `/agreement` reporting kappa against the automatic codes.

use crate::common::*;
use collector::model::Role;
use serde_json::{json, Value};

pub async fn examples_server(dir: &std::path::Path) -> Server {
    let mut cfg = config(dir);
    cfg.forms = example_forms();
    Server::start(cfg).await
}

/// A community-safety response, with `comment` as `safety_comment` if given.
async fn safety(s: &Server, n: u128, comment: Option<&str>, location: &str) -> String {
    let mut answers = json!({
        "respondent_type": "worker",
        "feel_safe_day": 4,
        "feel_safe_dark": 2,
        "worry": "a-little",
    });
    if let Some(c) = comment {
        answers["safety_comment"] = json!(c);
    }
    let res = s
        .submit(
            "community-safety",
            &json!({"submission_id": uuid(n), "answers": answers, "location": location, "channel": "qr"}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn get(s: &Server, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = s.client.get(s.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn put_codes(s: &Server, id: &str, body: Value, token: Option<&str>) -> reqwest::Response {
    let mut req = s
        .client
        .put(s.url(&format!("/api/v1/responses/{id}/codes")))
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// The path of the Link header's next page, if any.
pub fn next_link(res: &reqwest::Response) -> Option<String> {
    let link = res.headers().get("link")?.to_str().unwrap();
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    Some(link[1..link.find('>').unwrap()].to_owned())
}

/// Every item of `/text` at `path`, following the cursor.
async fn text_all(s: &Server, path: &str, token: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next = Some(path.to_owned());
    while let Some(p) = next {
        let res = get(s, &p, Some(token)).await;
        assert_eq!(res.status(), 200, "{p}");
        next = next_link(&res);
        let page: Vec<Value> = res.json().await.unwrap();
        pages += 1;
        items.extend(page);
    }
    (items, pages)
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["id"].as_str().unwrap()).collect()
}

fn themes(item: &Value) -> Vec<&str> {
    let mut t: Vec<&str> = item["themes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    t.sort();
    t
}

/// Count of one aggregate cell (0 when absent).
fn cell(agg: &Value, question: &str, answer: &str) -> u64 {
    agg["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["question"] == question && c["answer"] == answer)
        .map_or(0, |c| c["count"].as_u64().unwrap())
}

const COMMENTS: [&str; 6] = [
    "Drug dealers outside the station every night",
    "I never see police around here",
    "My phone snatched by someone on a moped",
    "Friendly neighbours, nothing to add",
    "Lots of shouting and drugs by the bins",
    "Cannabis smell in the park all the time",
];

#[tokio::test]
async fn text_lists_filters_and_pages_free_text() {
    let dir = tempfile::tempdir().unwrap();
    let s = examples_server(dir.path()).await;
    let token = s.token(Role::Analyst);
    let mut rid = Vec::new();
    for (i, c) in COMMENTS.iter().enumerate() {
        let place = if i % 2 == 0 { "moorgate" } else { "barbican" };
        rid.push(safety(&s, i as u128 + 1, Some(c), place).await);
    }
    // A response without free text is not listed.
    let silent = safety(&s, 99, None, "moorgate").await;

    let base = "/api/v1/forms/community-safety/text";
    let all = s.get_ok(base, &token).await;
    let all = all.as_array().unwrap();
    assert_eq!(ids(all), rid.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!ids(all).contains(&silent.as_str()));
    for (item, text) in all.iter().zip(COMMENTS) {
        assert_eq!(item["question"], "safety_comment");
        assert_eq!(item["text"], text);
        assert!(item["manual"].is_null());
        let c = item["sentiment"]["compound"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&c));
        assert!(["positive", "neutral", "negative"]
            .contains(&item["sentiment"]["label"].as_str().unwrap()));
    }
    // The codebook's automatic themes, which the agreement test relies on.
    let auto: Vec<Vec<&str>> = all.iter().map(themes).collect();
    assert_eq!(
        auto,
        vec![
            vec!["drugs"],
            vec!["visible-policing"],
            vec!["cycle-enabled-crime", "phone-bag-theft"],
            vec![],
            vec!["anti-social-behaviour", "drugs"],
            vec!["drugs"],
        ]
    );

    let drugs = s.get_ok(&format!("{base}?theme=drugs"), &token).await;
    assert_eq!(
        ids(drugs.as_array().unwrap()),
        vec![&rid[0][..], &rid[4][..], &rid[5][..]]
    );
    let either = s
        .get_ok(&format!("{base}?theme=drugs,visible-policing"), &token)
        .await;
    assert_eq!(either.as_array().unwrap().len(), 4);
    let at = s
        .get_ok(&format!("{base}?location=barbican&theme=drugs"), &token)
        .await;
    assert_eq!(ids(at.as_array().unwrap()), vec![&rid[5][..]]);
    // Sentiment filters partition the answers.
    let mut by_label = 0;
    for label in ["positive", "neutral", "negative"] {
        let v = s.get_ok(&format!("{base}?sentiment={label}"), &token).await;
        for item in v.as_array().unwrap() {
            assert_eq!(item["sentiment"]["label"], label);
        }
        by_label += v.as_array().unwrap().len();
    }
    assert_eq!(by_label, COMMENTS.len());
    let none = s
        .get_ok(&format!("{base}?from=2001-01-01&to=2001-12-31"), &token)
        .await;
    assert_eq!(none, json!([]));

    // Pages of two, then of four with a filter: the cursor keeps the filter.
    let (paged, pages) = text_all(&s, &format!("{base}?limit=2"), &token).await;
    assert_eq!(ids(&paged), ids(all));
    assert_eq!(pages, 4, "three full pages and an empty one");
    let (paged, pages) = text_all(
        &s,
        &format!("{base}?question=safety_comment&theme=drugs&limit=2"),
        &token,
    )
    .await;
    assert_eq!(ids(&paged), ids(drugs.as_array().unwrap()));
    assert_eq!(pages, 2);
    let after = s.get_ok(&format!("{base}?after={}", rid[3]), &token).await;
    assert_eq!(
        ids(after.as_array().unwrap()),
        vec![&rid[4][..], &rid[5][..]]
    );

    // Bad queries.
    for bad in [
        "?theme=unicorns",
        "?sentiment=furious",
        "?question=worry",
        "?question=nope",
        "?limit=0",
        "?after=xyz",
        "?by=location",
        "?colour=red",
    ] {
        let res = get(&s, &format!("{base}{bad}"), Some(&token)).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{bad}"
        );
    }
    let res = get(&s, "/api/v1/forms/nope/text", Some(&token)).await;
    assert_eq!(res.status(), 404);
    s.stop().await;
}

#[tokio::test]
async fn analyst_routes_need_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = examples_server(dir.path()).await;
    let id = safety(&s, 1, Some("Drug dealers by the station"), "moorgate").await;
    for path in [
        "/api/v1/forms/community-safety/text",
        "/api/v1/forms/community-safety/agreement",
    ] {
        assert_eq!(get(&s, path, None).await.status(), 401, "{path}");
        assert_eq!(
            get(&s, path, Some("not-a-token")).await.status(),
            401,
            "{path}"
        );
    }
    let body = json!({"question": "safety_comment", "themes": ["drugs"]});
    let res = put_codes(&s, &id, body.clone(), None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        put_codes(&s, &id, body, Some("not-a-token")).await.status(),
        401
    );
    let res = s
        .client
        .get(s.url("/api/v1/forms/community-safety/responses"))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    s.stop().await;
}

#[tokio::test]
async fn codes_are_checked_before_they_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = examples_server(dir.path()).await;
    let token = s.token(Role::Analyst);
    let id = safety(&s, 1, Some("Drug dealers by the station"), "moorgate").await;
    let silent = safety(&s, 2, None, "moorgate").await;

    let cases = [
        (
            &id,
            json!({"question": "safety_comment", "themes": ["drugs", "unicorns"]}),
            "themes",
        ),
        (
            &id,
            json!({"question": "no_such_question", "themes": []}),
            "question",
        ),
        (&id, json!({"question": "worry", "themes": []}), "question"),
        // Free text outside the codebook, and not answered here.
        (
            &id,
            json!({"question": "priorities_other", "themes": ["drugs"]}),
            "themes",
        ),
        (
            &silent,
            json!({"question": "safety_comment", "themes": ["drugs"]}),
            "question",
        ),
        (
            &id,
            json!({"question": "safety_comment", "themes": [], "sentiment": "furious"}),
            "sentiment",
        ),
    ];
    for (rid, body, field) in cases {
        let res = put_codes(&s, rid, body.clone(), Some(&token)).await;
        assert_eq!(res.status(), 422, "{body}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["status"], 422, "{v}");
        assert!(
            v["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{body}: {v}"
        );
    }
    let res = put_codes(
        &s,
        &"0".repeat(32),
        json!({"question": "safety_comment", "themes": []}),
        Some(&token),
    )
    .await;
    assert_eq!(res.status(), 404);
    let res = put_codes(&s, "zzz", json!({}), Some(&token)).await;
    assert_eq!(res.status(), 404);
    let res = s
        .client
        .put(s.url(&format!("/api/v1/responses/{id}/codes")))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = put_codes(
        &s,
        &id,
        json!({"question": "safety_comment", "themes": [], "colour": "red"}),
        Some(&token),
    )
    .await;
    assert_eq!(res.status(), 400, "unknown fields are refused");

    // Nothing was stored by any of that.
    let agreement = s
        .get_ok("/api/v1/forms/community-safety/agreement", &token)
        .await;
    assert!(agreement["questions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|q| q["n"] == 0));
    s.stop().await;
}

#[tokio::test]
async fn manual_codes_win_everywhere_and_agreement_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = examples_server(dir.path()).await;
    let token = s.token(Role::Analyst);
    let mut rid = Vec::new();
    for (i, c) in COMMENTS.iter().enumerate() {
        rid.push(safety(&s, i as u128 + 1, Some(c), "moorgate").await);
    }
    let base = "/api/v1/forms/community-safety";
    let before = s.get_ok(&format!("{base}/text"), &token).await;
    let auto_label = |i: usize| before[i]["sentiment"]["label"].as_str().unwrap().to_owned();
    let agg_path = format!("{base}/aggregates?question=safety_comment");
    let agg = s.get_ok(&agg_path, &token).await;
    assert_eq!(cell(&agg, "safety_comment", "theme:cycle-enabled-crime"), 1);
    assert_eq!(cell(&agg, "safety_comment", "theme:drugs"), 3);
    assert_eq!(cell(&agg, "safety_comment", "theme:visible-policing"), 1);
    let negatives_before = cell(&agg, "safety_comment", "negative");

    // Analysts code five of the six answers (the fourth is left alone).
    let codes = [
        (0, json!(["drugs"]), Some("negative")),
        (1, json!(["visible-policing", "drugs"]), None),
        (2, json!(["phone-bag-theft"]), None),
        (4, json!(["anti-social-behaviour"]), None),
        (5, json!(["drugs"]), None),
    ];
    for (i, themes, sentiment) in &codes {
        let mut body = json!({"question": "safety_comment", "themes": themes});
        if let Some(l) = sentiment {
            body["sentiment"] = json!(l);
        }
        let res = put_codes(&s, &rid[*i], body, Some(&token)).await;
        assert_eq!(res.status(), 200);
        let item: Value = res.json().await.unwrap();
        assert_eq!(item["id"], rid[*i].as_str());
        assert_eq!(item["text"], COMMENTS[*i]);
        assert_eq!(item["manual"]["themes"], *themes);
        let fingerprint = hex_prefix(&collector::service::tokens::hash_token(&token));
        assert_eq!(item["manual"]["by"], fingerprint.as_str());
        assert!(item["manual"]["at"].as_str().unwrap().ends_with('Z'));
    }
    // Coding again replaces the earlier code (themes come back in codebook order).
    let res = put_codes(
        &s,
        &rid[1],
        json!({"question": "safety_comment", "themes": ["drugs", "visible-policing", "drugs"]}),
        Some(&token),
    )
    .await;
    assert_eq!(res.status(), 200);
    let item: Value = res.json().await.unwrap();
    assert_eq!(item["themes"], json!(["visible-policing", "drugs"]));

    // Aggregates: the moped theme is gone, and the first answer is negative.
    let agg = s.get_ok(&agg_path, &token).await;
    assert_eq!(cell(&agg, "safety_comment", "theme:cycle-enabled-crime"), 0);
    assert_eq!(cell(&agg, "safety_comment", "theme:drugs"), 3);
    assert_eq!(
        cell(&agg, "safety_comment", "theme:anti-social-behaviour"),
        1
    );
    let turned = u64::from(auto_label(0) != "negative");
    assert_eq!(
        cell(&agg, "safety_comment", "negative"),
        negatives_before + turned
    );

    // The /text filter follows the manual codes.
    let drugs = s.get_ok(&format!("{base}/text?theme=drugs"), &token).await;
    assert_eq!(
        ids(drugs.as_array().unwrap()),
        vec![&rid[0][..], &rid[1][..], &rid[5][..]]
    );
    let moped = s
        .get_ok(&format!("{base}/text?theme=cycle-enabled-crime"), &token)
        .await;
    assert_eq!(moped, json!([]));
    let negative = s
        .get_ok(&format!("{base}/text?sentiment=negative"), &token)
        .await;
    assert!(ids(negative.as_array().unwrap()).contains(&rid[0].as_str()));
    let all = s.get_ok(&format!("{base}/text"), &token).await;
    assert_eq!(all[0]["sentiment"]["label"], "negative");
    assert_eq!(all[0]["manual"]["sentiment"], "negative");
    assert_eq!(all[1]["manual"]["sentiment"], Value::Null);
    assert_eq!(all[1]["sentiment"]["label"], auto_label(1).as_str());
    assert!(all[3]["manual"].is_null());
    assert_eq!(
        all[2]["sentiment"]["compound"], before[2]["sentiment"]["compound"],
        "the score stays the automatic one"
    );

    // The NDJSON export carries the effective codes, the automatic ones and
    // the analyst's.
    let rows = s.export_all("community-safety", &token).await;
    let coding = &rows[2]["text_coding"]["safety_comment"];
    assert_eq!(coding["themes"], json!(["phone-bag-theft"]));
    assert_eq!(
        coding["auto"]["themes"],
        json!(["phone-bag-theft", "cycle-enabled-crime"])
    );
    assert_eq!(coding["manual"]["themes"], json!(["phone-bag-theft"]));
    assert!(rows[3]["text_coding"]["safety_comment"]["manual"].is_null());

    // Agreement, by hand. Five answers coded; per theme (auto, manual):
    //   drugs:            (y,y) (n,y) (n,n) (y,n) (y,y) → 2, 1, 1, 1
    //     observed 3/5; both say yes 3/5 of the time, so chance agreement is
    //     0.6·0.6 + 0.4·0.4 = 0.52 and kappa = (0.6 − 0.52) / 0.48 = 1/6.
    //   visible-policing: (n,n) (y,y) (n,n) (n,n) (n,n) → 1, 0, 0, 4: kappa 1.
    //   cycle-enabled:    (n,n) (n,n) (y,n) (n,n) (n,n) → 0, 1, 0, 4:
    //     observed 0.8, chance 0.2·0 + 0.8·1 = 0.8, kappa 0.
    //   vawg:             never found: kappa undefined.
    let report = s
        .get_ok(&format!("{base}/agreement?question=safety_comment"), &token)
        .await;
    assert_eq!(report["form"], "community-safety");
    let q = &report["questions"][0];
    assert_eq!(report["questions"].as_array().unwrap().len(), 1);
    assert_eq!(q["question"], "safety_comment");
    assert_eq!(q["n"], 5);
    assert!(q["note"].as_str().unwrap().contains("Only 5"), "{q}");
    let theme = |id: &str| {
        q["themes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["theme"] == id)
            .unwrap_or_else(|| panic!("no {id} in {q}"))
            .clone()
    };
    let counts = |t: &Value| {
        [
            t["both_yes"].as_u64().unwrap(),
            t["auto_only"].as_u64().unwrap(),
            t["manual_only"].as_u64().unwrap(),
            t["both_no"].as_u64().unwrap(),
        ]
    };
    let close = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-9;
    let d = theme("drugs");
    assert_eq!(counts(&d), [2, 1, 1, 1]);
    assert_eq!(d["n"], 5);
    assert_eq!(d["label"], "Drugs");
    assert!(close(&d["observed"], 0.6) && close(&d["expected"], 0.52));
    assert!(close(&d["kappa"], (0.6 - 0.52) / (1.0 - 0.52)), "{d}");
    assert!(close(&d["kappa"], 1.0 / 6.0));
    let v = theme("visible-policing");
    assert_eq!(counts(&v), [1, 0, 0, 4]);
    assert!(close(&v["kappa"], 1.0));
    let c = theme("cycle-enabled-crime");
    assert_eq!(counts(&c), [0, 1, 0, 4]);
    assert!(close(&c["kappa"], 0.0) && close(&c["observed"], 0.8));
    let w = theme("vawg");
    assert_eq!(counts(&w), [0, 0, 0, 5]);
    assert!(w["kappa"].is_null());
    assert!(w["note"].as_str().unwrap().contains("Neither"));
    // One label set by hand: agreement is whether the scorer said negative too.
    let sent = &q["sentiment"];
    assert_eq!(sent["n"], 1);
    assert_eq!(sent["labels"], json!(["positive", "neutral", "negative"]));
    let agreed = u64::from(auto_label(0) == "negative");
    assert_eq!(sent["agreed"], agreed);
    assert!(close(&sent["percent_agreement"], agreed as f64));
    let row = ["positive", "neutral", "negative"]
        .iter()
        .position(|l| *l == auto_label(0))
        .unwrap();
    assert_eq!(sent["table"][row][2], 1);

    // Every text question when none is named.
    let all_q = s.get_ok(&format!("{base}/agreement"), &token).await;
    let names: Vec<&str> = all_q["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["question"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["priorities_other", "safety_comment"]);
    assert_eq!(all_q["questions"][0]["themes"], json!([]));
    let res = get(
        &s,
        &format!("{base}/agreement?question=worry"),
        Some(&token),
    )
    .await;
    assert_eq!(res.status(), 400);

    // Manual codes survive a restart: the index is rebuilt with them.
    s.stop().await;
    let s = examples_server(dir.path()).await;
    let again = s
        .get_ok(&format!("{base}/agreement?question=safety_comment"), &token)
        .await;
    assert_eq!(again, report);
    let agg2 = s.get_ok(&agg_path, &token).await;
    assert_eq!(agg2["cells"], agg["cells"]);
    s.stop().await;
}

fn hex_prefix(hash: &[u8; 32]) -> String {
    hash[..6].iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn openapi_lists_the_text_routes() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let doc: Value = s.public_json("/api/v1/openapi.json").await;
    for (path, method) in [
        ("/api/v1/forms/{form}/text", "get"),
        ("/api/v1/forms/{form}/agreement", "get"),
        ("/api/v1/responses/{id}/codes", "put"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "openapi lacks {path}"
        );
    }
    let committed: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    assert_eq!(
        committed["paths"]["/api/v1/forms/{form}/text"],
        doc["paths"]["/api/v1/forms/{form}/text"],
        "collector/openapi.json is out of date: cargo run -p collector -- openapi > collector/openapi.json"
    );
    s.stop().await;
}

/// What `/text` and the aggregates' `where` find by the mixed and
/// actionable flags, given the three responses of the test below.
async fn check_flags(s: &Server, token: &str, asks: &str, mixed: &str, plain: &str) {
    let base = "/api/v1/forms/community-safety/text?question=safety_comment";
    let (items, _) = text_all(s, &format!("{base}&actionable=true"), token).await;
    assert_eq!(ids(&items), [asks]);
    assert_eq!(items[0]["actionable"], true);
    assert_eq!(items[0]["mixed"], false);
    let (items, _) = text_all(s, &format!("{base}&mixed=true"), token).await;
    assert_eq!(ids(&items), [mixed]);
    assert_eq!(items[0]["mixed"], true);
    let (items, _) = text_all(s, &format!("{base}&actionable=false"), token).await;
    assert_eq!(ids(&items), [mixed, plain]);
    let (items, _) = text_all(s, &format!("{base}&actionable=false&mixed=false"), token).await;
    assert_eq!(ids(&items), [plain]);

    let agg = |w: &str| {
        format!(
            "/api/v1/forms/community-safety/aggregates?question=feel_safe_day&where=safety_comment:{w}"
        )
    };
    let one = s.get_ok(&agg("actionable"), token).await;
    assert_eq!(one["n"], 1, "{one}");
    let two = s.get_ok(&agg("mixed,actionable"), token).await;
    assert_eq!(two["n"], 2, "{two}");
    // Answers to one where are alternatives: actionable or negative.
    let either = s.get_ok(&agg("actionable,negative"), token).await;
    let negative = s.get_ok(&agg("negative"), token).await;
    assert!(either["n"].as_u64() >= negative["n"].as_u64(), "{either}");
}

/// A comment that asks for something is flagged actionable, one with a
/// clearly good and a clearly bad part mixed (here one whose bad part has
/// no negative word, which only the learned mixed signal reads); both
/// filter `/text` and the
/// aggregates' `where`, ride along in the export, and survive a restart
/// (the index is then rebuilt from the stored records).
#[tokio::test]
async fn mixed_and_actionable_answers_are_flagged_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let s = examples_server(dir.path()).await;
    let token = s.token(Role::Analyst);
    let asks = safety(
        &s,
        1,
        Some("Please could someone ring me back about the dealing on our corner"),
        "aldgate",
    )
    .await;
    let mixed = safety(
        &s,
        2,
        Some("The officer who came was lovely but I never heard another word"),
        "aldgate",
    )
    .await;
    let plain = safety(&s, 3, Some("Dealing on the corner every night"), "aldgate").await;
    safety(&s, 4, None, "aldgate").await;
    check_flags(&s, &token, &asks, &mixed, &plain).await;

    let bad = get(
        &s,
        "/api/v1/forms/community-safety/text?mixed=maybe",
        Some(&token),
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("mixed must be true or false"));
    let bad = get(
        &s,
        "/api/v1/forms/community-safety/aggregates?where=safety_comment:urgent",
        Some(&token),
    )
    .await;
    assert_eq!(bad.status(), 400);

    let rows = s.export_all("community-safety", &token).await;
    let coding = |id: &str| {
        rows.iter()
            .find(|r| r["id"] == id)
            .map(|r| r["text_coding"]["safety_comment"].clone())
            .unwrap()
    };
    assert_eq!(coding(&asks)["actionable"], true);
    assert!(coding(&asks).get("mixed").is_none(), "false is left out");
    assert_eq!(coding(&mixed)["mixed"], true);
    assert!(coding(&plain).get("actionable").is_none());

    s.stop().await;
    let s = examples_server(dir.path()).await;
    check_flags(&s, &token, &asks, &mixed, &plain).await;
    s.stop().await;

    // Without the label model the clause rule flags mixed comments, and
    // misses that one; a turn between clearly good and clearly bad
    // clauses it still reads.
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.forms = example_forms();
    cfg.sentiment_model = false;
    let s = Server::start(cfg.clone()).await;
    let token = s.token(Role::Analyst);
    let quiet = safety(
        &s,
        1,
        Some("The officer who came was lovely but I never heard another word"),
        "aldgate",
    )
    .await;
    let turn = safety(
        &s,
        2,
        Some("The officer was lovely and kind, but the investigation was useless"),
        "aldgate",
    )
    .await;
    let rows = s.export_all("community-safety", &token).await;
    let mixed = |id: &str| {
        rows.iter().find(|r| r["id"] == id).unwrap()["text_coding"]["safety_comment"]
            .get("mixed")
            .cloned()
    };
    assert_eq!(mixed(&quiet), None);
    assert_eq!(mixed(&turn), Some(json!(true)));
    let sarcastic = "Fantastic service, only took them three days to call back";
    let scorer = analysis::Scorer::new();
    let lexicon = scorer.score(sarcastic).label;
    assert_ne!(lexicon, analysis::Label::Negative);
    let sarcastic = safety(&s, 3, Some(sarcastic), "aldgate").await;
    let label = |rows: &[Value], id: &str| {
        rows.iter().find(|r| r["id"] == id).unwrap()["text_coding"]["safety_comment"]["label"]
            .clone()
    };
    let rows = s.export_all("community-safety", &token).await;
    assert_eq!(label(&rows, &sarcastic), json!(lexicon.as_str()));
    s.stop().await;

    // With the models turned on, the answers stored before are scored
    // again in the background, so they count as new ones would.
    cfg.sentiment_model = true;
    let s = Server::start(cfg).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let rows = loop {
        let rows = s.export_all("community-safety", &token).await;
        if label(&rows, &sarcastic) == json!("negative") {
            break rows;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not scored again: {rows:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let mixed = |id: &str| {
        rows.iter().find(|r| r["id"] == id).unwrap()["text_coding"]["safety_comment"]
            .get("mixed")
            .cloned()
    };
    assert_eq!(mixed(&quiet), Some(json!(true)));
    // The index is rebuilt once the pass is written: the counts move.
    let negative = |agg: &Value| {
        agg["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["answer"] == "negative")
            .and_then(|c| c["count"].as_u64())
            .unwrap()
    };
    loop {
        let agg = s
            .get_ok(
                "/api/v1/forms/community-safety/aggregates?question=safety_comment",
                &token,
            )
            .await;
        if negative(&agg) >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{agg}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    s.stop().await;
}

/// The shipped theme model adds a theme the codebook's phrases miss to an
/// answer as it arrives; with `theme_model = false` the phrases code
/// alone, and answers stored under one coding are coded again under the
/// other at the next start, so the counts move.
#[tokio::test]
async fn the_shipped_theme_model_adds_what_the_phrases_miss() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.forms = example_forms();
    cfg.theme_model = false;
    let s = Server::start(cfg.clone()).await;
    let token = s.token(Role::Analyst);
    let missed = safety(&s, 1, Some("Police? What police"), "aldgate").await;
    let phrased = safety(&s, 2, Some("Dealing on the corner every night"), "aldgate").await;
    let themes = |rows: &[Value], id: &str| {
        rows.iter().find(|r| r["id"] == id).unwrap()["text_coding"]["safety_comment"]["themes"]
            .clone()
    };
    let rows = s.export_all("community-safety", &token).await;
    assert_eq!(themes(&rows, &missed), json!([]), "the phrases miss it");
    assert_eq!(themes(&rows, &phrased), json!(["drugs"]));
    let agg_path = "/api/v1/forms/community-safety/aggregates?question=safety_comment";
    let policing = |agg: &Value| {
        agg["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["answer"] == "theme:visible-policing")
            .map(|c| c["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(policing(&s.get_ok(agg_path, &token).await), 0);
    s.stop().await;

    // Turned on (the default): the stored answer is coded again in the
    // background and the index rebuilt; a new one is coded as it arrives.
    cfg.theme_model = true;
    let s = Server::start(cfg.clone()).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let agg = s.get_ok(agg_path, &token).await;
        if policing(&agg) == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not coded again: {agg}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Only the themes changed, so only they were coded again, and the
    // coding is noted once the pass is done: the next start has none to do.
    loop {
        let noted = s
            .state
            .store
            .get_doc(collector::store::Doc::Coding, "community-safety")
            .unwrap();
        if noted.as_deref() == Some(s.state.indexes.coding_version().as_bytes()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the coding is not noted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rows = s.export_all("community-safety", &token).await;
    let has = |rows: &[Value], id: &str, theme: &str| {
        themes(rows, id)
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x == theme))
    };
    // Found by the model (which may also read it as confidence in the
    // police).
    assert!(has(&rows, &missed, "visible-policing"), "{rows:?}");
    // The phrases' codes stay, first; the model may add to them.
    assert_eq!(themes(&rows, &phrased)[0], "drugs");
    let new = safety(
        &s,
        3,
        Some("Never see anyone in uniform round the estate"),
        "aldgate",
    )
    .await;
    let rows = s.export_all("community-safety", &token).await;
    assert!(has(&rows, &new, "visible-policing"), "{rows:?}");
    assert_eq!(policing(&s.get_ok(agg_path, &token).await), 2);
    s.stop().await;
}

/// A second analyst reads blind, codes the same answers apart from the
/// first, and `/intercoder` reports their agreement: per theme kappa with
/// its counts (checked by hand here), kappa on labels, and the sample
/// needed. The second coder's codes change no aggregate.
#[tokio::test]
async fn two_coders_code_blind_and_their_agreement_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let s = examples_server(dir.path()).await;
    let (first, second) = (s.token(Role::Analyst), s.token(Role::Analyst));
    let mut ids = Vec::new();
    for (n, c) in COMMENTS.iter().take(5).enumerate() {
        ids.push(safety(&s, 100 + n as u128, Some(c), "aldgate").await);
    }
    let code = |themes: &[&str], sentiment: &str| json!({"question": "safety_comment", "themes": themes, "sentiment": sentiment});
    let firsts = [
        code(&["drugs"], "negative"),
        code(&["lighting-environment"], "negative"),
        code(&["drugs", "lighting-environment"], "positive"),
        code(&[], "neutral"),
    ];
    for (id, body) in ids.iter().zip(firsts) {
        assert_eq!(put_codes(&s, id, body, Some(&first)).await.status(), 200);
    }
    let agg_path = "/api/v1/forms/community-safety/aggregates?question=safety_comment";
    let before = s.get_ok(agg_path, &first).await;

    // Blind: no analyst's codes on the page.
    let text = "/api/v1/forms/community-safety/text?question=safety_comment";
    let (open, _) = text_all(&s, text, &second).await;
    assert!(open.iter().any(|i| !i["manual"].is_null()));
    let (blind, _) = text_all(&s, &format!("{text}&blind=true"), &second).await;
    assert_eq!(blind.len(), open.len());
    assert!(blind.iter().all(|i| i["manual"].is_null()), "{blind:?}");
    // "I never see police around here": automatically visible-policing,
    // coded lighting-environment by the first coder. A blind filter
    // finds it by the automatic codes only.
    let by_theme = format!("{text}&theme=visible-policing");
    let (seen, _) = text_all(&s, &by_theme, &second).await;
    assert!(!self::ids(&seen).contains(&ids[1].as_str()), "{seen:?}");
    let (seen, _) = text_all(&s, &format!("{by_theme}&blind=true"), &second).await;
    assert!(self::ids(&seen).contains(&ids[1].as_str()), "{seen:?}");
    assert!(seen.iter().all(|i| themes(i).contains(&"visible-policing")));

    let check = |id: &str, body: Value| {
        let req = s
            .client
            .put(s.url(&format!("/api/v1/responses/{id}/check-codes")))
            .bearer_auth(&second)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let seconds = [
        code(&["drugs"], "negative"),
        code(&["drugs"], "negative"),
        code(&["drugs", "lighting-environment"], "negative"),
    ];
    for (id, body) in ids.iter().zip(seconds) {
        let res = check(id, body).await;
        assert_eq!(res.status(), 200);
    }
    // Coded by the second only: not compared.
    assert_eq!(
        check(&ids[4], code(&["drugs"], "negative")).await.status(),
        200
    );
    assert_eq!(
        check(&ids[0], code(&["nope"], "negative")).await.status(),
        422
    );
    assert_eq!(
        check(
            "00000000000000010000000000000001",
            code(&["drugs"], "negative")
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        s.get_ok(agg_path, &first).await,
        before,
        "check codes count in no aggregate"
    );

    let report = s
        .get_ok(
            "/api/v1/forms/community-safety/intercoder?question=safety_comment",
            &first,
        )
        .await;
    assert_eq!(report["n"], 3, "{report}");
    assert_eq!(report["precision"], 0.1);
    let theme = |id: &str| {
        report["themes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["theme"] == id)
            .unwrap()
            .clone()
    };
    // drugs: first a, c; second a, b, c. po = 2/3 = pe: kappa 0.
    let drugs = theme("drugs");
    assert_eq!(
        [
            &drugs["both_yes"],
            &drugs["first_only"],
            &drugs["second_only"],
            &drugs["both_no"]
        ],
        [2, 0, 1, 0]
    );
    assert!(drugs["kappa"].as_f64().unwrap().abs() < 1e-9);
    assert_eq!(drugs["needed"], 769);
    // lighting: first b, c; second c. po 2/3, pe 4/9: kappa 0.4.
    let light = theme("lighting-environment");
    assert_eq!(
        [
            &light["both_yes"],
            &light["first_only"],
            &light["second_only"],
            &light["both_no"]
        ],
        [1, 1, 0, 1]
    );
    assert!((light["kappa"].as_f64().unwrap() - 0.4).abs() < 1e-9);
    assert_eq!(light["needed"], 277);
    // Never given by either: undefined.
    assert!(theme("vawg")["kappa"].is_null());
    assert_eq!(report["sentiment"]["n"], 3);
    assert_eq!(report["sentiment"]["agreed"], 2);
    assert!(report["sentiment"]["kappa"].as_f64().unwrap().abs() < 1e-9);

    for bad in [
        "?question=safety_comment&precision=2",
        "?question=feel_safe_day",
        "",
        "?question=safety_comment&by=team",
    ] {
        let res = get(
            &s,
            &format!("/api/v1/forms/community-safety/intercoder{bad}"),
            Some(&first),
        )
        .await;
        assert_eq!(res.status(), 400, "{bad}");
    }
    s.stop().await;
}

/// Where only the shipped label model differs from the one the stored
/// answers were labelled by, the next start labels them (and codes their
/// themes) again from their stored compound: the labels and the counts
/// come out as a new answer's would, while the compound and the flags,
/// which no label model changes, stay as stored.
#[tokio::test]
async fn a_new_shipped_label_model_labels_the_stored_answers_again() {
    use collector::service::learning::Redo;
    use collector::store::Doc;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.forms = example_forms();
    let s = Server::start(cfg.clone()).await;
    let token = s.token(Role::Analyst);
    let sarcastic = "Fantastic service, only took them three days to call back";
    assert_ne!(
        analysis::Scorer::new().score(sarcastic).label,
        analysis::Label::Negative
    );
    let id = safety(&s, 1, Some(sarcastic), "aldgate").await;
    let coding = |rows: &[Value]| {
        rows.iter().find(|r| r["id"] == id).unwrap()["text_coding"]["safety_comment"].clone()
    };
    let new = coding(&s.export_all("community-safety", &token).await);
    assert_eq!(new["label"], "negative", "{new}");
    let now = s.state.indexes.coding_version();
    let older = now.replacen(
        &format!("label {}", analysis::label_model::VERSION),
        "label svm-0",
        1,
    );
    assert_ne!(older, now);
    // What an older label model left: another label (and, to tell which
    // parts are made again, flags no coding gives it now), and that
    // coding noted as the form's.
    let store = s.state.store.clone();
    let flipped = !new["mixed"].as_bool().unwrap_or(false);
    store
        .recode("community-safety", None, &mut |run| {
            Some(
                run.iter_mut()
                    .map(|r| {
                        let c = r.coding.get_mut("safety_comment").unwrap();
                        c.label = analysis::Label::Positive;
                        c.mixed = flipped;
                        true
                    })
                    .collect(),
            )
        })
        .unwrap();
    store
        .put_doc(Doc::Coding, "community-safety", older.as_bytes())
        .unwrap();
    assert_eq!(
        collector::service::learning::redo_between(&older, &now),
        Redo::Label
    );
    drop(store);
    s.stop().await;

    let s = Server::start(cfg).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let noted = s
            .state
            .store
            .get_doc(Doc::Coding, "community-safety")
            .unwrap();
        if noted.as_deref() == Some(now.as_bytes()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the coding is not noted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let after = coding(&s.export_all("community-safety", &token).await);
    assert_eq!(after["label"], "negative", "labelled again: {after}");
    assert_eq!(after["compound"], new["compound"]);
    assert_eq!(after["themes"], new["themes"]);
    assert_eq!(
        after["mixed"].as_bool().unwrap_or(false),
        flipped,
        "the flags stay as stored: {after}"
    );
    let agg = s
        .get_ok(
            "/api/v1/forms/community-safety/aggregates?question=safety_comment",
            &token,
        )
        .await;
    let count = |label: &str| {
        agg["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["answer"] == label)
            .filter_map(|c| c["count"].as_u64())
            .sum::<u64>()
    };
    assert_eq!((count("negative"), count("positive")), (1, 0), "{agg}");
    s.stop().await;
}
