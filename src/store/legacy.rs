//! The SQL of `flowgraph migrate-legacy`: reading the old services' two tables
//! (`crewai_flow_state_extensions` + `discovery_flows`, PostgreSQL; layout in
//! migrations/legacy/README.md) and writing `unified_flow_states`, `flow_phase_runs` and an audit
//! event per flow into the server's database, PostgreSQL or SQLite. Mapping, validation and the
//! report live in `crate::legacy`.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Postgres;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::types::Json;
use uuid::Uuid;

use super::handle::connect;
use super::postgres::PgStore;
use super::records::{AuditRecord, FlowRecord, PhaseRunRecord};
use super::scope::{StoreError, StoreResult};
use super::sqlite::SqliteStore;
use crate::domain::PhaseName;

/// A `discovery_flows` row with its `crewai_flow_state_extensions` row (LEFT JOIN on flow_id), as
/// read: everything optional and the old spellings kept, so that a bad row is reported rather
/// than failing the read. `ext_*` and the JSON columns come from the extension row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LegacyFlowRow {
    pub id: Uuid,
    pub flow_id: Option<String>,
    pub client_account_id: Option<Uuid>,
    pub engagement_id: Option<Uuid>,
    pub user_id: Option<String>,
    pub data_import_id: Option<Uuid>,
    pub flow_name: Option<String>,
    pub status: Option<String>,
    /// NUMERIC in the old table, read as float8 (NaN stays NaN and is reported).
    pub progress_percentage: Option<f64>,
    pub current_phase: Option<String>,
    pub data_import_completed: bool,
    pub attribute_mapping_completed: bool,
    pub data_cleansing_completed: bool,
    pub inventory_completed: bool,
    pub dependencies_completed: bool,
    pub tech_debt_completed: bool,
    pub crewai_state_data: Option<Json<Value>>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub has_extension: bool,
    pub ext_client_account_id: Option<Uuid>,
    pub ext_engagement_id: Option<Uuid>,
    pub ext_user_id: Option<String>,
    pub ext_flow_type: Option<String>,
    pub ext_flow_status: Option<String>,
    pub flow_configuration: Option<Json<Value>>,
    pub flow_persistence_data: Option<Json<Value>>,
    pub phase_execution_times: Option<Json<Value>>,
    pub ext_created_at: Option<DateTime<Utc>>,
    pub ext_updated_at: Option<DateTime<Utc>>,
}

/// A `crewai_flow_state_extensions` row that no `discovery_flows` row points at (a flow of the
/// old assessment or collection services, or a discovery flow whose second row was never written).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LegacyExtensionOnly {
    pub flow_id: String,
    pub client_account_id: Option<Uuid>,
    pub engagement_id: Option<Uuid>,
    pub flow_type: Option<String>,
    pub flow_status: Option<String>,
}

/// `discovery_flows` rows per (client account, engagement), NULLs included, counted by the database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LegacyTenantCount {
    pub client_account_id: Option<Uuid>,
    pub engagement_id: Option<Uuid>,
    pub rows: i64,
}

/// The old database, read in one read-only REPEATABLE READ transaction: every page, count and
/// list comes from the same snapshot, even if an old service is still writing.
pub struct LegacySource {
    tx: sqlx::Transaction<'static, Postgres>,
}

const LEGACY_SELECT: &str = "SELECT d.id, d.flow_id, d.client_account_id, d.engagement_id, d.user_id::text AS user_id, \
     d.data_import_id, d.flow_name, d.status, d.progress_percentage::float8 AS progress_percentage, d.current_phase, \
     COALESCE(d.data_import_completed, FALSE) AS data_import_completed, \
     COALESCE(d.attribute_mapping_completed, FALSE) AS attribute_mapping_completed, \
     COALESCE(d.data_cleansing_completed, FALSE) AS data_cleansing_completed, \
     COALESCE(d.inventory_completed, FALSE) AS inventory_completed, \
     COALESCE(d.dependencies_completed, FALSE) AS dependencies_completed, \
     COALESCE(d.tech_debt_completed, FALSE) AS tech_debt_completed, \
     d.crewai_state_data::jsonb AS crewai_state_data, d.created_at::timestamptz AS created_at, \
     d.updated_at::timestamptz AS updated_at, d.completed_at::timestamptz AS completed_at, \
     e.flow_id IS NOT NULL AS has_extension, e.client_account_id AS ext_client_account_id, \
     e.engagement_id AS ext_engagement_id, e.user_id::text AS ext_user_id, e.flow_type AS ext_flow_type, \
     e.flow_status AS ext_flow_status, e.flow_configuration::jsonb AS flow_configuration, \
     e.flow_persistence_data::jsonb AS flow_persistence_data, \
     e.phase_execution_times::jsonb AS phase_execution_times, e.created_at::timestamptz AS ext_created_at, \
     e.updated_at::timestamptz AS ext_updated_at \
     FROM discovery_flows d LEFT JOIN crewai_flow_state_extensions e ON e.flow_id = d.flow_id \
     WHERE ($1::uuid IS NULL OR d.id > $1) ORDER BY d.id LIMIT $2";

