//! The client side of the REST tests (`rest`, `rest_legacy`): requests and their answers, the
//! sample flow, and the check of a response against the served OpenAPI document's schema.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{SAMPLE_CSV, TestApp};

/// The sample's end-of-life truth was judged on this day.
const AS_OF: &str = "2026-11-25";
pub const OPENAPI: &str = "/api/v1/openapi.json";

pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `{ "error": { code, message } }` body's code, or a panic that shows the answer.
    pub fn error_code(&self) -> &str {
        let error = self.body["error"].as_object();
        assert!(
            error.is_some_and(|e| e.len() == 2 && e["message"].is_string()),
            "expected the error shape: {} {:#}",
            self.status,
            self.body
        );
        self.body["error"]["code"].as_str().unwrap()
    }

    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "{:#}", self.body);
        self.body
    }
}

/// Sends `body` as it is (JSON text or not).
pub async fn send_raw(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<String>) -> Answer {
    let mut request = app.http.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text:?}"));
    Answer { status, headers, body }
}

pub async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Answer {
    send_raw(app, Method::GET, path, token, None).await
}

pub async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> Answer {
    send_raw(app, Method::POST, path, token, Some(body.to_string())).await
}

pub async fn openapi(app: &TestApp) -> Value {
    get(app, OPENAPI, None).await.expect(200)
}

pub fn sample_flow_body() -> Value {
    json!({ "flow_type": "discovery", "name": "rest sample", "csv": SAMPLE_CSV,
        "configuration": { "lifecycleAsOf": AS_OF } })
}

pub async fn create(app: &TestApp, token: &str) -> String {
    let flow = post(app, "/api/v1/flows/create", Some(token), sample_flow_body())
        .await
        .expect(201);
    flow["id"].as_str().unwrap().to_string()
}

/// Polls the status until no phase is queued or running. A flow run with `all` queues each next
/// phase in the transaction that finishes the previous one, so it is idle only once it stopped.
pub async fn until_idle(app: &TestApp, token: &str, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let flow = get(app, &format!("/api/v1/flows/{id}/status"), Some(token))
            .await
            .expect(200);
        let busy = flow["phases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["status"] == "queued" || p["status"] == "running");
        if !busy {
            return flow;
        }
        assert!(tokio::time::Instant::now() < deadline, "still busy: {flow:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Checks `value` against `schema` of the served OpenAPI document: every object has exactly the
/// schema's properties, nulls only where nullable, types, enums and formats as documented.
pub fn check(document: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    macro_rules! ensure {
        ($cond:expr, $($why:tt)+) => {
            if !$cond {
                return Err(format!("{at}: {}", format!($($why)+)));
            }
        };
    }
    if let Some(target) = schema["$ref"].as_str() {
        let name = target.strip_prefix("#/components/schemas/").unwrap();
        return check(document, &document["components"]["schemas"][name], value, at);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let errors: Vec<String> = options
            .iter()
            .filter_map(|option| check(document, option, value, at).err())
            .collect();
        ensure!(errors.len() < options.len(), "fits none of the options: {errors:?}");
        return Ok(());
    }
    if value.is_null() {
        ensure!(schema["nullable"] == true, "null, but not nullable");
        return Ok(());
    }
    if let Some(values) = schema["enum"].as_array() {
        ensure!(values.contains(value), "{value} not in {values:?}");
    }
    match schema["type"].as_str().unwrap_or_default() {
        "object" => {
            let Some(object) = value.as_object() else {
                return Err(format!("{at}: not an object: {value}"));
            };
            if let Some(properties) = schema["properties"].as_object() {
                let documented: BTreeSet<&String> = properties.keys().collect();
                let present: BTreeSet<&String> = object.keys().collect();
                ensure!(present == documented, "fields {present:?}, documented {documented:?}");
                for (name, property) in properties {
                    check(document, property, &object[name], &format!("{at}.{name}"))?;
                }
            }
        }
        "array" => {
            let Some(items) = value.as_array() else {
                return Err(format!("{at}: not an array: {value}"));
            };
            for (i, item) in items.iter().enumerate() {
                check(document, &schema["items"], item, &format!("{at}[{i}]"))?;
            }
        }
        "string" => {
            let Some(text) = value.as_str() else {
                return Err(format!("{at}: not a string: {value}"));
            };
            match schema["format"].as_str() {
                Some("uuid") => ensure!(Uuid::parse_str(text).is_ok(), "not a UUID: {text}"),
                Some("date-time") => ensure!(
                    chrono::DateTime::parse_from_rfc3339(text).is_ok(),
                    "not a date-time: {text}"
                ),
                _ => {}
            }
        }
        "integer" => ensure!(value.is_i64(), "not an integer: {value}"),
        "number" => ensure!(value.is_number(), "not a number: {value}"),
        "boolean" => ensure!(value.is_boolean(), "not a boolean: {value}"),
        other => return Err(format!("{at}: unexpected schema type `{other}`")),
    }
    Ok(())
}

pub fn conforms_to(document: &Value, name: &str, value: &Value) {
    let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
    if let Err(why) = check(document, &schema, value, name) {
        panic!("{why}\n{value:#}");
    }
}
