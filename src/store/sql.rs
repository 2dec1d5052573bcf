//! The SQL both backends share. PostgreSQL and SQLite accept the same statements here except for
//! binding a list of ids, so each backend supplies that fragment (`$in_ids`, always parameter $1)
//! and its own `ids()` bind value and `begin_write()`; this macro writes the `Store` impl once.

macro_rules! flow_columns {
    () => {
        "id, flow_id, flow_type, master_flow_id, client_account_id, engagement_id, user_id, name, \
         status, current_phase, flow_configuration, flow_state, phases_completed, progress_percentage, \
         data_import_id, performance_metrics, quality_scores, version, created_at, updated_at, \
         completed_at, deleted_at"
    };
}

macro_rules! run_columns {
    () => {
        "id, flow_id, client_account_id, engagement_id, phase, status, attempt, progress, requested_by, \
         created_at, started_at, completed_at, result, error"
    };
}

/// Tenant filter on parameters $2 (client account) and $3 (optional engagement).
macro_rules! tenant_2_3 {
    () => {
        " client_account_id = $2 AND ($3 IS NULL OR engagement_id = $3) "
    };
}

/// The flows a listing may show: tenant ($1, $2) and the optional filters ($3 type, $4 status,
/// $5 engagement).
macro_rules! list_filter {
    () => {
        " FROM unified_flow_states WHERE client_account_id = $1 AND ($2 IS NULL OR engagement_id = $2) \
         AND deleted_at IS NULL AND ($3 IS NULL OR flow_type = $3) AND ($4 IS NULL OR status = $4) \
         AND ($5 IS NULL OR engagement_id = $5)"
    };
}

