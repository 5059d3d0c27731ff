//! The free-text view: answers filtered by theme, sentiment, place and
//! period with their codes; an analyst corrects the codes in place; the
//! theme counts of the same filters, kappa per theme between the
//! automatic and the analysts' codes, and which coder (codebook or learned
//! model) each theme uses.

use super::table::{Cell, Kind, Num, Table};
use super::{check_write, error_page, filters_form, local, plain, select, Ctx, Signed};
use crate::error::{Error, Result};
use crate::http::aggregates::aggregate_of;
use crate::http::agreement::agreement;
use crate::http::auth::Analyst;
use crate::http::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde_json::Value;
use survey::Kind as QKind;

/// Answers on one page.
const PAGE: usize = 25;

/// `GET /dashboard/text?form=&question=&theme=&sentiment=&…`.
pub(super) async fn page(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Response {
    super::answer_async(state, signed, raw, |ctx| Box::pin(text_page(ctx))).await
}

async fn text_page(ctx: &Ctx) -> Result<Response> {
    let form = &ctx.form.form;
    let questions: Vec<&survey::Question> = form
        .questions
        .iter()
        .filter(|q| matches!(q.kind, QKind::Text { .. }) && !q.personal)
        .collect();
    let qid = ctx
        .get("question")
        .map(str::to_owned)
        .or_else(|| {
            form.codebook
                .as_ref()
                .and_then(|c| c.questions.first().cloned())
        })
        .or_else(|| questions.first().map(|q| q.id.clone()))
        .ok_or_else(|| Error::BadRequest("this form has no free-text question".into()))?;
    if !questions.iter().any(|q| q.id == qid) {
        return Err(Error::BadParameter {
            field: "question".into(),
            message: format!("'{qid}' is not a free-text question of this form"),
        });
    }
    let named = super::measure::Themes::of(form);
    let themes = &named.0;
    let theme_name = |id: &str| named.name(id);

    // The counts of the same filters (without the theme and sentiment
    // picked, so every theme's count shows).
    let mut pairs = ctx.filters();
    pairs.push(("question".into(), qid.clone()));
    let a = aggregate_of(&ctx.state, &ctx.signed.staff, ctx.id(), &pairs)?;
    let answered = a
        .summaries
        .iter()
        .find(|s| s.question == qid && s.group.is_empty())
        .and_then(|s| s.answered);
    let mut counts = Table::new(
        format!(
            "Themes raised in answers to “{}”, {}",
            label(form, &qid),
            ctx.quarter().unwrap_or_else(|| "all time".into())
        ),
        &["Theme", "Answers", "Share of answers"],
    );
    let mut by_theme: Vec<(String, Option<u64>, Option<f64>)> = themes
        .iter()
        .map(|(id, _)| {
            let c = a.cells.iter().find(|c| {
                c.question == qid && c.group.is_empty() && c.answer == format!("theme:{id}")
            });
            (
                id.clone(),
                c.map_or(Some(0), |c| c.count),
                c.and_then(|c| c.proportion),
            )
        })
        .collect();
    by_theme.sort_by(|x, y| y.1.unwrap_or(0).cmp(&x.1.unwrap_or(0)).then(x.0.cmp(&y.0)));
    for (id, count, share) in &by_theme {
        counts.rows.push(vec![
            Cell::Link(
                theme_name(id),
                ctx.url("/dashboard/text", &[("theme", Some(id)), ("after", None)]),
            ),
            Cell::Num(Num::count(*count)),
            Cell::Num(Num::share(*share, *count)),
        ]);
    }
    for label in ["negative", "neutral", "positive"] {
        let c = a
            .cells
            .iter()
            .find(|c| c.question == qid && c.group.is_empty() && c.answer == label);
        counts.rows.push(vec![
            Cell::Link(
                format!("Sentiment: {label}"),
                ctx.url(
                    "/dashboard/text",
                    &[("sentiment", Some(label)), ("after", None)],
                ),
            ),
            Cell::Num(Num::count(c.map_or(Some(0), |c| c.count))),
            Cell::Num(Num::share(
                c.and_then(|c| c.proportion),
                c.and_then(|c| c.count),
            )),
        ]);
    }

    // Kappa per theme, for analysts.
    let mut kappa = Table::new(
        "Agreement between the automatic codes and the analysts' (Cohen's kappa), over the answers coded by hand",
        &["Theme", "Kappa", "Answers compared", "Both found it", "Only automatic", "Only analyst"],
    );
    let mut kappa_note = None;
    // Which coder each theme uses, once a model is learned from the codes.
    let mut coders = Table::new(
        "Which coder each theme uses: the codebook (its phrases, decided with the shipped theme model unless it is turned off) or the model learned from the analysts' codes, by kappa on codes the model was not trained on",
        &["Theme", "In use", "Codebook kappa", "Learned kappa", "Coded with it by analysts"],
    );
    let mut model_note = None;
    if ctx.signed.analyst() {
        let report = agreement(
            Analyst {
                hash: ctx.signed.staff.hash,
            },
            State(ctx.state.clone()),
            Path(ctx.id().to_owned()),
            RawQuery(Some(format!("question={}", super::enc(&qid)))),
        )
        .await?
        .0;
        if let Some(m) = &report.learning {
            model_note = Some(format!(
                "Model version {} is in use, trained on {} answers coded by hand. A theme goes to the model only when it has been coded at least {} times and the model's kappa beats the codebook's.",
                m.version, m.examples, analysis::choose::MIN_POSITIVES
            ) + &m.sentiment.as_ref().map_or_else(String::new, |l| {
                format!(
                    " Sentiment labels: of {} answers labelled by hand, the label model retrained with them reads {} as the analysts did (each held out), the shipped one {}; the {} one is in use.",
                    l.examples,
                    l.learned_right,
                    l.shipped_right,
                    if l.in_use == "learned" { "retrained" } else { "shipped" }
                )
            }));
            for t in &m.themes {
                coders.rows.push(vec![
                    Cell::Text(t.label.clone()),
                    Cell::Text(
                        if t.in_use == "learned" {
                            "learned model"
                        } else {
                            "codebook"
                        }
                        .to_owned(),
                    ),
                    Cell::Num(Num::of(t.codebook.kappa, Kind::Kappa)),
                    Cell::Num(Num::of(t.learned.kappa, Kind::Kappa)),
                    Cell::Num(Num::count(Some(t.positives))),
                ]);
            }
        }
        if let Some(q) = report.questions.first() {
            kappa_note = q.note.clone();
            for t in &q.themes {
                kappa.rows.push(vec![
                    Cell::Text(t.label.clone()),
                    Cell::Num(Num::of(t.kappa, Kind::Kappa)),
                    Cell::Num(Num::count(Some(t.n))),
                    Cell::Num(Num::count(Some(t.both_yes))),
                    Cell::Num(Num::count(Some(t.auto_only))),
                    Cell::Num(Num::count(Some(t.manual_only))),
                ]);
            }
        }
    }

    // The answers, a page at a time, from the API's own listing.
    let mut q: Vec<(String, String)> = ctx
        .filters()
        .into_iter()
        .filter(|(k, _)| k != "share")
        .collect();
    q.push(("question".into(), qid.clone()));
    for k in ["theme", "sentiment", "after"] {
        if let Some(v) = ctx.get(k) {
            q.push((k.into(), v.into()));
        }
    }
    q.push(("limit".into(), PAGE.to_string()));
    let res = crate::http::text::list_text(
        ctx.signed.staff.clone(),
        State(ctx.state.clone()),
        Path(ctx.id().to_owned()),
        RawQuery(Some(super::query_string(&q))),
    )
    .await?;
    let more = res.headers().contains_key(header::LINK);
    let body = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let answers: Vec<Value> =
        serde_json::from_slice(&body).map_err(|e| Error::Io(std::io::Error::other(e)))?;
    let last_id = answers
        .last()
        .and_then(|a| a["id"].as_str())
        .map(str::to_owned);

    let tables = [counts, kappa, coders];
    if let Some(csv) = ctx.csv(&tables) {
        return Ok(csv);
    }
    let path = "/dashboard/text";
    let title = format!("{}: free text", form.title.get("en", "en"));
    let here = ctx.url(path, &[]);
    let can_code = ctx.signed.analyst();
    Ok(ctx.page(
        &title,
        path,
        html! {
            h1 { (title) }
            (filters_form(ctx, path, html! {
                (select("question", "Question", &questions.iter().map(|q| (q.id.clone(), q.text.get("en", "en").to_owned())).collect::<Vec<_>>(), Some(&qid), None))
                (select("theme", "Theme", themes, ctx.get("theme"), Some("Any theme")))
                (select("sentiment", "Sentiment", &plain(&["negative", "neutral", "positive"]), ctx.get("sentiment"), Some("Any")))
                (select("ward", "Ward", &ctx.state.places.get().wards.iter().map(|w| (w.id.clone(), w.name.get("en", "en").to_owned())).collect::<Vec<_>>(), ctx.get("ward"), Some("Every ward")))
            }, &[], false))
            div.pair {
                div {
                    h2 id="answers" { "Answers" @if let Some(n) = answered { " (" span data-count=(n) { (n) } " in all)" } }
                    @if answers.is_empty() {
                        p { "No answers match." }
                    }
                    @for ans in &answers {
                        @let id = ans["id"].as_str().unwrap_or_default();
                        @let current: Vec<&str> = ans["themes"].as_array().map(|v| v.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
                        @let label_now = ans["sentiment"]["label"].as_str().unwrap_or("neutral");
                        article.answer id=(format!("a-{id}")) data-id=(id) {
                            blockquote { (ans["text"].as_str().unwrap_or_default()) }
                            p.tags {
                                "Sentiment: " strong data-sentiment=(label_now) { (label_now) }
                                " (score " (format!("{:.2}", ans["sentiment"]["compound"].as_f64().unwrap_or(0.0))) ")"
                                " · Themes: "
                                @if current.is_empty() { "none" } @else { (current.iter().map(|t| theme_name(t)).collect::<Vec<_>>().join(", ")) }
                                @if !ans["manual"].is_null() { " · coded by hand" }
                                @if ans["actionable"].as_bool() == Some(true) { " · asks for something" }
                            }
                            @if can_code {
                                details {
                                    summary { "Correct the codes" span.visually-hidden { " of this answer" } }
                                    form method="post" action="/dashboard/codes" {
                                        input type="hidden" name="csrf" value=(ctx.signed.session.csrf);
                                        input type="hidden" name="id" value=(id);
                                        input type="hidden" name="question" value=(qid);
                                        input type="hidden" name="back" value=(format!("{here}#a-{id}"));
                                        fieldset {
                                            legend { "Themes" }
                                            div.themes {
                                                @for (tid, name) in themes {
                                                    label {
                                                        input type="checkbox" name="theme" value=(tid) checked[current.contains(&tid.as_str())];
                                                        (name)
                                                    }
                                                }
                                            }
                                        }
                                        div.field {
                                            label for=(format!("s-{id}")) { "Sentiment" }
                                            select id=(format!("s-{id}")) name="sentiment" {
                                                @for s in ["negative", "neutral", "positive"] {
                                                    option value=(s) selected[s == label_now] { (s) }
                                                }
                                            }
                                        }
                                        p { button type="submit" { "Save codes" } }
                                    }
                                }
                            }
                        }
                    }
                    @if more {
                        @if let Some(last) = &last_id {
                            p { a href=(ctx.url(path, &[("after", Some(last))])) { "Next " (PAGE) " answers" } }
                        }
                    }
                }
                div {
                    (tables[0].html(Some(&ctx.csv_link(path, 0))))
                    @if can_code {
                        @if let Some(n) = &kappa_note { p.note { (n) } }
                        (tables[1].html(Some(&ctx.csv_link(path, 1))))
                        @if let Some(n) = &model_note {
                            p.note { (n) }
                            (tables[2].html(Some(&ctx.csv_link(path, 2))))
                        }
                    }
                }
            }
        },
    ))
}

fn label(form: &survey::Form, qid: &str) -> String {
    form.question(qid)
        .map(|q| q.text.get("en", "en").to_owned())
        .unwrap_or_else(|| qid.to_owned())
}

/// `POST /dashboard/codes`: an analyst's corrected codes for one answer,
/// stored as `PUT /api/v1/responses/{id}/codes` stores them; back to the
/// answer on the page it came from.
pub(super) async fn recode(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut csrf = String::new();
    let (mut id, mut question, mut back, mut sentiment) =
        (String::new(), String::new(), String::new(), None);
    let mut themes = Vec::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "id" => id = v.into_owned(),
            "question" => question = v.into_owned(),
            "back" => back = v.into_owned(),
            "theme" => themes.push(v.into_owned()),
            "sentiment" if !v.is_empty() => sentiment = Some(v.into_owned()),
            _ => {}
        }
    }
    if let Err(refused) = check_write(&signed, &headers, &csrf) {
        return error_page(refused);
    }
    if !signed.analyst() {
        return error_page(Error::Forbidden(
            "coding is for analysts and admins; a supervisor reads their teams' answers".into(),
        ));
    }
    let json =
        serde_json::json!({ "question": question, "themes": themes, "sentiment": sentiment });
    let done = crate::http::text::set_codes(
        Analyst {
            hash: signed.staff.hash,
        },
        State(state),
        Path(id),
        Bytes::from(json.to_string()),
    )
    .await;
    match done {
        Ok(_) => {
            let to = if local(&back) {
                back
            } else {
                "/dashboard/text".into()
            };
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
        Err(e) => error_page(e),
    }
}
