//! Street posters at the edge: the QR code of the hosted page at a site of
//! the register, the printable A4 poster around it, and the short address
//! printed under the code for people who cannot scan.
//!
//! ```text
//! GET /api/v1/forms/{form}/qr?loc=&format=  (analyst) ─► /f/{form}?loc=&ch=qr as SVG or PNG
//! GET /api/v1/forms/{form}/poster?loc=      (analyst) ─► one A4 page of HTML; without loc,
//!                                                        a sheet: a page per site active today
//! GET /q/{form}/{site}                      (public)  ─► 303 /f/{form}?loc={site}&ch=poster
//! ```
//!
//! The code is drawn at error correction level H, so a scuffed or
//! stickered poster still scans. Someone who types the short address is
//! counted under the channel `poster`, apart from those who scan (`qr`).
//! Every text on the poster is the form's own, in its default language
//! first and then in its other languages, and the poster's few fixed
//! words come from the `ui` crate; all of it goes through [`esc`].

use super::auth::Analyst;
use super::hosted::{esc, page_url};
use super::json::AppQuery;
use super::security_headers::{own_pages, PagePolicy};
use super::{qr, AppState};
use crate::error::{Error, Result};
use crate::model::{Register, Site};
use crate::store::Published;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::Arc;
use survey::Form;
use ui::i18n;

/// The poster routes: the code and the poster (analysts), the short
/// address (public). The poster is a page the collector renders, with its
/// strict policy.
pub fn routes() -> Router<AppState> {
    let poster = Router::new().route("/api/v1/forms/{form}/poster", get(poster));
    Router::new()
        .route("/api/v1/forms/{form}/qr", get(qr_code))
        .route("/q/{form}/{site}", get(short_link))
        .merge(own_pages(poster, &PagePolicy::new(&[POSTER_CSS])))
}

/// Codes and posters change only when the register or the public address
/// does: an analyst's browser may keep them a few minutes, nothing shared.
const CACHE: &str = "private, max-age=300";

/// Query of the QR code.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// The site, as the register of places names it (`GET /api/v1/places`).
    #[param(example = "bank")]
    pub loc: String,
    /// `svg` (the default) or `png`.
    #[param(pattern = "^(svg|png)$")]
    pub format: Option<String>,
}

/// `GET /api/v1/forms/{form}/qr`: the QR code of the hosted page at a
/// site, `{public address}/f/{form}?loc={site}&ch=qr`.
#[utoipa::path(get, path = "/api/v1/forms/{form}/qr", tag = "posters",
    params(("form" = String, Path, description = "form id", example = "street-feedback"), QrQuery),
    responses((status = 200, description = "the code, error correction level H, with a quiet zone of 4 modules; a PNG has 16 pixels a module",
               content((String = "image/svg+xml"), (String = "image/png"))),
              (status = 400, body = crate::error::ProblemDetails, description = "`format` is not svg or png, or `loc` is missing"),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token"),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form"),
              (status = 422, body = crate::error::ProblemDetails, description = "`loc` is not a site of the register (`GET /api/v1/places` lists them)")),
    security(("bearer" = [])))]
pub async fn qr_code(
    _: Analyst,
    State(state): State<AppState>,
    Path(form): Path<String>,
    AppQuery(q): AppQuery<QrQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let published = known_form(&state, &form)?;
    let form = &published.form;
    let png = match q.format.as_deref().unwrap_or("svg") {
        "svg" => false,
        "png" => true,
        other => {
            return Err(Error::BadRequest(format!(
                "format: '{}' is not svg or png",
                clip(other)
            )))
        }
    };
    let register = state.places.get();
    let site = site(&register, &q.loc)?;
    let url = scan_url(&super::public_base(&state.config, &headers), form, site);
    let code = qr::encode(&url, qrcode::EcLevel::H)?;
    let (content_type, body) = if png {
        ("image/png", qr::png(&code)?)
    } else {
        ("image/svg+xml", qr::svg(&code, 480).into_bytes())
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
        ],
        body,
    )
        .into_response())
}

