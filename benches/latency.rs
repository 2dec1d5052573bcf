//! The `latency` step: sequential createFlow and executePhase calls.

use std::time::Instant;

use serde_json::json;

use super::measure::percentile;
use super::server::Server;

pub async fn latency(server: &Server) {
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
