//! The safeguarding section: read, checked before publishing (each fault
//! with its path), and matched the same way whoever holds the answers.

use crate::check::base;
use serde_json::{json, Value};
use survey::{check_form, Answer, Category, Form};

fn section() -> Value {
    json!({
        "version": "2025-06-1",
        "phrases": {
            "self_harm": {"en": ["kill myself", "end it all"], "pl": ["zabi* się"]},
            "threat": {"en": ["threatened to stab*"], "pl": ["grozi* mi"]}
        },
        "contacts": [
            {"label": {"en": "If you are in danger now", "pl": "Jeśli grozi Ci niebezpieczeństwo"}, "number": "999"},
            {"label": {"en": "Samaritans", "pl": "Samaritans"}, "number": "116 123", "hint": {"en": "Free, any time", "pl": "Bezpłatnie"}}
        ]
    })
}

fn with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = base();
    v["safeguarding"] = section();
    edit(&mut v["safeguarding"]);
    v
}

/// The paths `check_form` blames.
fn blamed(v: Value) -> Vec<String> {
    let form: Form = serde_json::from_value(v).expect("the form parses");
    match check_form(&form) {
        Ok(()) => vec![],
        Err(problems) => problems.into_iter().map(|p| p.path).collect(),
    }
}

#[test]
fn a_correct_section_passes_and_round_trips() {
    let v = with(|_| {});
    assert_eq!(blamed(v.clone()), Vec::<String>::new());
    let form: Form = serde_json::from_value(v).unwrap();
    let again: Form = serde_json::from_str(&serde_json::to_string(&form).unwrap()).unwrap();
    assert_eq!(form, again);
    let sg = form.safeguarding.as_ref().unwrap();
    assert_eq!(sg.version, "2025-06-1");
    assert_eq!(sg.contacts[1].tel(), "116123");
    assert_eq!(
        serde_json::to_value(&form).unwrap()["safeguarding"],
        section()
    );
}

#[test]
fn faults_are_named_with_their_path() {
    assert_eq!(
        blamed(with(|s| s["version"] = json!(" "))),
        ["safeguarding.version"]
    );
    assert_eq!(
        blamed(with(|s| s["phrases"] = json!({}))),
        ["safeguarding.phrases"]
    );
    assert_eq!(
        blamed(with(|s| {
            s["phrases"]["threat"].as_object_mut().unwrap().remove("pl");
        })),
        ["safeguarding.phrases.threat"],
        "every language of the form has phrases"
    );
    assert_eq!(
        blamed(with(|s| s["phrases"]["threat"]["de"] = json!(["droht"]))),
        ["safeguarding.phrases.threat.de"]
    );
    assert_eq!(
        blamed(with(|s| s["phrases"]["self_harm"]["en"][1] = json!("?!"))),
        ["safeguarding.phrases.self_harm.en[1]"]
    );
    assert_eq!(
        blamed(with(|s| s["phrases"]["self_harm"]["en"][0] = json!("k*ll"))),
        ["safeguarding.phrases.self_harm.en[0]"]
    );
    assert_eq!(
        blamed(with(|s| s["contacts"] = json!([]))),
        ["safeguarding.contacts"]
    );
    assert_eq!(
        blamed(with(
            |s| s["contacts"][0]["number"] = json!("999\"><script>")
        )),
        ["safeguarding.contacts[0].number"]
    );
    assert_eq!(
        blamed(with(|s| s["contacts"][1]["number"] = json!("12"))),
        ["safeguarding.contacts[1].number"]
    );
    assert_eq!(
        blamed(with(
            |s| s["contacts"][0]["label"] = json!({"pl": "Tylko po polsku"})
        )),
        ["safeguarding.contacts[0].label"],
        "text in the default language"
    );
}

#[test]
fn bad_shapes_are_refused_by_the_reader_with_their_path() {
    let path = |v: Value| Form::from_value(&v).unwrap_err().path;
    assert_eq!(
        path(with(|s| s["phrases"]["selfharm"] = json!({"en": ["x"]}))),
        "safeguarding.phrases.selfharm"
    );
    assert_eq!(
        path(with(|s| s["phrases"]["threat"]["en"][0] = json!(3))),
        "safeguarding.phrases.threat.en[0]"
    );
    assert_eq!(
        path(with(|s| s["contacts"][0]["tel"] = json!("999"))),
        "safeguarding.contacts[0]"
    );
    assert_eq!(path(with(|s| s["colour"] = json!("red"))), "safeguarding");
}

#[test]
fn only_free_text_answers_are_read() {
    let form: Form = serde_json::from_value(with(|_| {})).unwrap();
    let answers = [
        ("comment", Answer::Text("He threatened to stab me".into())),
        // An option id that happens to read as a phrase is not free text.
        ("who", Answer::Text("kill myself".into())),
    ];
    let text = |id: &str| {
        answers
            .iter()
            .find(|(q, _)| *q == id)
            .and_then(|(_, a)| match a {
                Answer::Text(s) => Some(s.as_str()),
                _ => None,
            })
    };
    let m = form.safeguarding_matches(text);
    assert_eq!(m.categories().collect::<Vec<_>>(), [Category::Threat]);

    let none: Form = serde_json::from_value(base()).unwrap();
    assert!(
        none.safeguarding_matches(text).is_empty(),
        "no section, no match"
    );
}

#[test]
fn polish_inflections_match_through_a_star() {
    let form: Form = serde_json::from_value(with(|_| {})).unwrap();
    let sg = form.safeguarding.unwrap();
    for text in [
        "zabije sie",
        "Zabiję się dziś",
        "chyba zabić się",
        "grozi mi śmiercią",
    ] {
        assert!(!sg.check(text).is_empty(), "{text}");
    }
    // Word order is the list's business: "się zabić" needs its own phrase.
    assert!(sg.check("Chcę się zabić").is_empty());
}

proptest::proptest! {
    /// Any text at all: matching never panics, and normalising twice
    /// changes nothing more (the text and the phrases meet halfway).
    #[test]
    fn matching_never_panics_and_normalising_is_stable(text in "\\PC{0,80}") {
        let form: Form = serde_json::from_value(with(|_| {})).unwrap();
        let _ = form.safeguarding.as_ref().unwrap().check(&text);
        let once = survey::normalise(&text);
        proptest::prop_assert_eq!(survey::normalise(&once), once.clone());
        proptest::prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
    }
}
