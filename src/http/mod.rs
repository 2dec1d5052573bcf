//! The axum router: /graphql, /graphql/ws, /playground, /console, /health, /ready, /metrics, the REST
//! compatibility routes under /api/v1, with request ids and tracing.

mod graphql;
mod pages;
pub mod rest;
mod server_health;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::JwtKeys;
use crate::config::Limits;
use crate::graphql::{FanOut, FlowgraphSchema, QueryGate};
use crate::metrics::Metrics;
use crate::orchestrator::MasterFlowOrchestrator;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub schema: FlowgraphSchema,
    /// The websockets' executor: one execution per group of identical subscribers.
    pub subscriptions: FanOut,
    pub keys: Arc<JwtKeys>,
    pub store: Arc<dyn Store>,
    pub orchestrator: Arc<MasterFlowOrchestrator>,
    pub metrics: Arc<Metrics>,
    /// Workers in this process (a gauge on /metrics).
    pub workers: usize,
    pub max_body_bytes: usize,
    pub max_upload_bytes: usize,
    pub limits: Arc<Limits>,
    /// Turns for query operations (`Limits::max_concurrent_queries`).
    pub queries: Arc<QueryGate>,
}

/// Cross-origin requests only from the configured origins (none: same origin only).
fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
}

/// GET /graphql: a websocket upgrade for subscriptions, otherwise the playground (when enabled).
async fn graphql_get(State(state): State<AppState>, request: Request<Body>) -> Response {
    let upgrade = request.headers().get(header::UPGRADE).and_then(|v| v.to_str().ok());
    if !upgrade.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        if !state.limits.playground {
            return (
                axum::http::StatusCode::NOT_FOUND,
                "the playground is off (FLOWGRAPH_PLAYGROUND)",
            )
                .into_response();
        }
        return pages::playground_page(request).await;
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
    let limits = state.limits.clone();
    let routes = Router::new()
        .route("/graphql", get(graphql_get).post(graphql::execute))
        .route("/graphql/ws", get(subscriptions))
        .route("/health", get(server_health::health))
        .route("/ready", get(server_health::ready))
        .route("/metrics", get(server_health::metrics))
        .merge(rest::router());
    let mut routes = routes.with_state(state);
    // Static pages with their own caching and security headers (pages.rs). The console only calls
    // the public API, so production keeps it (FLOWGRAPH_CONSOLE=false hides it).
    if limits.console {
        routes = routes.merge(pages::console());
    }
    if limits.playground {
        routes = routes.merge(pages::playground());
    }
    routes
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::GATEWAY_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(cors(&limits.cors_origins))
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
