//! The staff dashboard and the public ward pages over a real socket: the
//! session (cookie attributes, CSRF, sign-out, revocation), every figure
//! on a page against the API's figure for the same query, coding in
//! place, a supervisor's scope, the CSV downloads, and the public page's
//! protection of small numbers.

use crate::common::*;
use collector::model::Role;
use collector::service::import;
use collector::store::{SledStore, Store};
use scraper::{ElementRef, Html, Selector};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::OnceLock;

const FORM: &str = "community-safety";

/// A sled folder with generated responses to the three example forms
/// (2023-04 to 2025-03), built once.
fn fixture() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        collector::publish_folder(&store, &example_forms()).unwrap();
        // The server's coding, so it finds nothing to score again.
        let indexes = collector::index::Indexes::new(analysis::Scorer::new())
            .with_sentiment_model()
            .with_theme_model();
        for (id, count) in [(FORM, 6000), ("street-feedback", 2000)] {
            let form = store.form(id).unwrap();
            let options = synth::Options {
                seed: 5,
                count,
                ..synth::Options::default()
            };
            let rows = synth::submissions(&form.form, options).unwrap();
            assert_eq!(
                import::load(&store, &indexes, &form.form, rows).unwrap(),
                count
            );
        }
        dir
    })
    .path()
}

/// A server over a private copy of the fixture.
async fn loaded() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture(), dir.path());
    let s = Server::start(collector::Config {
        forms: example_forms(),
        ..config(dir.path())
    })
    .await;
    (dir, s)
}

