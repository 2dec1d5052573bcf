//! GraphiQL, built into the binary from `playground/` so it works with no network.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

const INDEX: &str = include_str!("../../playground/index.html");

/// (file name, content type, bytes) of everything under `playground/assets/`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/assets/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../playground/assets/graphiql.min.css"),
    ),
    (
        "graphql-ws.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/assets/graphql-ws.min.js"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/assets/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../playground/assets/react-dom.production.min.js"),
    ),
    (
        "LICENSES.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../playground/assets/LICENSES.txt"),
    ),
];

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}

pub async fn asset(Path(file): Path<String>) -> Response {
    bundled(ASSETS, &file, "public, max-age=86400", "no such playground asset")
}

/// A file built into the binary, looked up by name in `assets` (name, content type, bytes):
/// the playground's and the console's.
pub(super) fn bundled(
    assets: &[(&str, &'static str, &'static [u8])],
    file: &str,
    cache_control: &'static str,
    not_found: &'static str,
) -> Response {
    match assets.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, cache_control),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, not_found).into_response(),
    }
}
