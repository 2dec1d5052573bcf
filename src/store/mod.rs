//! Persistence: one `Store` trait, a PostgreSQL and a SQLite implementation chosen by the URL's
//! scheme. All SQL in flowgraph lives under this folder.

// First, so its macros are in scope for the two backends.
#[macro_use]
mod sql;
mod bulk;
pub mod legacy;
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
    /// A worker's lease on a run was taken over by another worker.
    #[error("the run's lease was lost")]
    LeaseLost,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Bytes per stored chunk of an uploaded file.
pub const UPLOAD_CHUNK: usize = 1 << 20;

/// Whose rows a transaction may touch. On PostgreSQL it becomes a transaction-local setting that
/// the row-level security policies read (migrations/postgres/0005), a second wall behind every
/// query's own tenant filter; SQLite has no such wall.
#[derive(Debug, Clone, Copy)]
enum Unit {
    /// Serving one client account: only its rows are visible or writable.
    Tenant(Uuid),
    /// Workers, the event pump and the legacy importer, which serve every tenant by design.
    System,
}

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
    /// The database answers; and whether row-level security holds this process's queries
    /// (PostgreSQL: not when they run as a superuser or a BYPASSRLS role), `None` for SQLite.
    async fn ping(&self) -> StoreResult<Option<bool>>;

    /// Inserts a new flow and its creation audit event in one transaction, with the uploaded
    /// file read from `upload` in chunks (`UPLOAD_CHUNK` bytes each), never whole in memory.
    async fn insert_flow(
        &self,
        flow: &FlowRecord,
        raw_data: Option<&serde_json::Value>,
        audit: &AuditRecord,
        upload: Option<&mut (dyn std::io::Read + Send)>,
    ) -> StoreResult<()>;
    /// Chunk `seq` (0-based) of the flow's uploaded file; `None` past the last one.
    async fn upload_chunk(&self, scope: &TenantScope, flow_id: Uuid, seq: i32) -> StoreResult<Option<Vec<u8>>>;
    async fn get_flows(&self, scope: &TenantScope, ids: &[Uuid]) -> StoreResult<Vec<FlowRecord>>;
    async fn list_flows(&self, scope: &TenantScope, filter: &FlowFilter, page: &PageRequest) -> StoreResult<FlowPage>;
    async fn child_flows(&self, scope: &TenantScope, master_ids: &[Uuid]) -> StoreResult<Vec<FlowRecord>>;
    async fn raw_data(&self, scope: &TenantScope, flow_id: Uuid) -> StoreResult<Option<serde_json::Value>>;

    /// Writes `change.flow` (whose `version` is the new one) if the stored version is still the
    /// one before it; otherwise `StoreError::Conflict` and nothing is written. The phase run and
    /// the phase output, when given, are written in the same transaction.
    async fn write_flow(&self, change: &FlowChange<'_>) -> StoreResult<()>;
    /// Refreshes the planner's statistics of a table a phase has just bulk-loaded (PostgreSQL;
    /// SQLite plans these reads well without them).
    async fn analyze(&self, table: &'static str) -> StoreResult<()>;
    /// Writes one batch of a running phase's output with its progress and events, in a
    /// transaction of its own, if `batch.lease_owner` still holds the run's lease (otherwise
    /// `StoreError::LeaseLost` and nothing is written).
    async fn write_batch(&self, batch: &PhaseBatch<'_>) -> StoreResult<()>;
    /// How many of a phase's batches may be written at once. PostgreSQL takes two: each writes
    /// its rows beside the other and commits in turn (`PhaseBatch::turn`). SQLite has one writer.
    fn batch_writers(&self) -> usize {
        1
    }

    async fn phase_runs(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<PhaseRunRecord>>;
    async fn audit_events(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<AuditRecord>>;
    /// The flow's imported rows in order; `limit` takes the first ones only (a sample).
    async fn import_records(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        limit: Option<i64>,
    ) -> StoreResult<Vec<ImportRecord>>;
    /// A page of the flow's imported rows after row number `after`, in order.
    async fn import_page(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ImportRecord>>;
    async fn field_mappings(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<FieldMappingRecord>>;
    /// A page of the flow's cleansed records after position `after`, in order.
    async fn cleansed_page(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        after: i32,
        limit: i64,
    ) -> StoreResult<Vec<CleansedRecord>>;
    /// The flow's cleansed records at these positions.
    async fn cleansed_at(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        positions: &[i32],
    ) -> StoreResult<Vec<CleansedRecord>>;
    /// A page of the flow's assets after source key `after`, in source-key order.
    async fn asset_page(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<AssetRecord>>;
    /// How many edges point at each of the flow's assets (those with at least one).
    async fn dependent_counts(&self, scope: &TenantScope, flow_id: Uuid) -> StoreResult<Vec<(Uuid, i64)>>;
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
    /// Flows' results of one kind (application, wave, gap, question), in order.
    async fn flow_results(
        &self,
        scope: &TenantScope,
        flow_ids: &[Uuid],
        kind: &str,
    ) -> StoreResult<Vec<FlowResultRecord>>;
    /// Per-agent task aggregates: per flow for `Some(flows)`, over the whole tenant for `None`.
    async fn agent_stats(&self, scope: &TenantScope, flow_ids: Option<&[Uuid]>) -> StoreResult<Vec<AgentStatRecord>>;
    /// Sets an asset's validation status with its audit event; `NotFound` outside the tenant.
    async fn validate_asset(&self, scope: &TenantScope, asset: &AssetRecord, audit: &AuditRecord) -> StoreResult<()>;
    /// Statements run outside write transactions since start (the N+1 test reads it).
    fn read_statements(&self) -> u64;

    /// Claims the oldest queued run (or a running one whose lease expired) of a flow that is not
    /// paused, marks it running under `owner`'s lease, and records the phase event.
    async fn claim_run(
        &self,
        owner: &str,
        lease_until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedRun>>;
    /// Extends the lease; `false` when `owner` no longer holds it.
    async fn heartbeat(&self, run_id: Uuid, owner: &str, lease_until: DateTime<Utc>) -> StoreResult<bool>;
    /// Gives a run back to the queue (a worker shutting down before it finished).
    async fn release_run(&self, run_id: Uuid, owner: &str) -> StoreResult<()>;
    /// Runs queued and running, for metrics.
    async fn queue_depth(&self) -> StoreResult<(i64, i64)>;
    /// Appends events to a flow's log (progress steps, agent tasks).
    async fn append_events(&self, flow: &FlowRecord, events: &[EventPayload]) -> StoreResult<()>;
    /// A flow's events after `after`, in order (system-wide: the event pump; subscribers filter
    /// on the tenant carried by each event).
    async fn events_after(&self, flow_id: Uuid, after: i64, limit: i64) -> StoreResult<Vec<StoredEvent>>;
    /// The last event sequence given out for a flow (0 before its first event).
    async fn event_head(&self, flow_id: Uuid) -> StoreResult<i64>;
    /// Recent agent tasks of the tenant (of one flow, when given), newest first: health figures.
    async fn recent_agent_tasks(
        &self,
        scope: &TenantScope,
        flow_id: Option<Uuid>,
        since: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<AgentTaskSample>>;
    /// The latest sequence of every flow with events since `since` (catching up lost wake-ups).
    async fn event_heads(&self, since: DateTime<Utc>) -> StoreResult<Vec<(Uuid, i64)>>;
    /// A channel of flow ids whose events other processes wrote (PostgreSQL LISTEN/NOTIFY);
    /// `None` where only this process writes (SQLite).
    fn event_wakeups(&self) -> Option<tokio::sync::mpsc::Receiver<Uuid>>;
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
