//! PostGraphile beside flowgraph in the nested read (`reads`): the npm project in
//! benches/postgraphile/ started on the bench's own PostgreSQL database, read-only, as the
//! server's role `flowgraph_app` under the same tenant, so row-level security applies to it too.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection;

use super::measure::{load, percentile};
use super::server::Server;

/// flowgraph's nested read in PostGraphile's generated names, with the store's order (flows by
/// id descending, live ones; assets by source key) so both take the same first 20 and 50.
const QUERY: &str = "{ allUnifiedFlowStates(first: 20, orderBy: ID_DESC, condition: { deletedAt: null }) { nodes { \
    assetsByFlowId(first: 50, orderBy: SOURCE_KEY_ASC) { nodes { name \
    assetDependenciesBySourceAssetId { nodes { assetByTargetAssetId { name } } } \
    techDebtItemsByAssetId { nodes { severity } } } } } } }";

/// A running PostGraphile (killed on drop), or none when it was skipped.
pub struct PostGraphile {
    running: Option<(tokio::process::Child, String)>,
    http: reqwest::Client,
}

impl PostGraphile {
    /// Starts PostGraphile on `server`'s database and checks that it answers `flowgraph`'s data
    /// (the nested read's answer). Prints why when it cannot run and carries on without it.
    pub async fn start(server: &Server, flowgraph: &Value) -> PostGraphile {
        let http = reqwest::Client::new();
        let running = if server.label != "postgres" {
            None
        } else {
            match spawn(server, &http).await {
                Ok(running) => Some(running),
                Err(why) => {
                    println!("(PostGraphile skipped: {why})");
                    None
                }
            }
        };
        let postgraphile = PostGraphile { running, http };
        if postgraphile.running.is_some() {
            let answer = postgraphile.query().await;
            let (ours, theirs) = (flowgraph_flows(flowgraph), postgraphile_flows(&answer));
            assert_eq!(
                ours, theirs,
                "PostGraphile answers the same flows, assets, edges and findings"
            );
            let assets = ours.iter().flatten();
            println!(
                "PostGraphile {}: the same {} flows, {} assets, {} edges, {} findings as flowgraph",
                version(),
                ours.len(),
                assets.clone().count(),
                assets.clone().map(|a| a.1.len()).sum::<usize>(),
                assets.map(|a| a.2.len()).sum::<usize>()
            );
        }
        postgraphile
    }

    /// The table's extra header cells (none when skipped).
    pub fn header(&self) -> (&'static str, &'static str) {
        match self.running {
            Some(_) => (" PostGraphile req/s | p50 / p99 ms |", "---:|---:|"),
            None => ("", ""),
        }
    }

    /// Ten reads before measuring.
    pub async fn warm_up(&self) {
        if self.running.is_some() {
            for _ in 0..10 {
                self.query().await;
            }
        }
    }

    /// The nested read at `concurrency` for 3 s: the row's extra cells (none when skipped).
    pub async fn cells(&self, concurrency: usize) -> String {
        if self.running.is_none() {
            return String::new();
        }
        let (rate, times) = load(concurrency, || async {
            self.query().await;
        })
        .await;
        format!(
            " {rate:.0} | {:.1} / {:.1} |",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        )
    }