impl LegacySource {
    pub async fn open(url: &str) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(|err| anyhow::anyhow!("cannot connect to the legacy database: {err}"))?;
        let mut tx = pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        // Timestamps without a time zone (if a table has them) are read as UTC.
        sqlx::query("SET LOCAL TIME ZONE 'UTC'").execute(&mut *tx).await?;
        let (flows, extensions): (bool, bool) = sqlx::query_as(
            "SELECT to_regclass('discovery_flows') IS NOT NULL, \
             to_regclass('crewai_flow_state_extensions') IS NOT NULL",
        )
        .fetch_one(&mut *tx)
        .await?;
        if !flows || !extensions {
            anyhow::bail!(
                "the legacy database has no discovery_flows and crewai_flow_state_extensions tables \
                 (see migrations/legacy/README.md for the layout read)"
            );
        }
        Ok(LegacySource { tx })
    }

    /// The next `limit` rows after `after`, in id order.
    pub async fn page(&mut self, after: Option<Uuid>, limit: i64) -> StoreResult<Vec<LegacyFlowRow>> {
        Ok(sqlx::query_as(LEGACY_SELECT)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *self.tx)
            .await?)
    }

    pub async fn tenant_counts(&mut self) -> StoreResult<Vec<LegacyTenantCount>> {
        Ok(sqlx::query_as(
            "SELECT client_account_id, engagement_id, COUNT(*) AS rows FROM discovery_flows \
             GROUP BY client_account_id, engagement_id ORDER BY client_account_id, engagement_id",
        )
        .fetch_all(&mut *self.tx)
        .await?)
    }

    pub async fn extension_only(&mut self) -> StoreResult<Vec<LegacyExtensionOnly>> {
        Ok(sqlx::query_as(
            "SELECT e.flow_id, e.client_account_id, e.engagement_id, e.flow_type, e.flow_status \
             FROM crewai_flow_state_extensions e \
             WHERE NOT EXISTS (SELECT 1 FROM discovery_flows d WHERE d.flow_id = e.flow_id) ORDER BY e.flow_id",
        )
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Ends the read-only snapshot.
    pub async fn close(self) -> StoreResult<()> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// One migrated flow: its row, a completed run per phase the old flow had completed, and the
/// audit event that records the migration.
#[derive(Debug, Clone)]
pub struct LegacyWrite {
    pub flow: FlowRecord,
    pub runs: Vec<PhaseRunRecord>,
    pub audit: AuditRecord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Written now, with this many phase runs.
    Inserted { runs: u64 },
    /// A row with this id was already there (an earlier run): nothing written.
    AlreadyPresent,
    /// Another flow of the target already has this flow_id: nothing written.
    FlowIdTaken { by: Uuid },
}

/// The server's database as the migration writes and checks it.
#[async_trait]
pub trait LegacyTarget: Send + Sync {
    fn backend(&self) -> &'static str;
    /// Writes the batch in one transaction; any error rolls all of it back. `ON CONFLICT DO
    /// NOTHING` makes a flow that is already there (or whose flow_id is taken) a no-op.
    async fn write_batch(&self, batch: &[LegacyWrite]) -> StoreResult<Vec<WriteOutcome>>;
    /// The (id, flow_id) of the target's flows that have one of `ids` or one of `flow_ids`.
    async fn existing(&self, ids: &[Uuid], flow_ids: &[String]) -> StoreResult<Vec<(Uuid, String)>>;
    /// The flows with these ids (deleted ones too) and the (flow, phase) of their completed runs.
    async fn read_back(&self, ids: &[Uuid]) -> StoreResult<(Vec<FlowRecord>, Vec<(Uuid, PhaseName)>)>;
}

/// Opens the server's database. Writing: through `store::connect`, so our migrations run first.
/// Dry run: read-only, no migrations, no SQLite file created; `None` when the database has no
/// flowgraph schema yet (nothing is there, everything would be inserted).
pub async fn open_target(url: &str, dry_run: bool) -> anyhow::Result<Option<Box<dyn LegacyTarget>>> {
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    if !postgres && !url.starts_with("sqlite:") {
        anyhow::bail!("unsupported database URL: expected postgres://… or sqlite:…");
    }
    if !dry_run {
        connect(url).await?;
        if !postgres {
            let pool = SqliteStore::connect(url).await?.pool;
            return Ok(Some(Box::new(SqliteTarget { pool })));
        }
    }
    if postgres {
        // The importer writes and checks every tenant's flows: a system unit of work for the
        // row-level security policies, for the whole session.
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::raw_sql("SET flowgraph.system = 'on'")
                        .execute(conn)
                        .await
                        .map(drop)
                })
            })
            .connect(url)
            .await?;
        let migrated: bool = sqlx::query_scalar("SELECT to_regclass('unified_flow_states') IS NOT NULL")
            .fetch_one(&pool)
            .await?;
        return Ok(migrated.then(|| Box::new(PgTarget { pool }) as Box<dyn LegacyTarget>));
    }
    let options = SqliteConnectOptions::from_str(url)?;
    if !options.get_filename().exists() {
        return Ok(None);
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options.read_only(true).busy_timeout(Duration::from_secs(10)))
        .await?;
    let migrated: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'unified_flow_states'")
            .fetch_one(&pool)
            .await?;
    Ok((migrated > 0).then(|| Box::new(SqliteTarget { pool }) as Box<dyn LegacyTarget>))
}

