//! `GET /results/{ward}`: a ward's public "You said, we did" page. No
//! sign-in and no script: the ward's headline measures for its last four
//! whole quarters, the themes people raised there most, and what the
//! force recorded doing about them ([`crate::service::actions`]).
//!
//! ```text
//! ward ─► for each form that takes places from the register:
//!           aggregate_of(ward, four whole quarters, by quarter) ─► shares, each split held back under the threshold
//!           aggregate_of(ward, same quarters, text questions)   ─► top themes, the same way
//!         actions::for_ward ─► "we did"
//! ```
//!
//! Protection against small numbers and differencing:
//! - every figure is one split of one ward's quarter in two (gave one of
//!   the "satisfied" answers or not; raised a theme or not), published
//!   only when both sides hold at least the threshold (10) of answers, so
//!   neither side can be a handful of people;
//! - the cells are fixed (one ward, whole financial quarters); no query
//!   parameter but `lang` changes what is counted, so nobody can ask for
//!   two overlapping periods or groups and subtract one from the other;
//! - only quarters that have ended are shown, so the page does not move
//!   as responses arrive: one new answer cannot be read off by comparing
//!   the page before and after it;
//! - counts are rounded to the nearest 10 and shares to whole percents.

use super::aggregates::aggregate_of;
use super::auth::Staff;
use super::hosted::choose_lang;
use super::security_headers::{own_pages, PagePolicy};
use super::AppState;
use crate::error::Result;
use crate::index::query::{quarter_label, Aggregates};
use crate::model::{now_ms, rfc3339, Role};
use crate::service::actions;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};
use survey::{Form, Kind};

/// Whole quarters shown.
const QUARTERS: usize = 4;

/// Themes shown.
const TOP_THEMES: usize = 5;

/// How long a rendered page is reused: its figures are of ended quarters,
/// so only a "we did" entry changes it, and that is part of the key.
const FRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// Pages rendered in the last minute, by ward, language and the ward's
/// "we did" entries: an anonymous reader's request costs a lookup, not
/// three aggregates a form.
#[derive(Default)]
struct Rendered(std::sync::Mutex<std::collections::HashMap<PageKey, (std::time::Instant, String)>>);

/// A rendered page's key: ward, language, and a digest of the ward's
/// "we did" entries.
type PageKey = (String, String, u64);

/// The route, with its page policy (no script; its one inline stylesheet).
pub(super) fn routes() -> Router<AppState> {
    own_pages(
        Router::new()
            .route("/results/{ward}", get(page))
            .layer(axum::Extension(std::sync::Arc::new(Rendered::default())))
            .layer(super::compressed()),
        &PagePolicy::new(&[CSS]),
    )
}

/// `GET /results/{ward}?lang=`: the page; 304 to a browser that has it
/// (ETag), 404 for a ward the register does not have. A browser page like
/// the dashboard, so not in the API's OpenAPI document.
async fn page(
    State(state): State<AppState>,
    Path(ward): Path<String>,
    RawQuery(raw): RawQuery,
    axum::Extension(rendered): axum::Extension<std::sync::Arc<Rendered>>,
    headers: HeaderMap,
) -> Response {
    // Only `lang` is read; anything else in the query is ignored (so no
    // parameter can change what is counted).
    let lang_asked = super::query_params::pairs(raw.as_deref())
        .into_iter()
        .rev()
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v);
    let register = state.places.get();
    let Some(w) = register.ward(&ward).cloned() else {
        let mut res = html_response(not_found(&ward).into_string());
        *res.status_mut() = StatusCode::NOT_FOUND;
        return res;
    };
    let forms: Vec<_> = state
        .store
        .form_ids()
        .into_iter()
        .filter_map(|id| state.store.form(&id))
        .filter(|p| p.form.place_register.is_some())
        .collect();
    // The language: one the forms speak, as the hosted pages choose it.
    let lang = forms
        .first()
        .map(|p| choose_lang(&p.form, lang_asked.as_deref(), &headers))
        .unwrap_or_else(|| "en".into());
    let done = match actions::for_ward(state.store.as_ref(), &ward) {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let key = (
        ward.clone(),
        lang.clone(),
        u64::from_le_bytes(
            Sha256::digest(serde_json::to_vec(&done).unwrap_or_default())[..8]
                .try_into()
                .unwrap_or_default(),
        ),
    );
    let cached = {
        let map = rendered.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&key)
            .filter(|(at, _)| at.elapsed() < FRESH)
            .map(|(_, body)| body.clone())
    };
    let body = match cached {
        Some(body) => body,
        None => {
            let body = match render(&state, &ward, &w, &forms, &lang, &done) {
                Ok(m) => m.into_string(),
                Err(e) => return e.into_response(),
            };
            let mut map = rendered.0.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() > 500 {
                map.retain(|_, (at, _)| at.elapsed() < FRESH);
            }
            map.insert(key, (std::time::Instant::now(), body.clone()));
            body
        }
    };
    let etag = format!(
        "\"{}\"",
        hex::encode(&Sha256::digest(body.as_bytes())[..12])
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        html_response(body)
    };
    let h = res.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

