//! `check_form` refusing broken form definitions before they are published,
//! each with the path of the fault.

use crate::util::example;
use serde_json::{json, Value};
use survey::{check_form, Form};

/// A small, correct two-language form to break in one place at a time:
/// every text in English and Polish but the place names, which may stay
/// plain.
pub fn base() -> Value {
    json!({
        "id": "base",
        "version": 1,
        "title": {"en": "Title", "pl": "Tytuł"},
        "default_lang": "en",
        "languages": ["en", "pl"],
        "allowed_origins": ["https://partner.example", "http://127.0.0.1:8080"],
        "privacy_notice": {"en": "Privacy", "pl": "Prywatność"},
        "not_for_reporting": {"en": "Not for reporting crime", "pl": "Nie do zgłaszania przestępstw"},
        "places": [{"id": "bank", "name": "Bank"}, {"id": "aldgate", "name": "Aldgate"}],
        "respondent_question": "who",
        "questions": [
            {"id": "who", "kind": "single_choice", "text": {"en": "Who?", "pl": "Kto?"},
             "options": [{"id": "resident", "text": {"en": "Resident", "pl": "Mieszkaniec"}},
                         {"id": "worker", "text": {"en": "Worker", "pl": "Pracownik"}}]},
            {"id": "safe", "kind": "scale", "text": {"en": "Safe?", "pl": "Bezpiecznie?"},
             "min": 1, "max": 5,
             "labels": [{"value": 1, "text": {"en": "Very unsafe", "pl": "Bardzo niebezpiecznie"}},
                        {"value": 5, "text": {"en": "Very safe", "pl": "Bardzo bezpiecznie"}}],
             "satisfied": [4, 5]},
            {"id": "where", "kind": "location", "text": {"en": "Where?", "pl": "Gdzie?"},
             "show_if": {"question": "who", "any_of": ["worker"]}},
            {"id": "pick", "kind": "multiple_choice", "text": {"en": "Pick", "pl": "Wybierz"},
             "max_choices": 2,
             "options": [{"id": "a", "text": {"en": "A", "pl": "A"}},
                         {"id": "b", "text": {"en": "B", "pl": "B"}},
                         {"id": "none", "text": {"en": "None", "pl": "Żadne"}, "exclusive": true}]},
            {"id": "comment", "kind": "text", "text": {"en": "Comment", "pl": "Komentarz"},
             "max_length": 500}
        ],
        "codebook": {"questions": ["comment"],
                     "themes": [{"id": "lighting", "label": "Lighting", "phrases": ["dark", "street lights"]}]},
        "alerts": [
            {"id": "unsafe", "question": "safe", "any_of": [1]},
            {"id": "angry", "question": "comment", "sentiment_below": -0.5}
        ]
    })
}

/// Every text of the base form, in the order `check_form` names them: all
/// but the place names, which are plain.
const TEXTS: [&str; 15] = [
    "title",
    "privacy_notice",
    "not_for_reporting",
    "questions[0].text",
    "questions[0].options[0].text",
    "questions[0].options[1].text",
    "questions[1].text",
    "questions[1].labels[0].text",
    "questions[1].labels[1].text",
    "questions[2].text",
    "questions[3].text",
    "questions[3].options[0].text",
    "questions[3].options[1].text",
    "questions[3].options[2].text",
    "questions[4].text",
];

/// `first`, then every text of the base form.
fn and_every_text(first: &[&str]) -> Vec<String> {
    first.iter().chain(&TEXTS).map(|s| s.to_string()).collect()
}

/// The paths `check_form` blames after `edit` is applied to the base form.
fn blamed(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut v = base();
    edit(&mut v);
    let form: Form = serde_json::from_value(v).expect("the edited form still parses");
    match check_form(&form) {
        Ok(()) => vec![],
        Err(problems) => {
            for p in &problems {
                assert!(!p.message.is_empty());
            }
            problems.into_iter().map(|p| p.path).collect()
        }
    }
}

#[test]
fn the_base_form_is_fine() {
    assert_eq!(blamed(|_| {}), Vec::<String>::new());
}

