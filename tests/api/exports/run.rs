//! An export through the real server as a consultant would put it: uploaded as a file, run,
//! its mappings approved as suggested when the flow stops for review, run to the end.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// The day the truths were judged; pinned so they stay true as time passes.
pub const AS_OF: &str = "2026-12-03";

const INVENTORY: &str = "query($id: ID!) { flow(id: $id) { assets(first: 1000) {
    totalCount edges { node { name assetType environment operatingSystem
      techDebt { lifecycleStatus }
      dependencies { target { name } } } } } } }";

/// createFlow with the file as a GraphQL multipart request (as the console sends it) and the
/// lifecycle date pinned; the flow's id.
async fn upload(app: &TestApp, token: &str, file_name: &str, bytes: Vec<u8>) -> String {
    let operations = json!({
        "query": "mutation($file: Upload!, $configuration: JSON) { createFlow(input: {
            flowType: DISCOVERY, name: \"export\", file: $file, configuration: $configuration }) { id } }",
        "variables": { "file": null, "configuration": { "lifecycleAsOf": AS_OF } }
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
        );
    let response: Value = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON response");
    response["data"]["createFlow"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{response:#}"))
        .to_string()
}

async fn status(app: &TestApp, token: &str, id: &str) -> String {
    let data = app
        .data(
            token,
            "query($id: ID!) { flow(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    data["flow"]["status"].as_str().unwrap().to_string()
}

/// Waits while the flow runs; its status once it stops.
async fn settled(app: &TestApp, token: &str, id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = status(app, token, id).await;
        if !matches!(now.as_str(), "RUNNING" | "INITIALIZED") || Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Uploads, runs and (without overrides) approves; the assets of the completed flow.
pub async fn discover(app: &TestApp, token: &str, file_name: &str, bytes: Vec<u8>) -> Vec<Value> {
    let id = upload(app, token, file_name, bytes).await;
    let mut now = app.run_flow(token, &id).await.as_str().unwrap().to_string();
    // One review per stop: a gate may stop the flow more than once.
    for _ in 0..3 {
        if now != "WAITING_FOR_APPROVAL" {
            break;
        }
        app.data(
            token,
            "mutation($id: ID!) { approveFieldMappings(flowId: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
        now = settled(app, token, &id).await;
    }
    assert_eq!(now, "COMPLETED", "{file_name}: the flow stopped {now}");
    let data = app.data(token, INVENTORY, json!({ "id": id })).await;
    let assets = &data["flow"]["assets"];
    let edges = assets["edges"].as_array().unwrap();
    assert_eq!(assets["totalCount"].as_u64(), Some(edges.len() as u64));
    edges.iter().map(|e| e["node"].clone()).collect()
}
