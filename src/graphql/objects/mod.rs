//! GraphQL object types: thin wrappers over store records, declared here; each one's fields
//! resolve in the file named for it (flow.rs, asset.rs, agent.rs, flow_results.rs), which import
//! this module and not each other. Nested lists and references resolve through the request's
//! DataLoader, so one query costs a fixed number of statements.

mod agent;
mod asset;
mod flow;
mod flow_results;

use std::sync::Arc;

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{ID, InputObject, Json, Scalar, ScalarType, SimpleObject, Value as GqlValue};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

use crate::agents::AgentSpec;
use crate::agents::collection_rules::{Gap, Question};
use crate::graphql::enums::ValidationStatus;
use crate::orchestrator::PhaseView;
use crate::store::{
    AssetFilter as StoreAssetFilter, AssetRecord, AuditRecord, DependencyRecord, FieldMappingRecord, FlowRecord,
    FlowResultRecord, TechDebtRecord,
};

pub const DEFAULT_ASSET_PAGE: i32 = 50;

/// A calendar date, `YYYY-MM-DD`.
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: GqlValue) -> async_graphql::InputValueResult<Self> {
        match &value {
            GqlValue::String(s) => Ok(Date(NaiveDate::parse_from_str(s, "%Y-%m-%d")?)),
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }
    fn to_value(&self) -> GqlValue {
        GqlValue::String(self.0.format("%Y-%m-%d").to_string())
    }
}

#[derive(SimpleObject)]
pub struct FlowConnectionFields {
    pub total_count: i64,
}

#[derive(SimpleObject)]
pub struct AssetConnectionFields {
    pub total_count: i64,
}

pub type FlowConnection = Connection<String, Flow, FlowConnectionFields, EmptyFields>;

pub type AssetConnection = Connection<String, Asset, AssetConnectionFields, EmptyFields>;

#[derive(InputObject, Default)]
pub struct AssetFilter {
    /// server, database, application, network_device, storage, other.
    pub asset_type: Option<String>,
    /// production, staging, qa, test, development, dr.
    pub environment: Option<String>,
    pub validation_status: Option<ValidationStatus>,
    /// true: only assets past end of support; false: only the others.
    pub end_of_life: Option<bool>,
    /// Case-insensitive part of the name, hostname, FQDN or IP.
    pub search: Option<String>,
}

impl From<AssetFilter> for StoreAssetFilter {
    fn from(f: AssetFilter) -> Self {
        StoreAssetFilter {
            asset_type: f.asset_type.map(|t| t.to_lowercase()),
            environment: f.environment.map(|e| e.to_lowercase()),
            validation_status: f.validation_status.map(|v| v.as_str().to_string()),
            end_of_life: f.end_of_life,
            search: f.search.filter(|s| !s.is_empty()),
        }
    }
}

/// Shared, not copied: a flow loaded once may be the `flow` of many assets, and a resolver's
/// future holds its output while it resolves (a 520-byte record would make every field future of
/// `Asset` that much larger).
pub struct Flow(pub Arc<FlowRecord>);

impl From<FlowRecord> for Flow {
    fn from(flow: FlowRecord) -> Flow {
        Flow(Arc::new(flow))
    }
}

pub struct Phase(pub PhaseView);

pub struct AuditEvent(pub AuditRecord);

pub struct Agent {
    spec: AgentSpec,
    tasks: i64,
    successes: i64,
    avg_ms: f64,
}

pub struct FieldMapping(pub FieldMappingRecord);

/// Shared, not copied: one asset is often reached many times in one answer (as the target of
/// every edge into it).
pub struct Asset(pub Arc<AssetRecord>);

pub struct AssetDependency(pub DependencyRecord);

pub struct TechDebtItem(pub TechDebtRecord);

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationData {
    name: String,
    members: Vec<String>,
    readiness_score: Option<i32>,
    reasons: Vec<String>,
    six_r_strategy: Option<String>,
    six_r_rationale: Option<String>,
    effort_class: Option<String>,
}

pub struct Application {
    pub data: ApplicationData,
    pub wave: Option<i32>,
    pub master_assets: std::sync::Arc<Vec<AssetRecord>>,
}

impl ApplicationData {
    pub fn members_contain(&self, key: &str) -> bool {
        self.members.iter().any(|m| m == key)
    }
}

impl Application {
    pub fn parse(row: &FlowResultRecord) -> ApplicationData {
        serde_json::from_value(row.data.0.clone()).unwrap_or_default()
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
pub struct WaveData {
    pub number: i32,
    pub members: Vec<String>,
    pub applications: Vec<String>,
    pub oversized: bool,
}

pub struct Wave {
    pub data: WaveData,
    pub master_assets: std::sync::Arc<Vec<AssetRecord>>,
}

pub struct CollectionGap(pub Gap);

pub struct CollectionQuestion(pub Question);

/// The questions addressed to one owner.
#[derive(SimpleObject)]
pub struct OwnerQuestionnaire {
    pub owner: String,
    pub questions: Vec<CollectionQuestion>,
}

#[derive(InputObject)]
pub struct CollectionResponseInput {
    pub question_id: ID,
    /// The answer: text, or a number for cores and sizes.
    pub value: Json<Value>,
}

#[derive(SimpleObject)]
pub struct RejectedResponse {
    pub question_id: ID,
    pub message: String,
}

#[derive(SimpleObject)]
pub struct CollectionSubmission {
    /// Answers validated and written to their assets.
    pub accepted: i32,
    /// Answers refused, with why; they changed nothing.
    pub rejected: Vec<RejectedResponse>,
    pub open_questions: i32,
    pub flow: Flow,
}
