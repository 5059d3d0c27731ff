//! Signing in and out. The token is typed (or pasted) once into a form
//! posted to the collector, never put in a URL; it is exchanged for a
//! session ([`crate::service::sessions`]) whose cookie is HttpOnly,
//! Secure, SameSite=Strict, scoped to `/dashboard`, and ends after a
//! shift or at sign-out.

use super::{check_write, cookie, error_page, local, shell, Signed, COOKIE};
use crate::http::AppState;
use crate::service::sessions::{self, LIFETIME_MS};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;

/// `GET /dashboard/sign-in?next=`.
pub(super) async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = super::super::query_params::pairs(raw.as_deref());
    let next = pairs
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.clone())
        .filter(|n| local(n))
        .unwrap_or_else(|| "/dashboard".into());
    let signed_in = cookie(&headers)
        .and_then(|c| sessions::live(state.store.as_ref(), &c).ok().flatten())
        .is_some();
    if signed_in {
        return Redirect::to(&next).into_response();
    }
    let signed_out = pairs.iter().any(|(k, _)| k == "signed_out");
    form_page(&next, None, signed_out)
}

fn form_page(next: &str, error: Option<&str>, signed_out: bool) -> Response {
    let title = if error.is_some() {
        "Error: Sign in"
    } else {
        "Sign in"
    };
    let mut res = shell(
        title,
        None,
        html! {
            @if let Some(e) = error {
                div.error-summary role="alert" aria-labelledby="error-title" tabindex="-1" {
                    h2 id="error-title" { "There is a problem" }
                    ul { li { a href="#token" { (e) } } }
                }
            }
            @if signed_out {
                p.note role="status" { "You have signed out." }
            }
            h1 { "Sign in to the dashboard" }
            p.lede { "Use the access token your administrator gave you. You stay signed in for 8 hours on this device, or until you sign out." }
            form method="post" action="/dashboard/sign-in" {
                input type="hidden" name="next" value=(next);
                div.field {
                    label for="token" { "Access token" }
                    @if let Some(e) = error {
                        p.error id="token-error" { span.visually-hidden { "Error:" } " " (e) }
                    }
                    input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" size="40" aria-describedby=[error.map(|_| "token-error")] aria-invalid=[error.map(|_| "true")];
                }
                p { button type="submit" { "Sign in" } }
            }
        },
    );
    if error.is_some() {
        *res.status_mut() = StatusCode::UNAUTHORIZED;
    }
    res
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub(super) struct SignIn {
    token: String,
    #[serde(default)]
    next: String,
}

/// `POST /dashboard/sign-in`.
pub(super) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SignIn>,
) -> Response {
    let next = if local(&f.next) {
        f.next.clone()
    } else {
        "/dashboard".into()
    };
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site" || v == "same-site")
    {
        return error_page(crate::error::Error::Forbidden(
            "sign in from this dashboard's own page".into(),
        ));
    }
    if f.token.trim().is_empty() {
        return form_page(&next, Some("Enter your access token"), false);
    }
    match sessions::open(state.store.as_ref(), f.token.trim()) {
        Ok(Some(opened)) => {
            let cookie = format!(
                "{COOKIE}={}; Path=/dashboard; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
                opened.cookie,
                LIFETIME_MS / 1000
            );
            (
                StatusCode::SEE_OTHER,
                [(header::SET_COOKIE, cookie), (header::LOCATION, next)],
            )
                .into_response()
        }
        Ok(None) => form_page(
            &next,
            Some("That token is not known, or it has expired or been revoked"),
            false,
        ),
        Err(e) => error_page(e),
    }
}

/// The sign-out form's field.
#[derive(Deserialize)]
pub(super) struct SignOut {
    #[serde(default)]
    csrf: String,
}

/// `POST /dashboard/sign-out`: ends the session and clears the cookie.
pub(super) async fn sign_out(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<SignOut>,
) -> Response {
    if let Err(refused) = check_write(&signed, &headers, &f.csrf) {
        return error_page(refused);
    }
    if let Some(c) = cookie(&headers) {
        if let Err(e) = sessions::close(state.store.as_ref(), &c) {
            return error_page(e);
        }
    }
    let clear = format!("{COOKIE}=; Path=/dashboard; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
    (
        StatusCode::SEE_OTHER,
        [
            (header::SET_COOKIE, clear),
            (
                header::LOCATION,
                "/dashboard/sign-in?signed_out=1".to_owned(),
            ),
        ],
    )
        .into_response()
}
