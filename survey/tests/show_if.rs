//! Skip logic: a question shows only when an earlier answer matches, and a
//! question that depends on a hidden one is hidden too.

use crate::util::{example, pairs, uuid};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use survey::{check_form, validate_json, Answer, Form};

/// A form whose conditions chain through every kind that can trigger one:
/// consent → single choice → multiple choice → scale → text.
fn chain() -> Form {
    let form: Form = serde_json::from_value(json!({
        "id": "chain",
        "title": "Chain",
        "default_lang": "en",
        "languages": ["en"],
        "privacy_notice": "Nothing is kept.",
        "not_for_reporting": "This is not for reporting crime.",
        "questions": [
            {"id": "agree", "kind": "consent", "text": "I agree"},
            {"id": "colour", "kind": "single_choice", "text": "Colour",
             "show_if": {"question": "agree", "any_of": [true]},
             "options": [{"id": "red", "text": "Red"}, {"id": "blue", "text": "Blue"}, {"id": "green", "text": "Green"}]},
            {"id": "things", "kind": "multiple_choice", "text": "Things",
             "show_if": {"question": "colour", "any_of": ["red", "blue"]},
             "options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}, {"id": "c", "text": "C"}]},
            {"id": "score", "kind": "scale", "text": "Score", "min": 0, "max": 10,
             "show_if": {"question": "things", "any_of": ["c"]}},
            {"id": "why", "kind": "text", "text": "Why so low?", "max_length": 100, "required": true,
             "show_if": {"question": "score", "any_of": [0, 1, 2]}},
            {"id": "always", "kind": "text", "text": "Anything else?", "max_length": 100}
        ]
    }))
    .unwrap();
    check_form(&form).expect("the chain form is well-formed");
    form
}

fn answers(pairs: &[(&str, Answer)]) -> BTreeMap<String, Answer> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn shown(form: &Form, given: &BTreeMap<String, Answer>) -> Vec<String> {
    form.questions
        .iter()
        .filter(|q| form.is_shown(q, given))
        .map(|q| q.id.clone())
        .collect()
}

#[test]
fn is_shown_follows_the_whole_chain() {
    let form = chain();
    assert_eq!(shown(&form, &answers(&[])), ["agree", "always"]);
    let mut given = answers(&[("agree", Answer::Consent(true))]);
    assert_eq!(shown(&form, &given), ["agree", "colour", "always"]);
    given.insert("colour".into(), Answer::Text("blue".into()));
    assert_eq!(
        shown(&form, &given),
        ["agree", "colour", "things", "always"]
    );
    given.insert(
        "things".into(),
        Answer::Choices(vec!["a".into(), "c".into()]),
    );
    assert_eq!(
        shown(&form, &given),
        ["agree", "colour", "things", "score", "always"]
    );
    given.insert("score".into(), Answer::Number(2));
    assert_eq!(
        shown(&form, &given),
        ["agree", "colour", "things", "score", "why", "always"]
    );
    given.insert("score".into(), Answer::Number(3));
    assert_eq!(
        shown(&form, &given),
        ["agree", "colour", "things", "score", "always"]
    );
}

#[test]
fn a_stale_answer_further_down_does_not_show_its_dependants() {
    // Changing an early answer hides everything below it even though the
    // later answers, left over from before, would still match.
    let form = chain();
    let given = answers(&[
        ("agree", Answer::Consent(true)),
        ("colour", Answer::Text("green".into())),
        ("things", Answer::Choices(vec!["c".into()])),
        ("score", Answer::Number(0)),
    ]);
    assert_eq!(shown(&form, &given), ["agree", "colour", "always"]);
}

#[test]
fn a_consent_condition_needs_a_real_tick() {
    let form = chain();
    for not_a_tick in [
        Answer::Text("true".into()),
        Answer::Number(1),
        Answer::Consent(false),
    ] {
        let given = answers(&[("agree", not_a_tick)]);
        assert_eq!(shown(&form, &given), ["agree", "always"]);
    }
}

fn check(form: &Form, answers: Value) -> Result<Vec<String>, Vec<(String, String)>> {
    validate_json(form, &json!({"submission_id": uuid(7), "answers": answers}))
        .map(|v| v.answers.into_keys().collect())
        .map_err(|p| pairs(&p))
}

fn err(list: &[(&str, &str)]) -> Result<Vec<String>, Vec<(String, String)>> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    v.sort();
    Err(v)
}

