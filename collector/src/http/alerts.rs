//! The live alert feed: `GET /api/v1/alerts/stream`, Server-Sent Events
//! for signed-in staff. Analysts and admins see every alert; a supervisor
//! sees the alerts of the teams and places their token covers.
//!
//! ```text
//! subscribe to Feed ─► start after Last-Event-ID (or ?after=, or the latest alert)
//!   loop: store.alerts_after(last sent) ─► in scope? ─► event (id = seq)
//!         caught up ─► wait for an announcement (or the server stopping)
//! ```
//!
//! What is sent always comes from the store, in sequence order, and the
//! broadcast only wakes the stream up: so replay and live part join with
//! no gap and no repeat, alerts announced out of order still go out in
//! order, and a stream that lags behind the broadcast loses nothing.

use super::auth::{Scope, Staff};
use super::json::AppQuery;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::{now_ms, Alert, Event};
use crate::service::webhooks::payload::case_url;
use crate::store::Store;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::sse::{self, KeepAlive, Sse};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// An alert as the live feed sends it (the `data` of each `alert` event;
/// the event's `id` is `seq`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AlertEvent {
    /// The alert's sequence number: its id, and its case's.
    pub seq: u64,
    /// `alert`, or `safeguarding` when any rule is a safeguarding one.
    pub kind: String,
    /// Form id.
    pub form: String,
    /// The rules that matched.
    pub rules: Vec<String>,
    /// The response that raised it.
    pub response: String,
    /// When it was raised (RFC 3339).
    pub raised_at: Option<String>,
    /// The team it came to, if any.
    pub team: Option<String>,
    /// The place it was answered at, if any.
    pub location: Option<String>,
    /// Its case.
    pub case_url: String,
}

impl AlertEvent {
    fn new(a: Alert, base: &str) -> AlertEvent {
        AlertEvent {
            kind: Event::of(&a).name().to_owned(),
            case_url: case_url(base, a.seq),
            raised_at: crate::model::rfc3339(a.raised_ms),
            seq: a.seq,
            form: a.form,
            rules: a.rules,
            response: a.response,
            team: a.team,
            location: a.location,
        }
    }
}

/// Query of the stream.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// Start after this alert (as `Last-Event-ID` does; the header wins).
    /// Without either, only alerts raised from now on are sent.
    #[param(pattern = "^[0-9]{1,19}$")]
    pub after: Option<String>,
}

/// Alerts as they are raised, as Server-Sent Events (`event: alert`, `id:`
/// the alert's sequence number, `data:` an [`AlertEvent`]); a comment
/// every 15 s keeps the connection open. A client that reconnects with
/// `Last-Event-ID` (browsers' `EventSource` does) gets what it missed,
/// in order, then the live part, with no gap and no repeat.
#[utoipa::path(get, path = "/api/v1/alerts/stream",
    params(StreamQuery,
           ("Last-Event-ID" = Option<String>, Header, pattern = "^[0-9]{1,19}$", description = "Resume after this alert's sequence number")),
    responses((status = 200, body = AlertEvent, content_type = "text/event-stream",
               description = "An endless stream of `alert` events; a supervisor sees only their teams' and places' alerts"),
              (status = 400, body = crate::error::ProblemDetails), (status = 401, body = crate::error::ProblemDetails)),
    security(("bearer" = [])))]
pub async fn stream(
    staff: Staff,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<StreamQuery>,
    headers: HeaderMap,
) -> Result<impl IntoResponse> {
    let resume = match headers.get("last-event-id") {
        Some(v) => Some(v.to_str().unwrap_or_default().to_owned()),
        None => q.after,
    };
    // Subscribed before the starting point is read: an alert raised in
    // between still wakes the stream.
    let live = state.feed.subscribe();
    let closing = state.feed.closing();
    let after = match resume.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s.parse::<u64>().map_err(|_| {
            Error::BadRequest(format!(
                "Last-Event-ID: '{s}' is not an alert's sequence number"
            ))
        })?,
        None => state.store.last_alert_seq()?,
    };
    let cursor = Cursor {
        store: state.store.clone(),
        live,
        closing,
        after,
        queue: VecDeque::new(),
        scope: staff.scope.clone(),
        hash: staff.hash,
        base: base_url(&state, &headers),
    };
    let events = futures_util::stream::unfold(cursor, Cursor::next);
    Ok((
        // Tell a buffering reverse proxy (nginx) to pass events on at once.
        [("x-accel-buffering", "no")],
        Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    ))
}

/// Where case links point: the configured public URL, or the address this
/// request came to.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.clone();
    }
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("http://{host}"),
        None => format!("http://{}", state.config.addr),
    }
}

/// One stream's place in the alert log.
struct Cursor {
    store: Arc<dyn Store>,
    live: broadcast::Receiver<Alert>,
    closing: watch::Receiver<bool>,
    /// The last alert looked at (sent, or out of scope).
    after: u64,
    queue: VecDeque<Alert>,
    scope: Option<Scope>,
    hash: [u8; 32],
    base: String,
}

impl Cursor {
    /// The next event, waiting for one; `None` ends the stream (the server
    /// stopping, the token revoked, the store failing: a client then
    /// reconnects with `Last-Event-ID`).
    async fn next(mut self) -> Option<(std::result::Result<sse::Event, Infallible>, Cursor)> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if let Some(alert) = self.queue.pop_front() {
                self.after = alert.seq;
                let visible = self
                    .scope
                    .as_ref()
                    .is_none_or(|s| s.covers(alert.team.as_deref(), alert.location.as_deref()));
                if !visible {
                    continue;
                }
                // A token revoked (or expired) while its stream is open
                // sees nothing more.
                match self.store.token(&self.hash) {
                    Ok(Some(t)) if t.live(now_ms()) => {}
                    _ => return None,
                }
                let id = alert.seq.to_string();
                let event = sse::Event::default()
                    .event("alert")
                    .id(id)
                    .json_data(AlertEvent::new(alert, &self.base))
                    .ok()?;
                return Some((Ok(event), self));
            }
            match self.store.alerts_after(self.after, 100) {
                Ok(page) if !page.is_empty() => {
                    self.queue.extend(page);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "the alert stream could not read the store");
                    return None;
                }
            }
            tokio::select! {
                got = self.live.recv() => match got {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                changed = self.closing.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                }
            }
        }
    }
}
