//! The widget and the hosted page in a real headless Chromium.
//!
//! Each test starts the real collector (temp-dir sled, example forms, the
//! built widget from `dist/`) on one 127.0.0.1 port and, where it needs one,
//! a partner page on another, then runs one scenario of
//! `tests/browser/e2e.mjs` (playwright-core driving Debian's Chromium) and
//! checks what the collector stored.
//!
//! Needs `scripts/build-widget.sh` (dist/) and `scripts/setup.sh` (Chromium,
//! the npm tools); `scripts/test.sh` runs both first.

use e2e::{reserve, serve_page_on, serve_page_with_csp_on, workspace, Collector};
use std::process::Command;
use survey::Answer;

/// One browser at a time: the machine has two cores.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A partner page whose CSS does its worst, embedding two widgets.
fn partner_page(collector: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eventcity: have your say</title>
<style>
  body {{ font: 30px/3 "Comic Sans MS", cursive; letter-spacing: 3px; text-transform: uppercase;
         color: #222; background: #fff; direction: ltr; }}
  body *:not(script):not(style) {{ all: unset !important; }}
  div, form, fieldset, button, input, label, p {{ display: none !important; color: red !important;
         background: yellow !important; font-size: 5px !important; }}
  * {{ box-sizing: content-box !important; outline: none !important; }}
  #probe, h1, main, footer {{ display: block !important; color: #222 !important; }}
</style>
</head>
<body>
<main>
<h1>Eventcity partner page</h1>
<p id="probe">Tell the City of London Police how safe you feel.</p>
<script src="{collector}/widget.js" data-form="community-safety" data-location="walbrook" async></script>
<div style="height: 1500px"></div>
<script src="{collector}/widget.js" data-form="street-feedback" data-lang="ar" data-location="liverpool-street" async></script>
</main>
<footer>Eventcity</footer>
</body>
</html>
"#
    )
}

/// Runs one scenario of the browser script; panics with its output if it fails.
async fn run(scenario: &'static str, collector: &str, partner: &str) -> String {
    run_with(
        scenario,
        serde_json::json!({ "collector": collector, "partner": partner }),
    )
    .await
}

/// [`run`] with the scenario's parameters as given.
async fn run_with(scenario: &'static str, params: serde_json::Value) -> String {
    let root = workspace();
    let tools = root.join("tests/browser");
    assert!(
        tools.join("node_modules/playwright-core").is_dir()
            && tools.join("node_modules/axe-core").is_dir(),
        "the npm tools are missing: run scripts/setup.sh"
    );
    assert!(
        root.join("dist/widget.js").is_file() && root.join("dist/manifest.json").is_file(),
        "the widget is not built: run scripts/build-widget.sh"
    );
    let params = params.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(tools.join("e2e.mjs"))
            .arg(scenario)
            .arg(params)
            .current_dir(&tools)
            .output()
    })
    .await
    .expect("join")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scenario {scenario} failed\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
    stdout
}

/// A collector and a partner page allowed to embed its forms.
async fn collector_and_partner() -> (Collector, String) {
    let (listener, partner) = reserve().await;
    let c = Collector::start(vec![partner.clone()]).await;
    serve_page_on(listener, partner_page(&c.origin));
    (c, partner)
}

fn text(s: &str) -> Answer {
    Answer::Text(s.into())
}

