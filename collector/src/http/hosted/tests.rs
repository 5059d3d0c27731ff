//! The hosted pages over the router: rendering, posting, bot checks,
//! languages, invitations and safeguarding.

use super::*;
use survey::{Answer, Form};

/// The community-safety example form.
pub(super) fn form() -> Form {
    serde_json::from_str(include_str!(
        "../../../../examples/forms/community-safety.json"
    ))
    .unwrap()
}

/// A collector on a temp-dir sled with the example forms, rate limit
/// off, bot checks as given.
fn state(dir: &tempfile::TempDir, bot_checks: bool) -> AppState {
    let config = Config {
        data: dir.path().join("db"),
        forms: concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/forms").into(),
        rate_limit: 0,
        global_rate_limit: 0,
        bot_checks,
        ..Config::default()
    };
    crate::open(config).unwrap()
}

async fn post(app: &Router, body: String) -> Response {
    use tower::ServiceExt;
    let req = axum::http::Request::post("/f/community-safety")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .unwrap();
    app.clone().oneshot(req).await.unwrap()
}

async fn text_of(res: Response) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn posted_form_is_validated_then_stored_once_through_the_shared_path() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir, false);
    let app = crate::app(state.clone());

    let id = "0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f";
    // A language the form does not offer: the error summary in English.
    let res = post(&app, format!("submission_id={id}&loc=bank&ch=qr&lang=de")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(text_of(res).await.contains("There is a problem"));
    // One it offers: the summary and the questions in that language.
    let res = post(&app, format!("submission_id={id}&loc=bank&ch=qr&lang=pl")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = text_of(res).await;
    assert!(
        page.contains("Wystąpił problem")
            && page.contains("Które z poniższych najlepiej Cię opisuje?"),
        "the error summary and the questions, in Polish"
    );
    assert!(page.contains(r##"<a href="#f-respondent_type">"##));
    assert!(
        page.contains(r#"<input type="hidden" name="loc" value="bank">"#),
        "the place is kept"
    );

    let valid = format!(
        "submission_id={id}&loc=bank&ch=qr&lang=en&q.respondent_type=visitor&q.feel_safe_day=4\
         &q.feel_safe_dark=2&q.worry=a-lot&q.priorities=drugs&q.priorities=fraud-cyber\
         &q.victim_reported=yes-all"
    );
    for _ in 0..2 {
        let res = post(&app, valid.clone()).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()[header::LOCATION],
            "/f/community-safety/thanks?lang=en"
        );
    }
    let stored = state.store.responses("community-safety", None, 10).unwrap();
    assert_eq!(stored.len(), 1, "a double submit is stored once");
    let r = &stored[0];
    assert_eq!(
        (r.location.as_deref(), r.channel.as_str()),
        (Some("bank"), "qr")
    );
    assert_eq!(
        r.answers["priorities"],
        Answer::Choices(vec!["drugs".into(), "fraud-cyber".into()])
    );
    assert!(
        !r.answers.contains_key("victim_reported"),
        "not asked, so not stored"
    );
}

/// The value of hidden field `name` on a rendered page.
fn hidden(page: &str, name: &str) -> String {
    let at = format!(r#"name="{name}" value=""#);
    let start = page.find(&at).unwrap() + at.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// Guards the production defaults (bot checks on): a person who answers
/// within 2 s of the page loading is thanked only because the answer
/// was kept, flagged and out of the counts; a later retry of the same
/// submission stores nothing new.
#[tokio::test]
async fn bot_checks_keep_a_quick_answer_flagged_never_drop_it() {
    use tower::ServiceExt;
    assert!(Config::default().bot_checks, "on by default");
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir, true);
    let app = crate::app(state.clone());
    let get = |uri: &str| {
        app.clone().oneshot(
            axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
    };
    let page = text_of(get("/f/street-feedback?loc=bank&ch=qr").await.unwrap()).await;
    let (id, token) = (hidden(&page, "submission_id"), hidden(&page, "token"));
    // The honeypot is named as no autofill names a field of a person's.
    assert!(page.contains(r#"name="leave_blank""#), "{page}");
    assert!(!page.to_lowercase().contains("website"), "{page}");
    let body = |id: &str, token: &str, extra: &str| {
        format!("submission_id={id}&token={token}&loc=bank&ch=qr&lang=en&q.feel_safe_now=4{extra}")
    };
    let post = |body: String| {
        app.clone().oneshot(
            axum::http::Request::post("/f/street-feedback")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
    };

    // At once: thanked, and kept aside as too fast.
    let res = post(body(&id, &token, "")).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let flagged = state.store.flagged("street-feedback", 10).unwrap();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].flag.as_deref(), Some("too-fast"));
    assert_eq!(flagged[0].answers["feel_safe_now"], Answer::Number(4));
    assert!(state
        .store
        .responses("street-feedback", None, 10)
        .unwrap()
        .is_empty());
    let ix = state.indexes.index("street-feedback").unwrap();
    assert_eq!(ix.read().unwrap().len(), 0, "not counted");

    // A forged token, a filled honeypot: kept, each with its reason.
    let other = "1b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f";
    let res = post(body(other, &token, "")).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let third = "2b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f";
    post(body(third, "", "&leave_blank=spam")).await.unwrap();
    // The name pages rendered before it was renamed carry.
    let fourth = "3b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f";
    post(body(fourth, "", "&website=spam")).await.unwrap();
    let reasons: Vec<_> = state
        .store
        .flagged("street-feedback", 10)
        .unwrap()
        .into_iter()
        .map(|r| r.flag.unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["too-fast", "render-token", "honeypot", "honeypot"]
    );

    // After 2 s a fresh page's answer is stored as usual; the quick
    // one's retry counts once.
    let page = text_of(get("/f/street-feedback?loc=bank&ch=qr").await.unwrap()).await;
    let (id2, token2) = (hidden(&page, "submission_id"), hidden(&page, "token"));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        post(body(&id2, &token2, "")).await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    post(body(&id, &token, "")).await.unwrap();
    let stored = state.store.responses("street-feedback", None, 10).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].flag, None);
    assert_eq!(state.store.flagged("street-feedback", 10).unwrap().len(), 4);
    assert_eq!(ix.read().unwrap().len(), 1);
}

/// A post larger than any form's answers is refused before it is read
/// whole: 413 problem+json, nothing stored.
#[tokio::test]
async fn an_oversized_post_is_refused_and_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir, false);
    let app = crate::app(state.clone());
    let limit = state.config.max_body_bytes * 4;
    let body = format!(
        "submission_id=0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f&q.respondent_type=visitor&q.safety_comment={}",
        "a".repeat(limit)
    );
    let res = post(&app, body).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert!(state
        .store
        .responses("community-safety", None, 10)
        .unwrap()
        .is_empty());
}

/// A page rendered before a restart (a deploy, a crash) posts after it as
/// an answer like any other: the render token's key is kept in the store,
/// not made again at each start, so the people filling in a page then are
/// not set aside as bots.
#[tokio::test]
async fn a_page_rendered_before_a_restart_posts_after_it_unflagged() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let page = {
        let state = state(&dir, true);
        let app = crate::app(state.clone());
        let res = app
            .oneshot(
                axum::http::Request::get("/f/street-feedback?loc=bank&ch=qr")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let page = text_of(res).await;
        drop(state);
        page
    };
    let (id, token) = (hidden(&page, "submission_id"), hidden(&page, "token"));
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let state = state(&dir, true);
    let app = crate::app(state.clone());
    let res = app
        .oneshot(
            axum::http::Request::post("/f/street-feedback")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!(
                    "submission_id={id}&token={token}&loc=bank&ch=qr&lang=en&q.feel_safe_now=4"
                )))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(state
        .store
        .flagged("street-feedback", 10)
        .unwrap()
        .is_empty());
    let stored = state.store.responses("street-feedback", None, 10).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].flag, None);
}

