//! The forms in `examples/forms`: they load, pass `check_form`, survive a
//! serde round trip, and carry what the real surveys need.

use crate::util::{example, form_source, texts, workspace, FORMS};
use survey::{check_form, AlertCondition, Atom, Form, Kind, Question, SentimentLabel};

fn scale(q: &Question) -> (i64, i64, Vec<i64>, Vec<i64>) {
    match &q.kind {
        Kind::Scale {
            min,
            max,
            labels,
            satisfied,
        } => (
            *min,
            *max,
            labels.iter().map(|l| l.value).collect(),
            satisfied.clone(),
        ),
        other => panic!("{} should be a scale, is {other:?}", q.id),
    }
}

fn label(form: &Form, question: &str, value: i64) -> String {
    let Kind::Scale { labels, .. } = &form.question(question).unwrap().kind else {
        panic!("{question} is not a scale");
    };
    let l = labels
        .iter()
        .find(|l| l.value == value)
        .expect("labelled value");
    l.text.get("en", "en").to_owned()
}

fn option_ids(form: &Form, question: &str) -> Vec<String> {
    let q = form
        .question(question)
        .unwrap_or_else(|| panic!("no question {question}"));
    q.options().iter().map(|o| o.id.clone()).collect()
}

#[test]
fn every_example_parses_and_passes_check_form() {
    for name in FORMS {
        let form = example(name);
        assert_eq!(form.id, name, "the file name is the form id");
        if let Err(problems) = check_form(&form) {
            panic!("{name}: {problems:#?}");
        }
    }
}

/// Every file in `examples/forms`, not only those in `FORMS`: the
/// collector publishes the whole folder, so a form added there is held to
/// `check_form` too, and so to having every text in each language it
/// declares.
#[test]
fn every_shipped_form_has_every_string_in_every_language_it_declares() {
    let dir = workspace().join("examples/forms");
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a readable folder").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let form: Form = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(problems) = check_form(&form) {
            let lines: Vec<String> = problems
                .iter()
                .map(|p| format!("  {}: {}", p.path, p.message))
                .collect();
            panic!(
                "{name} ({}):\n{}",
                form.languages.join(", "),
                lines.join("\n")
            );
        }
        checked.push(name);
    }
    checked.sort();
    let mut named: Vec<String> = FORMS.iter().map(|n| format!("{n}.json")).collect();
    named.sort();
    assert_eq!(checked, named, "FORMS names every shipped form");
}

#[test]
fn every_example_round_trips_through_serde_json() {
    for name in FORMS {
        let form = example(name);
        let text = serde_json::to_string_pretty(&form).unwrap();
        let again: Form = serde_json::from_str(&text).unwrap();
        assert_eq!(form, again, "{name}: parse → serialize → parse");
        // And through a `Value`, as the collector stores and serves it.
        let value = serde_json::to_value(&form).unwrap();
        assert_eq!(form, serde_json::from_value::<Form>(value.clone()).unwrap());
        // Serializing adds nothing the source did not say: the value parsed
        // from the file and the value of the re-serialized form agree on
        // every field the file gave.
        let source: serde_json::Value = serde_json::from_str(&form_source(name)).unwrap();
        for (key, v) in source.as_object().unwrap() {
            assert_eq!(
                Some(v),
                value.get(key),
                "{name}: field {key} changed in the round trip"
            );
        }
    }
}

#[test]
fn every_text_exists_in_every_language_the_form_offers() {
    for name in FORMS {
        let form = example(name);
        for (path, text) in texts(&form) {
            for lang in &form.languages {
                assert!(text.has(lang), "{name}: {path} has no '{lang}' text");
                assert!(
                    !text.get(lang, &form.default_lang).trim().is_empty(),
                    "{name}: {path} [{lang}] is blank"
                );
            }
        }
    }
}

