//! Submissions as posted, from JSON fixtures: each valid one is accepted,
//! each invalid one is refused with exactly the listed `(field, code)` pairs.
//!
//! A fixture is `{"about", "form", "submission", "expect"?}` in `valid/` and
//! `{"about", "form", "submission", "problems": [{"field", "code"}]}` in
//! `invalid/`; adding a case is adding a file.

use crate::util::{example, fixtures, pairs, FORMS};
use serde_json::Value;
use survey::{validate, validate_json, Problem, Submission, Valid};

fn field<'a>(name: &str, fixture: &'a Value, key: &str) -> &'a Value {
    fixture
        .get(key)
        .unwrap_or_else(|| panic!("{name}: no \"{key}\""))
}

#[test]
fn valid_fixtures_are_accepted() {
    let cases = fixtures("valid");
    for form in FORMS {
        assert!(
            cases.iter().any(|(_, f)| f["form"] == form),
            "there is a valid submission for {form}"
        );
    }
    for (name, fixture) in &cases {
        let form = example(field(name, fixture, "form").as_str().unwrap());
        let body = field(name, fixture, "submission");
        let valid = validate_json(&form, body)
            .unwrap_or_else(|problems| panic!("{name} was refused: {problems:#?}"));

        // The typed path agrees with the JSON path.
        let sub: Submission = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(validate(&form, &sub).as_ref(), Ok(&valid), "{name}");
        // Written by hand (as the widget posts it) it is what serde writes.
        assert_eq!(
            sub.to_value(),
            serde_json::to_value(&sub).unwrap(),
            "{name}"
        );

        // Every answer kept was shown, and every non-empty answer given was kept.
        for (id, answer) in &valid.answers {
            let q = form.question(id).unwrap();
            assert!(
                form.is_shown(q, &valid.answers),
                "{name}: {id} kept but not shown"
            );
            if let Some(sent) = body["answers"].get(id) {
                if let Value::String(s) = sent {
                    assert_eq!(
                        answer.to_json(),
                        Value::String(s.trim().to_owned()),
                        "{name}: {id}"
                    );
                } else {
                    assert_eq!(&answer.to_json(), sent, "{name}: {id}");
                }
            }
        }

        if let Some(expect) = fixture.get("expect") {
            check_expectations(name, &valid, expect);
        }

        // What was accepted is accepted again when sent back as stored.
        let again = serde_json::json!({
            "submission_id": valid.submission_id,
            "answers": valid.answers.iter().map(|(k, a)| (k.clone(), a.to_json())).collect::<serde_json::Map<_, _>>(),
            "location": valid.location,
            "channel": valid.channel,
            "lang": valid.lang,
        });
        assert_eq!(
            validate_json(&form, &again).as_ref(),
            Ok(&valid),
            "{name}: stored form"
        );
        // And the outcome itself round-trips, as the collector keeps it.
        let stored = serde_json::to_string(&valid).unwrap();
        assert_eq!(
            serde_json::from_str::<Valid>(&stored).unwrap(),
            valid,
            "{name}"
        );
    }
}

fn check_expectations(name: &str, valid: &Valid, expect: &Value) {
    for (key, want) in expect.as_object().unwrap() {
        match key.as_str() {
            "lang" => assert_eq!(valid.lang, want.as_str().unwrap(), "{name}: lang"),
            "channel" => assert_eq!(valid.channel, want.as_str().unwrap(), "{name}: channel"),
            "location" => assert_eq!(valid.location.as_deref(), want.as_str(), "{name}: location"),
            "submission_id" => assert_eq!(valid.submission_id, want.as_str().unwrap(), "{name}"),
            "answers" => {
                let got: serde_json::Map<String, Value> = valid
                    .answers
                    .iter()
                    .map(|(k, a)| (k.clone(), a.to_json()))
                    .collect();
                assert_eq!(&Value::Object(got), want, "{name}: answers");
            }
            other => panic!("{name}: unknown expectation {other}"),
        }
    }
}

#[test]
fn invalid_fixtures_are_refused_with_the_exact_field_and_code() {
    let cases = fixtures("invalid");
    let mut codes_seen = std::collections::BTreeSet::new();
    for (name, fixture) in &cases {
        let form = example(field(name, fixture, "form").as_str().unwrap());
        let body = field(name, fixture, "submission");
        let problems: Vec<Problem> = match validate_json(&form, body) {
            Ok(v) => panic!("{name} was accepted: {v:#?}"),
            Err(p) => p,
        };
        let want: Vec<(String, String)> = {
            let mut w: Vec<_> = field(name, fixture, "problems")
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["field"].as_str().unwrap().to_owned(),
                        p["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            w.sort();
            w
        };
        assert_eq!(pairs(&problems), want, "{name}: {problems:#?}");
        for p in &problems {
            assert!(
                !p.message.trim().is_empty(),
                "{name}: every problem says what is wrong"
            );
            codes_seen.insert(crate::util::code(p.code));
        }
        // Problems go to clients as JSON; they must survive that.
        let json = serde_json::to_string(&problems).unwrap();
        assert_eq!(
            serde_json::from_str::<Vec<Problem>>(&json).unwrap(),
            problems
        );
    }
    for code in [
        "required",
        "not_an_option",
        "too_many",
        "out_of_range",
        "too_long",
        "wrong_type",
        "not_shown",
        "unknown_question",
        "invalid",
        "exclusive",
        "duplicate",
    ] {
        assert!(codes_seen.contains(code), "no fixture produces {code}");
    }
}

#[test]
fn problems_serialize_with_snake_case_codes() {
    let form = example("street-feedback");
    let body = serde_json::json!({"submission_id": "nope", "answers": {"feel_safe_now": 7}});
    let problems = validate_json(&form, &body).unwrap_err();
    let wire = serde_json::to_value(&problems).unwrap();
    assert_eq!(
        wire,
        serde_json::json!([
            {"field": "submission_id", "code": "invalid", "message": problems[0].message},
            {"field": "feel_safe_now", "code": "out_of_range", "message": "Select a number from 1 to 5"},
        ])
    );
}

#[test]
fn messages_are_in_the_language_of_the_submission() {
    // Regression guard: the required message quotes the question as the
    // person saw it, not always in English.
    let form = example("street-feedback");
    let body =
        serde_json::json!({"submission_id": crate::util::uuid(1), "answers": {}, "lang": "pl"});
    let problems = validate_json(&form, &body).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].message.contains("Jak bezpiecznie"),
        "{}",
        problems[0].message
    );
}

#[test]
fn an_attacker_sized_field_name_is_clipped_in_the_problem() {
    let form = example("street-feedback");
    let long = "q".repeat(10_000);
    let body = serde_json::json!({
        "submission_id": crate::util::uuid(2),
        "answers": {"feel_safe_now": 3, long.clone(): 1},
    });
    let problems = validate_json(&form, &body).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "q".repeat(64));
    assert!(problems[0].message.len() < 200);
}
