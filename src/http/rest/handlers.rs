//! Thin handlers: read the caller and the input, call the orchestrator, shape the JSON.

use std::collections::HashSet;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::extract::{ApiError, Caller, FlowId, JsonBody, QueryParams};
use super::views::{
    AssetJson, AssetPageJson, AssetQuery, CreateFlowRequest, DEFAULT_ASSET_LIMIT, ExecuteRequest, FlowAgentsJson,
    FlowJson, LegacyExecuteRequest, LegacyStartRequest, MAX_ASSET_LIMIT, PhaseJson,
};
use crate::auth::RequestContext;
use crate::domain::FlowType;
use crate::http::AppState;
use crate::orchestrator::VALIDATION_STATUSES;
use crate::store::AssetFilter;

type Answer = Result<Response, ApiError>;

async fn create(state: &AppState, ctx: &RequestContext, request: CreateFlowRequest) -> Answer {
    let flow = state.orchestrator.create_flow(ctx, request.into_new_flow()?).await?;
    // A new flow has no runs yet: every phase is pending.
    Ok((StatusCode::CREATED, Json(FlowJson::new(flow, &[]))).into_response())
}

/// One phase (`execute_phase`) or, with `all`, the rest of the flow (`execute_flow`): 202 once
/// queued, 200 with `wait` once stopped.
async fn execute(state: &AppState, ctx: &RequestContext, flow_id: Uuid, request: ExecuteRequest) -> Answer {
    let status = if request.wait {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let orchestrator = &state.orchestrator;
    if request.all {
        if request.phase.is_some() {
            return Err(ApiError::bad_input("give either phase or all: true, not both"));
        }
        let flow = orchestrator.execute_flow(ctx, flow_id, request.wait).await?;
        let runs = orchestrator.phase_runs(ctx, &[flow.id]).await?;
        Ok((status, Json(FlowJson::new(flow, &runs))).into_response())
    } else {
        let view = orchestrator
            .execute_phase(ctx, flow_id, request.phase, request.wait)
            .await?;
        Ok((status, Json(PhaseJson::new(flow_id, view))).into_response())
    }
}

pub async fn create_flow(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    JsonBody(request): JsonBody<CreateFlowRequest>,
) -> Answer {
    create(&state, &ctx, request).await
}

pub async fn execute_flow(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    FlowId(flow_id): FlowId,
    JsonBody(request): JsonBody<ExecuteRequest>,
) -> Answer {
    execute(&state, &ctx, flow_id, request).await
}

pub async fn flow_status(State(state): State<AppState>, Caller(ctx): Caller, FlowId(flow_id): FlowId) -> Answer {
    // Runs first: the flow read after them is never older, so a poller that sees every phase
    // done also sees the flow's final status (a phase's last write commits both at once).
    let runs = state.orchestrator.phase_runs(&ctx, &[flow_id]).await?;
    let flow = state.orchestrator.get_flow(&ctx, flow_id).await?;
    Ok(Json(FlowJson::new(flow, &runs)).into_response())
}

pub async fn flow_assets(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    FlowId(flow_id): FlowId,
    QueryParams(query): QueryParams<AssetQuery>,
) -> Answer {
    let limit = query.limit.unwrap_or(DEFAULT_ASSET_LIMIT);
    if !(1..=MAX_ASSET_LIMIT).contains(&limit) {
        return Err(ApiError::bad_input(format!(
            "limit must be between 1 and {MAX_ASSET_LIMIT}"
        )));
    }
    if let Some(status) = query.validation_status.as_deref()
        && !VALIDATION_STATUSES.contains(&status)
    {
        return Err(ApiError::bad_input(format!("unknown validation_status `{status}`")));
    }
    // An unknown or foreign flow has no assets; it is a 404, as on every other flow route.
    state.orchestrator.get_flow(&ctx, flow_id).await?;
    let filter = AssetFilter {
        asset_type: query.asset_type.map(|t| t.to_lowercase()),
        environment: query.environment.map(|e| e.to_lowercase()),
        validation_status: query.validation_status,
        end_of_life: query.end_of_life,
        search: query.search.filter(|s| !s.is_empty()),
    };
    let page = state
        .orchestrator
        .asset_pages(&ctx, &[flow_id], &filter, query.after.as_deref(), limit)
        .await?;
    let mut assets = page.assets;
    let has_next_page = assets.len() as i64 > limit;
    assets.truncate(limit as usize);
    let next_cursor = assets.last().filter(|_| has_next_page).map(|a| a.source_key.clone());
    let total = page.totals.iter().find(|(f, _)| *f == flow_id).map_or(0, |(_, n)| *n);
    Ok(Json(AssetPageJson {
        assets: assets.into_iter().map(AssetJson::from).collect(),
        total,
        next_cursor,
    })
    .into_response())
}

pub async fn flow_agents(State(state): State<AppState>, Caller(ctx): Caller, FlowId(flow_id): FlowId) -> Answer {
    let orchestrator = &state.orchestrator;
    let flow = orchestrator.get_flow(&ctx, flow_id).await?;
    let stats = orchestrator.agent_stats(&ctx, Some(&[flow.id])).await?;
    let health = orchestrator.agent_health(&ctx, Some(flow.id), &HashSet::new()).await?;
    Ok(Json(FlowAgentsJson::new(&flow, &stats, health)).into_response())
}

/// The old flow service: a discovery flow, whatever `flow_type` says.
pub async fn legacy_discovery_create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    JsonBody(mut request): JsonBody<CreateFlowRequest>,
) -> Answer {
    request.flow_type = FlowType::Discovery;
    create(&state, &ctx, request).await
}

/// The flow id a legacy route's successor link points at (see `deprecated` in `mod.rs`).
#[derive(Debug, Clone, Copy)]
pub struct SuccessorFlowId(pub Uuid);

/// A legacy answer, remembering the body's flow id (when it had one) for the successor link.
fn with_successor(answer: Answer, flow_id: Option<Uuid>) -> Response {
    let mut response = answer.into_response();
    if let Some(id) = flow_id {
        response.extensions_mut().insert(SuccessorFlowId(id));
    }
    response
}

/// The old agent-coordination service: one phase of a flow named in the body. The token is
/// checked before the body, as on the new routes.
pub async fn legacy_crewai_execute(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    body: Result<JsonBody<LegacyExecuteRequest>, ApiError>,
) -> Response {
    let flow_id = body.as_ref().ok().map(|JsonBody(b)| b.flow_id);
    let answer = async {
        let Caller(ctx) = caller?;
        let JsonBody(request) = body?;
        let request_now = ExecuteRequest {
            phase: request.phase,
            wait: request.wait,
            all: false,
        };
        execute(&state, &ctx, request.flow_id, request_now).await
    };
    with_successor(answer.await, flow_id)
}

/// The old execution engine: the whole flow named in the body.
pub async fn legacy_orchestration_start(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
    body: Result<JsonBody<LegacyStartRequest>, ApiError>,
) -> Response {
    let flow_id = body.as_ref().ok().map(|JsonBody(b)| b.flow_id);
    let answer = async {
        let Caller(ctx) = caller?;
        let JsonBody(request) = body?;
        let request_now = ExecuteRequest {
            phase: None,
            wait: request.wait,
            all: true,
        };
        execute(&state, &ctx, request.flow_id, request_now).await
    };
    with_successor(answer.await, flow_id)
}

pub async fn openapi() -> Json<serde_json::Value> {
    Json(super::openapi::document())
}
