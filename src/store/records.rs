//! Rows as the store reads and writes them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::{FlowStatus, FlowType, PhaseName, PhaseStatus};

/// A row of `unified_flow_states`, without `raw_data` (read on its own: it can be large).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlowRecord {
    pub id: Uuid,
    pub flow_id: String,
    pub flow_type: FlowType,
    pub master_flow_id: Option<Uuid>,
    pub client_account_id: Uuid,
    pub engagement_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub status: FlowStatus,
    pub current_phase: Option<PhaseName>,
    pub flow_configuration: Json<Value>,
    pub flow_state: Json<Value>,
    pub phases_completed: Json<Vec<PhaseName>>,
    pub progress_percentage: i32,
    pub data_import_id: Option<Uuid>,
    pub performance_metrics: Json<Value>,
    pub quality_scores: Json<Value>,
    /// Set by executeFlow: each finished phase queues the next.
    pub auto_advance: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A row of `flow_phase_runs`: one attempt at one phase.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhaseRunRecord {
    pub id: Uuid,
    pub flow_id: Uuid,
    pub client_account_id: Uuid,
    pub engagement_id: Uuid,
    pub phase: PhaseName,
    pub status: PhaseStatus,
    pub attempt: i32,
    pub progress: i32,
    pub requested_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub result: Option<Json<Value>>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: Uuid,
    pub flow_id: Uuid,
    pub client_account_id: Uuid,
    pub engagement_id: Uuid,
    pub user_id: Uuid,
    pub action: String,
    pub details: Json<Value>,
    pub created_at: DateTime<Utc>,
}

/// One imported source row, numbered in source order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImportRecord {
    pub row_number: i64,
    pub line_number: i64,
    pub data: Json<Value>,
}

#[derive(Debug, Clone, Default)]
pub struct FlowFilter {
    pub flow_type: Option<FlowType>,
    pub status: Option<FlowStatus>,
    pub engagement_id: Option<Uuid>,
}

/// Keyset pagination, newest first: flow ids are UUIDv7, so their order is creation order.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub after: Option<Uuid>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct FlowPage {
    pub flows: Vec<FlowRecord>,
    pub has_next_page: bool,
    pub total_count: i64,
}

/// What a phase produced, written with the phase run that produced it. Every variant replaces
/// the previous run's output, so running a phase twice gives the same rows.
#[derive(Debug, Clone)]
pub enum PhaseOutput {
    ImportRecords(Vec<ImportRecord>),
    FieldMappings(Vec<FieldMappingRecord>),
    /// Approval: each (source field, target, confidence, agent) becomes `approved`.
    ApprovedMappings(Vec<FieldMappingRecord>),
    CleansedRecords(Vec<CleansedRecord>),
    /// Records deduplication folded together: the rows at `removed` positions give way to the
    /// merged `records`.
    CleansedMerges {
        removed: Vec<i32>,
        records: Vec<CleansedRecord>,
    },
    /// Upserted by (flow, source key), keeping ids and validation (a batch of the inventory).
    Assets(Vec<AssetRecord>),
    /// The last step of an inventory written in batches: assets an older run left are deleted.
    SweepAssets {
        inventory_run: Uuid,
    },
    Dependencies(Vec<DependencyRecord>),
    TechDebt {
        items: Vec<TechDebtRecord>,
        strategies: Vec<AssetStrategy>,
    },
    /// Replaces the flow's results of one kind.
    Results {
        kind: &'static str,
        rows: Vec<FlowResultRecord>,
    },
    /// Collection answers: the answered questions (upserted) and the values written to assets.
    Answers {
        questions: Vec<FlowResultRecord>,
        assets: Vec<AssetAnswer>,
    },
}

/// One batch of a phase that writes its output as it goes (see `Store::write_batch`).
#[derive(Debug)]
pub struct PhaseBatch<'a> {
    pub flow: &'a FlowRecord,
    pub run: &'a PhaseRunRecord,
    pub lease_owner: &'a str,
    /// The first batch replaces what an earlier attempt wrote; later ones append.
    pub replace: bool,
    pub output: &'a PhaseOutput,
    /// The run's progress, 0 to 99.
    pub progress: i32,
    pub events: &'a [EventPayload],
    /// When set, the batch writes its output but waits for this before it takes the run's lease
    /// row and commits: the batch before it has committed (see `Store::batch_writers`).
    pub turn: Option<&'a tokio::sync::Notify>,
}

