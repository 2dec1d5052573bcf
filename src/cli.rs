//! `flowgraph serve | migrate | migrate-legacy | schema | token | refresh-lifecycle`.

use clap::{Args, Parser, Subcommand};
use uuid::Uuid;

use crate::app::{Application, demo_claims};
use crate::auth::{Claims, JwtKeys};
use crate::config::{
    DEFAULT_ADDR, DEFAULT_DATABASE_URL, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_UPLOAD_BYTES, Limits, Secret, Settings,
    WorkerSettings, redact,
};
use crate::domain::Role;

#[derive(Parser)]
#[command(name = "flowgraph", version, about = "GraphQL server for IT-estate discovery flows")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(DatabaseArgs),
    /// Copy the old services' discovery flows (crewai_flow_state_extensions + discovery_flows) into
    /// this database, then prove it: counts per tenant, every id, checksums. Exits non-zero when the
    /// check fails. Layout read: migrations/legacy/README.md.
    MigrateLegacy(MigrateLegacyArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Print a token signed with FLOWGRAPH_JWT_SECRET.
    Token(TokenArgs),
    /// Rebuild the lifecycle catalogue's copy of endoflife.date (data/endoflife/releases.tsv and
    /// its LICENSE) from a directory of its product pages; the next build embeds it.
    RefreshLifecycle(RefreshLifecycleArgs),
}

#[derive(Args)]
struct RefreshLifecycleArgs {
    /// A snapshot of endoflife.date's product pages (`*.md`, with LICENSE and README.md).
    source: std::path::PathBuf,
    /// Where the project keeps its copy.
    #[arg(long, default_value = "data/endoflife")]
    into: std::path::PathBuf,
}

#[derive(Args, Clone)]
struct DatabaseArgs {
    /// postgres://… or sqlite:…; a SQLite file is created if missing.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[arg(long, env = "FLOWGRAPH_ADDR", default_value = DEFAULT_ADDR)]
    addr: String,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "FLOWGRAPH_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Largest multipart upload (a CMDB export file), in bytes; it streams to disk, not memory.
    #[arg(long, env = "FLOWGRAPH_MAX_UPLOAD_BYTES", default_value_t = DEFAULT_MAX_UPLOAD_BYTES)]
    max_upload_bytes: usize,
    /// Phase workers in this process.
    #[arg(long, env = "FLOWGRAPH_WORKERS", default_value_t = 2)]
    workers: usize,
    /// Seconds a worker's claim on a run lasts without a heartbeat.
    #[arg(long, env = "FLOWGRAPH_LEASE_SECONDS", default_value_t = 30)]
    lease_seconds: u64,
    /// Seconds shutdown waits for running phases before returning them to the queue.
    #[arg(long, env = "FLOWGRAPH_SHUTDOWN_GRACE_SECONDS", default_value_t = 20)]
    shutdown_grace_seconds: u64,
    /// production: requires FLOWGRAPH_JWT_SECRET; introspection and playground off by default.
    #[arg(long = "env", env = "FLOWGRAPH_ENV", value_parser = ["development", "production"], default_value = "development")]
    environment: String,
    /// Deepest selection nesting a query may have.
    #[arg(long, env = "FLOWGRAPH_MAX_DEPTH", default_value_t = Limits::default().max_depth)]
    max_depth: usize,
    /// Largest query complexity (fields counted) accepted.
    #[arg(long, env = "FLOWGRAPH_MAX_COMPLEXITY", default_value_t = Limits::default().max_complexity)]
    max_complexity: usize,
    #[arg(long, env = "FLOWGRAPH_MAX_ROOT_FIELDS", default_value_t = Limits::default().max_root_fields)]
    max_root_fields: usize,
    #[arg(long, env = "FLOWGRAPH_MAX_ALIASES", default_value_t = Limits::default().max_aliases)]
    max_aliases: usize,
    /// Schema introspection (default: on, off in production).
    #[arg(long, env = "FLOWGRAPH_INTROSPECTION")]
    introspection: Option<bool>,
    /// The GraphiQL playground (default: on, off in production).
    #[arg(long, env = "FLOWGRAPH_PLAYGROUND")]
    playground: Option<bool>,
    /// The operations console at /console (on in every environment; it uses only the public API).
    #[arg(long, env = "FLOWGRAPH_CONSOLE", default_value_t = true, action = clap::ArgAction::Set)]
    console: bool,
    #[arg(long, env = "FLOWGRAPH_REQUEST_TIMEOUT_SECONDS", default_value_t = 300)]
    request_timeout_seconds: u64,
    #[arg(long, env = "FLOWGRAPH_MAX_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = Limits::default().max_subscriptions_per_connection)]
    max_subscriptions_per_connection: usize,
    /// Responses a subscription keeps for its slowest subscriber before closing that one's connection.
    #[arg(long, env = "FLOWGRAPH_SUBSCRIBER_QUEUE", default_value_t = Limits::default().subscriber_queue)]
    subscriber_queue: usize,
    /// Seconds a websocket write may wait on a peer that does not read before the connection is dropped.
    #[arg(long, env = "FLOWGRAPH_WS_WRITE_TIMEOUT_SECONDS", default_value_t = 10)]
    ws_write_timeout_seconds: u64,
    /// Query operations executed at once; more wait their turn (default: two per core).
    #[arg(long, env = "FLOWGRAPH_MAX_CONCURRENT_QUERIES", default_value_t = Limits::default().max_concurrent_queries)]
    max_concurrent_queries: usize,
    /// Origins allowed to call the API from a browser, comma-separated (default: none).
    #[arg(long, env = "FLOWGRAPH_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
}