macro_rules! impl_sql_store {
    ($store:ty, $db:ty, backend = $backend:literal, in_ids = $in_ids:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn migrate(&self) -> $crate::store::StoreResult<()> {
                Self::MIGRATOR.run(&self.pool).await?;
                Ok(())
            }

            async fn ping(&self) -> $crate::store::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(skip_all, fields(flow = %flow.id))]
            async fn insert_flow(
                &self,
                flow: &$crate::store::FlowRecord,
                raw_data: Option<&serde_json::Value>,
                audit: &$crate::store::AuditRecord,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(concat!(
                    "INSERT INTO unified_flow_states (",
                    flow_columns!(),
                    ", raw_data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                     $15, $16, $17, $18, $19, $20, $21, $22, $23)"
                ))
                .bind(flow.id)
                .bind(&flow.flow_id)
                .bind(flow.flow_type)
                .bind(flow.master_flow_id)
                .bind(flow.client_account_id)
                .bind(flow.engagement_id)
                .bind(flow.user_id)
                .bind(&flow.name)
                .bind(flow.status)
                .bind(flow.current_phase)
                .bind(&flow.flow_configuration)
                .bind(&flow.flow_state)
                .bind(&flow.phases_completed)
                .bind(flow.progress_percentage)
                .bind(flow.data_import_id)
                .bind(&flow.performance_metrics)
                .bind(&flow.quality_scores)
                .bind(flow.version)
                .bind(flow.created_at)
                .bind(flow.updated_at)
                .bind(flow.completed_at)
                .bind(flow.deleted_at)
                .bind(raw_data.map(sqlx::types::Json))
                .execute(&mut *tx)
                .await?;
                Self::insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_flows(
                &self,
                scope: &$crate::store::TenantScope,
                ids: &[uuid::Uuid],
            ) -> $crate::store::StoreResult<Vec<$crate::store::FlowRecord>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let flows = sqlx::query_as(concat!(
                    "SELECT ",
                    flow_columns!(),
                    " FROM unified_flow_states WHERE id ",
                    $in_ids,
                    " AND",
                    tenant_2_3!(),
                    "AND deleted_at IS NULL"
                ))
                .bind(Self::ids(ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(flows)
            }

            async fn list_flows(
                &self,
                scope: &$crate::store::TenantScope,
                filter: &$crate::store::FlowFilter,
                page: &$crate::store::PageRequest,
            ) -> $crate::store::StoreResult<$crate::store::FlowPage> {
                let mut flows: Vec<$crate::store::FlowRecord> = sqlx::query_as(concat!(
                    "SELECT ",
                    flow_columns!(),
                    list_filter!(),
                    " AND ($6 IS NULL OR id < $6) ORDER BY id DESC LIMIT $7"
                ))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(filter.flow_type)
                .bind(filter.status)
                .bind(filter.engagement_id)
                .bind(page.after)
                .bind(page.limit + 1)
                .fetch_all(&self.pool)
                .await?;
                let has_next_page = flows.len() as i64 > page.limit;
                flows.truncate(page.limit.max(0) as usize);
                let total_count: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*)", list_filter!()))
                    .bind(scope.client_account_id)
                    .bind(scope.engagement_id)
                    .bind(filter.flow_type)
                    .bind(filter.status)
                    .bind(filter.engagement_id)
                    .fetch_one(&self.pool)
                    .await?;
                Ok($crate::store::FlowPage {
                    flows,
                    has_next_page,
                    total_count,
                })
            }

            async fn child_flows(
                &self,
                scope: &$crate::store::TenantScope,
                master_ids: &[uuid::Uuid],
            ) -> $crate::store::StoreResult<Vec<$crate::store::FlowRecord>> {
                if master_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let flows = sqlx::query_as(concat!(
                    "SELECT ",
                    flow_columns!(),
                    " FROM unified_flow_states WHERE master_flow_id ",
                    $in_ids,
                    " AND",
                    tenant_2_3!(),
                    "AND deleted_at IS NULL ORDER BY id"
                ))
                .bind(Self::ids(master_ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(flows)
            }

            async fn raw_data(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Option<serde_json::Value>> {
                let raw: Option<Option<sqlx::types::Json<serde_json::Value>>> = sqlx::query_scalar(concat!(
                    "SELECT raw_data FROM unified_flow_states WHERE id = $1 AND",
                    tenant_2_3!(),
                    "AND deleted_at IS NULL"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(raw.flatten().map(|json| json.0))
            }

            #[tracing::instrument(skip_all, fields(flow = %change.flow.id, version = change.flow.version))]
            async fn write_flow(&self, change: &$crate::store::FlowChange<'_>) -> $crate::store::StoreResult<()> {
                let flow = change.flow;
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE unified_flow_states SET status = $1, current_phase = $2, flow_configuration = $3, \
                     flow_state = $4, phases_completed = $5, progress_percentage = $6, data_import_id = $7, \
                     performance_metrics = $8, quality_scores = $9, version = $10, updated_at = $11, \
                     completed_at = $12, deleted_at = $13 \
                     WHERE id = $14 AND client_account_id = $15 AND version = $16 AND deleted_at IS NULL",
                )
                .bind(flow.status)
                .bind(flow.current_phase)
                .bind(&flow.flow_configuration)
                .bind(&flow.flow_state)
                .bind(&flow.phases_completed)
                .bind(flow.progress_percentage)
                .bind(flow.data_import_id)
                .bind(&flow.performance_metrics)
                .bind(&flow.quality_scores)
                .bind(flow.version)
                .bind(flow.updated_at)
                .bind(flow.completed_at)
                .bind(flow.deleted_at)
                .bind(flow.id)
                .bind(flow.client_account_id)
                .bind(flow.version - 1)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err($crate::store::StoreError::Conflict);
                }
                if let Some(run) = change.run {
                    Self::upsert_run(&mut tx, run)
                        .await
                        .map_err(Self::unique_is_conflict)?;
                }
                if let Some(output) = change.output {
                    Self::write_output(&mut tx, flow, output).await?;
                }
                if let Some(audit) = change.audit {
                    Self::insert_audit(&mut tx, audit).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn phase_runs(
                &self,
                scope: &$crate::store::TenantScope,
                flow_ids: &[uuid::Uuid],
            ) -> $crate::store::StoreResult<Vec<$crate::store::PhaseRunRecord>> {
                if flow_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let runs = sqlx::query_as(concat!(
                    "SELECT ",
                    run_columns!(),
                    " FROM flow_phase_runs WHERE flow_id ",
                    $in_ids,
                    " AND",
                    tenant_2_3!(),
                    "ORDER BY flow_id, phase, attempt"
                ))
                .bind(Self::ids(flow_ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(runs)
            }

            async fn audit_events(
                &self,
                scope: &$crate::store::TenantScope,
                flow_ids: &[uuid::Uuid],
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuditRecord>> {
                if flow_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let events = sqlx::query_as(concat!(
                    "SELECT id, flow_id, client_account_id, engagement_id, user_id, action, details, created_at \
                     FROM audit_events WHERE flow_id ",
                    $in_ids,
                    " AND",
                    tenant_2_3!(),
                    "ORDER BY id"
                ))
                .bind(Self::ids(flow_ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(events)
            }

            async fn import_records(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ImportRecord>> {
                let records = sqlx::query_as(concat!(
                    "SELECT row_number, line_number, data FROM raw_import_records WHERE flow_id = $1 AND",
                    tenant_2_3!(),
                    "ORDER BY row_number"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(records)
            }

            async fn fail_interrupted_runs(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE unified_flow_states SET status = 'failed', version = version + 1, updated_at = $1 \
                     WHERE status = 'running' AND id IN \
                     (SELECT flow_id FROM flow_phase_runs WHERE status IN ('queued', 'running'))",
                )
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let runs = sqlx::query(
                    "UPDATE flow_phase_runs SET status = 'failed', completed_at = $1, \
                     error = 'interrupted: the server stopped while this phase ran; execute it again' \
                     WHERE status IN ('queued', 'running')",
                )
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(runs.rows_affected())
            }
        }

        impl $store {
            async fn insert_audit(
                tx: &mut sqlx::Transaction<'static, $db>,
                audit: &$crate::store::AuditRecord,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(
                    "INSERT INTO audit_events \
                     (id, flow_id, client_account_id, engagement_id, user_id, action, details, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(audit.id)
                .bind(audit.flow_id)
                .bind(audit.client_account_id)
                .bind(audit.engagement_id)
                .bind(audit.user_id)
                .bind(&audit.action)
                .bind(&audit.details)
                .bind(audit.created_at)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn upsert_run(
                tx: &mut sqlx::Transaction<'static, $db>,
                run: &$crate::store::PhaseRunRecord,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(concat!(
                    "INSERT INTO flow_phase_runs (",
                    run_columns!(),
                    ") \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                     ON CONFLICT (id) DO UPDATE SET status = excluded.status, progress = excluded.progress, \
                     started_at = excluded.started_at, completed_at = excluded.completed_at, \
                     result = excluded.result, error = excluded.error"
                ))
                .bind(run.id)
                .bind(run.flow_id)
                .bind(run.client_account_id)
                .bind(run.engagement_id)
                .bind(run.phase)
                .bind(run.status)
                .bind(run.attempt)
                .bind(run.progress)
                .bind(run.requested_by)
                .bind(run.created_at)
                .bind(run.started_at)
                .bind(run.completed_at)
                .bind(&run.result)
                .bind(&run.error)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn write_output(
                tx: &mut sqlx::Transaction<'static, $db>,
                flow: &$crate::store::FlowRecord,
                output: &$crate::store::PhaseOutput,
            ) -> Result<(), sqlx::Error> {
                match output {
                    $crate::store::PhaseOutput::ImportRecords(records) => {
                        sqlx::query("DELETE FROM raw_import_records WHERE flow_id = $1")
                            .bind(flow.id)
                            .execute(&mut **tx)
                            .await?;
                        // 6 binds a row: 500 rows stay far below both databases' bind limits.
                        for chunk in records.chunks(500) {
                            let mut insert = sqlx::QueryBuilder::<$db>::new(
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
                    }
                }
                Ok(())
            }

            /// The one-active-run-per-flow index turns a race between two starters into a conflict.
            fn unique_is_conflict(err: sqlx::Error) -> $crate::store::StoreError {
                match &err {
                    sqlx::Error::Database(db) if db.is_unique_violation() => $crate::store::StoreError::Conflict,
                    _ => err.into(),
                }
            }
        }
    };
}