fn choices(v: &[&str]) -> Answer {
    Answer::Choices(v.iter().map(|s| s.to_string()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_on_a_hostile_partner_page_stores_answers_location_and_channel() {
    let _one = BROWSER.lock().await;
    let (c, partner) = collector_and_partner().await;
    run("embed", &c.origin, &partner).await;

    let rs = c.responses("community-safety");
    assert_eq!(rs.len(), 1, "stored once");
    let r = &rs[0];
    assert_eq!(r.location.as_deref(), Some("walbrook"));
    assert_eq!(r.channel, "embed");
    assert_eq!(r.lang, "en");
    let a = &r.answers;
    assert_eq!(a["respondent_type"], text("resident"));
    assert_eq!(
        a["area"],
        text("walbrook"),
        "the page's place (a ward) answers the location question"
    );
    assert_eq!(a["feel_safe_day"], Answer::Number(2));
    assert_eq!(a["feel_safe_dark"], Answer::Number(4));
    assert_eq!(a["worry"], text("a-little"));
    assert_eq!(a["victim_12m"], text("yes"));
    // The show_if branch: asked because of "yes", then because of "no".
    assert_eq!(a["victim_reported"], text("no"));
    assert_eq!(
        a["why_not_reported"],
        choices(&["did-not-know-how", "takes-too-long"])
    );
    assert_eq!(a["priorities"], choices(&["vawg", "fraud-cyber"]));
    assert_eq!(
        a["safety_comment"],
        text("Better lighting near the station would help")
    );
    assert!(!a.contains_key("priorities_other"));
    assert!(
        !a.contains_key("age"),
        "unanswered optional questions are absent"
    );

    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 1, "the second widget sent its own answers");
    assert_eq!(rs[0].lang, "ar");
    assert_eq!(rs[0].location.as_deref(), Some("liverpool-street"));
    assert_eq!(rs[0].answers["feel_safe_now"], Answer::Number(4));
    assert_eq!(rs[0].answers["comment"], text("إضاءة أفضل"));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_without_javascript_stores_a_double_submit_once() {
    let _one = BROWSER.lock().await;
    let c = Collector::start(vec![]).await;
    run("nojs", &c.origin, "").await;

    let rs = c.responses("community-safety");
    assert_eq!(
        rs.len(),
        1,
        "the same hidden submission id twice is stored once"
    );
    let r = &rs[0];
    assert_eq!(r.location.as_deref(), Some("bank"));
    assert_eq!(r.channel, "qr");
    let a = &r.answers;
    assert_eq!(a["respondent_type"], text("worker"));
    assert_eq!(a["area"], text("walbrook"), "the ward of the site 'bank'");
    assert_eq!(a["feel_safe_day"], Answer::Number(3));
    assert_eq!(a["feel_safe_dark"], Answer::Number(5));
    assert_eq!(a["worry"], text("not-very"));
    assert_eq!(a["victim_12m"], text("no"));
    assert!(
        !a.contains_key("victim_reported"),
        "an answer to a question not asked is dropped"
    );
    assert_eq!(
        a["priorities"],
        choices(&["anti-social-behaviour", "drugs"])
    );
    assert_eq!(a["safety_comment"], text("More patrols at night"));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_with_javascript_hands_over_to_the_widget() {
    let _one = BROWSER.lock().await;
    let c = Collector::start(vec![]).await;
    run("hosted_js", &c.origin, "").await;

    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].location.as_deref(), Some("bank"));
    assert_eq!(rs[0].channel, "qr");
    assert_eq!(rs[0].lang, "pl");
    assert_eq!(rs[0].answers["feel_safe_now"], Answer::Number(2));
    c.stop().await;
}

/// Guards the takeover on a slow connection: what the person chose and
/// typed (mid-word) on the server's form is what the widget sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_takeover_moves_nothing_and_keeps_what_was_done() {
    let _one = BROWSER.lock().await;
    let c = Collector::start(vec![]).await;
    let out = run("takeover", &c.origin, "").await;
    let result: serde_json::Value =
        serde_json::from_str(out.lines().last().expect("a result line")).expect("JSON");
    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 1);
    assert_eq!(
        rs[0].answers["feel_safe_now"],
        Answer::Number(4),
        "the tap made while the widget was drawing"
    );
    assert_eq!(
        rs[0].answers["comment"],
        text(result["comment"].as_str().unwrap().trim()),
        "every letter, typed before and after the takeover"
    );
    assert_eq!(rs[0].location.as_deref(), Some("bank"));

    run("takeover_long", &c.origin, "").await;
    let rs = c.responses("community-safety");
    assert_eq!(rs.len(), 1);
    let a = &rs[0].answers;
    assert_eq!(a["respondent_type"], text("worker"));
    assert_eq!(a["feel_safe_day"], Answer::Number(3));
    assert_eq!(
        a["feel_safe_dark"],
        Answer::Number(4),
        "answered after the takeover"
    );
    assert_eq!(a["worry"], text("not-very"));
    assert_eq!(a["victim_reported"], text("no"));
    assert_eq!(a["why_not_reported"], choices(&["takes-too-long"]));
    assert_eq!(a["priorities"], choices(&["vawg", "drugs"]));
    assert_eq!(a["area"], text("walbrook"), "the ward of the site 'bank'");
    assert_eq!(a["safety_comment"], text("More patrols"));
    c.stop().await;
}