fn html_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// The quarters shown: the last [`QUARTERS`] whole ones up to `newest`
/// (the newest quarter that has ended and has responses), oldest first,
/// as (label, start ms, end ms).
fn quarters(newest: &str) -> Vec<(String, u64, u64)> {
    let bounds = |label: &str| super::query_params::parse_quarter(label).ok();
    let mut out = Vec::new();
    let mut label = newest.to_owned();
    while out.len() < QUARTERS {
        let Some((a, b)) = bounds(&label) else { break };
        out.push((label, a, b));
        if a == 0 {
            break;
        }
        label = quarter_label(a - 1);
    }
    out.reverse();
    out
}

/// The newest quarter of `form` that has ended and has responses (city
/// wide, so every ward's page shows the same quarters): a response today
/// moves nothing until its quarter is over.
fn newest_whole_quarter(state: &AppState, form: &Form, now: u64) -> Result<Option<String>> {
    let Ok((current_start, _)) = super::query_params::parse_quarter(&quarter_label(now)) else {
        return Ok(None);
    };
    let Some(first) = form.questions.first() else {
        return Ok(None);
    };
    let a = aggregate_of(
        state,
        &public_staff(),
        &form.id,
        &[
            ("to".into(), rfc3339(current_start).unwrap_or_default()),
            ("by".into(), "quarter".into()),
            ("question".into(), first.id.clone()),
        ],
    )?;
    Ok(a.summaries
        .iter()
        .filter(|s| s.n.is_some_and(|n| n > 0))
        .filter_map(|s| s.group.first())
        .filter_map(|q| Some((super::query_params::parse_quarter(q).ok()?.0, q.clone())))
        .max()
        .map(|(_, q)| q))
}

/// Whether a split of `n` answers into `count` and the rest may be
/// published: both sides hold at least `min`.
fn both_sides(count: u64, n: u64, min: u64) -> bool {
    count >= min && n.saturating_sub(count) >= min
}

/// Rounded to the nearest 10, as the page shows counts.
fn round10(n: u64) -> u64 {
    (n + 5) / 10 * 10
}

/// Whose figures the page reads: every response (an analyst's view); the
/// page itself publishes only the protected splits of them.
fn public_staff() -> Staff {
    Staff {
        role: Role::Analyst,
        hash: [0; 32],
        scope: None,
    }
}

struct Section {
    title: String,
    form_id: String,
    quarters: Vec<String>,
    /// Responses per quarter (rounded), none when held back.
    people: Vec<Option<u64>>,
    /// (measure words, share per quarter)
    measures: Vec<(String, Vec<Option<f64>>)>,
    /// (theme words, count rounded)
    themes: Vec<(String, u64)>,
    /// Theme ids → words, for the actions.
    theme_names: Vec<(String, String)>,
}

