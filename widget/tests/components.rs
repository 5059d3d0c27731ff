//! Component tests in headless Chromium: the widget is mounted into a
//! created element, driven through the DOM as a person would, and the
//! rendered markup checked for the GOV.UK patterns it promises.
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p widget
//! --target wasm32-unknown-unknown` (the runner is set in .cargo/config.toml).
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use widget::components::{App, AppProps, Options};

wasm_bindgen_test_configure!(run_in_browser);

const SHORT: &str = r#"{
  "id": "street", "title": {"en": "How safe do you feel here?", "ar": "ما مدى شعورك بالأمان هنا؟"},
  "default_lang": "en", "languages": ["en", "ar"],
  "privacy_notice": "We keep answers for a year.", "not_for_reporting": "Not for reporting crime. In an emergency call 999.",
  "questions": [
    {"id": "safe", "kind": "scale", "text": {"en": "How safe do you feel?", "ar": "ما مدى أمانك؟"}, "required": true,
     "min": 1, "max": 5, "labels": [{"value": 1, "text": "Very safe"}, {"value": 5, "text": "Very unsafe"}]},
    {"id": "comment", "kind": "text", "text": "Anything else?", "max_length": 20}
  ]
}"#;

const LONG: &str = r#"{
  "id": "cs", "title": "Community safety", "default_lang": "en", "languages": ["en"],
  "privacy_notice": "p", "not_for_reporting": "n",
  "places": [{"id": "bank", "name": "Bank"}, {"id": "aldgate", "name": "Aldgate"}],
  "questions": [
    {"id": "who", "kind": "single_choice", "text": "Which describes you?", "required": true,
     "options": [{"id": "resident", "text": "Resident"}, {"id": "worker", "text": "Worker"}]},
    {"id": "years", "kind": "single_choice", "text": "How long have you lived here?", "required": true,
     "show_if": {"question": "who", "any_of": ["resident"]},
     "options": [{"id": "short", "text": "Under a year"}, {"id": "long", "text": "A year or more"}]},
    {"id": "day", "kind": "scale", "text": "Safe by day", "min": 0, "max": 10, "required": true,
     "labels": [{"value": 0, "text": "Not at all"}, {"value": 10, "text": "Completely"}]},
    {"id": "prio", "kind": "multiple_choice", "text": "Priorities", "max_choices": 2,
     "options": [{"id": "asb", "text": "Anti-social behaviour"}, {"id": "theft", "text": "Phone theft"},
                 {"id": "fraud", "text": "Fraud"}]},
    {"id": "where", "kind": "location", "text": "Where?"},
    {"id": "why", "kind": "text", "text": "Why?", "max_length": 100, "multiline": true},
    {"id": "ok", "kind": "consent", "text": "I agree", "required": true}
  ]
}"#;

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn mount(def: &str, lang: &str, origin: &str) -> Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    let options = Options {
        origin: origin.into(),
        form: "t".into(),
        lang: lang.into(),
        location: None,
        channel: "embed".into(),
        on_ready: None,
        definition: Some(Rc::new(serde_json::from_str(def).unwrap())),
        ..Options::default()
    };
    yew::Renderer::<App>::with_root_and_props(
        root.clone(),
        AppProps {
            options: Rc::new(options),
        },
    )
    .render();
    root
}

async fn settle() {
    yew::scheduler::flush().await;
}

async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    settle().await;
}

fn q(root: &Element, sel: &str) -> Element {
    root.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("no {sel} in {}", root.inner_html()))
}

fn all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into().unwrap())
        .collect()
}

fn click(root: &Element, sel: &str) {
    q(root, sel).dyn_into::<HtmlElement>().unwrap().click();
}

fn type_into(root: &Element, sel: &str, text: &str) {
    let input: HtmlElement = q(root, sel).dyn_into().unwrap();
    if let Some(i) = input.dyn_ref::<HtmlInputElement>() {
        i.set_value(text);
    } else if let Some(t) = input.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        t.set_value(text);
    }
    let ev = web_sys::InputEvent::new("input").unwrap();
    input.dispatch_event(&ev).unwrap();
}

fn submit(root: &Element) {
    click(root, "button[type=submit]");
}

fn text(root: &Element, sel: &str) -> String {
    q(root, sel).text_content().unwrap_or_default()
}