    async fn query(&self) -> Value {
        let (_, url) = self.running.as_ref().expect("PostGraphile runs");
        let response: Value = self
            .http
            .post(url)
            .json(&json!({ "query": QUERY }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(response.get("errors").is_none(), "{response}");
        response["data"].clone()
    }
}

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/postgraphile");

/// The installed PostGraphile's version.
fn version() -> String {
    let package = std::fs::read_to_string(format!("{DIR}/node_modules/postgraphile/package.json")).unwrap_or_default();
    let package: Value = serde_json::from_str(&package).unwrap_or_default();
    package["version"].as_str().unwrap_or("?").to_owned()
}

/// Installs the npm project if needed, starts PostGraphile on a free port and waits until it
/// answers: the child and its /graphql URL.
async fn spawn(server: &Server, http: &reqwest::Client) -> Result<(tokio::process::Child, String), String> {
    if !std::path::Path::new(DIR).join("node_modules").exists() {
        let status = tokio::process::Command::new("npm")
            .args(["ci", "--prefix", DIR, "--no-audit", "--no-fund", "--loglevel=error"])
            .status()
            .await
            .map_err(|e| format!("npm: {e}"))?;
        if !status.success() {
            return Err(format!("npm ci failed ({status})"));
        }
    }
    // PostGraphile names relations after foreign keys; assets no longer have one to their flow
    // (migration 0008), so a smart comment declares it for PostGraphile alone.
    let mut admin = sqlx::PgConnection::connect(&server.url)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    sqlx::raw_sql("COMMENT ON TABLE assets IS E'@foreignKey (flow_id) references unified_flow_states (id)'")
        .execute(&mut admin)
        .await
        .map_err(|e| format!("comment: {e}"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The connection itself is read-only and carries the tenant for the row-level security
    // policies (a session setting, where flowgraph sets it per transaction); every request's
    // transaction switches to the server's role, which the policies bind (a superuser bypasses them).
    let options = format!(
        "options=-c%20default_transaction_read_only%3Don%20-c%20flowgraph.client_account_id%3D{}",
        server.scope.client_account_id
    );
    let separator = if server.url.contains('?') { '&' } else { '?' };
    let mut child = tokio::process::Command::new("node")
        .arg(format!("{DIR}/node_modules/postgraphile/cli.js"))
        .args(["--connection", &format!("{}{separator}{options}", server.url)])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        // No mutations: neither the generated CRUD ones nor flowgraph_analyze() as a mutation.
        .args([
            "--disable-default-mutations",
            "--skip-plugins",
            "graphile-build-pg:PgMutationProceduresPlugin",
        ])
        .args(["--default-role", "flowgraph_app"])
        // flowgraph's pool size; the query log would print a line per request.
        .args(["--max-pool-size", "16", "--disable-query-log"])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("node: {e}"))?;
    let url = format!("http://127.0.0.1:{port}/graphql");
    for _ in 0..300 {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("PostGraphile exited ({status}); its stderr is above"));
        }
        let probe = http.post(&url).json(&json!({ "query": "{ __typename }" })).send().await;
        if probe.is_ok_and(|r| r.status().is_success()) {
            return Ok((child, url));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("PostGraphile did not answer within 30 s".into())
}

/// One asset: its name, its dependencies' target names and its findings' severities, sorted.
type Asset = (String, Vec<String>, Vec<String>);

/// Each flow's assets, flows and assets sorted: the values both answers must agree on whatever
/// their shapes and orders.
fn flows<'a>(flows: impl Iterator<Item = &'a Value>, asset: impl Fn(&'a Value) -> Asset) -> Vec<Vec<Asset>> {
    let mut flows: Vec<Vec<Asset>> = flows
        .map(|assets| {
            let mut assets: Vec<Asset> = items(assets, "").map(&asset).collect();
            assets.sort();
            assets
        })
        .collect();
    flows.sort();
    flows
}

fn items<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    value.pointer(pointer).and_then(Value::as_array).into_iter().flatten()
}

fn asset(node: &Value, edges: &str, target: &str, findings: &str) -> Asset {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut targets: Vec<String> = items(node, edges).map(|e| text(e.pointer(target))).collect();
    let mut severities: Vec<String> = items(node, findings).map(|f| text(f.get("severity"))).collect();
    targets.sort();
    severities.sort();
    (text(node.get("name")), targets, severities)
}

fn flowgraph_flows(data: &Value) -> Vec<Vec<Asset>> {
    flows(
        items(data, "/flows/edges").filter_map(|f| f.pointer("/node/assets/edges")),
        |a| asset(&a["node"], "/dependencies", "/target/name", "/techDebt"),
    )
}

fn postgraphile_flows(data: &Value) -> Vec<Vec<Asset>> {
    flows(
        items(data, "/allUnifiedFlowStates/nodes").filter_map(|f| f.pointer("/assetsByFlowId/nodes")),
        |a| {
            asset(
                a,
                "/assetDependenciesBySourceAssetId/nodes",
                "/assetByTargetAssetId/name",
                "/techDebtItemsByAssetId/nodes",
            )
        },
    )
}
