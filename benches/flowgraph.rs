//! flowgraph's benchmark: prints tables, asserts nothing (targets live in BENCHMARKS.md).
//!
//!   cargo bench --bench flowgraph -- [pipeline|latency|reads|subscriptions|all] [--rows N] [--workbook]
//!                                      [--database sqlite|postgres]
//!
//! The real server runs in this process on a free port; the client speaks HTTP to it. SQLite
//! always; PostgreSQL too when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, in a fresh
//! database that is dropped afterwards.

mod latency;
mod measure;
mod pipeline;
mod postgraphile;
mod reads;
mod server;
mod subscriptions;

use server::Server;

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
        return runtime.block_on(subscriptions::subscribe_clients(
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
            // `--workbook`: the same rows uploaded as an .xlsx instead of CSV.
            pipeline::pipeline(&server, rows, args.iter().any(|a| a == "--workbook")).await;
        }
        if what == "latency" || what == "all" {
            latency::latency(&server).await;
        }
        if what == "reads" || what == "all" {
            reads::reads(&server).await;
        }
        if what == "subscriptions" || what == "all" {
            subscriptions::subscriptions(&server).await;
        }
        server.drop_database().await;
    }
}
