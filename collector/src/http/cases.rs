//! Cases at the edge: the list a supervisor works from (their teams' open
//! cases, oldest first), one case with its history (and, for the case's own
//! team only, the call-back details), a change of state, and the report of
//! how many were contacted within 2 working days.
//!
//! Scope: analysts and admins see every case; a supervisor only those of
//! their teams or places, and a case outside it is 404, as if it were not
//! there. Supervisors and admins change cases; analysts read them.

use super::auth::{parse_time, Staff};
use super::json::AppJson;
use super::json::AppQuery;
use super::AppState;
use crate::error::{Error, Result};
use crate::model::{rfc3339, Alert, Role};
use crate::service::cases::{self, Case, State};
use axum::extract::{Path, State as AxumState};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A case as staff see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    /// Its id (the alert's sequence number).
    pub id: u64,
    /// Form id.
    pub form: String,
    /// The response that raised it.
    pub response: String,
    /// The rules it matched.
    pub rules: Vec<String>,
    /// Whether a safeguarding phrase raised it.
    pub safeguarding: bool,
    /// The response's team, if it came through an invitation.
    pub team: Option<String>,
    /// The place, if any.
    pub location: Option<String>,
    /// `new`, `acknowledged`, `contacted`, `resolved` or `closed`.
    pub state: String,
    /// When it was raised (RFC 3339).
    pub raised: Option<String>,
    /// Hours from raised to acknowledged (or a later state), if it was.
    pub hours_to_acknowledge: Option<f64>,
    /// Hours from raised to resolved, if it was.
    pub hours_to_resolve: Option<f64>,
    /// Whether it was contacted within 2 working days (false while not yet
    /// contacted).
    pub contacted_in_2_working_days: bool,
    /// Its changes, oldest first.
    pub history: Vec<ChangeView>,
    /// Answers to questions that collect personal data (call-back contact,
    /// crime reference), shown only to the case's own team (or an admin
    /// when it has no team or place) and erased when it resolves or
    /// closes. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub personal: Option<BTreeMap<String, survey::Answer>>,
}

/// One change of a case.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    /// The state it moved to.
    pub state: String,
    /// Who (a token id).
    pub by: String,
    /// When (RFC 3339).
    pub at: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// The call-back's outcome.
    pub outcome: Option<String>,
    /// Why it was closed.
    pub reason: Option<String>,
}

fn state_name(s: State) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn hours(from: u64, to: Option<u64>) -> Option<f64> {
    to.map(|t| (t.saturating_sub(from) as f64 / 3_600_000.0 * 100.0).round() / 100.0)
}

fn view(case: Case, personal: Option<BTreeMap<String, survey::Answer>>) -> CaseView {
    let raised = case.alert.raised_ms;
    let in_time = case.contacted_in_2_working_days();
    CaseView {
        id: case.alert.seq,
        state: state_name(case.state()),
        hours_to_acknowledge: hours(raised, case.reached(State::Acknowledged)),
        hours_to_resolve: hours(
            raised,
            case.history
                .iter()
                .find(|c| c.state == State::Resolved)
                .map(|c| c.at_ms),
        ),
        contacted_in_2_working_days: in_time,
        safeguarding: case.alert.safeguarding(),
        raised: rfc3339(raised),
        history: case
            .history
            .into_iter()
            .map(|c| ChangeView {
                state: state_name(c.state),
                by: c.by,
                at: rfc3339(c.at_ms),
                note: c.note,
                outcome: c.outcome,
                reason: c.reason,
            })
            .collect(),
        form: case.alert.form,
        response: case.alert.response,
        rules: case.alert.rules,
        team: case.alert.team,
        location: case.alert.location,
        personal,
    }
}

/// Whether `staff` may see the case of `alert`.
fn sees(staff: &Staff, alert: &Alert) -> bool {
    staff
        .scope
        .as_ref()
        .is_none_or(|s| s.covers(alert.team.as_deref(), alert.location.as_deref()))
}

/// Whether `staff` may see the call-back details of `alert`'s case: the
/// case's own supervisors (its team's; where it has no team, its place's);
/// an admin only when no team or place owns it. A supervisor of the place
/// sees another team's case there, but not who to call.
fn sees_personal(staff: &Staff, alert: &Alert) -> bool {
    let owns = |names: &[String], name: &str| names.iter().any(|n| n == name);
    match (&staff.scope, &alert.team, &alert.location) {
        (Some(s), Some(team), _) => owns(&s.teams, team),
        (Some(s), None, Some(place)) => owns(&s.places, place),
        (Some(_), None, None) => false,
        (None, team, place) => staff.role == Role::Admin && team.is_none() && place.is_none(),
    }
}

