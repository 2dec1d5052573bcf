//! Durable execution and live updates: subscriptions over real websockets, replay by sequence,
//! tenancy, the legacy protocol, slow subscribers, reclaimed leases, replicas, /metrics.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use flowgraph::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp};
use crate::on_both_databases;
use crate::ws_client::{Protocol, Received, WsClient};

const WAIT: Duration = Duration::from_secs(30);
const PHASES: &str = "subscription($id: ID!, $after: Int) { phaseUpdates(flowId: $id, afterSequence: $after) {
    flowId phase status progress message sequence at } }";
const FLOWS: &str = "subscription { flowUpdates { flowId status currentPhase progressPercentage sequence } }";
const AGENTS: &str = "subscription($id: ID) { agentHealth(flowId: $id) { at agents { name phase status health
    tasksCompleted failures successRate avgResponseMs p95ResponseMs lastActiveAt } } }";
const DISCOVERY: [&str; 6] = [
    "DATA_IMPORT",
    "ATTRIBUTE_MAPPING",
    "DATA_CLEANSING",
    "INVENTORY",
    "DEPENDENCY_ANALYSIS",
    "TECH_DEBT_ANALYSIS",
];

fn sequences(events: &[Value], field: &str) -> Vec<i64> {
    events.iter().map(|e| e[field]["sequence"].as_i64().unwrap()).collect()
}

