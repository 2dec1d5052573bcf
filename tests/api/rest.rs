//! The REST compatibility routes under /api/v1: new and old, tenancy, bad input, and the OpenAPI
//! document (every response here is also checked against the document's schema). The old
//! services' own flow is in `rest_legacy`; requests and the schema check in `rest_client`.

use std::collections::BTreeSet;

use flowgraph::domain::Role;
use flowgraph::http::rest::ROUTES;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, Tenant, TestApp, spawn_app_with};
use crate::on_both_databases;
use crate::rest_client::{
    Answer, OPENAPI, check, conforms_to, create, get, openapi, post, sample_flow_body, send_raw, until_idle,
};

/// Create from the sample CSV, run a phase, the next one without waiting, then the rest; read
/// the status, the assets page by page and with filters, and the agents.
async fn new_routes_run_a_discovery_flow(app: TestApp) {
    let document = openapi(&app).await;
    let token = app.token(Tenant::new(), Role::Analyst);

    let flow = post(&app, "/api/v1/flows/create", Some(&token), sample_flow_body())
        .await
        .expect(201);
    conforms_to(&document, "Flow", &flow);
    // The check has teeth: a field too many or too few, or a null where none is documented, fails.
    let flow_schema = json!({ "$ref": "#/components/schemas/Flow" });
    for change in [
        json!({ "extra": 1 }),
        json!({ "name": null }),
        json!({ "status": "INITIALIZED" }),
    ] {
        let mut changed = flow.clone();
        changed
            .as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        assert!(check(&document, &flow_schema, &changed, "Flow").is_err(), "{change}");
    }
    let mut fewer = flow.clone();
    fewer["phases"][0].as_object_mut().unwrap().remove("attempt");
    assert!(check(&document, &flow_schema, &fewer, "Flow").is_err());
    let id = flow["id"].as_str().unwrap().to_string();
    assert_eq!(flow["flow_id"], id);
    assert_eq!(flow["flow_type"], "discovery");
    assert_eq!(flow["status"], "initialized");
    assert_eq!(flow["current_phase"], "data_import");
    assert_eq!(flow["progress_percentage"], 0);
    let phases: Vec<&str> = flow["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(
        phases,
        [
            "data_import",
            "attribute_mapping",
            "data_cleansing",
            "inventory",
            "dependency_analysis",
            "tech_debt_analysis"
        ]
    );
    assert!(
        flow["phases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "pending" && p["attempt"] == 0)
    );

    let execute = format!("/api/v1/flows/{id}/execute");
    let phase = post(
        &app,
        &execute,
        Some(&token),
        json!({ "phase": "data_import", "wait": true }),
    )
    .await
    .expect(200);
    conforms_to(&document, "Phase", &phase);
    assert_eq!(phase["flow_id"], id);
    assert_eq!(phase["phase"], "data_import");
    assert_eq!(phase["status"], "completed", "{phase:#}");
    assert_eq!(phase["attempt"], 1);
    assert!(phase["result"].is_object());

    // No body: the next phase, queued (202), answered at once.
    let queued = send_raw(&app, Method::POST, &execute, Some(&token), None)
        .await
        .expect(202);
    conforms_to(&document, "Phase", &queued);
    assert_eq!(queued["phase"], "attribute_mapping");
    assert_eq!(queued["status"], "queued");
    let after = until_idle(&app, &token, &id).await;
    assert_eq!(after["phases"][1]["status"], "completed", "{after:#}");

    let done = post(&app, &execute, Some(&token), json!({ "all": true, "wait": true }))
        .await
        .expect(200);
    conforms_to(&document, "Flow", &done);
    assert_eq!(done["status"], "completed", "{done:#}");
    assert_eq!(done["progress_percentage"], 100);
    assert!(
        done["phases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "completed")
    );

    let status = get(&app, &format!("/api/v1/flows/{id}/status"), Some(&token))
        .await
        .expect(200);
    conforms_to(&document, "Flow", &status);
    assert_eq!(status["status"], "completed");
    assert_eq!(status["current_phase"], Value::Null);
    assert_eq!(status["phases_completed"].as_array().unwrap().len(), 6);
    assert!(
        status["flow_state"]["dataImport"].is_object(),
        "{:#}",
        status["flow_state"]
    );
    for phase in status["phases"].as_array().unwrap() {
        assert!(
            phase["started_at"].is_string() && phase["completed_at"].is_string(),
            "{phase:#}"
        );
        assert_eq!(phase["error"], Value::Null);
    }

    // Assets: 30 in one default page; then page by page, following next_cursor.
    let assets_path = format!("/api/v1/flows/{id}/assets");
    let page = get(&app, &assets_path, Some(&token)).await.expect(200);
    conforms_to(&document, "AssetPage", &page);
    assert_eq!(page["total"], 30);
    assert_eq!(page["assets"].as_array().unwrap().len(), 30);
    assert_eq!(page["next_cursor"], Value::Null);
    let mut names = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(after) => format!("{assets_path}?limit=7&after={after}"),
            None => format!("{assets_path}?limit=7"),
        };
        let page = get(&app, &path, Some(&token)).await.expect(200);
        pages += 1;
        assert_eq!(page["total"], 30);
        for asset in page["assets"].as_array().unwrap() {
            assert!(names.insert(asset["name"].as_str().unwrap().to_lowercase()));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!((names.len(), pages), (30, 5));

    let databases = get(&app, &format!("{assets_path}?asset_type=DATABASE"), Some(&token))
        .await
        .expect(200);
    assert_eq!(databases["total"], 6);
    assert!(
        databases["assets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["asset_type"] == "database")
    );
    let search = get(
        &app,
        &format!("{assets_path}?search=web00&environment=production"),
        Some(&token),
    )
    .await
    .expect(200);
    let found = search["assets"].as_array().unwrap();
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|a| a["name"].as_str().unwrap().to_lowercase().contains("web00") && a["environment"] == "production")
    );
    let expired = get(
        &app,
        &format!("{assets_path}?end_of_life=true&validation_status=pending"),
        Some(&token),
    )
    .await
    .expect(200);
    assert!(
        (17..=19).contains(&expired["total"].as_i64().unwrap()),
        "{}",
        expired["total"]
    );

    let agents = get(&app, &format!("/api/v1/flows/{id}/agents"), Some(&token))
        .await
        .expect(200);
    conforms_to(&document, "FlowAgents", &agents);
    assert_eq!(agents["flow_id"], id);
    let agents = agents["agents"].as_array().unwrap();
    let by_name = |name: &str| {
        agents
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    for name in [
        "field_mapping",
        "asset_inventory",
        "dependency_mapping",
        "lifecycle_analysis",
    ] {
        let agent = by_name(name);
        assert!(agent["tasks_completed"].as_i64().unwrap() > 0, "{agent:#}");
        assert!(agent["health"]["tasks_completed"].as_i64().unwrap() > 0, "{agent:#}");
        assert_eq!(agent["health"]["status"], "healthy", "{agent:#}");
    }
    // Only the agents of discovery's phases serve a discovery flow.
    assert!(agents.iter().all(|a| {
        a["phases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| phases.contains(&p.as_str().unwrap()))
    }));
}

/// The routes that name a flow, with a body that is valid for each.
fn flow_routes(id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/api/v1/flows/{id}/status"), None),
        (Method::GET, format!("/api/v1/flows/{id}/assets"), None),
        (Method::GET, format!("/api/v1/flows/{id}/agents"), None),
        (Method::POST, format!("/api/v1/flows/{id}/execute"), Some(json!({}))),
        (
            Method::POST,
            "/api/v1/crewai/flows/execute".into(),
            Some(json!({ "flow_id": id })),
        ),
        (
            Method::POST,
            "/api/v1/orchestration/flows/start".into(),
            Some(json!({ "flow_id": id })),
        ),
    ]
}

async fn call(app: &TestApp, method: &Method, path: &str, token: Option<&str>, body: &Option<Value>) -> Answer {
    send_raw(app, method.clone(), path, token, body.as_ref().map(Value::to_string)).await
}

/// Another tenant's flow is a 404 exactly like a missing one; a viewer may not create or run;
/// no token is a 401 everywhere but the OpenAPI document.
async fn tenancy_roles_and_tokens_hold_on_every_route(app: TestApp) {
    let tenant = Tenant::new();
    let owner = app.token(tenant, Role::Analyst);
    let id = create(&app, &owner).await;
    let missing = Uuid::now_v7().to_string();

    let other_engagement = Tenant {
        client_account_id: tenant.client_account_id,
        engagement_id: Uuid::new_v4(),
    };
    for intruder in [
        app.token(Tenant::new(), Role::Admin),
        app.token(other_engagement, Role::Admin),
    ] {
        for ((method, path, body), (_, absent_path, absent_body)) in
            flow_routes(&id).into_iter().zip(flow_routes(&missing))
        {
            let foreign = call(&app, &method, &path, Some(&intruder), &body).await;
            let absent = call(&app, &method, &absent_path, Some(&intruder), &absent_body).await;
            assert_eq!(
                (foreign.status, foreign.error_code()),
                (404, "NOT_FOUND"),
                "{method} {path}"
            );
            assert_eq!(foreign.body, absent.body, "{method} {path}");
        }
    }

    let viewer = app.token(tenant, Role::Viewer);
    for path in ["/api/v1/flows/create", "/api/v1/discovery/flows/create"] {
        let refused = post(&app, path, Some(&viewer), sample_flow_body()).await;
        assert_eq!((refused.status, refused.error_code()), (403, "FORBIDDEN"), "{path}");
    }
    for (method, path, body) in flow_routes(&id) {
        let answer = call(&app, &method, &path, Some(&viewer), &body).await;
        if method == Method::GET {
            assert_eq!(answer.status, 200, "{path}: {:#}", answer.body);
        } else {
            assert_eq!((answer.status, answer.error_code()), (403, "FORBIDDEN"), "{path}");
        }
    }
    // Nothing was changed by the refusals.
    let flow = get(&app, &format!("/api/v1/flows/{id}/status"), Some(&owner))
        .await
        .expect(200);
    assert_eq!(
        (flow["status"].as_str(), flow["version"].as_i64()),
        (Some("initialized"), Some(1))
    );

    let mut anonymous = flow_routes(&id);
    anonymous.push((Method::POST, "/api/v1/flows/create".into(), Some(sample_flow_body())));
    anonymous.push((
        Method::POST,
        "/api/v1/discovery/flows/create".into(),
        Some(sample_flow_body()),
    ));
    for token in [None, Some("garbage")] {
        for (method, path, body) in &anonymous {
            let answer = call(&app, method, path, token, body).await;
            assert_eq!(
                (answer.status, answer.error_code()),
                (401, "UNAUTHENTICATED"),
                "{method} {path}"
            );
            assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        }
    }
    assert_eq!(get(&app, OPENAPI, None).await.status, 200);
}

/// Malformed JSON, ids that are not UUIDs, unknown names and invalid values: a JSON 400.
async fn bad_input_is_a_json_400(app: TestApp) {
    let tenant = Tenant::new();
    let token = app.token(tenant, Role::Analyst);
    let id = create(&app, &token).await;
    let bad = |answer: Answer, needle: &str| {
        assert_eq!(
            (answer.status, answer.error_code()),
            (400, "BAD_USER_INPUT"),
            "{:#}",
            answer.body
        );
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "`{needle}` not in `{message}`");
    };
    let execute = format!("/api/v1/flows/{id}/execute");

    for path in ["/api/v1/flows/create", &execute, "/api/v1/crewai/flows/execute"] {
        bad(
            send_raw(&app, Method::POST, path, Some(&token), Some("{not json".into())).await,
            "invalid request body",
        );
    }
    for route in ["status", "assets", "agents"] {
        bad(
            get(&app, &format!("/api/v1/flows/42/{route}"), Some(&token)).await,
            "not a valid flow id",
        );
    }
    bad(
        post(&app, "/api/v1/flows/42/execute", Some(&token), json!({})).await,
        "not a valid flow id",
    );
    bad(
        post(
            &app,
            "/api/v1/crewai/flows/execute",
            Some(&token),
            json!({ "flow_id": "42" }),
        )
        .await,
        "invalid request body",
    );

    let create = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move { post(app, "/api/v1/flows/create", Some(&token), body).await }
    };
    bad(
        create(json!({ "flow_type": "teleport", "name": "x", "csv": "a\n1\n" })).await,
        "teleport",
    );
    bad(create(json!({ "csv": "a\n1\n" })).await, "name");
    bad(
        create(json!({ "name": "x", "csv": "a\n1\n", "raw_data": [] })).await,
        "not both",
    );
    bad(create(json!({ "name": "x", "raw_data": "a,b" })).await, "raw_data");
    bad(create(json!({ "name": "x" })).await, "raw data");
    bad(
        create(json!({ "name": "x", "csv": "a\n1\n", "engagement_id": "nope" })).await,
        "invalid request body",
    );

    bad(
        post(&app, &execute, Some(&token), json!({ "phase": "teleport" })).await,
        "teleport",
    );
    bad(
        post(&app, &execute, Some(&token), json!({ "phase": "wave_planning" })).await,
        "wave_planning",
    );
    bad(
        post(
            &app,
            &execute,
            Some(&token),
            json!({ "phase": "data_import", "all": true }),
        )
        .await,
        "not both",
    );
    bad(
        post(&app, &execute, Some(&token), json!({ "wait": "yes" })).await,
        "invalid request body",
    );

    let assets = format!("/api/v1/flows/{id}/assets");
    for query in ["limit=0", "limit=5000"] {
        bad(get(&app, &format!("{assets}?{query}"), Some(&token)).await, "limit");
    }
    for query in ["limit=abc", "end_of_life=maybe"] {
        bad(get(&app, &format!("{assets}?{query}"), Some(&token)).await, "");
    }
    bad(
        get(&app, &format!("{assets}?validation_status=bogus"), Some(&token)).await,
        "bogus",
    );

    // The flow is as it was: nothing ran.
    let flow = get(&app, &format!("/api/v1/flows/{id}/status"), Some(&token))
        .await
        .expect(200);
    assert_eq!(flow["version"], 1);

    // Accepted: camelCase spellings, a default flow type, the token's own engagement.
    let flow = create(json!({ "name": "camel", "rawData": [{ "hostname": "h1" }],
        "engagementId": tenant.engagement_id, "masterFlowId": null }))
    .await
    .expect(201);
    assert_eq!(flow["flow_type"], "discovery");
    assert_eq!(flow["engagement_id"], tenant.engagement_id.to_string());

    // A body over the server's limit: 413, in the same shape (the limit holds whatever the backend).
    let small = spawn_app_with(Backend::Sqlite, |s| s.max_body_bytes = 256)
        .await
        .unwrap();
    let small_token = small.token(tenant, Role::Analyst);
    let big = json!({ "name": "big", "csv": "a\n1\n".repeat(100) });
    let refused = post(&small, "/api/v1/flows/create", Some(&small_token), big).await;
    assert_eq!((refused.status, refused.error_code()), (413, "BAD_USER_INPUT"));

    // Unknown routes and methods answer JSON too.
    let unknown = get(&app, "/api/v1/nope", Some(&token)).await;
    assert_eq!((unknown.status, unknown.error_code()), (404, "NOT_FOUND"));
    let unknown = get(&app, &format!("/api/v1/flows/{id}/nonsense"), Some(&token)).await;
    assert_eq!((unknown.status, unknown.error_code()), (404, "NOT_FOUND"));
    let wrong_method = get(&app, "/api/v1/flows/create", Some(&token)).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    wrong_method.error_code();
}

