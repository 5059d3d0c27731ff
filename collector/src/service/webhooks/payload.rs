//! What a webhook receives: a thin Standard Webhooks payload (`type`,
//! `timestamp`, `data`) that names the alert and links to its case. No
//! free text unless the hook asks for it; then only the response's
//! free-text answers, which never include answers to personal questions
//! (the store keeps those apart from the response, and questions marked
//! personal are skipped here as well).
//!
//! ```json
//! {"type": "alert", "timestamp": "2026-12-01T16:05:35.123Z",
//!  "data": {"case": 42, "case_url": "https://feedback.example/api/v1/cases/42",
//!           "form": "victim-satisfaction", "rules": ["dissatisfied-overall"],
//!           "response": "0000019ad…", "team": "east", "location": null}}
//! ```
//!
//! The body is built again for every attempt rather than stored with the
//! delivery, so free text never sits in the delivery records (and text a
//! retention run erased is not sent later).

use crate::model::{Alert, Event, ResponseId};
use crate::store::{Result, Store};
use serde_json::{json, Map, Value};
use survey::{Answer, Kind};

/// The link to an alert's case (`{base}/api/v1/cases/{seq}`).
pub fn case_url(base: &str, seq: u64) -> String {
    format!("{}/api/v1/cases/{seq}", base.trim_end_matches('/'))
}

/// The body for `alert`, with `text` (question id → answer) when the hook
/// takes free text.
pub fn body(alert: &Alert, base: &str, text: Option<Map<String, Value>>) -> Vec<u8> {
    let mut data = json!({
        "case": alert.seq,
        "case_url": case_url(base, alert.seq),
        "form": alert.form,
        "rules": alert.rules,
        "response": alert.response,
        "team": alert.team,
        "location": alert.location,
    });
    if let Some(text) = text {
        data["text"] = Value::Object(text);
    }
    let body = json!({
        "type": Event::of(alert).name(),
        "timestamp": crate::model::rfc3339(alert.raised_ms),
        "data": data,
    });
    // Serialising a Value cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The free-text answers of the response that raised `alert`, by question
/// id: answers to text questions of the version it answered, never to a
/// question marked personal. Empty when the response is gone.
pub fn free_text(store: &dyn Store, alert: &Alert) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let Some(id) = ResponseId::parse(&alert.response) else {
        return Ok(out);
    };
    let Some(response) = store.response(&alert.form, id)? else {
        return Ok(out);
    };
    let versions = store.form_versions(&alert.form)?;
    let Some(form) = versions.iter().find(|f| f.version == response.version) else {
        return Ok(out);
    };
    for q in &form.questions {
        if q.personal || !matches!(q.kind, Kind::Text { .. }) {
            continue;
        }
        if let Some(Answer::Text(t)) = response.answers.get(&q.id) {
            out.insert(q.id.clone(), Value::String(t.clone()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_names_the_alert_and_links_its_case() {
        let alert = Alert {
            seq: 42,
            form: "victim-satisfaction".into(),
            response: "0000019ad0000000000000000000002a".into(),
            rules: vec!["dissatisfied-overall".into()],
            raised_ms: 1_764_604_800_000,
            team: Some("east".into()),
            location: None,
        };
        let v: Value = serde_json::from_slice(&body(&alert, "https://f.example/", None)).unwrap();
        assert_eq!(v["type"], "alert");
        assert_eq!(v["timestamp"], "2025-12-01T16:00:00Z");
        assert_eq!(v["data"]["case"], 42);
        assert_eq!(v["data"]["case_url"], "https://f.example/api/v1/cases/42");
        assert_eq!(v["data"]["team"], "east");
        assert_eq!(v["data"]["location"], Value::Null);
        assert!(v["data"].get("text").is_none());
        let mut text = Map::new();
        text.insert("comments".into(), "kept waiting".into());
        let v: Value =
            serde_json::from_slice(&body(&alert, "https://f.example", Some(text))).unwrap();
        assert_eq!(v["data"]["text"]["comments"], "kept waiting");
    }
}