/// Query of the poster.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PosterQuery {
    /// The site; none: a sheet with a poster for every site whose poster
    /// is up today.
    #[param(example = "bank")]
    pub loc: Option<String>,
}

/// `GET /api/v1/forms/{form}/poster`: a printable A4 poster (HTML with
/// print CSS) for a site, or a sheet of them, one page each.
#[utoipa::path(get, path = "/api/v1/forms/{form}/poster", tag = "posters",
    params(("form" = String, Path, description = "form id", example = "street-feedback"), PosterQuery),
    responses((status = 200, description = "HTML to print on A4, one page a site: the form's title in each of its languages, the QR code (level H, 90 mm; 115 mm on a poster in one language), the short address to type (`/q/{form}/{site}`) and the form's not-for-reporting text",
               content_type = "text/html", body = String),
              (status = 400, body = crate::error::ProblemDetails),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token"),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form"),
              (status = 422, body = crate::error::ProblemDetails, description = "`loc` is not a site of the register, or (without `loc`) no site's poster is up today")),
    security(("bearer" = [])))]
pub async fn poster(
    _: Analyst,
    State(state): State<AppState>,
    Path(form): Path<String>,
    AppQuery(q): AppQuery<PosterQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let published = known_form(&state, &form)?;
    let form = &published.form;
    let register = state.places.get();
    let sites: Vec<&Site> = match q.loc.as_deref() {
        Some(loc) => vec![site(&register, loc)?],
        None => {
            let today = today();
            let active: Vec<&Site> = register.active_sites(&today).collect();
            if active.is_empty() {
                return Err(Error::Unprocessable {
                    field: "loc".into(),
                    message: format!(
                        "no site's poster is up on {today}: name a site, or list the sites in the register of places (PUT /api/v1/places)"
                    ),
                });
            }
            active
        }
    };
    let base = super::public_base(&state.config, &headers);
    let host = base
        .split_once("://")
        .map_or(base.as_str(), |(_, rest)| rest)
        .to_owned();
    let mut pages = Vec::with_capacity(sites.len());
    for site in sites {
        let code = qr::encode(&scan_url(&base, form, site), qrcode::EcLevel::H)?;
        pages.push(Page {
            site,
            qr_svg: qr::inline_svg(&code),
            typed: typed_address(&host, &form.id, &site.id),
        });
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
        ],
        render(form, &pages),
    )
        .into_response())
}

/// `GET /q/{form}/{site}`: the short address a poster prints for people
/// who cannot scan its code; to the hosted page at that site, counted
/// under the channel `poster`. Typed by hand, so capitals are forgiven,
/// and a site the register does not know leaves the place to the form's
/// own question rather than to a mistyped tag.
#[utoipa::path(get, path = "/q/{form}/{site}", tag = "posters",
    params(("form" = String, Path, description = "form id", example = "street-feedback"), ("site" = String, Path, description = "site id, as the register of places names it", example = "bank")),
    responses((status = 303, description = "to `/f/{form}?loc={site}&ch=poster` (without `loc` for a site the register does not know)",
               headers(("Location" = String, description = "the hosted page"))),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form")))]
pub async fn short_link(
    State(state): State<AppState>,
    Path((form, site)): Path<(String, String)>,
) -> Result<Response> {
    let published = known_form(&state, &form.to_ascii_lowercase())?;
    let site = site.to_ascii_lowercase();
    let register = state.places.get();
    let mut query = Vec::with_capacity(2);
    if register.site(&site).is_some() {
        query.push(("loc", site.as_str()));
    }
    query.push(("ch", "poster"));
    Ok(Redirect::to(&page_url(&published.form.id, "", &query)).into_response())
}

fn known_form(state: &AppState, id: &str) -> Result<Arc<Published>> {
    state
        .store
        .form(id)
        .ok_or_else(|| Error::NotFound(format!("no form '{}'", clip(id))))
}

fn site<'a>(register: &'a Register, loc: &str) -> Result<&'a Site> {
    register.site(loc).ok_or_else(|| Error::Unprocessable {
        field: "loc".into(),
        message: format!(
            "no site '{}' in the register of places; GET /api/v1/places lists the sites",
            clip(loc)
        ),
    })
}

