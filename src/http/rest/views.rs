//! The JSON the REST routes speak: snake_case fields as the old services had them, names
//! (`flow_type`, `status`, phases) lower-case as stored, ids as UUID strings. Every field is
//! always present (`null` when unset), as the OpenAPI schemas in `openapi.rs` list them; the
//! API tests hold the two together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::agents::REGISTRY;
use crate::agents::agent_health::{AgentHealthReport, Health};
use crate::domain::{FlowStatus, FlowType, PhaseName, PhaseStatus};
use crate::orchestrator::{NewFlow, PhaseView, RawInput, phase_views};
use crate::store::{AgentStatRecord, AssetRecord, FlowRecord, PhaseRunRecord};

use super::extract::ApiError;

fn discovery() -> FlowType {
    FlowType::Discovery
}

/// `POST /api/v1/flows/create`. camelCase spellings are accepted too.
#[derive(Debug, Deserialize)]
pub struct CreateFlowRequest {
    #[serde(default = "discovery", alias = "flowType")]
    pub flow_type: FlowType,
    pub name: String,
    #[serde(default, alias = "engagementId")]
    pub engagement_id: Option<Uuid>,
    #[serde(default)]
    pub csv: Option<String>,
    #[serde(default, alias = "rawData")]
    pub raw_data: Option<Value>,
    #[serde(default)]
    pub configuration: Option<Value>,
    #[serde(default, alias = "masterFlowId")]
    pub master_flow_id: Option<Uuid>,
}

impl CreateFlowRequest {
    pub fn into_new_flow(self) -> Result<NewFlow, ApiError> {
        let raw = match (self.csv, self.raw_data) {
            (None, None) => None,
            (Some(csv), None) => Some(RawInput::Csv(csv)),
            (None, Some(records @ Value::Array(_))) => Some(RawInput::Records(records)),
            (None, Some(_)) => return Err(ApiError::bad_input("raw_data must be a JSON array of objects")),
            (Some(_), Some(_)) => return Err(ApiError::bad_input("give either csv or raw_data, not both")),
        };
        Ok(NewFlow {
            flow_type: self.flow_type,
            name: self.name,
            engagement_id: self.engagement_id,
            raw,
            configuration: self.configuration,
            master_flow_id: self.master_flow_id,
        })
    }
}

/// `POST /api/v1/flows/{flow_id}/execute`; every field optional, and so is the body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExecuteRequest {
    /// The phase to run; the next one when absent.
    pub phase: Option<PhaseName>,
    /// Answer once the phase (or flow) has stopped, instead of once it is queued.
    pub wait: bool,
    /// Run every remaining phase in order (`execute_flow`).
    pub all: bool,
}

/// The old agent-coordination service's `POST /api/v1/crewai/flows/execute`.
#[derive(Debug, Deserialize)]
pub struct LegacyExecuteRequest {
    #[serde(alias = "flowId")]
    pub flow_id: Uuid,
    #[serde(default)]
    pub phase: Option<PhaseName>,
    #[serde(default)]
    pub wait: bool,
}

/// The old execution engine's `POST /api/v1/orchestration/flows/start`.
#[derive(Debug, Deserialize)]
pub struct LegacyStartRequest {
    #[serde(alias = "flowId")]
    pub flow_id: Uuid,
    #[serde(default)]
    pub wait: bool,
}

#[derive(Debug, Serialize)]
pub struct PhaseJson {
    pub flow_id: Uuid,
    pub phase: PhaseName,
    pub status: PhaseStatus,
    pub attempt: i32,
    pub progress: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub result: Option<Value>,
    pub error: Option<String>,
}

