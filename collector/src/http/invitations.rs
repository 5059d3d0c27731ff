//! Victims' invitations at the edge: an admin's upload of rows (JSON or
//! CSV) into links and QR codes, and the response rates by team, category
//! or week ([`crate::service::invitations`] does the work).

use super::auth::{Admin, Staff};
use super::json::AppQuery;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::rfc3339;
use crate::service::invitations::{self, By};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Query of the upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UploadQuery {
    /// Days each link works, 1 to 365 (default 28).
    #[param(minimum = 1, maximum = 365)]
    pub expires_days: Option<u32>,
}

/// One new invitation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedInvitation {
    /// Its id.
    pub id: String,
    /// The link to send (by text message or email).
    pub url: String,
    /// When the link stops working (RFC 3339).
    pub expires: Option<String>,
    /// Its QR code as SVG, for a printed letter (admin token).
    pub qr: String,
}

/// `POST /api/v1/forms/{form}/invitations`: a JSON array of objects, or
/// CSV with a header row, of case attributes; one link per row.
#[utoipa::path(post, path = "/api/v1/forms/{form}/invitations",
    params(("form" = String, Path, description = "Form id"), UploadQuery),
    request_body(content = Vec<BTreeMap<String, String>>, description = "Rows of case attributes (JSON array, or text/csv with a header row)",
                 example = json!([{"team": "east-response", "category": "theft-from-person", "reported_via": "phone", "reported_on": "2026-11-28"}])),
    responses((status = 201, body = [IssuedInvitation]), (status = 400), (status = 401), (status = 403),
              (status = 404), (status = 415), (status = 422)),
    security(("bearer" = [])))]
pub async fn upload(
    _: Admin,
    State(state): State<AppState>,
    Path(form): Path<String>,
    AppQuery(q): AppQuery<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Vec<IssuedInvitation>>)> {
    if state.store.form(&form).is_none() {
        return Err(Error::NotFound(format!("no form '{form}'")));
    }
    let days = q.expires_days.unwrap_or(invitations::DEFAULT_DAYS);
    if !(1..=365).contains(&days) {
        return Err(Error::BadRequest("expires_days: from 1 to 365".into()));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let rows = if content_type.starts_with("text/csv") {
        rows_from_csv(&body)?
    } else if content_type.starts_with("application/json") {
        rows_from_json(&body)?
    } else {
        return Err(Error::UnsupportedMediaType(
            "application/json (an array of objects) or text/csv (a header row)",
        ));
    };
    let store = state.store.clone();
    let allowed = state.config.invitation_attributes.clone();
    let form_id = form.clone();
    let issued = tokio::task::spawn_blocking(move || {
        invitations::issue(store.as_ref(), &form_id, &rows, &allowed, days)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??
    .map_err(|problems| {
        Error::InvalidRows(problems.iter().map(|p| serde_json::json!(p)).collect())
    })?;
    let base = super::public_base(&state.config, &headers);
    let out = issued
        .into_iter()
        .map(|i| IssuedInvitation {
            url: format!("{base}/f/{form}?i={}", i.key),
            qr: format!("{base}/api/v1/forms/{form}/invitations/{}/qr", i.id),
            expires: rfc3339(i.expires_ms),
            id: i.id,
        })
        .collect();
    Ok((StatusCode::CREATED, Json(out)))
}

fn rows_from_json(body: &[u8]) -> Result<Vec<BTreeMap<String, String>>> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| Error::MalformedJson(e.to_string()))?;
    let serde_json::Value::Array(items) = v else {
        return Err(Error::BadRequest(
            "send a JSON array of objects, one per invitation".into(),
        ));
    };
    let mut rows = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            problems.push(serde_json::json!({"field": format!("rows[{i}]"), "message": "each row is an object of attribute → text"}));
            continue;
        };
        let mut row = BTreeMap::new();
        for (k, v) in obj {
            match v {
                serde_json::Value::String(s) => {
                    row.insert(k.clone(), s.clone());
                }
                _ => problems.push(serde_json::json!({"field": format!("rows[{i}].{k}"), "message": "must be text"})),
            }
        }
        rows.push(row);
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(Error::InvalidRows(problems))
    }
}

