//! Recording a validated submission: derive what analysis needs (sentiment
//! and themes of free text, alerts), then store it durably.
//!
//! Both the JSON API and the hosted no-JavaScript form come through here,
//! so a response is stored the same way whichever way it arrived.

use crate::error::Result;
use crate::http::AppState;
use crate::store::{StoredResponse, Submitted};
use survey::{AlertCondition, Answer, Form, Valid};

/// Stores `valid` as a response to `form`; resolves once it is durable.
pub async fn record(state: &AppState, form: &Form, valid: Valid) -> Result<Submitted> {
    let coding = state.indexes.code_text(form, &valid.answers);
    let alerts = form
        .alerts
        .iter()
        .filter(
            |rule| match (&rule.when, valid.answers.get(&rule.question)) {
                (AlertCondition::AnyOf(atoms), Some(answer)) => {
                    atoms.iter().any(|a| answer.matches(a))
                }
                (AlertCondition::SentimentBelow(x), Some(_)) => {
                    coding.get(&rule.question).is_some_and(|c| c.compound < *x)
                }
                _ => false,
            },
        )
        .map(|rule| rule.id.clone())
        .collect();
    let response = StoredResponse {
        id: None,
        form: form.id.clone(),
        version: form.version,
        received_ms: 0,
        location: valid.location,
        channel: valid.channel,
        lang: valid.lang,
        answers: valid.answers,
        coding,
    };
    let submitted = state
        .store
        .submit(form, response.clone(), &valid.submission_id, alerts)
        .await?;
    if submitted.created {
        let mut indexed = response;
        indexed.id = Some(submitted.id);
        indexed.received_ms = submitted.id.ms;
        state.indexes.append(&indexed);
    }
    Ok(submitted)
}

/// A response as an export row: `{id, form, version, received_at, …}`.
pub fn export_row(r: &StoredResponse) -> serde_json::Value {
    let received_at =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(r.received_ms) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            });
    let answers: serde_json::Map<String, serde_json::Value> = r
        .answers
        .iter()
        .map(|(k, v): (&String, &Answer)| (k.clone(), v.to_json()))
        .collect();
    let mut row = serde_json::json!({
        "id": r.id.map(|i| i.to_string()),
        "form": r.form,
        "version": r.version,
        "received_at": received_at,
        "location": r.location,
        "channel": r.channel,
        "lang": r.lang,
        "answers": answers,
    });
    if !r.coding.is_empty() {
        row["text_coding"] = serde_json::json!(r.coding);
    }
    row
}
