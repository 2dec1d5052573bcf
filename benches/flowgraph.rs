//! flowgraph's benchmark: prints tables, asserts nothing (targets live in BENCHMARKS.md).
//!
//!   cargo bench --bench flowgraph -- [pipeline|latency|reads|subscriptions|all] [--rows N]
//!                                      [--database sqlite|postgres]
//!
//! The real server runs in this process on a free port; the client speaks HTTP to it. SQLite
//! always; PostgreSQL too when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, in a fresh
//! database that is dropped afterwards.

use std::time::{Duration, Instant};

use flowgraph::app::Application;
use flowgraph::auth::{Claims, JwtKeys};
use flowgraph::config::{Secret, Settings};
use flowgraph::domain::Role;
use serde_json::{Value, json};
use sqlx::Connection;
use uuid::Uuid;

mod postgraphile;

struct Server {
    base: String,
    token: String,
    store: std::sync::Arc<dyn flowgraph::store::Store>,
    http: reqwest::Client,
    cleanup: Option<(String, String)>,
    _stop: tokio::sync::oneshot::Sender<()>,
    label: &'static str,
    url: String,
    /// The token's tenant, for the plain-axum ceiling that calls the store directly.
    scope: flowgraph::store::TenantScope,
    /// The JWT secret, for a server process on the same database.
    secret: String,
}

impl Server {
    async fn start(label: &'static str) -> Option<Server> {
        let (url, cleanup) = fresh_database(label).await?;
        let secret = JwtKeys::generate_secret();
        let mut settings = Settings::new(url.clone());
        settings.addr = "127.0.0.1:0".into();
        settings.jwt_secret = Some(Secret::new(secret.clone()));
        settings.max_body_bytes = 256 * 1024 * 1024;
        let app = Application::build(&settings).await.expect("the server starts");
        let base = format!("http://{}", app.local_addr());
        let store = app.store();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        let claims = Claims {
            sub: Uuid::new_v4(),
            client_account_id: Uuid::new_v4(),
            engagement_id: Some(Uuid::new_v4()),
            role: Role::Admin,
            exp: chrono::Utc::now().timestamp() + 86_400,
        };
        let token = JwtKeys::new(secret.as_bytes()).issue(&claims).unwrap();
        let scope = flowgraph::store::TenantScope {
            client_account_id: claims.client_account_id,
            engagement_id: claims.engagement_id,
        };
        Some(Server {
            base,
            token,
            store,
            http: reqwest::Client::new(),
            cleanup,
            _stop: stop,
            label,
            url,
            scope,
            secret,
        })
    }

    async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_at(&self.base, query, variables).await
    }

    /// A GraphQL request with this server's token to the server at `base`: its data.
    async fn gql_at(&self, base: &str, query: &str, variables: Value) -> Value {
        let response: Value = self
            .http
            .post(format!("{base}/graphql"))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(response.get("errors").is_none(), "{response}");
        response["data"].clone()
    }

    async fn create(&self, csv: &str) -> String {
        let data = self
            .gql("mutation($csv: String) { createFlow(input: { flowType: DISCOVERY, name: \"bench\", csv: $csv }) { id } }", json!({ "csv": csv }))
            .await;
        data["createFlow"]["id"].as_str().unwrap().to_string()
    }

    async fn drop_database(self) {
        drop_database(&self.url, self.cleanup.as_ref()).await;
    }
}

