//! PostgreSQL: production, and what several replicas share.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgPool, PgPoolOptions};
use uuid::Uuid;

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
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
}

impl_sql_store!(PgStore, Postgres, backend = "postgres", in_ids = "= ANY($1)");
