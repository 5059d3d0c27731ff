//! The models learned from analysts' codes (`/models`): every version,
//! which one is in use, and per theme how the codebook and the model each
//! agree with the analysts on codes the model was not trained on, and
//! which of the two codes the theme; likewise the sentiment label
//! retrained with the analysts' labels against the shipped one. A `POST` asks for retraining
//! now (it runs in the background; see `service::learning`).

use super::auth::Analyst;
use super::forms::no_form;
use super::AppState;
use crate::error::Result;
use crate::service::learning::{self, ModelRecord, Recoded};
use analysis::Agreement;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use survey::Form;

/// One coder's agreement with the analysts on one theme.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoderAgreement {
    /// Hand-coded answers compared.
    pub n: u64,
    /// Both found the theme.
    pub both_yes: u64,
    /// Only this coder found it.
    pub auto_only: u64,
    /// Only the analyst found it.
    pub manual_only: u64,
    /// Neither found it.
    pub both_no: u64,
    /// Cohen's kappa; null when undefined.
    pub kappa: Option<f64>,
}

impl From<&Agreement> for CoderAgreement {
    fn from(a: &Agreement) -> CoderAgreement {
        CoderAgreement {
            n: a.n(),
            both_yes: a.both_yes,
            auto_only: a.auto_only,
            manual_only: a.manual_only,
            both_no: a.both_no,
            kappa: a.kappa,
        }
    }
}

/// Which coder a theme uses, and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThemeCoder {
    /// Theme id.
    pub theme: String,
    /// Theme name.
    pub label: String,
    /// Answers the analysts coded with this theme.
    pub positives: u64,
    /// The codebook's phrases against the analysts.
    pub codebook: CoderAgreement,
    /// The learned model against the analysts, each answer coded by a
    /// model trained without it (5-fold cross-validation).
    pub learned: CoderAgreement,
    /// `learned` or `codebook`.
    pub in_use: String,
}

/// The sentiment label retrained with the analysts' own labels, against
/// the shipped label model, each hand label read by a model trained
/// without it (5-fold cross-validation).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LabelCoder {
    /// Answers the analysts labelled.
    pub examples: u64,
    /// Of those, labelled as the analyst did by the shipped model.
    pub shipped_right: u64,
    /// Of those, labelled as the analyst did by the retrained model.
    pub learned_right: u64,
    /// Answers only the retrained model labelled right.
    pub only_learned: u64,
    /// Answers only the shipped model labelled right.
    pub only_shipped: u64,
    /// One-sided exact McNemar p-value that the retrained model is better.
    pub p_value: f64,
    /// `learned` (p < 0.05) or `shipped`.
    pub in_use: String,
}

impl From<&analysis::LabelChoice> for LabelCoder {
    fn from(c: &analysis::LabelChoice) -> LabelCoder {
        LabelCoder {
            examples: c.examples,
            shipped_right: c.shipped_right,
            learned_right: c.learned_right,
            only_learned: c.only_learned,
            only_shipped: c.only_shipped,
            p_value: analysis::choose::mcnemar_p(c.only_learned, c.only_shipped),
            in_use: if c.use_learned { "learned" } else { "shipped" }.to_owned(),
        }
    }
}

/// One model version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelSummary {
    /// 1, 2, … per form.
    pub version: u32,
    /// Whether this is the model in use (the newest).
    pub in_use: bool,
    /// The codebook version it was trained with.
    pub codebook_version: u32,
    /// When it was trained, ms since the Unix epoch.
    pub trained_at_ms: u64,
    /// How long training and judging took, ms.
    pub training_ms: u64,
    /// Hand-coded answers it was trained and judged on.
    pub examples: u64,
    /// The pass that coded the stored answers with it; null while it runs.
    pub recoded: Option<Recoded>,
    /// Per theme, in codebook order.
    pub themes: Vec<ThemeCoder>,
    /// The sentiment label retrained with the analysts' labels; null with
    /// fewer than `min_examples` labels set by hand, or without the
    /// shipped label model (`sentiment_model = false`).
    pub sentiment: Option<LabelCoder>,
}

