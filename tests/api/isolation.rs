//! Every query, mutation and subscription tried with another tenant's ids and with each role:
//! another tenant's object is NOT_FOUND (exactly like a missing one), a role that may not act is
//! FORBIDDEN, and nothing in the database changes.

use flowgraph::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, error_code};
use crate::on_both_databases;
use crate::ws_client::Received;

struct Ids {
    discovery: String,
    assessment: String,
    collection: String,
    asset: String,
    question: String,
}

/// (operation, document, variables, the lowest role allowed to run it).
fn operations(ids: &Ids) -> Vec<(&'static str, &'static str, Value, Role)> {
    vec![
        (
            "flow",
            "query($id: ID!) { flow(id: $id) { id } }",
            json!({ "id": ids.discovery }),
            Role::Viewer,
        ),
        (
            "asset",
            "query($id: ID!) { asset(id: $id) { id } }",
            json!({ "id": ids.asset }),
            Role::Viewer,
        ),
        (
            "agentHealth",
            "query($id: ID) { agentHealth(flowId: $id) { name } }",
            json!({ "id": ids.discovery }),
            Role::Viewer,
        ),
        (
            "executePhase",
            "mutation($id: ID!) { executePhase(flowId: $id) { status } }",
            json!({ "id": ids.discovery }),
            Role::Analyst,
        ),
        (
            "executeFlow",
            "mutation($id: ID!) { executeFlow(flowId: $id) { status } }",
            json!({ "id": ids.assessment }),
            Role::Analyst,
        ),
        (
            "pauseFlow",
            "mutation($id: ID!) { pauseFlow(flowId: $id) { status } }",
            json!({ "id": ids.discovery }),
            Role::Analyst,
        ),
        (
            "resumeFlow",
            "mutation($id: ID!) { resumeFlow(flowId: $id) { status } }",
            json!({ "id": ids.discovery }),
            Role::Analyst,
        ),
        (
            "completeFlow",
            "mutation($id: ID!) { completeFlow(flowId: $id) { status } }",
            json!({ "id": ids.assessment }),
            Role::Analyst,
        ),
        (
            "approveFieldMappings",
            "mutation($id: ID!) { approveFieldMappings(flowId: $id) { status } }",
            json!({ "id": ids.discovery }),
            Role::Analyst,
        ),
        (
            "validateAsset",
            "mutation($id: ID!) { validateAsset(assetId: $id, status: REJECTED) { id } }",
            json!({ "id": ids.asset }),
            Role::Analyst,
        ),
        (
            "submitCollectionResponses",
            "mutation($id: ID!, $q: ID!) { submitCollectionResponses(flowId: $id, responses: [{ questionId: $q, value: \"x\" }]) { accepted } }",
            json!({ "id": ids.collection, "q": ids.question }),
            Role::Analyst,
        ),
        (
            "createFlow (master of another tenant)",
            "mutation($id: ID!) { createFlow(input: { flowType: ASSESSMENT, name: \"x\", masterFlowId: $id }) { id } }",
            json!({ "id": ids.discovery }),
            Role::Analyst,
        ),
        (
            "deleteFlow",
            "mutation($id: ID!) { deleteFlow(flowId: $id, cascade: true) }",
            json!({ "id": ids.discovery }),
            Role::Admin,
        ),
    ]
}

/// What the owner sees: compared before and after the intrusions.
async fn snapshot(app: &TestApp, token: &str, ids: &Ids) -> Value {
    let query = "query($d: ID!, $a: ID!, $c: ID!, $asset: ID!) {
        d: flow(id: $d) { status version auditTrail { action } phases { status attempt } }
        a: flow(id: $a) { status version }
        c: flow(id: $c) { status version questionnaire { questions { id answered } } }
        asset(id: $asset) { validationStatus owner } }";
    app.data(
        token,
        query,
        json!({ "d": ids.discovery, "a": ids.assessment, "c": ids.collection, "asset": ids.asset }),
    )
    .await
}