/// Query of the case list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// `open` (default: any not resolved or closed), `all`, or one state.
    #[param(pattern = "^(open|all|new|acknowledged|contacted|resolved|closed)$")]
    pub state: Option<String>,
    /// Only this team's cases.
    pub team: Option<String>,
    /// Only this form's cases.
    pub form: Option<String>,
}

/// `GET /api/v1/cases`: cases oldest first, within the token's scope.
#[utoipa::path(get, path = "/api/v1/cases", params(ListQuery),
    responses((status = 200, body = [CaseView]), (status = 400), (status = 401)),
    security(("bearer" = [])))]
pub async fn list(
    staff: Staff,
    AxumState(state): AxumState<AppState>,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Json<Vec<CaseView>>> {
    let (want, open_only) = match q.state.as_deref().unwrap_or("open") {
        "open" => (None, true),
        "all" => (None, false),
        s => (
            Some(State::parse(s).ok_or_else(|| {
                Error::BadRequest(format!(
                    "state: '{s}' is not one of open, all, new, acknowledged, contacted, resolved, closed"
                ))
            })?),
            false,
        ),
    };
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        let keep = |a: &Alert| {
            sees(&staff, a)
                && q.team
                    .as_deref()
                    .is_none_or(|t| a.team.as_deref() == Some(t))
                && q.form.as_deref().is_none_or(|f| a.form == f)
        };
        cases::list(store.as_ref(), &keep, want, open_only)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    Ok(Json(found.into_iter().map(|c| view(c, None)).collect()))
}

fn parse_id(id: &str) -> Result<u64> {
    id.parse().map_err(|_| {
        Error::NotFound(format!(
            "no case '{}'",
            id.chars().take(24).collect::<String>()
        ))
    })
}

/// `GET /api/v1/cases/{id}`: one case with its history.
#[utoipa::path(get, path = "/api/v1/cases/{id}",
    params(("id" = u64, Path, description = "Case id")),
    responses((status = 200, body = CaseView), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn get(
    staff: Staff,
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CaseView>> {
    let seq = parse_id(&id)?;
    let case = cases::get(state.store.as_ref(), seq)?
        .filter(|c| sees(&staff, &c.alert))
        .ok_or_else(|| Error::NotFound(format!("no case {seq}")))?;
    let personal = if sees_personal(&staff, &case.alert) {
        cases::personal(state.store.as_ref(), &case)?
    } else {
        None
    };
    Ok(Json(view(case, personal)))
}

/// Body of `PATCH /api/v1/cases/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseChange {
    /// `acknowledged`, `contacted`, `resolved` or `closed` (with a reason).
    #[schema(pattern = "^(acknowledged|contacted|resolved|closed)$")]
    pub state: String,
    /// A note.
    #[serde(default)]
    pub note: Option<String>,
    /// The call-back's outcome (`reached`, `no answer`, `declined`, …).
    #[serde(default)]
    pub outcome: Option<String>,
    /// Why it is closed (needed to close).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `PATCH /api/v1/cases/{id}`: moves a case on (supervisors of its team,
/// and admins). Resolving or closing erases its call-back details.
#[utoipa::path(patch, path = "/api/v1/cases/{id}",
    params(("id" = u64, Path, description = "Case id")), request_body = CaseChange,
    responses((status = 200, body = CaseView), (status = 400), (status = 401), (status = 403),
              (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn update(
    staff: Staff,
    AxumState(state): AxumState<AppState>,
    Path(id): Path<String>,
    AppJson(change): AppJson<CaseChange>,
) -> Result<Json<CaseView>> {
    let seq = parse_id(&id)?;
    let to = State::parse(&change.state).ok_or_else(|| {
        Error::BadRequest(format!(
            "state: '{}' is not one of acknowledged, contacted, resolved, closed",
            change.state
        ))
    })?;
    for (field, v) in [
        ("note", &change.note),
        ("outcome", &change.outcome),
        ("reason", &change.reason),
    ] {
        if v.as_ref().is_some_and(|v| v.chars().count() > 2000) {
            return Err(Error::BadRequest(format!(
                "{field}: at most 2000 characters"
            )));
        }
    }
    let store = state.store.clone();
    let visible = cases::get(store.as_ref(), seq)?.is_some_and(|c| sees(&staff, &c.alert));
    if !visible {
        return Err(Error::NotFound(format!("no case {seq}")));
    }
    if staff.role == Role::Analyst {
        return Err(Error::Forbidden(
            "cases are worked by their team's supervisors (or an admin)".into(),
        ));
    }
    let by = staff.fingerprint();
    let updated = tokio::task::spawn_blocking(move || {
        cases::update(
            store.as_ref(),
            seq,
            &by,
            cases::Update {
                state: to,
                note: change.note,
                outcome: change.outcome,
                reason: change.reason,
            },
        )
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??
    .ok_or_else(|| Error::NotFound(format!("no case {seq}")))?
    .map_err(|refused| Error::Conflict(refused.to_string()))?;
    let personal = if sees_personal(&staff, &updated.alert) {
        cases::personal(state.store.as_ref(), &updated)?
    } else {
        None
    };
    Ok(Json(view(updated, personal)))
}

/// Query of the report.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// Only this form's cases.
    pub form: Option<String>,
    /// Only this team's cases.
    pub team: Option<String>,
    /// Cases raised from this time on (RFC 3339).
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Cases raised before this time (RFC 3339).
    #[param(format = DateTime)]
    pub to: Option<String>,
}

/// The report: how many cases, and the share contacted within 2 working
/// days.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseReport {
    /// Cases raised in the period.
    pub cases: u64,
    /// Of those, contacted within 2 working days (Monday to Friday, not
    /// England and Wales bank holidays).
    pub contacted_in_2_working_days: u64,
    /// Their share.
    pub share_contacted_in_2_working_days: f64,
    /// Still open.
    pub open: u64,
    /// Median hours from raised to acknowledged.
    pub median_hours_to_acknowledge: Option<f64>,
    /// Median hours from raised to resolved.
    pub median_hours_to_resolve: Option<f64>,
}

/// `GET /api/v1/cases/report`: "share of dissatisfied victims contacted
/// within 2 working days", within the token's scope.
#[utoipa::path(get, path = "/api/v1/cases/report", params(ReportQuery),
    responses((status = 200, body = CaseReport), (status = 400), (status = 401)),
    security(("bearer" = [])))]
pub async fn report(
    staff: Staff,
    AxumState(state): AxumState<AppState>,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Json<CaseReport>> {
    let time = |name: &str, v: &Option<String>| -> Result<Option<u64>> {
        v.as_deref()
            .map(|t| {
                parse_time(t).ok_or_else(|| {
                    Error::BadRequest(format!("{name}: '{t}' is not an RFC 3339 time"))
                })
            })
            .transpose()
    };
    let (from, to) = (time("from", &q.from)?, time("to", &q.to)?);
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || {
        let keep = |a: &Alert| {
            sees(&staff, a)
                && q.team.as_deref().is_none_or(|t| a.team.as_deref() == Some(t))
                && q.form.as_deref().is_none_or(|f| a.form == f)
                && from.is_none_or(|f| a.raised_ms >= f)
                && to.is_none_or(|t| a.raised_ms < t)
                // Safeguarding cases are urgent calls, not service recovery.
                && !a.rules.iter().all(|r| r.starts_with(crate::model::SAFEGUARDING_RULE_PREFIX))
        };
        cases::list(store.as_ref(), &keep, None, false)
    })
    .await
    .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    let r = cases::report(&found);
    Ok(Json(CaseReport {
        cases: r.cases,
        contacted_in_2_working_days: r.contacted_in_2_working_days,
        share_contacted_in_2_working_days: r.share_contacted_in_2_working_days,
        open: r.open,
        median_hours_to_acknowledge: r.median_hours_to_acknowledge,
        median_hours_to_resolve: r.median_hours_to_resolve,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::auth::Scope;

    #[test]
    fn call_back_details_go_to_the_cases_own_supervisors_only() {
        let staff = |role, teams: &[&str], places: &[&str]| Staff {
            role,
            hash: [0; 32],
            scope: (role == Role::Supervisor).then(|| Scope {
                teams: teams.iter().map(|t| (*t).to_owned()).collect(),
                places: places.iter().map(|p| (*p).to_owned()).collect(),
            }),
        };
        let alert = |team: Option<&str>, place: Option<&str>| Alert {
            seq: 1,
            form: "f".into(),
            response: "r".into(),
            rules: vec![],
            raised_ms: 0,
            team: team.map(str::to_owned),
            location: place.map(str::to_owned),
        };
        let east = staff(Role::Supervisor, &["east"], &[]);
        let bank = staff(Role::Supervisor, &[], &["bank"]);
        let admin = staff(Role::Admin, &[], &[]);
        let analyst = staff(Role::Analyst, &[], &[]);
        // East's case at Bank: East's supervisor; Bank's sees the case but
        // not who to call.
        let a = alert(Some("east"), Some("bank"));
        assert!(sees(&east, &a) && sees_personal(&east, &a));
        assert!(sees(&bank, &a) && !sees_personal(&bank, &a));
        assert!(!sees_personal(&admin, &a) && !sees_personal(&analyst, &a));
        // A case at Bank with no team: Bank's supervisor.
        let b = alert(None, Some("bank"));
        assert!(sees_personal(&bank, &b) && !sees_personal(&east, &b));
        // Nobody's: an admin.
        let c = alert(None, None);
        assert!(sees_personal(&admin, &c));
        assert!(!sees_personal(&east, &c) && !sees_personal(&analyst, &c));
    }
}