async fn phase_updates_follow_the_flow_and_resume(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let mut ws = app.subscribe(&token, "1", PHASES, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.start_flow(&token, &id).await;

    let events = ws.until_complete("1", WAIT).await;
    let seq = sequences(&events, "phaseUpdates");
    assert!(seq.windows(2).all(|w| w[0] < w[1]), "sequences not increasing: {seq:?}");
    // Every phase is queued, runs, and completes, in the flow's order.
    let completed: Vec<&str> = events
        .iter()
        .filter(|e| e["phaseUpdates"]["status"] == "COMPLETED")
        .map(|e| e["phaseUpdates"]["phase"].as_str().unwrap())
        .collect();
    assert_eq!(completed, DISCOVERY);
    for phase in DISCOVERY {
        let statuses: Vec<&str> = events
            .iter()
            .filter(|e| e["phaseUpdates"]["phase"] == phase)
            .map(|e| e["phaseUpdates"]["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses.first(), Some(&"QUEUED"), "{phase}: {statuses:?}");
        assert_eq!(statuses.last(), Some(&"COMPLETED"), "{phase}: {statuses:?}");
        assert!(statuses.contains(&"RUNNING"), "{phase}: {statuses:?}");
    }
    assert!(events.iter().any(|e| {
        e["phaseUpdates"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("finished"))
    }));

    // A client that reconnects with the last sequence it saw misses nothing.
    let cut = seq[seq.len() / 2];
    let mut again = app
        .subscribe(&token, "2", PHASES, json!({ "id": id, "after": cut }))
        .await;
    let replayed = again.until_complete("2", WAIT).await;
    let expected: Vec<i64> = seq.iter().copied().filter(|s| *s > cut).collect();
    assert_eq!(sequences(&replayed, "phaseUpdates"), expected);
}

async fn flow_updates_and_agent_health_per_tenant(app: TestApp) {
    let (mine, theirs) = (Tenant::new(), Tenant::new());
    let token = app.token(mine, Role::Analyst);
    let stranger = app.token(theirs, Role::Viewer);
    let mut watcher = app.subscribe(&token, "flows", FLOWS, json!({})).await;
    watcher.subscribe("agents", AGENTS, json!({})).await;
    let mut outsider = app.subscribe(&stranger, "flows", FLOWS, json!({})).await;

    // The agent snapshot comes first: every agent, idle and healthy (their probes pass).
    let Received::Data(from, first) = watcher.next(WAIT).await else {
        panic!("no agent snapshot")
    };
    assert_eq!(from, "agents");
    let agents = first["agentHealth"]["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 17);
    assert!(
        agents.iter().all(|a| a["health"] == "HEALTHY" && a["status"] == "IDLE"),
        "{agents:#?}"
    );

    let id = app.sample_flow(&token).await;
    app.start_flow(&token, &id).await;
    let mut flow_statuses = Vec::new();
    let mut busiest = 0;
    while flow_statuses.last().is_none_or(|s| s != "COMPLETED") {
        match watcher.next(WAIT).await {
            Received::Data(from, payload) if from == "flows" => {
                let event = &payload["flowUpdates"];
                if event["flowId"] == id.as_str() {
                    flow_statuses.push(event["status"].as_str().unwrap().to_string());
                }
            }
            Received::Data(_, payload) => {
                let done = payload["agentHealth"]["agents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["tasksCompleted"].as_i64().unwrap())
                    .sum::<i64>();
                busiest = busiest.max(done);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        flow_statuses.first().map(String::as_str),
        Some("INITIALIZED").or(Some("RUNNING"))
    );
    assert!(flow_statuses.iter().any(|s| s == "RUNNING"));
    // The agents' figures moved while the flow ran.
    let health = app
        .data(
            &token,
            "{ agentHealth { name tasksCompleted health successRate } }",
            json!({}),
        )
        .await;
    assert!(
        health["agentHealth"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["tasksCompleted"].as_i64().unwrap() >= 1)
    );
    assert!(busiest > 0 || health["agentHealth"][0]["tasksCompleted"].as_i64().unwrap() > 0);

    // The other tenant heard nothing of it.
    assert_eq!(outsider.next(Duration::from_millis(500)).await, Received::Nothing);
}

async fn connection_init_is_authenticated_and_tenant_scoped(app: TestApp) {
    let url = app.ws_url();
    assert!(WsClient::connect(&url, Protocol::TransportWs, None).await.is_err());
    let forged = flowgraph::auth::JwtKeys::new(b"someone else's secret")
        .issue(&flowgraph::auth::Claims {
            sub: uuid::Uuid::new_v4(),
            client_account_id: uuid::Uuid::new_v4(),
            engagement_id: None,
            role: Role::Admin,
            exp: chrono::Utc::now().timestamp() + 600,
        })
        .unwrap();
    let refused = WsClient::connect(&url, Protocol::TransportWs, Some(&forged))
        .await
        .err()
        .unwrap();
    assert!(
        refused.contains("4403") || refused.contains("invalid token"),
        "{refused}"
    );

    let owner = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&owner).await;
    let intruder = app.token(Tenant::new(), Role::Admin);
    let mut ws = app.subscribe(&intruder, "1", PHASES, json!({ "id": id })).await;
    match ws.next(WAIT).await {
        Received::Error(_, errors) => assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors}"),
        other => panic!("expected NOT_FOUND, got {other:?}"),
    }
}

async fn legacy_protocol_on_graphql_upgrade(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let url = app.url("/graphql").replacen("http://", "ws://", 1);
    let mut ws = WsClient::connect(&url, Protocol::LegacyGraphqlWs, Some(&token))
        .await
        .unwrap();
    ws.subscribe("a", PHASES, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.start_flow(&token, &id).await;
    let events = ws.until_complete("a", WAIT).await;
    assert_eq!(events.last().unwrap()["phaseUpdates"]["phase"], "TECH_DEBT_ANALYSIS");
    assert_eq!(events.last().unwrap()["phaseUpdates"]["status"], "COMPLETED");
}

/// A subscriber that never reads does not hold up the others or the flow.
async fn slow_subscriber_stalls_nobody(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let mut stalled = app.subscribe(&token, "s", PHASES, json!({ "id": id })).await;
    stalled.subscribe("f", FLOWS, json!({})).await;
    let mut reader = app.subscribe(&token, "r", PHASES, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.start_flow(&token, &id).await;
    let events = reader.until_complete("r", WAIT).await;
    assert_eq!(events.last().unwrap()["phaseUpdates"]["status"], "COMPLETED");
    drop(stalled);
}

/// A run whose worker died (its lease expired) is claimed again and the flow completes with
/// exactly the assets an uninterrupted run gives.
async fn expired_lease_is_reclaimed(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let (run, user) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::new_v4().to_string());
    let past = "2020-01-01T00:00:00Z";
    app.raw_sql(&format!(
        "UPDATE unified_flow_states SET status = 'running', auto_advance = TRUE WHERE id = {flow};
         INSERT INTO flow_phase_runs (id, flow_id, client_account_id, engagement_id, phase, status, attempt, progress,
             requested_by, created_at, started_at, lease_owner, lease_expires_at)
         SELECT {run}, id, client_account_id, engagement_id, 'data_import', 'running', 1, 40, {user}, '{past}', '{past}',
             'a-worker-that-died', '{past}' FROM unified_flow_states WHERE id = {flow};",
        flow = app.uuid_sql(&id),
        run = app.uuid_sql(run),
        user = app.uuid_sql(user),
    ))
    .await;
    app.wait_for_status(&token, &id, "COMPLETED", Duration::from_secs(30))
        .await;
    let data = app
        .data(
            &token,
            "query($id: ID!) { flow(id: $id) { assets { totalCount } phases { name attempt status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["flow"]["assets"]["totalCount"], 30);
    assert_eq!(data["flow"]["phases"][0]["attempt"], 1);
    let metrics = app.metrics_text().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("flowgraph_lease_reclaims_total") && !l.ends_with(" 0")),
        "{metrics}"
    );
}

/// /metrics is Prometheus text 0.0.4, and every family a dashboard may chart is there after a flow
/// ran: the same name, type, help text and label names as before the registry moved to
/// prometheus-client (this list was checked against the hand-written one first).
async fn metrics_parse_as_prometheus_text(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    app.data(
        &token,
        "mutation Run($id: ID!) { executeFlow(flowId: $id, wait: true) { status } }",
        json!({ "id": id }),
    )
    .await;
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    // family -> (type, help); sample name -> label names seen on it.
    let mut families: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut samples: HashMap<&str, BTreeSet<BTreeSet<&str>>> = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            families.entry(name).or_default().1 = help;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            families.entry(name).or_default().0 = kind;
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("bad line {line}"));
            assert!(value.parse::<f64>().is_ok(), "bad value in {line}");
            let (name, labels) = series.split_once('{').unwrap_or((series, ""));
            let keys = labels
                .split("\",")
                .filter_map(|l| l.split_once('='))
                .map(|(k, _)| k.trim_start_matches(','));
            samples.entry(name).or_default().insert(keys.collect());
        }
    }
    let expected: [(&str, &str, &str, &[&str]); 15] = [
        (
            "flowgraph_build_info",
            "gauge",
            "Build information; the value is always 1.",
            &["version"],
        ),
        (
            "flowgraph_process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch in seconds.",
            &[],
        ),
        (
            "flowgraph_graphql_requests_total",
            "counter",
            "GraphQL requests by operation name and outcome.",
            &["operation", "outcome"],
        ),
        (
            "flowgraph_graphql_request_duration_seconds",
            "histogram",
            "GraphQL request duration in seconds by operation name.",
            &["operation"],
        ),
        (
            "flowgraph_phase_duration_seconds",
            "histogram",
            "Discovery phase duration in seconds by phase and outcome.",
            &["outcome", "phase"],
        ),
        (
            "flowgraph_agent_tasks_total",
            "counter",
            "Agent tasks by agent and outcome.",
            &["agent", "outcome"],
        ),
        (
            "flowgraph_agent_task_duration_seconds",
            "histogram",
            "Agent task duration in seconds by agent.",
            &["agent"],
        ),
        (
            "flowgraph_lease_reclaims_total",
            "counter",
            "Expired work leases reclaimed from unresponsive workers.",
            &[],
        ),
        (
            "flowgraph_events_published_total",
            "counter",
            "Events published to subscribers.",
            &[],
        ),
        (
            "flowgraph_active_subscriptions",
            "gauge",
            "GraphQL subscriptions currently open.",
            &[],
        ),
        (
            "flowgraph_subscription_executions",
            "gauge",
            "Subscription executions running, each shared by its identical subscribers.",
            &[],
        ),
        (
            "flowgraph_slow_subscribers_closed_total",
            "counter",
            "Websocket connections closed because a subscription fell too far behind.",
            &[],
        ),
        (
            "flowgraph_graphql_queries_waiting",
            "gauge",
            "GraphQL query operations waiting for their turn to execute.",
            &[],
        ),
        ("flowgraph_workers", "gauge", "Phase workers in this process.", &[]),
        (
            "flowgraph_queue_depth",
            "gauge",
            "Phase runs by status, across every replica.",
            &["status"],
        ),
    ];
    assert_eq!(families.len(), expected.len(), "{text}");
    for (name, kind, help, labels) in expected {
        assert_eq!(families.get(name), Some(&(kind, help)), "{name}\n{text}");
        let labels: BTreeSet<&str> = labels.iter().copied().collect();
        let series: Vec<(String, BTreeSet<&str>)> = if kind == "histogram" {
            let mut bucket = labels.clone();
            bucket.insert("le");
            vec![
                (format!("{name}_bucket"), bucket),
                (format!("{name}_sum"), labels.clone()),
                (format!("{name}_count"), labels),
            ]
        } else {
            vec![(name.to_string(), labels)]
        };
        for (sample, labels) in series {
            assert_eq!(
                samples.get(sample.as_str()),
                Some(&BTreeSet::from([labels])),
                "{sample}\n{text}"
            );
        }
    }
    assert!(
        text.contains("flowgraph_graphql_requests_total{operation=\"Run\",outcome=\"ok\"}"),
        "{text}"
    );
    let published = text
        .lines()
        .find(|l| l.starts_with("flowgraph_events_published_total"))
        .unwrap();
    assert!(!published.ends_with(" 0"), "{published}");
    assert!(text.contains("flowgraph_queue_depth{status=\"queued\"}"));
    assert!(text.contains("flowgraph_phase_duration_seconds_bucket{") && text.contains("phase=\"inventory\""));
}

/// On shutdown, open subscriptions get a close frame (1001, going away).
async fn shutdown_closes_subscriptions_cleanly(mut app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let mut ws = app.subscribe(&token, "f", FLOWS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = app.stop.take().unwrap().send(());
    loop {
        match ws.next(WAIT).await {
            Received::Closed(code) => {
                assert_eq!(code, Some(1001));
                break;
            }
            Received::Complete(_) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

on_both_databases!(
    phase_updates_follow_the_flow_and_resume,
    flow_updates_and_agent_health_per_tenant,
    connection_init_is_authenticated_and_tenant_scoped,
    legacy_protocol_on_graphql_upgrade,
    slow_subscriber_stalls_nobody,
    expired_lease_is_reclaimed,
    metrics_parse_as_prometheus_text,
    shutdown_closes_subscriptions_cleanly,
);

/// Two server processes on one PostgreSQL: work done by one is seen live by a subscriber of the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_events_through_postgres() {
    let Some(app) = crate::helpers::spawn_app_with(crate::helpers::Backend::Postgres, |s| s.workers.workers = 0).await
    else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped");
        return;
    };
    // The first server has no workers: every phase runs on the replica.
    let replica = app.replica(|s| s.workers.workers = 2).await;
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let mut ws = app.subscribe(&token, "1", PHASES, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = app
        .gql_at(
            &replica.base,
            Some(&token),
            "mutation($id: ID!) { executeFlow(flowId: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(started["data"]["executeFlow"]["status"], "RUNNING", "{started}");
    let events = ws.until_complete("1", WAIT).await;
    let seq = sequences(&events, "phaseUpdates");
    // Every phase event the replica stored arrived, in order, with no gap in the phase events.
    let stored = app.store.events_after(id.parse().unwrap(), 0, 10_000).await.unwrap();
    let phase_seq: Vec<i64> = stored
        .iter()
        .filter(|e| matches!(e.payload, flowgraph::store::EventPayload::Phase { .. }))
        .map(|e| e.sequence)
        .filter(|s| *s >= seq[0])
        .collect();
    assert_eq!(seq, phase_seq);
    assert_eq!(events.last().unwrap()["phaseUpdates"]["status"], "COMPLETED");
}
