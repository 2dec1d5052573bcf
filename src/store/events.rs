//! `EventLog`: each flow's numbered log of events (progress steps, agent tasks), what the event
//! pump reads to tell subscribers, and the wake-ups that other processes' writes send.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Sqlite};
use uuid::Uuid;

use super::postgres::PgStore;
use super::records::{AgentTaskSample, EventPayload, EventRow, FlowRecord, StoredEvent};
use super::scope::{StoreResult, TenantScope, Unit};
use super::sqlite::SqliteStore;

#[async_trait]
pub trait EventLog: Send + Sync {
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

macro_rules! impl_event_log {
    ($store:ident, $db:ident) => {
        #[async_trait]
        impl EventLog for $store {
            async fn append_events(&self, flow: &FlowRecord, events: &[EventPayload]) -> StoreResult<()> {
                if events.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write(Unit::Tenant(flow.client_account_id)).await?;
                Self::insert_events(&mut tx, flow, events).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn events_after(&self, flow_id: Uuid, after: i64, limit: i64) -> StoreResult<Vec<StoredEvent>> {
                scoped_read!(self, Unit::System, |tx| {
                    let rows: Vec<EventRow> = sqlx::query_as(
                        "SELECT flow_id, sequence, client_account_id, engagement_id, created_at, payload \
                         FROM flow_events WHERE flow_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
                    )
                    .bind(flow_id)
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                    rows.into_iter().filter_map(EventRow::into_event).collect()
                })
            }

            async fn event_heads(&self, since: DateTime<Utc>) -> StoreResult<Vec<(Uuid, i64)>> {
                scoped_read!(self, Unit::System, |tx| sqlx::query_as(
                    "SELECT flow_id, MAX(sequence) FROM flow_events WHERE created_at >= $1 GROUP BY flow_id",
                )
                .bind(since)
                .fetch_all(&mut *tx)
                .await?)
            }

            async fn event_head(&self, flow_id: Uuid) -> StoreResult<i64> {
                scoped_read!(self, Unit::System, |tx| {
                    let head: Option<i64> =
                        sqlx::query_scalar("SELECT event_sequence FROM unified_flow_states WHERE id = $1")
                            .bind(flow_id)
                            .fetch_optional(self.counted(&mut tx))
                            .await?;
                    head.unwrap_or(0)
                })
            }

            async fn recent_agent_tasks(
                &self,
                scope: &TenantScope,
                flow_id: Option<Uuid>,
                since: DateTime<Utc>,
                limit: i64,
            ) -> StoreResult<Vec<AgentTaskSample>> {
                scoped_read!(self, scope.unit(), |tx| sqlx::query_as(
                    "SELECT agent, finished_at, duration_ms, outcome FROM agent_tasks \
                     WHERE client_account_id = $1 AND ($2 IS NULL OR engagement_id = $2) \
                     AND ($3 IS NULL OR flow_id = $3) AND finished_at >= $4 ORDER BY finished_at DESC LIMIT $5",
                )
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(flow_id)
                .bind(since)
                .bind(limit)
                .fetch_all(self.counted(&mut tx))
                .await?)
            }

            fn event_wakeups(&self) -> Option<tokio::sync::mpsc::Receiver<Uuid>> {
                self.wakeups()
            }
        }

        impl $store {
            /// Gives the events the flow's next sequence numbers (under the flow row's lock, so
            /// sequences have no gaps and no duplicates) and stores them; PostgreSQL also
            /// wakes the other replicas, on commit.
            pub(super) async fn insert_events(
                tx: &mut sqlx::Transaction<'static, $db>,
                flow: &FlowRecord,
                events: &[EventPayload],
            ) -> Result<(), sqlx::Error> {
                if events.is_empty() {
                    return Ok(());
                }
                let last: i64 = sqlx::query_scalar(
                    "UPDATE unified_flow_states SET event_sequence = event_sequence + $2 WHERE id = $1 \
                     RETURNING event_sequence",
                )
                .bind(flow.id)
                .bind(events.len() as i64)
                .fetch_one(&mut **tx)
                .await?;
                let first = last - events.len() as i64 + 1;
                let now = chrono::Utc::now();
                let mut insert = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO flow_events (flow_id, sequence, client_account_id, engagement_id, kind, payload, \
                     created_at) ",
                );
                insert.push_values(events.iter().enumerate(), |mut row, (i, event)| {
                    row.push_bind(flow.id)
                        .push_bind(first + i as i64)
                        .push_bind(flow.client_account_id)
                        .push_bind(flow.engagement_id)
                        .push_bind(event.kind())
                        .push_bind(sqlx::types::Json(event))
                        .push_bind(now);
                });
                insert.build().execute(&mut **tx).await?;
                Self::notify(tx, flow.id, last).await
            }
        }
    };
}

for_both_backends!(impl_event_log);
