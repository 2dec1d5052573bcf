//! Bulk writes of a phase's rows: the one place the two backends differ in how, not what.
//! PostgreSQL binds each column once as an array and unnests it on the server, so a batch of any
//! size is one statement with a handful of binds. SQLite has no arrays: it takes multi-row
//! `VALUES` lists, chunked to stay under its 32,766 binds per statement.

use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};

use super::{
    AssetRecord, AssetStrategy, CleansedRecord, DependencyRecord, FlowRecord, ImportRecord, PgStore, SqliteStore,
    TechDebtRecord,
};

/// A re-run keeps each asset's id, validation and analysis results.
const ASSET_UPSERT: &str = " ON CONFLICT (flow_id, source_key) DO UPDATE SET name = excluded.name, \
     asset_type = excluded.asset_type, hostname = excluded.hostname, fqdn = excluded.fqdn, \
     ip_address = excluded.ip_address, operating_system = excluded.operating_system, \
     os_version = excluded.os_version, environment = excluded.environment, \
     application = excluded.application, cpu_cores = excluded.cpu_cores, \
     memory_gb = excluded.memory_gb, storage_gb = excluded.storage_gb, owner = excluded.owner, \
     business_criticality = excluded.business_criticality, location = excluded.location, \
     depends_on = excluded.depends_on, attributes = excluded.attributes, \
     source_rows = excluded.source_rows, quality_score = excluded.quality_score, \
     inventory_run = excluded.inventory_run, updated_at = excluded.updated_at";

/// Rows per PostgreSQL statement: large enough that the per-statement cost vanishes, small
/// enough that one batch's arrays stay a few megabytes.
const PG_BATCH: usize = 10_000;

