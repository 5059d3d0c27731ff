//! Security headers.
//!
//! Every response carries `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: no-referrer` and `Strict-Transport-Security` (a
//! browser heeds the last only over HTTPS). The pages the collector renders
//! itself (the hosted forms, and any later staff page) also carry a strict
//! Content-Security-Policy and `X-Frame-Options: DENY`: scripts only from
//! the collector itself (and its wasm), no inline script, and inline
//! `<style>` elements only by the SHA-256 of their text, computed at start
//! from the same constants that are rendered, so a stylesheet cannot change
//! and leave the policy behind.
//!
//! ```text
//! app()            ─► on_every_response(router)                 nosniff, no-referrer, HSTS
//! hosted::routes() ─► own_pages(router, &PagePolicy::new(styles)) CSP, X-Frame-Options
//! ```
//!
//! A partner page with a CSP of its own must allow the widget too:
//! [`partner_directives`] says what (the README prints it).

use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::Router;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

/// Adds the headers every response carries. Outermost, so the fallback's
/// 404s and CORS preflights get them too; a handler's own value wins.
pub fn on_every_response<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
}

/// Adds the headers of a page the collector renders: its policy, and no
/// framing by anyone (`frame-ancestors 'none'` for current browsers,
/// `X-Frame-Options` for the others).
pub fn own_pages<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    policy: &PagePolicy,
) -> Router<S> {
    router
        .layer(SetResponseHeaderLayer::overriding(
            CONTENT_SECURITY_POLICY,
            policy.0.clone(),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// The Content-Security-Policy of a page the collector renders itself.
#[derive(Clone, Debug)]
pub struct PagePolicy(HeaderValue);

impl PagePolicy {
    /// A strict policy allowing the text of each of `inline_styles` as an
    /// inline `<style>` element (the page's own, and those the loader and
    /// the widget put in the widget's shadow root).
    pub fn new(inline_styles: &[&str]) -> PagePolicy {
        let mut style_src = String::from("'self'");
        for css in inline_styles {
            let hash = style_hash(css);
            if !style_src.contains(&hash) {
                style_src.push(' ');
                style_src.push_str(&hash);
            }
        }
        let policy = format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src {style_src}; \
             img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
             base-uri 'none'; object-src 'none'"
        );
        // Base64 and ASCII only, so it always parses; were it not to, the
        // page would be refused everything rather than allowed everything.
        PagePolicy(
            HeaderValue::try_from(policy)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'")),
        )
    }

    /// The policy as sent.
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// `'sha256-…'`: the CSP source that allows an inline `<style>` with
/// exactly this text.
pub fn style_hash(css: &str) -> String {
    let digest = Sha256::digest(css.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The hashes of the two `<style>` elements the widget puts in its shadow
/// root: the loader's (`ui::style::HOST_CSS`) and the widget's stylesheet
/// (`ui::style::CSS`). Script-made `<style>` elements, in a shadow root or
/// not, are subject to the page's `style-src`.
pub fn widget_style_hashes() -> [String; 2] {
    [style_hash(ui::style::HOST_CSS), style_hash(ui::style::CSS)]
}

/// What a partner page's own Content-Security-Policy must allow for the
/// widget from `collector` (an origin such as `https://feedback.example.org`):
/// the loader and the JS glue it imports as a module, the wasm it
/// instantiates, the requests it makes, and its two shadow-root styles.
pub fn partner_directives(collector: &str) -> String {
    let [host, sheet] = widget_style_hashes();
    format!(
        "script-src {collector} 'wasm-unsafe-eval'; connect-src {collector}; style-src {host} {sheet}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

    /// The text of every `<style>…</style>` in `source`.
    fn styles_in(source: &str) -> Vec<&str> {
        source
            .match_indices("<style>")
            .map(|(at, tag)| {
                let rest = &source[at + tag.len()..];
                &rest[..rest.find("</style>").expect("a closed <style>")]
            })
            .collect()
    }

    #[test]
    fn hash_is_the_base64_sha256_of_the_exact_text() {
        // Known value: the SHA-256 of the empty string.
        assert_eq!(
            style_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        assert_ne!(style_hash("a{}"), style_hash("a{} "));
    }

    #[test]
    fn page_policy_is_strict_and_lists_each_style_once() {
        let p = PagePolicy::new(&["a{}", "b{}", "a{}"]);
        let s = p.as_str();
        assert!(s.starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "));
        assert!(s.contains(&format!(
            "style-src 'self' {} {};",
            style_hash("a{}"),
            style_hash("b{}")
        )));
        for d in [
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ] {
            assert!(s.contains(d), "{d} in {s}");
        }
        assert!(!s.contains("unsafe-inline"));
    }

    /// Guards the loader's literal `<style>`: the policies allow it by the
    /// hash of `ui::style::HOST_CSS`, so the two must stay the same text.
    #[test]
    fn the_loaders_style_is_host_css() {
        let loader = std::fs::read_to_string(format!("{ROOT}/widget/loader/widget.js")).unwrap();
        let styles = styles_in(&loader);
        assert_eq!(
            styles,
            [ui::style::HOST_CSS],
            "widget/loader/widget.js changed its <style>: change ui::style::HOST_CSS with it"
        );
        assert!(
            !loader.contains("style=") && !loader.contains("setAttribute(\"style"),
            "a style attribute would need 'unsafe-hashes' in every policy"
        );
    }

    /// Guards the widget's `<style>` elements: each is `ui::style::CSS`,
    /// the one stylesheet the policies allow by hash.
    #[test]
    fn the_widgets_styles_are_the_shared_stylesheet() {
        let dir = format!("{ROOT}/widget/src/components");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let source = std::fs::read_to_string(&path).unwrap();
            // The code, without its comments.
            let code: String = source
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            let styles = styles_in(&code);
            for text in &styles {
                assert_eq!(*text, "{CSS}", "{}", path.display());
            }
            if !styles.is_empty() {
                assert!(source.contains("use crate::style::CSS;"));
            }
            seen += styles.len();
        }
        assert!(seen > 0, "the widget has its stylesheet");
    }

    /// Guards what partners are told: the README's "Embed a form" gives
    /// the directives for the current stylesheets.
    #[test]
    fn the_readme_gives_partners_the_current_directives() {
        let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
        let want = partner_directives("https://feedback.example.org");
        assert!(
            readme.contains(&want),
            "README.md must give partners:\n{want}"
        );
    }
}
