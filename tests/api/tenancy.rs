use flowgraph::domain::Role;
use flowgraph::store::TenantScope;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Tenant, TestApp, error_code};
use crate::on_both_databases;

const READ: &str = "query($id: ID!) { flow(id: $id) { id status version } }";
const LIST: &str = "{ flows { totalCount edges { node { id } } } }";

fn mutations() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "executePhase",
            "mutation($id: ID!) { executePhase(flowId: $id) { status } }",
        ),
        ("pauseFlow", "mutation($id: ID!) { pauseFlow(flowId: $id) { status } }"),
        (
            "resumeFlow",
            "mutation($id: ID!) { resumeFlow(flowId: $id) { status } }",
        ),
        (
            "completeFlow",
            "mutation($id: ID!) { completeFlow(flowId: $id) { status } }",
        ),
        ("deleteFlow", "mutation($id: ID!) { deleteFlow(flowId: $id) }"),
    ]
}

/// Another tenant's flow answers exactly as a missing one, to reads, writes and listings.
async fn tenants_cannot_see_or_touch_each_other(app: TestApp) {
    let (a, b) = (Tenant::new(), Tenant::new());
    let owner = app.token(a, Role::Admin);
    let id = app.sample_flow(&owner).await;
    let missing = Uuid::now_v7().to_string();

    // Same account, another engagement: a token restricted to it sees nothing either.
    let other_engagement = Tenant {
        client_account_id: a.client_account_id,
        engagement_id: Uuid::new_v4(),
    };
    for intruder in [app.token(b, Role::Admin), app.token(other_engagement, Role::Admin)] {
        let foreign = app.gql(Some(&intruder), READ, json!({ "id": id })).await;
        let absent = app.gql(Some(&intruder), READ, json!({ "id": missing })).await;
        assert_eq!(error_code(&foreign), "NOT_FOUND");
        assert_eq!(foreign["errors"][0]["message"], absent["errors"][0]["message"]);
        assert_eq!(foreign["data"], absent["data"]);
        for (name, mutation) in mutations() {
            let response = app.gql(Some(&intruder), mutation, json!({ "id": id })).await;
            assert_eq!(error_code(&response), "NOT_FOUND", "{name}: {response:#}");
        }
        assert_eq!(app.data(&intruder, LIST, json!({})).await["flows"]["totalCount"], 0);
    }

    // Untouched: still initialized at version 1, with only its creation in the trail.
    let flow = app.data(&owner, READ, json!({ "id": id })).await["flow"].clone();
    assert_eq!(flow["status"], "INITIALIZED");
    assert_eq!(flow["version"], 1);
    // A token for the whole account (no engagement claim) sees the flow.
    let account_wide = app.token_for(a.client_account_id, None, Role::Viewer);
    assert_eq!(app.data(&account_wide, LIST, json!({})).await["flows"]["totalCount"], 1);
}

/// viewer reads; analyst also creates and runs; admin also deletes. Refusals change nothing.
async fn each_role_has_its_limits(app: TestApp) {
    let tenant = Tenant::new();
    let (viewer, analyst, admin) = (
        app.token(tenant, Role::Viewer),
        app.token(tenant, Role::Analyst),
        app.token(tenant, Role::Admin),
    );
    let id = app.sample_flow(&analyst).await;

    assert_eq!(
        app.data(&viewer, READ, json!({ "id": id })).await["flow"]["status"],
        "INITIALIZED"
    );
    let create = "mutation { createFlow(input: { flowType: DISCOVERY, name: \"v\", csv: \"a\\n1\\n\" }) { id } }";
    assert_eq!(
        error_code(&app.gql(Some(&viewer), create, json!({})).await),
        "FORBIDDEN"
    );
    for (name, mutation) in mutations() {
        let response = app.gql(Some(&viewer), mutation, json!({ "id": id })).await;
        assert_eq!(error_code(&response), "FORBIDDEN", "{name}");
    }
    let delete = "mutation($id: ID!) { deleteFlow(flowId: $id) }";
    assert_eq!(
        error_code(&app.gql(Some(&analyst), delete, json!({ "id": id })).await),
        "FORBIDDEN"
    );
    assert_eq!(app.data(&viewer, READ, json!({ "id": id })).await["flow"]["version"], 1);

    // Admin deletes: gone from every query, its audit trail kept in the database.
    assert_eq!(app.data(&admin, delete, json!({ "id": id })).await["deleteFlow"], true);
    assert_eq!(
        error_code(&app.gql(Some(&admin), READ, json!({ "id": id })).await),
        "NOT_FOUND"
    );
    assert_eq!(app.data(&admin, LIST, json!({})).await["flows"]["totalCount"], 0);
    assert_eq!(
        error_code(&app.gql(Some(&admin), delete, json!({ "id": id })).await),
        "NOT_FOUND"
    );
    let scope = TenantScope {
        client_account_id: tenant.client_account_id,
        engagement_id: None,
    };
    let trail = app.store.audit_events(&scope, &[id.parse().unwrap()]).await.unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["flow_created", "flow_deleted"]);
}

async fn tokens_are_required_and_checked(app: TestApp) {
    let tenant = Tenant::new();
    let no_token = app.gql(None, LIST, json!({})).await;
    assert_eq!(error_code(&no_token), "UNAUTHENTICATED");

    // Signed with another secret: refused, as is a token with an edited payload.
    let forged = flowgraph::auth::JwtKeys::new(b"not the server's secret")
        .issue(&flowgraph::auth::Claims {
            sub: Uuid::new_v4(),
            client_account_id: tenant.client_account_id,
            engagement_id: None,
            role: Role::Admin,
            exp: chrono::Utc::now().timestamp() + 600,
        })
        .unwrap();
    assert_eq!(
        error_code(&app.gql(Some(&forged), LIST, json!({})).await),
        "UNAUTHENTICATED"
    );
    let genuine = app.token(tenant, Role::Viewer);
    let mut parts: Vec<String> = genuine.split('.').map(str::to_string).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert_eq!(
        error_code(&app.gql(Some(&parts.join(".")), LIST, json!({})).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.gql(Some("garbage"), LIST, json!({})).await),
        "UNAUTHENTICATED"
    );

    // The schema itself is readable without a token (the playground's docs need it).
    let introspection = app.gql(None, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(introspection["data"]["__schema"]["queryType"]["name"], "QueryRoot");
}

on_both_databases!(
    tenants_cannot_see_or_touch_each_other,
    each_role_has_its_limits,
    tokens_are_required_and_checked
);