/// Guards the hosted pages' policy: the form, the form with errors and
/// the thank-you page each carry it, with `X-Frame-Options: DENY`, and
/// every `<style>` on them is allowed by its hash; nothing else inline
/// (no style attribute, no script but the JSON data block) is there.
#[tokio::test]
async fn hosted_pages_carry_a_strict_policy_that_allows_their_own_styles() {
    use super::super::security_headers::style_hash;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let app = crate::app(state(&dir, false));
    let get = |uri: &str| {
        app.clone().oneshot(
            axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
    };
    let pages = [
        get("/f/street-feedback?loc=bank&ch=qr").await.unwrap(),
        get("/f/street-feedback?lang=ar").await.unwrap(),
        get("/f/community-safety/thanks?lang=en").await.unwrap(),
        post(
            &app,
            "submission_id=0b5c3f0e-7a53-4c1e-9d1f-2a4b6c8d0e1f&lang=en".into(),
        )
        .await,
    ];
    for res in pages {
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY");
        let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(csp, policy().as_str());
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
        for css in [ui::style::HOST_CSS, ui::style::CSS] {
            assert!(csp.contains(&style_hash(css)), "the widget's styles");
        }
        let html = text_of(res).await;
        let mut styles = 0;
        for (at, _) in html.match_indices("<style>") {
            let text = &html[at + 7..at + html[at..].find("</style>").unwrap()];
            assert!(csp.contains(&style_hash(text)), "{text}");
            styles += 1;
        }
        assert_eq!(styles, 1);
        assert!(!html.contains(" style="), "no style attribute");
        for (at, _) in html.match_indices("<script") {
            let tag = &html[at..at + html[at..].find('>').unwrap()];
            assert!(
                tag.contains(r#"type="application/json""#) || tag.contains(r#"src="/widget.js""#),
                "{tag}"
            );
        }
    }
}

/// Guards the page without JavaScript after free text that reads as
/// someone in danger: the thank-you page (and, when a question was
/// missed, the form with its errors) leads with the form's numbers,
/// focused, as `tel:` links; the redirect says only `help=1`; the
/// alert is raised; other text gets the plain thank-you.
#[tokio::test]
async fn free_text_that_reads_as_danger_leads_the_next_page_with_the_numbers() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir, false);
    let app = crate::app(state.clone());
    let send = |body: String| {
        app.clone().oneshot(
            axum::http::Request::post("/f/street-feedback")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
    };
    let get = |uri: String| {
        app.clone().oneshot(
            axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
    };
    let id = |n: u128| uuid::Uuid::from_u128(0x0b5c3f0e_7a53_4c1e_9d1f_2a4b6c8d0e00 + n);

    let res = send(format!(
        "submission_id={}&loc=bank&ch=qr&lang=en&q.feel_safe_now=1&q.comment=I+want+to+kill+myself",
        id(1)
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    assert_eq!(to, "/f/street-feedback/thanks?lang=en&help=1");
    let rules: Vec<String> = state
        .store
        .pending_alerts(10)
        .unwrap()
        .into_iter()
        .flat_map(|a| a.rules)
        .collect();
    assert_eq!(rules, ["safeguarding:self_harm"]);

    let page = text_of(get(to).await.unwrap()).await;
    let help = page.find(r#"<div class="help" role="region" aria-labelledby="help-title">"#);
    let thanks = page.find(r#"<div class="panel">"#);
    assert!(help.is_some() && help < thanks, "the numbers lead: {page}");
    assert!(
        page.contains(r#"<h2 id="help-title" tabindex="-1" autofocus>If you need help now</h2>"#)
    );
    for (tel, shown) in [
        ("999", "999"),
        ("116123", "116 123"),
        ("08081689111", "0808 16 89 111"),
    ] {
        assert!(
            page.contains(&format!(r#"<a class="tel" href="tel:{tel}">{shown}</a>"#)),
            "{tel}"
        );
    }
    assert!(page.contains("<title>If you need help now – "));

    // Polish text, a required answer missed: the form comes back with
    // its error, led by the numbers in Polish; nothing is stored.
    let res = send(format!(
        "submission_id={}&loc=bank&ch=qr&lang=pl&q.comment=Mąż+mnie+bije",
        id(2)
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = text_of(res).await;
    let help = page.find(r#"<div class="help""#).unwrap();
    assert!(help < page.find(r#"<div class="es""#).unwrap());
    assert!(page.contains("Jeśli potrzebujesz pomocy teraz"));
    assert_eq!(state.store.pending_alerts(10).unwrap().len(), 1);

    // Other text: the plain thank-you, and the page without `help`.
    let res = send(format!(
        "submission_id={}&loc=bank&ch=qr&lang=en&q.feel_safe_now=4&q.comment=Well+lit",
        id(3)
    ))
    .await
    .unwrap();
    assert_eq!(
        res.headers()[header::LOCATION],
        "/f/street-feedback/thanks?lang=en"
    );
    let page = text_of(
        get("/f/street-feedback/thanks?lang=en".into())
            .await
            .unwrap(),
    )
    .await;
    assert!(!page.contains(r#"class="help""#));
    // Anyone may write `help=1`: it shows the form's own numbers, no more.
    let page = text_of(
        get("/f/street-feedback/thanks?lang=en&help=%3Cb%3Ecall+me%3C/b%3E".into())
            .await
            .unwrap(),
    )
    .await;
    assert!(!page.contains(r#"class="help""#) && !page.contains("call me"));
}

#[test]
fn malformed_places_and_odd_channels_are_not_tags() {
    let form = form();
    let known_place = survey::is_known_place;
    let is_channel = survey::is_channel;
    assert!(known_place(&form, "bank") && known_place(&form, "narnia"));
    assert!(!known_place(&form, "Narnia Gate") && !known_place(&form, ""));
    assert!(is_channel("qr") && !is_channel("QR code") && !is_channel(""));
}
