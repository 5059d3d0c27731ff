//! The response export as CSV (`Accept: text/csv`): opens as UTF-8 with a
//! byte-order mark, keeps any text intact through a CSV parser, carries the
//! effective codes, and pages with the same cursor as the NDJSON export.

use crate::common::*;
use crate::text_coding::{examples_server, next_link};
use collector::model::Role;
use serde_json::{json, Value};

const BOM: &[u8] = b"\xEF\xBB\xBF";

async fn csv_page(s: &Server, path: &str, token: &str) -> (Vec<u8>, Option<String>) {
    let res = s
        .client
        .get(s.url(path))
        .bearer_auth(token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let next = next_link(&res);
    (res.bytes().await.unwrap().to_vec(), next)
}

/// Header and records of one CSV page, checking the BOM and the encoding.
fn parse(body: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(body.starts_with(BOM), "starts with a UTF-8 byte-order mark");
    let text = std::str::from_utf8(&body[BOM.len()..]).expect("UTF-8");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

async fn street(s: &Server, n: u128, lang: &str, safe: i64, comment: Option<&str>) -> String {
    let mut answers = json!({"feel_safe_now": safe});
    if let Some(c) = comment {
        answers["comment"] = json!(c);
    }
    let res = s
        .submit(
            "street-feedback",
            &json!({"submission_id": uuid(n), "answers": answers, "location": "liverpool-street", "channel": "qr", "lang": lang}),
        )
        .await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

const POLISH: &str = "Czuję się tu bezpiecznie, ale brakuje oświetlenia przy wejściu";
const ARABIC: &str = "لا أشعر بالأمان هنا في الليل، سُرق هاتفي";
const TRICKY: &str =
    "He said \"mind your phone\", then left,\nand the lights were off; \"again\"\r\nSo: \"\", ,,";
const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";

#[tokio::test]
async fn csv_export_round_trips_any_text_and_carries_manual_codes() {
    let dir = tempfile::tempdir().unwrap();
    let s = examples_server(dir.path()).await;
    let token = s.token(Role::Analyst);
    let ids = [
        street(&s, 1, "pl", 4, Some(POLISH)).await,
        street(&s, 2, "ar", 2, Some(ARABIC)).await,
        street(&s, 3, "en", 1, Some(TRICKY)).await,
        street(&s, 4, "en", 3, Some(FORMULA)).await,
        street(&s, 5, "bn", 5, None).await,
    ];
    let res = s
        .client
        .put(s.url(&format!("/api/v1/responses/{}/codes", ids[2])))
        .bearer_auth(&token)
        .json(&json!({"question": "comment", "themes": ["phone-bag-theft", "lighting-environment"], "sentiment": "negative"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let (body, next) = csv_page(&s, "/api/v1/forms/street-feedback/responses", &token).await;
    assert!(next.is_none());
    let (header, rows) = parse(&body);
    assert_eq!(
        header,
        [
            "id",
            "form",
            "version",
            "received_at",
            "location",
            "site",
            "ward",
            "cluster",
            "sector",
            "channel",
            "lang",
            "feel_safe_now",
            "comment",
            "comment_sentiment",
            "comment_compound",
            "comment_themes",
            "comment_mixed",
            "comment_actionable"
        ]
    );
    assert_eq!(rows.len(), 5);
    let ndjson = s.export_all("street-feedback", &token).await;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[0], ids[i]);
        assert_eq!(row[1], "street-feedback");
        assert_eq!(row[2], "1");
        assert_eq!(row[3], ndjson[i]["received_at"].as_str().unwrap());
        assert_eq!(row[4], "liverpool-street");
        // Where the place lies in the register.
        assert_eq!(
            row[5..9],
            [
                "liverpool-street",
                "bishopsgate",
                "liverpool-street",
                "east"
            ]
        );
        assert_eq!(row[9], "qr");
        assert_eq!(row[10], ndjson[i]["lang"].as_str().unwrap());
        assert_eq!(row[11], ndjson[i]["answers"]["feel_safe_now"].to_string());
    }
    // Text survives exactly: Polish and Arabic letters, quotes, commas, line breaks.
    assert_eq!(rows[0][12], POLISH);
    assert_eq!(rows[1][12], ARABIC);
    assert_eq!(rows[2][12], TRICKY);
    assert!(std::str::from_utf8(&body).unwrap().contains("oświetlenia"));
    // A comment a spreadsheet would run as a formula is defused.
    assert_eq!(rows[3][12], format!("'{FORMULA}"));
    // No comment: the text columns are empty.
    assert_eq!(&rows[4][12..], ["", "", "", "", "", ""]);
    // Automatic codes as stored, manual ones where an analyst coded.
    for (i, row) in rows.iter().enumerate().take(4) {
        let coding = &ndjson[i]["text_coding"]["comment"];
        assert_eq!(row[13], coding["label"].as_str().unwrap());
        let compound: f64 = row[14].parse().unwrap();
        assert!((compound - coding["compound"].as_f64().unwrap()).abs() < 1e-4);
        let themes: Vec<&str> = coding["themes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(row[15], themes.join(";"));
        // The flags as the NDJSON row has them (left out there when false).
        for (at, flag) in [(16, "mixed"), (17, "actionable")] {
            assert_eq!(row[at], coding[flag].as_bool().unwrap_or(false).to_string());
        }
    }
    assert_eq!(rows[2][13], "negative");
    assert_eq!(rows[2][15], "phone-bag-theft;lighting-environment");
    assert_eq!(
        ndjson[2]["text_coding"]["comment"]["manual"]["sentiment"],
        "negative"
    );

    // Pages of two: each a whole CSV file with its BOM and header, and the
    // Link header asks for the next.
    let mut all = Vec::new();
    let mut pages = 0;
    let mut next = Some("/api/v1/forms/street-feedback/responses?limit=2".to_owned());
    while let Some(p) = next {
        let (body, n) = csv_page(&s, &p, &token).await;
        let (h, rows) = parse(&body);
        assert_eq!(h, header);
        all.extend(rows);
        next = n;
        pages += 1;
    }
    assert_eq!(pages, 3);
    assert_eq!(all, parse(&body).1);
    s.stop().await;
}

#[tokio::test]
async fn csv_export_has_a_column_per_question_and_joins_choices() {
    let dir = tempfile::tempdir().unwrap();
    let s = examples_server(dir.path()).await;
    let token = s.token(Role::Analyst);
    let res = s
        .submit(
            "community-safety",
            &json!({"submission_id": uuid(1), "location": "moorgate", "answers": {
                "respondent_type": "resident", "feel_safe_day": 5, "feel_safe_dark": 3,
                "worry": "not-very", "priorities": ["drugs", "vawg", "other"],
                "priorities_other": "Cyclists on pavements",
                "safety_comment": "Drug dealers by the station, never see police"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let form: Value = s.public_json("/api/v1/forms/community-safety").await;
    let questions: Vec<&str> = form["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    let (body, _) = csv_page(&s, "/api/v1/forms/community-safety/responses", &token).await;
    let (header, rows) = parse(&body);
    let mut expected: Vec<String> = [
        "id",
        "form",
        "version",
        "received_at",
        "location",
        "site",
        "ward",
        "cluster",
        "sector",
        "channel",
        "lang",
    ]
    .map(String::from)
    .to_vec();
    expected.extend(questions.iter().map(|q| q.to_string()));
    for q in ["priorities_other", "safety_comment"] {
        for suffix in ["sentiment", "compound", "themes", "mixed", "actionable"] {
            expected.push(format!("{q}_{suffix}"));
        }
    }
    assert_eq!(header, expected);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = &rows[0];
    assert_eq!(row[col("priorities")], "drugs;vawg;other");
    assert_eq!(row[col("feel_safe_dark")], "3");
    assert_eq!(row[col("worry")], "not-very");
    assert_eq!(row[col("age")], "");
    assert_eq!(row[col("safety_comment_themes")], "visible-policing;drugs");
    assert_eq!(row[col("priorities_other_themes")], "");
    for flag in ["safety_comment_mixed", "safety_comment_actionable"] {
        assert!(["true", "false"].contains(&&*row[col(flag)]), "{flag}");
    }
    assert_eq!(row[col("priorities_other_mixed")], "false");
    assert!(!row[col("priorities_other_sentiment")].is_empty());
    s.stop().await;
}
