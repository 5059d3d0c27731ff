//! Who may read and change what: every analyst and admin route refuses a
//! missing token, a malformed header, an unknown token, and (for admin
//! routes) an analyst's token, each with problem+json; a real token gets
//! past the check. One table, so a route that forgets its extractor fails.

use crate::common::*;
use collector::model::Role;
use reqwest::Method;
use serde_json::{json, Value};

/// Every route behind a token: method, path, body, and whether it needs
/// an admin.
fn guarded() -> Vec<(Method, &'static str, Option<Value>, bool)> {
    let code = json!({"question": "comment", "themes": []});
    vec![
        (Method::GET, "/api/v1/forms", None, false),
        (Method::GET, "/api/v1/forms/mini/responses", None, false),
        (Method::GET, "/api/v1/forms/mini/aggregates", None, false),
        (
            Method::GET,
            "/api/v1/forms/mini/trends?question=safe",
            None,
            false,
        ),
        (Method::GET, "/api/v1/forms/mini/text", None, false),
        (
            Method::GET,
            "/api/v1/forms/mini/agreement?question=comment",
            None,
            false,
        ),
        (
            Method::PUT,
            "/api/v1/responses/00000000000000010000000000000001/codes",
            Some(code),
            false,
        ),
        (Method::PUT, "/api/v1/forms/mini", Some(json!({})), true),
        (
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"role": "analyst"})),
            true,
        ),
        (Method::GET, "/api/v1/alerts/stream", None, false),
        (
            Method::POST,
            "/api/v1/hooks",
            Some(json!({"url": "http://127.0.0.1:9/"})),
            true,
        ),
        (Method::GET, "/api/v1/hooks", None, true),
        (Method::DELETE, "/api/v1/hooks/0123456789abcdef", None, true),
        (
            Method::GET,
            "/api/v1/hooks/0123456789abcdef/deliveries",
            None,
            true,
        ),
        (Method::GET, "/api/v1/deliveries?state=dead", None, true),
        (
            Method::POST,
            "/api/v1/deliveries/00000000000000000001-0123456789abcdef/replay",
            None,
            true,
        ),
    ]
}

async fn problem(res: reqwest::Response, status: u16, what: &str) {
    assert_eq!(res.status(), status, "{what}");
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "{what}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status, "{what}");
}

#[tokio::test]
async fn every_guarded_route_refuses_who_may_not_use_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let analyst = s.token(Role::Analyst);
    let admin = s.token(Role::Admin);
    for (method, path, body, admin_only) in guarded() {
        let send = |auth: Option<String>| {
            let mut req = s.client.request(method.clone(), s.url(path));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            req.send()
        };
        let what = |who: &str| format!("{method} {path} with {who}");
        problem(send(None).await.unwrap(), 401, &what("no token")).await;
        problem(
            send(Some(format!("Token {analyst}"))).await.unwrap(),
            401,
            &what("a header that is not Bearer"),
        )
        .await;
        problem(
            send(Some("Bearer not-a-token".into())).await.unwrap(),
            401,
            &what("an unknown token"),
        )
        .await;
        // One character off a real token is as unknown as any other.
        let mut near = analyst.clone();
        near.pop();
        near.push('x');
        problem(
            send(Some(format!("Bearer {near}"))).await.unwrap(),
            401,
            &what("a token one character off"),
        )
        .await;
        let with_analyst = send(Some(format!("Bearer {analyst}"))).await.unwrap();
        if admin_only {
            problem(with_analyst, 403, &what("an analyst's token")).await;
        } else {
            assert!(
                ![401, 403].contains(&with_analyst.status().as_u16()),
                "{}: {}",
                what("an analyst's token"),
                with_analyst.status()
            );
        }
        let with_admin = send(Some(format!("Bearer {admin}"))).await.unwrap();
        assert!(
            ![401, 403].contains(&with_admin.status().as_u16()),
            "{}: {}",
            what("an admin's token"),
            with_admin.status()
        );
    }
    s.stop().await;
}

/// A supervisor's token opens the live alert feed (which shows it only
/// its teams' alerts) but none of the webhook routes.
#[tokio::test]
async fn a_supervisor_may_watch_alerts_but_not_manage_hooks() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(config(dir.path())).await;
    let mut spec = collector::service::tokens::Spec::role(Role::Supervisor);
    spec.teams = vec!["east".into()];
    let (supervisor, _) = collector::service::tokens::create(s.state.store.as_ref(), spec).unwrap();
    let res = s
        .client
        .get(s.url("/api/v1/alerts/stream"))
        .bearer_auth(&supervisor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    drop(res);
    for (method, path) in guarded()
        .into_iter()
        .filter(|(_, p, _, _)| p.contains("/hooks") || p.contains("/deliveries"))
        .map(|(m, p, _, _)| (m, p))
    {
        let res = s
            .client
            .request(method.clone(), s.url(path))
            .bearer_auth(&supervisor)
            .json(&json!({"url": "https://192.0.2.10/"}))
            .send()
            .await
            .unwrap();
        problem(
            res,
            403,
            &format!("{method} {path} with a supervisor's token"),
        )
        .await;
    }
    s.stop().await;
}