#[test]
fn every_form_has_a_privacy_notice_a_999_warning_and_a_retention_period() {
    for name in FORMS {
        let form = example(name);
        assert!(
            form.retention_days
                .is_some_and(|d| (30..=3650).contains(&d)),
            "{name}: retention_days"
        );
        let privacy = form.privacy_notice.get("en", "en");
        for needle in [
            "City of London Police",
            "controller",
            "IP address",
            "cookies",
            "deleted after",
        ] {
            assert!(
                privacy.contains(needle),
                "{name}: the privacy notice should mention '{needle}'"
            );
        }
        for lang in &form.languages {
            let warning = form.not_for_reporting.get(lang, &form.default_lang);
            assert!(
                warning.contains("999") && warning.contains("101"),
                "{name} [{lang}]: {warning}"
            );
        }
        assert_eq!(
            form.not_for_reporting.get("en", "en"),
            "This is not for reporting crime. To report a crime call 101 or report online; in an emergency call 999."
        );
        assert!(
            form.intro.is_some() && form.thank_you.is_some(),
            "{name}: intro and thank_you"
        );
        assert!(!form.allowed_origins.is_empty(), "{name}: allowed_origins");
        for o in &form.allowed_origins {
            assert!(
                o.starts_with("https://"),
                "{name}: partner origins are https ({o})"
            );
        }
    }
}

#[test]
fn community_safety_asks_what_the_city_survey_asks() {
    let form = example("community-safety");
    assert_eq!(form.respondent_question.as_deref(), Some("respondent_type"));
    assert_eq!(
        option_ids(&form, "respondent_type"),
        ["resident", "worker", "business", "visitor", "student"]
    );
    assert!(matches!(
        form.question("area").unwrap().kind,
        Kind::Location {}
    ));
    // The area is a ward of the register (the City's 25).
    assert_eq!(form.places.len(), 25);
    for p in [
        "bishopsgate",
        "walbrook",
        "aldgate",
        "cripplegate",
        "farringdon-without",
        "tower",
    ] {
        assert!(form.place(p).is_some(), "ward {p}");
    }
    // The analysts' example query is `where=feel_safe_day:4,5`.
    for id in ["feel_safe_day", "feel_safe_dark"] {
        assert_eq!(
            scale(form.question(id).unwrap()),
            (1, 5, vec![1, 2, 3, 4, 5], vec![4, 5])
        );
        assert_eq!(label(&form, id, 1), "Very unsafe");
        assert_eq!(label(&form, id, 5), "Very safe");
    }
    assert_eq!(
        option_ids(&form, "worry"),
        ["a-lot", "a-little", "not-very", "not-at-all"]
    );
    for id in [
        "police_good_job",
        "police_rely_on",
        "police_respect",
        "police_fair",
        "police_understand",
        "police_deal_matters",
    ] {
        let (min, max, labelled, _) = scale(form.question(id).unwrap());
        assert_eq!((min, max, labelled.len()), (1, 5, 5), "{id}");
    }
    let priorities = form.question("priorities").unwrap();
    assert!(matches!(
        priorities.kind,
        Kind::MultipleChoice {
            max_choices: Some(3),
            ..
        }
    ));
    for o in [
        "anti-social-behaviour",
        "phone-bag-theft",
        "cycle-enabled-crime",
        "vawg",
        "retail-crime",
        "hate-crime",
        "drugs",
        "fraud-cyber",
        "other",
    ] {
        assert!(
            option_ids(&form, "priorities").iter().any(|x| x == o),
            "priority {o}"
        );
    }
    let comment = form.question("safety_comment").unwrap();
    assert!(matches!(
        comment.kind,
        Kind::Text {
            max_length: 1000,
            multiline: true
        }
    ));

    // Demographics are optional, each with a way out.
    for id in ["age", "gender", "ethnicity", "disability"] {
        let q = form.question(id).unwrap();
        assert!(!q.required, "{id} is optional");
        let out = q
            .options()
            .iter()
            .find(|o| o.id == "prefer-not-to-say")
            .expect("prefer not to say");
        if matches!(q.kind, Kind::MultipleChoice { .. }) {
            assert!(out.exclusive, "{id}: prefer-not-to-say stands alone");
        }
    }

    let codebook = form.codebook.as_ref().expect("a codebook");
    assert_eq!(codebook.questions, ["safety_comment"]);
    for theme in [
        "visible-policing",
        "anti-social-behaviour",
        "drugs",
        "phone-bag-theft",
        "cycle-enabled-crime",
        "vawg",
        "lighting-environment",
        "previous-victimisation",
        "crowds-night-time-economy",
        "confidence-in-police",
    ] {
        let t = codebook
            .themes
            .iter()
            .find(|t| t.id == theme)
            .unwrap_or_else(|| panic!("theme {theme}"));
        // Versions 2 and 3 of the codebook added everyday wording per theme (see
        // analysis/README.md for what it does on the evaluation set).
        assert!(
            (8..=80).contains(&t.phrases.len()),
            "{theme}: {} phrases",
            t.phrases.len()
        );
        let mut unique = t.phrases.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), t.phrases.len(), "{theme}: a phrase twice");
    }
    for t in &codebook.themes {
        for p in &t.phrases {
            assert_eq!(p, &p.to_lowercase(), "{}: phrases are lower case", t.id);
        }
    }
}

