//! What agents take and return. Agents are pure: no database, no clock but the `today` they are
//! given, no randomness. Phase handlers load these from the store and write them back.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::PhaseName;

/// Every agent's answer: its output, how sure it is (0–1), and why, in a sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentOutput<T> {
    pub value: T,
    pub confidence: f64,
    pub reasoning: String,
}

impl<T> AgentOutput<T> {
    pub fn new(value: T, confidence: f64, reasoning: impl Into<String>) -> Self {
        AgentOutput {
            value,
            confidence: confidence.clamp(0.0, 1.0),
            reasoning: reasoning.into(),
        }
    }
}

/// An agent that could not do its work (bad input it cannot use); the phase decides what follows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct AgentError(pub String);

/// The seam every agent implements. Deterministic today; an LLM-backed agent can implement the
/// same trait later without the phase handlers changing.
pub trait Agent {
    type Input: ?Sized;
    type Output;
    /// The registry name (`field_mapping`, `lifecycle_analysis`, ...).
    const NAME: &'static str;
    /// The phase the agent serves.
    const PHASE: PhaseName;
    fn run(&self, input: &Self::Input) -> Result<AgentOutput<Self::Output>, AgentError>;
}

/// The canonical attributes source fields are mapped onto (names are the asset's column names).
pub const CANONICAL_ATTRIBUTES: &[&str] = &[
    "name",
    "hostname",
    "fqdn",
    "ip_address",
    "asset_type",
    "operating_system",
    "os_version",
    "environment",
    "application",
    "cpu_cores",
    "memory_gb",
    "storage_gb",
    "owner",
    "depends_on",
    "business_criticality",
    "location",
];

/// One imported row: its number and its source fields (CSV: strings or null; JSON: any value,
/// nested objects already flattened to dotted keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub row_number: i64,
    pub line_number: i64,
    pub fields: Map<String, Value>,
}

/// The imported rows as the data_import phase hands them to its agents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    pub columns: Vec<String>,
    pub records: Vec<SourceRecord>,
}

/// A source field's mapping onto a canonical attribute (`None`: kept as an extra attribute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldMapping {
    pub source_field: String,
    pub target_attribute: Option<String>,
    pub confidence: f64,
    /// The agent that made (or last corrected) the decision.
    pub agent: String,
    pub reasoning: String,
}

/// A record after mapping and cleansing: canonical values standardised, unmapped fields kept in
/// `attributes`. `key` identifies the asset across re-runs and duplicates (lower-case name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CleanRecord {
    pub key: String,
    /// The rows merged into this record (more than one when deduplication merged spellings).
    pub source_rows: Vec<i64>,
    pub name: String,
    pub hostname: Option<String>,
    pub fqdn: Option<String>,
    pub ip_address: Option<String>,
    /// As the source said it (`Server`, `cmdb_ci_linux_server`, ...); classification decides.
    pub asset_type: Option<String>,
    pub operating_system: Option<String>,
    pub os_version: Option<String>,
    /// Standardised: production, staging, test, qa, development, dr.
    pub environment: Option<String>,
    pub application: Option<String>,
    pub cpu_cores: Option<i64>,
    pub memory_gb: Option<f64>,
    pub storage_gb: Option<f64>,
    pub owner: Option<String>,
    /// Names of other assets as the source gave them (split on `;` `,` `|` or newlines, or a JSON array).
    pub depends_on: Vec<String>,
    pub business_criticality: Option<String>,
    pub location: Option<String>,
    pub attributes: Map<String, Value>,
    /// Completeness and validity, 0–1 (data_quality).
    pub quality_score: f64,
    /// What cleansing noticed (`memory given in MB, converted`, `invalid IP dropped`, ...).
    pub issues: Vec<String>,
}

/// The asset types classification chooses from.
pub const ASSET_TYPES: &[&str] = &[
    "server",
    "database",
    "application",
    "network_device",
    "storage",
    "other",
];

/// A classified record, ready to upsert as an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetDraft {
    pub record: CleanRecord,
    /// One of `ASSET_TYPES`.
    pub asset_type: String,
    /// critical, high, medium, low.
    pub business_criticality: String,
}

/// An asset as dependency and tech-debt analysis see it (loaded from the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetFacts {
    pub key: String,
    pub name: String,
    pub asset_type: String,
    pub hostname: Option<String>,
    pub fqdn: Option<String>,
    pub ip_address: Option<String>,
    pub operating_system: Option<String>,
    pub os_version: Option<String>,
    pub environment: Option<String>,
    pub application: Option<String>,
    pub business_criticality: Option<String>,
    pub depends_on: Vec<String>,
    pub attributes: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LifecycleStatus {
    Active,
    /// Support ends within 12 months.
    EolSoon,
    EolExpired,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SupportLevel {
    Mainstream,
    Extended,
    None,
}

/// A tech-debt finding on one asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechDebtFinding {
    pub asset_key: String,
    /// operating_system, database, runtime, security.
    pub category: String,
    /// critical, high, medium, low.
    pub severity: String,
    pub description: String,
    pub end_of_life: Option<NaiveDate>,
    pub lifecycle_status: Option<LifecycleStatus>,
    pub support_level: Option<SupportLevel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SixR {
    Rehost,
    Replatform,
    Refactor,
    Repurchase,
    Retire,
    Retain,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SixRDecision {
    pub asset_key: String,
    pub strategy: SixR,
    pub rationale: String,
    pub confidence: f64,
}
