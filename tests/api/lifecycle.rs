use flowgraph::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{SAMPLE_CSV, SAMPLE_JSON, Tenant, TestApp, error_code};
use crate::on_both_databases;

const FLOW: &str = "query($id: ID!) { flow(id: $id) {
    id status currentPhase progressPercentage version flowState configuration completedAt
    phases { name status progress attempt startedAt completedAt durationMs result error }
    auditTrail { action userId details at } } }";

const EXECUTE: &str = "mutation($id: ID!, $phase: PhaseName) {
    executePhase(flowId: $id, phase: $phase, wait: true) { name status progress attempt result error } }";

async fn flow(app: &TestApp, token: &str, id: &str) -> Value {
    app.data(token, FLOW, json!({ "id": id })).await["flow"].clone()
}

fn actions(flow: &Value) -> Vec<&str> {
    flow["auditTrail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

async fn csv_lifecycle_end_to_end(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let created = flow(&app, &token, &id).await;
    assert_eq!(created["status"], "INITIALIZED");
    assert_eq!(created["currentPhase"], "DATA_IMPORT");
    let phases: Vec<&str> = created["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        phases,
        [
            "DATA_IMPORT",
            "ATTRIBUTE_MAPPING",
            "DATA_CLEANSING",
            "INVENTORY",
            "DEPENDENCY_ANALYSIS",
            "TECH_DEBT_ANALYSIS"
        ]
    );
    assert!(
        created["phases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "PENDING" && p["attempt"] == 0)
    );

    // No phase named: the next one, data_import.
    let phase = app.data(&token, EXECUTE, json!({ "id": id })).await["executePhase"].clone();
    assert_eq!(phase["name"], "DATA_IMPORT");
    assert_eq!(phase["status"], "COMPLETED");
    assert_eq!(phase["attempt"], 1);
    let summary = &phase["result"];
    assert_eq!(summary["rows"], 31);
    assert_eq!(summary["columnCount"], 13);
    assert_eq!(summary["badRows"], 0);
    assert_eq!(summary["format"], "csv");
    assert_eq!(summary["delimiter"], ",");
    assert_eq!(summary["columns"][0], "Server Name");

    let imported = app
        .store
        .import_records(&scope(&app, &token, &id).await, id.parse().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(imported.len(), 31);
    assert_eq!(imported[0].row_number, 1);
    assert_eq!(imported[0].line_number, 2);
    assert_eq!(imported[0].data.0["Server Name"], "batch0013");
    assert_eq!(imported[3].data.0["Memory (GB)"], Value::Null);

    let after = flow(&app, &token, &id).await;
    assert_eq!(after["status"], "RUNNING");
    assert_eq!(after["currentPhase"], "ATTRIBUTE_MAPPING");
    assert_eq!(after["progressPercentage"], 16);
    assert_eq!(after["flowState"]["dataImport"]["rows"], 31);
    let import = &after["phases"][0];
    assert_eq!(import["progress"], 100);
    assert!(import["startedAt"].is_string() && import["completedAt"].is_string() && import["durationMs"].is_number());

    // Re-running the import replaces its rows: still 31, attempt 2.
    let again = app
        .data(&token, EXECUTE, json!({ "id": id, "phase": "DATA_IMPORT" }))
        .await["executePhase"]
        .clone();
    assert_eq!(again["attempt"], 2);
    let imported = app
        .store
        .import_records(&scope(&app, &token, &id).await, id.parse().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(imported.len(), 31);

    for (mutation, status) in [
        ("pauseFlow", "PAUSED"),
        ("resumeFlow", "RUNNING"),
        ("completeFlow", "COMPLETED"),
    ] {
        let query = format!("mutation($id: ID!) {{ {mutation}(flowId: $id) {{ status }} }}");
        assert_eq!(
            app.data(&token, &query, json!({ "id": id })).await[mutation]["status"],
            status
        );
    }
    let done = flow(&app, &token, &id).await;
    assert!(done["completedAt"].is_string());
    assert_eq!(done["currentPhase"], Value::Null);
    assert_eq!(
        actions(&done),
        [
            "flow_created",
            "phase_queued",
            "phase_completed",
            "phase_queued",
            "phase_completed",
            "flow_paused",
            "flow_resumed",
            "flow_completed"
        ]
    );
}

async fn scope(app: &TestApp, token: &str, id: &str) -> flowgraph::store::TenantScope {
    let flow = app
        .data(
            token,
            "query($id: ID!) { flow(id: $id) { clientAccountId } }",
            json!({ "id": id }),
        )
        .await;
    flowgraph::store::TenantScope {
        client_account_id: flow["flow"]["clientAccountId"].as_str().unwrap().parse().unwrap(),
        engagement_id: None,
    }
}

async fn json_records_and_file_upload_import(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let records: Value = serde_json::from_str(SAMPLE_JSON).unwrap();
    let flow = app
        .create_flow(
            &token,
            json!({ "flowType": "DISCOVERY", "name": "json", "records": records }),
        )
        .await;
    let id = flow["id"].as_str().unwrap();
    let summary = app.data(&token, EXECUTE, json!({ "id": id })).await["executePhase"]["result"].clone();
    assert_eq!(summary["format"], "json");
    assert_eq!(summary["rows"], 20);
    let columns: Vec<&str> = summary["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        columns.contains(&"network.ip") && columns.contains(&"network.fqdn"),
        "{columns:?}"
    );

    let id = app
        .upload_flow(&token, "cmdb.csv", format!("\u{feff}{SAMPLE_CSV}").into_bytes())
        .await;
    let summary = app.data(&token, EXECUTE, json!({ "id": id })).await["executePhase"]["result"].clone();
    assert_eq!(summary["rows"], 31);
    assert_eq!(summary["encoding"], "utf-8-bom");
    assert_eq!(summary["columns"][0], "Server Name");

    // The same JSON as an uploaded file: read back from its stored chunks, parsed whole.
    let id = app
        .upload_flow(&token, "cmdb.json", SAMPLE_JSON.as_bytes().to_vec())
        .await;
    let summary = app.data(&token, EXECUTE, json!({ "id": id })).await["executePhase"]["result"].clone();
    assert_eq!(
        (summary["format"].as_str(), summary["rows"].as_i64()),
        (Some("json"), Some(20)),
        "{summary:#}"
    );
    assert!(
        summary["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "network.fqdn")
    );
}

/// A file larger than one stored chunk (1 MiB) imports exactly as a small one: a character and a
/// quoted line break cut by a chunk boundary come out whole, and the Windows-1252 fallback holds
/// for a file whose only non-ASCII byte lies past the first chunk.
async fn large_uploads_stream_in_chunks(app: TestApp) {
    const CHUNK: usize = 1 << 20;
    let token = app.token(Tenant::new(), Role::Analyst);
    let mut csv = String::from("name,note\n");
    let mut rows = 0usize;
    let row = |csv: &mut String, rows: &mut usize, text: &str| {
        csv.push_str(text);
        *rows += 1;
    };
    while csv.len() < CHUNK - 100 {
        let text = format!("host{rows:07},plain text for padding\n");
        row(&mut csv, &mut rows, &text);
    }
    // `é` is two bytes in UTF-8: its first byte is the last of the first chunk.
    let pad = "x".repeat(CHUNK - 1 - csv.len() - "split-char,".len());
    row(&mut csv, &mut rows, &format!("split-char,{pad}é!\n"));
    while csv.len() < 2 * CHUNK - 100 {
        let text = format!("host{rows:07},plain text for padding\n");
        row(&mut csv, &mut rows, &text);
    }
    // A quoted field whose line break is the last byte of the second chunk.
    let pad = "y".repeat(2 * CHUNK - 1 - csv.len() - "split-quote,\"".len());
    row(&mut csv, &mut rows, &format!("split-quote,\"{pad}\nsecond line\"\n"));
    row(&mut csv, &mut rows, "last,row\n");
    csv.push_str("ragged,row,extra\n");

    let id = app.upload_flow(&token, "big.csv", csv.clone().into_bytes()).await;
    let summary = app.data(&token, EXECUTE, json!({ "id": id })).await["executePhase"]["result"].clone();
    assert_eq!(summary["rows"], rows, "{summary:#}");
    assert_eq!(summary["badRows"], 1);
    assert_eq!(summary["badRowDetails"][0]["raw"], "ragged,row,extra");
    assert_eq!(summary["encoding"], "utf-8");
    let scope = scope(&app, &token, &id).await;
    let records = app
        .store
        .import_records(&scope, id.parse().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(records.len(), rows);
    let note = |name: &str| {
        let record = records.iter().find(|r| r.data.0["name"] == name).unwrap();
        record.data.0["note"].as_str().unwrap().to_string()
    };
    assert!(note("split-char").ends_with("xé!"));
    assert!(note("split-quote").ends_with("y\nsecond line"));
    assert_eq!(records.last().unwrap().data.0["name"], "last");

    let mut cp1252 = b"name;city\n".to_vec();
    while cp1252.len() < CHUNK + 10 {
        cp1252.extend_from_slice(b"host;Paris\n");
    }
    cp1252.extend_from_slice(b"caf\xE9;Li\xE8ge\n");
    let id = app.upload_flow(&token, "latin.csv", cp1252).await;
    let summary = app.data(&token, EXECUTE, json!({ "id": id })).await["executePhase"]["result"].clone();
    assert_eq!(summary["encoding"], "windows-1252");
    let records = app
        .store
        .import_records(&scope, id.parse().unwrap(), None)
        .await
        .unwrap();
    assert_eq!(records.last().unwrap().data.0["city"], "Liège");
    assert_eq!(records.last().unwrap().data.0["name"], "café");
}

/// Every move the state machine refuses is a CONFLICT that leaves the flow and its trail as they were.
async fn invalid_transitions_change_nothing(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let mutate = |name: &str| format!("mutation($id: ID!) {{ {name}(flowId: $id) {{ status }} }}");

    let refused = |response: Value, code: &str| {
        assert_eq!(error_code(&response), code, "{response:#}");
    };
    let before = flow(&app, &token, &id).await;
    refused(
        app.gql(Some(&token), &mutate("pauseFlow"), json!({ "id": id })).await,
        "CONFLICT",
    );
    refused(
        app.gql(Some(&token), &mutate("resumeFlow"), json!({ "id": id })).await,
        "CONFLICT",
    );
    refused(
        app.gql(Some(&token), &mutate("completeFlow"), json!({ "id": id }))
            .await,
        "CONFLICT",
    );
    refused(
        app.gql(Some(&token), EXECUTE, json!({ "id": id, "phase": "INVENTORY" }))
            .await,
        "CONFLICT",
    );
    refused(
        app.gql(Some(&token), EXECUTE, json!({ "id": id, "phase": "WAVE_PLANNING" }))
            .await,
        "BAD_USER_INPUT",
    );
    assert_eq!(flow(&app, &token, &id).await, before);

    app.data(&token, EXECUTE, json!({ "id": id })).await;
    app.data(&token, &mutate("pauseFlow"), json!({ "id": id })).await;
    let paused = flow(&app, &token, &id).await;
    refused(app.gql(Some(&token), EXECUTE, json!({ "id": id })).await, "CONFLICT");
    refused(
        app.gql(Some(&token), &mutate("pauseFlow"), json!({ "id": id })).await,
        "CONFLICT",
    );
    assert_eq!(flow(&app, &token, &id).await, paused);

    app.data(&token, &mutate("completeFlow"), json!({ "id": id })).await;
    let completed = flow(&app, &token, &id).await;
    for name in ["pauseFlow", "resumeFlow", "completeFlow"] {
        refused(
            app.gql(Some(&token), &mutate(name), json!({ "id": id })).await,
            "CONFLICT",
        );
    }
    refused(
        app.gql(Some(&token), EXECUTE, json!({ "id": id, "phase": "DATA_IMPORT" }))
            .await,
        "CONFLICT",
    );
    assert_eq!(flow(&app, &token, &id).await, completed);
}

/// A hundred simultaneous starts of one flow's phase: exactly one is queued, the rest are
/// CONFLICT. (No workers here, so the run stays queued: a run that finished in between could
/// rightly be started again.)
async fn concurrent_starts_run_once(app: TestApp) {
    let app = crate::helpers::spawn_app_with(app.backend, |s| s.workers.workers = 0)
        .await
        .unwrap();
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let starts = (0..100).map(|_| {
        app.gql(
            Some(&token),
            "mutation($id: ID!) { executePhase(flowId: $id, phase: DATA_IMPORT) { attempt status } }",
            json!({ "id": id }),
        )
    });
    let responses = futures_util::future::join_all(starts).await;
    let started: Vec<&Value> = responses.iter().filter(|r| r.get("errors").is_none()).collect();
    assert_eq!(started.len(), 1, "{responses:#?}");
    assert_eq!(started[0]["data"]["executePhase"]["status"], "QUEUED");
    assert!(
        responses
            .iter()
            .filter(|r| r.get("errors").is_some())
            .all(|r| error_code(r) == "CONFLICT")
    );
    let phases = flow(&app, &token, &id).await["phases"].clone();
    assert_eq!(phases[0]["attempt"], 1);
    assert_eq!(phases[0]["status"], "QUEUED");
}

async fn pagination_walks_every_flow_once(app: TestApp) {
    let tenant = Tenant::new();
    let token = app.token(tenant, Role::Analyst);
    let mut created = Vec::new();
    for i in 0..7 {
        let flow = app
            .create_flow(
                &token,
                json!({ "flowType": "DISCOVERY", "name": format!("flow {i}"), "csv": "a,b\n1,2\n" }),
            )
            .await;
        created.push(flow["id"].as_str().unwrap().to_string());
        // Every third flow runs its import: a status to filter on.
        if i % 3 == 0 {
            let run = app
                .data(&token, EXECUTE, json!({ "id": flow["id"], "phase": "DATA_IMPORT" }))
                .await;
            assert_eq!(run["executePhase"]["status"], "COMPLETED");
        }
    }
    let page_query = "query($after: String, $filter: FlowFilter) { flows(first: 3, after: $after, filter: $filter) {
        totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let page = app.data(&token, page_query, json!({ "after": after })).await["flows"].clone();
        assert_eq!(page["totalCount"], 7);
        seen.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_string()),
        );
        pages += 1;
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    created.reverse(); // newest first
    assert_eq!(seen, created);

    let filtered = app
        .data(&token, page_query, json!({ "filter": { "flowType": "ASSESSMENT" } }))
        .await;
    assert_eq!(filtered["flows"]["totalCount"], 0);
    let filtered = app
        .data(&token, page_query, json!({ "filter": { "flowType": "DISCOVERY" } }))
        .await;
    assert_eq!(filtered["flows"]["totalCount"], 7);
    let filtered = app
        .data(&token, page_query, json!({ "filter": { "status": "RUNNING" } }))
        .await;
    assert_eq!(filtered["flows"]["totalCount"], 3);
    let other = app
        .data(
            &token,
            page_query,
            json!({ "filter": { "engagementId": uuid::Uuid::new_v4() } }),
        )
        .await;
    assert_eq!(other["flows"]["totalCount"], 0);

    let too_many = app
        .gql(Some(&token), "{ flows(first: 1000) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    let bad_cursor = app
        .gql(Some(&token), "{ flows(after: \"nonsense\") { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT");
}

on_both_databases!(
    csv_lifecycle_end_to_end,
    json_records_and_file_upload_import,
    large_uploads_stream_in_chunks,
    invalid_transitions_change_nothing,
    concurrent_starts_run_once,
    pagination_walks_every_flow_once,
);
