//! Property tests: validation never panics on any JSON, and on well-typed
//! answers it blames only fields that exist.

use crate::util::{example, uuid, FORMS, TOP_LEVEL};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use std::sync::LazyLock;
use survey::{check_form, validate_json, Form, Kind, ProblemKind, Question};

static REAL: LazyLock<Vec<Form>> = LazyLock::new(|| FORMS.iter().map(|n| example(n)).collect());

/// Strings that mean something to some form, mixed with arbitrary ones.
fn arb_string() -> impl Strategy<Value = String> {
    let known: Vec<String> = REAL
        .iter()
        .flat_map(|f| {
            let mut words: Vec<String> = f.questions.iter().map(|q| q.id.clone()).collect();
            words.extend(
                f.questions
                    .iter()
                    .flat_map(|q| q.options().iter().map(|o| o.id.clone())),
            );
            words.extend(f.places.iter().map(|p| p.id.clone()));
            words.extend(f.languages.iter().cloned());
            words
        })
        .chain(TOP_LEVEL.iter().map(|s| s.to_string()))
        .chain([uuid(1), "qr".into(), "embed".into(), "".into(), " ".into()])
        .collect();
    prop_oneof![
        3 => prop::sample::select(known),
        2 => any::<String>(),
        1 => "[a-z_-]{0,70}",
        1 => "\\PC{0,600}",
    ]
}

/// Any JSON value, up to a few levels deep.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-20i64..20).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| Number::from_f64(f)
            .map(Value::Number)),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(arb_string(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A body shaped like a submission, with arbitrary values everywhere.
fn arb_body() -> impl Strategy<Value = Value> {
    let field = || prop::option::of(arb_json());
    (
        field(),
        field(),
        field(),
        field(),
        field(),
        prop::collection::btree_map(arb_string(), arb_json(), 0..3),
    )
        .prop_map(|(id, answers, location, channel, lang, extra)| {
            let mut m: Map<String, Value> = extra.into_iter().collect();
            for (k, v) in [
                ("submission_id", id),
                ("answers", answers),
                ("location", location),
                ("channel", channel),
                ("lang", lang),
            ] {
                if let Some(v) = v {
                    m.insert(k.into(), v);
                }
            }
            Value::Object(m)
        })
}

/// A value of the JSON type `q` takes; its content may still be wrong
/// (an unknown option, a value off the scale, text too long).
fn well_typed(q: &Question) -> BoxedStrategy<Value> {
    let ids: Vec<String> = q
        .options()
        .iter()
        .map(|o| o.id.clone())
        .chain(["not-an-option".to_owned()])
        .collect();
    match &q.kind {
        Kind::SingleChoice { .. } => prop::sample::select(ids).prop_map(Value::String).boxed(),
        Kind::MultipleChoice { .. } => {
            let n = ids.len();
            prop::collection::vec(prop::sample::select(ids), 0..=n)
                .prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect()))
                .boxed()
        }
        Kind::Scale { min, max, .. } => ((min - 2)..=(max + 2)).prop_map(Value::from).boxed(),
        Kind::Text { max_length, .. } => {
            let max = *max_length as usize;
            prop_oneof![
                "\\PC{0,40}",
                (max - 2..=max + 2).prop_map(|n| "é".repeat(n)),
                Just("  ".to_owned()),
            ]
            .prop_map(Value::String)
            .boxed()
        }
        Kind::Location {} => {
            let places: Vec<String> = REAL[0]
                .places
                .iter()
                .map(|p| p.id.clone())
                .chain(["narnia".to_owned()])
                .collect();
            prop::sample::select(places).prop_map(Value::String).boxed()
        }
        Kind::Consent {} => any::<bool>().prop_map(Value::Bool).boxed(),
    }
}

