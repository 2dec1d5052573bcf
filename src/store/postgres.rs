//! PostgreSQL: production, and what several replicas share.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPool, PgPoolOptions};
use sqlx::{Connection, Postgres};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::scope::Unit;

#[derive(Clone)]
pub struct PgStore {
    pub(super) pool: PgPool,
    options: PgConnectOptions,
    pub(super) reads: Arc<AtomicU64>,
}

impl PgStore {
    pub(super) const BACKEND: &str = "postgres";
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

    /// The pool connects lazily: `store::connect` migrates first (which creates the application
    /// role), so every pooled connection opens after the role exists and switches to it.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            // Fail fast when the database is away instead of holding requests for 30 s.
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(|conn, _| Box::pin(async move { sqlx::raw_sql(USE_APP_ROLE).execute(conn).await.map(drop) }))
            .connect_lazy_with(options.clone());
        Ok(PgStore {
            pool,
            options,
            reads: Arc::default(),
        })
    }

    /// Migrations run on a connection of their own, as the configured user: the pool's
    /// connections switch to the application role, which may not change the schema.
    pub(super) async fn run_migrations(&self) -> Result<(), sqlx::migrate::MigrateError> {
        let mut conn = PgConnection::connect_with(&self.options).await?;
        Self::MIGRATOR.run_direct(None, &mut conn, false).await?;
        conn.close().await?;
        Ok(())
    }

    pub(super) async fn row_security(&self) -> Result<Option<bool>, sqlx::Error> {
        let holds =
            sqlx::query_scalar("SELECT NOT (rolsuper OR rolbypassrls) FROM pg_roles WHERE rolname = current_user")
                .fetch_one(&self.pool)
                .await?;
        Ok(Some(holds))
    }

    /// BEGIN and the unit's transaction-local setting in one round trip; the row-level security
    /// policies read it, so whatever the transaction runs sees only the unit's rows.
    pub(super) async fn begin_read(&self, unit: Unit) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        let begin = match unit {
            // A UUID prints as hex digits and dashes: nothing in it needs quoting.
            Unit::Tenant(id) => format!("BEGIN; SET LOCAL flowgraph.client_account_id = '{id}'"),
            Unit::System => "BEGIN; SET LOCAL flowgraph.system = 'on'".to_owned(),
        };
        self.pool.begin_with(sqlx::AssertSqlSafe(begin)).await
    }

    pub(super) async fn begin_write(&self, unit: Unit) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.begin_read(unit).await
    }

    /// Two batches write their rows at once (the bulk inserts and updates take one backend's
    /// core each) and commit in order.
    pub(super) const BATCH_WRITERS: usize = 2;

    pub(super) fn ids(ids: &[Uuid]) -> Vec<Uuid> {
        ids.to_vec()
    }

    pub(super) async fn analyze_table(pool: &PgPool, table: &str) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT flowgraph_analyze($1)")
            .bind(table)
            .execute(pool)
            .await?;
        Ok(())
    }

    pub(super) fn ints(values: &[i32]) -> Vec<i32> {
        values.to_vec()
    }

    /// Wakes every replica's event pump when the transaction commits. The payload is small (the
    /// flow and its last sequence); listeners read the events themselves from `flow_events`.
    pub(super) async fn notify(
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
    pub(super) fn wakeups(&self) -> Option<mpsc::Receiver<Uuid>> {
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

/// Superusers and BYPASSRLS roles skip row-level security, so a pooled connection opened as one
/// switches to `flowgraph_app` (created by the migrations) and the policies hold for everything
/// the server runs. A plain owner needs no switch: the tables force row security on their owner.
const USE_APP_ROLE: &str = "DO $$ BEGIN \
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'flowgraph_app') \
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolbypassrls)) THEN \
        IF pg_has_role(current_user, 'flowgraph_app', 'MEMBER') THEN SET ROLE flowgraph_app; END IF; \
    END IF; END $$";