/// What the code says: the hosted page at `site`, reached by a scan.
fn scan_url(base: &str, form: &Form, site: &Site) -> String {
    format!(
        "{base}{}",
        page_url(&form.id, "", &[("loc", &site.id), ("ch", "qr")])
    )
}

/// The short address without its scheme, as a person types it.
fn typed_address(host: &str, form: &str, site: &str) -> String {
    format!("{host}/q/{form}/{site}")
}

/// Today's date (UTC) as the register writes dates. Posters go up and
/// come down by the day, so an hour's difference from London time only
/// matters in the hour after midnight.
fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

/// One poster of a sheet.
struct Page<'a> {
    site: &'a Site,
    /// The code, as an `<svg>` element.
    qr_svg: String,
    /// The short address, scheme-less.
    typed: String,
}

/// The page's one stylesheet, allowed by hash. A4 less 12 mm margins
/// leaves 186 × 273 mm; each poster takes 272 mm of it, so that rounding
/// never pushes a poster onto a second page, and starts a page of its own.
const POSTER_CSS: &str = "@page{size:A4;margin:12mm}\
*{box-sizing:border-box}\
html,body{margin:0;padding:0;background:#fff;color:#0b0c0c}\
body{font-family:\"Helvetica Neue\",Helvetica,Arial,\"Noto Sans\",\"Noto Sans Bengali\",\"Noto Naskh Arabic\",sans-serif;-webkit-print-color-adjust:exact;print-color-adjust:exact}\
.poster{display:flex;flex-direction:column;align-items:center;text-align:center;width:186mm;height:272mm;margin:0 auto;overflow:hidden;break-after:page;break-inside:avoid}\
.poster:last-child{break-after:auto}\
.brand{align-self:stretch;margin:0 0 6mm;padding:2.5mm 4mm;background:#0b0c0c;color:#fff;font-size:14pt;font-weight:700;text-align:start}\
h1{margin:0 0 2mm;font-size:30pt;line-height:1.15}\
.titles{list-style:none;margin:0 0 4mm;padding:0;font-size:14pt;line-height:1.35}\
.qr{width:90mm;height:90mm;margin:0 0 3mm}\
.one .qr{width:115mm;height:115mm;margin:4mm 0 6mm}\
.qr svg{display:block;width:100%;height:100%}\
.scan{margin:0;font-size:20pt;font-weight:700}\
.or{margin:1mm 0 0;font-size:13pt}\
.url{margin:1mm 0 4mm;font-family:\"DejaVu Sans Mono\",\"Liberation Mono\",Menlo,Consolas,monospace;font-size:20pt;font-weight:700;line-height:1.2}\
.url.m{font-size:16pt}.url.xs{font-size:11pt}\
.url span{white-space:nowrap}\
.others{margin:0 0 4mm;font-size:10.5pt;line-height:1.35}\
.others p{margin:0}\
.nfr{align-self:stretch;margin-top:auto;padding:3mm 4mm;border:.6mm solid #0b0c0c}\
.nfr p{margin:0;font-size:9pt;line-height:1.3}\
.nfr p+p{margin-top:1mm}\
.nfr p.main{font-size:12pt;font-weight:700}\
.site{margin:2mm 0 0;font-size:8pt;color:#505a5f}\
@media screen{body{background:#dedede}.poster{width:210mm;height:297mm;margin:8mm auto;padding:12mm;background:#fff}}";

/// The size class of the typed address: 20 pt when it fits on one line
/// of the poster in a monospaced face (0.6 em a character: 43 at most),
/// else 16 pt, broken after a `/` where it must (54 a line), else 11 pt
/// for a form or site id too long for that.
fn url_class(typed: &str) -> &'static str {
    let longest = typed
        .split_inclusive('/')
        .map(|part| part.chars().count())
        .max()
        .unwrap_or(0);
    if typed.chars().count() <= 40 {
        "url"
    } else if longest <= 50 {
        "url m"
    } else {
        "url xs"
    }
}