#[test]
fn show_if_must_point_backwards() {
    // Forward: the condition names a later question.
    assert_eq!(
        blamed(|v| v["questions"][1]["show_if"] = json!({"question": "comment", "any_of": ["x"]})),
        ["questions[1].show_if.question"]
    );
    // Itself.
    assert_eq!(
        blamed(|v| v["questions"][1]["show_if"] = json!({"question": "safe", "any_of": [1]})),
        ["questions[1].show_if.question"]
    );
    // Nowhere.
    assert_eq!(
        blamed(|v| v["questions"][2]["show_if"]["question"] = json!("nobody")),
        ["questions[2].show_if.question"]
    );
}

#[test]
fn show_if_must_name_possible_answers() {
    assert_eq!(
        blamed(|v| v["questions"][2]["show_if"]["any_of"] = json!(["tourist"])),
        ["questions[2].show_if"]
    );
    assert_eq!(
        blamed(|v| v["questions"][2]["show_if"]["any_of"] = json!([])),
        ["questions[2].show_if.any_of"]
    );
    // A scale value as a string is not a scale value.
    assert_eq!(
        blamed(|v| v["questions"][4]["show_if"] = json!({"question": "safe", "any_of": ["1"]})),
        ["questions[4].show_if"]
    );
    assert_eq!(
        blamed(|v| v["questions"][4]["show_if"] = json!({"question": "safe", "any_of": [6]})),
        ["questions[4].show_if"]
    );
}

#[test]
fn ids_must_be_unique_slugs() {
    // The alert on the renamed question loses its target too.
    assert_eq!(
        blamed(|v| v["questions"][1]["id"] = json!("who")),
        ["questions[1].id", "alerts[0].question"]
    );
    assert_eq!(
        blamed(|v| v["questions"][4]["id"] = json!("Comment!")),
        [
            "questions[4].id",
            "codebook.questions[0]",
            "alerts[1].question"
        ]
    );
    assert_eq!(
        blamed(|v| v["questions"][0]["options"][0]["id"] = json!("worker")),
        ["questions[0].options[1].id"]
    );
    assert_eq!(
        blamed(|v| v["places"][1]["id"] = json!("bank")),
        ["places[1].id"]
    );
    assert_eq!(blamed(|v| v["id"] = json!("Community Safety")), ["id"]);
    assert_eq!(
        blamed(|v| v["codebook"]["themes"][0]["id"] = json!("Lighting")),
        ["codebook.themes[0].id"]
    );
    assert_eq!(
        blamed(|v| v["alerts"][1]["id"] = json!("unsafe")),
        ["alerts[1].id"]
    );
}

#[test]
fn every_text_needs_the_default_language() {
    assert_eq!(blamed(|v| v["title"] = json!({"pl": "Tytuł"})), ["title"]);
    assert_eq!(
        blamed(|v| v["questions"][0]["options"][0]["text"] = json!({"pl": "Mieszkaniec"})),
        ["questions[0].options[0].text"]
    );
    assert_eq!(
        blamed(|v| v["questions"][1]["labels"][0]["text"] = json!({"pl": "Bardzo niebezpiecznie"})),
        ["questions[1].labels[0].text"]
    );
    assert_eq!(
        blamed(|v| v["questions"][0]["hint"] = json!({"pl": "Podpowiedź"})),
        ["questions[0].hint"]
    );
    assert_eq!(
        blamed(|v| v["places"][0]["name"] = json!({"pl": "Bank"})),
        ["places[0].name"]
    );
    assert_eq!(
        blamed(|v| v["privacy_notice"] = json!("   ")),
        ["privacy_notice"]
    );
    // The list lacks Welsh, and so does every localized text.
    assert_eq!(
        blamed(|v| v["default_lang"] = json!("cy")),
        and_every_text(&["languages"])
    );
    // `english` passes for a language code (no `languages[1]`), and then
    // every text lacks it; `p l` does not.
    assert_eq!(
        blamed(|v| v["languages"] = json!(["en", "english"])),
        and_every_text(&[])
    );
    assert_eq!(
        blamed(|v| v["languages"] = json!(["en", "p l"])),
        and_every_text(&["languages[1]"])
    );
}

