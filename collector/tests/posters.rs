//! Street posters over a real socket, checked by independent programs:
//! `zbarimg` reads the QR codes back (the PNG as served, the SVG as
//! Debian's headless Chromium draws it), and the same Chromium prints the
//! posters to PDF, whose pages are counted and measured. Both are
//! installed by scripts/setup.sh.

use crate::common::*;
use collector::model::Role;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BASE: &str = "https://feedback.example.org";

async fn server(dir: &Path) -> Server {
    Server::start(collector::Config {
        forms: example_forms(),
        public_url: Some(BASE.into()),
        ..config(&dir.join("db"))
    })
    .await
}

/// Runs `cmd` to its end, at most 90 s (then kills it and fails); its
/// standard output. Both outputs go to files, so a chatty program never
/// blocks on a full pipe.
fn run(cmd: &mut Command) -> String {
    use std::io::{Read, Seek};
    let mut out = tempfile::tempfile().unwrap();
    let mut err = tempfile::tempfile().unwrap();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(err.try_clone().unwrap()))
        .spawn()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/setup.sh installs it)"));
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read = |f: &mut std::fs::File| {
        let mut text = String::new();
        f.rewind().unwrap();
        f.read_to_string(&mut text).unwrap();
        text
    };
    assert!(status.success(), "{cmd:?} failed: {}", read(&mut err));
    read(&mut out)
}

/// Headless Chromium with a profile of its own in `dir`, so that tests
/// running at once do not share one.
fn chromium(dir: &Path) -> Command {
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()));
    cmd
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// What `zbarimg` reads in the image at `path`: one line per code.
fn zbar(path: &Path) -> Vec<String> {
    run(Command::new("zbarimg").args(["--raw", "-q"]).arg(path))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Prints the HTML at `html` to a PDF with Chromium; the PDF's bytes.
fn print_to_pdf(dir: &Path, html: &Path) -> Vec<u8> {
    let pdf = dir.join(format!(
        "{}.pdf",
        html.file_stem().unwrap().to_string_lossy()
    ));
    run(chromium(dir)
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg("--no-pdf-header-footer")
        .arg(file_url(html)));
    std::fs::read(&pdf).unwrap()
}

/// The page objects of a PDF (`/Type /Page`, not the `/Pages` tree) and
/// each one's MediaBox.
fn pdf_pages(pdf: &[u8]) -> (usize, Vec<Vec<f64>>) {
    let text = String::from_utf8_lossy(pdf);
    let mut pages = 0;
    for key in ["/Type /Page", "/Type/Page"] {
        let mut rest = text.as_ref();
        while let Some(i) = rest.find(key) {
            rest = &rest[i + key.len()..];
            if !rest.starts_with('s') {
                pages += 1;
            }
        }
    }
    let boxes = text
        .split("/MediaBox")
        .skip(1)
        .filter_map(|rest| {
            let inner = rest.trim_start().strip_prefix('[')?;
            let inner = &inner[..inner.find(']')?];
            Some(
                inner
                    .split_whitespace()
                    .map(|n| n.parse::<f64>().unwrap())
                    .collect(),
            )
        })
        .collect();
    (pages, boxes)
}

fn assert_a4(boxes: &[Vec<f64>]) {
    assert!(!boxes.is_empty(), "the PDF names no MediaBox");
    for b in boxes {
        let (w, h) = (b[2] - b[0], b[3] - b[1]);
        assert!(
            (w - 595.0).abs() < 1.5 && (h - 842.0).abs() < 1.5,
            "not A4 (595 × 842 pt): {b:?}"
        );
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Guards what a scan opens: the PNG and the SVG, read back by an
/// independent decoder, say exactly the hosted page at the site with the
/// channel `qr`.
#[tokio::test]
async fn the_qr_code_reads_back_as_the_hosted_page_at_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let analyst = s.token(Role::Analyst);
    let want = format!("{BASE}/f/street-feedback?loc=bank&ch=qr");
    let get = |query: &'static str| {
        s.client
            .get(s.url(&format!("/api/v1/forms/street-feedback/qr?{query}")))
            .bearer_auth(&analyst)
            .send()
    };

    let res = get("loc=bank&format=png").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["cache-control"], "private, max-age=300");
    let png = res.bytes().await.unwrap();
    let path = write(dir.path(), "bank.png", &png);
    assert_eq!(zbar(&path), std::slice::from_ref(&want), "the PNG");
    // Whole modules of at least 8 pixels, and a quiet zone of 4 modules.
    let header = png::Decoder::new(std::io::Cursor::new(png.to_vec()))
        .read_info()
        .unwrap()
        .info()
        .clone();
    let modules = qrcode::QrCode::with_error_correction_level(want.as_bytes(), qrcode::EcLevel::H)
        .unwrap()
        .width() as u32;
    assert_eq!(header.width, header.height);
    assert_eq!(header.width % (modules + 8), 0, "whole modules");
    assert!(header.width / (modules + 8) >= 8, "{} px", header.width);

    // SVG is the default; Chromium draws it, zbarimg reads the drawing.
    let res = get("loc=bank").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert_eq!(res.headers()["cache-control"], "private, max-age=300");
    let svg = res.text().await.unwrap();
    let path = write(dir.path(), "bank.svg", svg.as_bytes());
    let shot = dir.path().join("bank-svg.png");
    run(chromium(dir.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=800,800")
        .arg(file_url(&path)));
    assert_eq!(zbar(&shot), [want], "the SVG as Chromium draws it");
    s.stop().await;
}

/// Guards who may make codes and posters, and what a wrong request is
/// told: analysts only; the parameter at fault named.
#[tokio::test]
async fn codes_and_posters_are_for_analysts_and_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let analyst = s.token(Role::Analyst);
    let supervisor = s.supervisor_token(&["east-response"], &["bank"]);
    for path in [
        "/api/v1/forms/street-feedback/qr?loc=bank",
        "/api/v1/forms/street-feedback/poster?loc=bank",
    ] {
        let res = s.client.get(s.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path} without a token");
        let res = s
            .client
            .get(s.url(path))
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path} with a supervisor's token");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
    let problem = |path: String| {
        let req = s.client.get(s.url(&path)).bearer_auth(&analyst);
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            (status, res.json::<Value>().await.unwrap())
        }
    };
    for route in ["qr", "poster"] {
        let (status, body) =
            problem(format!("/api/v1/forms/street-feedback/{route}?loc=narnia")).await;
        assert_eq!(status, 422, "{route}: {body}");
        assert_eq!(body["errors"][0]["field"], "loc", "{route}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("narnia") && message.contains("GET /api/v1/places"),
            "{message}"
        );
        let (status, body) = problem(format!("/api/v1/forms/no-such-form/{route}?loc=bank")).await;
        assert_eq!(status, 404, "{route}: {body}");
    }
    let (status, body) =
        problem("/api/v1/forms/street-feedback/qr?loc=bank&format=gif".into()).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["detail"].as_str().unwrap().starts_with("format:"),
        "{body}"
    );
    s.stop().await;
}