/// `lang` (and `dir` for a right-to-left language) for an element in
/// `lang`.
fn lang_attrs(lang: &str) -> String {
    let dir = if i18n::is_rtl(lang) {
        r#" dir="rtl""#
    } else {
        ""
    };
    format!(r#"lang="{}"{dir}"#, esc(lang))
}

/// The sheet: one A4 poster per page.
fn render(form: &Form, pages: &[Page<'_>]) -> String {
    let main = form.default_lang.as_str();
    let t = |x: &survey::Text, lang: &str| esc(x.get(lang, main));
    // The form's other languages, each where it has words of its own: a
    // plain text (the same in every language), or a language the poster's
    // words do not come in, is printed once, in the default language.
    let others = || {
        form.languages
            .iter()
            .map(String::as_str)
            .filter(move |l| *l != main)
    };
    let own = |x: &survey::Text, l: &str| matches!(x, survey::Text::Localized(_)) && x.has(l);
    let titled: Vec<&str> = others().filter(|l| own(&form.title, l)).collect();
    let warned: Vec<&str> = others()
        .filter(|l| own(&form.not_for_reporting, l))
        .collect();
    let words = i18n::poster_strings(main).unwrap_or(&i18n::POSTER[0]);
    let worded: Vec<(&str, &i18n::PosterStrings)> = others()
        .filter_map(|l| Some((l, i18n::poster_strings(l)?)))
        .filter(|(_, w)| w.lang != words.lang)
        .collect();
    // A poster in one language has room for a larger code.
    let class = if titled.is_empty() && warned.is_empty() && worded.is_empty() {
        "poster one"
    } else {
        "poster"
    };
    let title = match pages {
        [one] => format!("{} – {}", t(&form.title, main), t(&one.site.name, main)),
        _ => t(&form.title, main),
    };
    let attrs = lang_attrs(main);
    let mut h = String::with_capacity(16 * 1024 * pages.len());
    let _ = write!(
        h,
        "<!doctype html>\n<html {attrs}>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{title}</title>\n\
         <style>{POSTER_CSS}</style>\n</head>\n<body>\n"
    );
    for page in pages {
        let _ = write!(
            h,
            r#"<section class="{class}" aria-label="{}"><p class="brand" lang="en">City of London Police</p><h1 {attrs}>{}</h1>"#,
            t(&page.site.name, main),
            t(&form.title, main)
        );
        if !titled.is_empty() {
            h.push_str(r#"<ul class="titles">"#);
            for l in &titled {
                let _ = write!(h, "<li {}>{}</li>", lang_attrs(l), t(&form.title, l));
            }
            h.push_str("</ul>");
        }
        // The code is for cameras; the address under it says the same.
        let _ = write!(
            h,
            r#"<div class="qr" aria-hidden="true">{svg}</div><p class="scan" {attrs}>{scan}</p><p class="or" {attrs}>{or}</p><p class="{url_class}" dir="ltr" translate="no">{url}</p>"#,
            svg = page.qr_svg,
            scan = esc(words.scan),
            or = esc(words.or_type),
            url_class = url_class(&page.typed),
            url = breakable(&page.typed),
        );
        if !worded.is_empty() {
            h.push_str(r#"<div class="others">"#);
            for (l, w) in &worded {
                let _ = write!(
                    h,
                    "<p {}>{} {}</p>",
                    lang_attrs(l),
                    esc(w.scan),
                    esc(w.or_type)
                );
            }
            h.push_str("</div>");
        }
        let _ = write!(
            h,
            r#"<div class="nfr"><p class="main" {attrs}>{}</p>"#,
            t(&form.not_for_reporting, main)
        );
        for l in &warned {
            let _ = write!(
                h,
                "<p {}>{}</p>",
                lang_attrs(l),
                t(&form.not_for_reporting, l)
            );
        }
        let _ = writeln!(
            h,
            r#"</div><p class="site" {attrs}>{} · {}</p></section>"#,
            t(&page.site.name, main),
            esc(&page.site.id)
        );
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// The typed address, escaped, in pieces that never break inside and may
/// break after each `/`: a line break inside `street-feedback` would read
/// as a hyphenation.
fn breakable(typed: &str) -> String {
    typed
        .split_inclusive('/')
        .map(|part| format!("<span>{}</span>", esc(part)))
        .collect::<Vec<_>>()
        .join("<wbr>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form::from_value(&serde_json::json!({
            "id": "street", "title": {"en": "Feeling <safe>", "pl": "Bezpiecznie", "ar": "الأمان"},
            "default_lang": "en", "languages": ["en", "pl", "ar", "fr"],
            "privacy_notice": "P",
            "not_for_reporting": {"en": "Not for emergencies, call 999", "pl": "Nie w nagłych wypadkach", "ar": "ليس للطوارئ"},
            "questions": [{"id": "q", "kind": "scale", "text": "Q", "min": 1, "max": 5, "required": true}]
        }))
        .unwrap()
    }

    fn site(id: &str, name: &str) -> Site {
        Site {
            id: id.into(),
            name: survey::Text::Plain(name.into()),
            ward: "w".into(),
            installed: "2025-04-01".into(),
            removed: None,
            lat: None,
            lon: None,
        }
    }

    #[test]
    fn a_poster_speaks_every_language_of_the_form_each_marked_as_such() {
        let (form, bank) = (form(), site("bank", "Bank & <Junction>"));
        let html = render(
            &form,
            &[Page {
                site: &bank,
                qr_svg: "<svg></svg>".into(),
                typed: "feedback.example.org/q/street/bank".into(),
            }],
        );
        assert!(html.contains(r#"<h1 lang="en">Feeling &lt;safe&gt;</h1>"#));
        assert!(html.contains(r#"<li lang="pl">Bezpiecznie</li>"#));
        assert!(html.contains(r#"<li lang="ar" dir="rtl">الأمان</li>"#));
        assert!(html.contains(r#"<p lang="ar" dir="rtl">ليس للطوارئ</p>"#));
        assert!(
            html.contains(r#"<p lang="pl">Zeskanuj aparatem w telefonie lub wpisz ten adres</p>"#)
        );
        assert!(html.contains(r#"<p class="scan" lang="en">Scan with your phone camera</p>"#));
        // French has neither a title of its own nor the poster's words:
        // nothing in English is printed twice.
        assert!(!html.contains(r#"lang="fr""#));
        assert_eq!(html.matches("Scan with your phone camera").count(), 1);
        assert!(html.contains("Bank &amp; &lt;Junction&gt;"));
        assert!(!html.contains("<Junction>"));
        assert!(html.contains(
            "<span>feedback.example.org/</span><wbr><span>q/</span><wbr><span>street/</span><wbr><span>bank</span>"
        ));
        assert!(html.contains("@page{size:A4;"));
    }

    #[test]
    fn a_sheet_starts_each_poster_on_a_page_of_its_own() {
        let form = form();
        let sites = [site("a", "A"), site("b", "B"), site("c", "C")];
        let pages: Vec<Page<'_>> = sites
            .iter()
            .map(|s| Page {
                site: s,
                qr_svg: String::new(),
                typed: format!("x/q/street/{}", s.id),
            })
            .collect();
        let html = render(&form, &pages);
        assert_eq!(html.matches(r#"<section class="poster""#).count(), 3);
        // A form in one language gets the larger code.
        let mut plain = form.clone();
        plain.languages = vec!["en".into()];
        assert!(render(&plain, &pages).contains(r#"<section class="poster one""#));
        assert!(POSTER_CSS.contains(".poster{") && POSTER_CSS.contains("break-after:page"));
        // The code is printed at least 60 mm wide.
        assert!(POSTER_CSS.contains(".qr{width:90mm;height:90mm"));
    }

    #[test]
    fn the_typed_address_is_as_large_as_fits() {
        assert_eq!(
            url_class("feedback.example.org/q/street-feedback/bank"),
            "url m"
        );
        assert_eq!(url_class("127.0.0.1:8080/q/mini/bank"), "url");
        assert_eq!(
            url_class("feedback.cityoflondon.police.uk/q/community-safety/middlesex-street-estate"),
            "url m"
        );
        assert_eq!(
            url_class(&format!("x.org/q/f/{}", "s".repeat(64))),
            "url xs"
        );
    }
}