#[test]
fn a_form_of_several_languages_has_every_text_in_each() {
    // A plain string is refused: it is almost always the English left
    // untranslated.
    assert_eq!(
        blamed(|v| v["questions"][3]["options"][2]["text"] = json!("None")),
        ["questions[3].options[2].text"]
    );
    assert_eq!(
        blamed(|v| v["questions"][0]["hint"] = json!({"en": "Hint"})),
        ["questions[0].hint"]
    );
    // A third language must then be in every text, the place names
    // (plain, the same in every language) aside.
    assert_eq!(
        blamed(|v| v["languages"] = json!(["en", "pl", "ar"])),
        and_every_text(&[])
    );
}

#[test]
fn origins_must_be_what_a_browser_sends() {
    for good in [
        "https://www.cityoflondon.gov.uk",
        "http://127.0.0.1:8080",
        "http://localhost:3000",
        "https://[::1]:8443",
        "https://xn--bcher-kva.example",
    ] {
        assert_eq!(
            blamed(|v| v["allowed_origins"] = json!([good])),
            Vec::<String>::new(),
            "{good}"
        );
    }
    for bad in [
        "https://partner.example/",
        "https://partner.example/news",
        "https://partner.example?x=1",
        "https://partner.example#top",
        "https://Partner.Example",
        "https://user@partner.example",
        "https://partner.example:",
        "https://partner.example:port",
        "https://",
        "partner.example",
        "ftp://partner.example",
        "*",
        "null",
        "https://.example",
        "https://partner example",
        "https://[::1",
    ] {
        assert_eq!(
            blamed(|v| v["allowed_origins"] = json!(["https://ok.example", bad])),
            ["allowed_origins[1]"],
            "{bad}"
        );
    }
}

#[test]
fn question_kinds_must_make_sense() {
    assert_eq!(
        blamed(|v| v["questions"][0]["options"] =
            json!([{"id": "worker", "text": {"en": "Worker", "pl": "Pracownik"}}])),
        ["questions[0].options"]
    );
    assert_eq!(
        blamed(|v| v["questions"][3]["max_choices"] = json!(0)),
        ["questions[3].max_choices"]
    );
    assert_eq!(
        blamed(|v| v["questions"][3]["max_choices"] = json!(4)),
        ["questions[3].max_choices"]
    );
    assert_eq!(
        blamed(|v| v["questions"][1]["min"] = json!(5)),
        [
            "questions[1].max",
            "questions[1].labels[0]",
            "questions[1].satisfied",
            "alerts[0].any_of"
        ]
    );
    assert_eq!(
        blamed(|v| v["questions"][1]["max"] = json!(100)),
        ["questions[1].max"]
    );
    assert_eq!(
        blamed(|v| v["questions"][1]["satisfied"] = json!([0])),
        ["questions[1].satisfied"]
    );
    assert_eq!(
        blamed(|v| v["questions"][4]["max_length"] = json!(0)),
        ["questions[4].max_length"]
    );
    assert_eq!(
        blamed(|v| v["questions"][4]["max_length"] = json!(100_000)),
        ["questions[4].max_length"]
    );
    assert_eq!(blamed(|v| v["places"] = json!([])), ["questions[2].kind"]);
    assert_eq!(
        blamed(|v| v["respondent_question"] = json!("safe")),
        ["respondent_question"]
    );
    assert_eq!(blamed(|v| v["version"] = json!(0)), ["version"]);
    // Headline shares: a choice question and its own options.
    assert_eq!(
        blamed(|v| v["headlines"] = json!([{"question": "safe", "answers": ["4"]}])),
        ["headlines[0].question"]
    );
    assert_eq!(
        blamed(|v| v["headlines"] = json!([{"question": "pick", "answers": ["a"]}])),
        ["headlines[0].question"],
        "multiple choice: a person may tick several"
    );
    assert_eq!(
        blamed(|v| v["headlines"] = json!([{"question": "who", "answers": ["worker", "z"]}])),
        ["headlines[0].answers[1]"]
    );
    assert_eq!(
        blamed(|v| v["headlines"] = json!([{"question": "who", "answers": ["worker", "worker"]}])),
        ["headlines[0].answers[1]"]
    );
    assert_eq!(
        blamed(|v| v["headlines"] = json!([{"question": "who", "answers": []}])),
        ["headlines[0].answers"]
    );
    // One share a question: "worker or resident" beside "worker" would show
    // how many residents, however few.
    assert_eq!(
        blamed(|v| v["headlines"] = json!([
            {"question": "who", "answers": ["worker", "resident"]},
            {"question": "who", "answers": ["worker"]}
        ])),
        ["headlines[1].question"]
    );
    let mut ok = base();
    ok["headlines"] = json!([{"question": "who", "answers": ["worker"]}]);
    let form = Form::from_value(&ok).unwrap();
    assert!(check_form(&form).is_ok());
    assert_eq!(form.headlines[0].answers, ["worker"]);
}