/// A client that follows no redirect, so each step is seen.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in with `token`; the session cookie's value.
pub(crate) async fn sign_in(s: &Server, token: &str) -> String {
    let res = client()
        .post(s.url("/dashboard/sign-in"))
        .form(&[("token", token), ("next", "/dashboard/overview")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    set.split(';')
        .next()
        .and_then(|kv| kv.strip_prefix("dashboard_session="))
        .unwrap()
        .to_owned()
}

/// `GET path` with the session cookie: status and body.
pub(crate) async fn get(s: &Server, cookie: &str, path: &str) -> (u16, String) {
    let res = client()
        .get(s.url(path))
        .header("cookie", format!("dashboard_session={cookie}"))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// `POST path` with the session cookie and a form body.
async fn post(s: &Server, cookie: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client()
        .post(s.url(path))
        .header("cookie", format!("dashboard_session={cookie}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// The session's CSRF secret, from any signed-in page's sign-out form.
fn csrf(html: &str) -> String {
    Html::parse_document(html)
        .select(&sel("form.signout input[name=csrf]"))
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap()
        .to_owned()
}

/// The rows of the `n`th table of a page: each cell's element.
fn rows(doc: &Html, n: usize) -> Vec<Vec<ElementRef<'_>>> {
    let table = doc.select(&sel("table")).nth(n).expect("table");
    table
        .select(&sel("tbody tr"))
        .map(|tr| tr.select(&sel("th, td")).collect())
        .collect()
}

/// A row's heading: its first link's words (a place's name beside its
/// "trend" link), else its words.
fn head(e: &ElementRef<'_>) -> String {
    e.select(&sel("a"))
        .next()
        .map_or_else(|| e.text().collect::<String>(), |a| a.text().collect())
        .trim()
        .to_owned()
}

fn value(e: &ElementRef<'_>) -> Option<f64> {
    e.value().attr("data-value").and_then(|v| v.parse().ok())
}

fn href_param(e: &ElementRef<'_>, key: &str) -> Option<String> {
    let href = e.select(&sel("a")).next()?.value().attr("href")?;
    let query = href.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn signing_in_sets_a_strict_session_cookie_and_signing_out_ends_it() {
    let (_dir, s) = loaded().await;
    let token = s.token(Role::Analyst);

    // Not signed in: to the sign-in page, remembering where to go back.
    let res = client()
        .get(s.url("/dashboard/trend?form=community-safety"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap();
    assert_eq!(
        to,
        "/dashboard/sign-in?next=%2Fdashboard%2Ftrend%3Fform%3Dcommunity-safety"
    );
    let (status, page) = get(&s, "", to).await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"type="password""#) && page.contains(r#"method="post""#));

    // A wrong token: the form again, with the error named and linked.
    let res = client()
        .post(s.url("/dashboard/sign-in"))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("set-cookie").is_none());
    let body = res.text().await.unwrap();
    assert!(body.contains("There is a problem") && body.contains(r##"href="#token""##));

    // A sign-in from another site is refused.
    let res = client()
        .post(s.url("/dashboard/sign-in"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The right token: a session cookie, never the token, and back to
    // where they were going (never to another site).
    let res = client()
        .post(s.url("/dashboard/sign-in"))
        .form(&[
            ("token", token.as_str()),
            ("next", "/dashboard/trend?form=community-safety"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/dashboard/trend?form=community-safety"
    );
    let set = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/dashboard",
        "Max-Age=28800",
    ] {
        assert!(set.split("; ").any(|a| a == attr), "{attr} missing: {set}");
    }
    assert!(!set.contains(&token), "the token is not the cookie");
    let res = client()
        .post(s.url("/dashboard/sign-in"))
        .form(&[("token", token.as_str()), ("next", "https://evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/dashboard");
    let cookie = sign_in(&s, &token).await;

    let (status, page) = get(&s, &cookie, "/dashboard/overview?form=community-safety").await;
    assert_eq!(status, 200);
    assert!(!page.contains(&token), "the token is never on a page");
    let res = client()
        .get(s.url("/dashboard/overview"))
        .header("cookie", format!("dashboard_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("form-action 'self'"));

    // Signing out without the session's secret is refused; with it, the
    // session ends and the cookie is cleared.
    let res = post(&s, &cookie, "/dashboard/sign-out", &[("csrf", "wrong")]).await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        get(&s, &cookie, "/dashboard/overview").await.0,
        200,
        "still signed in"
    );
    let res = post(
        &s,
        &cookie,
        "/dashboard/sign-out",
        &[("csrf", &csrf(&page))],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        get(&s, &cookie, "/dashboard/overview").await.0,
        303,
        "signed out"
    );

    // Revoking the token ends its sessions at once.
    let cookie = sign_in(&s, &token).await;
    assert_eq!(get(&s, &cookie, "/dashboard/overview").await.0, 200);
    let id = collector::service::tokens::token_id(&collector::service::tokens::hash_token(&token));
    assert!(collector::service::tokens::revoke(s.state.store.as_ref(), &id).unwrap());
    assert_eq!(get(&s, &cookie, "/dashboard/overview").await.0, 303);
    // A session ends by itself after its 8 hours, and is then removed.
    let fresh = s.token(Role::Analyst);
    let cookie = sign_in(&s, &fresh).await;
    assert_eq!(get(&s, &cookie, "/dashboard/overview").await.0, 200);
    for (key, value) in s
        .state
        .store
        .docs(collector::store::Doc::Session, None, 100)
        .unwrap()
    {
        let mut session: Value = serde_json::from_slice(&value).unwrap();
        let expires = session["expires_ms"].as_u64().unwrap();
        let created = session["created_ms"].as_u64().unwrap();
        assert_eq!(expires - created, 8 * 3600 * 1000, "a shift long");
        session["expires_ms"] = json!(collector::model::now_ms() - 1);
        s.state
            .store
            .put_doc(
                collector::store::Doc::Session,
                &key,
                &serde_json::to_vec(&session).unwrap(),
            )
            .unwrap();
    }
    assert_eq!(
        get(&s, &cookie, "/dashboard/overview").await.0,
        303,
        "expired"
    );
    // The store holds only the cookie's hash: a copy of it signs nobody in.
    let stored = s
        .state
        .store
        .docs(collector::store::Doc::Session, None, 100)
        .unwrap();
    assert!(stored
        .iter()
        .all(|(k, v)| k != &cookie && !String::from_utf8_lossy(v).contains(&cookie)));
    s.stop().await;
}

#[tokio::test]
async fn writes_need_the_sessions_secret_and_must_come_from_this_site() {
    let (_dir, s) = loaded().await;
    let cookie = sign_in(&s, &s.token(Role::Admin)).await;
    let (_, page) = get(&s, &cookie, "/dashboard/text?form=community-safety").await;
    let secret = csrf(&page);
    let doc = Html::parse_document(&page);
    let first = doc.select(&sel("article.answer")).next().unwrap();
    let id = first.value().attr("data-id").unwrap().to_owned();
    let form = |csrf: &str| {
        vec![
            ("csrf".to_owned(), csrf.to_owned()),
            ("id".to_owned(), id.clone()),
            ("question".to_owned(), "safety_comment".to_owned()),
            ("theme".to_owned(), "drugs".to_owned()),
            ("sentiment".to_owned(), "negative".to_owned()),
            (
                "back".to_owned(),
                "/dashboard/text?form=community-safety".to_owned(),
            ),
        ]
    };
    let send = |body: Vec<(String, String)>, site: Option<&'static str>| {
        let mut req = client()
            .post(s.url("/dashboard/codes"))
            .header("cookie", format!("dashboard_session={cookie}"))
            .form(&body);
        if let Some(site) = site {
            req = req.header("sec-fetch-site", site);
        }
        req.send()
    };
    assert_eq!(
        send(form(""), None).await.unwrap().status(),
        403,
        "no secret"
    );
    assert_eq!(
        send(form("0".repeat(64).as_str()), None)
            .await
            .unwrap()
            .status(),
        403,
        "another secret"
    );
    assert_eq!(
        send(form(&secret), Some("cross-site"))
            .await
            .unwrap()
            .status(),
        403,
        "another site"
    );
    let res = send(form(&secret), Some("same-origin")).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/dashboard/text?form=community-safety"
    );
    // Without a session at all: to the sign-in page, nothing stored.
    let res = client()
        .post(s.url("/dashboard/codes"))
        .form(&form(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/dashboard/sign-in"));
    s.stop().await;
}

#[tokio::test]
async fn every_figure_on_the_overview_places_and_trend_is_the_apis_figure() {
    let (_dir, s) = loaded().await;
    let token = s.token(Role::Analyst);
    let cookie = sign_in(&s, &token).await;

    // Overview, the newest quarter against the one before.
    let (status, page) = get(
        &s,
        &cookie,
        "/dashboard/overview?form=community-safety&respondent=worker",
    )
    .await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&page);
    let measures = rows(&doc, 1);
    assert_eq!(
        measures.len(),
        10,
        "one row per headline measure: nine scales and the form's worry share"
    );
    let api = |quarter: &str| {
        format!(
            "/api/v1/forms/{FORM}/aggregates?quarter={}&where=respondent_type:worker",
            form_urlencoded::byte_serialize(quarter.as_bytes()).collect::<String>()
        )
    };
    let now = s.get_ok(&api("2024/25 Q4"), &token).await;
    let before = s.get_ok(&api("2024/25 Q3"), &token).await;
    // A scale's measure is the API's "satisfied" summary; a choice share
    // (`worry:a-lot,a-little`) is its cells' counts over those who answered.
    let satisfied = |a: &Value, m: &str| -> (f64, u64, u64) {
        let (q, answers) = m.split_once(':').unwrap_or((m, ""));
        let summary = a["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["question"] == q && x["group"].as_array().unwrap().is_empty())
            .unwrap();
        if answers.is_empty() {
            let sat = &summary["satisfied"];
            return (
                sat["proportion"].as_f64().unwrap(),
                sat["count"].as_u64().unwrap(),
                sat["n"].as_u64().unwrap(),
            );
        }
        let n = summary["answered"].as_u64().unwrap();
        let count: u64 = a["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                c["question"] == q
                    && c["group"].as_array().unwrap().is_empty()
                    && answers.split(',').any(|x| c["answer"] == x)
            })
            .map(|c| c["count"].as_u64().unwrap())
            .sum();
        (count as f64 / n as f64, count, n)
    };
    let mut significant = 0;
    for row in &measures {
        let m = href_param(&row[0], "m").expect("a measure links to its trend");
        let (p, count, n) = satisfied(&now, &m);
        assert!(close(value(&row[1]).unwrap(), p), "{m}: this quarter");
        assert_eq!(
            row[1].value().attr("data-count"),
            Some(count.to_string().as_str())
        );
        assert_eq!(value(&row[3]), Some(n as f64), "{m}: answers");
        let (bp, bc, bn) = satisfied(&before, &m);
        assert!(close(value(&row[4]).unwrap(), bp), "{m}: last quarter");
        let change = analysis::Change::between(count, n, bc, bn).unwrap();
        assert!(
            close(value(&row[5]).unwrap(), change.difference),
            "{m}: change"
        );
        let flagged = row[5].text().collect::<String>().contains("significant");
        assert_eq!(
            flagged, change.significant,
            "{m}: flagged exactly when significant"
        );
        significant += usize::from(flagged);
    }
    let responses = rows(&doc, 0);
    assert_eq!(value(&responses[0][1]), now["n"].as_f64());
    assert_eq!(value(&responses[1][1]), before["n"].as_f64());
    println!("{significant} of 9 changes significant");

    // Places: wards of the Liverpool Street cluster, workers, this quarter.
    let path = "/dashboard/drill?form=community-safety&m=feel_safe_dark&level=ward&in=cluster:liverpool-street&respondent=worker&quarter=2024%2F25+Q4";
    let (status, page) = get(&s, &cookie, path).await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&page);
    let api = s
        .get_ok(
            &format!("/api/v1/forms/{FORM}/aggregates?quarter=2024%2F25+Q4&where=respondent_type:worker&by=ward&cluster=liverpool-street&question=feel_safe_dark"),
            &token,
        )
        .await;
    let wards = rows(&doc, 0);
    let groups: Vec<&Value> = api["summaries"].as_array().unwrap().iter().collect();
    assert_eq!(wards.len(), groups.len());
    assert!(wards.len() >= 2, "the cluster's wards");
    let mut last = f64::MIN;
    for row in &wards {
        let ward = href_param(&row[0], "in").unwrap();
        let ward = ward.strip_prefix("ward:").unwrap();
        let g = groups.iter().find(|g| g["group"][0] == ward).unwrap();
        let v = value(&row[1]).unwrap();
        assert!(
            close(v, g["satisfied"]["proportion"].as_f64().unwrap()),
            "{ward}"
        );
        assert_eq!(value(&row[4]), g["answered"].as_f64(), "{ward}: answers");
        assert!(v >= last, "least safe first");
        last = v;
        // The chart's bar carries the same figure.
        let bars: Vec<f64> = doc
            .select(&sel("svg rect[data-value]"))
            .filter_map(|r| value(&r))
            .collect();
        assert!(bars.iter().any(|b| close(*b, v)));
    }

    // Trend: every month's share, limits and exceptions.
    let (status, page) = get(
        &s,
        &cookie,
        "/dashboard/trend?form=community-safety&m=feel_safe_dark",
    )
    .await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&page);
    let api = s
        .get_ok(
            &format!("/api/v1/forms/{FORM}/trends?question=feel_safe_dark&answer=4,5"),
            &token,
        )
        .await;
    let points = api["points"].as_array().unwrap();
    let months = rows(&doc, 0);
    assert_eq!(months.len(), points.len());
    assert_eq!(months.len(), 24, "April 2023 to March 2025");
    for (row, p) in months.iter().zip(points) {
        assert_eq!(
            row[0].text().collect::<String>(),
            p["period"].as_str().unwrap()
        );
        assert!(close(value(&row[1]).unwrap(), p["value"].as_f64().unwrap()));
        assert!(close(value(&row[2]).unwrap(), p["lower"].as_f64().unwrap()));
        assert!(close(value(&row[3]).unwrap(), p["upper"].as_f64().unwrap()));
        let marked = !row[6].text().collect::<String>().trim().is_empty();
        assert_eq!(marked, p["exception"].as_bool().unwrap(), "{}", p["period"]);
    }
    let diamonds: Vec<String> = doc
        .select(&sel("svg path.exception"))
        .map(|e| e.value().attr("data-period").unwrap().to_owned())
        .collect();
    let exceptions: Vec<String> = points
        .iter()
        .filter(|p| p["exception"].as_bool().unwrap())
        .map(|p| p["period"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        diamonds, exceptions,
        "the chart marks exactly the exceptions"
    );
    let signals = doc.select(&sel("ul.signals li")).count();
    assert_eq!(signals, api["signals"].as_array().unwrap().len());
    let centre = doc
        .select(&sel("svg line.centre"))
        .next()
        .and_then(|e| value(&e));
    assert!(close(centre.unwrap(), api["centre"].as_f64().unwrap()));

    // The map: each ward's shade carries the API's figure.
    let (status, page) = get(
        &s,
        &cookie,
        "/dashboard/map?form=community-safety&m=feel_safe_dark&respondent=worker&quarter=2024%2F25+Q4",
    )
    .await;
    assert_eq!(status, 200);
    let map = Html::parse_document(&page);
    let by_ward = s
        .get_ok(
            &format!("/api/v1/forms/{FORM}/aggregates?quarter=2024%2F25+Q4&where=respondent_type:worker&by=ward&question=feel_safe_dark"),
            &token,
        )
        .await;
    let shapes: Vec<ElementRef<'_>> = map.select(&sel("svg.map path[data-ward]")).collect();
    assert_eq!(shapes.len(), 25, "every ward drawn");
    let mut shaded = 0;
    for shape in &shapes {
        let ward = shape.value().attr("data-ward").unwrap();
        let api = by_ward["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"][0] == ward)
            .and_then(|g| g["satisfied"]["proportion"].as_f64());
        match (value(shape), api) {
            (Some(v), Some(a)) => {
                assert!(close(v, a), "{ward}");
                shaded += 1;
            }
            (None, None) => {}
            (v, a) => panic!("{ward}: the map says {v:?}, the API {a:?}"),
        }
    }
    assert!(shaded >= 10);
    s.stop().await;
}

#[tokio::test]
async fn correcting_an_answers_codes_in_place_moves_the_theme_count() {
    let (_dir, s) = loaded().await;
    let token = s.token(Role::Analyst);
    let cookie = sign_in(&s, &token).await;
    let path = "/dashboard/text?form=community-safety&quarter=2024%2F25+Q4&ward=bishopsgate";
    let (_, page) = get(&s, &cookie, path).await;
    let count_of = |page: &str, theme: &str| -> u64 {
        let doc = Html::parse_document(page);
        rows(&doc, 0)
            .iter()
            .find(|r| href_param(&r[0], "theme").as_deref() == Some(theme))
            .and_then(|r| r[1].value().attr("data-count"))
            .unwrap()
            .parse()
            .unwrap()
    };
    let doc = Html::parse_document(&page);
    // An answer the automatic coding did not give "road-safety".
    let answer = doc
        .select(&sel("article.answer"))
        .find(|a| {
            a.select(&sel("input[name=theme][value=road-safety]"))
                .next()
                .is_some_and(|i| i.value().attr("checked").is_none())
        })
        .expect("an answer without road safety");
    let id = answer.value().attr("data-id").unwrap().to_owned();
    let before = count_of(&page, "road-safety");
    let api_count = |a: Value| -> u64 {
        a["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["answer"] == "theme:road-safety" && c["question"] == "safety_comment")
            .map_or(0, |c| c["count"].as_u64().unwrap())
    };
    let api = "/api/v1/forms/community-safety/aggregates?quarter=2024%2F25+Q4&ward=bishopsgate&question=safety_comment";
    assert_eq!(api_count(s.get_ok(api, &token).await), before);

    let res = post(
        &s,
        &cookie,
        "/dashboard/codes",
        &[
            ("csrf", &csrf(&page)),
            ("id", &id),
            ("question", "safety_comment"),
            ("theme", "road-safety"),
            ("sentiment", "negative"),
            ("back", &format!("{path}#a-{id}")),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        format!("{path}#a-{id}")
    );
    let (_, page) = get(&s, &cookie, path).await;
    assert_eq!(
        count_of(&page, "road-safety"),
        before + 1,
        "the count moved"
    );
    assert_eq!(
        api_count(s.get_ok(api, &token).await),
        before + 1,
        "and the API agrees"
    );
    // The answer now shows the analyst's codes.
    let doc = Html::parse_document(&page);
    let shown = doc
        .select(&sel("article.answer"))
        .find(|a| a.value().attr("data-id") == Some(id.as_str()));
    if let Some(a) = shown {
        let tags = a
            .select(&sel("p.tags"))
            .next()
            .unwrap()
            .text()
            .collect::<String>();
        assert!(
            tags.contains("Road safety") && tags.contains("coded by hand"),
            "{tags}"
        );
    }
    // A code the codebook does not have is refused with the field named.
    let res = post(
        &s,
        &cookie,
        "/dashboard/codes",
        &[
            ("csrf", &csrf(&page)),
            ("id", &id),
            ("question", "safety_comment"),
            ("theme", "no-such-theme"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("no-such-theme"));
    s.stop().await;
}

#[tokio::test]
async fn a_supervisor_sees_only_their_places_and_cannot_code() {
    let (_dir, s) = loaded().await;
    let token = s.supervisor_token(&[], &["bishopsgate"]);
    let cookie = sign_in(&s, &token).await;
    let (status, page) = get(
        &s,
        &cookie,
        "/dashboard/drill?form=community-safety&level=ward&quarter=all",
    )
    .await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&page);
    let wards: Vec<String> = rows(&doc, 0).iter().map(|r| head(&r[0])).collect();
    assert_eq!(wards, ["Bishopsgate"], "only their ward");
    assert!(page.contains("(supervisor)"));
    // Their overview counts only their ward's responses.
    let (_, page) = get(&s, &cookie, "/dashboard/overview?form=community-safety").await;
    let analyst = s.token(Role::Analyst);
    let api = s
        .get_ok(
            "/api/v1/forms/community-safety/aggregates?quarter=2024%2F25+Q4&ward=bishopsgate",
            &analyst,
        )
        .await;
    let doc = Html::parse_document(&page);
    assert_eq!(value(&rows(&doc, 0)[0][1]), api["n"].as_f64());
    // A place outside their scope is refused, by name; a ward outside it
    // only narrows what they see to nothing.
    let (status, page) = get(
        &s,
        &cookie,
        "/dashboard/drill?form=community-safety&level=site&location=tower",
    )
    .await;
    assert_eq!(status, 403);
    assert!(page.contains("tower"));
    let (status, page) = get(
        &s,
        &cookie,
        "/dashboard/drill?form=community-safety&level=ward&ward=tower&quarter=all",
    )
    .await;
    assert_eq!(status, 200);
    assert!(rows(&Html::parse_document(&page), 0).is_empty());
    // No coding controls, and a coding post is refused.
    let (_, page) = get(&s, &cookie, "/dashboard/text?form=community-safety").await;
    assert!(!page.contains("Correct the codes"));
    let doc = Html::parse_document(&page);
    let id = doc
        .select(&sel("article.answer"))
        .next()
        .and_then(|a| a.value().attr("data-id"))
        .unwrap()
        .to_owned();
    let res = post(
        &s,
        &cookie,
        "/dashboard/codes",
        &[
            ("csrf", &csrf(&page)),
            ("id", &id),
            ("question", "safety_comment"),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);
    s.stop().await;
}

#[tokio::test]
async fn each_tables_csv_holds_exactly_the_figures_shown() {
    let (_dir, s) = loaded().await;
    let cookie = sign_in(&s, &s.token(Role::Analyst)).await;
    for path in [
        "/dashboard/drill?form=community-safety&m=feel_safe_dark&level=ward",
        "/dashboard/breakdown?form=community-safety&m=police_fair&by=respondent",
        "/dashboard/crosstab?form=community-safety&question=worry&by=respondent",
        "/dashboard/trend?form=community-safety&m=feel_safe_day&period=quarter",
        "/dashboard/map?form=community-safety&m=police_fair",
        "/dashboard/overview?form=community-safety&share=public&ward=aldgate",
    ] {
        let (status, page) = get(&s, &cookie, path).await;
        assert_eq!(status, 200, "{path}");
        let doc = Html::parse_document(&page);
        let link = doc
            .select(&sel("p.csv a"))
            .next()
            .and_then(|a| a.value().attr("href"))
            .unwrap()
            .to_owned();
        let res = client()
            .get(s.url(&link))
            .header("cookie", format!("dashboard_session={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["content-type"],
            "text/csv; charset=utf-8",
            "{path}"
        );
        let body = res.text().await.unwrap();
        let mut csv = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
        let table_index = link
            .split("table=")
            .nth(1)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let shown = rows(&doc, table_index);
        let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        assert_eq!(
            records.len(),
            shown.len(),
            "{path}: one CSV row per table row"
        );
        for (rec, row) in records.iter().zip(&shown) {
            assert_eq!(&rec[0], head(&row[0]), "{path}");
            // Every figure in the row is in the CSV row, exactly.
            for cell in row.iter().skip(1) {
                if let Some(v) = value(cell) {
                    assert!(
                        rec.iter()
                            .any(|f| f.parse::<f64>().is_ok_and(|x| (x - v).abs() < 1e-6)),
                        "{path}: {v} not in {rec:?}"
                    );
                } else if cell.text().collect::<String>().trim() == "–" {
                    // Hidden on the page, empty in the CSV.
                    assert!(rec.iter().any(str::is_empty), "{path}: {rec:?}");
                }
            }
        }
    }
    // Marked for sharing: the small cells are hidden on the page too.
    let (_, page) = get(
        &s,
        &cookie,
        "/dashboard/crosstab?form=community-safety&question=age&by=ward&share=public",
    )
    .await;
    let doc = Html::parse_document(&page);
    let hidden = doc
        .select(&sel("td.num"))
        .filter(|td| td.value().attr("data-value").is_none())
        .count();
    assert!(hidden > 0, "some ward × age cells are small");
    // A small ward's trend, marked for sharing: months with fewer than 10
    // on either side are left out of the chart and blank in the table.
    let (_, page) = get(
        &s,
        &cookie,
        "/dashboard/trend?form=community-safety&m=feel_safe_dark&ward=walbrook&share=public",
    )
    .await;
    let doc = Html::parse_document(&page);
    let months = rows(&doc, 0);
    let blank = months.iter().filter(|r| value(&r[1]).is_none()).count();
    assert!(
        blank > 0 && blank < months.len(),
        "{blank} of {} blank",
        months.len()
    );
    for r in &months {
        if let (Some(c), Some(n)) = (
            r[4].value()
                .attr("data-count")
                .map(|c| c.parse::<u64>().unwrap()),
            value(&r[5]),
        ) {
            assert!(c >= 10 && n as u64 - c >= 10, "{c} of {n} shown");
        }
    }
    let marks = doc.select(&sel("svg [data-period]")).count();
    assert_eq!(
        marks,
        months.len() - blank,
        "the chart shows what the table shows"
    );
    // The chart is drawn from the shown months alone: its centre is their
    // pooled share, and no exception names a hidden month.
    let (mut hits, mut answered) = (0u64, 0u64);
    let mut hidden_months = Vec::new();
    for r in &months {
        match r[4].value().attr("data-count") {
            Some(c) => {
                hits += c.parse::<u64>().unwrap();
                answered += value(&r[5]).unwrap() as u64;
            }
            None => hidden_months.push(r[0].text().collect::<String>()),
        }
    }
    let centre = doc
        .select(&sel("svg line.centre"))
        .next()
        .and_then(|e| value(&e))
        .unwrap();
    assert!((centre - hits as f64 / answered as f64).abs() < 1e-9);
    for li in doc.select(&sel("ul.signals li")) {
        let (from, to) = (
            li.value().attr("data-from").unwrap(),
            li.value().attr("data-to").unwrap(),
        );
        assert!(
            !hidden_months.iter().any(|m| m == from || m == to),
            "an exception names a hidden month"
        );
    }
    for td in doc.select(&sel("td.num[data-count]")) {
        let n: u64 = td.value().attr("data-count").unwrap().parse().unwrap();
        assert!(n == 0 || n >= 10, "a shown count under 10: {n}");
    }
    s.stop().await;
}

#[tokio::test]
async fn free_text_filters_by_any_answer() {
    let (_dir, s) = loaded().await;
    let token = s.token(Role::Analyst);
    let all = s
        .get_ok(
            "/api/v1/forms/community-safety/text?question=safety_comment&limit=10000",
            &token,
        )
        .await;
    let workers = s
        .get_ok(
            "/api/v1/forms/community-safety/text?question=safety_comment&limit=10000&where=respondent_type:worker",
            &token,
        )
        .await;
    let (all, workers) = (all.as_array().unwrap(), workers.as_array().unwrap());
    assert!(!workers.is_empty() && workers.len() < all.len());
    let exported = s.export_all(FORM, &token).await;
    for w in workers {
        let row = exported.iter().find(|r| r["id"] == w["id"]).unwrap();
        assert_eq!(row["answers"]["respondent_type"], "worker");
    }
    s.stop().await;
}

/// A public page, as anyone gets it.
async fn page_of(s: &Server, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let res = client().get(s.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

/// A ward page's figures: (row heading, cells as shown).
fn ward_rows(page: &str) -> Vec<(String, Vec<Option<f64>>)> {
    let doc = Html::parse_document(page);
    doc.select(&sel("section table:not(.themes) tbody tr"))
        .map(|tr| {
            let head = tr
                .select(&sel("th"))
                .next()
                .unwrap()
                .text()
                .collect::<String>();
            let cells = tr
                .select(&sel("td"))
                .map(|td| {
                    td.value()
                        .attr("data-value")
                        .or(td.value().attr("data-count"))
                        .map(|v| v.parse().unwrap())
                })
                .collect();
            (head, cells)
        })
        .collect()
}

#[tokio::test]
async fn the_public_ward_page_shows_protected_figures_and_resists_differencing() {
    let (_dir, s) = loaded().await;
    let (status, headers, page) = page_of(&s, "/results/bishopsgate").await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "public, max-age=300");
    assert!(!page.contains("<script"), "no JavaScript");
    assert!(page.contains("You said, we did: Bishopsgate"));
    assert!(
        page.contains("fewer than 10 answers"),
        "the configured threshold"
    );
    let quarters: Vec<String> = Html::parse_document(&page)
        .select(&sel("section table:not(.themes) thead th"))
        .skip(1)
        .map(|t| t.text().collect())
        .collect();
    assert_eq!(
        &quarters[..4],
        ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4"]
    );

    // Each share is the whole ward-quarter's, and published only when both
    // sides of it hold 10 answers or more.
    let analyst = s.token(Role::Analyst);
    let api = s
        .get_ok("/api/v1/forms/community-safety/aggregates?ward=bishopsgate&by=quarter&question=feel_safe_dark", &analyst)
        .await;
    let rows = ward_rows(&page);
    let dark = rows.iter().find(|(h, _)| h.contains("after dark")).unwrap();
    for (i, q) in quarters[..4].iter().enumerate() {
        let g = api["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"][0] == q.as_str())
            .unwrap();
        let (count, n) = (
            g["satisfied"]["count"].as_u64().unwrap(),
            g["satisfied"]["n"].as_u64().unwrap(),
        );
        let shown = dark.1[i];
        assert_eq!(shown.is_some(), count >= 10 && n - count >= 10, "{q}");
        if let Some(v) = shown {
            assert!(
                (v - count as f64 / n as f64).abs() < 0.005,
                "{q}: rounded to 2 places"
            );
        }
    }
    // People who answered: rounded to 10.
    let people = &rows[0].1;
    assert!(people.iter().flatten().all(|n| *n as u64 % 10 == 0));

    // A ward with a handful of answers shows none of its figures.
    let (_, _, small) = page_of(&s, "/results/queenhithe").await;
    let small_api = s
        .get_ok("/api/v1/forms/community-safety/aggregates?ward=queenhithe&by=quarter&question=feel_safe_dark", &analyst)
        .await;
    for (head, cells) in ward_rows(&small) {
        for (i, c) in cells.iter().enumerate() {
            if let Some(v) = c {
                let q = &quarters[i];
                let n = small_api["summaries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|g| g["group"][0] == q.as_str())
                    .and_then(|g| g["n"].as_u64())
                    .unwrap_or(0);
                assert!(n >= 10, "{head} {q}: {v} shown from {n} responses");
            }
        }
    }

    // Differencing: no parameter narrows or widens what is counted. Each
    // asks in another language, so each page is rendered afresh (a page is
    // reused for a minute per ward and language) and only its figures are
    // compared.
    let figures = |page: &str| -> Vec<Vec<Option<f64>>> {
        ward_rows(page)
            .into_iter()
            .map(|(_, cells)| cells)
            .collect()
    };
    let (_, _, plain) = page_of(&s, "/results/tower").await;
    for path in [
        "/results/tower?lang=pl&from=2024-10-01&to=2024-10-31",
        "/results/tower?lang=es&quarter=2024%2F25+Q4&respondent=worker",
    ] {
        let (status, _, page) = page_of(&s, path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            figures(&page),
            figures(&plain),
            "{path} changed the figures"
        );
    }
    // One more answer today moves nothing: only whole past quarters are
    // shown (a language not asked for before, so rendered after it).
    let sub = json!({
        "submission_id": uuid(77),
        "answers": {"respondent_type": "worker", "feel_safe_day": 1, "feel_safe_dark": 1, "worry": "a-lot",
                    "safety_comment": "Dark and frightening on the walk to the station, drug dealing every night."},
        "location": "tower", "channel": "link", "lang": "en"
    });
    assert_eq!(s.submit(FORM, &sub).await.status(), 201);
    let (_, _, after) = page_of(
        &s,
        "/results/tower?lang=bn&where=respondent_type:worker&share=all",
    )
    .await;
    assert_eq!(figures(&after), figures(&plain), "the page did not move");
    let (_, headers, _) = page_of(&s, "/results/tower").await;
    // Unchanged: 304 to a browser that has it.
    let res = client()
        .get(s.url("/results/tower"))
        .header("if-none-match", headers["etag"].to_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    // In another language, right to left where it reads so.
    let (_, _, ar) = page_of(&s, "/results/tower?lang=ar").await;
    assert!(ar.contains(r#"lang="ar" dir="rtl""#));
    assert!(ar.contains("قلتم، وفعلنا"));
    let res = client()
        .get(s.url("/results/tower"))
        .header("accept-language", "pl,en;q=0.5")
        .send()
        .await
        .unwrap();
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Powiedzieliście, zrobiliśmy"));
    assert_eq!(page_of(&s, "/results/nowhere").await.0, 404);
    s.stop().await;
}

#[tokio::test]
async fn we_did_entries_are_checked_stored_and_shown_on_their_wards_page() {
    let (_dir, s) = loaded().await;
    let admin = s.token(Role::Admin);
    let analyst = s.token(Role::Analyst);
    let post_json = |token: String, body: Value| {
        s.client
            .post(s.url("/api/v1/actions"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let entry = json!({
        "form": "community-safety",
        "themes": ["lighting-environment"],
        "wards": ["tower"],
        "text": {"en": "Six new street lights on Tower Hill and the underpass.", "pl": "Sześć nowych latarni na Tower Hill i w przejściu podziemnym."},
        "done_on": "2025-02-14"
    });
    // Not an admin: refused.
    assert_eq!(
        post_json(analyst.clone(), entry.clone())
            .await
            .unwrap()
            .status(),
        403
    );
    // Each problem named by its field.
    let bad = json!({"form": "community-safety", "themes": ["nope"], "wards": ["atlantis"], "text": {"xx": ""}, "done_on": "soon"});
    let res = post_json(admin.clone(), bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let problem: Value = res.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in ["themes[0]", "wards[0]", "text", "text.xx", "done_on"] {
        assert!(fields.contains(&f), "{f} not named: {fields:?}");
    }
    let res = post_json(admin.clone(), entry).await.unwrap();
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let listed = s.get_ok("/api/v1/actions?ward=tower", &analyst).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], made["id"]);
    assert_eq!(
        s.get_ok("/api/v1/actions?ward=aldgate", &analyst)
            .await
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let page = client()
        .get(s.url("/results/tower"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Six new street lights on Tower Hill"));
    let doc = Html::parse_document(&page);
    let li = doc.select(&sel("li.action")).next().unwrap();
    assert_eq!(li.value().attr("data-themes"), Some("lighting-environment"));
    let polish = client()
        .get(s.url("/results/tower?lang=pl"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(polish.contains("Sześć nowych latarni"));
    let other = client()
        .get(s.url("/results/aldgate"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!other.contains("Six new street lights"));

    // The dashboard lists it, and an admin adds another from there.
    let cookie = sign_in(&s, &admin).await;
    let (_, page) = get(&s, &cookie, "/dashboard/actions?form=community-safety").await;
    assert!(page.contains("Six new street lights"));
    let res = post(
        &s,
        &cookie,
        "/dashboard/actions?form=community-safety",
        &[
            ("csrf", &csrf(&page)),
            ("text", "Cycle patrols on Aldgate High Street at night."),
            ("done_on", "2025-03-01"),
            ("theme", "cycle-enabled-crime"),
            ("ward", "aldgate"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let other = client()
        .get(s.url("/results/aldgate"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(other.contains("Cycle patrols on Aldgate High Street"));
    // Missing fields: the form again, naming them.
    let res = post(
        &s,
        &cookie,
        "/dashboard/actions?form=community-safety",
        &[("csrf", &csrf(&page)), ("text", "")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("There is a problem") && body.contains("name at least one ward"));

    let res = s
        .client
        .delete(s.url(&format!("/api/v1/actions/{}", made["id"].as_str().unwrap())))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let page = client()
        .get(s.url("/results/tower"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Six new street lights"));
    s.stop().await;
}

#[tokio::test]
async fn every_dashboard_page_and_form_wants_a_live_session() {
    let (_dir, s) = loaded().await;
    let token = s.token(Role::Admin);
    let live = sign_in(&s, &token).await;
    // A session that ended: signed in, then its token revoked.
    let other = s.token(Role::Admin);
    let ended = sign_in(&s, &other).await;
    let id = collector::service::tokens::token_id(&collector::service::tokens::hash_token(&other));
    assert!(collector::service::tokens::revoke(s.state.store.as_ref(), &id).unwrap());
    let pages = [
        "/dashboard",
        "/dashboard/overview",
        "/dashboard/drill",
        "/dashboard/map",
        "/dashboard/breakdown",
        "/dashboard/crosstab",
        "/dashboard/trend",
        "/dashboard/text",
        "/dashboard/funnel",
        "/dashboard/cases",
        "/dashboard/actions",
    ];
    let forms = [
        "/dashboard/codes",
        "/dashboard/cases/1",
        "/dashboard/actions",
        "/dashboard/sign-out",
    ];
    for cookie in [
        None,
        Some("0".repeat(64)),
        Some("not-hex".to_owned()),
        Some(ended.clone()),
    ] {
        for path in pages {
            let mut req = client().get(s.url(path));
            if let Some(c) = &cookie {
                req = req.header("cookie", format!("dashboard_session={c}"));
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 303, "GET {path} with {cookie:?}");
            let to = res.headers()["location"].to_str().unwrap();
            assert!(to.starts_with("/dashboard/sign-in?next="), "{to}");
        }
        for path in forms {
            let mut req = client().post(s.url(path)).form(&[("csrf", "x")]);
            if let Some(c) = &cookie {
                req = req.header("cookie", format!("dashboard_session={c}"));
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 303, "POST {path} with {cookie:?}");
            assert_eq!(
                res.headers()["location"],
                "/dashboard/sign-in?next=%2Fdashboard"
            );
        }
    }
    for path in pages {
        let (status, _) = get(&s, &live, path).await;
        assert!(
            status == 200 || status == 303,
            "GET {path} signed in: {status}"
        );
    }
    assert!(
        s.state
            .store
            .docs(collector::store::Doc::Action, None, 10)
            .unwrap()
            .is_empty(),
        "nothing was written"
    );
    s.stop().await;
}