/// The production defaults (bot checks on): the server's form alone, the
/// wasm blocked, is stored as any answer, not flagged; one sent before the
/// widget arrived is stored once and the widget never sends it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_without_the_wasm_stores_with_bot_checks_on() {
    let _one = BROWSER.lock().await;
    let c = Collector::start_with_bot_checks().await;
    run("wasm_blocked", &c.origin, "").await;
    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].answers["feel_safe_now"], Answer::Number(5));
    assert_eq!(rs[0].answers["comment"], text("Well lit"));
    assert!(c
        .state
        .store
        .flagged("street-feedback", 10)
        .unwrap()
        .is_empty());

    run("sent_before_takeover", &c.origin, "").await;
    let flagged = c.state.store.flagged("street-feedback", 10).unwrap();
    let all: Vec<_> = c
        .responses("street-feedback")
        .into_iter()
        .chain(flagged)
        .collect();
    assert_eq!(all.len(), 2, "the early send is kept, once");
    assert_eq!(all[1].answers["feel_safe_now"], Answer::Number(1));
    c.stop().await;
}

/// Guards safeguarding with JavaScript: free text that reads as self-harm,
/// sent by the widget (taking over the hosted page, and embedded in Arabic
/// on a partner page), shows the support numbers before the thank-you and
/// before the collector has answered; the response is stored once with a
/// `safeguarding:self_harm` alert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_shows_the_support_numbers_before_the_thank_you() {
    let _one = BROWSER.lock().await;
    let (c, partner) = collector_and_partner().await;
    run("safeguarding_widget", &c.origin, &partner).await;
    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 2, "the hosted page's and the partner page's");
    let alerts = c.state.store.alerts_after(0, 100).unwrap();
    let rules: Vec<&str> = alerts
        .iter()
        .flat_map(|a| a.rules.iter().map(String::as_str))
        .collect();
    assert_eq!(rules, ["safeguarding:self_harm", "safeguarding:self_harm"]);
    c.stop().await;
}

/// Guards safeguarding without JavaScript, bot checks on: the hosted
/// page's plain post of free text that reads as domestic abuse is stored
/// (not flagged) with a `safeguarding:domestic_abuse` alert, and the next
/// page leads with the numbers above the thank-you.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_page_without_javascript_shows_the_support_numbers_above_the_thank_you() {
    let _one = BROWSER.lock().await;
    let c = Collector::start_with_bot_checks().await;
    run("safeguarding_nojs", &c.origin, "").await;
    let rs = c.responses("street-feedback");
    assert_eq!(
        rs.len(),
        1,
        "the post with a question missed stored nothing"
    );
    assert_eq!(
        rs[0].answers["comment"],
        text("My partner hits me when he drinks and I'm scared to go home to him")
    );
    assert!(c
        .state
        .store
        .flagged("street-feedback", 10)
        .unwrap()
        .is_empty());
    let rules: Vec<String> = c
        .state
        .store
        .alerts_after(0, 100)
        .unwrap()
        .into_iter()
        .flat_map(|a| a.rules)
        .collect();
    assert_eq!(rules, ["safeguarding:domestic_abuse"]);
    c.stop().await;
}