fn rows_from_csv(body: &[u8]) -> Result<Vec<BTreeMap<String, String>>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let names: Vec<String> = reader
        .headers()
        .map_err(|e| Error::BadRequest(format!("the CSV's header row: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Error::BadRequest(format!("CSV row {}: {e}", i + 1)))?;
        rows.push(
            names
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect(),
        );
    }
    Ok(rows)
}

/// Query of the summary.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SummaryQuery {
    /// `team` (default), `category` or `week` (ISO week sent).
    #[param(pattern = "^(team|category|week)$")]
    pub by: Option<String>,
}

/// Sent, opened and answered invitations of one group.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateRow {
    /// The team, category or week; `_none` when the attribute is absent.
    pub group: String,
    /// Invitations made.
    pub sent: u64,
    /// Opened at least once.
    pub opened: u64,
    /// Answered.
    pub answered: u64,
    /// answered / sent.
    pub response_rate: f64,
}

/// `GET /api/v1/forms/{form}/invitations/summary`: exact response rates.
/// A supervisor sees only their teams.
#[utoipa::path(get, path = "/api/v1/forms/{form}/invitations/summary",
    params(("form" = String, Path, description = "Form id"), SummaryQuery),
    responses((status = 200, body = [RateRow]), (status = 400), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn summary(
    staff: Staff,
    State(state): State<AppState>,
    Path(form): Path<String>,
    AppQuery(q): AppQuery<SummaryQuery>,
) -> Result<Json<Vec<RateRow>>> {
    if state.store.form(&form).is_none() {
        return Err(Error::NotFound(format!("no form '{form}'")));
    }
    let by = match q.by.as_deref().unwrap_or("team") {
        "team" => By::Team,
        "category" => By::Category,
        "week" => By::Week,
        other => {
            return Err(Error::BadRequest(format!(
                "by: '{other}' is not one of team, category, week"
            )))
        }
    };
    let store = state.store.clone();
    let rates = tokio::task::spawn_blocking(move || {
        invitations::summary(store.as_ref(), &form, by, &|inv| {
            staff
                .scope
                .as_ref()
                .is_none_or(|s| s.covers(inv.attributes.get("team").map(String::as_str), None))
        })
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    Ok(Json(
        rates
            .into_iter()
            .map(|r| RateRow {
                response_rate: if r.sent == 0 {
                    0.0
                } else {
                    r.answered as f64 / r.sent as f64
                },
                group: r.group,
                sent: r.sent,
                opened: r.opened,
                answered: r.answered,
            })
            .collect(),
    ))
}

/// `GET /api/v1/forms/{form}/invitations/{id}/qr`: the link's QR code as
/// SVG, with a quiet zone and error correction level M.
#[utoipa::path(get, path = "/api/v1/forms/{form}/invitations/{id}/qr",
    params(("form" = String, Path, description = "Form id"), ("id" = String, Path, description = "Invitation id")),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn qr(
    _: Admin,
    State(state): State<AppState>,
    Path((form, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let exists = state
        .store
        .get_doc(crate::store::Doc::Invitation, &id)?
        .and_then(|v| serde_json::from_slice::<invitations::Invitation>(&v).ok())
        .is_some_and(|inv| inv.form == form);
    if !exists {
        return Err(Error::NotFound(format!("no invitation '{id}' to '{form}'")));
    }
    let key = invitations::key(state.store.as_ref(), &form, &id)?;
    let url = format!(
        "{}/f/{form}?i={key}",
        super::public_base(&state.config, &headers)
    );
    let svg = super::qr::svg(&super::qr::encode(&url, qrcode::EcLevel::M)?, 240);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
