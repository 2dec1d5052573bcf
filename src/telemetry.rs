//! Logging: `RUST_LOG` filters (default `info`), `FLOWGRAPH_LOG_FORMAT=json` for machine-read logs.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let json = std::env::var("FLOWGRAPH_LOG_FORMAT").is_ok_and(|f| f == "json");
    // try_init: tests start many servers in one process.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