/// `GET /api/v1/forms/{form}/models`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelList {
    /// Form id.
    pub form: String,
    /// Hand-coded answers needed before a first model is trained.
    pub min_examples: u64,
    /// Analysts' codes of a theme needed before the model may take it over.
    pub min_positives: u64,
    /// Every version, newest first.
    pub models: Vec<ModelSummary>,
}

/// The summary of a stored model, theme names from `form`.
pub fn summary(m: &ModelRecord, in_use: bool, form: &Form) -> ModelSummary {
    let label = |id: &str| {
        form.codebook
            .iter()
            .flat_map(|c| c.themes.iter())
            .find(|t| t.id == id)
            .map_or_else(|| id.to_owned(), |t| t.label.clone())
    };
    ModelSummary {
        version: m.version,
        in_use,
        codebook_version: m.codebook_version,
        trained_at_ms: m.trained_at_ms,
        training_ms: m.training_ms,
        examples: m.choice.examples,
        recoded: m.recoded.clone(),
        themes: m
            .choice
            .themes
            .iter()
            .map(|t| ThemeCoder {
                label: label(&t.theme),
                theme: t.theme.clone(),
                positives: t.positives,
                codebook: (&t.codebook).into(),
                learned: (&t.learned).into(),
                in_use: if t.use_learned { "learned" } else { "codebook" }.to_owned(),
            })
            .collect(),
        sentiment: m.sentiment.as_ref().map(LabelCoder::from),
    }
}

/// `GET /api/v1/forms/{form}/models`: every theme model learned from the
/// analysts' codes of this form, newest (in use) first.
#[utoipa::path(get, path = "/api/v1/forms/{form}/models", tag = "super::text",
    params(("form" = String, Path, description = "form id")),
    responses((status = 200, body = ModelList),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token: models are for analysts and admins"),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form")),
    security(("bearer" = [])))]
pub async fn list(
    _: Analyst,
    State(state): State<AppState>,
    Path(form): Path<String>,
) -> Result<Json<ModelList>> {
    let published = state.store.form(&form).ok_or_else(|| no_form(&form))?;
    let store = state.store.clone();
    let id = form.clone();
    let models = tokio::task::spawn_blocking(move || learning::models(store.as_ref(), &id))
        .await
        .map_err(|e| crate::error::Error::Io(std::io::Error::other(e)))??;
    // The newest is in use, if it was made for this codebook and these
    // features.
    let current = published.form.codebook.as_ref().map(|c| c.version);
    let newest = models
        .last()
        .filter(|m| Some(m.codebook_version) == current && m.features == analysis::learn::FEATURES)
        .map(|m| m.version);
    Ok(Json(ModelList {
        min_examples: learning::MIN_EXAMPLES as u64,
        min_positives: analysis::choose::MIN_POSITIVES,
        models: models
            .iter()
            .rev()
            .map(|m| summary(m, Some(m.version) == newest, &published.form))
            .collect(),
        form,
    }))
}

/// `POST /api/v1/forms/{form}/models`: retrain now from the analysts'
/// codes. Returns at once (202); the new version, if the codes changed
/// and there are enough, appears in the list within seconds.
#[utoipa::path(post, path = "/api/v1/forms/{form}/models", tag = "super::text",
    params(("form" = String, Path, description = "form id")),
    responses((status = 202, description = "retraining is queued"),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token: models are for analysts and admins"),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form")),
    security(("bearer" = [])))]
pub async fn retrain(
    _: Analyst,
    State(state): State<AppState>,
    Path(form): Path<String>,
) -> Result<StatusCode> {
    state.store.form(&form).ok_or_else(|| no_form(&form))?;
    state.indexes.learned().retrain_now(&form);
    Ok(StatusCode::ACCEPTED)
}