#[derive(Args)]
struct MigrateLegacyArgs {
    /// The old services' PostgreSQL database (postgres://…).
    #[arg(long, env = "FLOWGRAPH_LEGACY_DATABASE_URL")]
    from: String,
    /// The database to migrate into.
    #[command(flatten)]
    database: DatabaseArgs,
    /// Read, validate and report what would be done; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Source rows per batch; each batch is written in one transaction.
    #[arg(long, default_value_t = crate::legacy_migration::DEFAULT_BATCH_SIZE, value_parser = batch_size)]
    batch_size: usize,
}

fn batch_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(size) if (1..=10_000).contains(&size) => Ok(size),
        _ => Err("a number from 1 to 10000".into()),
    }
}

#[derive(Args)]
struct TokenArgs {
    #[arg(long, value_parser = ["viewer", "analyst", "admin"], default_value = "analyst")]
    role: String,
    /// Defaults to the demo tenant.
    #[arg(long)]
    client_account_id: Option<Uuid>,
    /// Restricts the token to one engagement (defaults to the demo engagement with the demo tenant).
    #[arg(long)]
    engagement_id: Option<Uuid>,
    #[arg(long)]
    user_id: Option<Uuid>,
    #[arg(long, default_value_t = 24)]
    hours: i64,
}

/// Variables read outside clap (secrets are not flags: they would show in `ps`).
const OTHER_VARIABLES: &[&str] = &[
    "FLOWGRAPH_JWT_SECRET",
    "RUST_LOG",
    "FLOWGRAPH_LOG_FORMAT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
];

/// Every environment variable the server reads: the deployment files may set only these.
pub fn environment_variables() -> Vec<String> {
    use clap::CommandFactory;
    let command = Cli::command();
    let mut names: Vec<String> = std::iter::once(&command)
        .chain(command.get_subcommands())
        .flat_map(|c| c.get_arguments())
        .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
        .chain(OTHER_VARIABLES.iter().map(|v| v.to_string()))
        .collect();
    names.sort();
    names.dedup();
    names
}