/// The example partner page (examples/partner-page.html) keeps the
/// widget's place, so its text does not jump when the widget arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_partner_page_does_not_jump() {
    let _one = BROWSER.lock().await;
    let (listener, partner) = reserve().await;
    let c = Collector::start(vec![partner.clone()]).await;
    let html = std::fs::read_to_string(workspace().join("examples/partner-page.html"))
        .expect("the example page")
        .replace(
            "http://127.0.0.1:8080/widget.js",
            &format!("{}/widget.js", c.origin),
        );
    serve_page_on(listener, html);
    run("partner_shift", &c.origin, &partner).await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_kept_offline_are_sent_later_and_stored_once() {
    let _one = BROWSER.lock().await;
    // The bot checks on, as deployed: answers sent as soon as the widget
    // is back are not taken for a bot's.
    let (listener, partner) = reserve().await;
    let c = Collector::start_with(vec![partner.clone()], true).await;
    serve_page_on(listener, partner_page(&c.origin));
    run("offline", &c.origin, &partner).await;
    let flagged = c.state.store.flagged("street-feedback", 10).unwrap();
    assert!(flagged.is_empty(), "taken for a bot: {flagged:?}");

    let rs = c.responses("street-feedback");
    let values: Vec<&Answer> = rs.iter().map(|r| &r.answers["feel_safe_now"]).collect();
    assert_eq!(
        values,
        vec![&Answer::Number(1), &Answer::Number(5), &Answer::Number(3)],
        "each sent exactly once"
    );
    assert!(rs.iter().all(|r| r.channel == "embed" && r.lang == "ar"));
    c.stop().await;
}

/// The street form as its next version: the comment made required.
fn street_form_with_the_comment_required() -> serde_json::Value {
    let path = workspace().join("examples/forms/street-feedback.json");
    let mut form: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    form["questions"][1]["required"] = serde_json::json!(true);
    form
}

/// A new admin token of `c`, as the CLI creates one.
fn admin_token(c: &Collector) -> String {
    let spec = collector::service::tokens::Spec::role(collector::model::Role::Admin);
    collector::service::tokens::create(c.state.store.as_ref(), spec)
        .unwrap()
        .0
}

/// Answers kept offline and refused when they go out (the form changed
/// meanwhile) are put back on screen, not dropped, and once the person
/// sends them again they are stored once, with what they answered offline;
/// answers refused online by a form changed while it was filled in come
/// back on the changed form. Put back as the widget opens, they take the
/// focus only if the person is already in the widget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_refused_after_waiting_offline_are_put_back_and_stored_once() {
    let _one = BROWSER.lock().await;
    let (listener, partner) = reserve().await;
    let c = Collector::start_with(vec![partner.clone()], true).await;
    serve_page_on(listener, partner_page(&c.origin));
    let form = street_form_with_the_comment_required();
    let token = admin_token(&c);
    run_with(
        "offline_refused",
        serde_json::json!({
            "collector": c.origin, "partner": partner, "token": token, "form": form,
            // Versions 3, 4 and 5 each add a required question like the first.
            "new_question": "feel_safe_night", "fourth_question": "feel_safe_day",
            "fifth_question": "feel_safe_home",
            "publish_url": format!("{}/api/v1/forms/street-feedback", c.origin),
        }),
    )
    .await;
    assert_eq!(
        c.state.store.form("street-feedback").unwrap().form.version,
        5
    );
    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 4, "each stored once: {rs:?}");
    assert_eq!(rs[3].answers["feel_safe_now"], Answer::Number(5));
    assert_eq!(rs[3].answers["feel_safe_home"], Answer::Number(4));
    assert_eq!(rs[3].answers["comment"], text("Quiet at last"));
    assert_eq!(rs[2].answers["feel_safe_now"], Answer::Number(3));
    assert_eq!(rs[2].answers["feel_safe_night"], Answer::Number(2));
    assert_eq!(rs[2].answers["feel_safe_day"], Answer::Number(1));
    assert_eq!(rs[0].answers["feel_safe_now"], Answer::Number(2));
    assert_eq!(rs[0].answers["comment"], text("Dark by the station"));
    assert_eq!(rs[1].answers["feel_safe_now"], Answer::Number(4));
    assert_eq!(rs[1].answers["comment"], text("Lamps out on the corner"));
    assert_eq!(rs[1].answers["feel_safe_night"], Answer::Number(1));
    assert!(rs
        .iter()
        .all(|r| (r.channel.as_str(), r.lang.as_str()) == ("embed", "ar")));
    assert!(c
        .state
        .store
        .flagged("street-feedback", 10)
        .unwrap()
        .is_empty());
    c.stop().await;
}

