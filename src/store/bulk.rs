//! Bulk writes of a phase's rows: the one place the two backends differ in how, not what.
//! PostgreSQL binds each column once as an array and unnests it on the server, so a batch of any
//! size is one statement with a handful of binds. SQLite has no arrays: it takes multi-row
//! `VALUES` lists, chunked to stay under its 32,766 binds per statement.

use std::sync::LazyLock;

use sqlx::query_builder::Separated;
use sqlx::{Database, Encode, Executor, IntoArguments, Postgres, QueryBuilder, Sqlite, Transaction, Type};
use uuid::Uuid;

use super::postgres::PgStore;
use super::records::{
    AssetRecord, AssetStrategy, CleansedRecord, DependencyRecord, FlowRecord, ImportRecord, TechDebtRecord,
};
use super::sqlite::SqliteStore;

/// (name, PostgreSQL type, `new` or `kept`) of each of `asset_columns!`.
macro_rules! asset_column_facts {
    (; $($col:ident $pg_type:ident $how:ident $rerun:ident),+) => {
        [$((stringify!($col), stringify!($pg_type), stringify!($rerun))),+]
    };
}

/// Binds a chunk of assets as one array per column, in `asset_columns!` order.
macro_rules! bind_asset_arrays {
    ($query:expr, $chunk:expr; $($col:ident $pg_type:ident $how:ident $rerun:ident),+) => {
        $query $(.bind(column($chunk, |a| asset_value!($how a.$col))))+
    };
}

/// Pushes an asset's values onto a `VALUES` row, in `asset_columns!` order.
macro_rules! push_asset_values {
    ($row:ident, $a:ident; $($col:ident $pg_type:ident $how:ident $rerun:ident),+) => {
        $row $(.push_bind(asset_value!($how $a.$col)))+
    };
}

/// What a re-run's asset upsert writes over: the columns `asset_columns!` marks `new`. It keeps
/// each asset's id, validation and analysis results.
static ASSET_UPSERT: LazyLock<String> = LazyLock::new(|| {
    let set: Vec<String> = asset_columns!(asset_column_facts!())
        .iter()
        .filter(|(_, _, rerun)| *rerun == "new")
        .map(|(name, _, _)| format!("{name} = excluded.{name}"))
        .collect();
    format!(" ON CONFLICT (flow_id, source_key) DO UPDATE SET {}", set.join(", "))
});

/// PostgreSQL's asset upsert: one array per column ($1 the ids, …), unnested into rows.
static PG_ASSET_UPSERT: LazyLock<String> = LazyLock::new(|| {
    let arrays: Vec<String> = asset_columns!(asset_column_facts!())
        .iter()
        .enumerate()
        .map(|(i, (_, pg_type, _))| format!("${}::{pg_type}[]", i + 1))
        .collect();
    format!(
        "INSERT INTO assets ({}) SELECT * FROM UNNEST({}){}",
        asset_columns!(),
        arrays.join(", "),
        *ASSET_UPSERT
    )
});

/// Rows per PostgreSQL statement: large enough that the per-statement cost vanishes, small
/// enough that one batch's arrays stay a few megabytes.
const PG_BATCH: usize = 10_000;

fn column<'a, T, U>(rows: &'a [T], f: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

