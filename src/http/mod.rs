//! The axum router: /graphql, /graphql/ws, /playground, /health, /ready, /metrics, with request ids
//! and tracing.

mod graphql;
mod health;
mod playground;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::JwtKeys;
use crate::graphql::FlowgraphSchema;
use crate::metrics::Metrics;
use crate::orchestrator::MasterFlowOrchestrator;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub schema: FlowgraphSchema,
    pub keys: Arc<JwtKeys>,
    pub store: Arc<dyn Store>,
    pub orchestrator: Arc<MasterFlowOrchestrator>,
    pub metrics: Arc<Metrics>,
    /// Workers in this process (a gauge on /metrics).
    pub workers: usize,
    pub max_body_bytes: usize,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(playground::index).post(graphql::execute))
        .route("/playground", get(playground::index))
        .route("/playground/assets/{file}", get(playground::asset))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .with_state(state)
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