/// The same on the hosted page a street QR code opens, with the bot
/// checks on as deployed: the answers come back where the widget took the
/// page's form over, and on the next visit over the page's empty form;
/// deleted there (a shared device), they are not put back again; what is
/// then sent is stored once, from the place and channel of the scan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_refused_after_waiting_offline_on_the_hosted_page_are_put_back() {
    let _one = BROWSER.lock().await;
    let c = Collector::start_with(vec![], true).await;
    let form = street_form_with_the_comment_required();
    let token = admin_token(&c);
    run_with(
        "offline_refused_hosted",
        serde_json::json!({
            "collector": c.origin, "token": token, "form": form,
            "publish_url": format!("{}/api/v1/forms/street-feedback", c.origin),
        }),
    )
    .await;
    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 1, "stored once: {rs:?}");
    assert_eq!(rs[0].answers["feel_safe_now"], Answer::Number(2));
    assert_eq!(rs[0].answers["comment"], text("Ciemno przy stacji"));
    assert_eq!(rs[0].location.as_deref(), Some("bank"));
    assert_eq!((rs[0].channel.as_str(), rs[0].lang.as_str()), ("qr", "pl"));
    let flagged = c.state.store.flagged("street-feedback", 10).unwrap();
    assert!(flagged.is_empty(), "taken for a bot: {flagged:?}");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_wcag_2_2_aa_violations_at_320_and_1280_px() {
    let _one = BROWSER.lock().await;
    let (c, partner) = collector_and_partner().await;
    let out = run("axe", &c.origin, &partner).await;
    assert!(out.contains(r#""ok":true"#), "{out}");
    c.stop().await;
}

/// Guards the hosted pages' Content-Security-Policy: each page (the street
/// form in English and Arabic, community safety, victim satisfaction, the
/// thank-you page) carries it with `frame-ancestors 'none'`, and the page,
/// the loader and the widget taking over are refused nothing: no
/// `securitypolicyviolation`, no console error; a style the policy does not
/// allow, put in the widget's shadow root, is caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_pages_run_under_their_csp_without_a_violation() {
    let _one = BROWSER.lock().await;
    let c = Collector::start(vec![]).await;
    run("csp_hosted", &c.origin, "").await;
    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 1, "the street form was sent under the policy");
    assert_eq!(rs[0].answers["feel_safe_now"], Answer::Number(3));
    c.stop().await;
}

/// A partner page with a strict policy of its own: only what the README
/// tells partners to add (`partner_directives`) lets the widget in.
fn csp_partner_page(collector: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eventcity: have your say</title>
</head>
<body>
<main>
<h1>Eventcity partner page</h1>
<script src="{collector}/widget.js" data-form="community-safety" data-location="walbrook" async></script>
</main>
</body>
</html>
"#
    )
}

/// Guards the README's advice to partners: a page whose policy is
/// `default-src 'none'` plus the documented directives runs the widget,
/// styled, through its first step, with no `securitypolicyviolation`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_page_with_the_documented_csp_runs_the_widget_without_a_violation() {
    let _one = BROWSER.lock().await;
    let (listener, partner) = reserve().await;
    let c = Collector::start(vec![partner.clone()]).await;
    let csp = format!(
        "default-src 'none'; img-src 'self'; base-uri 'none'; object-src 'none'; \
         form-action 'none'; frame-ancestors 'none'; {}",
        collector::http::security_headers::partner_directives(&c.origin)
    );
    serve_page_with_csp_on(listener, csp_partner_page(&c.origin), csp);
    run("csp_partner", &c.origin, &partner).await;
    c.stop().await;
}

/// The funnel's figures of `form` now (stored and not yet flushed).
fn funnel(c: &Collector, form: &str) -> collector::service::funnel::Figures {
    let store = c.state.store.as_ref();
    let counts = c.state.tally.counts(store, form).expect("counts");
    let published = store.form(form).expect("the form");
    let q = collector::service::funnel::FunnelQuery::default();
    collector::service::funnel::funnel(&published.form, &c.state.places.get(), &counts, &q).overall
}

