//! The old services' routes under /api/v1 (the flow, CrewAI and orchestration services):
//! deprecated, answering as their successors do (every response here is also checked against the
//! OpenAPI document's schema).

use flowgraph::domain::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{SAMPLE_JSON, Tenant, TestApp};
use crate::on_both_databases;
use crate::rest_client::{Answer, conforms_to, get, openapi, post, send_raw, until_idle};

/// The old services' routes answer as the new ones do, with Deprecation and a Link to the successor.
async fn old_routes_answer_as_the_new_ones_and_point_to_them(app: TestApp) {
    let document = openapi(&app).await;
    let token = app.token(Tenant::new(), Role::Analyst);
    let deprecated = |answer: &Answer, successor: &str| {
        assert_eq!(answer.header("deprecation"), Some("true"));
        assert_eq!(
            answer.header("link"),
            Some(format!("<{successor}>; rel=\"successor-version\"").as_str())
        );
    };

    // The old flow service: always a discovery flow; camelCase and JSON records accepted.
    let records: Value = serde_json::from_str(SAMPLE_JSON).unwrap();
    let created = post(
        &app,
        "/api/v1/discovery/flows/create",
        Some(&token),
        json!({ "flowType": "collection", "name": "old client", "rawData": records }),
    )
    .await;
    deprecated(&created, "/api/v1/flows/create");
    let flow = created.expect(201);
    conforms_to(&document, "Flow", &flow);
    assert_eq!(flow["flow_type"], "discovery");
    let id = flow["id"].as_str().unwrap().to_string();
    let successor = format!("/api/v1/flows/{id}/execute");

    // The old agent-coordination service: one phase, answered once queued.
    let executed = post(
        &app,
        "/api/v1/crewai/flows/execute",
        Some(&token),
        json!({ "flow_id": id, "phase": "data_import" }),
    )
    .await;
    deprecated(&executed, &successor);
    let phase = executed.expect(202);
    conforms_to(&document, "Phase", &phase);
    assert_eq!(
        (phase["phase"].as_str(), phase["status"].as_str()),
        (Some("data_import"), Some("queued"))
    );
    let imported = until_idle(&app, &token, &id).await;
    assert_eq!(imported["phases"][0]["status"], "completed", "{imported:#}");

    // The old execution engine: the rest of the flow, answered once the next phase is queued.
    let started = post(
        &app,
        "/api/v1/orchestration/flows/start",
        Some(&token),
        json!({ "flowId": id }),
    )
    .await;
    deprecated(&started, &successor);
    let flow = started.expect(202);
    conforms_to(&document, "Flow", &flow);
    assert_eq!(flow["status"], "running");
    let done = until_idle(&app, &token, &id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let assets = get(&app, &format!("/api/v1/flows/{id}/assets"), Some(&token))
        .await
        .expect(200);
    assert_eq!(assets["total"], 20);

    // Refusals carry the headers too, and the same bodies as the new routes'.
    let again = post(
        &app,
        "/api/v1/orchestration/flows/start",
        Some(&token),
        json!({ "flow_id": id }),
    )
    .await;
    deprecated(&again, &successor);
    assert_eq!((again.status, again.error_code()), (409, "CONFLICT"));
    let new_again = post(&app, &successor, Some(&token), json!({ "all": true })).await;
    assert_eq!(new_again.status, 409);
    assert_eq!(new_again.body, again.body);
    assert_eq!(new_again.header("deprecation"), None);

    let missing = Uuid::now_v7();
    let absent = post(
        &app,
        "/api/v1/crewai/flows/execute",
        Some(&token),
        json!({ "flow_id": missing }),
    )
    .await;
    deprecated(&absent, &format!("/api/v1/flows/{missing}/execute"));
    assert_eq!((absent.status, absent.error_code()), (404, "NOT_FOUND"));

    let anonymous = post(
        &app,
        "/api/v1/discovery/flows/create",
        None,
        json!({ "name": "x", "csv": "a\n1\n" }),
    )
    .await;
    deprecated(&anonymous, "/api/v1/flows/create");
    assert_eq!((anonymous.status, anonymous.error_code()), (401, "UNAUTHENTICATED"));

    // Without a flow id in the body there is nothing to link to: Deprecation only.
    let malformed = send_raw(
        &app,
        Method::POST,
        "/api/v1/orchestration/flows/start",
        Some(&token),
        Some("{\"flow_id\":".into()),
    )
    .await;
    assert_eq!((malformed.status, malformed.error_code()), (400, "BAD_USER_INPUT"));
    assert_eq!(malformed.header("deprecation"), Some("true"));
    assert_eq!(malformed.header("link"), None);
}

on_both_databases!(old_routes_answer_as_the_new_ones_and_point_to_them);
