//! The console's and the playground's files (src/http/pages.rs): ETags and 304s, brotli and gzip
//! on request, a year of caching for the hashed asset URLs the pages use and none for the pages,
//! the security headers, 404s for files that are not there. The switches that turn the pages off
//! are tested in limits.rs.

use std::io::Read;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::helpers::{Backend, TestApp, spawn_app};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Fetched {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }
}

/// GETs `path` with `headers` (no client-side decompression: reqwest is built without it, so the
/// body is what the server sent).
async fn fetch(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Fetched {
    let mut request = app.http.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    Fetched {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// The `src="…"` and `href="…"` URLs of a page, in order.
fn urls_in(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in [" src=\"", " href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            urls.push((at, rest[..rest.find('"').unwrap()].to_string()));
        }
    }
    urls.sort();
    urls.into_iter().map(|(_, url)| url).collect()
}

/// What every page and asset carries: the policy that keeps the token in the page's storage
/// away from any other script or host, no sniffing, no referrer.
fn assert_security_headers(what: &str, fetched: &Fetched) {
    let csp = fetched.header("content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(
            csp.split(';').any(|d| d.trim() == directive),
            "{what}: no `{directive}` in {csp}"
        );
    }
    assert!(!csp.contains("unsafe"), "{what}: {csp}");
    assert_eq!(fetched.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(fetched.header("referrer-policy"), "no-referrer", "{what}");
}

/// A file as served plainly, then revalidated with its ETag (304, nothing sent), then compressed
/// with brotli and gzip (the same bytes once decoded) unless it is plain text, which memory-serve
/// leaves alone.
async fn assert_cached_and_compressed(app: &TestApp, path: &str, content_type: &str, cache_control: &str) -> Fetched {
    let compressible = !content_type.starts_with("text/plain");
    let plain = fetch(app, path, &[]).await;
    assert_eq!(plain.status, 200, "{path}");
    assert!(!plain.body.is_empty(), "{path}");
    assert_eq!(plain.header("content-type"), content_type, "{path}");
    assert_eq!(plain.header("cache-control"), cache_control, "{path}");
    assert!(plain.headers.get("content-encoding").is_none(), "{path}: unasked for");
    assert_security_headers(path, &plain);
    let etag = plain.header("etag").to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 20,
        "{path}: {etag}"
    );

    let again = fetch(app, path, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304, "{path} with If-None-Match {etag}");
    assert!(again.body.is_empty(), "{path}: a 304 has no body");
    assert_eq!(again.header("etag"), etag, "{path}");
    assert_eq!(again.header("cache-control"), cache_control, "{path}");
    let changed = fetch(app, path, &[("if-none-match", "\"something-else\"")]).await;
    assert_eq!(changed.status, 200, "{path} with another ETag");
    assert_eq!(changed.body, plain.body, "{path}");

    for (accept, encoding, decode) in [
        ("gzip", "gzip", gunzip as fn(&[u8]) -> Vec<u8>),
        ("br", "br", unbrotli),
        ("gzip, deflate, br, zstd", "br", unbrotli),
    ] {
        let compressed = fetch(app, path, &[("accept-encoding", accept)]).await;
        assert_eq!(compressed.status, 200, "{path}, Accept-Encoding: {accept}");
        if !compressible {
            assert!(compressed.headers.get("content-encoding").is_none(), "{path}");
            assert_eq!(compressed.body, plain.body, "{path}");
            continue;
        }
        assert_eq!(
            compressed.header("content-encoding"),
            encoding,
            "{path}, Accept-Encoding: {accept}"
        );
        let vary: Vec<&str> = compressed
            .headers
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            vary.iter().any(|v| v.to_ascii_lowercase().contains("accept-encoding")),
            "{path}: Vary {vary:?}"
        );
        assert_eq!(compressed.header("etag"), etag, "{path}");
        assert!(
            compressed.body.len() < plain.body.len(),
            "{path}: {encoding} is smaller"
        );
        assert!(
            decode(&compressed.body) == plain.body,
            "{path}: {encoding} decodes to the file"
        );
    }
    plain
}

/// Both pages and every file they load; the playground's page also answers GET /graphql.
#[tokio::test]
async fn static_pages_and_assets_are_cached_compressed_and_locked_down() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for (page, aliases, expected) in [
        (
            "/console",
            &["/console/", "/console/index.html"][..],
            &[
                "app.css",
                "LICENSES.txt",
                "graphql-ws.min.js",
                "cytoscape.min.js",
                "app.js",
            ][..],
        ),
        (
            "/playground",
            &["/playground/", "/playground/index.html", "/graphql"][..],
            &[
                "graphiql.min.css",
                "app.css",
                "LICENSES.txt",
                "react.production.min.js",
                "react-dom.production.min.js",
                "graphql-ws.min.js",
                "graphiql.min.js",
                "app.js",
            ][..],
        ),
    ] {
        let html = assert_cached_and_compressed(&app, page, "text/html; charset=utf-8", "no-cache").await;
        for alias in aliases {
            let same = fetch(&app, alias, &[]).await;
            assert_eq!(same.status, 200, "{alias}");
            assert_eq!(same.body, html.body, "{alias} is {page}");
            assert_eq!(same.header("etag"), html.header("etag"), "{alias}");
            assert_security_headers(alias, &same);
        }

        // Every URL in the page is one of its assets, versioned by its contents.
        let html = String::from_utf8(html.body).unwrap();
        let urls = urls_in(&html);
        let names: Vec<&str> = urls
            .iter()
            .map(|url| {
                let name = url.strip_prefix(&format!("{page}/assets/"));
                name.and_then(|n| n.split_once("?v="))
                    .unwrap_or_else(|| panic!("{page} loads {url}"))
                    .0
            })
            .collect();
        assert_eq!(names, expected, "{page}'s files");
        for url in &urls {
            let (path, version) = url.split_once("?v=").unwrap();
            let content_type = match path.rsplit_once('.').unwrap().1 {
                "js" => "text/javascript; charset=utf-8",
                "css" => "text/css; charset=utf-8",
                "txt" => "text/plain; charset=utf-8",
                other => panic!("{url}: .{other}"),
            };
            let asset = assert_cached_and_compressed(&app, url, content_type, IMMUTABLE).await;
            // The version is the start of the ETag, the file's SHA-256: a new file, a new URL.
            assert_eq!(version.len(), 16, "{url}");
            assert!(
                asset.header("etag").starts_with(&format!("\"{version}")),
                "{url}: ETag {}",
                asset.header("etag")
            );
            // The same file without the version (older pages, people typing URLs).
            assert_eq!(fetch(&app, path, &[]).await.body, asset.body, "{path}");
        }

        // Files that are not there.
        for missing in [
            format!("{page}/assets/nope.js"),
            format!("{page}/assets/"),
            format!("{page}/app.js"),
            format!("{page}/README.md"),
        ] {
            assert_eq!(fetch(&app, &missing, &[]).await.status, 404, "{missing}");
        }
    }
}

/// GET /graphql still upgrades websockets: only a browser's page load gets the playground.
#[tokio::test]
async fn graphql_get_upgrades_websockets_and_serves_the_playground_to_browsers() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let page = fetch(&app, "/graphql", &[("accept", "text/html")]).await;
    assert_eq!(page.status, 200);
    assert!(
        String::from_utf8(page.body)
            .unwrap()
            .contains("<title>flowgraph playground</title>")
    );
    let ws_url = app.url("/graphql").replacen("http", "ws", 1);
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(ws_url).unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (_socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
}
