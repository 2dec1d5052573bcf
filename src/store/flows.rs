//! `FlowStore`: flows, their uploaded data, the changes phases make to them (with the phase runs,
//! output, agent tasks and audit events of each change) and the reads of runs and audit events.

use async_trait::async_trait;
use sqlx::{Postgres, Sqlite};
use uuid::Uuid;

use super::bulk::insert_flow_rows;
use super::postgres::PgStore;
use super::records::{
    AgentTaskRecord, AuditRecord, EventPayload, FlowChange, FlowFilter, FlowPage, FlowRecord, PageRequest, PhaseBatch,
    PhaseRunRecord,
};
use super::scope::{StoreError, StoreResult, TenantScope, UPLOAD_CHUNK, Unit};
use super::sqlite::SqliteStore;

#[async_trait]
pub trait FlowStore: Send + Sync {
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
}

/// The flows a listing may show: tenant ($1, $2) and the optional filters ($3 type, $4 status,
/// $5 engagement).
macro_rules! list_filter {
    () => {
        " FROM unified_flow_states WHERE client_account_id = $1 AND ($2 IS NULL OR engagement_id = $2) \
         AND deleted_at IS NULL AND ($3 IS NULL OR flow_type = $3) AND ($4 IS NULL OR status = $4) \
         AND ($5 IS NULL OR engagement_id = $5)"
    };
}

