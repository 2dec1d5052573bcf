//! Builds the whole server from settings: store, orchestrator, schema, router, listener.
//! `main` and the tests start the app the same way.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use tokio::net::TcpListener;

use crate::auth::{Claims, JwtKeys};
use crate::config::Settings;
use crate::domain::Role;
use crate::graphql::{FanOut, QueryGate, build_schema};
use crate::http::{AppState, router};
use crate::metrics::Metrics;
use crate::orchestrator::MasterFlowOrchestrator;
use crate::orchestrator::worker::WorkerPool;
use crate::store::{self, Store};

/// Bytes of kernel send buffer per connection (Linux doubles it for its own bookkeeping).
const SEND_BUFFER: usize = 256 * 1024;

/// The demo tenant the first-run token belongs to; fixed so its flows survive restarts.
pub const DEMO_CLIENT_ACCOUNT: uuid::Uuid = uuid::uuid!("d3e00000-0000-4000-8000-000000000001");
pub const DEMO_ENGAGEMENT: uuid::Uuid = uuid::uuid!("d3e00000-0000-4000-8000-000000000002");
pub const DEMO_USER: uuid::Uuid = uuid::uuid!("d3e00000-0000-4000-8000-000000000003");

pub struct Application {
    listener: TcpListener,
    state: AppState,
    workers: WorkerPool,
    /// Set when the secret was generated for this process: a ready token for the demo tenant.
    pub demo_token: Option<String>,
}

impl Application {
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        if settings.production && settings.jwt_secret.is_none() {
            anyhow::bail!(
                "FLOWGRAPH_ENV=production needs FLOWGRAPH_JWT_SECRET: refusing to start with a throwaway secret"
            );
        }
        let store = store::connect(&settings.database_url)
            .await
            .context("opening the database")?;
        let metrics = Arc::new(Metrics::new());
        let orchestrator = MasterFlowOrchestrator::new(store.clone(), metrics.clone());
        let (keys, demo_token) = match &settings.jwt_secret {
            Some(secret) => (JwtKeys::new(secret.expose().as_bytes()), None),
            None => {
                let keys = JwtKeys::new(JwtKeys::generate_secret().as_bytes());
                let token = keys.issue(&demo_claims(Role::Analyst, 24))?;
                (keys, Some(token))
            }
        };
        let listener = TcpListener::bind(&settings.addr)
            .await
            .with_context(|| format!("binding {}", settings.addr))?;
        let workers = WorkerPool::start(orchestrator.clone(), settings.workers);
        let schema = build_schema(orchestrator.clone(), &settings.limits);
        let queries = Arc::new(QueryGate::new(settings.limits.max_concurrent_queries, metrics.clone()));
        let subscriptions = FanOut::new(
            schema.clone(),
            orchestrator.clone(),
            metrics.clone(),
            queries.clone(),
            settings.limits.subscriber_queue,
        );
        let state = AppState {
            schema,
            subscriptions,
            limits: Arc::new(settings.limits.clone()),
            queries,
            orchestrator,
            keys: Arc::new(keys),
            store,
            metrics,
            workers: settings.workers.workers,
            max_body_bytes: settings.max_body_bytes,
            max_upload_bytes: settings.max_upload_bytes,
        };
        Ok(Application {
            listener,
            state,
            workers,
            demo_token,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    /// Serves until SIGTERM or SIGINT: then stops accepting, lets requests finish, and gives the
    /// workers their grace period (see `WorkerPool::shutdown`).
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let orchestrator = self.state.orchestrator.clone();
        let stop = async move {
            stop.await;
            // Subscriptions end and their sockets close with a proper frame.
            orchestrator.stop_watchers();
        };
        let listener = self.listener.tap_io(|stream| {
            // No Nagle delay: a response's or a websocket event's last small segment would
            // otherwise wait for the peer's delayed ACK (tens of ms on loopback).
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "cannot set TCP_NODELAY");
            }
            // A fixed send buffer: left to autotuning, the kernel lets one socket buffer 4 MB for
            // a peer that stopped reading, so 10,000 stalled subscribers could pin 40 GB. With
            // this one a stalled websocket is noticed after a few hundred KB and closed (`http/ws.rs`).
            if let Err(err) = socket2::SockRef::from(&*stream).set_send_buffer_size(SEND_BUFFER) {
                tracing::debug!(error = %err, "cannot set SO_SNDBUF");
            }
        });
        let served = axum::serve(listener, router(self.state))
            .with_graceful_shutdown(stop)
            .await;
        self.workers.shutdown().await;
        served
    }
}

/// Claims for the demo tenant, valid for `hours`.
pub fn demo_claims(role: Role, hours: i64) -> Claims {
    Claims {
        sub: DEMO_USER,
        client_account_id: DEMO_CLIENT_ACCOUNT,
        engagement_id: Some(DEMO_ENGAGEMENT),
        role,
        exp: chrono::Utc::now().timestamp() + hours * 3600,
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
