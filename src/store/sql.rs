//! The SQL both backends share. PostgreSQL and SQLite accept the same statements here except for
//! binding a list of ids, so each backend supplies that fragment (`$in_ids`, always parameter $1)
//! and its own `ids()` bind value, `begin_read()`/`begin_write()` (which carry the tenant to
//! PostgreSQL's row-level security) and `run_migrations()`; this macro writes the `Store` impl once.
//! Every statement runs inside a unit of work: a transaction begun for one tenant, or for the
//! system (workers and the event pump, which serve every tenant).

macro_rules! flow_columns {
    () => {
        "id, flow_id, flow_type, master_flow_id, client_account_id, engagement_id, user_id, name, \
         status, current_phase, flow_configuration, flow_state, phases_completed, progress_percentage, \
         data_import_id, performance_metrics, quality_scores, auto_advance, version, created_at, updated_at, \
         completed_at, deleted_at"
    };
}

macro_rules! asset_columns {
    () => {
        "id, flow_id, client_account_id, engagement_id, source_key, name, asset_type, hostname, fqdn, ip_address, \
         operating_system, os_version, environment, application, cpu_cores, memory_gb, storage_gb, owner, \
         business_criticality, location, depends_on, attributes, source_rows, quality_score, validation_status, \
         validation_note, six_r_strategy, six_r_rationale, risk_score, inventory_run, created_at, updated_at"
    };
}