/// Waits up to 5 s for `form`'s funnel to show `leaves` leaves (a beacon
/// sent as a page goes may arrive a moment after the page has gone).
async fn funnel_with_leaves(
    c: &Collector,
    form: &str,
    leaves: u64,
) -> collector::service::funnel::Figures {
    for _ in 0..50 {
        let f = funnel(c, form);
        if f.leaves >= leaves {
            return f;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    funnel(c, form)
}

/// Guards the funnel in a real browser: the hosted page counts one view
/// (its own: the widget taking it over sends none), the first answer one
/// start, and leaving the page one leave at the question answered; a page
/// answered and sent gives a completion and no leave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_funnel_counts_a_view_a_start_and_a_leave_at_the_question_answered() {
    let _one = BROWSER.lock().await;
    let c = Collector::start(vec![]).await;
    run("funnel_leave", &c.origin, "").await;
    let f = funnel_with_leaves(&c, "street-feedback", 1).await;
    assert_eq!(
        (f.views, f.starts, f.leaves, f.completions),
        (1, 1, 1, 0),
        "{f:?}"
    );
    assert_eq!(f.stopped_at.len(), 1);
    assert_eq!(f.stopped_at[0].question, "feel_safe_now");
    assert_eq!(f.stopped_at[0].count, 1);

    run("funnel_complete", &c.origin, "").await;
    // Time for a leave, were one (wrongly) sent.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let f = funnel(&c, "street-feedback");
    assert_eq!(
        (f.views, f.starts, f.leaves, f.completions),
        (2, 2, 1, 1),
        "{f:?}"
    );
    assert_eq!(c.responses("street-feedback").len(), 1);
    c.stop().await;
}

/// Guards a victim's invitation answered with the widget: the response is
/// stored once, with the invitation's team; a second tab on the same link
/// is told it was already answered (not thanked), and so is the link
/// opened again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_answered_with_the_widget_is_stored_once_with_its_team() {
    let _one = BROWSER.lock().await;
    let c = Collector::start(vec![]).await;
    let store = c.state.store.clone();
    let row = std::collections::BTreeMap::from([
        ("team".to_owned(), "east".to_owned()),
        ("category".to_owned(), "burglary".to_owned()),
    ]);
    let allowed = c.state.config.invitation_attributes.clone();
    let issued = collector::service::invitations::issue(
        store.as_ref(),
        "victim-satisfaction",
        &[row],
        &allowed,
        28,
    )
    .unwrap()
    .unwrap();
    let link = format!("/f/victim-satisfaction?i={}", issued[0].key);
    run_with(
        "invitation_widget",
        serde_json::json!({ "collector": c.origin, "link": link }),
    )
    .await;
    let rs = c.responses("victim-satisfaction");
    assert_eq!(rs.len(), 1, "stored once");
    assert_eq!(rs[0].answers["overall_service"], Answer::Number(5));
    assert_eq!(rs[0].attributes["team"], "east");
    assert_eq!(rs[0].channel, "link");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_question_a_scan_is_answered_by_keyboard_and_without_javascript() {
    let _one = BROWSER.lock().await;
    // The bot checks on, as deployed: a person who reads, then taps, is
    // not taken for a bot.
    let c = Collector::start_with_bot_checks().await;
    run("one_tap", &c.origin, "").await;
    let flagged = c.state.store.flagged("street-pulse", 10).unwrap();
    assert!(flagged.is_empty(), "taken for a bot: {flagged:?}");
    let rs = c.responses("street-pulse");
    assert_eq!(rs.len(), 2, "each tap stored once: {rs:?}");
    assert!(rs.iter().all(|r| r.flag.is_none()), "{rs:?}");
    let a = &rs[0];
    assert_eq!(a.location.as_deref(), Some("bank"));
    assert_eq!(a.channel, "qr");
    assert_eq!(a.answers.len(), 1);
    assert_eq!(a.answers["police_visible"], text("rarely"));
    let b = &rs[1];
    assert_eq!(b.location.as_deref(), Some("tower-hill"));
    assert_eq!(b.lang, "ar");
    assert_eq!(b.answers.len(), 1);
    assert_eq!(b.answers["well_lit"], text("no"));
    c.stop().await;
}

/// A partner page that embeds the loader pinned to this build, with the
/// Subresource Integrity hash the build wrote (`dist/manifest.json`).
fn pinned_partner_page(collector: &str) -> String {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("dist/manifest.json")).expect("a built widget"),
    )
    .expect("manifest JSON");
    let (src, integrity) = (
        manifest["pinned_loader"].as_str().expect("pinned_loader"),
        manifest["pinned_loader_integrity"]
            .as_str()
            .expect("its integrity"),
    );
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Eventcity</title></head>
<body><main><h1>Eventcity</h1>
<script src="{collector}/{src}" integrity="{integrity}" crossorigin="anonymous" data-form="community-safety" async></script>
</main></body>
</html>
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_widget_files_are_refused_and_the_page_form_still_sends() {
    let _one = BROWSER.lock().await;
    let (listener, partner) = reserve().await;
    let c = Collector::start(vec![partner.clone()]).await;
    serve_page_on(listener, pinned_partner_page(&c.origin));
    run("sri", &c.origin, &partner).await;
    let rs = c.responses("street-feedback");
    assert_eq!(rs.len(), 1, "the page's own form was sent");
    assert_eq!(rs[0].answers["feel_safe_now"], Answer::Number(4));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_sends_a_proof_of_work_and_its_answers_count_with_the_bot_checks_on() {
    let _one = BROWSER.lock().await;
    let c = Collector::start_with_bot_checks().await;
    let out = run("proof", &c.origin, "").await;
    assert!(out.contains("proof of work found"), "{out}");
    assert!(out.contains("quick person: sent"), "{out}");
    assert!(
        out.contains("a page left open 3.5 h: its answers went with challenge 2"),
        "{out}"
    );
    // The person who read, the one who answered at once, before the proof
    // was found, and the one who left the page open: none is taken for a
    // bot.
    let flagged = c.state.store.flagged("street-feedback", 10).unwrap();
    assert!(flagged.is_empty(), "taken for a bot: {flagged:?}");
    let rs = c.responses("street-feedback");
    let values: Vec<&Answer> = rs.iter().map(|r| &r.answers["feel_safe_now"]).collect();
    assert_eq!(
        values,
        [&Answer::Number(4), &Answer::Number(2), &Answer::Number(5)],
        "each counted once"
    );
    c.stop().await;
}

/// The staff dashboard and a ward's public page in Chromium: sign in by
/// keyboard, drill from the city to a site, the trend's flagged months,
/// an answer's codes corrected in place, sign out; every figure checked
/// against the API's, axe at 768 and 1280 px on every view
/// (`tests/browser/e2e.mjs`, scenario `dashboard`). With `SCREENSHOTS=dir`
/// it saves the README's screenshots there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_answers_a_sergeants_question_and_a_resident_reads_their_ward() {
    let _one = BROWSER.lock().await;
    let c = Collector::start_with_demo(&["community-safety", "street-feedback"], 6000).await;
    let token = collector::service::tokens::create(
        c.state.store.as_ref(),
        collector::service::tokens::Spec {
            label: "Sgt Patel, East".into(),
            ..collector::service::tokens::Spec::role(collector::model::Role::Admin)
        },
    )
    .expect("token")
    .0;
    let mut params = serde_json::json!({ "collector": c.origin, "token": token });
    if let Ok(dir) = std::env::var("SCREENSHOTS") {
        params["shots"] = serde_json::json!(dir);
    }
    let out = run_with("dashboard", params).await;
    let result: serde_json::Value =
        serde_json::from_str(out.lines().last().expect("a result")).expect("json");
    // The correction reached the store, as the analyst's codes.
    let id = result["recoded"].as_str().expect("an answer recoded");
    let codes = c
        .state
        .store
        .manual_codes("community-safety")
        .expect("codes");
    let coded = codes
        .iter()
        .find(|(rid, _)| rid.to_string() == id)
        .and_then(|(_, by_question)| by_question.get("safety_comment"))
        .expect("stored");
    assert!(coded.themes.iter().any(|t| t == "road-safety"), "{coded:?}");
    c.stop().await;
}