fn jwt_secret() -> Option<Secret> {
    std::env::var("FLOWGRAPH_JWT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .map(Secret::new)
}

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(args)) => {
            let _telemetry = crate::telemetry::init();
            crate::store::connect(&args.database_url).await?;
            println!("migrations applied to {}", redact(&args.database_url));
            Ok(())
        }
        Some(Command::MigrateLegacy(args)) => {
            let _telemetry = crate::telemetry::init();
            let report = crate::legacy_migration::migrate(&crate::legacy_migration::MigrateOptions {
                source_url: args.from,
                target_url: args.database.database_url,
                dry_run: args.dry_run,
                batch_size: args.batch_size,
            })
            .await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_table());
            }
            if !report.integrity_ok {
                anyhow::bail!("migrate-legacy: the integrity check failed (see the report)");
            }
            Ok(())
        }
        Some(Command::RefreshLifecycle(args)) => {
            use crate::agents::tech_debt_analysis::lifecycle_analysis::snapshot::refresh;
            let r = refresh(&args.source, &args.into).map_err(anyhow::Error::msg)?;
            println!(
                "endoflife.date {} ({}): {} products, {} release cycles ({} new, {} gone, {} with changed dates) \
                 written to {}; rebuild to embed them.",
                if r.commit.is_empty() { "snapshot" } else { &r.commit },
                if r.date.is_empty() { "undated" } else { &r.date },
                r.products,
                r.releases,
                r.added,
                r.removed,
                r.changed,
                args.into.display()
            );
            Ok(())
        }
        Some(Command::Schema) => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Some(Command::Token(args)) => {
            let secret = jwt_secret().ok_or_else(|| anyhow::anyhow!("set FLOWGRAPH_JWT_SECRET to sign tokens"))?;
            let role: Role = args.role.parse()?;
            let mut claims = demo_claims(role, args.hours);
            if let Some(account) = args.client_account_id {
                claims = Claims {
                    client_account_id: account,
                    engagement_id: None,
                    ..claims
                };
            }
            claims.engagement_id = args.engagement_id.or(claims.engagement_id);
            claims.sub = args.user_id.unwrap_or(claims.sub);
            println!("{}", JwtKeys::new(secret.expose().as_bytes()).issue(&claims)?);
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let _telemetry = crate::telemetry::init();
    let settings = Settings {
        addr: args.addr,
        database_url: args.database.database_url,
        jwt_secret: jwt_secret(),
        max_body_bytes: args.max_body_bytes,
        max_upload_bytes: args.max_upload_bytes,
        workers: WorkerSettings {
            workers: args.workers,
            lease: std::time::Duration::from_secs(args.lease_seconds.max(3)),
            grace: std::time::Duration::from_secs(args.shutdown_grace_seconds),
        },
        limits: Limits {
            max_depth: args.max_depth,
            max_complexity: args.max_complexity,
            max_root_fields: args.max_root_fields,
            max_aliases: args.max_aliases,
            introspection: args.introspection.unwrap_or(args.environment != "production"),
            playground: args.playground.unwrap_or(args.environment != "production"),
            console: args.console,
            request_timeout: std::time::Duration::from_secs(args.request_timeout_seconds.max(1)),
            max_subscriptions_per_connection: args.max_subscriptions_per_connection,
            subscriber_queue: args.subscriber_queue,
            ws_write_timeout: std::time::Duration::from_secs(args.ws_write_timeout_seconds.max(1)),
            cors_origins: args.cors_origins.into_iter().filter(|o| !o.trim().is_empty()).collect(),
            // At least one turn: `QueryGate::new` sees to it.
            max_concurrent_queries: args.max_concurrent_queries,
        },
        production: args.environment == "production",
    };
    let app = Application::build(&settings).await?;
    let base = format!("http://{}", app.local_addr());
    tracing::info!(addr = %app.local_addr(), database = %redact(&settings.database_url), "flowgraph listening");
    println!("flowgraph is listening on {base}");
    match &app.demo_token {
        Some(token) => {
            println!("No FLOWGRAPH_JWT_SECRET set: generated one for this process.");
            if settings.limits.console {
                println!("Console (token included): {base}/console#token={token}");
            }
            println!("Playground (token included): {base}/playground#token={token}");
            println!("Demo analyst token, valid 24 h and until this process stops:");
            println!("  Authorization: Bearer {token}");
        }
        None => {
            if settings.limits.console {
                println!("Console: {base}/console (mint a token with `flowgraph token`)");
            }
            println!("Playground: {base}/playground (mint a token with `flowgraph token`)");
        }
    }
    app.run().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_variable_is_listed() {
        let names = super::environment_variables();
        for expected in [
            "DATABASE_URL",
            "FLOWGRAPH_ADDR",
            "FLOWGRAPH_WORKERS",
            "FLOWGRAPH_JWT_SECRET",
            "RUST_LOG",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
        }
    }
}
