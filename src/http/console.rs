//! The operations console, built into the binary from `console/` so it works with no network.
//! It is a static page over the public GraphQL API and its subscriptions, nothing else.

use axum::extract::Path;
use axum::response::{Html, Response};

const INDEX: &str = include_str!("../../console/index.html");

const JS: &str = "text/javascript; charset=utf-8";

/// (file name, content type, bytes) of everything the page loads from `/console/assets/`.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", JS, include_bytes!("../../console/app.js")),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../console/app.css"),
    ),
    (
        "cytoscape.min.js",
        JS,
        include_bytes!("../../console/assets/cytoscape.min.js"),
    ),
    // One vendored copy of the graphql-transport-ws client serves both pages.
    (
        "graphql-ws.min.js",
        JS,
        include_bytes!("../../playground/assets/graphql-ws.min.js"),
    ),
    (
        "LICENSES.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../console/assets/LICENSES.txt"),
    ),
];

pub async fn index() -> Html<&'static str> {
    Html(INDEX)
}

pub async fn asset(Path(file): Path<String>) -> Response {
    // No long caching: app.js and app.css change with the binary and keep their names.
    super::playground::bundled(ASSETS, &file, "no-cache", "no such console asset")
}