/// A row of `flow_results`: an application, wave, gap or question, as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FlowResultRecord {
    pub flow_id: Uuid,
    pub kind: String,
    pub key: String,
    pub position: i32,
    pub data: Json<Value>,
}

/// Canonical attribute values a person supplied for an asset (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct AssetAnswer {
    pub asset_id: Uuid,
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
}

/// One unit of work on a flow: the new flow row, optionally a phase run to insert or update
/// and that phase's output, and the audit event that records it.
#[derive(Debug)]
pub struct FlowChange<'a> {
    pub flow: &'a FlowRecord,
    /// A run to insert, or to update when it exists.
    pub run: Option<&'a PhaseRunRecord>,
    /// When set, `run` is finished by the worker holding this lease: if another worker has
    /// reclaimed it meanwhile, the write is refused (`StoreError::LeaseLost`).
    pub lease_owner: Option<&'a str>,
    /// The next phase's run, queued in the same transaction (a flow that runs on by itself).
    pub next_run: Option<&'a PhaseRunRecord>,
    pub output: Option<&'a PhaseOutput>,
    pub agent_tasks: &'a [AgentTaskRecord],
    pub audit: Option<&'a AuditRecord>,
    /// More audit events of the same change (one per answer, say).
    pub more_audits: &'a [AuditRecord],
    /// Appended to the flow's event log with the next sequence numbers.
    pub events: &'a [EventPayload],
}

impl<'a> FlowChange<'a> {
    /// Just the flow row; set the other fields with struct update syntax.
    pub fn new(flow: &'a FlowRecord) -> Self {
        FlowChange {
            flow,
            run: None,
            lease_owner: None,
            next_run: None,
            output: None,
            agent_tasks: &[],
            audit: None,
            more_audits: &[],
            events: &[],
        }
    }
}

/// What happened to a flow, as stored in `flow_events` and sent to subscribers. Events carry
/// ids and figures, never tenant data beyond the flow they belong to.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventPayload {
    Flow {
        status: FlowStatus,
        current_phase: Option<PhaseName>,
        progress_percentage: i32,
    },
    Phase {
        phase: PhaseName,
        status: PhaseStatus,
        progress: i32,
        attempt: i32,
        message: Option<String>,
    },
    Agent {
        agent: String,
        phase: PhaseName,
        running: bool,
        success: Option<bool>,
        duration_ms: Option<f64>,
    },
}

impl EventPayload {
    pub fn kind(&self) -> &'static str {
        match self {
            EventPayload::Flow { .. } => "flow",
            EventPayload::Phase { .. } => "phase",
            EventPayload::Agent { .. } => "agent",
        }
    }

    pub fn of_flow(flow: &FlowRecord) -> Self {
        EventPayload::Flow {
            status: flow.status,
            current_phase: flow.current_phase,
            progress_percentage: flow.progress_percentage,
        }
    }

    pub fn of_run(run: &PhaseRunRecord, message: Option<String>) -> Self {
        EventPayload::Phase {
            phase: run.phase,
            status: run.status,
            progress: run.progress,
            attempt: run.attempt,
            message,
        }
    }
}

/// A stored event: its flow, tenant and per-flow sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub flow_id: Uuid,
    pub sequence: i64,
    pub client_account_id: Uuid,
    pub engagement_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub payload: EventPayload,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub flow_id: Uuid,
    pub sequence: i64,
    pub client_account_id: Uuid,
    pub engagement_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub payload: Json<Value>,
}

impl EventRow {
    /// `None` for a payload this version does not know (written by a newer replica).
    pub fn into_event(self) -> Option<StoredEvent> {
        Some(StoredEvent {
            flow_id: self.flow_id,
            sequence: self.sequence,
            client_account_id: self.client_account_id,
            engagement_id: self.engagement_id,
            created_at: self.created_at,
            payload: serde_json::from_value(self.payload.0).ok()?,
        })
    }
}

