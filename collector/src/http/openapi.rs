//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Community feedback collector", version = "1",
         description = "Forms, submissions, analyst exports, response rates and drop-off (the funnel), the live alert feed and alert webhooks (Standard Webhooks). Errors are application/problem+json."),
    paths(super::ops::healthz, super::ops::ready, super::ops::metrics, widget_js, widget_manifest,
          super::hosted::page, super::hosted::submit, super::hosted::thanks,
          super::forms::get_form, super::forms::list_forms, super::forms::publish_form,
          super::responses::submit, super::responses::challenge, super::responses::export, super::auth::create_token, super::auth::list_tokens, super::auth::revoke_token, super::backup::backup,
          super::aggregates::aggregates, super::aggregates::trends, super::funnel::funnel, super::events::record,
          super::text::list_text, super::text::set_codes, super::agreement::agreement,
          super::text::set_check_codes, super::agreement::intercoder, super::models::list, super::models::retrain,
          super::invitations::upload, super::invitations::summary, super::invitations::qr,
          super::cases::list, super::cases::report, super::cases::get, super::cases::update,
          super::alerts::stream, super::hooks::create, super::hooks::list, super::hooks::delete,
          super::hooks::hook_deliveries, super::hooks::deliveries, super::hooks::replay,
          super::places::get, super::places::put,
          super::actions::create, super::actions::list, super::actions::remove,
          super::posters::qr_code, super::posters::poster, super::posters::short_link),
    components(schemas(crate::error::ProblemDetails, super::responses::Accepted, super::forms::FormSummary,
                       super::auth::NewToken, super::auth::CreatedToken, super::auth::TokenInfo, super::invitations::IssuedInvitation, super::invitations::RateRow, super::cases::CaseView, super::cases::ChangeView,
                       super::cases::CaseChange, super::cases::CaseReport, super::backup::BackupMade,
                       super::text::TextAnswer, super::text::TextSentiment, super::text::ManualView,
                       super::text::SetCodes, super::agreement::AgreementReport, super::agreement::QuestionAgreement,
                       super::agreement::ThemeAgreement, super::agreement::SentimentAgreement, super::models::ModelList, super::models::ModelSummary, super::models::ThemeCoder, super::models::CoderAgreement, super::models::LabelCoder, crate::service::learning::Recoded,
                       crate::service::intercoder::Report, crate::service::intercoder::ThemeKappa,
                       crate::service::intercoder::LabelKappa, super::text::ManualView,
                       super::alerts::AlertEvent, super::hooks::NewHookBody, super::hooks::CreatedHook,
                       super::hooks::HookInfo, super::hooks::DeliveryInfo, super::hooks::AttemptInfo,
                       super::funnel::FunnelView, super::funnel::GroupView, super::funnel::FiguresView, super::funnel::StopView,
                       crate::service::actions::NewAction, crate::service::actions::Action)),
    modifiers(&Bearer, &ProblemJson)
)]
struct ApiDoc;

/// `GET /widget.js`, served from the built widget's folder (a file
/// service, so documented here).
#[utoipa::path(get, path = "/widget.js", tag = "widget",
    responses((status = 200, description = "the loader: one `<script>` tag on a partner page; cached 5 minutes; brotli or gzip as accepted",
               content_type = "text/javascript", body = String),
              (status = 404, description = "the widget is not built")))]
#[allow(dead_code)]
fn widget_js() {}

/// `GET /widget-manifest.json`, the widget build's file names and their
/// Subresource Integrity hashes (a file service, so documented here).
#[utoipa::path(get, path = "/widget-manifest.json", tag = "widget",
    responses((status = 200, description = "`loader`, `pinned_loader` (the loader pinned to this build, under /assets/, cached for a year), `pinned_loader_integrity`, `glue`, `glue_integrity`, `wasm`, `wasm_integrity` (`sha256-…`), `brotli_bytes`; cached 5 minutes",
               content_type = "application/json", body = Object),
              (status = 404, description = "the widget is not built")))]
#[allow(dead_code)]
fn widget_manifest() {}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Error answers are `application/problem+json` (see `crate::error`):
/// every 4xx and 5xx a handler declares with a `ProblemDetails` body is
/// documented with that media type, as it is sent.
struct ProblemJson;

impl Modify for ProblemJson {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        for item in api.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for (status, response) in &mut operation.responses.responses {
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    if let utoipa::openapi::RefOr::T(response) = response {
                        if let Some(body) = response.content.shift_remove("application/json") {
                            response
                                .content
                                .insert("application/problem+json".to_owned(), body);
                        }
                    }
                }
            }
        }
    }
}

/// The document as JSON text.
pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

/// `GET /api/v1/openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
