//! The security headers, over a real socket: every response, whatever
//! answered it (a handler, the static files, the fallback, CORS), carries
//! nosniff, no-referrer and HSTS; the hosted pages add their policy.

use crate::common::*;

/// Guards the headers on every route: JSON, HTML, the loader and its
/// assets, errors, a CORS preflight.
#[tokio::test]
async fn every_route_answers_with_nosniff_no_referrer_and_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(dist.join("assets")).unwrap();
    std::fs::write(dist.join("widget.js"), "/* loader */").unwrap();
    std::fs::write(dist.join("assets/widget-abc.wasm"), b"\0asm").unwrap();
    let s = Server::start(collector::Config {
        forms: example_forms(),
        dist,
        ..config(&dir.path().join("db"))
    })
    .await;
    let get = |path: &'static str| s.client.get(s.url(path)).send();
    let responses = [
        ("/healthz", get("/healthz").await.unwrap()),
        ("/readyz", get("/readyz").await.unwrap()),
        ("/metrics", get("/metrics").await.unwrap()),
        (
            "/api/v1/openapi.json",
            get("/api/v1/openapi.json").await.unwrap(),
        ),
        (
            "/api/v1/forms/street-feedback",
            get("/api/v1/forms/street-feedback").await.unwrap(),
        ),
        ("/widget.js", get("/widget.js").await.unwrap()),
        (
            "/assets/widget-abc.wasm",
            get("/assets/widget-abc.wasm").await.unwrap(),
        ),
        (
            "/f/street-feedback",
            get("/f/street-feedback").await.unwrap(),
        ),
        (
            "/f/street-feedback/thanks",
            get("/f/street-feedback/thanks").await.unwrap(),
        ),
        ("/favicon.svg", get("/favicon.svg").await.unwrap()),
        ("/api/v1/forms (401)", get("/api/v1/forms").await.unwrap()),
        ("/no/such/route (404)", get("/no/such/route").await.unwrap()),
        (
            "POST /api/v1/forms/street-feedback/responses (400)",
            s.client
                .post(s.url("/api/v1/forms/street-feedback/responses"))
                .header("content-type", "application/json")
                .body("{")
                .send()
                .await
                .unwrap(),
        ),
        (
            "OPTIONS preflight",
            s.client
                .request(
                    reqwest::Method::OPTIONS,
                    s.url("/api/v1/forms/street-feedback/responses"),
                )
                .header("origin", "https://elsewhere.example")
                .header("access-control-request-method", "POST")
                .send()
                .await
                .unwrap(),
        ),
    ];
    for (what, res) in &responses {
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
        assert_eq!(h["strict-transport-security"], "max-age=31536000", "{what}");
        assert_eq!(
            h.get_all("x-content-type-options").iter().count(),
            1,
            "{what}: once, though the static files set it too"
        );
    }
    let status = |what: &str| {
        responses
            .iter()
            .find(|(w, _)| *w == what)
            .map(|(_, r)| r.status().as_u16())
    };
    assert_eq!(
        status("/widget.js"),
        Some(200),
        "the routes really answered"
    );
    assert_eq!(status("/f/street-feedback"), Some(200));
    assert_eq!(status("/no/such/route (404)"), Some(404));

    // The policy is the hosted pages' own: not on the API or the loader.
    for (what, res) in &responses {
        let is_page = what.starts_with("/f/") || *what == "/favicon.svg";
        assert_eq!(
            res.headers().contains_key("content-security-policy"),
            is_page,
            "{what}"
        );
        assert_eq!(
            res.headers().contains_key("x-frame-options"),
            is_page,
            "{what}"
        );
    }
    s.stop().await;
}
