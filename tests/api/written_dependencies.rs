//! Dependencies as clients write them, through the real server: cells of several addresses (the
//! first is the asset's, every one resolves), dependency cells joined by `+`, `/` or `|`, short
//! phrases in other languages, and the unresolved part of a cell reported as written.

use std::collections::BTreeSet;

use flowgraph::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, dependency_edges, lower, nodes};
use crate::on_both_databases;

const CSV: &str = "Server Name,Asset Type,IP Address,FQDN,Application,Depends On
web01,Server,\"10.0.0.1, 192.168.0.1\",web01.corp.example.com,Portal,
web02,Server,10.0.0.2 / fe80::2,web02.corp.example.com,Portal,
db01,Database,,,Portal,läuft auf web02
Portal,Application,,,Portal,192.168.0.1 + db01 + web02.corp.example.com + ghost99
Shop,Application,,,Shop,\"hébergée sur WEB01 / fe80::2
serveur : db01\"
";

const QUERY: &str = "query($id: ID!) { flow(id: $id) { flowState assets(first: 50) { edges { node {
    name attributes dependencies { target { name } } } } } } }";

async fn dependencies_as_clients_write_them(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let flow = app
        .create_flow(
            &token,
            json!({ "flowType": "DISCOVERY", "name": "written", "csv": CSV }),
        )
        .await;
    let id = flow["id"].as_str().unwrap();
    let done = app
        .data(
            &token,
            "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(done["executeFlow"]["status"], "COMPLETED", "{done:#}");

    let data = app.data(&token, QUERY, json!({ "id": id })).await;
    let assets: Vec<Value> = nodes(&data["flow"]["assets"]);
    let edges: BTreeSet<(String, String)> = dependency_edges(&assets);
    let expected: BTreeSet<(String, String)> = [
        ("db01", "web02"),
        ("portal", "db01"),
        ("portal", "web01"),
        ("portal", "web02"),
        ("shop", "db01"),
        ("shop", "web01"),
        ("shop", "web02"),
    ]
    .into_iter()
    .map(|(s, t)| (s.to_string(), t.to_string()))
    .collect();
    assert_eq!(edges, expected);

    let web01 = assets.iter().find(|a| lower(&a["name"]) == "web01").unwrap();
    assert_eq!(web01["attributes"]["additional_ip_addresses"], json!(["192.168.0.1"]));
    assert_eq!(web01["attributes"]["ip_address_raw"], "10.0.0.1, 192.168.0.1");

    let summary = &data["flow"]["flowState"]["dependencyAnalysis"];
    assert_eq!(
        summary["unresolvedReferences"],
        json!([{ "source": "portal", "reference": "ghost99" }]),
        "{summary:#}"
    );
    assert_eq!(summary["unresolved"], 1);
}

on_both_databases!(dependencies_as_clients_write_them);
