//! Assessment and collection flows over a discovery flow's assets; masters and children.

use std::collections::HashMap;

use flowgraph::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, error_code};
use crate::on_both_databases;

const CREATE: &str = "mutation($i: CreateFlowInput!) { createFlow(input: $i) { id status } }";
const RUN: &str =
    "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status currentPhase phases { name status error } } }";

/// A completed discovery flow of the sample.
async fn discovered(app: &TestApp, token: &str) -> String {
    let id = app.sample_flow(token).await;
    let done = app.data(token, RUN, json!({ "id": id })).await;
    assert_eq!(done["executeFlow"]["status"], "COMPLETED", "{done:#}");
    id
}

async fn child(app: &TestApp, token: &str, flow_type: &str, master: &str, configuration: Value) -> String {
    let input = json!({ "flowType": flow_type, "name": format!("{flow_type} of the sample"), "masterFlowId": master, "configuration": configuration });
    app.data(token, CREATE, json!({ "i": input })).await["createFlow"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn assessment_plans_waves_that_respect_every_dependency(app: TestApp) {
    let tenant = Tenant::new();
    let token = app.token(tenant, Role::Analyst);

    // The master must be a completed discovery flow of the same tenant.
    let unfinished = app.sample_flow(&token).await;
    for master in [Value::Null, json!(unfinished), json!(uuid::Uuid::now_v7())] {
        let input = json!({ "flowType": "ASSESSMENT", "name": "a", "masterFlowId": master });
        assert_eq!(
            error_code(&app.gql(Some(&token), CREATE, json!({ "i": input })).await),
            "BAD_USER_INPUT"
        );
    }
    let master = discovered(&app, &token).await;
    let stranger = app.token(Tenant::new(), Role::Analyst);
    let input = json!({ "flowType": "ASSESSMENT", "name": "a", "masterFlowId": master });
    assert_eq!(
        error_code(&app.gql(Some(&stranger), CREATE, json!({ "i": input })).await),
        "BAD_USER_INPUT"
    );

    let id = child(&app, &token, "ASSESSMENT", &master, json!({ "maxWaveSize": 8 })).await;
    let done = app.data(&token, RUN, json!({ "id": id })).await;
    assert_eq!(done["executeFlow"]["status"], "COMPLETED", "{done:#}");

    let data = app
        .data(
            &token,
            "query($id: ID!) { flow(id: $id) { masterFlow { id childFlows { id } }
                applications { name readinessScore readinessReasons sixRStrategy sixRRationale effortClass wave assets { name } }
                waves { number size oversized applications assets { id name } }
                criticalPath } }",
            json!({ "id": id }),
        )
        .await;
    let flow = &data["flow"];
    assert_eq!(flow["masterFlow"]["id"], master.as_str());
    assert!(
        flow["masterFlow"]["childFlows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id.as_str())
    );
    let apps = flow["applications"].as_array().unwrap();
    assert_eq!(apps.len(), 6);
    for app_ in apps {
        let score = app_["readinessScore"].as_i64().unwrap();
        assert!((0..=100).contains(&score), "{app_}");
        assert!(
            app_["sixRStrategy"].is_string() && app_["effortClass"].is_string() && app_["wave"].is_number(),
            "{app_}"
        );
        assert!(!app_["readinessReasons"].as_array().unwrap().is_empty());
        assert!(app_["assets"].as_array().unwrap().len() >= 4, "{app_}");
    }

    // Every asset moves exactly once, and never before what it depends on.
    let mut wave_of: HashMap<String, i64> = HashMap::new();
    for wave in flow["waves"].as_array().unwrap() {
        let number = wave["number"].as_i64().unwrap();
        assert!(
            wave["size"].as_i64().unwrap() <= 8 || wave["oversized"] == true,
            "{wave}"
        );
        for asset in wave["assets"].as_array().unwrap() {
            assert!(
                wave_of
                    .insert(asset["id"].as_str().unwrap().to_string(), number)
                    .is_none()
            );
        }
    }
    assert_eq!(wave_of.len(), 30);
    let edges = app
        .data(&token, "query($id: ID!) { flow(id: $id) { assets(first: 100) { edges { node { id dependencies { target { id } } } } } } }", json!({ "id": master }))
        .await;
    let mut checked = 0;
    for edge in edges["flow"]["assets"]["edges"].as_array().unwrap() {
        let source = edge["node"]["id"].as_str().unwrap();
        for dependency in edge["node"]["dependencies"].as_array().unwrap() {
            let target = dependency["target"]["id"].as_str().unwrap();
            assert!(
                wave_of[target] <= wave_of[source],
                "{target} moves after {source}, which depends on it"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 30);
    assert!(flow["criticalPath"].as_array().unwrap().len() >= 3);
}

fn answer_for(attribute: &str) -> Value {
    match attribute {
        "ip_address" => json!("10.99.0.1"),
        "cpu_cores" => json!(4),
        "memory_gb" => json!("8 GB"),
        "storage_gb" => json!(100),
        "environment" => json!("production"),
        "business_criticality" => json!("high"),
        "operating_system" => json!("Ubuntu 22.04"),
        _ => json!("ops-team"),
    }
}

async fn collection_answers_land_on_the_assets(app: TestApp) {
    let tenant = Tenant::new();
    let token = app.token(tenant, Role::Analyst);
    let master = discovered(&app, &token).await;
    let id = child(&app, &token, "COLLECTION", &master, json!({})).await;
    let waiting = app.data(&token, RUN, json!({ "id": id })).await;
    assert_eq!(waiting["executeFlow"]["status"], "WAITING_FOR_APPROVAL", "{waiting:#}");
    assert_eq!(waiting["executeFlow"]["currentPhase"], "DATA_VALIDATION");

    let data = app
        .data(
            &token,
            "query($id: ID!) { flow(id: $id) { gaps { attribute reason asset { id } }
            questionnaire { owner questions { id attribute text answered asset { id name } } } } }",
            json!({ "id": id }),
        )
        .await;
    let gaps = data["flow"]["gaps"].as_array().unwrap();
    let questions: Vec<Value> = data["flow"]["questionnaire"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["questions"].as_array().unwrap().clone())
        .collect();
    assert!(!questions.is_empty());
    assert_eq!(questions.len(), gaps.len());
    // APP0011 has no owner in the sample: it is asked.
    let owner_question = questions
        .iter()
        .find(|q| q["attribute"] == "owner" && q["asset"]["name"].as_str().unwrap().eq_ignore_ascii_case("app0011"))
        .expect("a question for APP0011's owner")
        .clone();

    let submit =
        "mutation($id: ID!, $r: [CollectionResponseInput!]!) { submitCollectionResponses(flowId: $id, responses: $r) {
        accepted rejected { questionId message } openQuestions flow { status } } }";
    let stranger = app.token(Tenant::new(), Role::Analyst);
    let refused = app.gql(Some(&stranger), submit, json!({ "id": id, "r": [] })).await;
    assert_eq!(error_code(&refused), "NOT_FOUND");
    let ip_question = questions
        .iter()
        .find(|q| q["attribute"] == "ip_address")
        .map(|q| q["id"].clone());
    if let Some(ip) = ip_question {
        let bad = app
            .data(
                &token,
                submit,
                json!({ "id": id, "r": [{ "questionId": ip, "value": "not an address" }] }),
            )
            .await;
        assert_eq!(bad["submitCollectionResponses"]["accepted"], 0);
        assert_eq!(bad["submitCollectionResponses"]["rejected"][0]["questionId"], ip);
    }

    let responses: Vec<Value> = questions
        .iter()
        .map(|q| json!({ "questionId": q["id"], "value": answer_for(q["attribute"].as_str().unwrap()) }))
        .collect();
    let done = app.data(&token, submit, json!({ "id": id, "r": responses })).await["submitCollectionResponses"].clone();
    assert_eq!(done["accepted"].as_u64().unwrap() as usize, questions.len(), "{done:#}");
    assert_eq!(done["openQuestions"], 0);
    assert_eq!(done["flow"]["status"], "COMPLETED");

    let asset = app
        .data(
            &token,
            "query($a: ID!) { asset(id: $a) { owner } }",
            json!({ "a": owner_question["asset"]["id"] }),
        )
        .await;
    assert_eq!(asset["asset"]["owner"], "ops-team");
    let trail = app
        .data(
            &token,
            "query($id: ID!) { flow(id: $id) { auditTrail { action } } }",
            json!({ "id": id }),
        )
        .await;
    let applied = trail["flow"]["auditTrail"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "collection_answer_applied")
        .count();
    assert_eq!(applied, questions.len());
}

