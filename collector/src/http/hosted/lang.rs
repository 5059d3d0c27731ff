//! Which language the hosted page speaks: `?lang=` if the form has it,
//! else the browser's `Accept-Language`, else the form's default.

use axum::http::{header, HeaderMap};
use survey::Form;

/// `?lang=` if the form has it, else the browser's Accept-Language, else
/// the form's default.
pub(in crate::http) fn choose_lang(
    form: &Form,
    wanted: Option<&str>,
    headers: &HeaderMap,
) -> String {
    let offered = |l: &str| {
        let base = l.split(['-', '_']).next().unwrap_or(l);
        form.languages.iter().any(|x| x == l || x == base)
    };
    if let Some(l) = wanted.filter(|l| offered(l)) {
        return form.pick_lang(l).to_owned();
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for tag in accept.split(',') {
        let tag = tag.split(';').next().unwrap_or("").trim();
        if !tag.is_empty() && offered(tag) {
            return form.pick_lang(tag).to_owned();
        }
    }
    form.default_lang.clone()
}
