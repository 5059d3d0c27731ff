//! How well the automatic codes agree with the analysts' (`/agreement`):
//! per theme, Cohen's kappa over the answers coded by hand, and agreement
//! on sentiment labels. The index counts ([`crate::index::agreement`]);
//! this module names the themes and words the caveats.

use super::auth::Analyst;
use super::forms::no_form;
use super::query_params::pairs;
use super::text::list;
use super::AppState;
use crate::error::{Error, Result};
use crate::index::agreement;
use crate::index::form_index::SENTIMENT_LABELS;
use crate::model::ResponseId;
use analysis::agreement::Agreement;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde::Serialize;
use std::collections::HashSet;

/// Below this many hand-coded answers, agreement figures get a warning.
const SMALL_N: u64 = 30;

/// Agreement on one theme between the automatic and the manual codes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThemeAgreement {
    /// Theme id.
    pub theme: String,
    /// Theme name.
    pub label: String,
    /// Hand-coded answers compared.
    pub n: u64,
    /// Both found the theme.
    pub both_yes: u64,
    /// Only the automatic coding found it.
    pub auto_only: u64,
    /// Only the analyst found it.
    pub manual_only: u64,
    /// Neither found it.
    pub both_no: u64,
    /// Share of answers where they agree.
    pub observed: Option<f64>,
    /// Agreement expected by chance.
    pub expected: Option<f64>,
    /// Cohen's kappa; null when undefined.
    pub kappa: Option<f64>,
    /// A plain-language caveat, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Agreement on the sentiment label, over answers whose label an analyst set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SentimentAgreement {
    /// Answers with a label set by hand.
    pub n: u64,
    /// Of which the automatic label was the same.
    pub agreed: u64,
    /// agreed / n; null when n = 0.
    pub percent_agreement: Option<f64>,
    /// Row and column order of `table`.
    pub labels: Vec<String>,
    /// Counts: rows are the automatic label, columns the analyst's.
    pub table: Vec<Vec<u64>>,
}

/// Agreement for one free-text question.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionAgreement {
    /// Question id.
    pub question: String,
    /// Answers coded by hand.
    pub n: u64,
    /// A plain-language caveat when there are few hand-coded answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// One entry per theme of the codebook (none when the question is not coded).
    pub themes: Vec<ThemeAgreement>,
    /// Sentiment labels.
    pub sentiment: SentimentAgreement,
}

/// `GET /api/v1/forms/{form}/agreement`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgreementReport {
    /// Form id.
    pub form: String,
    /// One entry per free-text question asked about.
    pub questions: Vec<QuestionAgreement>,
    /// The theme model learned from the analysts' codes that is in use,
    /// with per theme the codebook's and the model's agreement with the
    /// analysts on held-out codes and which of the two codes it; null until
    /// enough answers are coded by hand. The figures under `questions`
    /// compare the codes in use (some from the model, trained on these same
    /// hand codes) and so flatter the model; these do not.
    pub learning: Option<super::models::ModelSummary>,
}

fn small_n_note(n: u64) -> Option<String> {
    match n {
        0 => Some("No answers to this question have been coded by hand yet, so there is nothing to compare.".into()),
        1 => Some("Only one answer has been coded by hand: the figures below say almost nothing yet.".into()),
        n if n < SMALL_N => Some(format!(
            "Only {n} answers have been coded by hand: treat these figures as a rough guide. Kappa moves a lot with each answer until about {SMALL_N} have been coded."
        )),
        _ => None,
    }
}

fn theme_note(a: &Agreement) -> Option<String> {
    match (a.n(), a.kappa) {
        (0, _) => None,
        (_, None) if a.both_yes > 0 => Some(
            "Both found this theme in every hand-coded answer: they agree, but kappa cannot be computed.".into(),
        ),
        (_, None) => Some(
            "Neither found this theme in any hand-coded answer: they agree, but kappa cannot be computed.".into(),
        ),
        _ => None,
    }
}

