use flowgraph::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{Backend, Tenant, TestApp, error_code, spawn_app_with};
use crate::on_both_databases;

async fn malformed_requests_get_clear_errors(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let syntax = app.gql(Some(&token), "{ flows { totalCount ", json!({})).await;
    assert_eq!(error_code(&syntax), "BAD_USER_INPUT");
    let unknown_field = app.gql(Some(&token), "{ flows { nope } }", json!({})).await;
    assert_eq!(error_code(&unknown_field), "BAD_USER_INPUT");
    let not_uuid = app.gql(Some(&token), "{ flow(id: \"42\") { id } }", json!({})).await;
    assert_eq!(error_code(&not_uuid), "BAD_USER_INPUT");
    assert!(
        not_uuid["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid id")
    );

    let id = app.sample_flow(&token).await;
    let unknown_phase = app
        .gql(
            Some(&token),
            "mutation($id: ID!) { executePhase(flowId: $id, phase: TELEPORT) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&unknown_phase), "BAD_USER_INPUT");
    let unhandled = app
        .gql(
            Some(&token),
            "mutation($id: ID!) { executePhase(flowId: $id, phase: WAVE_PLANNING) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&unhandled), "BAD_USER_INPUT");

    // Not JSON at all: a GraphQL-shaped error, not a bare 400 page.
    let response = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let two_sources = json!({ "flowType": "DISCOVERY", "name": "x", "csv": "a\n1\n", "records": [] });
    let response = app
        .gql(
            Some(&token),
            "mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }",
            json!({ "i": two_sources }),
        )
        .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    let no_source = json!({ "flowType": "DISCOVERY", "name": "x" });
    let response = app
        .gql(
            Some(&token),
            "mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }",
            json!({ "i": no_source }),
        )
        .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
}

/// Ragged and unterminated rows are reported with their line numbers; every good row is kept.
async fn broken_csv_rows_are_reported_and_good_rows_kept(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let csv = "name;env;ram\nweb01;prod;16\nweb02;prod\n\"db01;prod;32\nweb03;dev;8;extra\napp01;\"qa\";4\n";
    let flow = app
        .create_flow(&token, json!({ "flowType": "DISCOVERY", "name": "broken", "csv": csv }))
        .await;
    let result = app
        .data(
            &token,
            "mutation($id: ID!) { executePhase(flowId: $id, wait: true) { status result } }",
            json!({ "id": flow["id"] }),
        )
        .await["executePhase"]
        .clone();
    assert_eq!(result["status"], "COMPLETED");
    let summary = &result["result"];
    assert_eq!(summary["delimiter"], ";");
    assert_eq!(summary["rows"], 2, "{summary:#}");
    assert_eq!(summary["badRows"], 3);
    let lines: Vec<i64> = summary["badRowDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5]);
    let reasons = summary["badRowDetails"].to_string();
    assert!(reasons.contains("unterminated quoted field"), "{reasons}");
    assert!(reasons.contains("expected 3 fields, found 2"), "{reasons}");
}

async fn empty_input_is_refused(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let create = "mutation($i: CreateFlowInput!) { createFlow(input: $i) { id } }";
    let empty_csv = app
        .gql(
            Some(&token),
            create,
            json!({ "i": { "flowType": "DISCOVERY", "name": "e", "csv": "  \n" } }),
        )
        .await;
    assert_eq!(error_code(&empty_csv), "BAD_USER_INPUT");

    let response: Value = app
        .upload(&token, "empty.csv", Vec::new())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert!(response["errors"][0]["message"].as_str().unwrap().contains("empty"));
}

/// A 50 MB body is refused before it is read, with a GraphQL-shaped error; the server carries on.
async fn oversized_body_is_refused(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let csv = "x".repeat(50 * 1024 * 1024);
    let body = json!({ "query": "mutation($csv: String) { createFlow(input: { flowType: DISCOVERY, name: \"big\", csv: $csv }) { id } }", "variables": { "csv": csv } });
    let response = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await;
    // The server may answer before the client has finished sending; either way nothing was created.
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("larger than"));
    }
    let flows = app.data(&token, "{ flows { totalCount } }", json!({})).await;
    assert_eq!(flows["flows"]["totalCount"], 0);
    let health = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

/// Uploads have a limit of their own (they stream to disk, so it is far above the JSON body's):
/// a file within it imports although it is larger than a JSON body may be; one over it is
/// refused with a 413 in GraphQL's shape, and nothing is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_have_their_own_limit() {
    let app = spawn_app_with(Backend::Sqlite, |s| {
        s.max_body_bytes = 64 * 1024;
        s.max_upload_bytes = 1024 * 1024;
    })
    .await
    .unwrap();
    let token = app.token(Tenant::new(), Role::Analyst);
    let csv = flowgraph::fixtures::generated_cmdb(2_000);
    assert!(csv.len() > 64 * 1024 && csv.len() < 1024 * 1024);
    let id = app.upload_flow(&token, "cmdb.csv", csv.into_bytes()).await;
    assert!(!id.is_empty());

    let response = app.upload(&token, "big.csv", vec![b'x'; 2 * 1024 * 1024]).await;
    if let Ok(response) = response {
        assert_eq!(response.status(), 413);
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT");
    }
    let flows = app.data(&token, "{ flows { totalCount } }", json!({})).await;
    assert_eq!(flows["flows"]["totalCount"], 1);
}

async fn health_ready_and_playground(app: TestApp) {
    let ready = app.get_json("/ready").await;
    assert_eq!(ready["status"], "ready");
    let page = app.http.get(app.url("/playground")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("x-request-id"));
    let html = page.text().await.unwrap();
    assert!(html.contains("/playground/assets/graphiql.min.js"));
    let script = app
        .http
        .get(app.url("/playground/assets/graphiql.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(app.http.get(app.url("/graphql")).send().await.unwrap().status(), 200);
    assert_eq!(
        app.http
            .get(app.url("/playground/assets/nope.js"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

on_both_databases!(
    malformed_requests_get_clear_errors,
    broken_csv_rows_are_reported_and_good_rows_kept,
    empty_input_is_refused,
    oversized_body_is_refused,
    health_ready_and_playground,
);
