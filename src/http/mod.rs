//! The axum router: /graphql, /graphql/ws, /playground, /health, /ready, /metrics, the REST
//! compatibility routes under /api/v1, with request ids and tracing.

mod graphql;
mod health;
mod playground;
pub mod rest;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, HeaderName, Request, header};
use axum::response::{IntoResponse, Response};
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

/// GET /graphql: a websocket upgrade for subscriptions, otherwise the playground.
async fn graphql_get(State(state): State<AppState>, request: Request<Body>) -> Response {
    let upgrade = request.headers().get(header::UPGRADE).and_then(|v| v.to_str().ok());
    if !upgrade.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return playground::index().await.into_response();
    }
    let (mut parts, _) = request.into_parts();
    match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => ws::upgrade(state, parts.headers, upgrade).await,
        Err(rejection) => rejection.into_response(),
    }
}

async fn subscriptions(State(state): State<AppState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    ws::upgrade(state, headers, upgrade).await
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql::execute))
        .route("/graphql/ws", get(subscriptions))
        .route("/playground", get(playground::index))
        .route("/playground/assets/{file}", get(playground::asset))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .merge(rest::router())
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
