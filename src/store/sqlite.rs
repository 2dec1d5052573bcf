//! SQLite: the embedded default, one file created and migrated on start.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use uuid::Uuid;

use super::scope::Unit;

#[derive(Clone)]
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    pub(super) reads: Arc<AtomicU64>,
}

impl SqliteStore {
    pub(super) const BACKEND: &str = "sqlite";
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            reads: Arc::default(),
        })
    }

    pub(super) async fn run_migrations(&self) -> Result<(), sqlx::migrate::MigrateError> {
        Self::MIGRATOR.run(&self.pool).await
    }

    pub(super) async fn row_security(&self) -> Result<Option<bool>, sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(None)
    }

    /// A deferred transaction: a consistent snapshot for a unit of reads.
    pub(super) async fn begin_read(&self, _: Unit) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin().await
    }

    /// SQLite has one writer. `BEGIN IMMEDIATE` takes the write lock up front, so a transaction
    /// that reads and then writes waits its turn (busy_timeout) instead of failing on upgrade.
    pub(super) async fn begin_write(&self, _: Unit) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// One writer: a second batch would only wait for the write lock.
    pub(super) const BATCH_WRITERS: usize = 1;

    pub(super) async fn analyze_table(_: &SqlitePool, _: &str) -> Result<(), sqlx::Error> {
        Ok(())
    }

    /// A list of numbers travels as one JSON array.
    pub(super) fn ints(values: &[i32]) -> String {
        serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
    }

    /// UUIDs are stored as 16-byte blobs; a list travels as one JSON array of hex strings.
    pub(super) fn ids(ids: &[Uuid]) -> String {
        let hex: Vec<String> = ids.iter().map(|id| id.simple().to_string()).collect();
        serde_json::Value::from(hex).to_string()
    }
}

impl SqliteStore {
    /// One process owns a SQLite file: its own pump is woken directly, nothing to notify.
    pub(super) async fn notify(_: &mut sqlx::Transaction<'static, Sqlite>, _: Uuid, _: i64) -> Result<(), sqlx::Error> {
        Ok(())
    }

    pub(super) fn wakeups(&self) -> Option<tokio::sync::mpsc::Receiver<Uuid>> {
        None
    }
}
