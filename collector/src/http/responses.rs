//! Submissions (public) and the response export (analyst).
//!
//! ```text
//! POST: origin, content type, size ─► json::parse ─► survey::validate ─► service::ingest::record ─► 201 {id}
//! GET:  after, limit ─► store.responses ─► service::export (NDJSON rows or CSV) + Link: next
//! ```

use super::aggregates::{csv_response, wants_csv};
use super::auth::Analyst;
use super::cors::origin_allowed;
use super::forms::no_form;
use super::json;
use super::json::AppQuery;
use super::limit::Limits;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::Level;
use crate::model::ResponseId;
use crate::service::{alerts, export, ingest};
use crate::store::{Published, Submitted};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Answer to an accepted submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// The response id.
    pub id: String,
}

/// `POST /api/v1/forms/{form}/responses`: validates and durably stores a
/// submission; `201 {id}` once it is on disk, `200 {id}` (same id) for a
/// retry of a submission already stored.
#[utoipa::path(post, path = "/api/v1/forms/{form}/responses",
    params(("form" = String, Path, description = "form id"),
           ("x-altcha" = Option<String>, Header, description = "the proof of work for a challenge from `GET …/challenge` (base64 of the solved challenge's JSON); with the bot checks on, a submission without a good one, or sent sooner than 2 s after its challenge, is stored flagged (`proof-of-work`, `proof-reused`, `too-fast`) and counted only with `include=flagged`")),
    request_body(content = Object, content_type = "application/json",
        description = "{submission_id, answers, location?, channel?, lang?}"),
    responses((status = 201, body = Accepted, description = "stored durably"),
              (status = 200, body = Accepted, description = "already stored (retry)"),
              (status = 400, body = crate::error::ProblemDetails), (status = 403, body = crate::error::ProblemDetails),
              (status = 404, body = crate::error::ProblemDetails), (status = 413, body = crate::error::ProblemDetails),
              (status = 415, body = crate::error::ProblemDetails), (status = 422, body = crate::error::ProblemDetails),
              (status = 429, body = crate::error::ProblemDetails)))]
pub async fn submit(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    req: Request,
) -> Result<Response> {
    let published = state
        .store
        .form(&form_id)
        .ok_or_else(|| no_form(&form_id))?;
    let (parts, body) = req.into_parts();
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        if !origin_allowed(&state, &form_id, origin, &parts) {
            return Err(Error::Forbidden(format!(
                "pages at {} may not send answers to this form",
                origin.to_str().unwrap_or("this origin")
            )));
        }
    }
    let json_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(Error::UnsupportedMediaType("application/json"));
    }
    let limit = state.config.max_body_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        if json::timed_out(&e) {
            Error::TimedOut
        } else {
            Error::TooLarge(limit)
        }
    })?;
    // The proof of work, checked before the body is read for answers: a
    // submission without a good one is stored flagged, never refused.
    let flag = if state.config.bot_checks {
        let proof = parts
            .headers
            .get(super::cors::PROOF_HEADER)
            .and_then(|v| v.to_str().ok());
        // On this worker, as the store's other reads and writes of a
        // submission are: a hash, an HMAC and one compare-and-swap in
        // memory (the sync that makes the mark durable is the group
        // commit's, with the submission's). The sweep of expired marks,
        // a scan, goes to the blocking pool.
        let now = crate::model::now_ms();
        let doubt = state
            .proofs
            .take(state.store.as_ref(), &form_id, proof, now)?;
        if state.proofs.sweep_due(now / 1000) {
            let (store, proofs) = (state.store.clone(), state.proofs.clone());
            tokio::task::spawn_blocking(move || {
                if let Err(e) = proofs.sweep(store.as_ref(), now / 1000) {
                    tracing::warn!(error = %e, "sweeping the marks of expired proofs failed");
                }
            });
        }
        doubt.map(|doubt| doubt.as_str().to_owned())
    } else {
        None
    };
    let mut value: serde_json::Value = json::parse(&bytes)?;
    crate::service::tags::submission(&state.places.get(), &published.form, &mut value);
    let valid = survey::validate_json(&published.form, &value).map_err(Error::Invalid)?;
    let submitted = store_submission(&state, published, valid, flag, ingest::Via::Api).await?;
    let status = if submitted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Accepted {
            id: submitted.id.to_string(),
        }),
    )
        .into_response())
}