macro_rules! impl_flow_store {
    ($store:ident, $db:ident) => {
        #[async_trait]
        impl FlowStore for $store {
            #[tracing::instrument(skip_all, fields(flow = %flow.id))]
            async fn insert_flow(
                &self,
                flow: &FlowRecord,
                raw_data: Option<&serde_json::Value>,
                audit: &AuditRecord,
                upload: Option<&mut (dyn std::io::Read + Send)>,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write(Unit::Tenant(flow.client_account_id)).await?;
                let insert = sqlx::query(concat!(
                    "INSERT INTO unified_flow_states (",
                    flow_columns!(),
                    ", raw_data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                     $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
                ));
                bind_flow!(insert, flow)
                    .bind(raw_data.map(sqlx::types::Json))
                    .execute(&mut *tx)
                    .await?;
                if let Some(upload) = upload {
                    let mut chunk = Vec::with_capacity(UPLOAD_CHUNK);
                    for seq in 0i32.. {
                        chunk.clear();
                        let limit = UPLOAD_CHUNK as u64;
                        let filled = std::io::Read::read_to_end(&mut std::io::Read::take(&mut *upload, limit), &mut chunk)
                            .map_err(sqlx::Error::Io)?;
                        if filled == 0 {
                            break;
                        }
                        sqlx::query(
                            "INSERT INTO raw_upload_chunks (flow_id, client_account_id, engagement_id, seq, bytes) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(flow.id)
                        .bind(flow.client_account_id)
                        .bind(flow.engagement_id)
                        .bind(seq)
                        .bind(&chunk[..])
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                Self::insert_audit(&mut tx, audit).await?;
                Self::insert_events(&mut tx, flow, &[EventPayload::of_flow(flow)]).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn upload_chunk(&self, scope: &TenantScope, flow_id: Uuid, seq: i32) -> StoreResult<Option<Vec<u8>>> {
                tenant_read!(self, scope, fetch_optional(
                    sqlx::query_scalar(concat!(
                        "SELECT bytes FROM raw_upload_chunks WHERE flow_id = $1 AND", tenant_2_3!(), "AND seq = $4"
                    )),
                    flow_id,
                    seq,
                ))
            }

            async fn get_flows(&self, scope: &TenantScope, ids: &[Uuid]) -> StoreResult<Vec<FlowRecord>> {
                tenant_read_ids!(
                    self,
                    scope,
                    ids,
                    sqlx::query_as(concat!(
                        "SELECT ", flow_columns!(), " FROM unified_flow_states WHERE id ", in_ids!($db), " AND",
                        tenant_2_3!(), "AND deleted_at IS NULL"
                    )),
                )
            }

            async fn list_flows(
                &self,
                scope: &TenantScope,
                filter: &FlowFilter,
                page: &PageRequest,
            ) -> StoreResult<FlowPage> {
                scoped_read!(self, scope.unit(), |tx| {
                    let mut flows: Vec<FlowRecord> = sqlx::query_as(concat!(
                        "SELECT ",
                        flow_columns!(),
                        list_filter!(),
                        " AND ($6 IS NULL OR id < $6) ORDER BY id DESC LIMIT $7"
                    ))
                    .bind(scope.client_account_id)
                    .bind(scope.engagement_id)
                    .bind(filter.flow_type)
                    .bind(filter.status)
                    .bind(filter.engagement_id)
                    .bind(page.after)
                    .bind(page.limit + 1)
                    .fetch_all(self.counted(&mut tx))
                    .await?;
                    let has_next_page = flows.len() as i64 > page.limit;
                    flows.truncate(page.limit.max(0) as usize);
                    let total_count: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*)", list_filter!()))
                        .bind(scope.client_account_id)
                        .bind(scope.engagement_id)
                        .bind(filter.flow_type)
                        .bind(filter.status)
                        .bind(filter.engagement_id)
                        .fetch_one(self.counted(&mut tx))
                        .await?;
                    FlowPage {
                        flows,
                        has_next_page,
                        total_count,
                    }
                })
            }

            async fn child_flows(&self, scope: &TenantScope, master_ids: &[Uuid]) -> StoreResult<Vec<FlowRecord>> {
                tenant_read_ids!(
                    self,
                    scope,
                    master_ids,
                    sqlx::query_as(concat!(
                        "SELECT ", flow_columns!(), " FROM unified_flow_states WHERE master_flow_id ", in_ids!($db),
                        " AND", tenant_2_3!(), "AND deleted_at IS NULL ORDER BY id"
                    )),
                )
            }

            async fn raw_data(&self, scope: &TenantScope, flow_id: Uuid) -> StoreResult<Option<serde_json::Value>> {
                scoped_read!(self, scope.unit(), |tx| {
                    let raw: Option<Option<sqlx::types::Json<serde_json::Value>>> = sqlx::query_scalar(concat!(
                        "SELECT raw_data FROM unified_flow_states WHERE id = $1 AND",
                        tenant_2_3!(),
                        "AND deleted_at IS NULL"
                    ))
                    .bind(flow_id)
                    .bind(scope.client_account_id)
                    .bind(scope.engagement_id)
                    .fetch_optional(self.counted(&mut tx))
                    .await?;
                    raw.flatten().map(|json| json.0)
                })
            }

            #[tracing::instrument(skip_all, fields(flow = %change.flow.id, version = change.flow.version))]
            async fn write_flow(&self, change: &FlowChange<'_>) -> StoreResult<()> {
                let flow = change.flow;
                let mut tx = self.begin_write(Unit::Tenant(flow.client_account_id)).await?;
                // Parameters as `bind_flow!` numbers the columns; $24 the version before this one.
                let update = sqlx::query(
                    "UPDATE unified_flow_states SET status = $9, current_phase = $10, flow_configuration = $11, \
                     flow_state = $12, phases_completed = $13, progress_percentage = $14, data_import_id = $15, \
                     performance_metrics = $16, quality_scores = $17, auto_advance = $18, version = $19, \
                     updated_at = $21, completed_at = $22, deleted_at = $23 \
                     WHERE id = $1 AND client_account_id = $5 AND version = $24 AND deleted_at IS NULL",
                );
                let updated = bind_flow!(update, flow).bind(flow.version - 1).execute(&mut *tx).await?;
                if updated.rows_affected() != 1 {
                    return Err(StoreError::Conflict);
                }
                match (change.run, change.lease_owner) {
                    (Some(run), Some(owner)) => Self::finish_leased_run(&mut tx, run, owner).await?,
                    (Some(run), None) => Self::upsert_run(&mut tx, run).await.map_err(unique_is_conflict)?,
                    (None, _) => {}
                }
                if let Some(next) = change.next_run {
                    Self::upsert_run(&mut tx, next).await.map_err(unique_is_conflict)?;
                }
                if let Some(output) = change.output {
                    Self::write_output(&mut tx, flow, output, true).await?;
                }
                Self::insert_agent_tasks(&mut tx, flow, change.agent_tasks).await?;
                for audit in change.audit.into_iter().chain(change.more_audits) {
                    Self::insert_audit(&mut tx, audit).await?;
                }
                Self::insert_events(&mut tx, flow, change.events).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn analyze(&self, table: &'static str) -> StoreResult<()> {
                Self::analyze_table(&self.pool, table).await?;
                Ok(())
            }

            fn batch_writers(&self) -> usize {
                Self::BATCH_WRITERS
            }

            #[tracing::instrument(skip_all, fields(flow = %batch.flow.id, phase = %batch.run.phase))]
            async fn write_batch(&self, batch: &PhaseBatch<'_>) -> StoreResult<()> {
                let flow = batch.flow;
                let mut tx = self.begin_write(Unit::Tenant(flow.client_account_id)).await?;
                // The rows first, beside the batch before this one when there is a turn to wait
                // for; the run's row and the events after it, in batch order.
                Self::write_output(&mut tx, flow, batch.output, batch.replace).await?;
                if let Some(turn) = batch.turn {
                    turn.notified().await;
                }
                // Also the lease check: on PostgreSQL the row lock orders this batch against a
                // worker reclaiming the run, so a stale worker's batch can never land after it.
                let held = sqlx::query(
                    "UPDATE flow_phase_runs SET progress = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                )
                .bind(batch.run.id)
                .bind(batch.lease_owner)
                .bind(batch.progress)
                .execute(&mut *tx)
                .await?;
                if held.rows_affected() != 1 {
                    return Err(StoreError::LeaseLost);
                }
                Self::insert_events(&mut tx, flow, batch.events).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn phase_runs(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<PhaseRunRecord>> {
                tenant_read_ids!(
                    self,
                    scope,
                    flow_ids,
                    sqlx::query_as(concat!(
                        "SELECT ", run_columns!(), " FROM flow_phase_runs WHERE flow_id ", in_ids!($db), " AND",
                        tenant_2_3!(), "ORDER BY flow_id, phase, attempt"
                    )),
                )
            }

            async fn audit_events(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<AuditRecord>> {
                tenant_read_ids!(
                    self,
                    scope,
                    flow_ids,
                    sqlx::query_as(concat!(
                        "SELECT id, flow_id, client_account_id, engagement_id, user_id, action, details, created_at \
                         FROM audit_events WHERE flow_id ", in_ids!($db), " AND", tenant_2_3!(), "ORDER BY id"
                    )),
                )
            }
        }

        /// What a change to a flow writes besides the flow row.
        impl $store {
            /// A worker finishing its run: refused when the lease went to another worker.
            async fn finish_leased_run(
                tx: &mut sqlx::Transaction<'static, $db>,
                run: &PhaseRunRecord,
                owner: &str,
            ) -> StoreResult<()> {
                let updated = sqlx::query(
                    "UPDATE flow_phase_runs SET status = $3, progress = $4, completed_at = $5, result = $6, \
                     error = $7, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2",
                )
                .bind(run.id)
                .bind(owner)
                .bind(run.status)
                .bind(run.progress)
                .bind(run.completed_at)
                .bind(&run.result)
                .bind(&run.error)
                .execute(&mut **tx)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err(StoreError::LeaseLost);
                }
                Ok(())
            }

            async fn upsert_run(tx: &mut sqlx::Transaction<'static, $db>, run: &PhaseRunRecord) -> Result<(), sqlx::Error> {
                insert_run!(
                    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, progress = excluded.progress, \
                     started_at = excluded.started_at, completed_at = excluded.completed_at, \
                     result = excluded.result, error = excluded.error",
                    run
                )
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn insert_agent_tasks(
                tx: &mut sqlx::Transaction<'static, $db>,
                flow: &FlowRecord,
                tasks: &[AgentTaskRecord],
            ) -> Result<(), sqlx::Error> {
                let insert = "INSERT INTO agent_tasks (flow_id, client_account_id, engagement_id, id, agent, phase, \
                              started_at, finished_at, duration_ms, outcome, confidence, reasoning, error) ";
                insert_flow_rows(tx, flow, (insert, ""), tasks, 500, |row, task| {
                    row.push_bind(task.id)
                        .push_bind(&task.agent)
                        .push_bind(task.phase)
                        .push_bind(task.started_at)
                        .push_bind(task.finished_at)
                        .push_bind(task.duration_ms)
                        .push_bind(&task.outcome)
                        .push_bind(task.confidence)
                        .push_bind(&task.reasoning)
                        .push_bind(&task.error);
                })
                .await
            }

            /// Also the legacy migration's (`store::legacy`).
            pub(super) async fn insert_audit(
                tx: &mut sqlx::Transaction<'static, $db>,
                audit: &AuditRecord,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO audit_events \
                     (id, flow_id, client_account_id, engagement_id, user_id, action, details, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(audit.id)
                .bind(audit.flow_id)
                .bind(audit.client_account_id)
                .bind(audit.engagement_id)
                .bind(audit.user_id)
                .bind(&audit.action)
                .bind(&audit.details)
                .bind(audit.created_at)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }
    };
}

for_both_backends!(impl_flow_store);

/// The one-active-run-per-flow index turns a race between two starters into a conflict.
fn unique_is_conflict(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => err.into(),
    }
}