#[test]
fn extreme_scale_bounds_are_refused_without_overflow() {
    // Regression: `max - min` overflowed (a panic in debug builds) for a
    // scale from i64::MIN; a form uploaded by an admin must never crash
    // the collector.
    for (min, max) in [(i64::MIN, 1), (i64::MIN, i64::MAX), (-1, i64::MAX)] {
        assert_eq!(
            blamed(|v| {
                v["questions"][1]["min"] = json!(min);
                v["questions"][1]["max"] = json!(max);
                v["questions"][1]["labels"] = json!([]);
                v["questions"][1]["satisfied"] = json!([]);
                v["alerts"] = json!([]);
            }),
            ["questions[1].max"]
        );
    }
}

#[test]
fn codebooks_and_alerts_must_point_at_the_right_questions() {
    assert_eq!(
        blamed(|v| v["codebook"]["questions"] = json!(["safe"])),
        ["codebook.questions[0]"]
    );
    assert_eq!(
        blamed(|v| v["codebook"]["themes"][0]["phrases"] = json!([])),
        ["codebook.themes[0].phrases"]
    );
    assert_eq!(
        blamed(|v| v["codebook"]["themes"][0]["phrases"] = json!(["dark", " "])),
        ["codebook.themes[0].phrases"]
    );
    assert_eq!(
        blamed(|v| v["alerts"][0]["question"] = json!("nobody")),
        ["alerts[0].question"]
    );
    assert_eq!(
        blamed(|v| v["alerts"][0]["any_of"] = json!([9])),
        ["alerts[0].any_of"]
    );
    assert_eq!(
        blamed(|v| v["alerts"][0]["any_of"] = json!([])),
        ["alerts[0].any_of"]
    );
    assert_eq!(
        blamed(|v| v["alerts"][1]["question"] = json!("safe")),
        ["alerts[1].sentiment_below"]
    );
    assert_eq!(
        blamed(|v| v["alerts"][1]["sentiment_below"] = json!(-2.0)),
        ["alerts[1].sentiment_below"]
    );
    assert_eq!(
        blamed(|v| {
            v["alerts"][1] = json!({"id": "angry", "question": "safe", "sentiment_is": "negative"})
        }),
        ["alerts[1].sentiment_is"]
    );
}

#[test]
fn unknown_fields_are_refused_where_the_wire_format_is_strict() {
    // A typo in a form-level field must not be silently ignored.
    let mut v = base();
    v["retention_dayz"] = json!(30);
    assert!(serde_json::from_value::<Form>(v).is_err());
    let mut v = base();
    v["questions"][0]["options"][0]["exclusve"] = json!(true);
    assert!(serde_json::from_value::<Form>(v).is_err());
    let mut v = base();
    v["questions"][0]["kind"] = json!("dropdown");
    assert!(serde_json::from_value::<Form>(v).is_err());
}

#[test]
fn a_broken_example_is_caught() {
    // The real forms are checked too, not only the toy one: break one.
    let mut form = example("victim-satisfaction");
    let last = form.questions.len() - 1;
    form.questions.swap(0, last);
    let problems = check_form(&form).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.path.ends_with(".show_if.question")),
        "{problems:#?}"
    );
}
