//! Writing what a phase produced (`PhaseOutput`), inside the transaction of the change or batch
//! that carries it; the row-heavy inserts are bulk.rs's.

use sqlx::{Postgres, Sqlite};

use super::bulk::insert_flow_rows;
use super::postgres::PgStore;
use super::records::{FlowRecord, FlowResultRecord, PhaseOutput};
use super::sqlite::SqliteStore;

macro_rules! impl_output {
    ($store:ident, $db:ident) => {
        impl $store {
            /// Writes a phase's output; with `replace`, first deletes what an earlier run wrote
            /// (assets are upserted either way, and swept by `SweepAssets`).
            pub(super) async fn write_output(
                tx: &mut sqlx::Transaction<'static, $db>,
                flow: &FlowRecord,
                output: &PhaseOutput,
                replace: bool,
            ) -> Result<(), sqlx::Error> {
                match output {
                    PhaseOutput::ImportRecords(records) => {
                        if replace {
                            sqlx::query("DELETE FROM raw_import_records WHERE flow_id = $1")
                                .bind(flow.id)
                                .execute(&mut **tx)
                                .await?;
                        }
                        Self::insert_import_records(tx, flow, records).await?;
                    }
                    PhaseOutput::FieldMappings(mappings) => {
                        sqlx::query("DELETE FROM field_mappings WHERE flow_id = $1").bind(flow.id).execute(&mut **tx).await?;
                        let insert = "INSERT INTO field_mappings (flow_id, client_account_id, engagement_id, \
                                      position, source_field, target_attribute, confidence, status, agent, reasoning) ";
                        insert_flow_rows(tx, flow, (insert, ""), mappings, 500, |row, m| {
                            row.push_bind(m.position)
                                .push_bind(&m.source_field)
                                .push_bind(&m.target_attribute)
                                .push_bind(m.confidence)
                                .push_bind(&m.status)
                                .push_bind(&m.agent)
                                .push_bind(&m.reasoning);
                        })
                        .await?;
                    }
                    PhaseOutput::ApprovedMappings(mappings) => {
                        for m in mappings {
                            sqlx::query(
                                "UPDATE field_mappings SET target_attribute = $3, confidence = $4, status = $5, \
                                 agent = $6, reasoning = $7 WHERE flow_id = $1 AND source_field = $2",
                            )
                            .bind(flow.id)
                            .bind(&m.source_field)
                            .bind(&m.target_attribute)
                            .bind(m.confidence)
                            .bind(&m.status)
                            .bind(&m.agent)
                            .bind(&m.reasoning)
                            .execute(&mut **tx)
                            .await?;
                        }
                    }
                    PhaseOutput::CleansedRecords(records) => {
                        if replace {
                            sqlx::query("DELETE FROM cleansed_records WHERE flow_id = $1").bind(flow.id).execute(&mut **tx).await?;
                        }
                        Self::insert_cleansed_records(tx, flow, records).await?;
                    }
                    PhaseOutput::CleansedMerges { removed, records } => {
                        sqlx::query(concat!("DELETE FROM cleansed_records WHERE position ", in_ints!($db), " AND flow_id = $2"))
                            .bind(Self::ints(removed))
                            .bind(flow.id)
                            .execute(&mut **tx)
                            .await?;
                        Self::insert_cleansed_records(tx, flow, records).await?;
                    }
                    PhaseOutput::Assets(assets) => {
                        // A re-run keeps each asset's id, validation and analysis results; what
                        // it no longer has goes with `SweepAssets`.
                        Self::upsert_assets(tx, assets).await?;
                    }
                    PhaseOutput::SweepAssets { inventory_run } => {
                        let swept: Vec<uuid::Uuid> =
                            sqlx::query_scalar("DELETE FROM assets WHERE flow_id = $1 AND inventory_run <> $2 RETURNING id")
                                .bind(flow.id)
                                .bind(inventory_run)
                                .fetch_all(&mut **tx)
                                .await?;
                        // Their edges and findings go with them (on PostgreSQL they have no
                        // foreign keys to cascade from). Usually nothing was swept.
                        if !swept.is_empty() {
                            for sweep in [
                                concat!("DELETE FROM asset_dependencies WHERE (source_asset_id ", in_ids!($db),
                                    " OR target_asset_id ", in_ids!($db), ") AND flow_id = $2"),
                                concat!("DELETE FROM tech_debt_items WHERE asset_id ", in_ids!($db), " AND flow_id = $2"),
                            ] {
                                sqlx::query(sweep).bind(Self::ids(&swept)).bind(flow.id).execute(&mut **tx).await?;
                            }
                        }
                    }
                    PhaseOutput::Dependencies(edges) => {
                        if replace {
                            sqlx::query("DELETE FROM asset_dependencies WHERE flow_id = $1").bind(flow.id).execute(&mut **tx).await?;
                        }
                        Self::insert_dependencies(tx, flow, edges).await?;
                    }
                    PhaseOutput::Results { kind, rows } => {
                        sqlx::query("DELETE FROM flow_results WHERE flow_id = $1 AND kind = $2")
                            .bind(flow.id)
                            .bind(*kind)
                            .execute(&mut **tx)
                            .await?;
                        Self::upsert_results(tx, flow, rows).await?;
                    }
                    PhaseOutput::Answers { questions, assets } => {
                        Self::upsert_results(tx, flow, questions).await?;
                        for a in assets {
                            // Only the values given change; the tenant filter keeps answers to
                            // the flow's own client account.
                            let updated = sqlx::query(
                                "UPDATE assets SET hostname = COALESCE($3, hostname), fqdn = COALESCE($4, fqdn), \
                                 ip_address = COALESCE($5, ip_address), operating_system = COALESCE($6, operating_system), \
                                 os_version = COALESCE($7, os_version), environment = COALESCE($8, environment), \
                                 application = COALESCE($9, application), cpu_cores = COALESCE($10, cpu_cores), \
                                 memory_gb = COALESCE($11, memory_gb), storage_gb = COALESCE($12, storage_gb), \
                                 owner = COALESCE($13, owner), business_criticality = COALESCE($14, business_criticality), \
                                 location = COALESCE($15, location), updated_at = $16 \
                                 WHERE id = $1 AND client_account_id = $2",
                            )
                            .bind(a.asset_id)
                            .bind(flow.client_account_id)
                            .bind(&a.hostname)
                            .bind(&a.fqdn)
                            .bind(&a.ip_address)
                            .bind(&a.operating_system)
                            .bind(&a.os_version)
                            .bind(&a.environment)
                            .bind(&a.application)
                            .bind(a.cpu_cores)
                            .bind(a.memory_gb)
                            .bind(a.storage_gb)
                            .bind(&a.owner)
                            .bind(&a.business_criticality)
                            .bind(&a.location)
                            .bind(chrono::Utc::now())
                            .execute(&mut **tx)
                            .await?;
                            if updated.rows_affected() != 1 {
                                return Err(sqlx::Error::RowNotFound);
                            }
                        }
                    }
                    PhaseOutput::TechDebt { items, strategies } => {
                        if replace {
                            sqlx::query("DELETE FROM tech_debt_items WHERE flow_id = $1").bind(flow.id).execute(&mut **tx).await?;
                        }
                        Self::insert_tech_debt(tx, flow, items).await?;
                        Self::update_strategies(tx, flow, strategies).await?;
                    }
                }
                Ok(())
            }

            async fn upsert_results(
                tx: &mut sqlx::Transaction<'static, $db>,
                flow: &FlowRecord,
                rows: &[FlowResultRecord],
            ) -> Result<(), sqlx::Error> {
                let statement = (
                    "INSERT INTO flow_results (flow_id, client_account_id, engagement_id, kind, key, position, data) ",
                    " ON CONFLICT (flow_id, kind, key) DO UPDATE SET position = excluded.position, data = excluded.data",
                );
                insert_flow_rows(tx, flow, statement, rows, 1000, |row, r| {
                    row.push_bind(&r.kind).push_bind(&r.key).push_bind(r.position).push_bind(&r.data);
                })
                .await?;
                Ok(())
            }
        }
    };
}

for_both_backends!(impl_output);
