//! Talking to the collector: the form definition and the answers.

use crate::model::WireProblem;
use gloo_net::http::Request;
use survey::Form;

/// How a POST of answers ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Posted {
    /// Stored (or already stored under the same submission id).
    Stored,
    /// The collector refused the answers; these say why.
    Rejected(Vec<WireProblem>),
    /// The request never reached the collector (no network).
    Offline,
    /// The collector answered with an error that trying again may fix.
    Failed,
}

/// `GET {origin}/api/v1/forms/{form}`.
pub async fn load_form(origin: &str, form: &str) -> Result<Form, &'static str> {
    let url = format!("{origin}/api/v1/forms/{form}");
    // Errors stay terse: their text is never shown, and formatting them
    // would cost download size.
    let resp = Request::get(&url).send().await.map_err(|_| "network")?;
    if !resp.ok() {
        return Err("status");
    }
    let body = resp.text().await.map_err(|_| "body")?;
    serde_json::from_str(&body).map_err(|_| "form")
}

#[derive(serde::Deserialize)]
struct ProblemDoc {
    #[serde(default)]
    errors: Vec<WireProblem>,
}

/// `POST {origin}/api/v1/forms/{form}/responses` with a submission as JSON.
pub async fn post(origin: &str, form: &str, body: &str) -> Posted {
    let url = format!("{origin}/api/v1/forms/{form}/responses");
    let req = match Request::post(&url)
        .header("Content-Type", "application/json")
        .body(body)
    {
        Ok(r) => r,
        Err(_) => return Posted::Failed,
    };
    let resp = match req.send().await {
        Ok(r) => r,
        // fetch only throws when no answer came back at all.
        Err(_) => return Posted::Offline,
    };
    classify(resp.status(), resp.text().await.ok().as_deref())
}

/// What an answer to a POST means for the person's answers.
pub fn classify(status: u16, body: Option<&str>) -> Posted {
    match status {
        200..=299 | 409 => Posted::Stored,
        400 | 422 => {
            let errors = body
                .and_then(|b| serde_json::from_str::<ProblemDoc>(b).ok())
                .map(|d| d.errors)
                .unwrap_or_default();
            Posted::Rejected(errors)
        }
        _ => Posted::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_answers() {
        assert_eq!(classify(201, Some(r#"{"id":"x"}"#)), Posted::Stored);
        assert_eq!(classify(200, None), Posted::Stored);
        assert_eq!(classify(503, None), Posted::Failed);
        let body = r#"{"type":"about:blank","title":"Invalid","status":422,"detail":"d",
            "errors":[{"field":"safe","code":"required","message":"Select"}]}"#;
        match classify(422, Some(body)) {
            Posted::Rejected(e) => assert_eq!(e[0].field, "safe"),
            other => panic!("{other:?}"),
        }
        assert_eq!(classify(400, Some("not json")), Posted::Rejected(vec![]));
    }
}