/// A new SQLite file or PostgreSQL database for `label`: its URL, and (PostgreSQL) the admin
/// URL and name to drop it with.
async fn fresh_database(label: &str) -> Option<(String, Option<(String, String)>)> {
    if label == "sqlite" {
        let path = std::env::temp_dir().join(format!("fg-bench-{}.db", Uuid::new_v4().simple()));
        return Some((format!("sqlite://{}", path.display()), None));
    }
    let admin = std::env::var("BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .ok()?;
    let name = format!("flowgraph_bench_{}", Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .ok()?;
    let (server, _) = admin.rsplit_once('/')?;
    Some((format!("{server}/{name}"), Some((admin.clone(), name))))
}

async fn drop_database(url: &str, cleanup: Option<&(String, String)>) {
    if let Some((admin, name)) = cleanup
        && let Ok(mut conn) = sqlx::PgConnection::connect(admin).await
    {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}

/// A memory figure of this process from /proc/self/status, in MB: `VmRSS` now, `VmHWM` its peak.
fn memory_mb(field: &str) -> f64 {
    status_mb("/proc/self/status", field)
}

/// A memory figure from a `/proc/<pid>/status` file, in MB.
fn status_mb(path: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(path).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The server binary in a process of its own on the bench's database, so the pipeline's memory
/// figures are the server's alone. Killed when dropped.
struct ServerProcess {
    child: std::process::Child,
    base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    async fn start(url: &str, secret: &str) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_flowgraph"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("FLOWGRAPH_ADDR", format!("127.0.0.1:{port}"))
            .env("FLOWGRAPH_JWT_SECRET", secret)
            .env("FLOWGRAPH_MAX_BODY_BYTES", (4u64 << 30).to_string())
            .env("FLOWGRAPH_REQUEST_TIMEOUT_SECONDS", "7200")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the server binary starts");
        let server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if http.get(format!("{}/health", server.base)).send().await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server process did not start");
    }

    /// A memory figure of the server process, in MB (`VmRSS` now, `VmHWM` its peak).
    fn memory_mb(&self, field: &str) -> f64 {
        status_mb(&format!("/proc/{}/status", self.child.id()), field)
    }
}

async fn pipeline(server: &Server, rows: usize) {
    // A database of its own: the in-process server's workers must not take the pipeline's runs.
    let (url, cleanup) = fresh_database(server.label).await.expect("a database for the pipeline");
    let process = ServerProcess::start(&url, &server.secret).await;
    let csv = flowgraph::fixtures::generated_cmdb(rows);
    let clock = Instant::now();
    // The multipart upload a consultant's browser sends: the server spools it to a file.
    let operations = json!({
        "query": "mutation($file: Upload!) { createFlow(input: { flowType: DISCOVERY, name: \"bench\", file: $file }) { id } }",
        "variables": { "file": null }
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("cmdb.csv"),
        );
    let created: Value = server
        .http
        .post(format!("{}/graphql", process.base))
        .bearer_auth(&server.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["createFlow"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();
    let created = clock.elapsed();
    let after_upload = process.memory_mb("VmHWM");
    // The server's resident memory, sampled while the phases run.
    let (done_tx, mut done_rx) = tokio::sync::oneshot::channel::<()>();
    let pid = process.child.id();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        loop {
            samples.push((chrono::Utc::now(), status_mb(&format!("/proc/{pid}/status"), "VmRSS")));
            tokio::select! {
                _ = &mut done_rx => return samples,
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    });
    let done = server
        .gql_at(
            &process.base,
            "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status performanceMetrics phases { name startedAt completedAt } assets { totalCount } } }",
            json!({ "id": id }),
        )
        .await;
    let total = clock.elapsed();
    let _ = done_tx.send(());
    let samples = sampler.await.unwrap();
    let flow = &done["executeFlow"];
    assert_eq!(flow["status"], "COMPLETED", "{done}");
    let assets = flow["assets"]["totalCount"].as_f64().unwrap();
    println!("\n## pipeline: {rows} rows on {} ({} assets)", server.label, assets);
    println!("| phase | ms | items | items/s | server RSS max MB |\n|---|---:|---:|---:|---:|");
    println!(
        "| createFlow (upload) | {:.0} | {rows} | {:.0} | {after_upload:.0} |",
        created.as_secs_f64() * 1000.0,
        rows as f64 / created.as_secs_f64()
    );
    let metrics = &flow["performanceMetrics"];
    // Each phase's window of samples: from its run's start to its end, as the server recorded them.
    let window = |phase: &str| -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        let run = flow["phases"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == phase.to_uppercase())?;
        Some((
            run["startedAt"].as_str()?.parse().ok()?,
            run["completedAt"].as_str()?.parse().ok()?,
        ))
    };
    for phase in [
        "data_import",
        "attribute_mapping",
        "data_cleansing",
        "inventory",
        "dependency_analysis",
        "tech_debt_analysis",
    ] {
        let m = &metrics[phase];
        let peak = window(phase).map_or(0.0, |(from, until)| {
            samples
                .iter()
                .filter(|(at, _)| *at >= from && *at <= until)
                .map(|(_, mb)| *mb)
                .fold(0.0, f64::max)
        });
        println!(
            "| {phase} | {} | {} | {} | {peak:.0} |",
            m["durationMs"], m["items"], m["itemsPerSecond"]
        );
    }
    println!(
        "| **end to end** | {:.0} | {assets} | **{:.0} assets/s** | |",
        total.as_secs_f64() * 1000.0,
        assets / total.as_secs_f64()
    );
    println!(
        "server peak RSS (its own process, VmHWM): {:.0} MB",
        process.memory_mb("VmHWM")
    );
    drop(process);

    if server.label == "postgres" {
        use futures_util::TryStreamExt;
        // The ceiling for the import: COPY of the same rows into an unindexed table.
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("CREATE UNLOGGED TABLE bench_copy (line TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        let body: String = csv
            .lines()
            .skip(1)
            .map(|l| format!("{}\n", l.replace('\\', "\\\\").replace('\t', "\\t")))
            .collect();
        // Rows per second of one COPY … FROM STDIN of `data`.
        async fn timed_copy(conn: &mut sqlx::PgConnection, statement: &str, data: &[u8], rows: f64) -> f64 {
            let clock = Instant::now();
            let mut copy = conn.copy_in_raw(statement).await.unwrap();
            copy.send(data).await.unwrap();
            copy.finish().await.unwrap();
            rows / clock.elapsed().as_secs_f64()
        }
        let copy_rate = timed_copy(
            &mut conn,
            "COPY bench_copy (line) FROM STDIN",
            body.as_bytes(),
            rows as f64,
        )
        .await;
        let import_rate = metrics["data_import"]["itemsPerSecond"].as_f64().unwrap_or(0.0);
        println!(
            "raw COPY: {copy_rate:.0} rows/s; data_import / COPY = {:.2}",
            import_rate / copy_rate
        );
        // PostgreSQL's own floor for these rows: COPY of what data_import stored (the same JSONB,
        // primary key and tenant index, logged) into a table of the same shape. Only the
        // row-level security is missing: COPY FROM refuses tables that have it.
        sqlx::raw_sql("CREATE TABLE bench_same (LIKE raw_import_records INCLUDING ALL)")
            .execute(&mut conn)
            .await
            .unwrap();
        let stored: Vec<u8> = conn
            .copy_out_raw("COPY raw_import_records TO STDOUT")
            .await
            .unwrap()
            .try_fold(Vec::new(), |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            })
            .await
            .unwrap();
        let same_rate = timed_copy(&mut conn, "COPY bench_same FROM STDIN", &stored, rows as f64).await;
        println!(
            "COPY of the stored rows into a table of the same shape: {same_rate:.0} rows/s; data_import / it = {:.2}",
            import_rate / same_rate
        );
    }
    drop_database(&url, cleanup.as_ref()).await;
}

async fn latency(server: &Server) {
    let mut create = Vec::new();
    let mut enqueue = Vec::new();
    for _ in 0..200 {
        let clock = Instant::now();
        let id = server.create("Server Name,Environment\nweb01,Prod\n").await;
        create.push(clock.elapsed().as_secs_f64() * 1000.0);
        let clock = Instant::now();
        server
            .gql(
                "mutation($id: ID!) { executePhase(flowId: $id) { status } }",
                json!({ "id": id }),
            )
            .await;
        enqueue.push(clock.elapsed().as_secs_f64() * 1000.0);
    }
    create.sort_by(f64::total_cmp);
    enqueue.sort_by(f64::total_cmp);
    println!("\n## latency on {} (200 sequential calls)", server.label);
    println!("| call | p50 ms | p99 ms |\n|---|---:|---:|");
    println!(
        "| createFlow | {:.2} | {:.2} |",
        percentile(&create, 0.5),
        percentile(&create, 0.99)
    );
    println!(
        "| executePhase (enqueue) | {:.2} | {:.2} |",
        percentile(&enqueue, 0.5),
        percentile(&enqueue, 0.99)
    );
}

async fn reads(server: &Server) {
    // 20 flows of 50 assets each, fully analysed.
    for _ in 0..20 {
        let id = server.create(&flowgraph::fixtures::generated_cmdb(50)).await;
        server
            .gql(
                "mutation($id: ID!) { executeFlow(flowId: $id, wait: true) { status } }",
                json!({ "id": id }),
            )
            .await;
    }
    let query = "{ flows(first: 20) { edges { node { assets(first: 50) { edges { node { name dependencies { target { name } } techDebt { severity } } } } } } } }";
    println!(
        "\n## nested read (20 flows x 50 assets, dependencies, tech debt) on {}",
        server.label
    );
    let ceiling = ceiling_server(server).await;
    // Both answers carry the same assets, edges and findings.
    let graphql = server.gql(query, json!({})).await;
    let plain: Value = server.http.get(&ceiling).send().await.unwrap().json().await.unwrap();
    assert_eq!(graphql, plain["data"], "the ceiling answers the same JSON");
    let postgraphile = postgraphile::PostGraphile::start(server, &graphql).await;
    // Warm-up, so the first row is not the first requests' (statements prepared, plan caches,
    // allocator heaps, Node's compiler).
    for _ in 0..10 {
        server.gql(query, json!({})).await;
        let _: Value = server.http.get(&ceiling).send().await.unwrap().json().await.unwrap();
    }
    postgraphile.warm_up().await;
    let (more, aligned) = postgraphile.header();
    println!(
        "| concurrency | requests/s | p50 ms | p99 ms | SQL statements / request | plain axum req/s | p50 / p99 ms | GraphQL / plain |{more}\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|{aligned}"
    );
    for concurrency in [1usize, 16, 64] {
        let statements_before = server.store.read_statements();
        let (rate, times) = load(concurrency, || async {
            server.gql(query, json!({})).await;
        })
        .await;
        let statements = (server.store.read_statements() - statements_before) as f64 / times.len().max(1) as f64;
        let (plain_rate, plain_times) = load(concurrency, || async {
            let _: Value = server.http.get(&ceiling).send().await.unwrap().json().await.unwrap();
        })
        .await;
        let more = postgraphile.cells(concurrency).await;
        println!(
            "| {concurrency} | {rate:.0} | {:.1} | {:.1} | {statements:.1} | {plain_rate:.0} | {:.1} / {:.1} | {:.2} |{more}",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            percentile(&plain_times, 0.5),
            percentile(&plain_times, 0.99),
            rate / plain_rate
        );
    }
}

/// `concurrency` clients sending `request` back to back for 3 s: requests/s and sorted latencies (ms).
async fn load<F, Fut>(concurrency: usize, request: F) -> (f64, Vec<f64>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let seconds = std::env::var("BENCH_READ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    eprintln!(
        "[{:?}] load: {concurrency} clients for {seconds} s",
        std::time::SystemTime::now()
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers = (0..concurrency).map(|_| async {
        let mut times = Vec::new();
        while Instant::now() < deadline {
            let clock = Instant::now();
            request().await;
            times.push(clock.elapsed().as_secs_f64() * 1000.0);
        }
        times
    });
    let clock = Instant::now();
    let mut times: Vec<f64> = futures_util::future::join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let seconds = clock.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    (times.len() as f64 / seconds, times)
}

/// The ceiling of the nested read: a plain axum handler making the same store calls the
/// DataLoaders batch the query into (one per level) and answering the same JSON, with no GraphQL
/// in between. Serves on a free port of its own; returns its URL.
async fn ceiling_server(server: &Server) -> String {
    use axum::serve::ListenerExt;
    use flowgraph::store::{AssetFilter, Direction, FlowFilter, PageRequest};
    use std::collections::HashMap;

    async fn nested(
        axum::extract::State((store, scope)): axum::extract::State<(
            std::sync::Arc<dyn flowgraph::store::Store>,
            flowgraph::store::TenantScope,
        )>,
    ) -> axum::Json<Value> {
        let filter = FlowFilter {
            flow_type: None,
            status: None,
            engagement_id: None,
        };
        let page = PageRequest { after: None, limit: 20 };
        let flows = store.list_flows(&scope, &filter, &page).await.unwrap().flows;
        let flow_ids: Vec<Uuid> = flows.iter().map(|f| f.id).collect();
        let mut assets = store
            .asset_pages(&scope, &flow_ids, &AssetFilter::default(), None, 50)
            .await
            .unwrap()
            .assets;
        let mut per_flow: HashMap<Uuid, Vec<_>> = HashMap::new();
        for asset in assets.drain(..) {
            let page = per_flow.entry(asset.flow_id).or_default();
            if page.len() < 50 {
                page.push(asset);
            }
        }
        let asset_ids: Vec<Uuid> = per_flow.values().flatten().map(|a| a.id).collect();
        let edges = store
            .dependencies(&scope, &asset_ids, Direction::Outgoing)
            .await
            .unwrap();
        let target_ids: Vec<Uuid> = edges.iter().map(|e| e.target_asset_id).collect();
        let names: HashMap<Uuid, String> = store
            .assets_by_ids(&scope, &target_ids)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect();
        let mut debt: HashMap<Uuid, Vec<Value>> = HashMap::new();
        for item in store.tech_debt(&scope, &asset_ids).await.unwrap() {
            debt.entry(item.asset_id)
                .or_default()
                .push(json!({ "severity": item.severity }));
        }
        let mut out: HashMap<Uuid, Vec<Value>> = HashMap::new();
        for edge in &edges {
            out.entry(edge.source_asset_id)
                .or_default()
                .push(json!({ "target": { "name": names.get(&edge.target_asset_id) } }));
        }
        let flows: Vec<Value> = flows
            .iter()
            .map(|flow| {
                let assets: Vec<Value> = per_flow
                    .get(&flow.id)
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        json!({ "node": {
                            "name": a.name,
                            "dependencies": out.remove(&a.id).unwrap_or_default(),
                            "techDebt": debt.remove(&a.id).unwrap_or_default(),
                        } })
                    })
                    .collect();
                json!({ "node": { "assets": { "edges": assets } } })
            })
            .collect();
        axum::Json(json!({ "data": { "flows": { "edges": flows } } }))
    }

    let router = axum::Router::new()
        .route("/nested", axum::routing::get(nested))
        .with_state((server.store.clone(), server.scope));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/nested", listener.local_addr().unwrap());
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

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

async fn subscriptions(server: &Server) {
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
async fn subscribe_clients(url: String, token: String, flows: String, first: usize, count: usize) {
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let [mode, url, token, flows, first, count] = args.as_slice()
        && mode == "subscribe-clients"
    {
        // Two threads, like the server's runtime: a single-threaded client process could not
        // read 5,000 sockets fast enough and measured its own queue (p99 1.6 s at 10,000).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        return runtime.block_on(subscribe_clients(
            url.clone(),
            token.clone(),
            flows.clone(),
            first.parse().unwrap(),
            count.parse().unwrap(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(args));
}

async fn bench(args: Vec<String>) {
    let what = args
        .iter()
        .find(|a| ["pipeline", "latency", "reads", "subscriptions", "all"].contains(&a.as_str()))
        .cloned()
        .unwrap_or_else(|| "all".into());
    let rows = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(10_000);
    // `--database sqlite|postgres`: one backend only, so its memory figures start from a fresh process.
    let only = args
        .iter()
        .position(|a| a == "--database")
        .and_then(|i| args.get(i + 1))
        .cloned();
    for label in ["sqlite", "postgres"] {
        if only.as_deref().is_some_and(|only| only != label) {
            continue;
        }
        let Some(server) = Server::start(label).await else {
            println!("\n(PostgreSQL skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL)");
            continue;
        };
        if what == "pipeline" || what == "all" {
            pipeline(&server, rows).await;
        }
        if what == "latency" || what == "all" {
            latency(&server).await;
        }
        if what == "reads" || what == "all" {
            reads(&server).await;
        }
        if what == "subscriptions" || what == "all" {
            subscriptions(&server).await;
        }
        server.drop_database().await;
    }
}