async fn every_operation_is_tenant_and_role_checked(app: TestApp) {
    let owner_tenant = Tenant::new();
    let owner = app.token(owner_tenant, Role::Admin);
    let discovery = app.sample_flow(&owner).await;
    assert_eq!(app.run_flow(&owner, &discovery).await, "COMPLETED");
    let child = |flow_type: &'static str| {
        let input = json!({ "flowType": flow_type, "name": "child", "masterFlowId": discovery });
        let (app, owner) = (&app, &owner);
        async move { app.create_flow(owner, input).await["id"].as_str().unwrap().to_string() }
    };
    let assessment = child("ASSESSMENT").await;
    let collection = child("COLLECTION").await;
    assert_eq!(app.run_flow(&owner, &collection).await, "WAITING_FOR_APPROVAL");
    let found = app
        .data(
            &owner,
            "query($id: ID!) { flow(id: $id) { assets(first: 1) { edges { node { id } } } } }",
            json!({ "id": discovery }),
        )
        .await;
    let asset = found["flow"]["assets"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let questions = app
        .data(
            &owner,
            "query($id: ID!) { flow(id: $id) { questionnaire { questions { id } } } }",
            json!({ "id": collection }),
        )
        .await;
    let question = questions["flow"]["questionnaire"][0]["questions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ids = Ids {
        discovery,
        assessment,
        collection,
        asset,
        question,
    };
    let before = snapshot(&app, &owner, &ids).await;

    // Another tenant, whatever its role: NOT_FOUND (or BAD_USER_INPUT where a master is named), nothing changes.
    for role in [Role::Viewer, Role::Analyst, Role::Admin] {
        let intruder = app.token(Tenant::new(), role);
        for (name, document, variables, allowed) in operations(&ids) {
            let response = app.gql(Some(&intruder), document, variables).await;
            if name == "agentHealth" {
                assert_eq!(
                    error_code(&response),
                    "NOT_FOUND",
                    "{name} as a {role} of another tenant: {response}"
                );
                continue;
            }
            let expected = match (role >= allowed, name.starts_with("createFlow")) {
                (false, _) => "FORBIDDEN",
                (true, true) => "BAD_USER_INPUT",
                (true, false) => "NOT_FOUND",
            };
            assert_eq!(
                error_code(&response),
                expected,
                "{name} as a {role} of another tenant: {response}"
            );
        }
    }
    // The owner's own tenant, with roles below each operation's: FORBIDDEN.
    for role in [Role::Viewer, Role::Analyst] {
        let weak = app.token(owner_tenant, role);
        for (name, document, variables, allowed) in operations(&ids) {
            if role < allowed {
                let response = app.gql(Some(&weak), document, variables).await;
                assert_eq!(error_code(&response), "FORBIDDEN", "{name} as {role}: {response}");
            }
        }
    }
    // Subscriptions to another tenant's flow are refused; tenant-wide ones stay silent.
    let intruder = app.token(Tenant::new(), Role::Admin);
    let mut ws = app
        .subscribe(
            &intruder,
            "p",
            "subscription($id: ID!) { phaseUpdates(flowId: $id, afterSequence: 0) { sequence } }",
            json!({ "id": ids.discovery }),
        )
        .await;
    ws.subscribe(
        "h",
        "subscription($id: ID) { agentHealth(flowId: $id) { at } }",
        json!({ "id": ids.discovery }),
    )
    .await;
    // Each ends refused (NOT_FOUND), never with data.
    let mut ended = Vec::new();
    while ended.len() < 2 {
        match ws.next(std::time::Duration::from_secs(10)).await {
            Received::Error(id, errors) => {
                assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors}");
                ended.push(id);
            }
            Received::Complete(id) => ended.push(id),
            other => panic!("another tenant's subscription yielded {other:?}"),
        }
    }

    assert_eq!(
        snapshot(&app, &owner, &ids).await,
        before,
        "an intruder changed something"
    );
}

on_both_databases!(every_operation_is_tenant_and_role_checked);
