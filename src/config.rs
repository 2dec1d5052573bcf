//! Settings, from flags or the environment (clap reads both).

use std::fmt;

pub use crate::orchestrator::worker::WorkerSettings;

/// A secret that never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://flowgraph.db";
/// Large enough for a 100,000-row CMDB export; a larger body is refused before it is read.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// A multipart upload streams to a temporary file and then to the database in chunks, never
/// whole in memory, so it may be far larger than a JSON body: a million-row export is ~100 MB.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: String,
    pub database_url: String,
    /// `None`: `serve` generates a secret for this process and prints a demo token.
    pub jwt_secret: Option<Secret>,
    pub max_body_bytes: usize,
    /// Largest multipart (file upload) request.
    pub max_upload_bytes: usize,
    pub workers: WorkerSettings,
    pub limits: Limits,
    /// `FLOWGRAPH_ENV=production`: a secret is required; introspection and the playground are
    /// off unless `limits` turns them on.
    pub production: bool,
}

/// What a request may ask for. The defaults admit the playground's and the dashboards' real
/// queries with room to spare; hostile ones (deep nesting, alias floods) are refused up front.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_root_fields: usize,
    pub max_aliases: usize,
    pub introspection: bool,
    pub playground: bool,
    /// The operations console at /console (on in every environment: it only uses the public API).
    pub console: bool,
    pub request_timeout: std::time::Duration,
    pub max_subscriptions_per_connection: usize,
    /// Responses a subscription keeps for its slowest subscriber; one that falls further behind
    /// has its connection closed (4008).
    pub subscriber_queue: usize,
    /// How long a websocket write may wait for a peer that does not read before it is dropped.
    pub ws_write_timeout: std::time::Duration,
    /// Origins allowed cross-origin requests; empty: same origin only.
    pub cors_origins: Vec<String>,
    /// Query operations executed at once; the rest wait their turn in arrival order. Mutations
    /// and subscriptions are not counted. See [`default_concurrent_queries`].
    pub max_concurrent_queries: usize,
}

/// Two query executions per core. A nested read holds about 10 MB of futures and values while it
/// runs; 64 of them at once on two cores spent their time on cache and page misses, and served
/// fewer reads per second than 16 did (BENCHMARKS.md, "Reads: two turns per core"). Two per
/// core keeps a core busy while another query waits on the database.
pub fn default_concurrent_queries() -> usize {
    2 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            max_complexity: 2000,
            max_root_fields: 20,
            max_aliases: 50,
            introspection: true,
            playground: true,
            console: true,
            request_timeout: std::time::Duration::from_secs(300),
            max_subscriptions_per_connection: 100,
            subscriber_queue: 256,
            ws_write_timeout: std::time::Duration::from_secs(10),
            cors_origins: Vec::new(),
            max_concurrent_queries: default_concurrent_queries(),
        }
    }
}

impl Settings {
    pub fn new(database_url: impl Into<String>) -> Self {
        Settings {
            addr: DEFAULT_ADDR.into(),
            database_url: database_url.into(),
            jwt_secret: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            workers: WorkerSettings::default(),
            limits: Limits::default(),
            production: false,
        }
    }
}

/// A database URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