/// The document is OpenAPI 3, lists exactly the route table, marks the old routes deprecated
/// with their successor, documents the bearer scheme and the error shape; every route it lists
/// is served.
async fn openapi_document_describes_every_route(app: TestApp) {
    let answer = get(&app, OPENAPI, None).await;
    assert!(answer.header("content-type").unwrap().starts_with("application/json"));
    let document = answer.expect(200);
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    assert!(document["info"]["title"].is_string() && document["info"]["version"].is_string());
    assert_eq!(
        document["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    assert_eq!(document["security"][0]["bearerAuth"], json!([]));
    let error = &document["components"]["schemas"]["Error"];
    assert_eq!(error["properties"]["error"]["required"], json!(["code", "message"]));

    let mut listed = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            listed.insert((method.to_uppercase(), path.clone(), operation["deprecated"] == true));
        }
    }
    let expected: BTreeSet<(String, String, bool)> = [
        ("POST", "/api/v1/flows/create", false),
        ("POST", "/api/v1/flows/{flow_id}/execute", false),
        ("GET", "/api/v1/flows/{flow_id}/status", false),
        ("GET", "/api/v1/flows/{flow_id}/assets", false),
        ("GET", "/api/v1/flows/{flow_id}/agents", false),
        ("GET", "/api/v1/openapi.json", false),
        ("POST", "/api/v1/discovery/flows/create", true),
        ("POST", "/api/v1/crewai/flows/execute", true),
        ("POST", "/api/v1/orchestration/flows/start", true),
    ]
    .into_iter()
    .map(|(m, p, d)| (m.to_string(), p.to_string(), d))
    .collect();
    assert_eq!(listed, expected);
    let table: BTreeSet<(String, String, bool)> = ROUTES
        .iter()
        .map(|r| (r.verb.method().to_string(), r.path.to_string(), r.deprecated()))
        .collect();
    assert_eq!(table, expected);

    for route in ROUTES {
        let operation = &document["paths"][route.path][route.verb.as_str()];
        assert_eq!(operation["operationId"], route.operation_id);
        let responses = operation["responses"].as_object().unwrap();
        assert_eq!(
            responses["500"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
        if route.deprecated() {
            let successor = route.successor_route().unwrap();
            assert!(operation["description"].as_str().unwrap().contains(successor.path));
            assert!(
                responses
                    .values()
                    .all(|r| r["headers"]["Deprecation"].is_object() && r["headers"]["Link"].is_object())
            );
        }
        // Served: without a token, every route but the document itself is a JSON 401 (an
        // unrouted path would be a 404, another method a 405).
        let path = route.path.replace("{flow_id}", &Uuid::now_v7().to_string());
        let body = (route.verb == flowgraph::http::rest::Verb::Post).then(|| json!({}));
        let served = call(&app, &route.verb.method(), &path, None, &body).await;
        if route.auth {
            assert!(responses.contains_key("401"), "{}", route.path);
            assert_eq!(
                (served.status, served.error_code()),
                (401, "UNAUTHENTICATED"),
                "{}",
                route.path
            );
        } else {
            assert_eq!(operation["security"], json!([]));
            assert_eq!(served.status, 200);
        }
    }
}

on_both_databases!(
    new_routes_run_a_discovery_flow,
    tenancy_roles_and_tokens_hold_on_every_route,
    bad_input_is_a_json_400,
    openapi_document_describes_every_route,
);