fn column<'a, T, U>(rows: &'a [T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

type PgTx = Transaction<'static, Postgres>;
type SqliteTx = Transaction<'static, Sqlite>;

impl PgStore {
    pub(super) async fn insert_import_records(
        tx: &mut PgTx,
        flow: &FlowRecord,
        records: &[ImportRecord],
    ) -> Result<(), sqlx::Error> {
        for chunk in records.chunks(PG_BATCH) {
            sqlx::query(
                "INSERT INTO raw_import_records \
                 (flow_id, client_account_id, engagement_id, row_number, line_number, data) \
                 SELECT $1, $2, $3, * FROM UNNEST($4::int8[], $5::int8[], $6::jsonb[])",
            )
            .bind(flow.id)
            .bind(flow.client_account_id)
            .bind(flow.engagement_id)
            .bind(column(chunk, |r| r.row_number))
            .bind(column(chunk, |r| r.line_number))
            .bind(column(chunk, |r| &r.data))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub(super) async fn insert_cleansed_records(
        tx: &mut PgTx,
        flow: &FlowRecord,
        records: &[CleansedRecord],
    ) -> Result<(), sqlx::Error> {
        for chunk in records.chunks(PG_BATCH) {
            sqlx::query(
                "INSERT INTO cleansed_records (flow_id, client_account_id, engagement_id, position, record_key, data) \
                 SELECT $1, $2, $3, * FROM UNNEST($4::int4[], $5::text[], $6::jsonb[])",
            )
            .bind(flow.id)
            .bind(flow.client_account_id)
            .bind(flow.engagement_id)
            .bind(column(chunk, |r| r.position))
            .bind(column(chunk, |r| r.record_key.as_str()))
            .bind(column(chunk, |r| &r.data))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub(super) async fn upsert_assets(tx: &mut PgTx, assets: &[AssetRecord]) -> Result<(), sqlx::Error> {
        for chunk in assets.chunks(PG_BATCH) {
            let sql = format!(
                "INSERT INTO assets ({}) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], \
                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
                 $13::text[], $14::text[], $15::int8[], $16::float8[], $17::float8[], $18::text[], $19::text[], \
                 $20::text[], $21::jsonb[], $22::jsonb[], $23::jsonb[], $24::float8[], $25::text[], $26::text[], \
                 $27::text[], $28::text[], $29::int8[], $30::uuid[], $31::timestamptz[], $32::timestamptz[]){}",
                asset_columns!(),
                ASSET_UPSERT
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(column(chunk, |a| a.id))
                .bind(column(chunk, |a| a.flow_id))
                .bind(column(chunk, |a| a.client_account_id))
                .bind(column(chunk, |a| a.engagement_id))
                .bind(column(chunk, |a| a.source_key.as_str()))
                .bind(column(chunk, |a| a.name.as_str()))
                .bind(column(chunk, |a| a.asset_type.as_str()))
                .bind(column(chunk, |a| a.hostname.as_deref()))
                .bind(column(chunk, |a| a.fqdn.as_deref()))
                .bind(column(chunk, |a| a.ip_address.as_deref()))
                .bind(column(chunk, |a| a.operating_system.as_deref()))
                .bind(column(chunk, |a| a.os_version.as_deref()))
                .bind(column(chunk, |a| a.environment.as_deref()))
                .bind(column(chunk, |a| a.application.as_deref()))
                .bind(column(chunk, |a| a.cpu_cores))
                .bind(column(chunk, |a| a.memory_gb))
                .bind(column(chunk, |a| a.storage_gb))
                .bind(column(chunk, |a| a.owner.as_deref()))
                .bind(column(chunk, |a| a.business_criticality.as_deref()))
                .bind(column(chunk, |a| a.location.as_deref()))
                .bind(column(chunk, |a| &a.depends_on))
                .bind(column(chunk, |a| &a.attributes))
                .bind(column(chunk, |a| &a.source_rows))
                .bind(column(chunk, |a| a.quality_score))
                .bind(column(chunk, |a| a.validation_status.as_str()))
                .bind(column(chunk, |a| a.validation_note.as_deref()))
                .bind(column(chunk, |a| a.six_r_strategy.as_deref()))
                .bind(column(chunk, |a| a.six_r_rationale.as_deref()))
                .bind(column(chunk, |a| a.risk_score))
                .bind(column(chunk, |a| a.inventory_run))
                .bind(column(chunk, |a| a.created_at))
                .bind(column(chunk, |a| a.updated_at))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn insert_dependencies(
        tx: &mut PgTx,
        flow: &FlowRecord,
        edges: &[DependencyRecord],
    ) -> Result<(), sqlx::Error> {
        for chunk in edges.chunks(PG_BATCH) {
            sqlx::query(
                "INSERT INTO asset_dependencies (flow_id, client_account_id, engagement_id, source_asset_id, \
                 target_asset_id, dependency_type, confidence) \
                 SELECT $1, $2, $3, * FROM UNNEST($4::uuid[], $5::uuid[], $6::text[], $7::float8[])",
            )
            .bind(flow.id)
            .bind(flow.client_account_id)
            .bind(flow.engagement_id)
            .bind(column(chunk, |e| e.source_asset_id))
            .bind(column(chunk, |e| e.target_asset_id))
            .bind(column(chunk, |e| e.dependency_type.as_str()))
            .bind(column(chunk, |e| e.confidence))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    pub(super) async fn insert_tech_debt(
        tx: &mut PgTx,
        flow: &FlowRecord,
        items: &[TechDebtRecord],
    ) -> Result<(), sqlx::Error> {
        for chunk in items.chunks(PG_BATCH) {
            sqlx::query(
                "INSERT INTO tech_debt_items (id, flow_id, client_account_id, engagement_id, asset_id, category, \
                 severity, description, end_of_life, lifecycle_status, support_level) \
                 SELECT u.id, $1, $2, $3, u.asset_id, u.category, u.severity, u.description, u.end_of_life, \
                 u.lifecycle_status, u.support_level FROM UNNEST($4::uuid[], $5::uuid[], $6::text[], $7::text[], \
                 $8::text[], $9::date[], $10::text[], $11::text[]) AS u(id, asset_id, category, severity, \
                 description, end_of_life, lifecycle_status, support_level)",
            )
            .bind(flow.id)
            .bind(flow.client_account_id)
            .bind(flow.engagement_id)
            .bind(column(chunk, |t| t.id))
            .bind(column(chunk, |t| t.asset_id))
            .bind(column(chunk, |t| t.category.as_str()))
            .bind(column(chunk, |t| t.severity.as_str()))
            .bind(column(chunk, |t| t.description.as_str()))
            .bind(column(chunk, |t| t.end_of_life))
            .bind(column(chunk, |t| t.lifecycle_status.as_deref()))
            .bind(column(chunk, |t| t.support_level.as_deref()))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// One set-based UPDATE per batch, joined to the unnested strategies by asset id (the
    /// primary key), instead of one statement per asset.
    pub(super) async fn update_strategies(
        tx: &mut PgTx,
        flow: &FlowRecord,
        strategies: &[AssetStrategy],
    ) -> Result<(), sqlx::Error> {
        for chunk in strategies.chunks(PG_BATCH) {
            sqlx::query(
                "UPDATE assets SET six_r_strategy = s.strategy, six_r_rationale = s.rationale, risk_score = s.risk \
                 FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::int8[]) AS s(id, strategy, rationale, risk) \
                 WHERE assets.id = s.id AND assets.flow_id = $5",
            )
            .bind(column(chunk, |s| s.asset_id))
            .bind(column(chunk, |s| s.six_r_strategy.as_str()))
            .bind(column(chunk, |s| s.six_r_rationale.as_str()))
            .bind(column(chunk, |s| s.risk_score))
            .bind(flow.id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

impl SqliteStore {
    pub(super) async fn insert_import_records(
        tx: &mut SqliteTx,
        flow: &FlowRecord,
        records: &[ImportRecord],
    ) -> Result<(), sqlx::Error> {
        for chunk in records.chunks(5000) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO raw_import_records \
                 (flow_id, client_account_id, engagement_id, row_number, line_number, data) ",
            );
            insert.push_values(chunk, |mut row, record| {
                row.push_bind(flow.id)
                    .push_bind(flow.client_account_id)
                    .push_bind(flow.engagement_id)
                    .push_bind(record.row_number)
                    .push_bind(record.line_number)
                    .push_bind(&record.data);
            });
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(super) async fn insert_cleansed_records(
        tx: &mut SqliteTx,
        flow: &FlowRecord,
        records: &[CleansedRecord],
    ) -> Result<(), sqlx::Error> {
        for chunk in records.chunks(5000) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO cleansed_records (flow_id, client_account_id, engagement_id, position, record_key, data) ",
            );
            insert.push_values(chunk, |mut row, r| {
                row.push_bind(flow.id)
                    .push_bind(flow.client_account_id)
                    .push_bind(flow.engagement_id)
                    .push_bind(r.position)
                    .push_bind(&r.record_key)
                    .push_bind(&r.data);
            });
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(super) async fn upsert_assets(tx: &mut SqliteTx, assets: &[AssetRecord]) -> Result<(), sqlx::Error> {
        // 32 binds a row: 1,000 rows stay under the bind limit.
        for chunk in assets.chunks(1000) {
            let mut insert = QueryBuilder::<Sqlite>::new(concat!("INSERT INTO assets (", asset_columns!(), ") "));
            insert.push_values(chunk, |mut row, a| {
                row.push_bind(a.id)
                    .push_bind(a.flow_id)
                    .push_bind(a.client_account_id)
                    .push_bind(a.engagement_id)
                    .push_bind(&a.source_key)
                    .push_bind(&a.name)
                    .push_bind(&a.asset_type)
                    .push_bind(&a.hostname)
                    .push_bind(&a.fqdn)
                    .push_bind(&a.ip_address)
                    .push_bind(&a.operating_system)
                    .push_bind(&a.os_version)
                    .push_bind(&a.environment)
                    .push_bind(&a.application)
                    .push_bind(a.cpu_cores)
                    .push_bind(a.memory_gb)
                    .push_bind(a.storage_gb)
                    .push_bind(&a.owner)
                    .push_bind(&a.business_criticality)
                    .push_bind(&a.location)
                    .push_bind(&a.depends_on)
                    .push_bind(&a.attributes)
                    .push_bind(&a.source_rows)
                    .push_bind(a.quality_score)
                    .push_bind(&a.validation_status)
                    .push_bind(&a.validation_note)
                    .push_bind(&a.six_r_strategy)
                    .push_bind(&a.six_r_rationale)
                    .push_bind(a.risk_score)
                    .push_bind(a.inventory_run)
                    .push_bind(a.created_at)
                    .push_bind(a.updated_at);
            });
            insert.push(ASSET_UPSERT);
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(super) async fn insert_dependencies(
        tx: &mut SqliteTx,
        flow: &FlowRecord,
        edges: &[DependencyRecord],
    ) -> Result<(), sqlx::Error> {
        for chunk in edges.chunks(4000) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO asset_dependencies (flow_id, client_account_id, engagement_id, \
                 source_asset_id, target_asset_id, dependency_type, confidence) ",
            );
            insert.push_values(chunk, |mut row, e| {
                row.push_bind(flow.id)
                    .push_bind(flow.client_account_id)
                    .push_bind(flow.engagement_id)
                    .push_bind(e.source_asset_id)
                    .push_bind(e.target_asset_id)
                    .push_bind(&e.dependency_type)
                    .push_bind(e.confidence);
            });
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(super) async fn insert_tech_debt(
        tx: &mut SqliteTx,
        flow: &FlowRecord,
        items: &[TechDebtRecord],
    ) -> Result<(), sqlx::Error> {
        for chunk in items.chunks(2500) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO tech_debt_items (id, flow_id, client_account_id, engagement_id, asset_id, \
                 category, severity, description, end_of_life, lifecycle_status, support_level) ",
            );
            insert.push_values(chunk, |mut row, t| {
                row.push_bind(t.id)
                    .push_bind(flow.id)
                    .push_bind(flow.client_account_id)
                    .push_bind(flow.engagement_id)
                    .push_bind(t.asset_id)
                    .push_bind(&t.category)
                    .push_bind(&t.severity)
                    .push_bind(&t.description)
                    .push_bind(t.end_of_life)
                    .push_bind(&t.lifecycle_status)
                    .push_bind(&t.support_level);
            });
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// One UPDATE per chunk joined to a VALUES list (columns column1.. in SQLite).
    pub(super) async fn update_strategies(
        tx: &mut SqliteTx,
        flow: &FlowRecord,
        strategies: &[AssetStrategy],
    ) -> Result<(), sqlx::Error> {
        for chunk in strategies.chunks(8000) {
            let mut update = QueryBuilder::<Sqlite>::new(
                "UPDATE assets SET six_r_strategy = v.column2, six_r_rationale = v.column3, \
                 risk_score = v.column4 FROM (",
            );
            update.push_values(chunk, |mut row, s| {
                row.push_bind(s.asset_id)
                    .push_bind(&s.six_r_strategy)
                    .push_bind(&s.six_r_rationale)
                    .push_bind(s.risk_score);
            });
            update
                .push(") AS v WHERE assets.id = v.column1 AND assets.flow_id = ")
                .push_bind(flow.id);
            update.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}
