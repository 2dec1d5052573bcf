//! Headless Chromium driven over the Chrome DevTools Protocol: a websocket, JSON commands,
//! answers matched by id. Just what the browser tests need (navigate, evaluate, set a file,
//! screenshot, the page's Content-Security-Policy violations), so no browser-automation crate has
//! to be built.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Runs in every document before its own scripts (DevTools' scripts are exempt from the page's
/// CSP): records each `securitypolicyviolation` the page reports in `window.__cspViolations`.
const CSP_LISTENER: &str = r#"
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push({
    directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample,
    at: e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber, disposition: e.disposition
  });
}, true);
"#;

pub struct Browser {
    ws: Socket,
    next_id: u64,
    /// The page's session on the browser-wide socket (flat mode).
    session: String,
    _chromium: Child,
    profile: PathBuf,
}

/// `CHROMIUM` or `CHROME`, else the first of the usual binaries on PATH.
fn chromium_binary() -> Option<PathBuf> {
    for var in ["CHROMIUM", "CHROME"] {
        if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(path));
        }
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Where the screenshots go: `target/screenshots/` of this crate.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

impl Browser {
    /// A fresh headless Chromium with a 1280×800 page, or `None` when no binary is installed.
    pub async fn launch() -> Option<Browser> {
        let Some(binary) = chromium_binary() else {
            eprintln!(
                "skipped: no Chromium binary found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)"
            );
            return None;
        };
        let profile = std::env::temp_dir().join(format!("flowgraph-chromium-{}", uuid::Uuid::new_v4().simple()));
        let mut chromium = Command::new(&binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--window-size=1280,800",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        // Chromium prints its DevTools address on stderr; keep draining stderr afterwards so a
        // chatty browser never blocks on a full pipe.
        let mut lines = BufReader::new(chromium.stderr.take().unwrap()).lines();
        let address = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(at) = line.find("ws://") {
                    return line[at..].trim().to_string();
                }
            }
            panic!("{} exited without a DevTools address", binary.display());
        })
        .await
        .expect("Chromium prints its DevTools address within 30 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let (ws, _) = tokio_tungstenite::connect_async(&address)
            .await
            .expect("DevTools websocket");
        let mut browser = Browser {
            ws,
            next_id: 0,
            session: String::new(),
            _chromium: chromium,
            profile,
        };
        let target = browser
            .send(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = browser
            .send(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        // A test's "Export CSV" click must not leave files behind.
        browser
            .send(None, "Browser.setDownloadBehavior", json!({ "behavior": "deny" }))
            .await;
        browser.call("Page.enable", json!({})).await;
        browser
            .call(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": CSP_LISTENER }),
            )
            .await;
        browser
            .call(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false }),
            )
            .await;
        Some(browser)
    }

    /// One command; events that arrive meanwhile are dropped (the tests poll the DOM instead).
    async fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        self.ws
            .send(Message::Text(command.to_string().into()))
            .await
            .expect("send to Chromium");
        loop {
            let message = tokio::time::timeout(Duration::from_secs(60), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("Chromium did not answer {method} within 60 s"))
                .expect("Chromium closed the DevTools socket")
                .expect("DevTools socket error");
            let Message::Text(text) = message else { continue };
            let answer: Value = serde_json::from_str(text.as_str()).expect("DevTools sends JSON");
            if answer["id"] == json!(id) {
                if let Some(error) = answer.get("error") {
                    panic!("{method} failed: {error}");
                }
                return answer["result"].clone();
            }
        }
    }

    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(Some(&session), method, params).await
    }

    /// Opens `url` and waits for the document to load. The page being left must have had no CSP
    /// violation.
    pub async fn goto(&mut self, url: &str) {
        self.assert_no_csp_violations().await;
        self.call("Page.navigate", json!({ "url": url })).await;
        self.wait_for("the page to load", "document.readyState === 'complete'", 30)
            .await;
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its JSON value.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
            )
            .await;
        if let Some(details) = result.get("exceptionDetails") {
            panic!("page script failed: {expression}\n{details:#}");
        }
        result["result"]["value"].clone()
    }

    /// What the page's Content-Security-Policy refused since the document loaded (nothing for a
    /// document that did not load with the listener, such as the first about:blank).
    pub async fn csp_violations(&mut self) -> Vec<Value> {
        let found = self.eval("window.__cspViolations || []").await;
        found.as_array().cloned().unwrap_or_default()
    }

    /// Fails the test, with a screenshot, when the page reported any CSP violation: the pages must
    /// work under their policy, not around it. Each scenario ends with this.
    pub async fn assert_no_csp_violations(&mut self) {
        let violations = self.csp_violations().await;
        if !violations.is_empty() {
            let location = self.eval("location.href").await;
            let shot = self.screenshot("failed-csp-violation.png").await;
            panic!(
                "{location} reported {} CSP violation(s) (screenshot {}):\n{:#}",
                violations.len(),
                shot.display(),
                Value::Array(violations)
            );
        }
    }

    /// Polls `condition` until it is truthy and returns its value; on timeout, saves a screenshot
    /// and fails with the page's text.
    pub async fn wait_for(&mut self, what: &str, condition: &str, seconds: u64) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(seconds);
        let probe = format!("(() => {{ try {{ return ({condition}); }} catch (e) {{ return null; }} }})()");
        loop {
            let value = self.eval(&probe).await;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false)) && value != json!(0) && value != json!("");
            if truthy {
                return value;
            }
            if tokio::time::Instant::now() > deadline {
                let name = format!("failed-{}.png", what.replace(|c: char| !c.is_alphanumeric(), "-"));
                let shot = self.screenshot(&name).await;
                let text = self
                    .eval("document.body ? document.body.innerText.slice(0, 3000) : ''")
                    .await;
                panic!(
                    "waited {seconds} s for {what} ({condition}); screenshot {}; page text:\n{}",
                    shot.display(),
                    text.as_str().unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Puts `file` into the `<input type=file>` that `selector` finds (fires `change`).
    pub async fn set_file(&mut self, selector: &str, file: &Path) {
        let found = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": format!("document.querySelector({})", json!(selector)) }),
            )
            .await;
        let object_id = found["result"]["objectId"]
            .as_str()
            .unwrap_or_else(|| panic!("no element {selector}"))
            .to_string();
        self.call(
            "DOM.setFileInputFiles",
            json!({ "files": [file.display().to_string()], "objectId": object_id }),
        )
        .await;
    }

    /// Saves a PNG of the viewport under `target/screenshots/` and returns its path.
    pub async fn screenshot(&mut self, name: &str) -> PathBuf {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" })).await;
        let png = base64_decode(shot["data"].as_str().expect("screenshot data"));
        assert!(png.starts_with(b"\x89PNG"), "Chromium sent a PNG");
        let path = screenshot_dir().join(name);
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The child is killed on drop (kill_on_drop); its profile is ours to remove.
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Standard base64 (what DevTools sends), padding ignored.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {}", c as char),
    };
    let digits: Vec<u8> = text.bytes().filter(|c| *c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | (u32::from(*d) << (18 - 6 * i)));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn base64_decodes_what_it_should() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGVsbG8h"), b"hello!");
    assert_eq!(base64_decode("aGk="), b"hi");
}