async fn deleting_a_master_needs_cascade(app: TestApp) {
    let tenant = Tenant::new();
    let (analyst, admin) = (app.token(tenant, Role::Analyst), app.token(tenant, Role::Admin));
    let master = discovered(&app, &analyst).await;
    let assessment = child(&app, &analyst, "ASSESSMENT", &master, json!({})).await;
    let delete = "mutation($id: ID!, $cascade: Boolean! = false) { deleteFlow(flowId: $id, cascade: $cascade) }";
    assert_eq!(
        error_code(&app.gql(Some(&admin), delete, json!({ "id": master })).await),
        "CONFLICT"
    );
    let read = "query($id: ID!) { flow(id: $id) { id } }";
    assert_eq!(
        app.data(&admin, read, json!({ "id": assessment })).await["flow"]["id"],
        assessment.as_str()
    );
    assert_eq!(
        app.data(&admin, delete, json!({ "id": master, "cascade": true })).await["deleteFlow"],
        true
    );
    for id in [&master, &assessment] {
        assert_eq!(
            error_code(&app.gql(Some(&admin), read, json!({ "id": id })).await),
            "NOT_FOUND"
        );
    }
}

on_both_databases!(
    assessment_plans_waves_that_respect_every_dependency,
    collection_answers_land_on_the_assets,
    deleting_a_master_needs_cascade,
);