/// The target implementation for one backend; PostgreSQL and SQLite differ only in how a list
/// is bound (`in_ids!` on parameter $1 and the store's `ids()`, as in sql.rs; `$in_texts` on $2)
/// and how a write transaction begins.
macro_rules! legacy_target {
    ($target:ident, $store:ident, $db:ident, $pool:ty, begin = $begin:literal, in_texts = $in_texts:literal,
     texts = $texts:expr) => {
        pub struct $target {
            pool: $pool,
        }

        #[async_trait]
        impl LegacyTarget for $target {
            fn backend(&self) -> &'static str {
                $store::BACKEND
            }

            async fn write_batch(&self, batch: &[LegacyWrite]) -> StoreResult<Vec<WriteOutcome>> {
                let mut tx = self.pool.begin_with($begin).await?;
                let mut outcomes = Vec::with_capacity(batch.len());
                for write in batch {
                    let flow = &write.flow;
                    let insert = sqlx::query(concat!(
                        "INSERT INTO unified_flow_states (",
                        flow_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                         $18, $19, $20, $21, $22, $23) ON CONFLICT DO NOTHING"
                    ));
                    let inserted = bind_flow!(insert, flow).execute(&mut *tx).await?.rows_affected();
                    if inserted == 0 {
                        // Which row was in the way: this very flow (an earlier run) or another
                        // flow holding the same flow_id.
                        let holder: Option<Uuid> = sqlx::query_scalar(
                            "SELECT id FROM unified_flow_states WHERE id = $1 OR flow_id = $2 \
                             ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END LIMIT 1",
                        )
                        .bind(flow.id)
                        .bind(&flow.flow_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        outcomes.push(match holder {
                            Some(id) if id == flow.id => WriteOutcome::AlreadyPresent,
                            Some(by) => WriteOutcome::FlowIdTaken { by },
                            None => return Err(StoreError::Conflict),
                        });
                        continue;
                    }
                    let mut runs = 0;
                    for run in &write.runs {
                        runs += insert_run!("ON CONFLICT DO NOTHING", run)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    }
                    $store::insert_audit(&mut tx, &write.audit).await?;
                    outcomes.push(WriteOutcome::Inserted { runs });
                }
                tx.commit().await?;
                Ok(outcomes)
            }

            async fn existing(&self, ids: &[Uuid], flow_ids: &[String]) -> StoreResult<Vec<(Uuid, String)>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT id, flow_id FROM unified_flow_states WHERE id ",
                    in_ids!($db),
                    " OR flow_id ",
                    $in_texts
                ))
                .bind($store::ids(ids))
                .bind(($texts)(flow_ids))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn read_back(&self, ids: &[Uuid]) -> StoreResult<(Vec<FlowRecord>, Vec<(Uuid, PhaseName)>)> {
                let flows = sqlx::query_as(concat!(
                    "SELECT ",
                    flow_columns!(),
                    " FROM unified_flow_states WHERE id ",
                    in_ids!($db)
                ))
                .bind($store::ids(ids))
                .fetch_all(&self.pool)
                .await?;
                let runs = sqlx::query_as(concat!(
                    "SELECT flow_id, phase FROM flow_phase_runs WHERE flow_id ",
                    in_ids!($db),
                    " AND status = 'completed'"
                ))
                .bind($store::ids(ids))
                .fetch_all(&self.pool)
                .await?;
                Ok((flows, runs))
            }
        }
    };
}

legacy_target!(
    PgTarget,
    PgStore,
    Postgres,
    PgPool,
    begin = "BEGIN",
    in_texts = "= ANY($2)",
    texts = |texts: &[String]| texts.to_vec()
);

legacy_target!(
    SqliteTarget,
    SqliteStore,
    Sqlite,
    SqlitePool,
    begin = "BEGIN IMMEDIATE",
    in_texts = "IN (SELECT value FROM json_each($2))",
    texts = |texts: &[String]| Value::from(texts.to_vec()).to_string()
);