/// Guards the address typed from a poster: to the hosted page at that
/// site, counted as `poster`, capitals forgiven; an unknown site leaves
/// the place to the form.
#[tokio::test]
async fn the_typed_address_leads_to_the_hosted_page_at_the_site() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location = |path: &'static str| {
        let req = client.get(s.url(path));
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 303, "{path}");
            res.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    let to = location("/q/street-feedback/bank").await;
    assert_eq!(to, "/f/street-feedback?loc=bank&ch=poster");
    assert_eq!(location("/q/Street-Feedback/BANK").await, to);
    assert_eq!(
        location("/q/street-feedback/narnia").await,
        "/f/street-feedback?ch=poster"
    );
    let res = client
        .get(s.url("/q/no-such-form/bank"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The hosted page it leads to carries the site and the channel into
    // the answer it posts.
    let page = client.get(s.url(&to)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"name="loc" value="bank""#), "{html}");
    assert!(html.contains(r#"name="ch" value="poster""#), "{html}");
    s.stop().await;
}

/// Guards the printed poster: one A4 page for a site, in every language
/// of the form, its code reading back as the hosted page; and a sheet
/// with one A4 page for each site whose poster is up today.
#[tokio::test]
async fn a_poster_prints_on_one_a4_page_and_a_sheet_on_one_a_site() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(dir.path()).await;
    let analyst = s.token(Role::Analyst);
    let get = |query: &'static str| {
        s.client
            .get(s.url(&format!("/api/v1/forms/street-feedback/poster{query}")))
            .bearer_auth(&analyst)
            .send()
    };

    let res = get("?loc=bank").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(res.headers()["cache-control"], "private, max-age=300");
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = res.text().await.unwrap();
    assert!(html.contains("@page{size:A4;"));
    assert!(html.contains(r#"<h1 lang="en">Feeling safe in the City</h1>"#));
    assert!(html.contains(r#"<li lang="ar" dir="rtl">شعورك بالأمان في السيتي</li>"#));
    assert!(html.contains("Scan with your phone camera"));
    assert!(html.contains("in an emergency call 999"));
    assert_eq!(html.matches("<svg").count(), 1);
    let typed: String = html
        .split(r#"dir="ltr" translate="no">"#)
        .nth(1)
        .unwrap()
        .split("</p>")
        .next()
        .unwrap()
        .replace("<wbr>", "")
        .replace("<span>", "")
        .replace("</span>", "");
    assert_eq!(typed, "feedback.example.org/q/street-feedback/bank");
    let path = write(dir.path(), "bank.html", html.as_bytes());
    let pdf = print_to_pdf(dir.path(), &path);
    let (pages, boxes) = pdf_pages(&pdf);
    assert_eq!(pages, 1, "one poster, one page");
    assert_a4(&boxes);
    // The code on the printed page reads back too: as a person's phone
    // sees the page.
    let shot = dir.path().join("bank-poster.png");
    run(chromium(dir.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=900,1300")
        .arg(file_url(&path)));
    assert_eq!(
        zbar(&shot),
        [format!("{BASE}/f/street-feedback?loc=bank&ch=qr")]
    );

    let register = s.state.places.get();
    let today = time::OffsetDateTime::now_utc().date();
    let today = format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    let active: Vec<String> = register
        .active_sites(&today)
        .map(|s| s.id.clone())
        .collect();
    assert!(
        !active.is_empty() && active.len() < register.sites.len(),
        "the example register has sites whose poster is up and one taken down"
    );
    let res = get("").await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_eq!(
        html.matches(r#"<section class="poster"#).count(),
        active.len()
    );
    for id in &active {
        assert!(
            html.contains(&format!(
                "<span>q/</span><wbr><span>street-feedback/</span><wbr><span>{id}</span>"
            )),
            "{id}"
        );
    }
    let path = write(dir.path(), "sheet.html", html.as_bytes());
    let (pages, boxes) = pdf_pages(&print_to_pdf(dir.path(), &path));
    assert_eq!(pages, active.len(), "one page a site");
    assert_a4(&boxes);
    s.stop().await;
}