#[wasm_bindgen_test]
async fn short_form_uses_fieldsets_labels_and_sets_the_language() {
    let root = mount(SHORT, "en-GB", "http://127.0.0.1:9");
    settle().await;
    let cfw = q(&root, ".cfw");
    assert_eq!(cfw.get_attribute("lang").as_deref(), Some("en"));
    assert_eq!(cfw.get_attribute("dir").as_deref(), Some("ltr"));
    assert_eq!(text(&root, "legend"), "How safe do you feel?");
    // Every input has a label bound to it.
    for input in all(&root, "input, textarea") {
        let id = input.id();
        assert!(!id.is_empty());
        assert!(
            root.query_selector(&format!("label[for='{id}']"))
                .unwrap()
                .is_some(),
            "no label for {id}"
        );
    }
    assert_eq!(all(&root, "input[type=radio]").len(), 5);
    assert!(text(&root, "label[for='f-comment']").contains("(optional)"));
    // One page, no progress for a short form.
    assert!(root.query_selector(".prog").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn errors_show_in_a_focused_summary_linking_to_each_field() {
    let root = mount(SHORT, "en", "http://127.0.0.1:9");
    settle().await;
    type_into(&root, "#f-comment", "this is far too long for the box");
    settle().await;
    submit(&root);
    settle().await;
    let summary = q(&root, ".es");
    assert_eq!(text(&root, ".es h2"), "There is a problem");
    let active = document().active_element().unwrap();
    assert!(
        active.is_same_node(Some(&summary)),
        "the summary takes focus"
    );
    let links: Vec<String> = all(&root, ".es a")
        .iter()
        .map(|a| a.get_attribute("href").unwrap())
        .collect();
    assert_eq!(links, vec!["#f-safe", "#f-comment"]);
    assert!(text(&root, "#f-safe-error").contains("Select an answer"));
    assert!(text(&root, "#f-comment-error").contains("20 characters or fewer"));
    assert!(q(&root, "fieldset")
        .get_attribute("aria-describedby")
        .unwrap()
        .contains("f-safe-error"));
    // Following a link focuses the field.
    click(&root, ".es a");
    settle().await;
    assert_eq!(document().active_element().unwrap().id(), "f-safe");
    // Answering clears its error.
    click(&root, "#f-safe-2");
    settle().await;
    assert!(root.query_selector("#f-safe-error").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn arabic_is_right_to_left_and_the_language_switch_changes_it() {
    let root = mount(SHORT, "ar", "http://127.0.0.1:9");
    settle().await;
    assert_eq!(
        q(&root, ".cfw").get_attribute("dir").as_deref(),
        Some("rtl")
    );
    assert_eq!(
        q(&root, ".cfw").get_attribute("lang").as_deref(),
        Some("ar")
    );
    assert_eq!(text(&root, "button[type=submit]"), "إرسال");
    assert_eq!(text(&root, ".langs [aria-current]"), "العربية");
    click(&root, ".langs button[lang=en]");
    settle().await;
    assert_eq!(
        q(&root, ".cfw").get_attribute("dir").as_deref(),
        Some("ltr")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Submit");
}

#[wasm_bindgen_test]
async fn long_form_steps_follow_show_if_and_end_in_a_review() {
    let root = mount(LONG, "en", "http://127.0.0.1:9");
    settle().await;
    assert_eq!(text(&root, ".prog"), "Question 1 of 6");
    submit(&root);
    settle().await;
    assert_eq!(
        all(&root, ".es a").len(),
        1,
        "cannot go on without an answer"
    );
    click(&root, "#f-who");
    settle().await;
    submit(&root);
    settle().await;
    assert_eq!(
        text(&root, ".prog"),
        "Question 2 of 7",
        "the resident-only question appears"
    );
    assert_eq!(
        document().active_element().unwrap().class_name(),
        "prog",
        "focus moves to the new step"
    );
    assert_eq!(text(&root, "legend"), "How long have you lived here?");
    click(&root, "#f-years-long");
    settle().await;
    submit(&root);
    settle().await;
    // 0–10 scale: eleven targets in a wrapping row.
    assert_eq!(all(&root, ".row input[type=radio]").len(), 11);
    click(&root, "#f-day-7");
    settle().await;
    submit(&root);
    settle().await;
    for id in ["#f-prio", "#f-prio-theft"] {
        click(&root, id);
    }
    settle().await;
    submit(&root);
    settle().await;
    submit(&root); // where: optional
    settle().await;
    type_into(&root, "#f-why", "Good lighting");
    settle().await;
    submit(&root);
    settle().await;
    click(&root, "#f-ok");
    settle().await;
    submit(&root);
    settle().await;
    assert_eq!(
        text(&root, "form h2[tabindex]"),
        "Check your answers before sending"
    );
    let answers: Vec<String> = all(&root, "dd:not(:last-child)")
        .iter()
        .map(|d| d.text_content().unwrap())
        .collect();
    assert_eq!(
        answers,
        vec![
            "Resident",
            "A year or more",
            "7",
            "Anti-social behaviour, Phone theft",
            "Not answered",
            "Good lighting",
            "Yes"
        ]
    );
    assert!(
        root.query_selector(".langs").unwrap().is_none(),
        "one language: no switch"
    );
}

#[wasm_bindgen_test]
async fn answers_are_kept_and_the_person_told_when_the_network_is_down() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.remove_item(widget::offline::KEY).unwrap();
    // Nothing listens on port 9: fetch fails as it does offline.
    let root = mount(SHORT, "ar", "http://127.0.0.1:9");
    settle().await;
    click(&root, "#f-safe-3");
    settle().await;
    submit(&root);
    for _ in 0..50 {
        sleep(100).await;
        if root.query_selector(".notice").unwrap().is_some() {
            break;
        }
    }
    assert_eq!(
        text(&root, ".notice p"),
        "تم حفظ إجاباتك وسيتم إرسالها عند عودتك إلى الاتصال بالإنترنت"
    );
    assert!(
        text(&root, "[role=status]").contains("تم حفظ"),
        "announced in the live region"
    );
    let stored = storage.get_item(widget::offline::KEY).unwrap().unwrap();
    let pending = widget::offline::parse(Some(&stored));
    assert_eq!(pending.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&pending[0].body).unwrap();
    assert_eq!(body["answers"]["safe"], 3);
    assert_eq!(body["lang"], "ar");
    assert_eq!(body["submission_id"].as_str().unwrap(), pending[0].id);
    storage.remove_item(widget::offline::KEY).unwrap();
}

/// Guards the support numbers in the widget: sending free text that
/// matches the form's safeguarding phrases shows them at once, before
/// the network has answered, focused, as `tel:` links, and they stay
/// above what follows (here: saved offline).
#[wasm_bindgen_test]
async fn free_text_that_reads_as_danger_shows_the_numbers_before_anything_else() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.remove_item(widget::offline::KEY).unwrap();
    let mut def: serde_json::Value = serde_json::from_str(SHORT).unwrap();
    def["safeguarding"] = serde_json::json!({
        "version": "t",
        "phrases": {"self_harm": {"en": ["end it all"], "ar": ["*نتحار*"]}},
        "contacts": [
            {"label": "In danger now", "number": "999"},
            {"label": "Samaritans", "number": "116 123", "hint": "Free, any time"}
        ]
    });
    let root = mount(&def.to_string(), "en", "http://127.0.0.1:9");
    settle().await;
    click(&root, "#f-safe-2");
    type_into(&root, "#f-comment", "Want to END it all");
    settle().await;
    assert!(
        root.query_selector(".help").unwrap().is_none(),
        "not while typing"
    );
    submit(&root);
    settle().await;
    // Nothing has come back from the network yet: the button still says so.
    assert_eq!(text(&root, "button[type=submit]"), "Sending…");
    assert_eq!(text(&root, ".help h2"), "If you need help now");
    let focused = document().active_element().unwrap();
    assert_eq!(
        focused.id(),
        "help-title",
        "focused, so it is read out first"
    );
    let links: Vec<String> = all(&root, ".help a.tel")
        .iter()
        .map(|a| a.get_attribute("href").unwrap())
        .collect();
    assert_eq!(links, ["tel:999", "tel:116123"]);
    for _ in 0..50 {
        sleep(100).await;
        if root.query_selector(".notice").unwrap().is_some() {
            break;
        }
    }
    let order: Vec<String> = all(&root, ".cfw > div")
        .iter()
        .map(|d| d.class_name())
        .collect();
    assert_eq!(&order[..2], ["help", "notice"], "the numbers stay on top");
    storage.remove_item(widget::offline::KEY).unwrap();
}

#[wasm_bindgen_test]
async fn start_and_unmount_through_the_javascript_boundary() {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    let opts = js_sys::Object::new();
    for (k, v) in [
        ("form", "street"),
        ("origin", "http://127.0.0.1:9/"),
        ("lang", "ar"),
        ("definition", SHORT),
    ] {
        js_sys::Reflect::set(&opts, &k.into(), &v.into()).unwrap();
    }
    let mut handle = widget::start(root.clone(), opts.into()).unwrap();
    settle().await;
    assert_eq!(
        q(&root, ".cfw").get_attribute("dir").as_deref(),
        Some("rtl")
    );
    handle.unmount();
    settle().await;
    assert!(root.query_selector(".cfw").unwrap().is_none());
    let missing = widget::start(root, js_sys::Object::new().into());
    assert!(missing.is_err(), "a form id is required");
}

/// Guards the funnel's hand-over to the loader: at each render the
/// widget gives `onfunnel` its state as JSON; the furthest question
/// appears with the person's first answer, and nothing in it says who.
#[wasm_bindgen_test]
async fn each_render_hands_the_loader_the_funnel_state() {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    let seen = js_sys::Array::new();
    let opts = js_sys::Object::new();
    for (k, v) in [
        ("form", "street"),
        ("origin", "http://127.0.0.1:9"),
        ("lang", "en"),
        ("location", "bank"),
        ("channel", "qr"),
        ("definition", SHORT),
    ] {
        js_sys::Reflect::set(&opts, &k.into(), &v.into()).unwrap();
    }
    let push = js_sys::Function::new_with_args("s", "this.push(s)").bind0(&seen);
    js_sys::Reflect::set(&opts, &"onfunnel".into(), &push).unwrap();
    let mut handle = widget::start(root.clone(), opts.into()).unwrap();
    settle().await;
    let last = || -> serde_json::Value {
        let s = seen.get(seen.length() - 1).as_string().unwrap();
        serde_json::from_str(&s).unwrap()
    };
    assert!(seen.length() > 0, "the first render hands over its state");
    assert_eq!(
        last(),
        serde_json::json!({"form": "street", "version": 1, "channel": "qr", "lang": "en",
                           "location": "bank"})
    );
    type_into(&root, "#f-comment", "Dark");
    settle().await;
    click(&root, "#f-safe-3");
    settle().await;
    assert_eq!(
        last()["last_question"],
        "comment",
        "the furthest in form order"
    );
    assert_eq!(last().get("done"), None);
    let all: Vec<String> = seen.iter().filter_map(|v| v.as_string()).collect();
    assert!(all.iter().all(|s| !s.contains("Dark")), "no answer in it");
    handle.unmount();
}

/// The browser's `JSON.parse` and `JSON.stringify` stand in for serde_json
/// in the widget: the real forms read the same either way, and what the
/// widget writes reads back unchanged, awkward characters included.
#[wasm_bindgen_test]
fn browser_json_reads_and_writes_like_serde_json() {
    use serde_json::{json, Value};
    use survey::Form;
    use widget::json;
    let forms = [
        include_str!("../../examples/forms/community-safety.json"),
        include_str!("../../examples/forms/victim-satisfaction.json"),
        include_str!("../../examples/forms/street-feedback.json"),
    ];
    for text in forms {
        let by_browser = json::parse(text).expect("the browser parses the form");
        let by_serde: Value = serde_json::from_str(text).unwrap();
        assert_eq!(by_browser, by_serde);
        let form = Form::from_value(&by_browser).unwrap();
        assert!(!form.questions.is_empty());
    }
    let awkward = json!({
        "submission_id": "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f",
        "answers": {"comment": "He said \"no\"\n\ttab \\ back – ما مدى 😀 \u{0001}", "safe": 4,
                    "prio": ["a", "b"], "ok": true, "none": null, "big": -9007199254740991_i64},
        "lang": "ar"
    });
    let written = json::stringify(&awkward);
    assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), awkward);
    assert_eq!(json::parse(&written), Some(awkward));
    assert_eq!(json::parse("{not json"), None);
    assert_eq!(json::parse("[1.5, 2.0]"), Some(json!([1.5, 2])));
}