/// A run claimed by a worker, and whether it was taken over from a worker whose lease expired.
#[derive(Debug, Clone)]
pub struct ClaimedRun {
    pub run: PhaseRunRecord,
    pub reclaimed: bool,
}

/// Stores the domain's names as text columns, on either database.
macro_rules! text_column {
    ($($ty:ty),+) => {$(
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<&str as sqlx::Decode<DB>>::decode(value)?.parse()?)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $ty
        where
            &'static str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'static str as sqlx::Encode<'q, DB>>::encode(self.as_str(), buf)
            }
        }
    )+};
}

text_column!(FlowType, FlowStatus, PhaseName, PhaseStatus);

/// A row of `field_mappings`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FieldMappingRecord {
    pub flow_id: Uuid,
    pub position: i32,
    pub source_field: String,
    pub target_attribute: Option<String>,
    pub confidence: f64,
    /// suggested, approved or rejected.
    pub status: String,
    pub agent: String,
    pub reasoning: String,
}

/// A row of `cleansed_records`: `data` is the cleansed record as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CleansedRecord {
    pub position: i32,
    pub record_key: String,
    pub data: Json<Value>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssetRecord {
    pub id: Uuid,
    pub flow_id: Uuid,
    pub client_account_id: Uuid,
    pub engagement_id: Uuid,
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
    pub depends_on: Json<Vec<String>>,
    pub attributes: Json<Value>,
    pub source_rows: Json<Vec<i64>>,
    pub quality_score: Option<f64>,
    /// pending, validated or rejected.
    pub validation_status: String,
    pub validation_note: Option<String>,
    pub six_r_strategy: Option<String>,
    pub six_r_rationale: Option<String>,
    pub risk_score: Option<i64>,
    pub inventory_run: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DependencyRecord {
    pub source_asset_id: Uuid,
    pub target_asset_id: Uuid,
    pub dependency_type: String,
    pub confidence: f64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TechDebtRecord {
    pub id: Uuid,
    pub asset_id: Uuid,
    pub category: String,
    pub severity: String,
    pub description: String,
    pub end_of_life: Option<chrono::NaiveDate>,
    pub lifecycle_status: Option<String>,
    pub support_level: Option<String>,
}

/// One agent invocation, as recorded in `agent_tasks`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentTaskRecord {
    pub id: Uuid,
    pub flow_id: Uuid,
    pub agent: String,
    pub phase: PhaseName,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: f64,
    /// success or failure.
    pub outcome: String,
    pub confidence: Option<f64>,
    pub reasoning: Option<String>,
    pub error: Option<String>,
}

/// Aggregates of an agent's tasks (over one flow, or every flow of the tenant).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentStatRecord {
    /// `None` when aggregated over every flow (the column is then absent).
    #[sqlx(default)]
    pub flow_id: Option<Uuid>,
    pub agent: String,
    pub tasks: i64,
    pub successes: i64,
    pub avg_ms: f64,
}

/// Which assets a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AssetFilter {
    pub asset_type: Option<String>,
    pub environment: Option<String>,
    pub validation_status: Option<String>,
    /// `Some(true)`: only assets with an expired end-of-life finding; `Some(false)`: only those without.
    pub end_of_life: Option<bool>,
    /// Case-insensitive substring of name, hostname, FQDN or IP.
    pub search: Option<String>,
}

/// Pages of several flows' assets, ordered by source key.
#[derive(Debug, Clone, Default)]
pub struct AssetPages {
    /// Up to `limit + 1` assets per flow: one more than asked tells there is a next page.
    pub assets: Vec<AssetRecord>,
    pub totals: Vec<(Uuid, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the assets depend on.
    Outgoing,
    /// What depends on the assets.
    Incoming,
}

/// The 6R decision and risk written onto an asset by tech-debt analysis.
#[derive(Debug, Clone)]
pub struct AssetStrategy {
    pub asset_id: Uuid,
    pub six_r_strategy: String,
    pub six_r_rationale: String,
    pub risk_score: i64,
}

/// One agent task, as health figures need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentTaskSample {
    pub agent: String,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: f64,
    pub outcome: String,
}