/// Answers to any subset of a form's questions, each well typed.
fn arb_answers(form: &Form) -> BoxedStrategy<Map<String, Value>> {
    let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = form
        .questions
        .iter()
        .map(|q| {
            let id = q.id.clone();
            prop::option::weighted(0.7, well_typed(q).prop_map(move |v| (id.clone(), v))).boxed()
        })
        .collect();
    parts
        .prop_map(|v| v.into_iter().flatten().collect())
        .boxed()
}

fn form_and_answers() -> impl Strategy<Value = (usize, Map<String, Value>)> {
    (0..REAL.len()).prop_flat_map(|i| (Just(i), arb_answers(&REAL[i])))
}

/// Cases per property: 512 in the normal run (a fixed budget of a few
/// seconds); `PROPTEST_CASES=1000000 cargo test -p survey --test integration props`
/// is the long run (cargo-fuzz needs a nightly toolchain this project does
/// not install).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn validate_json_never_panics_on_any_body(i in 0..3usize, body in arb_json()) {
        let _ = validate_json(&REAL[i], &body);
    }

    #[test]
    fn validate_json_never_panics_on_submission_shaped_bodies(i in 0..3usize, body in arb_body()) {
        match validate_json(&REAL[i], &body) {
            Ok(v) => {
                // Accepted only with a real id and only answers to shown questions.
                prop_assert_eq!(v.submission_id.len(), 36);
                for id in v.answers.keys() {
                    let q = REAL[i].question(id).expect("answers are to the form's questions");
                    prop_assert!(REAL[i].is_shown(q, &v.answers));
                }
            }
            Err(problems) => prop_assert!(!problems.is_empty()),
        }
    }

    #[test]
    fn arbitrary_answers_to_real_forms_never_panic(
        i in 0..3usize,
        answers in prop::collection::btree_map(arb_string(), arb_json(), 0..12),
    ) {
        let form = &REAL[i];
        let keys: Vec<String> = answers.keys().cloned().collect();
        let body = serde_json::json!({"submission_id": uuid(3), "answers": answers.into_iter().collect::<Map<_, _>>()});
        if let Err(problems) = validate_json(form, &body) {
            for p in problems {
                let known = form.question(&p.field).is_some() || TOP_LEVEL.contains(&p.field.as_str());
                let unknown_key = p.code == ProblemKind::UnknownQuestion
                    && keys.iter().any(|k| k.starts_with(&p.field) && p.field.chars().count() == k.chars().count().min(64));
                prop_assert!(known || unknown_key, "blamed {:?}", p);
            }
        }
    }

    #[test]
    fn well_typed_answers_are_accepted_or_blame_real_questions((i, answers) in form_and_answers()) {
        let form = &REAL[i];
        let body = serde_json::json!({"submission_id": uuid(4), "answers": answers.clone()});
        match validate_json(form, &body) {
            Ok(v) => {
                for (id, a) in &v.answers {
                    prop_assert!(form.is_shown(form.question(id).unwrap(), &v.answers));
                    prop_assert!(answers.contains_key(id));
                    // What is kept is what was sent, text trimmed.
                    let sent = &answers[id];
                    let kept = a.to_json();
                    prop_assert!(&kept == sent || sent.as_str().map(str::trim) == kept.as_str());
                }
            }
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                for p in &problems {
                    prop_assert!(form.question(&p.field).is_some(), "blamed {:?}", p);
                    // Well-typed answers to the form's own questions can be
                    // wrong in content, never in type or in target.
                    prop_assert!(p.code != ProblemKind::WrongType && p.code != ProblemKind::UnknownQuestion, "{:?}", p);
                }
            }
        }
    }

    #[test]
    fn check_form_never_panics_on_any_scale(min in any::<i64>(), max in any::<i64>(), sat in any::<i64>()) {
        let mut form = REAL[2].clone();
        if let Kind::Scale { min: a, max: b, satisfied, .. } = &mut form.questions[0].kind {
            *a = min;
            *b = max;
            satisfied.push(sat);
        }
        let _ = check_form(&form);
    }
}
