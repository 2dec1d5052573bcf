//! Subscriptions under many subscribers: one execution per group of identical subscribers, tenant
//! checks per subscriber, queries over the socket, and a subscriber that stops reading.

use std::time::{Duration, Instant};

use flowgraph::domain::Role;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

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
    let url = app.ws_url();
    let mut watchers = Vec::new();
    for _ in 0..5 {
        let mut ws = WsClient::connect(&url, Protocol::TransportWs, Some(&token))
            .await
            .unwrap();
        ws.subscribe("p", PHASES, json!({ "id": id })).await;
        watchers.push(ws);
    }
    // The same document and variables from another tenant: refused, not joined.
    let mut outsider = WsClient::connect(&url, Protocol::TransportWs, Some(&stranger))
        .await
        .unwrap();
    outsider.subscribe("p", PHASES, json!({ "id": id })).await;
    match outsider.next(WAIT).await {
        Received::Error(_, errors) => assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND", "{errors}"),
        other => panic!("another tenant's subscriber got {other:?}"),
    }
    // Another role of the same tenant runs its own execution.
    let mut reader = WsClient::connect(&url, Protocol::TransportWs, Some(&viewer))
        .await
        .unwrap();
    reader.subscribe("p", PHASES, json!({ "id": id })).await;
    until_gauges(&app, 6.0, 2.0).await;

    let started = app
        .data(
            &token,
            "mutation($id: ID!) { executeFlow(flowId: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(started["executeFlow"]["status"], "RUNNING");
    // A subscriber that comes while the flow runs joins the live execution.
    let mut late = WsClient::connect(&url, Protocol::TransportWs, Some(&token))
        .await
        .unwrap();
    late.subscribe("p", PHASES, json!({ "id": id })).await;

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
    app.data(
        &token,
        "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status } }",
        json!({ "id": id }),
    )
    .await;
    let query =
        "query($id: ID!) { flow(id: $id) { assets(first: 5) { edges { node { name techDebt { severity } } } } } }";
    let over_http = app.data(&token, query, json!({ "id": id })).await;
    let mut ws = WsClient::connect(&app.ws_url(), Protocol::TransportWs, Some(&token))
        .await
        .unwrap();
    ws.subscribe("q", query, json!({ "id": id })).await;
    let answers = ws.until_complete("q", WAIT).await;
    assert_eq!(answers, vec![over_http]);
}

/// A websocket with a small receive window whose client never reads.
async fn stalled_client(url: &str, token: &str) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let address = url.trim_start_matches("ws://").split('/').next().unwrap().to_string();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(address.parse().unwrap()).await.unwrap();
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }),
    ))
    .await
    .unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    // Many subscriptions of one connection: each event is written to it once per subscription.
    for n in 0..50 {
        ws.send(send(
            json!({ "id": n.to_string(), "type": "subscribe", "payload": { "query": FLOWS } }),
        ))
        .await
        .unwrap();
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
    let mut reader = WsClient::connect(&url, Protocol::TransportWs, Some(&token))
        .await
        .unwrap();
    reader.subscribe("f", FLOWS, json!({})).await;
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
