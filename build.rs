//! The console's and the playground's files, staged for memory-serve (src/http/pages.rs embeds and
//! serves them; nothing is read from disk at run time).
//!
//! Each page gets a folder under `OUT_DIR` laid out like its URLs (`/console/index.html`,
//! `/console/assets/app.js`, ...). Its `index.html` is rewritten on the way: every asset URL in it
//! gets `?v=<the first 16 hex digits of the file's SHA-256>`, so the assets can be cached for a
//! year (a new file is a new URL) while the page itself is revalidated on every load.

use std::fs::FileTimes;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// A page: its URL prefix and its files, (path under the prefix, file in the repository).
struct Page {
    prefix: &'static str,
    files: &'static [(&'static str, &'static str)],
}

const CONSOLE: Page = Page {
    prefix: "console",
    files: &[
        ("index.html", "console/index.html"),
        ("assets/app.js", "console/app.js"),
        ("assets/app.css", "console/app.css"),
        ("assets/cytoscape.min.js", "console/assets/cytoscape.min.js"),
        // One vendored copy of the graphql-transport-ws client serves both pages.
        ("assets/graphql-ws.min.js", "playground/assets/graphql-ws.min.js"),
        ("assets/LICENSES.txt", "console/assets/LICENSES.txt"),
    ],
};

const PLAYGROUND: Page = Page {
    prefix: "playground",
    files: &[
        ("index.html", "playground/index.html"),
        ("assets/app.js", "playground/app.js"),
        ("assets/app.css", "playground/app.css"),
        ("assets/graphiql.min.js", "playground/assets/graphiql.min.js"),
        ("assets/graphiql.min.css", "playground/assets/graphiql.min.css"),
        ("assets/graphql-ws.min.js", "playground/assets/graphql-ws.min.js"),
        (
            "assets/react.production.min.js",
            "playground/assets/react.production.min.js",
        ),
        (
            "assets/react-dom.production.min.js",
            "playground/assets/react-dom.production.min.js",
        ),
        ("assets/LICENSES.txt", "playground/assets/LICENSES.txt"),
    ],
};

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    // memory-serve logs every file it embeds as a build warning otherwise.
    // SAFETY: the build script is single-threaded; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("MEMORY_SERVE_QUIET", "1") };
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("pages");
    let console = stage(&out, &CONSOLE);
    let playground = stage(&out, &PLAYGROUND);
    // Embedded in every profile (memory-serve would read debug builds' files from disk).
    memory_serve::load_names_directories([("console", &console), ("playground", &playground)], true);
    // memory-serve asks cargo to rerun this script when the staged folders change, and they were
    // just written: dated now, they would count as changed on every build. They are dated like the
    // newest file they come from instead (the sources' own rerun-if-changed lines above stand).
    let newest = [&CONSOLE, &PLAYGROUND]
        .iter()
        .flat_map(|page| page.files)
        .map(|(_, source)| std::fs::metadata(source).and_then(|m| m.modified()).unwrap())
        .max()
        .unwrap();
    for folder in [&console, &playground] {
        backdate(folder, newest);
    }
}

/// Sets the modification time of `path` and everything under it.
fn backdate(path: &Path, to: SystemTime) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            backdate(&entry.unwrap().path(), to);
        }
    }
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    file.set_times(FileTimes::new().set_modified(to))
        .unwrap_or_else(|e| panic!("dating {}: {e}", path.display()));
}

/// Copies `page`'s files under `out/<prefix>/<prefix>/` and returns `out/<prefix>`: the folder
/// whose layout is the page's URLs.
fn stage(out: &Path, page: &Page) -> PathBuf {
    let root = out.join(page.prefix);
    if root.exists() {
        std::fs::remove_dir_all(&root).unwrap_or_else(|e| panic!("clearing {}: {e}", root.display()));
    }
    let mut versions = Vec::new();
    let mut index = None;
    for (path, source) in page.files {
        println!("cargo::rerun-if-changed={source}");
        let bytes = std::fs::read(source).unwrap_or_else(|e| panic!("reading {source}: {e}"));
        let url = format!("/{}/{path}", page.prefix);
        if *path == "index.html" {
            index = Some(String::from_utf8(bytes).unwrap_or_else(|e| panic!("{source}: {e}")));
            continue;
        }
        let hash: String = Sha256::digest(&bytes)[..8].iter().map(|b| format!("{b:02x}")).collect();
        versions.push((url, hash));
        write(&root.join(page.prefix).join(path), &bytes);
    }

    let mut html = index.unwrap_or_else(|| panic!("{} has no index.html", page.prefix));
    for (url, hash) in &versions {
        let quoted = format!("\"{url}\"");
        assert!(
            html.contains(&quoted),
            "{}/index.html never refers to {url}: drop it from build.rs or refer to it",
            page.prefix
        );
        html = html.replace(&quoted, &format!("\"{url}?v={hash}\""));
    }
    // Anything else the page loads from its assets would be cached without a version.
    let assets = format!("\"/{}/assets/", page.prefix);
    for (at, _) in html.match_indices(&assets) {
        let url = &html[at + 1..][..html[at + 1..].find('"').unwrap()];
        assert!(
            url.contains("?v="),
            "{}/index.html loads {url}, which build.rs does not list",
            page.prefix
        );
    }
    write(&root.join(page.prefix).join("index.html"), html.as_bytes());
    root
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