#[test]
fn victim_satisfaction_scales_run_from_very_satisfied_to_very_dissatisfied() {
    let form = example("victim-satisfaction");
    let scales = [
        "ease_of_contact",
        "response_time",
        "treatment",
        "kept_informed",
        "actions_taken",
        "overall_service",
    ];
    for id in scales {
        assert_eq!(
            scale(form.question(id).unwrap()),
            (1, 5, vec![1, 2, 3, 4, 5], vec![1, 2]),
            "{id}"
        );
        assert_eq!(label(&form, id, 1), "Very satisfied");
        assert_eq!(label(&form, id, 5), "Very dissatisfied");
        // Dissatisfied answers raise an alert at once, for service recovery.
        assert!(
            form.alerts.iter().any(|r| r.question == id
                && r.when == AlertCondition::AnyOf(vec![Atom::Int(4), Atom::Int(5)])),
            "{id} needs an any_of [4, 5] alert"
        );
    }
    assert!(form.question("overall_service").unwrap().required);
    // A negative comment raises one too, by its label (which reads
    // complaints said without a negative word), not by a score threshold.
    assert!(form
        .alerts
        .iter()
        .any(|r| r.question == "experience_comment"
            && r.when == AlertCondition::SentimentIs(SentimentLabel::Negative)));
    assert!(form.question("crime_type").is_some() && form.question("how_reported").is_some());
    let intro = form.intro.as_ref().unwrap().get("en", "en");
    assert!(
        intro.contains("voluntary") && intro.contains("will not affect your case"),
        "{intro}"
    );
    let codebook = form.codebook.as_ref().expect("a codebook");
    assert_eq!(codebook.questions, ["experience_comment"]);
    for theme in [
        "kept-informed",
        "treatment-respect",
        "delays",
        "professionalism",
        "outcome",
        "contact-access",
    ] {
        assert!(
            codebook.themes.iter().any(|t| t.id == theme),
            "theme {theme}"
        );
    }
}

