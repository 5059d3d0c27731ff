//! Talking to the collector: the form definition and the answers.

use crate::model::WireProblem;
use survey::Form;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

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
    /// The invitation link cannot take an answer: nothing was stored.
    Closed(Closed),
}

/// Why an invitation link took no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Another response answered it.
    Answered,
    /// It expired, or was altered.
    Expired,
}

/// A request that reached no server (no network, blocked) is `Err`.
///
/// Plain `fetch` through web-sys: the widget needs two calls, not an HTTP
/// library.
async fn fetch(
    url: &str,
    json_body: Option<&str>,
    proof: Option<String>,
    fresh: bool,
) -> Result<(u16, Option<String>), ()> {
    let init = web_sys::RequestInit::new();
    if fresh {
        // Asks the collector even within the form's max-age (an ETag makes
        // it cheap when nothing changed).
        init.set_cache(web_sys::RequestCache::NoCache);
    }
    if let Some(body) = json_body {
        init.set_method("POST");
        init.set_body(&JsValue::from_str(body));
        let headers = web_sys::Headers::new().map_err(|_| ())?;
        headers
            .set("Content-Type", "application/json")
            .map_err(|_| ())?;
        if let Some(p) = proof {
            headers.set("X-Altcha", &p).map_err(|_| ())?;
        }
        init.set_headers(&headers);
    }
    let window = web_sys::window().ok_or(())?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| ())?
        .dyn_into()
        .map_err(|_| ())?;
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    Ok((resp.status(), text))
}

/// `GET {origin}/api/v1/forms/{form}`; `fresh`: not from the browser's cache.
pub async fn load_form(origin: &str, form: &str, fresh: bool) -> Result<Form, ()> {
    let (status, body) = fetch(&format!("{origin}/api/v1/forms/{form}"), None, None, fresh).await?;
    match (status, body) {
        (200, Some(body)) => crate::json::parse(&body)
            .and_then(|v| Form::from_value(&v).ok())
            .ok_or(()),
        _ => Err(()),
    }
}

/// `POST {origin}/api/v1/forms/{form}/responses` with a submission as JSON.
pub async fn post(origin: &str, form: &str, body: &str) -> Posted {
    let url = format!("{origin}/api/v1/forms/{form}/responses");
    let proof = loader_proof(&format!("__feedbackProof:{origin}/{form}")).await;
    match fetch(&url, Some(body), proof, false).await {
        Ok((status, text)) => classify(status, text.as_deref()),
        // fetch only rejects when no answer came back at all.
        Err(()) => Posted::Offline,
    }
}

/// The loader's proof of work for a form (`key`) for one submission
/// (`<key>:take`): waited for while the loader is still finding it or it
/// is under 2 s old, so that a quick answer is not set aside as a bot's
/// (the loader settles it within 10 s whatever happens). `None` where
/// there is no loader or it found none.
async fn loader_proof(key: &str) -> Option<String> {
    let window = web_sys::window()?;
    // Unchecked: calling what is not a function is an error `call0`
    // catches, and `Promise::resolve` takes any value (fewer bytes than
    // checked casts).
    let take: js_sys::Function =
        js_sys::Reflect::get(&window, &JsValue::from_str(&format!("{key}:take")))
            .ok()?
            .unchecked_into();
    let proof = js_sys::Promise::resolve(&take.call0(&JsValue::NULL).ok()?);
    JsFuture::from(proof).await.ok()?.as_string()
}

/// What an answer to a POST means for the person's answers.
///
/// Only the collector's own acknowledgement (`{"id": …}`) counts as
/// stored: a 2xx without it came from something between (a hotel or
/// station Wi-Fi's sign-in page answers every request with 200 and its
/// HTML), so the answers are kept to send when the network is real.
pub fn classify(status: u16, body: Option<&str>) -> Posted {
    let field = |key: &str| {
        body.and_then(crate::json::parse)
            .and_then(|doc| doc.get(key)?.as_str().map(str::to_owned))
    };
    match status {
        409 if field("type").as_deref() == Some("/problems/invitation-used") => {
            Posted::Closed(Closed::Answered)
        }
        410 => Posted::Closed(Closed::Expired),
        200..=299 if field("id").is_some() => Posted::Stored,
        200..=299 => Posted::Offline,
        400 | 422 => {
            let errors = body
                .and_then(crate::json::parse)
                .and_then(|doc| match doc.get("errors") {
                    Some(serde_json::Value::Array(list)) => {
                        list.iter().map(WireProblem::from_value).collect()
                    }
                    _ => None,
                })
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
        assert_eq!(classify(200, Some(r#"{"id":"x"}"#)), Posted::Stored);
        // A Wi-Fi sign-in page, or anything else that is not the collector.
        let portal = "<!doctype html><title>Sign in to Station Wi-Fi</title>";
        assert_eq!(classify(200, Some(portal)), Posted::Offline);
        assert_eq!(classify(204, None), Posted::Offline);
        // A conflict other than an answered invitation stored nothing.
        let other = r#"{"type":"/problems/conflict","status":409}"#;
        assert_eq!(classify(409, Some(other)), Posted::Failed);
        let used = r#"{"type":"/problems/invitation-used","status":409}"#;
        assert_eq!(classify(409, Some(used)), Posted::Closed(Closed::Answered));
        assert_eq!(classify(410, None), Posted::Closed(Closed::Expired));
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
