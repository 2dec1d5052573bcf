//! A thousand concurrent flow operations from one client on loopback: no errors, no lost writes.

use flowgraph::domain::Role;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp};
use crate::on_both_databases;

async fn a_thousand_concurrent_operations(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    // 400 creates at once.
    let creates = (0..400).map(|i| {
        app.gql(
            Some(&token),
            "mutation($csv: String) { createFlow(input: { flowType: DISCOVERY, name: \"load\", csv: $csv }) { id } }",
            json!({ "csv": format!("Server Name,Environment\nhost{i},Prod\n") }),
        )
    });
    let created = join_all(creates).await;
    let errors: Vec<&Value> = created.iter().filter(|r| r.get("errors").is_some()).collect();
    assert!(
        errors.is_empty(),
        "{} creates failed: {:?}",
        errors.len(),
        errors.first()
    );
    let ids: Vec<String> = created
        .iter()
        .map(|r| r["data"]["createFlow"]["id"].as_str().unwrap().to_string())
        .collect();

    // Then 300 executions and 300 reads at once.
    let executes = ids.iter().take(300).map(|id| {
        app.gql(
            Some(&token),
            "mutation($id: ID!) { executePhase(flowId: $id) { status attempt } }",
            json!({ "id": id }),
        )
    });
    let reads = ids.iter().skip(100).take(300).map(|id| {
        app.gql(
            Some(&token),
            "query($id: ID!) { flow(id: $id) { id name phases { status } } }",
            json!({ "id": id }),
        )
    });
    let (executed, read) = futures_util::join!(join_all(executes), join_all(reads));
    for response in executed.iter().chain(&read) {
        assert!(response.get("errors").is_none(), "{response}");
    }
    assert!(executed.iter().all(|r| r["data"]["executePhase"]["attempt"] == 1));

    // Nothing lost: every flow is there, every execution left exactly one run.
    let count = app.data(&token, "{ flows(first: 1) { totalCount } }", json!({})).await;
    assert_eq!(count["flows"]["totalCount"], 400);
    let checks = ids.iter().take(300).map(|id| {
        app.gql(
            Some(&token),
            "query($id: ID!) { flow(id: $id) { phases { name attempt } } }",
            json!({ "id": id }),
        )
    });
    for response in join_all(checks).await {
        assert_eq!(response["data"]["flow"]["phases"][0]["attempt"], 1, "{response}");
    }
}

on_both_databases!(a_thousand_concurrent_operations);