fn section(state: &AppState, ward: &str, form: &Form, lang: &str) -> Result<Option<Section>> {
    let Some(newest) = newest_whole_quarter(state, form, now_ms())? else {
        return Ok(None);
    };
    let qs = quarters(&newest);
    let (Some(first), Some(end)) = (qs.first(), qs.last()) else {
        return Ok(None);
    };
    let t = |x: &survey::Text| x.get(lang, &form.default_lang).to_owned();
    let min = u64::from(state.config.min_cell);
    // The headline shares: each scale's "satisfied" values, then the
    // form's own shares of choice questions; (question, answers counted,
    // their words).
    let mut headline: Vec<(&survey::Question, Vec<String>, Vec<String>)> = form
        .questions
        .iter()
        .filter_map(|q| match &q.kind {
            Kind::Scale {
                satisfied, labels, ..
            } if !satisfied.is_empty() => Some((
                q,
                satisfied.iter().map(i64::to_string).collect(),
                satisfied
                    .iter()
                    .map(|v| {
                        labels
                            .iter()
                            .find(|l| l.value == *v)
                            .map_or_else(|| v.to_string(), |l| t(&l.text))
                    })
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    for h in &form.headlines {
        if let Some(q) = form.question(&h.question) {
            if let Kind::SingleChoice { options } | Kind::MultipleChoice { options, .. } = &q.kind {
                let words = h
                    .answers
                    .iter()
                    .filter_map(|a| options.iter().find(|o| &o.id == a).map(|o| t(&o.text)))
                    .collect();
                headline.push((q, h.answers.clone(), words));
            }
        }
    }
    let coded: Vec<String> = form
        .codebook
        .as_ref()
        .map(|c| {
            if c.questions.is_empty() {
                form.questions
                    .iter()
                    .filter(|q| matches!(q.kind, Kind::Text { .. }) && !q.personal)
                    .map(|q| q.id.clone())
                    .collect()
            } else {
                c.questions.clone()
            }
        })
        .unwrap_or_default();
    let period = |extra: &[(&str, String)]| -> Result<Aggregates> {
        let mut pairs: Vec<(String, String)> = vec![
            ("ward".into(), ward.to_owned()),
            ("from".into(), rfc3339(first.1).unwrap_or_default()),
            ("to".into(), rfc3339(end.2).unwrap_or_default()),
        ];
        pairs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        aggregate_of(state, &public_staff(), &form.id, &pairs)
    };
    let mut questions: Vec<&str> = headline.iter().map(|(q, _, _)| q.id.as_str()).collect();
    questions.sort_unstable();
    questions.dedup();
    let by_quarter = period(&[("by", "quarter".into()), ("question", questions.join(","))])?;
    let people = qs
        .iter()
        .map(|(label, _, _)| {
            by_quarter
                .summaries
                .iter()
                .find(|s| s.group.first() == Some(label))
                .and_then(|s| s.n)
                .filter(|n| *n >= min)
                .map(round10)
        })
        .collect();
    let measures = headline
        .iter()
        .map(|(q, answers, labels)| {
            let words = format!("{} – {}", t(&q.text), labels.join(" / "));
            let shares = qs
                .iter()
                .map(|(label, _, _)| {
                    let group = std::slice::from_ref(label);
                    let n = by_quarter
                        .summaries
                        .iter()
                        .find(|s| s.question == q.id && s.group == group)
                        .and_then(|s| s.answered)?;
                    let count: u64 = by_quarter
                        .cells
                        .iter()
                        .filter(|c| {
                            c.question == q.id && c.group == group && answers.contains(&c.answer)
                        })
                        .filter_map(|c| c.count)
                        .sum();
                    both_sides(count, n, min).then(|| count as f64 / n as f64)
                })
                .collect();
            (words, shares)
        })
        .collect();
    let theme_names: Vec<(String, String)> = form
        .codebook
        .as_ref()
        .map(|c| {
            c.themes
                .iter()
                .map(|x| (x.id.clone(), x.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut themes: Vec<(String, u64)> = Vec::new();
    if !coded.is_empty() {
        let a = period(&[("question", coded.join(","))])?;
        for (id, name) in &theme_names {
            let answer = format!("theme:{id}");
            // People raising it in one coded question, against those who
            // answered that question (a person who raised it in two
            // questions is not counted twice): the largest that may be shown.
            let best = coded
                .iter()
                .filter_map(|qid| {
                    let raised = a
                        .cells
                        .iter()
                        .find(|c| c.group.is_empty() && &c.question == qid && c.answer == answer)
                        .and_then(|c| c.count)
                        .unwrap_or(0);
                    let answered = a
                        .summaries
                        .iter()
                        .find(|x| x.group.is_empty() && &x.question == qid)
                        .and_then(|x| x.answered)?;
                    both_sides(raised, answered, min).then_some(raised)
                })
                .max();
            if let Some(n) = best {
                themes.push((name.clone(), round10(n)));
            }
        }
        themes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        themes.truncate(TOP_THEMES);
    }
    Ok(Some(Section {
        title: t(&form.title),
        form_id: form.id.clone(),
        quarters: qs.into_iter().map(|(l, _, _)| l).collect(),
        people,
        measures,
        themes,
        theme_names,
    }))
}

fn render(
    state: &AppState,
    ward_id: &str,
    ward: &crate::model::Ward,
    forms: &[std::sync::Arc<crate::store::Published>],
    lang: &str,
    done: &[actions::Action],
) -> Result<Markup> {
    let w = ui::results::words(lang);
    let name = ward.name.get(lang, "en").to_owned();
    let mut sections = Vec::new();
    for p in forms {
        if let Some(s) = section(state, ward_id, &p.form, lang)? {
            sections.push(s);
        }
    }
    let mut langs: Vec<String> = forms
        .iter()
        .flat_map(|p| p.form.languages.iter().cloned())
        .collect();
    langs.sort();
    langs.dedup();
    let any_shown = sections
        .iter()
        .any(|s| s.people.iter().any(Option::is_some));
    Ok(html! {
        (DOCTYPE)
        html lang=(lang) dir=(if w.rtl { "rtl" } else { "ltr" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (w.title) " " (name) }
                style { (PreEscaped(CSS)) }
            }
            body {
                main {
                    h1 { (w.title) " " (name) }
                    p.lede { (w.intro) }
                    @if langs.len() > 1 {
                        nav aria-label=(w.other_languages) {
                            ul.langs {
                                @for l in &langs {
                                    @if l != lang {
                                        li { a href=(format!("/results/{}?lang={l}", ward_id)) hreflang=(l) lang=(l) { (ui::i18n::strings(l).name) } }
                                    }
                                }
                            }
                        }
                    }
                    @if !any_shown {
                        p.note { (w.no_results) }
                    }
                    section aria-labelledby="we-did" {
                        h2 id="we-did" { (w.we_did) }
                        @if done.is_empty() {
                            p { (w.nothing_yet) }
                        } @else {
                            ul.actions {
                                @for a in done {
                                    li.action data-themes=(a.themes.join(" ")) {
                                        p { (a.text.get(lang).or_else(|| forms.iter().find(|p| p.form.id == a.form).and_then(|p| a.text.get(&p.form.default_lang))).or_else(|| a.text.values().next()).cloned().unwrap_or_default()) }
                                        p.meta {
                                            (w.done_on) " " time datetime=(a.done_on) { (a.done_on) }
                                            " · " (w.about) " "
                                            (a.themes.iter().map(|id| sections.iter().flat_map(|s| s.theme_names.iter()).find(|(x, _)| x == id).map_or(id.clone(), |(_, n)| n.clone())).collect::<Vec<_>>().join(", "))
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @for s in &sections {
                        section aria-labelledby=(format!("s-{}", s.form_id)) {
                            h2 id=(format!("s-{}", s.form_id)) { (w.you_said) ": " (s.title) }
                            div.table-wrap tabindex="0" role="region" aria-label=(format!("{}: {}", w.you_said, s.title)) {
                                table {
                                    thead {
                                        tr {
                                            th scope="col" { (w.question) }
                                            @for q in &s.quarters { th scope="col" { (q) } }
                                        }
                                    }
                                    tbody {
                                        tr {
                                            th scope="row" { (w.people) }
                                            @for n in &s.people {
                                                @match n {
                                                    Some(n) => td.num data-count=(n) { (n) },
                                                    None => td.num data-suppressed="true" { span aria-label=(w.too_few) title=(w.too_few) { "–" } },
                                                }
                                            }
                                        }
                                        @for (words, shares) in &s.measures {
                                            tr {
                                                th scope="row" { (words) }
                                                @for v in shares {
                                                    @match v {
                                                        Some(v) => td.num data-value=(format!("{:.2}", v)) { (format!("{:.0}%", v * 100.0)) },
                                                        None => td.num data-suppressed="true" { span aria-label=(w.too_few) title=(w.too_few) { "–" } },
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            h3 { (w.raised) }
                            @if s.themes.is_empty() {
                                p { (w.no_themes) }
                            } @else {
                                table.themes {
                                    thead { tr { th scope="col" { (w.raised) } th scope="col" { (w.mentions) } } }
                                    tbody {
                                        @for (theme, n) in &s.themes {
                                            tr { th scope="row" { (theme) } td.num data-count=(n) { (n) } }
                                        }
                                    }
                                }
                            }
                            p { a.button href=(format!("/f/{}?loc={}&ch=link&lang={lang}", s.form_id, ward_id)) { (w.have_your_say) } }
                        }
                    }
                    p.method { (w.method.replace("{min}", &state.config.min_cell.to_string())) }
                }
            }
        }
    })
}

fn not_found(ward: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Page not found" }
                style { (PreEscaped(CSS)) }
            }
            body { main { h1 { "Page not found" } p { "There is no ward '" (ward) "'." } } }
        }
    }
}

/// The page's styles: readable on a phone, and printable (no link
/// colours, tables kept whole).
const CSS: &str = r#"
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:1.05rem/1.5 "Helvetica Neue",Arial,sans-serif;color:#0b0c0c;background:#fff}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:2rem;line-height:1.2}h2{margin-top:32px}
a{color:#1d70b8}a:focus{outline:3px solid #ffdd00;background:#ffdd00;color:#0b0c0c}
.lede{font-size:1.2rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;margin:0 0 16px}
th,td{border-bottom:1px solid #b1b4b6;padding:8px 12px 8px 0;text-align:start;vertical-align:top}
td.num{text-align:end;font-variant-numeric:tabular-nums}
th[scope=row]{min-width:12em}
ul.langs{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:8px 16px}
ul.actions{list-style:none;padding:0}
li.action{border-inline-start:5px solid #00703c;padding:4px 12px;margin:0 0 16px}
.meta{color:#505a5f;margin:0}
.note,.method{border-inline-start:5px solid #1d70b8;padding:8px 12px;background:#f3f2f1}
a.button{display:inline-block;background:#00703c;color:#fff;font-weight:700;padding:8px 14px;text-decoration:none}
a.button:focus{color:#0b0c0c}
@media print{a{color:#0b0c0c}a.button,nav{display:none}table,li.action{break-inside:avoid}body{font-size:11pt}}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_whole_quarters_up_to_the_newest() {
        let q = quarters("2024/25 Q4");
        let labels: Vec<&str> = q.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            labels,
            ["2024/25 Q1", "2024/25 Q2", "2024/25 Q3", "2024/25 Q4"]
        );
        let q = quarters("2025/26 Q2");
        let labels: Vec<&str> = q.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            labels,
            ["2024/25 Q3", "2024/25 Q4", "2025/26 Q1", "2025/26 Q2"]
        );
        assert!(q.windows(2).all(|w| w[0].2 == w[1].1), "back to back");
        assert!(both_sides(10, 20, 10));
        assert!(!both_sides(9, 200, 10), "too few on one side");
        assert!(!both_sides(195, 200, 10), "too few on the other");
        assert_eq!(round10(4), 0);
        assert_eq!(round10(15), 20);
        assert_eq!(round10(94), 90);
    }
}