/// Inserts a flow's rows as multi-row `VALUES` lists of `per_statement` rows each (SQLite's bulk
/// insert, and both databases' for the smaller tables): `insert` names the table and columns,
/// each row binds the flow's id and tenant and then what `push` binds of the row itself, and
/// `tail` ends each statement.
pub(super) async fn insert_flow_rows<'r, DB, T>(
    tx: &mut Transaction<'static, DB>,
    flow: &'r FlowRecord,
    (insert, tail): (&'static str, &'static str),
    rows: &'r [T],
    per_statement: usize,
    push: impl Fn(&mut Separated<'_, DB, &'static str>, &'r T),
) -> Result<(), sqlx::Error>
where
    DB: Database,
    Uuid: Encode<'r, DB> + Type<DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    for chunk in rows.chunks(per_statement) {
        let mut statement = QueryBuilder::<DB>::new(insert);
        statement.push_values(chunk, |mut row, r| {
            row.push_bind(flow.id)
                .push_bind(flow.client_account_id)
                .push_bind(flow.engagement_id);
            push(&mut row, r);
        });
        statement.push(tail);
        statement.build().execute(&mut **tx).await?;
    }
    Ok(())
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
            let upsert = sqlx::query(sqlx::AssertSqlSafe(PG_ASSET_UPSERT.as_str()));
            asset_columns!(bind_asset_arrays!(upsert, chunk))
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
        let insert = "INSERT INTO raw_import_records \
                      (flow_id, client_account_id, engagement_id, row_number, line_number, data) ";
        insert_flow_rows(tx, flow, (insert, ""), records, 5000, |row, r| {
            row.push_bind(r.row_number).push_bind(r.line_number).push_bind(&r.data);
        })
        .await
    }

    pub(super) async fn insert_cleansed_records(
        tx: &mut SqliteTx,
        flow: &FlowRecord,
        records: &[CleansedRecord],
    ) -> Result<(), sqlx::Error> {
        let insert =
            "INSERT INTO cleansed_records (flow_id, client_account_id, engagement_id, position, record_key, data) ";
        insert_flow_rows(tx, flow, (insert, ""), records, 5000, |row, r| {
            row.push_bind(r.position).push_bind(&r.record_key).push_bind(&r.data);
        })
        .await
    }

    pub(super) async fn upsert_assets(tx: &mut SqliteTx, assets: &[AssetRecord]) -> Result<(), sqlx::Error> {
        // 32 binds a row: 1,000 rows stay under the bind limit.
        for chunk in assets.chunks(1000) {
            let mut insert = QueryBuilder::<Sqlite>::new(concat!("INSERT INTO assets (", asset_columns!(), ") "));
            insert.push_values(chunk, |mut row, a| {
                asset_columns!(push_asset_values!(row, a));
            });
            insert.push(ASSET_UPSERT.as_str());
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(super) async fn insert_dependencies(
        tx: &mut SqliteTx,
        flow: &FlowRecord,
        edges: &[DependencyRecord],
    ) -> Result<(), sqlx::Error> {
        let insert = "INSERT INTO asset_dependencies (flow_id, client_account_id, engagement_id, \
                      source_asset_id, target_asset_id, dependency_type, confidence) ";
        insert_flow_rows(tx, flow, (insert, ""), edges, 4000, |row, e| {
            row.push_bind(e.source_asset_id)
                .push_bind(e.target_asset_id)
                .push_bind(&e.dependency_type)
                .push_bind(e.confidence);
        })
        .await
    }

    pub(super) async fn insert_tech_debt(
        tx: &mut SqliteTx,
        flow: &FlowRecord,
        items: &[TechDebtRecord],
    ) -> Result<(), sqlx::Error> {
        let insert = "INSERT INTO tech_debt_items (flow_id, client_account_id, engagement_id, id, asset_id, \
                      category, severity, description, end_of_life, lifecycle_status, support_level) ";
        insert_flow_rows(tx, flow, (insert, ""), items, 2500, |row, t| {
            row.push_bind(t.id)
                .push_bind(t.asset_id)
                .push_bind(&t.category)
                .push_bind(&t.severity)
                .push_bind(&t.description)
                .push_bind(t.end_of_life)
                .push_bind(&t.lifecycle_status)
                .push_bind(&t.support_level);
        })
        .await
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

#[cfg(test)]
mod tests {
    use super::{ASSET_UPSERT, PG_ASSET_UPSERT};

    fn words(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The statements made from `asset_columns!` are the ones written out by hand before it.
    #[test]
    fn asset_upsert_statements_come_from_the_one_column_list() {
        assert_eq!(
            words(&ASSET_UPSERT),
            words(
                "ON CONFLICT (flow_id, source_key) DO UPDATE SET name = excluded.name, \
                 asset_type = excluded.asset_type, hostname = excluded.hostname, fqdn = excluded.fqdn, \
                 ip_address = excluded.ip_address, operating_system = excluded.operating_system, \
                 os_version = excluded.os_version, environment = excluded.environment, \
                 application = excluded.application, cpu_cores = excluded.cpu_cores, \
                 memory_gb = excluded.memory_gb, storage_gb = excluded.storage_gb, owner = excluded.owner, \
                 business_criticality = excluded.business_criticality, location = excluded.location, \
                 depends_on = excluded.depends_on, attributes = excluded.attributes, \
                 source_rows = excluded.source_rows, quality_score = excluded.quality_score, \
                 inventory_run = excluded.inventory_run, updated_at = excluded.updated_at"
            )
        );
        assert_eq!(
            words(&PG_ASSET_UPSERT),
            words(&format!(
                "INSERT INTO assets (id, flow_id, client_account_id, engagement_id, source_key, name, asset_type, \
                 hostname, fqdn, ip_address, operating_system, os_version, environment, application, cpu_cores, \
                 memory_gb, storage_gb, owner, business_criticality, location, depends_on, attributes, \
                 source_rows, quality_score, validation_status, validation_note, six_r_strategy, \
                 six_r_rationale, risk_score, inventory_run, created_at, updated_at) \
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], \
                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
                 $13::text[], $14::text[], $15::int8[], $16::float8[], $17::float8[], $18::text[], $19::text[], \
                 $20::text[], $21::jsonb[], $22::jsonb[], $23::jsonb[], $24::float8[], $25::text[], $26::text[], \
                 $27::text[], $28::text[], $29::int8[], $30::uuid[], $31::timestamptz[], $32::timestamptz[]){}",
                *ASSET_UPSERT
            ))
        );
    }
}