/// `GET /api/v1/forms/{form}/agreement?question=`: per theme, Cohen's kappa
/// between the automatic and the manual codes, over the answers coded by
/// hand, with the 2×2 counts behind it; and agreement on sentiment labels.
// Tagged as the text routes it was first documented with, so the
// published document keeps its grouping.
#[utoipa::path(get, path = "/api/v1/forms/{form}/agreement", tag = "super::text",
    params(("form" = String, Path, description = "form id"),
        ("question" = Option<String>, Query, description = "text questions, comma-separated (default: every text question)")),
    responses((status = 404, body = crate::error::ProblemDetails, description = "no such form"), (status = 200, body = AgreementReport),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token: agreement is for analysts and admins"),
              (status = 404, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn agreement(
    _: Analyst,
    State(state): State<AppState>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<AgreementReport>> {
    let published = state.store.form(&form).ok_or_else(|| no_form(&form))?;
    let pairs = pairs(raw.as_deref());
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "question") {
        return Err(Error::BadRequest(format!("unknown parameter '{k}'")));
    }
    // The index keeps the automatic and manual codes side by side, but not
    // whether an analyst set the label or kept the automatic one: that is
    // in the stored codes.
    let labelled: HashSet<(ResponseId, String)> = state
        .store
        .manual_codes(&form)?
        .into_iter()
        .flat_map(|(id, codes)| {
            codes
                .into_iter()
                .filter(|(_, c)| c.sentiment.is_some())
                .map(move |(q, _)| (id, q))
        })
        .collect();
    let ix = state.indexes.index(&form).ok_or_else(|| no_form(&form))?;
    let counts = {
        let ix = ix.read().unwrap_or_else(|e| e.into_inner());
        agreement::counts(&ix, &list(&pairs, "question"), &labelled)?
    };
    let theme_label = |id: &str| {
        published
            .form
            .codebook
            .iter()
            .flat_map(|c| c.themes.iter())
            .find(|t| t.id == id)
            .map_or_else(|| id.to_owned(), |t| t.label.clone())
    };
    let questions = counts
        .into_iter()
        .map(|q| QuestionAgreement {
            note: small_n_note(q.n),
            question: q.question,
            n: q.n,
            themes: q
                .themes
                .into_iter()
                .map(|t| {
                    let a = t.agreement;
                    ThemeAgreement {
                        label: theme_label(&t.theme),
                        theme: t.theme,
                        n: a.n(),
                        both_yes: a.both_yes,
                        auto_only: a.auto_only,
                        manual_only: a.manual_only,
                        both_no: a.both_no,
                        observed: a.observed,
                        expected: a.expected,
                        kappa: a.kappa,
                        note: theme_note(&a),
                    }
                })
                .collect(),
            sentiment: SentimentAgreement {
                n: q.labels.n,
                agreed: q.labels.agreed,
                percent_agreement: (q.labels.n > 0)
                    .then(|| q.labels.agreed as f64 / q.labels.n as f64),
                labels: SENTIMENT_LABELS
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
                table: q.labels.table,
            },
        })
        .collect();
    let store = state.store.clone();
    let id = form.clone();
    let learning =
        tokio::task::spawn_blocking(move || crate::service::learning::latest(store.as_ref(), &id))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))??
            .filter(|m| {
                published.form.codebook.as_ref().map(|c| c.version) == Some(m.codebook_version)
                    && m.features == analysis::learn::FEATURES
            })
            .map(|m| super::models::summary(&m, true, &published.form));
    Ok(Json(AgreementReport {
        form,
        questions,
        learning,
    }))
}

/// `GET /api/v1/forms/{form}/intercoder?question=&precision=`: how well two
/// analysts agree, over the answers both coded (the first coder's manual
/// codes against the second coder's check codes): per theme Cohen's kappa
/// with its counts, kappa on sentiment labels, and the sample both must
/// code for kappa's 95% interval to be ± `precision` (0.1 by default).
#[utoipa::path(get, path = "/api/v1/forms/{form}/intercoder", tag = "super::text",
    params(("form" = String, Path, description = "form id"),
        ("question" = String, Query, description = "the free-text question compared"),
        ("precision" = Option<f64>, Query, description = "half-width of kappa's 95% interval to size the sample for, 0.01 to 0.5 (default 0.1)")),
    responses((status = 200, body = crate::service::intercoder::Report),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token: agreement is for analysts and admins"),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form")),
    security(("bearer" = [])))]
pub async fn intercoder(
    _: Analyst,
    State(state): State<AppState>,
    Path(form): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<crate::service::intercoder::Report>> {
    let published = state.store.form(&form).ok_or_else(|| no_form(&form))?;
    let pairs = pairs(raw.as_deref());
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| k != "question" && k != "precision")
    {
        return Err(Error::BadRequest(format!("unknown parameter '{k}'")));
    }
    let question = list(&pairs, "question");
    let [question] = question.as_slice() else {
        return Err(Error::BadRequest(
            "question must name one free-text question".into(),
        ));
    };
    if !published
        .form
        .question(question)
        .is_some_and(|q| matches!(q.kind, survey::Kind::Text { .. }))
    {
        return Err(Error::BadRequest(format!(
            "'{question}' is not a free-text question of this form"
        )));
    }
    let precision = match list(&pairs, "precision").first() {
        None => 0.1,
        Some(p) => p
            .parse::<f64>()
            .ok()
            .filter(|p| (0.01..=0.5).contains(p))
            .ok_or_else(|| Error::BadRequest("precision must be from 0.01 to 0.5".into()))?,
    };
    Ok(Json(crate::service::intercoder::report(
        state.store.as_ref(),
        &published.form,
        question,
        precision,
    )?))
}
