//! Persistence: one `Store` trait, a PostgreSQL and a SQLite implementation chosen by the URL's
//! scheme. All SQL in flowgraph lives under this folder.

// First, so its macros are in scope for the two backends.
#[macro_use]
mod sql;
mod postgres;
mod records;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use postgres::PgStore;
pub use records::*;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An optimistic-concurrency check failed: someone else wrote the row first.
    #[error("concurrent update")]
    Conflict,
    #[error("row not found")]
    NotFound,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The tenant a unit of work belongs to; every query filters on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    pub client_account_id: Uuid,
    /// `None`: every engagement of the client account.
    pub engagement_id: Option<Uuid>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// "postgres" or "sqlite", for logs and `/ready`.
    fn backend(&self) -> &'static str;
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;

    /// Inserts a new flow and its creation audit event in one transaction.
    async fn insert_flow(
        &self,
        flow: &FlowRecord,
        raw_data: Option<&serde_json::Value>,
        audit: &AuditRecord,
    ) -> StoreResult<()>;
    async fn get_flows(&self, scope: &TenantScope, ids: &[Uuid]) -> StoreResult<Vec<FlowRecord>>;
    async fn list_flows(&self, scope: &TenantScope, filter: &FlowFilter, page: &PageRequest) -> StoreResult<FlowPage>;
    async fn child_flows(&self, scope: &TenantScope, master_ids: &[Uuid]) -> StoreResult<Vec<FlowRecord>>;
    async fn raw_data(&self, scope: &TenantScope, flow_id: Uuid) -> StoreResult<Option<serde_json::Value>>;

    /// Writes `change.flow` (whose `version` is the new one) if the stored version is still the
    /// one before it; otherwise `StoreError::Conflict` and nothing is written. The phase run and
    /// the phase output, when given, are written in the same transaction.
    async fn write_flow(&self, change: &FlowChange<'_>) -> StoreResult<()>;

    async fn phase_runs(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<PhaseRunRecord>>;
    async fn audit_events(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<AuditRecord>>;
    /// The flow's imported rows in order; `limit` takes the first ones only (a sample).
    async fn import_records(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        limit: Option<i64>,
    ) -> StoreResult<Vec<ImportRecord>>;
    async fn field_mappings(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<FieldMappingRecord>>;
    async fn cleansed_records(&self, scope: &TenantScope, flow_id: Uuid) -> StoreResult<Vec<CleansedRecord>>;
    async fn flow_assets(&self, scope: &TenantScope, flow_id: Uuid) -> StoreResult<Vec<AssetRecord>>;
    async fn assets_by_ids(&self, scope: &TenantScope, ids: &[Uuid]) -> StoreResult<Vec<AssetRecord>>;
    /// One page of each flow's assets after the `after` source key, with each flow's total.
    async fn asset_pages(
        &self,
        scope: &TenantScope,
        flow_ids: &[Uuid],
        filter: &AssetFilter,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<AssetPages>;
    async fn dependencies(
        &self,
        scope: &TenantScope,
        asset_ids: &[Uuid],
        direction: Direction,
    ) -> StoreResult<Vec<DependencyRecord>>;
    async fn tech_debt(&self, scope: &TenantScope, asset_ids: &[Uuid]) -> StoreResult<Vec<TechDebtRecord>>;
    /// Per-agent task aggregates: per flow for `Some(flows)`, over the whole tenant for `None`.
    async fn agent_stats(&self, scope: &TenantScope, flow_ids: Option<&[Uuid]>) -> StoreResult<Vec<AgentStatRecord>>;
    /// Sets an asset's validation status with its audit event; `NotFound` outside the tenant.
    async fn validate_asset(&self, scope: &TenantScope, asset: &AssetRecord, audit: &AuditRecord) -> StoreResult<()>;
    /// Statements run outside write transactions since start (the N+1 test reads it).
    fn read_statements(&self) -> u64;

    /// Runs left queued or running by a process that stopped are failed, so their flows can be
    /// retried; returns how many.
    async fn fail_interrupted_runs(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

impl dyn Store {
    pub async fn get_flow(&self, scope: &TenantScope, id: Uuid) -> StoreResult<Option<FlowRecord>> {
        Ok(self.get_flows(scope, &[id]).await?.pop())
    }
}

/// Opens (creating a SQLite file if needed) the database the URL names and runs its migrations.
pub async fn connect(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PgStore::connect(url).await?)
    } else if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await?)
    } else {
        anyhow::bail!("unsupported database URL: expected postgres://… or sqlite:…");
    };
    store.migrate().await?;
    Ok(store)
}
