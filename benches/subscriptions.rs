//! The `subscriptions` step: thousands of websocket subscribers of running flows' phase updates,
//! in client processes of their own (this binary again), optionally beside a stalled connection.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::measure::{memory_mb, percentile};
use super::server::Server;

/// One websocket subscriber of a flow's phase updates: connects, subscribes, reports ready,
/// then returns the delay from each event's commit (`at`) to its arrival, in ms.
async fn subscriber(url: String, token: String, flow: String, ready: tokio::sync::mpsc::Sender<()>) -> Vec<f64> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    // A 4 KiB read buffer, as the server's: tungstenite zeroes the whole buffer's free part
    // before every read, and its 128 KiB default made the clients spend a quarter of both cores
    // in memset while events arrived (perf), time the server's deliveries waited for.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), false)
        .await
        .expect("connect");
    let send = |v: Value| Message::Text(v.to_string().into());
    socket
        .send(send(
            json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }),
        ))
        .await
        .unwrap();
    let query = "subscription($id: ID!) { phaseUpdates(flowId: $id) { sequence at } }";
    let mut delays = Vec::new();
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else { continue };
        // Data messages, nearly all of them, are read without building a JSON tree: the
        // delay is taken from the event's `at`.
        if text.starts_with(r#"{"type":"next""#) {
            let at = text
                .split(r#""at":""#)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap();
            let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
            delays.push(
                (chrono::Utc::now() - at.with_timezone(&chrono::Utc))
                    .num_microseconds()
                    .unwrap_or(0) as f64
                    / 1000.0,
            );
            continue;
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        match value["type"].as_str() {
            Some("connection_ack") => {
                socket.send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "id": flow } } }))).await.unwrap();
                let _ = ready.send(()).await;
            }
            Some("ping") => socket.send(send(json!({ "type": "pong" }))).await.unwrap(),
            Some("complete") | Some("error") => break,
            _ => {}
        }
    }
    delays
}

/// Subscribers per client process: each needs a descriptor there and one in the server, and the
/// descriptor limit here is 20,000 a process.
const SUBSCRIBERS_PER_CLIENT: usize = 5_000;

/// One subscription run: `subscribers` websocket clients spread over `flows` flows (subscriber i
/// watches flow i mod `flows`), optionally beside one connection that subscribes to the first
/// flow `STALLED_SUBSCRIPTIONS` times and never reads.
struct SubscriptionRun {
    subscribers: usize,
    flows: usize,
    stalled: bool,
}

/// How often the stalled connection subscribes: each event is written to it this many times, so
/// its socket fills within one flow.
const STALLED_SUBSCRIPTIONS: usize = 100;

pub async fn subscriptions(server: &Server) {
    println!(
        "\n## subscriptions: N websocket subscribers of running flows' phase updates on {}",
        server.label
    );
    println!(
        "| subscribers | flows | a stalled connection | client processes | events each | p50 ms | p99 ms | max ms | server RSS per subscriber (KB) | server RSS growth while running (MB) | connections closed as slow |"
    );
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let runs = [
        SubscriptionRun {
            subscribers: 1_000,
            flows: 1,
            stalled: false,
        },
        SubscriptionRun {
            subscribers: 1_000,
            flows: 1,
            stalled: true,
        },
        SubscriptionRun {
            subscribers: 1_000,
            flows: 100,
            stalled: false,
        },
        SubscriptionRun {
            subscribers: 10_000,
            flows: 1,
            stalled: false,
        },
    ];
    let only: Option<usize> = std::env::var("BENCH_SUBSCRIBERS").ok().and_then(|n| n.parse().ok());
    for run in runs {
        if only.is_none_or(|n| n == run.subscribers) {
            subscription_run(server, run).await;
        }
    }
}

/// A connection with a small receive window that subscribes to `flow` many times and never reads.
async fn stalled_connection(
    url: &str,
    token: &str,
    flow: &str,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let address = url.trim_start_matches("ws://").split('/').next().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(address.parse().unwrap()).await.unwrap();
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }),
    ))
    .await
    .unwrap();
    let _ack = ws.next().await;
    let query =
        "subscription($id: ID!) { phaseUpdates(flowId: $id) { flowId phase status progress message sequence at } }";
    for n in 0..STALLED_SUBSCRIPTIONS {
        ws.send(send(json!({ "id": n.to_string(), "type": "subscribe", "payload": { "query": query, "variables": { "id": flow } } })))
            .await
            .unwrap();
    }
    ws
}

