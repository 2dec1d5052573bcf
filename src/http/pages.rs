//! The two static pages over the public API: the operations console (`/console`) and GraphiQL
//! (`/playground`, and `GET /graphql` from a browser). build.rs stages `console/` and
//! `playground/` and embeds them, so the pages work with no network and the image ships nothing
//! beside the binary.
//!
//! Served by memory-serve rather than tower-http (CompressionLayer plus conditional requests):
//! memory-serve embeds the files and serves them from memory, compresses each one once (brotli at
//! compile time, gzip when the router is made) where CompressionLayer would compress ~1.7 MB of
//! scripts again on every uncached load, and answers `If-None-Match` with a 304 on a SHA-256 ETag.
//! tower-http has no ETag handling outside ServeDir/ServeFile, which read files from disk at run
//! time (and validate by date): the 304s would have been hand-written here. Its cost: the crate and
//! brotli/flate2, ~1 minute of CPU on a clean build, ~15 s of build script when a page's file
//! changes (the brotli pass; Cargo.toml's profile sections keep it optimized).
//!
//! Caching: every asset URL in the pages carries `?v=<content hash>` (build.rs), so assets are
//! `immutable` for a year; the pages themselves are `no-cache`, revalidated by ETag on each load.

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Uri, header};
use axum::response::{IntoResponse, Response};
use memory_serve::{CacheControl, MemoryServe};
use tower::ServiceExt;
use tower_http::set_header::SetResponseHeaderLayer;

/// Scripts, styles and connections (websockets included: CSP Level 3's 'self' matches ws/wss to
/// the same host) only from this server; no plugins, no `<base>`, no form posts, no framing. The
/// pages keep a bearer token in localStorage: an injected script must have nowhere to come from
/// and nowhere to send it. tests/browser fails on any violation the pages report.
const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                           img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The same for GraphiQL, plus: its fonts and icons are data: URLs in its stylesheet, and its
/// dialogs (Radix, react-remove-scroll-bar) add one inline `<style>` to lock the page's scrolling,
/// allowed by its hash. The text is fixed because the page never scrolls (playground/app.css); the
/// browser test opens the dialogs, so a GraphiQL whose style differs fails it.
const PLAYGROUND_CSP: &str = "default-src 'none'; script-src 'self'; \
                              style-src 'self' 'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='; \
                              connect-src 'self'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; \
                              form-action 'none'; frame-ancestors 'none'";

static CONSOLE: LazyLock<Router> = LazyLock::new(|| {
    serve(
        memory_serve::load!("console"),
        &["/console", "/console/"],
        "/console/index.html",
        CONSOLE_CSP,
    )
});

static PLAYGROUND: LazyLock<Router> = LazyLock::new(|| {
    serve(
        memory_serve::load!("playground"),
        &["/playground", "/playground/"],
        "/playground/index.html",
        PLAYGROUND_CSP,
    )
});

/// `/console` (and `/console/`, `/console/index.html`) and `/console/assets/*`.
pub fn console() -> Router {
    CONSOLE.clone()
}

/// `/playground` (and `/playground/`, `/playground/index.html`) and `/playground/assets/*`.
pub fn playground() -> Router {
    PLAYGROUND.clone()
}

/// The playground's page, for `GET /graphql` from a browser: the request goes through the
/// playground's router as a request for `/playground`, so it gets the same ETag, compression and
/// headers.
pub async fn playground_page(mut request: Request<Body>) -> Response {
    *request.uri_mut() = Uri::from_static("/playground");
    match PLAYGROUND.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The router for one page. Built once per process: memory-serve leaks the decompressed and the
/// gzipped copies of the files it serves, and gzips them when the router is made.
fn serve(files: MemoryServe, aliases: &[&'static str], index: &'static str, csp: &'static str) -> Router {
    let files = aliases
        .iter()
        .fold(files.index_file(None), |files, alias| files.add_alias(alias, index));
    files
        .html_cache_control(CacheControl::NoCache)
        .cache_control(CacheControl::Custom("public, max-age=31536000, immutable"))
        // Explicit: memory-serve's defaults turn compression off when it has debug assertions.
        .enable_brotli(true)
        .enable_gzip(true)
        .into_router()
        .layer(axum::middleware::map_response(utf8))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// memory-serve's content types have no charset (`text/javascript`); the files are UTF-8 and some
/// are not ASCII (graphiql.min.js, the licences), so say so rather than leave browsers to guess when
/// a file is opened on its own.
async fn utf8(mut response: Response) -> impl IntoResponse {
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if let Some(text) = content_type.filter(|t| t.starts_with("text/") && !t.contains("charset")) {
        let with_charset = HeaderValue::try_from(format!("{text}; charset=utf-8"));
        if let Ok(value) = with_charset {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
    }
    response
}