/// Asset filters on $4 type, $5 environment, $6 validation status, $7 end of life, $8 search
/// pattern (lower-case, `%`-wrapped); $9 the source key to page after.
macro_rules! asset_filter {
    () => {
        " AND ($4 IS NULL OR asset_type = $4) AND ($5 IS NULL OR environment = $5) \
         AND ($6 IS NULL OR validation_status = $6) \
         AND ($7 IS NULL OR $7 = EXISTS (SELECT 1 FROM tech_debt_items t WHERE t.asset_id = assets.id \
              AND t.lifecycle_status = 'EOL_EXPIRED')) \
         AND ($8 IS NULL OR LOWER(name) LIKE $8 ESCAPE '\\' OR LOWER(COALESCE(hostname, '')) LIKE $8 ESCAPE '\\' \
              OR LOWER(COALESCE(fqdn, '')) LIKE $8 ESCAPE '\\' OR COALESCE(ip_address, '') LIKE $8 ESCAPE '\\') \
         AND ($9 IS NULL OR source_key > $9)"
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
    ($store:ty, $db:ty, backend = $backend:literal, in_ids = $in_ids:literal, in_ints = $in_ints:literal,
     claim_lock = $claim_lock:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn migrate(&self) -> $crate::store::StoreResult<()> {
                self.run_migrations().await?;
                Ok(())
            }

            async fn ping(&self) -> $crate::store::StoreResult<Option<bool>> {
                Ok(self.row_security().await?)
            }

            #[tracing::instrument(skip_all, fields(flow = %flow.id))]
            async fn insert_flow(
                &self,
                flow: &$crate::store::FlowRecord,
                raw_data: Option<&serde_json::Value>,
                audit: &$crate::store::AuditRecord,
                upload: Option<&mut (dyn std::io::Read + Send)>,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin_write($crate::store::Unit::Tenant(flow.client_account_id)).await?;
                sqlx::query(concat!(
                    "INSERT INTO unified_flow_states (",
                    flow_columns!(),
                    ", raw_data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                     $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
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
                .bind(flow.auto_advance)
                .bind(flow.version)
                .bind(flow.created_at)
                .bind(flow.updated_at)
                .bind(flow.completed_at)
                .bind(flow.deleted_at)
                .bind(raw_data.map(sqlx::types::Json))
                .execute(&mut *tx)
                .await?;
                if let Some(upload) = upload {
                    let mut chunk = Vec::with_capacity($crate::store::UPLOAD_CHUNK);
                    for seq in 0i32.. {
                        chunk.clear();
                        let limit = $crate::store::UPLOAD_CHUNK as u64;
                        let filled = std::io::Read::read_to_end(&mut std::io::Read::take(&mut *upload, limit), &mut chunk)
                            .map_err(sqlx::Error::Io)?;
                        if filled == 0 {
                            break;
                        }
                        sqlx::query(
                            "INSERT INTO raw_upload_chunks (flow_id, client_account_id, engagement_id, seq, bytes) \
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(flow.id)
                        .bind(flow.client_account_id)
                        .bind(flow.engagement_id)
                        .bind(seq)
                        .bind(&chunk[..])
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                Self::insert_audit(&mut tx, audit).await?;
                Self::insert_events(&mut tx, flow, &[$crate::store::EventPayload::of_flow(flow)]).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn upload_chunk(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
                seq: i32,
            ) -> $crate::store::StoreResult<Option<Vec<u8>>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let bytes = sqlx::query_scalar(concat!(
                    "SELECT bytes FROM raw_upload_chunks WHERE flow_id = $1 AND", tenant_2_3!(), "AND seq = $4"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(seq)
                .fetch_optional(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(bytes)
            }

            async fn import_page(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
                after: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ImportRecord>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let records = sqlx::query_as(concat!(
                    "SELECT row_number, line_number, data FROM raw_import_records WHERE flow_id = $1 AND",
                    tenant_2_3!(), "AND row_number > $4 ORDER BY row_number LIMIT $5"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(after)
                .bind(limit)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(records)
            }

            async fn cleansed_page(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
                after: i32,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::CleansedRecord>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let records = sqlx::query_as(concat!(
                    "SELECT position, record_key, data FROM cleansed_records WHERE flow_id = $1 AND",
                    tenant_2_3!(), "AND position > $4 ORDER BY position LIMIT $5"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(after)
                .bind(limit)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(records)
            }

            async fn cleansed_at(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
                positions: &[i32],
            ) -> $crate::store::StoreResult<Vec<$crate::store::CleansedRecord>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let records = sqlx::query_as(concat!(
                    "SELECT position, record_key, data FROM cleansed_records WHERE position ", $in_ints,
                    " AND flow_id = $2 AND client_account_id = $3 AND ($4 IS NULL OR engagement_id = $4) ORDER BY position"
                ))
                .bind(Self::ints(positions))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(records)
            }

            async fn asset_page(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
                after: Option<&str>,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AssetRecord>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let assets = sqlx::query_as(concat!(
                    "SELECT ", asset_columns!(), " FROM assets WHERE flow_id = $1 AND", tenant_2_3!(),
                    "AND source_key > $4 ORDER BY source_key LIMIT $5"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                // Every key sorts after the empty string: the first page needs no other query.
                .bind(after.unwrap_or(""))
                .bind(limit)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(assets)
            }

            async fn dependent_counts(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Vec<(uuid::Uuid, i64)>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let counts = sqlx::query_as(concat!(
                    "SELECT target_asset_id, COUNT(*) FROM asset_dependencies WHERE flow_id = $1 AND",
                    tenant_2_3!(), "GROUP BY target_asset_id"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(counts)
            }

            async fn analyze(&self, table: &'static str) -> $crate::store::StoreResult<()> {
                Self::analyze_table(&self.pool, table).await?;
                Ok(())
            }

            fn batch_writers(&self) -> usize {
                Self::BATCH_WRITERS
            }

            #[tracing::instrument(skip_all, fields(flow = %batch.flow.id, phase = %batch.run.phase))]
            async fn write_batch(&self, batch: &$crate::store::PhaseBatch<'_>) -> $crate::store::StoreResult<()> {
                let flow = batch.flow;
                let mut tx = self.begin_write($crate::store::Unit::Tenant(flow.client_account_id)).await?;
                // The rows first, beside the batch before this one when there is a turn to wait
                // for; the run's row and the events after it, in batch order.
                Self::write_output(&mut tx, flow, batch.output, batch.replace).await?;
                if let Some(turn) = batch.turn {
                    turn.notified().await;
                }
                // Also the lease check: on PostgreSQL the row lock orders this batch against a
                // worker reclaiming the run, so a stale worker's batch can never land after it.
                let held = sqlx::query(
                    "UPDATE flow_phase_runs SET progress = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                )
                .bind(batch.run.id)
                .bind(batch.lease_owner)
                .bind(batch.progress)
                .execute(&mut *tx)
                .await?;
                if held.rows_affected() != 1 {
                    return Err($crate::store::StoreError::LeaseLost);
                }
                Self::insert_events(&mut tx, flow, batch.events).await?;
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
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
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
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(flows)
            }

            async fn list_flows(
                &self,
                scope: &$crate::store::TenantScope,
                filter: &$crate::store::FlowFilter,
                page: &$crate::store::PageRequest,
            ) -> $crate::store::StoreResult<$crate::store::FlowPage> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
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
                .fetch_all(self.counted(&mut tx))
                .await?;
                let has_next_page = flows.len() as i64 > page.limit;
                flows.truncate(page.limit.max(0) as usize);
                let total_count: i64 = sqlx::query_scalar(concat!("SELECT COUNT(*)", list_filter!()))
                    .bind(scope.client_account_id)
                    .bind(scope.engagement_id)
                    .bind(filter.flow_type)
                    .bind(filter.status)
                    .bind(filter.engagement_id)
                    .fetch_one(self.counted(&mut tx))
                    .await?;
                tx.commit().await?;
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
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
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
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(flows)
            }

            async fn raw_data(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Option<serde_json::Value>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let raw: Option<Option<sqlx::types::Json<serde_json::Value>>> = sqlx::query_scalar(concat!(
                    "SELECT raw_data FROM unified_flow_states WHERE id = $1 AND",
                    tenant_2_3!(),
                    "AND deleted_at IS NULL"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_optional(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(raw.flatten().map(|json| json.0))
            }

            #[tracing::instrument(skip_all, fields(flow = %change.flow.id, version = change.flow.version))]
            async fn write_flow(&self, change: &$crate::store::FlowChange<'_>) -> $crate::store::StoreResult<()> {
                let flow = change.flow;
                let mut tx = self.begin_write($crate::store::Unit::Tenant(flow.client_account_id)).await?;
                let updated = sqlx::query(
                    "UPDATE unified_flow_states SET status = $1, current_phase = $2, flow_configuration = $3, \
                     flow_state = $4, phases_completed = $5, progress_percentage = $6, data_import_id = $7, \
                     performance_metrics = $8, quality_scores = $9, version = $10, updated_at = $11, \
                     completed_at = $12, deleted_at = $13, auto_advance = $17 \
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
                .bind(flow.auto_advance)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err($crate::store::StoreError::Conflict);
                }
                match (change.run, change.lease_owner) {
                    (Some(run), Some(owner)) => Self::finish_leased_run(&mut tx, run, owner).await?,
                    (Some(run), None) => Self::upsert_run(&mut tx, run).await.map_err(Self::unique_is_conflict)?,
                    (None, _) => {}
                }
                if let Some(next) = change.next_run {
                    Self::upsert_run(&mut tx, next).await.map_err(Self::unique_is_conflict)?;
                }
                if let Some(output) = change.output {
                    Self::write_output(&mut tx, flow, output, true).await?;
                }
                Self::insert_agent_tasks(&mut tx, flow, change.agent_tasks).await?;
                for audit in change.audit.into_iter().chain(change.more_audits) {
                    Self::insert_audit(&mut tx, audit).await?;
                }
                Self::insert_events(&mut tx, flow, change.events).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn claim_run(
                &self,
                owner: &str,
                lease_until: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Option<$crate::store::ClaimedRun>> {
                let mut tx = self.begin_write($crate::store::Unit::System).await?;
                // Oldest first; a running run whose lease expired belongs to a worker that died.
                let candidate: Option<(uuid::Uuid, String)> = sqlx::query_as(concat!(
                    "SELECT r.id, r.status FROM flow_phase_runs r JOIN unified_flow_states f ON f.id = r.flow_id \
                     WHERE (r.status = 'queued' OR (r.status = 'running' AND r.lease_expires_at < $1)) \
                     AND f.deleted_at IS NULL AND f.status <> 'paused' \
                     ORDER BY r.created_at LIMIT 1",
                    $claim_lock
                ))
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((id, was)) = candidate else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let run: $crate::store::PhaseRunRecord = sqlx::query_as(concat!(
                    "UPDATE flow_phase_runs SET status = 'running', progress = 0, started_at = $2, \
                     lease_owner = $3, lease_expires_at = $4 WHERE id = $1 RETURNING ",
                    run_columns!()
                ))
                .bind(id)
                .bind(now)
                .bind(owner)
                .bind(lease_until)
                .fetch_one(&mut *tx)
                .await?;
                let flow: $crate::store::FlowRecord = sqlx::query_as(concat!(
                    "SELECT ", flow_columns!(), " FROM unified_flow_states WHERE id = $1"
                ))
                .bind(run.flow_id)
                .fetch_one(&mut *tx)
                .await?;
                let event = $crate::store::EventPayload::of_run(&run, None);
                Self::insert_events(&mut tx, &flow, std::slice::from_ref(&event)).await?;
                tx.commit().await?;
                Ok(Some($crate::store::ClaimedRun { run, reclaimed: was == "running" }))
            }

            async fn heartbeat(
                &self,
                run_id: uuid::Uuid,
                owner: &str,
                lease_until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write($crate::store::Unit::System).await?;
                let updated = sqlx::query(
                    "UPDATE flow_phase_runs SET lease_expires_at = $3 \
                     WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                )
                .bind(run_id)
                .bind(owner)
                .bind(lease_until)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(updated.rows_affected() == 1)
            }

            async fn release_run(&self, run_id: uuid::Uuid, owner: &str) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin_write($crate::store::Unit::System).await?;
                sqlx::query(
                    "UPDATE flow_phase_runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL \
                     WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                )
                .bind(run_id)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn queue_depth(&self) -> $crate::store::StoreResult<(i64, i64)> {
                let mut tx = self.begin_read($crate::store::Unit::System).await?;
                let (queued, running): (i64, i64) = sqlx::query_as(
                    "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) \
                     FROM flow_phase_runs WHERE status IN ('queued', 'running')",
                )
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok((queued, running))
            }

            async fn append_events(
                &self,
                flow: &$crate::store::FlowRecord,
                events: &[$crate::store::EventPayload],
            ) -> $crate::store::StoreResult<()> {
                if events.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write($crate::store::Unit::Tenant(flow.client_account_id)).await?;
                Self::insert_events(&mut tx, flow, events).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn events_after(
                &self,
                flow_id: uuid::Uuid,
                after: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StoredEvent>> {
                let mut tx = self.begin_read($crate::store::Unit::System).await?;
                let rows: Vec<$crate::store::EventRow> = sqlx::query_as(
                    "SELECT flow_id, sequence, client_account_id, engagement_id, created_at, payload \
                     FROM flow_events WHERE flow_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
                )
                .bind(flow_id)
                .bind(after)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(rows.into_iter().filter_map($crate::store::EventRow::into_event).collect())
            }

            async fn event_heads(
                &self,
                since: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Vec<(uuid::Uuid, i64)>> {
                let mut tx = self.begin_read($crate::store::Unit::System).await?;
                let heads = sqlx::query_as(
                    "SELECT flow_id, MAX(sequence) FROM flow_events WHERE created_at >= $1 GROUP BY flow_id",
                )
                .bind(since)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(heads)
            }

            async fn event_head(&self, flow_id: uuid::Uuid) -> $crate::store::StoreResult<i64> {
                let mut tx = self.begin_read($crate::store::Unit::System).await?;
                let head: Option<i64> =
                    sqlx::query_scalar("SELECT event_sequence FROM unified_flow_states WHERE id = $1")
                        .bind(flow_id)
                        .fetch_optional(self.counted(&mut tx))
                        .await?;
                tx.commit().await?;
                Ok(head.unwrap_or(0))
            }

            async fn recent_agent_tasks(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: Option<uuid::Uuid>,
                since: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AgentTaskSample>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let samples = sqlx::query_as(
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
                .await?;
                tx.commit().await?;
                Ok(samples)
            }

            fn event_wakeups(&self) -> Option<tokio::sync::mpsc::Receiver<uuid::Uuid>> {
                self.wakeups()
            }

            async fn phase_runs(
                &self,
                scope: &$crate::store::TenantScope,
                flow_ids: &[uuid::Uuid],
            ) -> $crate::store::StoreResult<Vec<$crate::store::PhaseRunRecord>> {
                if flow_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
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
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
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
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
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
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(events)
            }

            async fn import_records(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
                limit: Option<i64>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ImportRecord>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let records = sqlx::query_as(concat!(
                    "SELECT row_number, line_number, data FROM raw_import_records WHERE flow_id = $1 AND",
                    tenant_2_3!(), "ORDER BY row_number LIMIT $4"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(limit.unwrap_or(i64::MAX))
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(records)
            }

            async fn field_mappings(
                &self,
                scope: &$crate::store::TenantScope,
                flow_ids: &[uuid::Uuid],
            ) -> $crate::store::StoreResult<Vec<$crate::store::FieldMappingRecord>> {
                if flow_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let mappings = sqlx::query_as(concat!(
                    "SELECT flow_id, position, source_field, target_attribute, confidence, status, agent, reasoning \
                     FROM field_mappings WHERE flow_id ", $in_ids, " AND", tenant_2_3!(), "ORDER BY flow_id, position"
                ))
                .bind(Self::ids(flow_ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(mappings)
            }

            async fn cleansed_records(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Vec<$crate::store::CleansedRecord>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let records = sqlx::query_as(concat!(
                    "SELECT position, record_key, data FROM cleansed_records WHERE flow_id = $1 AND",
                    tenant_2_3!(), "ORDER BY position"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(records)
            }

            async fn flow_assets(
                &self,
                scope: &$crate::store::TenantScope,
                flow_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AssetRecord>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let assets = sqlx::query_as(concat!(
                    "SELECT ", asset_columns!(), " FROM assets WHERE flow_id = $1 AND", tenant_2_3!(),
                    "ORDER BY source_key"
                ))
                .bind(flow_id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(assets)
            }

            async fn assets_by_ids(
                &self,
                scope: &$crate::store::TenantScope,
                ids: &[uuid::Uuid],
            ) -> $crate::store::StoreResult<Vec<$crate::store::AssetRecord>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                // Assets of a deleted flow are hidden with it. As `flow_id IN (live flows)`, a
                // planner that guessed one flow row (fresh statistics) looped the id lookup once
                // per flow: 40 ms for 800 ids of 20 flows, against 2 ms for this anti-join.
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let assets = sqlx::query_as(concat!(
                    "SELECT ", asset_columns!(), " FROM assets WHERE id ", $in_ids, " AND", tenant_2_3!(),
                    "AND NOT EXISTS (SELECT 1 FROM unified_flow_states f WHERE f.id = assets.flow_id \
                     AND f.deleted_at IS NOT NULL)"
                ))
                .bind(Self::ids(ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(assets)
            }

            async fn asset_pages(
                &self,
                scope: &$crate::store::TenantScope,
                flow_ids: &[uuid::Uuid],
                filter: &$crate::store::AssetFilter,
                after: Option<&str>,
                limit: i64,
            ) -> $crate::store::StoreResult<$crate::store::AssetPages> {
                if flow_ids.is_empty() {
                    return Ok(Default::default());
                }
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let search = filter.search.as_ref().map(|s| {
                    let escaped = s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                    format!("%{escaped}%")
                });
                // One statement for every flow's page: number each flow's rows, keep the first limit + 1.
                let assets = sqlx::query_as(concat!(
                    "SELECT * FROM (SELECT ", asset_columns!(),
                    ", ROW_NUMBER() OVER (PARTITION BY flow_id ORDER BY source_key) AS page_row \
                     FROM assets WHERE flow_id ", $in_ids, " AND", tenant_2_3!(), asset_filter!(),
                    ") paged WHERE page_row <= $10 ORDER BY flow_id, source_key"
                ))
                .bind(Self::ids(flow_ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(&filter.asset_type)
                .bind(&filter.environment)
                .bind(&filter.validation_status)
                .bind(filter.end_of_life)
                .bind(&search)
                .bind(after)
                .bind(limit + 1)
                .fetch_all(self.counted(&mut tx))
                .await?;
                let totals = sqlx::query_as(concat!(
                    "SELECT flow_id, COUNT(*) FROM assets WHERE flow_id ", $in_ids, " AND", tenant_2_3!(),
                    asset_filter!(), " GROUP BY flow_id"
                ))
                .bind(Self::ids(flow_ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(&filter.asset_type)
                .bind(&filter.environment)
                .bind(&filter.validation_status)
                .bind(filter.end_of_life)
                .bind(&search)
                .bind(None::<&str>)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok($crate::store::AssetPages { assets, totals })
            }

            async fn dependencies(
                &self,
                scope: &$crate::store::TenantScope,
                asset_ids: &[uuid::Uuid],
                direction: $crate::store::Direction,
            ) -> $crate::store::StoreResult<Vec<$crate::store::DependencyRecord>> {
                if asset_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let query = match direction {
                    $crate::store::Direction::Outgoing => concat!(
                        "SELECT source_asset_id, target_asset_id, dependency_type, confidence FROM asset_dependencies \
                         WHERE source_asset_id ", $in_ids, " AND", tenant_2_3!(), "ORDER BY source_asset_id, target_asset_id"
                    ),
                    $crate::store::Direction::Incoming => concat!(
                        "SELECT source_asset_id, target_asset_id, dependency_type, confidence FROM asset_dependencies \
                         WHERE target_asset_id ", $in_ids, " AND", tenant_2_3!(), "ORDER BY target_asset_id, source_asset_id"
                    ),
                };
                let edges = sqlx::query_as(query)
                    .bind(Self::ids(asset_ids))
                    .bind(scope.client_account_id)
                    .bind(scope.engagement_id)
                    .fetch_all(self.counted(&mut tx))
                    .await?;
                tx.commit().await?;
                Ok(edges)
            }

            async fn tech_debt(
                &self,
                scope: &$crate::store::TenantScope,
                asset_ids: &[uuid::Uuid],
            ) -> $crate::store::StoreResult<Vec<$crate::store::TechDebtRecord>> {
                if asset_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let items = sqlx::query_as(concat!(
                    "SELECT id, asset_id, category, severity, description, end_of_life, lifecycle_status, support_level \
                     FROM tech_debt_items WHERE asset_id ", $in_ids, " AND", tenant_2_3!(), "ORDER BY asset_id, id"
                ))
                .bind(Self::ids(asset_ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(items)
            }

            async fn flow_results(
                &self,
                scope: &$crate::store::TenantScope,
                flow_ids: &[uuid::Uuid],
                kind: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::FlowResultRecord>> {
                if flow_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let rows = sqlx::query_as(concat!(
                    "SELECT flow_id, kind, key, position, data FROM flow_results WHERE flow_id ", $in_ids,
                    " AND", tenant_2_3!(), "AND kind = $4 ORDER BY flow_id, position"
                ))
                .bind(Self::ids(flow_ids))
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(kind)
                .fetch_all(self.counted(&mut tx))
                .await?;
                tx.commit().await?;
                Ok(rows)
            }

            async fn agent_stats(
                &self,
                scope: &$crate::store::TenantScope,
                flow_ids: Option<&[uuid::Uuid]>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AgentStatRecord>> {
                let mut tx = self.begin_read($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let stats = match flow_ids {
                    Some([]) => Vec::new(),
                    Some(ids) => sqlx::query_as(concat!(
                        "SELECT flow_id, agent, COUNT(*) AS tasks, \
                         SUM(CASE WHEN outcome = 'success' THEN 1 ELSE 0 END) AS successes, \
                         AVG(duration_ms) AS avg_ms FROM agent_tasks WHERE flow_id ", $in_ids, " AND",
                        tenant_2_3!(), "GROUP BY flow_id, agent"
                    ))
                    .bind(Self::ids(ids))
                    .bind(scope.client_account_id)
                    .bind(scope.engagement_id)
                    .fetch_all(self.counted(&mut tx))
                    .await?,
                    None => sqlx::query_as(
                        "SELECT agent, COUNT(*) AS tasks, \
                         SUM(CASE WHEN outcome = 'success' THEN 1 ELSE 0 END) AS successes, \
                         AVG(duration_ms) AS avg_ms FROM agent_tasks WHERE client_account_id = $1 \
                         AND ($2 IS NULL OR engagement_id = $2) GROUP BY agent",
                    )
                    .bind(scope.client_account_id)
                    .bind(scope.engagement_id)
                    .fetch_all(self.counted(&mut tx))
                    .await?,
                };
                tx.commit().await?;
                Ok(stats)
            }

            async fn validate_asset(
                &self,
                scope: &$crate::store::TenantScope,
                asset: &$crate::store::AssetRecord,
                audit: &$crate::store::AuditRecord,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin_write($crate::store::Unit::Tenant(scope.client_account_id)).await?;
                let updated = sqlx::query(concat!(
                    "UPDATE assets SET validation_status = $4, validation_note = $5, updated_at = $6 \
                     WHERE id = $1 AND", tenant_2_3!()
                ))
                .bind(asset.id)
                .bind(scope.client_account_id)
                .bind(scope.engagement_id)
                .bind(&asset.validation_status)
                .bind(&asset.validation_note)
                .bind(asset.updated_at)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err($crate::store::StoreError::NotFound);
                }
                Self::insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            fn read_statements(&self) -> u64 {
                self.reads.load(std::sync::atomic::Ordering::Relaxed)
            }

        }

        impl $store {
            /// A read unit's connection, counting the statement about to run on it.
            fn counted<'c>(
                &self,
                tx: &'c mut sqlx::Transaction<'static, $db>,
            ) -> &'c mut <$db as sqlx::Database>::Connection {
                self.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                &mut **tx
            }

            /// Gives the events the flow's next sequence numbers (under the flow row's lock, so
            /// sequences have no gaps and no duplicates) and stores them; PostgreSQL also
            /// wakes the other replicas, on commit.
            async fn insert_events(
                tx: &mut sqlx::Transaction<'static, $db>,
                flow: &$crate::store::FlowRecord,
                events: &[$crate::store::EventPayload],
            ) -> Result<(), sqlx::Error> {
                if events.is_empty() {
                    return Ok(());
                }
                let last: i64 = sqlx::query_scalar(
                    "UPDATE unified_flow_states SET event_sequence = event_sequence + $2 WHERE id = $1                      RETURNING event_sequence",
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

            /// A worker finishing its run: refused when the lease went to another worker.
            async fn finish_leased_run(
                tx: &mut sqlx::Transaction<'static, $db>,
                run: &$crate::store::PhaseRunRecord,
                owner: &str,
            ) -> $crate::store::StoreResult<()> {
                let updated = sqlx::query(
                    "UPDATE flow_phase_runs SET status = $3, progress = $4, completed_at = $5, result = $6, \
                     error = $7, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2",
                )
                .bind(run.id)
                .bind(owner)
                .bind(run.status)
                .bind(run.progress)
                .bind(run.completed_at)
                .bind(&run.result)
                .bind(&run.error)
                .execute(&mut **tx)
                .await?;
                if updated.rows_affected() != 1 {
                    return Err($crate::store::StoreError::LeaseLost);
                }
                Ok(())
            }

            async fn insert_agent_tasks(
                tx: &mut sqlx::Transaction<'static, $db>,
                flow: &$crate::store::FlowRecord,
                tasks: &[$crate::store::AgentTaskRecord],
            ) -> Result<(), sqlx::Error> {
                for chunk in tasks.chunks(500) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO agent_tasks (id, flow_id, client_account_id, engagement_id, agent, phase, \
                         started_at, finished_at, duration_ms, outcome, confidence, reasoning, error) ",
                    );
                    insert.push_values(chunk, |mut row, task| {
                        row.push_bind(task.id)
                            .push_bind(flow.id)
                            .push_bind(flow.client_account_id)
                            .push_bind(flow.engagement_id)
                            .push_bind(&task.agent)
                            .push_bind(task.phase)
                            .push_bind(task.started_at)
                            .push_bind(task.finished_at)
                            .push_bind(task.duration_ms)
                            .push_bind(&task.outcome)
                            .push_bind(task.confidence)
                            .push_bind(&task.reasoning)
                            .push_bind(&task.error);
                    });
                    insert.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

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

            /// Writes a phase's output; with `replace`, first deletes what an earlier run wrote
            /// (assets are upserted either way, and swept by `SweepAssets`).
            async fn write_output(
                tx: &mut sqlx::Transaction<'static, $db>,
                flow: &$crate::store::FlowRecord,
                output: &$crate::store::PhaseOutput,
                replace: bool,
            ) -> Result<(), sqlx::Error> {
                match output {
                    $crate::store::PhaseOutput::ImportRecords(records) => {
                        if replace {
                            sqlx::query("DELETE FROM raw_import_records WHERE flow_id = $1")
                                .bind(flow.id)
                                .execute(&mut **tx)
                                .await?;
                        }
                        Self::insert_import_records(tx, flow, records).await?;
                    }
                    $crate::store::PhaseOutput::FieldMappings(mappings) => {
                        sqlx::query("DELETE FROM field_mappings WHERE flow_id = $1").bind(flow.id).execute(&mut **tx).await?;
                        for chunk in mappings.chunks(500) {
                            let mut insert = sqlx::QueryBuilder::<$db>::new(
                                "INSERT INTO field_mappings (flow_id, client_account_id, engagement_id, position, \
                                 source_field, target_attribute, confidence, status, agent, reasoning) ",
                            );
                            insert.push_values(chunk, |mut row, m| {
                                row.push_bind(flow.id)
                                    .push_bind(flow.client_account_id)
                                    .push_bind(flow.engagement_id)
                                    .push_bind(m.position)
                                    .push_bind(&m.source_field)
                                    .push_bind(&m.target_attribute)
                                    .push_bind(m.confidence)
                                    .push_bind(&m.status)
                                    .push_bind(&m.agent)
                                    .push_bind(&m.reasoning);
                            });
                            insert.build().execute(&mut **tx).await?;
                        }
                    }
                    $crate::store::PhaseOutput::ApprovedMappings(mappings) => {
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
                    $crate::store::PhaseOutput::CleansedRecords(records) => {
                        if replace {
                            sqlx::query("DELETE FROM cleansed_records WHERE flow_id = $1").bind(flow.id).execute(&mut **tx).await?;
                        }
                        Self::insert_cleansed_records(tx, flow, records).await?;
                    }
                    $crate::store::PhaseOutput::CleansedMerges { removed, records } => {
                        sqlx::query(concat!("DELETE FROM cleansed_records WHERE position ", $in_ints, " AND flow_id = $2"))
                            .bind(Self::ints(removed))
                            .bind(flow.id)
                            .execute(&mut **tx)
                            .await?;
                        Self::insert_cleansed_records(tx, flow, records).await?;
                    }
                    $crate::store::PhaseOutput::Assets(assets) => {
                        // A re-run keeps each asset's id, validation and analysis results; what
                        // it no longer has goes with `SweepAssets`.
                        Self::upsert_assets(tx, assets).await?;
                    }
                    $crate::store::PhaseOutput::SweepAssets { inventory_run } => {
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
                                concat!("DELETE FROM asset_dependencies WHERE (source_asset_id ", $in_ids,
                                    " OR target_asset_id ", $in_ids, ") AND flow_id = $2"),
                                concat!("DELETE FROM tech_debt_items WHERE asset_id ", $in_ids, " AND flow_id = $2"),
                            ] {
                                sqlx::query(sweep).bind(Self::ids(&swept)).bind(flow.id).execute(&mut **tx).await?;
                            }
                        }
                    }
                    $crate::store::PhaseOutput::Dependencies(edges) => {
                        if replace {
                            sqlx::query("DELETE FROM asset_dependencies WHERE flow_id = $1").bind(flow.id).execute(&mut **tx).await?;
                        }
                        Self::insert_dependencies(tx, flow, edges).await?;
                    }
                    $crate::store::PhaseOutput::Results { kind, rows } => {
                        sqlx::query("DELETE FROM flow_results WHERE flow_id = $1 AND kind = $2")
                            .bind(flow.id)
                            .bind(*kind)
                            .execute(&mut **tx)
                            .await?;
                        Self::upsert_results(tx, flow, rows).await?;
                    }
                    $crate::store::PhaseOutput::Answers { questions, assets } => {
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
                    $crate::store::PhaseOutput::TechDebt { items, strategies } => {
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
                flow: &$crate::store::FlowRecord,
                rows: &[$crate::store::FlowResultRecord],
            ) -> Result<(), sqlx::Error> {
                for chunk in rows.chunks(1000) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO flow_results (flow_id, client_account_id, engagement_id, kind, key, position, data) ",
                    );
                    insert.push_values(chunk, |mut row, r| {
                        row.push_bind(flow.id)
                            .push_bind(flow.client_account_id)
                            .push_bind(flow.engagement_id)
                            .push_bind(&r.kind)
                            .push_bind(&r.key)
                            .push_bind(r.position)
                            .push_bind(&r.data);
                    });
                    insert.push(
                        " ON CONFLICT (flow_id, kind, key) DO UPDATE SET position = excluded.position, data = excluded.data",
                    );
                    insert.build().execute(&mut **tx).await?;
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