/// `GET /api/v1/forms/{form}/challenge`: a proof-of-work challenge for
/// the widget to solve before it sends answers (see
/// [`crate::service::proof`]).
#[utoipa::path(get, path = "/api/v1/forms/{form}/challenge", tag = "responses",
    params(("form" = String, Path, description = "form id")),
    responses((status = 200, body = Object, description = "`{algorithm: \"SHA-256\", challenge, maxnumber, salt, signature, wait_ms}` (the ALTCHA protocol): find the number n ≤ maxnumber whose SHA-256 of salt followed by n, in hex, is `challenge`; send base64 of `{algorithm, challenge, number, salt, signature}` as the `X-Altcha` header of the submission within four hours, and not sooner than `wait_ms` after the challenge came (2000 with the bot checks on, 0 with them off; sooner, the answers are stored flagged `too-fast`). Not cached"),
              (status = 404, body = crate::error::ProblemDetails, description = "no such form")))]
pub async fn challenge(
    State(state): State<AppState>,
    Path(form_id): Path<String>,
) -> Result<Response> {
    if state.store.form(&form_id).is_none() {
        return Err(no_form(&form_id));
    }
    let store = state.store.clone();
    let proofs = state.proofs.clone();
    let mut body = tokio::task::spawn_blocking(move || {
        proofs.challenge(store.as_ref(), &form_id, crate::model::now_ms())
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    // How long the widget waits before it sends with this proof: what the
    // server asks of a person, and nothing where the bot checks are off.
    body["wait_ms"] = if state.config.bot_checks {
        crate::service::proof::MIN_SECS * 1000
    } else {
        0
    }
    .into();
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// Stores a valid submission through [`ingest::record`] in a task of its
/// own, so that a request cut off while it waits for the group commit (the
/// request timeout, a client gone) cannot leave a committed response out
/// of the answer index, or its alert unannounced: the write, its indexing
/// and the announcement finish either way.
pub(super) async fn store_submission(
    state: &AppState,
    published: Arc<Published>,
    valid: survey::Valid,
    flag: Option<String>,
    via: ingest::Via,
) -> Result<Submitted> {
    let (store, indexes, metrics, feed, tally) = (
        state.store.clone(),
        state.indexes.clone(),
        state.metrics.clone(),
        state.feed.clone(),
        state.tally.clone(),
    );
    tokio::spawn(async move {
        let submitted = ingest::record(
            store.as_ref(),
            &indexes,
            &metrics,
            &tally,
            &published,
            valid,
            ingest::Arrival { via, flag },
        )
        .await?;
        // Its alert, if it raised one, goes to the live feeds and the
        // webhook worker now rather than at their next poll.
        if submitted.created {
            alerts::announce(store.as_ref(), &feed, submitted.id.seq);
        }
        Ok::<_, Error>(submitted)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(format!("the write task failed: {e}"))))?
}

/// The submission route, behind the submission limits.
pub fn submit_route(limits: &Limits) -> MethodRouter<AppState> {
    limits.apply(post(submit))
}

/// Query of the export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// Id of the last row already read.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub after: Option<String>,
    /// Rows per page, 1 to 10000 (default 1000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<usize>,
    /// Only responses at these sites (comma-separated ids of the register).
    pub site: Option<String>,
    /// Only responses in these wards.
    pub ward: Option<String>,
    /// Only responses in these clusters.
    pub cluster: Option<String>,
    /// Only responses in these sectors.
    pub sector: Option<String>,
    /// `flagged`: the responses a bot check doubted too, in arrival order
    /// among the others, each with its `flag`.
    #[param(pattern = "^flagged$")]
    pub include: Option<String>,
}

impl ExportQuery {
    /// The register filters asked for, each checked against `register`.
    fn levels(&self, register: &crate::model::Register) -> Result<Vec<(Level, Vec<String>)>> {
        let mut out = Vec::new();
        for (level, v) in [
            (Level::Site, &self.site),
            (Level::Ward, &self.ward),
            (Level::Cluster, &self.cluster),
            (Level::Sector, &self.sector),
        ] {
            let Some(v) = v else { continue };
            let ids: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if let Some(id) = ids.iter().find(|id| !register.has(level, id)) {
                return Err(Error::BadRequest(format!(
                    "no {} '{id}' in the register of places",
                    level.name()
                )));
            }
            out.push((level, ids));
        }
        Ok(out)
    }
}

/// `GET /api/v1/forms/{form}/responses`: NDJSON, or CSV with `Accept:
/// text/csv`; oldest first, cursor-paged.
#[utoipa::path(get, path = "/api/v1/forms/{form}/responses",
    params(("form" = String, Path, description = "form id"), ExportQuery),
    responses((status = 404, body = crate::error::ProblemDetails, description = "no such form"), (status = 200, description = "NDJSON: one response per line; `text_coding` carries the effective codes (an analyst's win), with the automatic ones under `auto` and the analyst's under `manual`. \
`attributes` carries the case attributes of a response that came through an invitation (`team`, `category`, …). \
CSV (Accept: text/csv): UTF-8 with a byte-order mark; id, form, version, received_at, location, channel, lang, one column per question of the current form \
(multiple choice as option ids joined with `;`), then `<q>_sentiment`, `<q>_compound`, `<q>_themes`, `<q>_mixed`, `<q>_actionable` for each text question, \
then `attr.<name>` for each case attribute the form's responses carry (those the deployment configures first, in its order). \
Free text that a spreadsheet would read as a formula starts with an apostrophe. A Link header (rel=\"next\") continues the export.",
                content((String = "application/x-ndjson"), (String = "text/csv"))),
              (status = 401, body = crate::error::ProblemDetails),
              (status = 403, body = crate::error::ProblemDetails, description = "a supervisor's token: exports are for analysts and admins")),
    security(("bearer" = [])))]