#[test]
fn validation_applies_the_chain() {
    let form = chain();
    assert_eq!(
        check(
            &form,
            json!({"agree": true, "colour": "red", "things": ["c"], "score": 1, "why": "Too slow"})
        ),
        Ok(vec![
            "agree".into(),
            "colour".into(),
            "score".into(),
            "things".into(),
            "why".into()
        ])
    );
    // The end of the chain is required once shown.
    assert_eq!(
        check(
            &form,
            json!({"agree": true, "colour": "red", "things": ["c"], "score": 1})
        ),
        err(&[("why", "required")])
    );
    // ...and not required, indeed not allowed, when hidden.
    assert_eq!(
        check(
            &form,
            json!({"agree": true, "colour": "red", "things": ["c"], "score": 9})
        ),
        Ok(vec![
            "agree".into(),
            "colour".into(),
            "score".into(),
            "things".into()
        ])
    );
    assert_eq!(
        check(
            &form,
            json!({"agree": true, "colour": "red", "things": ["c"], "score": 9, "why": "x"})
        ),
        err(&[("why", "not_shown")])
    );
    // An unticked box hides the whole chain: every answer below is refused.
    assert_eq!(
        check(
            &form,
            json!({"agree": false, "colour": "red", "things": ["c"], "score": 1, "why": "x"})
        ),
        err(&[
            ("colour", "not_shown"),
            ("score", "not_shown"),
            ("things", "not_shown"),
            ("why", "not_shown")
        ])
    );
    // A question with no condition is always open.
    assert_eq!(
        check(&form, json!({"always": "ok"})),
        Ok(vec!["always".into()])
    );
    // Null is no answer, so it is fine for a hidden question.
    assert_eq!(
        check(&form, json!({"colour": null, "why": null})),
        Ok(vec![])
    );
}

#[test]
fn an_invalid_trigger_answer_shows_nothing_below_it() {
    // The trigger is refused, so the questions it would open count as
    // not shown: the person is told about both.
    let form = chain();
    assert_eq!(
        check(
            &form,
            json!({"agree": true, "colour": "purple", "things": ["a"]})
        ),
        err(&[("colour", "not_an_option"), ("things", "not_shown")])
    );
}

#[test]
fn the_community_survey_victim_branch() {
    let form = example("community-safety");
    let base = json!({"respondent_type": "resident", "feel_safe_day": 3, "feel_safe_dark": 3, "worry": "not-very"});
    let with = |extra: Value| {
        let mut a = base.clone();
        a.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        check(&form, a)
    };
    assert!(with(json!({"victim_12m": "yes", "victim_reported": "yes-some", "why_not_reported": ["not-serious"]})).is_ok());
    assert!(with(
        json!({"victim_12m": "yes", "victim_reported": "no", "why_not_reported": ["other"]})
    )
    .is_ok());
    assert_eq!(
        with(
            json!({"victim_12m": "yes", "victim_reported": "yes-all", "why_not_reported": ["other"]})
        ),
        err(&[("why_not_reported", "not_shown")])
    );
    assert_eq!(
        with(json!({"victim_12m": "no", "victim_reported": "no"})),
        err(&[("victim_reported", "not_shown")])
    );
    // "Something else" as a priority opens the follow-up text; other picks do not.
    assert!(
        with(json!({"priorities": ["drugs", "other"], "priorities_other": "Pedicabs"})).is_ok()
    );
    assert_eq!(
        with(json!({"priorities": ["drugs"], "priorities_other": "Pedicabs"})),
        err(&[("priorities_other", "not_shown")])
    );
}
