//! `RunQueue`: the queue of phase runs that workers claim under a lease (system-wide: workers
//! serve every tenant).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::postgres::PgStore;
use super::records::{ClaimedRun, EventPayload, FlowRecord, PhaseRunRecord};
use super::scope::{StoreResult, Unit};
use super::sqlite::SqliteStore;

#[async_trait]
pub trait RunQueue: Send + Sync {
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
}

macro_rules! impl_run_queue {
    ($store:ident, $db:ident) => {
        #[async_trait]
        impl RunQueue for $store {
            async fn claim_run(
                &self,
                owner: &str,
                lease_until: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<ClaimedRun>> {
                let mut tx = self.begin_write(Unit::System).await?;
                // Oldest first; a running run whose lease expired belongs to a worker that died.
                let candidate: Option<(Uuid, String)> = sqlx::query_as(concat!(
                    "SELECT r.id, r.status FROM flow_phase_runs r JOIN unified_flow_states f ON f.id = r.flow_id \
                     WHERE (r.status = 'queued' OR (r.status = 'running' AND r.lease_expires_at < $1)) \
                     AND f.deleted_at IS NULL AND f.status <> 'paused' \
                     ORDER BY r.created_at LIMIT 1",
                    claim_lock!($db)
                ))
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((id, was)) = candidate else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let run: PhaseRunRecord = sqlx::query_as(concat!(
                    "UPDATE flow_phase_runs SET status = 'running', progress = 0, started_at = $2, \
                     lease_owner = $3, lease_expires_at = $4 WHERE id = $1 RETURNING ",
                    run_columns!()
                ))
                .bind(id)
                .bind(now)
                .bind(owner)
                .bind(lease_until)
                .fetch_one(&mut *tx)
                .await?;
                let flow: FlowRecord = sqlx::query_as(concat!(
                    "SELECT ",
                    flow_columns!(),
                    " FROM unified_flow_states WHERE id = $1"
                ))
                .bind(run.flow_id)
                .fetch_one(&mut *tx)
                .await?;
                let event = EventPayload::of_run(&run, None);
                Self::insert_events(&mut tx, &flow, std::slice::from_ref(&event)).await?;
                tx.commit().await?;
                Ok(Some(ClaimedRun {
                    run,
                    reclaimed: was == "running",
                }))
            }

            async fn heartbeat(&self, run_id: Uuid, owner: &str, lease_until: DateTime<Utc>) -> StoreResult<bool> {
                let mut tx = self.begin_write(Unit::System).await?;
                let updated = sqlx::query(
                    "UPDATE flow_phase_runs SET lease_expires_at = $3 \
                     WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                )
                .bind(run_id)
                .bind(owner)
                .bind(lease_until)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(updated.rows_affected() == 1)
            }

            async fn release_run(&self, run_id: Uuid, owner: &str) -> StoreResult<()> {
                let mut tx = self.begin_write(Unit::System).await?;
                sqlx::query(
                    "UPDATE flow_phase_runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL \
                     WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                )
                .bind(run_id)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn queue_depth(&self) -> StoreResult<(i64, i64)> {
                scoped_read!(self, Unit::System, |tx| sqlx::query_as(
                    "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) \
                     FROM flow_phase_runs WHERE status IN ('queued', 'running')",
                )
                .fetch_one(&mut *tx)
                .await?)
            }
        }
    };
}

for_both_backends!(impl_run_queue);
