//! The server's own health: liveness (`/health`), readiness (`/ready`: the database answers) and
//! Prometheus metrics (`/metrics`). How each agent is doing is `agents::agent_health`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;

/// The process is alive.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers. `rowLevelSecurity` says whether PostgreSQL's policies hold the
/// server's queries (null on SQLite, which has none).
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = state.store.backend();
    match state.store.ping().await {
        Ok(row_security) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": database, "rowLevelSecurity": row_security })),
        ),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": database })),
            )
        }
    }
}

/// Prometheus text: request, phase and agent figures, and gauges sampled now.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let queue_depth = match state.store.queue_depth().await {
        Ok(depth) => Some(depth),
        Err(err) => {
            tracing::warn!(error = %err, "queue depth unavailable for /metrics");
            None
        }
    };
    let body = state.metrics.render(state.workers, queue_depth);
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body).into_response()
}
