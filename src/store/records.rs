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

/// What a phase produced, written with the phase run that produced it.
#[derive(Debug, Clone)]
pub enum PhaseOutput {
    /// Replaces the flow's imported rows (a re-run replaces, never appends).
    ImportRecords(Vec<ImportRecord>),
}

/// One unit of work on a flow: the new flow row, optionally a phase run to insert or update
/// and that phase's output, and the audit event that records it.
#[derive(Debug)]
pub struct FlowChange<'a> {
    pub flow: &'a FlowRecord,
    pub run: Option<&'a PhaseRunRecord>,
    pub output: Option<&'a PhaseOutput>,
    pub audit: Option<&'a AuditRecord>,
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
