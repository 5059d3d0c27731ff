//! The register of places: the shipped City of London register (25 wards,
//! 6 clusters, 2 sectors and named sites) is loaded beside the forms;
//! responses group and filter by site, ward, cluster and sector in
//! aggregates, trends and exports; an unknown or mangled place is kept as
//! `unknown` (never refused), an odd channel is folded into a word; an
//! admin's edit of the register is checked, applied to the forms that
//! take their places from it, and kept across a restart.

use crate::common::*;
use collector::model::Role;
use serde_json::{json, Value};

fn server_config(dir: &std::path::Path) -> collector::config::Config {
    let mut c = config(dir);
    c.forms = example_forms();
    c
}

/// Group name → responses in it, from an aggregates answer grouped by
/// one dimension (the first question's summaries).
fn counts(body: &Value) -> std::collections::BTreeMap<String, u64> {
    let summaries = body["summaries"]
        .as_array()
        .unwrap_or_else(|| panic!("no summaries in {body}"));
    let first = summaries[0]["question"].clone();
    summaries
        .iter()
        .filter(|s| s["question"] == first)
        .map(|s| {
            (
                s["group"][0].as_str().unwrap().to_owned(),
                s["n"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Where each street response was tagged, and with which channel.
const STREET: [(&str, &str); 9] = [
    ("liverpool-street", "qr"), // Bishopsgate ward, Liverpool Street cluster, East
    ("liverpool-street", "qr"), //
    ("bishopsgate", "qr"),      // the street Bishopsgate: same ward
    ("tower-hill", "qr"),       // Tower ward, Monument cluster, East
    ("bank", "qr"),             // Walbrook ward, Bank cluster, West
    ("temple", "Twitter Ads"),  // Farringdon Without, Fleet Street, West
    ("narnia", "qr"),           // unknown to the register: kept as unknown
    ("<script>alert(1)</script>", "qr"), // mangled: unknown
    ("golden-lane-estate", "qr"), // Cripplegate, Barbican, West
];

#[tokio::test]
async fn responses_group_and_filter_by_site_ward_cluster_and_sector() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(server_config(dir.path())).await;
    let analyst = s.token(Role::Analyst);

    // The shipped register.
    let (status, reg) = s.get_json("/api/v1/places", &analyst).await;
    assert_eq!(status, 200);
    assert_eq!(reg["sectors"].as_array().unwrap().len(), 2);
    assert_eq!(reg["clusters"].as_array().unwrap().len(), 6);
    assert_eq!(reg["wards"].as_array().unwrap().len(), 25);
    assert!(reg["sites"].as_array().unwrap().len() >= 21);
    // Every ward is in a cluster of the right sector, as the force's
    // neighbourhood strategy lists them.
    let east = [
        "coleman-street",
        "bishopsgate",
        "broad-street",
        "cornhill",
        "lime-street",
        "aldgate",
        "portsoken",
        "langbourn",
        "candlewick",
        "bridge",
        "tower",
        "billingsgate",
    ];
    for w in reg["wards"].as_array().unwrap() {
        let cluster = reg["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == w["cluster"])
            .unwrap();
        let sector = cluster["sector"].as_str().unwrap();
        let id = w["id"].as_str().unwrap();
        assert_eq!(sector == "east", east.contains(&id), "{id} is in {sector}");
    }

    // The street form's places are the register's sites.
    let form: Value = s.public_json("/api/v1/forms/street-feedback").await;
    let places: Vec<&str> = form["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(places.contains(&"golden-lane-estate") && places.contains(&"tower-hill"));

    for (n, (loc, ch)) in STREET.iter().enumerate() {
        let res = s
            .submit(
                "street-feedback",
                &json!({
                    "submission_id": uuid(n as u128 + 1),
                    "answers": {"feel_safe_now": 3},
                    "location": loc,
                    "channel": ch,
                }),
            )
            .await;
        assert_eq!(res.status(), 201, "{loc}: {}", res.text().await.unwrap());
    }
    // A tag of another type than a string is mangled too: kept, as unknown.
    let res = s
        .submit(
            "street-feedback",
            &json!({"submission_id": uuid(99), "answers": {"feel_safe_now": 2}, "location": 12}),
        )
        .await;
    assert_eq!(res.status(), 201);

    let agg = |by: &str| {
        format!("/api/v1/forms/street-feedback/aggregates?by={by}&question=feel_safe_now")
    };
    let (status, body) = s.get_json(&agg("ward"), &analyst).await;
    assert_eq!(status, 200, "{body}");
    let wards = counts(&body);
    assert_eq!(wards["bishopsgate"], 3);
    assert_eq!(wards["tower"], 1);
    assert_eq!(wards["walbrook"], 1);
    assert_eq!(wards["farringdon-without"], 1);
    assert_eq!(wards["cripplegate"], 1);
    assert_eq!(wards["unknown"], 3);
    let (_, body) = s.get_json(&agg("cluster"), &analyst).await;
    let clusters = counts(&body);
    assert_eq!(clusters["liverpool-street"], 3);
    assert_eq!(clusters["monument"], 1);
    assert_eq!(clusters["barbican"], 1);
    let (_, body) = s.get_json(&agg("sector"), &analyst).await;
    let sectors = counts(&body);
    assert_eq!(
        (sectors["east"], sectors["west"], sectors["unknown"]),
        (4, 3, 3)
    );
    let (_, body) = s.get_json(&agg("site"), &analyst).await;
    let sites = counts(&body);
    assert_eq!((sites["liverpool-street"], sites["bishopsgate"]), (2, 1));
    assert_eq!(sites["unknown"], 3);
    // The odd channel was kept, folded into a word.
    let (_, body) = s.get_json(&agg("channel"), &analyst).await;
    assert_eq!(counts(&body)["twitter-ads"], 1);

    // Filters at each level, and two levels at once (both must hold).
    let n_of = |body: &Value| body["n"].as_u64().unwrap_or_else(|| panic!("{body}"));
    let total = "/api/v1/forms/street-feedback/aggregates?question=feel_safe_now";
    for (filter, want) in [
        ("sector=west", 3),
        ("sector=east", 4),
        ("cluster=liverpool-street,monument", 4),
        ("ward=bishopsgate", 3),
        ("site=liverpool-street", 2),
        ("sector=east&ward=tower", 1),
        ("sector=west&ward=tower", 0),
        ("location=unknown", 3),
    ] {
        let (status, body) = s.get_json(&format!("{total}&{filter}"), &analyst).await;
        assert_eq!(status, 200, "{filter}: {body}");
        assert_eq!(n_of(&body), want, "{filter}");
    }
    // A trend filtered by ward counts the same rows.
    let (status, body) = s.get_json("/api/v1/forms/street-feedback/trends?question=feel_safe_now&period=month&ward=bishopsgate",
        &analyst,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let trend_n: u64 = body["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["n"].as_u64().unwrap())
        .sum();
    assert_eq!(trend_n, 3);
    // A level id the register lacks is a 400 naming it.
    let (status, body) = s.get_json(&format!("{total}&ward=narnia"), &analyst).await;
    assert_eq!(status, 400);
    assert!(
        body["detail"].as_str().unwrap().contains("ward 'narnia'"),
        "{body}"
    );

    // Exports: each row says where it lies; filtered by the register.
    let rows = s.export_all("street-feedback", &analyst).await;
    assert_eq!(rows.len(), STREET.len() + 1);
    let at = |loc: &str| rows.iter().find(|r| r["location"] == loc).unwrap();
    assert_eq!(
        at("tower-hill")["place"],
        json!({"site": "tower-hill", "ward": "tower", "cluster": "monument", "sector": "east"})
    );
    assert_eq!(
        rows.iter().filter(|r| r["location"] == "unknown").count(),
        3
    );
    assert!(at("unknown").get("place").is_none());
    assert!(rows.iter().all(|r| !r.to_string().contains("script")));
    // A page is the 4 responses after the cursor less those outside the
    // sector: it may be short and still have a next page.
    let (first, next) = s
        .ndjson_page(
            "/api/v1/forms/street-feedback/responses?sector=west&limit=4",
            &analyst,
        )
        .await;
    assert!(first.iter().all(|r| r["place"]["sector"] == "west"));
    let next = next.expect("a next page");
    assert!(next.contains("sector=west"), "{next}");
    let (status, _) = s
        .get_json(
            "/api/v1/forms/street-feedback/responses?ward=narnia",
            &analyst,
        )
        .await;
    assert_eq!(status, 400);
    s.stop().await;
}

#[tokio::test]
async fn a_ward_picker_comes_from_the_register_and_a_site_tag_answers_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(server_config(dir.path())).await;
    let analyst = s.token(Role::Analyst);
    let form: Value = s.public_json("/api/v1/forms/community-safety").await;
    let places: Vec<&str> = form["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(places.len(), 25, "the picker offers the wards");
    assert!(places.contains(&"cripplegate") && !places.contains(&"liverpool-street"));

    // Opened from a QR code at Liverpool Street station: the area question
    // is answered with the station's ward, Bishopsgate.
    let page = s
        .client
        .get(s.url("/f/community-safety?loc=liverpool-street&ch=qr&lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<option value="bishopsgate" selected>"#),
        "the ward of the site is chosen"
    );
    // A response that names only its ward (no tag) is grouped under it.
    let res = s
        .submit(
            "community-safety",
            &json!({"submission_id": uuid(1), "answers": {
                "respondent_type": "resident", "area": "tower",
                "feel_safe_day": 4, "feel_safe_dark": 3, "worry": "a-little"
            }}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let (status, body) = s
        .get_json(
            "/api/v1/forms/community-safety/aggregates?by=cluster&question=respondent_type",
            &analyst,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(counts(&body)["monument"], 1);
    // A ward names no site: by site it has none, and is not unknown.
    let (_, body) = s
        .get_json(
            "/api/v1/forms/community-safety/aggregates?by=site&question=respondent_type",
            &analyst,
        )
        .await;
    let sites = counts(&body);
    assert_eq!(sites["_none"], 1, "{sites:?}");
    assert!(sites.get("unknown").is_none_or(|&n| n == 0), "{sites:?}");
    s.stop().await;
}

#[tokio::test]
async fn an_admin_edits_the_register_and_the_edit_outlives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(server_config(dir.path())).await;
    let admin = s.token(Role::Admin);
    let analyst = s.token(Role::Analyst);
    let (_, mut reg) = s.get_json("/api/v1/places", &analyst).await;
    let res = s
        .submit(
            "street-feedback",
            &json!({"submission_id": uuid(1), "answers": {"feel_safe_now": 4}, "location": "bank"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let version_before = s
        .public_json::<Value>("/api/v1/forms/street-feedback")
        .await["version"]
        .as_u64()
        .unwrap();

    let put = |body: Value, token: String| {
        let req = s
            .client
            .put(s.url("/api/v1/places"))
            .bearer_auth(token)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    // Only admins may change it.
    assert_eq!(put(reg.clone(), analyst.clone()).await.status(), 403);
    // Every problem is named, and nothing changes.
    let mut bad = reg.clone();
    bad["sites"][0]["ward"] = json!("nowhere");
    bad["sites"][1]["installed"] = json!("last spring");
    let res = put(bad, admin.clone()).await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.unwrap();
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["sites[0].ward", "sites[1].installed"], "{p}");
    let res = put(json!({"wards": [], "towns": []}), admin.clone()).await;
    assert_eq!(res.status(), 422);

    // A new site, and the Bank site moved to Cheap ward.
    reg["sites"].as_array_mut().unwrap().push(json!({
        "id": "aldgate-square", "name": "Aldgate Square", "ward": "portsoken",
        "installed": "2026-11-02", "lat": 51.5138, "lon": -0.0766
    }));
    for site in reg["sites"].as_array_mut().unwrap() {
        if site["id"] == "bank" {
            site["ward"] = json!("cheap");
        }
    }
    let res = put(reg.clone(), admin.clone()).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // The street form offers the new site, as a new version.
    let form: Value = s.public_json("/api/v1/forms/street-feedback").await;
    assert!(form["version"].as_u64().unwrap() > version_before);
    assert!(form["places"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == "aldgate-square"));
    let res = s
        .submit(
            "street-feedback",
            &json!({"submission_id": uuid(2), "answers": {"feel_safe_now": 4}, "location": "aldgate-square"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let by_ward = "/api/v1/forms/street-feedback/aggregates?by=ward&question=feel_safe_now";
    let (_, body) = s.get_json(by_ward, &analyst).await;
    let wards = counts(&body);
    assert_eq!((wards["cheap"], wards["portsoken"]), (1, 1), "{wards:?}");
    assert!(!wards.contains_key("walbrook") || wards["walbrook"] == 0);

    // After a restart with the same register file, the edit stands.
    s.stop().await;
    let s = Server::start(server_config(dir.path())).await;
    let analyst = s.token(Role::Analyst);
    let (_, after) = s.get_json("/api/v1/places", &analyst).await;
    assert_eq!(after, reg);
    let (_, body) = s.get_json(by_ward, &analyst).await;
    assert_eq!(counts(&body)["cheap"], 1);
    s.stop().await;
}

#[tokio::test]
async fn the_hosted_form_keeps_an_unknown_place_and_an_odd_channel() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(server_config(dir.path())).await;
    let analyst = s.token(Role::Analyst);
    // Without JavaScript: the page's own post.
    let page = s
        .client
        .get(s.url("/f/street-feedback?loc=Narnia%20Gate&ch=Poster%20Week&lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"name="loc" value="unknown""#),
        "tag kept as unknown"
    );
    assert!(page.contains(r#"name="ch" value="poster-week""#));
    let id = page
        .split(r#"name="submission_id" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let res = s
        .client
        .post(s.url("/f/street-feedback"))
        .form(&[
            ("submission_id", id.as_str()),
            ("loc", "Narnia Gate"),
            ("ch", "Poster Week"),
            ("lang", "en"),
            ("q.feel_safe_now", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let rows = s.export_all("street-feedback", &analyst).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["location"], "unknown");
    assert_eq!(rows[0]["channel"], "poster-week");
    s.stop().await;
}

/// "One question a scan": the hosted page asks the set's questions in
/// turn, one a page, with no cookie; each answer is stored alone, and the
/// aggregates give each question its own base (those who were asked it).
#[tokio::test]
async fn one_question_a_scan_rotates_and_each_question_has_its_own_base() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(server_config(dir.path())).await;
    let analyst = s.token(Role::Analyst);
    let page = |n: usize| {
        let url = s.url("/f/street-pulse?loc=bank&ch=qr&lang=en");
        let client = s.client.clone();
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200, "page {n}");
            assert!(res.headers().get("set-cookie").is_none(), "no cookie");
            res.text().await.unwrap()
        }
    };
    let asked = |html: &str| -> String {
        html.split(r#"name="q."#)
            .nth(1)
            .expect("an answer button")
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    let mut seen = Vec::new();
    for n in 0..8 {
        let html = page(n).await;
        assert_eq!(
            html.matches(r#"<fieldset"#).count(),
            1,
            "one question a page"
        );
        seen.push(asked(&html));
    }
    assert_eq!(
        seen,
        [
            "feel_safe_now",
            "feel_safe_dark_here",
            "police_visible",
            "well_lit",
            "feel_safe_now",
            "feel_safe_dark_here",
            "police_visible",
            "well_lit"
        ],
        "in turn"
    );
    // Answers as many scans give them: each alone.
    let answers = [
        json!({"feel_safe_now": 4}),
        json!({"feel_safe_now": 2}),
        json!({"feel_safe_now": 5}),
        json!({"feel_safe_dark_here": 1}),
        json!({"police_visible": "rarely"}),
        json!({"police_visible": "never"}),
        json!({"well_lit": "no"}),
    ];
    for (n, a) in answers.iter().enumerate() {
        let res = s
            .submit(
                "street-pulse",
                &json!({"submission_id": uuid(n as u128 + 1), "answers": a, "location": "bank", "channel": "qr"}),
            )
            .await;
        assert_eq!(res.status(), 201, "{a}: {}", res.text().await.unwrap());
    }
    // Nothing answered is still refused: the set's required question.
    let res = s
        .submit(
            "street-pulse",
            &json!({"submission_id": uuid(99), "answers": {}, "location": "bank"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    let (status, body) = s
        .get_json("/api/v1/forms/street-pulse/aggregates", &analyst)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["n"], 7);
    let base = |q: &str| {
        body["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["question"] == q)
            .map(|s| {
                (
                    s["answered"].as_u64().unwrap(),
                    s["skipped"].as_u64().unwrap(),
                )
            })
            .unwrap()
    };
    assert_eq!(base("feel_safe_now"), (3, 4));
    assert_eq!(base("feel_safe_dark_here"), (1, 6));
    assert_eq!(base("police_visible"), (2, 5));
    assert_eq!(base("well_lit"), (1, 6));
    // Each proportion is of those asked: 2 of the 3 who were asked feel safe.
    let satisfied = body["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["question"] == "feel_safe_now")
        .unwrap()["satisfied"]
        .clone();
    assert_eq!(satisfied["count"], 2, "{satisfied}");
    assert_eq!(satisfied["n"], 3, "{satisfied}");
    s.stop().await;
}
