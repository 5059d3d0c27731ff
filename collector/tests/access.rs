//! Who may read and change what: every staff route refuses a missing
//! token, a malformed header and an unknown token, and a role below the
//! one it needs, each with problem+json; a token of that role gets past
//! the check. One table, so a route that forgets its extractor fails.

use crate::common::*;
use collector::model::Role;
use reqwest::Method;
use serde_json::{json, Value};

/// The least a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Needs {
    /// Any staff token: a supervisor's too (it then sees its own teams).
    Staff,
    /// An analyst's or an admin's.
    Analyst,
    /// An admin's.
    Admin,
}

/// Every route behind a token: method, path, body, and the role it needs.
fn guarded() -> Vec<(Method, &'static str, Option<Value>, Needs)> {
    let code = json!({"question": "comment", "themes": []});
    vec![
        (Method::GET, "/api/v1/forms", None, Needs::Analyst),
        (
            Method::GET,
            "/api/v1/forms/mini/responses",
            None,
            Needs::Analyst,
        ),
        (
            Method::GET,
            "/api/v1/forms/mini/aggregates",
            None,
            Needs::Staff,
        ),
        (
            Method::GET,
            "/api/v1/forms/mini/trends?question=safe",
            None,
            Needs::Staff,
        ),
        (Method::GET, "/api/v1/forms/mini/text", None, Needs::Staff),
        // The table's supervisor covers teams only, and the funnel's counts
        // carry no team: refused like a role below. A supervisor with
        // places reads those places' funnel (tests/funnel.rs).
        (
            Method::GET,
            "/api/v1/forms/mini/funnel",
            None,
            Needs::Analyst,
        ),
        (
            Method::GET,
            "/api/v1/forms/mini/agreement?question=comment",
            None,
            Needs::Analyst,
        ),
        (Method::GET, "/api/v1/places", None, Needs::Analyst),
        // Past the check, a register with problems: nothing changes.
        (
            Method::PUT,
            "/api/v1/places",
            Some(json!({"wards": [{"id": "w", "name": "W", "cluster": "none"}]})),
            Needs::Admin,
        ),
        (
            Method::GET,
            "/api/v1/forms/mini/qr?loc=bank",
            None,
            Needs::Analyst,
        ),
        (
            Method::GET,
            "/api/v1/forms/mini/poster?loc=bank",
            None,
            Needs::Analyst,
        ),
        (
            Method::PUT,
            "/api/v1/responses/00000000000000010000000000000001/codes",
            Some(code.clone()),
            Needs::Analyst,
        ),
        (
            Method::PUT,
            "/api/v1/responses/00000000000000010000000000000001/check-codes",
            Some(code),
            Needs::Analyst,
        ),
        (
            Method::GET,
            "/api/v1/forms/mini/intercoder?question=comment",
            None,
            Needs::Analyst,
        ),
        (
            Method::PUT,
            "/api/v1/forms/mini",
            Some(json!({})),
            Needs::Admin,
        ),
        (
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"role": "analyst"})),
            Needs::Admin,
        ),
        (Method::GET, "/api/v1/tokens", None, Needs::Admin),
        (
            Method::DELETE,
            "/api/v1/tokens/000000000000",
            None,
            Needs::Admin,
        ),
        (
            Method::POST,
            "/api/v1/forms/mini/invitations",
            Some(json!([{"team": "east"}])),
            Needs::Admin,
        ),
        (
            Method::GET,
            "/api/v1/forms/mini/invitations/x/qr",
            None,
            Needs::Admin,
        ),
        (
            Method::GET,
            "/api/v1/forms/mini/invitations/summary",
            None,
            Needs::Staff,
        ),
        (Method::GET, "/api/v1/cases", None, Needs::Staff),
        (Method::GET, "/api/v1/cases/report", None, Needs::Staff),
        (Method::GET, "/api/v1/cases/1", None, Needs::Staff),
        (Method::GET, "/api/v1/alerts/stream", None, Needs::Staff),
        (
            Method::POST,
            "/api/v1/hooks",
            Some(json!({"url": "http://127.0.0.1:9/"})),
            Needs::Admin,
        ),
        (Method::GET, "/api/v1/hooks", None, Needs::Admin),
        (Method::GET, "/api/v1/actions", None, Needs::Staff),
        (
            Method::POST,
            "/api/v1/actions",
            Some(
                json!({"form": "mini", "themes": [], "wards": [], "text": {}, "done_on": "2025-01-01"}),
            ),
            Needs::Admin,
        ),
        (
            Method::DELETE,
            "/api/v1/actions/0000000000000-00000000",
            None,
            Needs::Admin,
        ),
        (
            Method::DELETE,
            "/api/v1/hooks/0123456789abcdef",
            None,
            Needs::Admin,
        ),
        (
            Method::GET,
            "/api/v1/hooks/0123456789abcdef/deliveries",
            None,
            Needs::Admin,
        ),
        (
            Method::GET,
            "/api/v1/deliveries?state=dead",
            None,
            Needs::Admin,
        ),
        (
            Method::POST,
            "/api/v1/deliveries/00000000000000000001-0123456789abcdef/replay",
            None,
            Needs::Admin,
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
    let supervisor = s.supervisor_token(&["East response"], &[]);
    let analyst = s.token(Role::Analyst);
    let admin = s.token(Role::Admin);
    let revoked = s.token(Role::Admin);
    let hash = collector::service::tokens::hash_token(&revoked);
    assert!(collector::service::tokens::revoke(
        s.state.store.as_ref(),
        &collector::service::tokens::token_id(&hash)
    )
    .unwrap());
    let expired = collector::service::tokens::new_token().unwrap();
    let mut record = collector::model::TokenRecord::new(Role::Admin);
    record.expires_ms = Some(collector::model::now_ms() - 1);
    s.state
        .store
        .put_token(collector::service::tokens::hash_token(&expired), &record)
        .unwrap();
    for (method, path, body, needs) in guarded() {
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
        // A token that was real, but was revoked or has expired.
        for (token, how) in [
            (&revoked, "a revoked token"),
            (&expired, "an expired token"),
        ] {
            problem(
                send(Some(format!("Bearer {token}"))).await.unwrap(),
                401,
                &what(how),
            )
            .await;
        }
        for (token, role, who) in [
            (&supervisor, Needs::Staff, "a supervisor's token"),
            (&analyst, Needs::Analyst, "an analyst's token"),
        ] {
            let res = send(Some(format!("Bearer {token}"))).await.unwrap();
            if role < needs {
                problem(res, 403, &what(who)).await;
            } else {
                assert!(
                    ![401, 403].contains(&res.status().as_u16()),
                    "{}: {}",
                    what(who),
                    res.status()
                );
            }
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