pub async fn export(
    _: Analyst,
    State(state): State<AppState>,
    Path(form_id): Path<String>,
    AppQuery(q): AppQuery<ExportQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let published = state
        .store
        .form(&form_id)
        .ok_or_else(|| no_form(&form_id))?;
    let after = match q.after.as_deref() {
        Some(s) => Some(
            ResponseId::parse(s)
                .ok_or_else(|| Error::BadRequest("after must be a response id".into()))?,
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(Error::BadRequest("limit must be from 1 to 10000".into()));
    }
    let register = state.places.get();
    let levels = q.levels(&register)?;
    let flagged = match q.include.as_deref() {
        None => false,
        Some("flagged") => true,
        Some(other) => {
            return Err(Error::BadRequest(format!(
                "include: '{other}' is not 'flagged' (the responses a bot check doubted)"
            )))
        }
    };
    let mut scanned = state.store.responses(&form_id, after, limit)?;
    if flagged {
        // The next `limit` of both, in arrival order.
        scanned.extend(state.store.flagged_after(&form_id, after, limit)?);
        scanned.sort_by_key(|r| r.id);
        scanned.truncate(limit);
    }
    // The page is the `limit` responses after `after`, less those outside
    // the places asked for: a filtered page may be short, or empty, and
    // still have a next one.
    let last_scanned = scanned.last().and_then(|r| r.id);
    let full = scanned.len() == limit;
    let rows: Vec<_> = scanned
        .into_iter()
        .filter(|r| export::in_places(&register, &levels, r))
        .collect();
    let manual = export::manual_codes_for_page(state.store.as_ref(), &form_id, &rows)?;
    let mut res = if wants_csv(&headers) {
        let seen: Vec<String> = state
            .indexes
            .index(&form_id)
            .map(|ix| {
                let ix = ix.read().unwrap_or_else(|e| e.into_inner());
                ix.attribute_names().map(String::from).collect()
            })
            .unwrap_or_default();
        let attributes = export::attribute_columns(
            &state.config.invitation_attributes,
            seen.iter().map(String::as_str),
        );
        csv_response(export::export_csv(
            &published.form,
            &rows,
            &manual,
            &attributes,
            &register,
            flagged,
        )?)
    } else {
        let mut body = Vec::with_capacity(rows.len() * 256);
        for r in &rows {
            export::write_row(&mut body, r, &register, r.id.and_then(|id| manual.get(&id)))?;
        }
        ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response()
    };
    if full {
        if let Some(last) = last_scanned {
            let mut link = format!("/api/v1/forms/{form_id}/responses?after={last}&limit={limit}");
            for (level, ids) in &levels {
                link.push_str(&format!("&{}={}", level.name(), ids.join(",")));
            }
            if flagged {
                link.push_str("&include=flagged");
            }
            let link = format!("<{link}>; rel=\"next\"");
            if let Ok(v) = HeaderValue::from_str(&link) {
                res.headers_mut().insert(header::LINK, v);
            }
        }
    }
    Ok(res)
}
