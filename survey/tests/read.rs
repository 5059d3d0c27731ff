//! Reading a form from JSON: what is refused, with the path of the fault,
//! and what is allowed to be left out.

use crate::check::base;
use crate::util::{form_source, FORMS};
use proptest::prelude::*;
use serde_json::{json, Value};
use survey::{AlertCondition, Form, Kind, ReadError, SentimentLabel};

/// The error from reading the base form after `edit`.
fn refused(edit: impl FnOnce(&mut Value)) -> ReadError {
    let mut v = base();
    edit(&mut v);
    Form::from_value(&v).expect_err("the edited form is refused")
}

fn read(edit: impl FnOnce(&mut Value)) -> Form {
    let mut v = base();
    edit(&mut v);
    Form::from_value(&v).unwrap_or_else(|e| panic!("refused: {e}"))
}

fn at(path: &str, message: &str) -> ReadError {
    ReadError {
        path: path.into(),
        message: message.into(),
    }
}

#[test]
fn faults_are_named_with_their_path() {
    assert_eq!(
        refused(|v| v
            .as_object_mut()
            .unwrap()
            .remove("title")
            .map(drop)
            .unwrap()),
        at("", "missing field `title`")
    );
    assert_eq!(
        refused(|v| v["retention_dayz"] = json!(30)),
        at("", "unknown field `retention_dayz`")
    );
    assert_eq!(
        refused(|v| v["questions"][0]["options"][1]["text"] = json!(7)),
        at(
            "questions[0].options[1].text",
            "expected a string or a map of language to string"
        )
    );
    assert_eq!(
        refused(|v| v["questions"][0]["options"][0]["exclusve"] = json!(true)),
        at("questions[0].options[0]", "unknown field `exclusve`")
    );
    assert_eq!(
        refused(|v| v["questions"][0]["text"]["pl"] = json!(null)),
        at("questions[0].text.pl", "expected a string")
    );
    assert_eq!(
        refused(|v| v["questions"][1]["kind"] = json!("dropdown")),
        at(
            "questions[1].kind",
            "unknown kind of question; expected one of single_choice, multiple_choice, scale, text, location, consent"
        )
    );
    assert_eq!(
        refused(|v| v["questions"][1]
            .as_object_mut()
            .unwrap()
            .remove("max")
            .map(drop)
            .unwrap()),
        at("questions[1]", "missing field `max`")
    );
    assert_eq!(
        refused(|v| v["questions"][1]["min"] = json!(1.5)),
        at("questions[1].min", "expected a whole number")
    );
    assert_eq!(
        refused(|v| v["questions"][4]["max_length"] = json!(-1)),
        at("questions[4].max_length", "expected a whole number from 0")
    );
    assert_eq!(
        refused(|v| v["questions"][2]["show_if"]["any_of"] = json!([[1]])),
        at(
            "questions[2].show_if.any_of[0]",
            "expected a string, a whole number or a boolean"
        )
    );
    assert_eq!(
        refused(|v| v["questions"][0]["required"] = json!(null)),
        at("questions[0].required", "expected true or false")
    );
    assert_eq!(
        refused(|v| v["alerts"][1]["any_of"] = json!([1])),
        at(
            "alerts[1]",
            "an alert rule has one of any_of, sentiment_below and sentiment_is, not two"
        )
    );
    assert_eq!(
        refused(|v| v["codebook"]["themes"][0]["phrases"] = json!("dark")),
        at("codebook.themes[0].phrases", "expected a list")
    );
    assert_eq!(
        Form::from_value(&json!([])).unwrap_err(),
        at("", "expected an object")
    );
    // serde reads through the same reader and says the same.
    let mut v = base();
    v["questions"][0]["options"][0]["exclusve"] = json!(true);
    let e = serde_json::from_value::<Form>(v).unwrap_err().to_string();
    assert_eq!(e, "questions[0].options[0]: unknown field `exclusve`");
}

#[test]
fn what_may_be_left_out_or_null() {
    let form = read(|v| {
        let m = v.as_object_mut().unwrap();
        for k in ["version", "allowed_origins", "places", "codebook", "alerts"] {
            m.remove(k);
        }
        m.insert("intro".into(), Value::Null);
        m.insert("thank_you".into(), Value::Null);
        m.insert("retention_days".into(), Value::Null);
        m["questions"][0]["hint"] = Value::Null;
        m["questions"][3]["max_choices"] = Value::Null;
    });
    assert_eq!(form.version, 1);
    assert!(form.allowed_origins.is_empty() && form.places.is_empty() && form.alerts.is_empty());
    assert_eq!(
        (form.intro, form.codebook, form.retention_days),
        (None, None, None)
    );
    assert!(matches!(
        form.questions[3].kind,
        Kind::MultipleChoice {
            max_choices: None,
            ..
        }
    ));
    // Fields a kind does not have are ignored, whatever they hold.
    let form = read(|v| v["questions"][1]["options"] = json!("not options"));
    assert!(matches!(
        form.questions[1].kind,
        Kind::Scale { min: 1, max: 5, .. }
    ));
    // A field present must hold a value where the format has no null.
    assert_eq!(
        refused(|v| v["version"] = Value::Null),
        at("version", "expected a whole number from 0")
    );
    let form = read(|_| {});
    assert_eq!(form.alerts[1].when, AlertCondition::SentimentBelow(-0.5));
    // A rule on the comment's label instead of its score.
    let form = read(|v| {
        v["alerts"][1] = json!({"id": "angry", "question": "comment", "sentiment_is": "negative"})
    });
    assert_eq!(
        form.alerts[1].when,
        AlertCondition::SentimentIs(SentimentLabel::Negative)
    );
    assert_eq!(
        refused(|v| {
            v["alerts"][1] = json!({"id": "angry", "question": "comment", "sentiment_is": "cross"})
        }),
        at(
            "alerts[1].sentiment_is",
            "expected positive, neutral or negative"
        )
    );
    assert_eq!(
        refused(|v| {
            v["alerts"][1] = json!({"id": "angry", "question": "comment", "sentiment_is": -1})
        }),
        at("alerts[1].sentiment_is", "expected a string")
    );
    assert_eq!(
        refused(|v| v["alerts"][1]["sentiment_is"] = json!("negative")),
        at(
            "alerts[1]",
            "an alert rule has one of any_of, sentiment_below and sentiment_is, not two"
        )
    );
    assert_eq!(
        refused(|v| v["alerts"][1] = json!({"id": "angry", "question": "comment"})),
        at(
            "alerts[1]",
            "an alert rule needs any_of, sentiment_below or sentiment_is"
        )
    );
}

#[test]
fn the_examples_read_the_same_from_their_own_output() {
    for name in FORMS {
        let source: Value = serde_json::from_str(&form_source(name)).unwrap();
        let form = Form::from_value(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = serde_json::to_value(&form).unwrap();
        assert_eq!(Form::from_value(&written).as_ref(), Ok(&form), "{name}");
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        "[a-z_]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn reading_never_panics_on_any_value(v in arb_json()) {
        let _ = Form::from_value(&v);
    }

    /// Any one field of the base form replaced by any value: read or
    /// refused with a path, never a panic.
    #[test]
    fn a_replaced_field_is_read_or_blamed(q in 0..5usize, key in "[a-z_]{1,12}", v in arb_json()) {
        let mut form = base();
        form["questions"][q][key.as_str()] = v;
        if let Err(e) = Form::from_value(&form) {
            prop_assert!(e.path.starts_with(&format!("questions[{q}]")), "{e}");
        }
    }
}