#[test]
fn street_feedback_is_one_tap_in_five_languages() {
    let form = example("street-feedback");
    assert_eq!(form.languages, ["en", "pl", "es", "bn", "ar"]);
    assert_eq!(form.default_lang, "en");
    let ids: Vec<&str> = form.questions.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(ids, ["feel_safe_now", "comment"]);
    let tap = form.question("feel_safe_now").unwrap();
    assert!(tap.required);
    assert_eq!(scale(tap).0..=scale(tap).1, 1..=5);
    let comment = form.question("comment").unwrap();
    assert!(!comment.required);
    assert!(matches!(
        comment.kind,
        Kind::Text {
            max_length: 500,
            ..
        }
    ));
    // The place comes from the QR code, not from a question.
    assert!(form
        .questions
        .iter()
        .all(|q| !matches!(q.kind, Kind::Location {})));
    assert!(form.places.len() >= 10);
    // Each language really is that language, not a copy of the English.
    let en = tap.text.get("en", "en");
    for lang in ["pl", "es", "bn", "ar"] {
        assert_ne!(tap.text.get(lang, "en"), en, "{lang}");
        assert_ne!(
            form.privacy_notice.get(lang, "en"),
            form.privacy_notice.get("en", "en"),
            "{lang}"
        );
    }
}

#[test]
fn forms_take_their_places_from_one_register() {
    // A QR code's place means the same in every form: none lists its own.
    for name in FORMS {
        let text = form_source(name);
        let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            raw.get("places").is_none(),
            "{name} lists places of its own"
        );
    }
    let sf = example("street-feedback");
    let sp = example("street-pulse");
    assert_eq!(sf.places, sp.places);
    assert!(sf.place("liverpool-street").is_some());
}

#[test]
fn partner_page_embeds_a_real_form_at_a_real_place() {
    let html = std::fs::read_to_string(workspace().join("examples/partner-page.html")).unwrap();
    let attr = |name: &str| {
        let start = html
            .find(&format!("{name}=\""))
            .unwrap_or_else(|| panic!("{name} missing"))
            + name.len()
            + 2;
        html[start..].split('"').next().unwrap().to_owned()
    };
    assert!(html.contains("src=\"http://127.0.0.1:8080/widget.js\""));
    let form = example(&attr("data-form"));
    assert!(form.id == "community-safety");
    // The QR place is a site of the register, whose ward the form's
    // picker lists.
    let register: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("examples/places.json")).unwrap(),
    )
    .unwrap();
    let loc = attr("data-location");
    let site = register["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == loc.as_str())
        .unwrap_or_else(|| panic!("no site {loc}"));
    assert!(form.place(site["ward"].as_str().unwrap()).is_some());
}

/// Every form with free text ships safeguarding phrases in each of its
/// languages and the numbers the force gives (999, 101, Victim Support,
/// Samaritans); the English lists are the same in every form, so the
/// figures measured on one hold for all.
#[test]
fn every_form_with_free_text_ships_safeguarding_phrases_and_numbers() {
    let mut english = Vec::new();
    for name in FORMS {
        let form = example(name);
        if !form
            .questions
            .iter()
            .any(|q| matches!(q.kind, Kind::Text { .. }))
        {
            continue;
        }
        let sg = form
            .safeguarding
            .as_ref()
            .unwrap_or_else(|| panic!("{name} has free text but no safeguarding section"));
        for category in survey::Category::ALL {
            let lists: Vec<_> = sg.lists.iter().filter(|l| l.category == category).collect();
            for lang in &form.languages {
                assert!(
                    lists
                        .iter()
                        .any(|l| l.lang == *lang && l.phrases.len() >= 10),
                    "{name}: few {} phrases in {lang}",
                    category.as_str()
                );
            }
            let en = lists.iter().find(|l| l.lang == "en").expect("English");
            english.push((name, category, en.phrases.clone()));
        }
        let numbers: Vec<String> = sg.contacts.iter().map(|c| c.tel()).collect();
        for n in ["999", "101", "08081689111", "116123"] {
            assert!(numbers.iter().any(|x| x == n), "{name}: no {n}");
        }
    }
    for (name, category, list) in &english {
        let (_, _, first) = english
            .iter()
            .find(|(_, c, _)| c == category)
            .expect("a first form");
        assert_eq!(list, first, "{name}: English {} differs", category.as_str());
    }
}
