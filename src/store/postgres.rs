//! PostgreSQL: production, and what several replicas share.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;
use uuid::Uuid;

#[derive(Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
    reads: Arc<AtomicU64>,
}

impl PgStore {
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // Fail fast when the database is away instead of holding requests for 30 s.
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        Ok(PgStore {
            pool,
            reads: Arc::default(),
        })
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }

    fn ids(ids: &[Uuid]) -> Vec<Uuid> {
        ids.to_vec()
    }

    /// Wakes every replica's event pump when the transaction commits. The payload is small (the
    /// flow and its last sequence); listeners read the events themselves from `flow_events`.
    async fn notify(
        tx: &mut sqlx::Transaction<'static, Postgres>,
        flow_id: Uuid,
        sequence: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(EVENT_CHANNEL)
            .bind(format!("{flow_id}:{sequence}"))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Listens on the event channel for as long as the receiver lives, reconnecting after a
    /// lost connection. NOTIFY is only a wake-up: one lost while disconnected is caught up by
    /// the pump's periodic read of the event heads.
    fn wakeups(&self) -> Option<mpsc::Receiver<Uuid>> {
        let (sender, receiver) = mpsc::channel(1024);
        let pool = self.pool.clone();
        tokio::spawn(async move {
            while !sender.is_closed() {
                let mut listener = match PgListener::connect_with(&pool).await {
                    Ok(listener) => listener,
                    Err(err) => {
                        tracing::warn!(error = %err, "event listener cannot connect; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                if let Err(err) = listener.listen(EVENT_CHANNEL).await {
                    tracing::warn!(error = %err, "LISTEN failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                loop {
                    match listener.try_recv().await {
                        Ok(Some(note)) => {
                            let flow = note.payload().split(':').next().and_then(|id| id.parse().ok());
                            // Never block the listener: a full channel means the pump is busy
                            // and will catch up from the table anyway.
                            if let Some(flow) = flow
                                && sender.try_send(flow).is_err()
                                && sender.is_closed()
                            {
                                return;
                            }
                        }
                        Ok(None) => {
                            tracing::warn!("event listener lost its connection; reconnecting");
                            break;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "event listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
        });
        Some(receiver)
    }
}

const EVENT_CHANNEL: &str = "flowgraph_events";

impl_sql_store!(
    PgStore,
    Postgres,
    backend = "postgres",
    in_ids = "= ANY($1)",
    claim_lock = " FOR UPDATE OF r SKIP LOCKED"
);