impl PhaseJson {
    pub fn new(flow_id: Uuid, view: PhaseView) -> Self {
        let duration_ms = view
            .started_at
            .zip(view.completed_at)
            .map(|(start, end)| (end - start).num_milliseconds());
        PhaseJson {
            flow_id,
            phase: view.name,
            status: view.status,
            attempt: view.attempt,
            progress: view.progress,
            started_at: view.started_at,
            completed_at: view.completed_at,
            duration_ms,
            result: view.result,
            error: view.error,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct FlowJson {
    pub id: Uuid,
    pub flow_id: String,
    pub flow_type: FlowType,
    pub name: String,
    pub status: FlowStatus,
    pub current_phase: Option<PhaseName>,
    pub progress_percentage: i32,
    pub phases: Vec<PhaseJson>,
    pub phases_completed: Vec<PhaseName>,
    pub client_account_id: Uuid,
    pub engagement_id: Uuid,
    pub user_id: Uuid,
    pub master_flow_id: Option<Uuid>,
    pub configuration: Value,
    pub flow_state: Value,
    pub quality_scores: Value,
    pub performance_metrics: Value,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl FlowJson {
    /// The flow with every phase of its type: the latest run, or pending.
    pub fn new(flow: FlowRecord, runs: &[PhaseRunRecord]) -> Self {
        let phases = phase_views(&flow, runs)
            .into_iter()
            .map(|view| PhaseJson::new(flow.id, view))
            .collect();
        FlowJson {
            id: flow.id,
            flow_id: flow.flow_id,
            flow_type: flow.flow_type,
            name: flow.name,
            status: flow.status,
            current_phase: flow.current_phase,
            progress_percentage: flow.progress_percentage,
            phases,
            phases_completed: flow.phases_completed.0,
            client_account_id: flow.client_account_id,
            engagement_id: flow.engagement_id,
            user_id: flow.user_id,
            master_flow_id: flow.master_flow_id,
            configuration: flow.flow_configuration.0,
            flow_state: flow.flow_state.0,
            quality_scores: flow.quality_scores.0,
            performance_metrics: flow.performance_metrics.0,
            version: flow.version,
            created_at: flow.created_at,
            updated_at: flow.updated_at,
            completed_at: flow.completed_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AssetJson {
    pub id: Uuid,
    pub flow_id: Uuid,
    pub source_key: String,
    pub name: String,
    pub asset_type: String,
    pub hostname: Option<String>,
    pub fqdn: Option<String>,
    pub ip_address: Option<String>,
    pub operating_system: Option<String>,
    pub os_version: Option<String>,
    pub environment: Option<String>,
    pub application: Option<String>,
    pub cpu_cores: Option<i64>,
    pub memory_gb: Option<f64>,
    pub storage_gb: Option<f64>,
    pub owner: Option<String>,
    pub business_criticality: Option<String>,
    pub location: Option<String>,
    pub depends_on: Vec<String>,
    pub attributes: Value,
    pub source_rows: Vec<i64>,
    pub quality_score: Option<f64>,
    pub validation_status: String,
    pub validation_note: Option<String>,
    pub six_r_strategy: Option<String>,
    pub six_r_rationale: Option<String>,
    pub risk_score: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<AssetRecord> for AssetJson {
    fn from(a: AssetRecord) -> Self {
        AssetJson {
            id: a.id,
            flow_id: a.flow_id,
            source_key: a.source_key,
            name: a.name,
            asset_type: a.asset_type,
            hostname: a.hostname,
            fqdn: a.fqdn,
            ip_address: a.ip_address,
            operating_system: a.operating_system,
            os_version: a.os_version,
            environment: a.environment,
            application: a.application,
            cpu_cores: a.cpu_cores,
            memory_gb: a.memory_gb,
            storage_gb: a.storage_gb,
            owner: a.owner,
            business_criticality: a.business_criticality,
            location: a.location,
            depends_on: a.depends_on.0,
            attributes: a.attributes.0,
            source_rows: a.source_rows.0,
            quality_score: a.quality_score,
            validation_status: a.validation_status,
            validation_note: a.validation_note,
            six_r_strategy: a.six_r_strategy,
            six_r_rationale: a.six_r_rationale,
            risk_score: a.risk_score,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// `GET /api/v1/flows/{flow_id}/assets`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssetQuery {
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    pub asset_type: Option<String>,
    pub environment: Option<String>,
    pub validation_status: Option<String>,
    pub end_of_life: Option<bool>,
    pub search: Option<String>,
}

pub const DEFAULT_ASSET_LIMIT: i64 = 50;
pub const MAX_ASSET_LIMIT: i64 = 1000;

#[derive(Debug, Serialize)]
pub struct AssetPageJson {
    pub assets: Vec<AssetJson>,
    /// Assets matching the filters, over every page.
    pub total: i64,
    /// Pass as `after` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AgentHealthJson {
    /// healthy, degraded or unhealthy.
    pub status: &'static str,
    pub probe_ok: bool,
    pub last_active_at: Option<DateTime<Utc>>,
    pub tasks_completed: i64,
    pub failures: i64,
    pub success_rate: f64,
    pub avg_response_ms: f64,
    pub p95_response_ms: f64,
    pub reasons: Vec<String>,
}

impl From<AgentHealthReport> for AgentHealthJson {
    fn from(r: AgentHealthReport) -> Self {
        AgentHealthJson {
            status: match r.health {
                Health::Healthy => "healthy",
                Health::Degraded => "degraded",
                Health::Unhealthy => "unhealthy",
            },
            probe_ok: r.probe_ok,
            last_active_at: r.last_active_at,
            tasks_completed: r.tasks_completed,
            failures: r.failures,
            success_rate: r.success_rate,
            avg_response_ms: r.avg_response_ms,
            p95_response_ms: r.p95_response_ms,
            reasons: r.reasons,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AgentJson {
    pub name: &'static str,
    pub role: &'static str,
    pub phases: Vec<PhaseName>,
    /// The agent's tasks on this flow, ever.
    pub tasks_completed: i64,
    pub success_rate: f64,
    pub avg_response_ms: f64,
    /// Judged on this flow's tasks of the last day and the agent's self-test.
    pub health: AgentHealthJson,
}

#[derive(Debug, Serialize)]
pub struct FlowAgentsJson {
    pub flow_id: Uuid,
    pub agents: Vec<AgentJson>,
}

impl FlowAgentsJson {
    /// The registry's agents that serve a phase of the flow's type, with their task figures on
    /// the flow and their health.
    pub fn new(flow: &FlowRecord, stats: &[AgentStatRecord], health: Vec<AgentHealthReport>) -> Self {
        let phases = flow.flow_type.phases();
        let mut health = health;
        let agents = REGISTRY
            .iter()
            .filter(|spec| spec.phases.iter().any(|p| phases.contains(p)))
            .filter_map(|spec| {
                let report = health.iter().position(|h| h.name == spec.name)?;
                let report = health.swap_remove(report);
                let mine = stats.iter().filter(|s| s.agent == spec.name);
                let (tasks, successes, total_ms) = mine.fold((0, 0, 0.0), |(t, s, ms), r| {
                    (t + r.tasks, s + r.successes, ms + r.avg_ms * r.tasks as f64)
                });
                Some(AgentJson {
                    name: spec.name,
                    role: spec.role,
                    phases: spec.phases.to_vec(),
                    tasks_completed: tasks,
                    success_rate: if tasks == 0 {
                        1.0
                    } else {
                        successes as f64 / tasks as f64
                    },
                    avg_response_ms: if tasks == 0 { 0.0 } else { total_ms / tasks as f64 },
                    health: report.into(),
                })
            })
            .collect();
        FlowAgentsJson {
            flow_id: flow.id,
            agents,
        }
    }
}
