//! Serves the built widget (`scripts/build-widget.sh` → the `dist` folder
//! of the configuration):
//!
//! - `GET /widget.js`, the loader partner pages embed: its name never
//!   changes, so it is cached briefly and picks up a new build within
//!   minutes;
//! - `GET /assets/*`, the content-hashed JS glue and wasm the loader names,
//!   and a copy of the loader pinned to its build (`loader-<hash>.js`, for
//!   a snippet with an `integrity` hash): cached for a year as immutable;
//! - `GET /widget-manifest.json`, the build's file names and their
//!   Subresource Integrity hashes, cached like the loader.
//!
//! Both may be loaded from any page (`Access-Control-Allow-Origin: *`, they
//! carry no data) and come precompressed: brotli or gzip as the browser
//! accepts, from the `.br` / `.gz` files built next to each asset.

use axum::http::{header, HeaderValue};
use axum::middleware::map_response;
use axum::response::Response;
use axum::Router;
use std::path::Path;
use tower_http::services::{ServeDir, ServeFile};

/// Routes for `/widget.js` and `/assets/*`, served from `dist`.
pub fn routes<S: Clone + Send + Sync + 'static>(dist: &Path) -> Router<S> {
    let loader = Router::new()
        .route_service(
            "/widget.js",
            ServeFile::new(dist.join("widget.js"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .route_service(
            "/widget-manifest.json",
            ServeFile::new(dist.join("manifest.json")),
        )
        .layer(map_response(loader_headers));
    let assets = Router::new()
        .nest_service(
            "/assets",
            ServeDir::new(dist.join("assets"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(map_response(asset_headers));
    loader.merge(assets)
}

async fn loader_headers(res: Response) -> Response {
    with_headers(res, "public, max-age=300")
}

async fn asset_headers(res: Response) -> Response {
    with_headers(res, "public, max-age=31536000, immutable")
}

fn with_headers(mut res: Response, cache: &'static str) -> Response {
    let ok = res.status().is_success() || res.status() == axum::http::StatusCode::NOT_MODIFIED;
    let h = res.headers_mut();
    // A missing file must not be remembered: the build may be under way.
    let cache = if ok { cache } else { "no-store" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    fn dist() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("widget.js"), "/* loader */").unwrap();
        std::fs::write(
            dir.path().join("manifest.json"),
            r#"{"pinned_loader": "x"}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("widget.js.br"), "br-loader").unwrap();
        std::fs::write(dir.path().join("assets/widget-abc.wasm"), b"\0asm").unwrap();
        std::fs::write(dir.path().join("assets/widget-abc.wasm.br"), "br-wasm").unwrap();
        std::fs::write(dir.path().join("assets/widget-abc.wasm.gz"), "gz-wasm").unwrap();
        dir
    }

    async fn get(app: Router, path: &str, accept: &str) -> Response {
        let req = Request::get(path)
            .header(header::ACCEPT_ENCODING, accept)
            .body(Body::empty())
            .unwrap();
        app.oneshot(req).await.unwrap()
    }

    #[tokio::test]
    async fn wasm_is_immutable_cors_open_and_negotiated() {
        let d = dist();
        let app: Router = routes(d.path());
        let res = get(app.clone(), "/assets/widget-abc.wasm", "gzip, br").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/wasm");
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
        assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(res.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
        let res = get(app.clone(), "/assets/widget-abc.wasm", "gzip").await;
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
        let res = get(app, "/assets/widget-abc.wasm", "identity").await;
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    }

    #[tokio::test]
    async fn loader_is_cached_briefly_and_missing_files_not_at_all() {
        let d = dist();
        let app: Router = routes(d.path());
        let res = get(app.clone(), "/widget.js", "br").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=300");
        assert!(res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript"));
        let res = get(app.clone(), "/assets/widget-old.wasm", "br").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
        // The manifest names the pinned loader and the hashes: cached as
        // briefly as the loader, which it follows.
        let res = get(app, "/widget-manifest.json", "identity").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=300");
        assert_eq!(res.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    }
}
