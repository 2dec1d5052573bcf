//! The `reads` step: the nested read (flows, assets, dependencies, tech debt) under load, beside
//! its ceiling (the same store calls in a plain axum handler) and, on PostgreSQL, PostGraphile.

use serde_json::{Value, json};
use uuid::Uuid;

use super::measure::{load, percentile};
use super::postgraphile;
use super::server::Server;

pub async fn reads(server: &Server) {
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
