//! Subscriptions under many subscribers: one execution per group of identical subscribers, tenant
//! checks per subscriber, queries over the socket, and a subscriber that stops reading.

use std::time::{Duration, Instant};

use flowgraph::domain::Role;
use serde_json::json;

use crate::helpers::{Tenant, TestApp, spawn_app_with};
use crate::on_both_databases;
use crate::ws_client::{Protocol, Received, WsClient};

const WAIT: Duration = Duration::from_secs(30);
const PHASES: &str = "subscription($id: ID!) { phaseUpdates(flowId: $id) { phase status progress sequence } }";
const FLOWS: &str = "subscription { flowUpdates { flowId status sequence } }";

/// A sample of `/metrics` (0 when absent).
async fn metric(app: &TestApp, name: &str) -> f64 {
    app.metric(name).await.unwrap_or(0.0)
}

/// Waits (up to `WAIT`) until the two gauges read the given values.
async fn until_gauges(app: &TestApp, subscriptions: f64, executions: f64) {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = (
            metric(app, "flowgraph_active_subscriptions").await,
            metric(app, "flowgraph_subscription_executions").await,
        );
        if now == (subscriptions, executions) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "subscriptions and executions stayed at {now:?}, expected ({subscriptions}, {executions})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn identical_subscribers_share_one_execution(app: TestApp) {
    let tenant = Tenant::new();
    let token = app.token(tenant, Role::Analyst);
    let viewer = app.token(tenant, Role::Viewer);
    let stranger = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    let mut watchers = Vec::new();
    for _ in 0..5 {
        watchers.push(app.subscribe(&token, "p", PHASES, json!({ "id": id })).await);
    }
    // The same document and variables from another tenant: refused, not joined.
    let mut outsider = app.subscribe(&stranger, "p", PHASES, json!({ "id": id })).await;
    match outsider.next(WAIT).await {
        Received::Error(_, errors) => assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors}"),
        other => panic!("another tenant's subscriber got {other:?}"),
    }
    // Another role of the same tenant runs its own execution.
    let mut reader = app.subscribe(&viewer, "p", PHASES, json!({ "id": id })).await;
    until_gauges(&app, 6.0, 2.0).await;

    app.start_flow(&token, &id).await;
    // A subscriber that comes while the flow runs joins the live execution.
    let mut late = app.subscribe(&token, "p", PHASES, json!({ "id": id })).await;

    let mut seen = Vec::new();
    for ws in &mut watchers {
        seen.push(ws.until_complete("p", WAIT).await);
    }
    let viewed = reader.until_complete("p", WAIT).await;
    assert!(seen.iter().all(|events| *events == seen[0]), "{seen:#?}");
    assert_eq!(viewed, seen[0]);
    let last = &seen[0].last().unwrap()["phaseUpdates"];
    assert_eq!(last["status"], "COMPLETED", "{seen:#?}");
    // The late one saw a tail of the same events, ending the same way.
    let tail = late.until_complete("p", WAIT).await;
    assert!(seen[0].ends_with(&tail), "{tail:#?}");
    // Everyone's stream ended: nothing keeps running.
    until_gauges(&app, 0.0, 0.0).await;
}

/// Queries travel over the socket too, with the same loaders as over HTTP.
async fn queries_over_the_socket_use_the_loaders(app: TestApp) {
    let token = app.token(Tenant::new(), Role::Analyst);
    let id = app.sample_flow(&token).await;
    assert_eq!(app.run_flow(&token, &id).await, "COMPLETED");
    let query =
        "query($id: ID!) { flow(id: $id) { assets(first: 5) { edges { node { name techDebt { severity } } } } } }";
    let over_http = app.data(&token, query, json!({ "id": id })).await;
    let mut ws = app.subscribe(&token, "q", query, json!({ "id": id })).await;
    let answers = ws.until_complete("q", WAIT).await;
    assert_eq!(answers, vec![over_http]);
}

/// A websocket with a small receive window whose client never reads.
async fn stalled_client(url: &str, token: &str) -> WsClient {
    let address = url.trim_start_matches("ws://").split('/').next().unwrap().to_string();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(address.parse().unwrap()).await.unwrap();
    let mut ws = WsClient::connect_over(stream, url, Protocol::TransportWs, Some(token))
        .await
        .unwrap();
    // Many subscriptions of one connection: each event is written to it once per subscription.
    for n in 0..50 {
        ws.subscribe(&n.to_string(), FLOWS, json!({})).await;
    }
    ws
}

/// A subscriber that stops reading is dropped once its socket is full, without holding up the
/// others: they still get every event.
async fn a_stalled_subscriber_is_dropped_and_nobody_waits(app: TestApp) {
    let backend = app.backend;
    drop(app);
    let app = spawn_app_with(backend, |s| s.limits.ws_write_timeout = Duration::from_secs(1))
        .await
        .unwrap();
    let token = app.token(Tenant::new(), Role::Analyst);
    let url = app.ws_url();
    let stalled = stalled_client(&url, &token).await;
    let mut reader = app.subscribe(&token, "f", FLOWS, json!({})).await;
    until_gauges(&app, 51.0, 1.0).await;

    // New flows, each one event to every subscription, until the server gives up on the stalled
    // connection (its socket buffer holds a few hundred KB: about 60 flows' worth).
    let mut created = Vec::new();
    while metric(&app, "flowgraph_slow_subscribers_closed_total").await < 1.0 {
        assert!(created.len() < 400, "the stalled subscriber was never dropped");
        for _ in 0..10 {
            created.push(app.sample_flow(&token).await);
        }
    }
    // The reader heard of every flow, in order, while the other connection was stuck.
    let mut heard = Vec::new();
    while heard.len() < created.len() {
        match reader.next(WAIT).await {
            Received::Data(_, payload) => heard.push(payload["flowUpdates"]["flowId"].as_str().unwrap().to_string()),
            other => panic!("the reader got {other:?} after {} events", heard.len()),
        }
    }
    assert_eq!(heard, created);
    // The stalled connection is gone: only the reader's subscription is left.
    until_gauges(&app, 1.0, 1.0).await;
    drop(stalled);
}

on_both_databases!(
    identical_subscribers_share_one_execution,
    queries_over_the_socket_use_the_loaders,
    a_stalled_subscriber_is_dropped_and_nobody_waits,
);