/// The value of one sample on the server's /metrics (0 when absent).
async fn server_metric(server: &Server, name: &str) -> f64 {
    let text = server
        .http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn subscription_run(server: &Server, run: SubscriptionRun) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    // One flow of 600 rows, or many small ones (each still about 40 events).
    let rows = if run.flows == 1 { 600 } else { 60 };
    let mut flows = Vec::new();
    for _ in 0..run.flows {
        flows.push(server.create(&flowgraph::fixtures::generated_cmdb(rows)).await);
    }
    let url = format!("{}/graphql/ws", server.base.replacen("http://", "ws://", 1));
    let closed_before = server_metric(server, "flowgraph_slow_subscribers_closed_total").await;
    let before = memory_mb("VmRSS");
    // The clients run in processes of their own (this binary again), so the server's memory
    // is measured alone and each process stays under the descriptor limit.
    let mut clients = Vec::new();
    let mut first = 0;
    while first < run.subscribers {
        let n = (run.subscribers - first).min(SUBSCRIBERS_PER_CLIENT);
        let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "subscribe-clients",
                &url,
                &server.token,
                &flows.join(","),
                &first.to_string(),
                &n.to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start a client process");
        first += n;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ready"));
        clients.push((child, lines));
    }
    // Let the last subscriptions reach the server before the flows start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per_subscriber_kb = (memory_mb("VmRSS") - before) * 1024.0 / run.subscribers as f64;
    let stalled = match run.stalled {
        true => Some(stalled_connection(&url, &server.token, &flows[0]).await),
        false => None,
    };
    let subscribed = memory_mb("VmRSS");
    for id in &flows {
        server
            .gql(
                "mutation($id: ID!) { executeFlow(flowId: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
    }
    let mut delays = Vec::new();
    let mut events = 0;
    let mut peak = subscribed;
    let processes = clients.len();
    for (mut child, mut lines) in clients {
        // One line per subscriber: its delays in ms.
        while let Some(line) = lines.next_line().await.unwrap() {
            let got: Vec<f64> = serde_json::from_str(&line).unwrap();
            events = events.max(got.len());
            delays.extend(got);
            peak = peak.max(memory_mb("VmRSS"));
        }
        assert!(child.wait().await.unwrap().success());
    }
    // The stalled connection's writes stop once its socket is full; the server drops it when
    // one has waited FLOWGRAPH_WS_WRITE_TIMEOUT_SECONDS (10 s).
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut closed = 0.0;
    while stalled.is_some() && closed < 1.0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        closed = server_metric(server, "flowgraph_slow_subscribers_closed_total").await - closed_before;
    }
    peak = peak.max(memory_mb("VmRSS"));
    drop(stalled);
    delays.sort_by(f64::total_cmp);
    println!(
        "| {} | {} | {} | {processes} | {events} | {:.1} | {:.1} | {:.1} | {per_subscriber_kb:.0} | {:.0} | {closed:.0} |",
        run.subscribers,
        run.flows,
        if run.stalled { "yes" } else { "no" },
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().copied().unwrap_or(0.0),
        peak - subscribed,
    );
}

/// A client process: `count` subscribers, subscriber i (counted from `first`) watching flow i
/// mod the number of flows; prints `ready` once every one has subscribed, then one JSON line of
/// delays per subscriber when its flow's stream ends.
pub async fn subscribe_clients(url: String, token: String, flows: String, first: usize, count: usize) {
    let flows: Vec<String> = flows.split(',').map(str::to_string).collect();
    let (ready, mut readied) = tokio::sync::mpsc::channel(count);
    let tasks: Vec<_> = (first..first + count)
        .map(|i| {
            let flow = flows[i % flows.len()].clone();
            tokio::spawn(subscriber(url.clone(), token.clone(), flow, ready.clone()))
        })
        .collect();
    for _ in 0..count {
        readied.recv().await;
    }
    println!("ready");
    for task in tasks {
        println!("{}", serde_json::to_string(&task.await.unwrap()).unwrap());
    }
}
