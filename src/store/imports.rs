//! `ImportStore`: a flow's imported rows, the field mappings proposed for them and the cleansed
//! records made from them.

use async_trait::async_trait;
use uuid::Uuid;

use super::postgres::PgStore;
use super::records::{CleansedRecord, FieldMappingRecord, ImportRecord};
use super::scope::{StoreResult, TenantScope};
use super::sqlite::SqliteStore;

#[async_trait]
pub trait ImportStore: Send + Sync {
    /// The flow's imported rows in order; `limit` takes the first ones only (a sample).
    async fn import_records(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        limit: Option<i64>,
    ) -> StoreResult<Vec<ImportRecord>> {
        // Row numbers start at 1.
        self.import_page(scope, flow_id, 0, limit.unwrap_or(i64::MAX)).await
    }
    /// A page of the flow's imported rows after row number `after`, in order.
    async fn import_page(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<ImportRecord>>;
    async fn field_mappings(&self, scope: &TenantScope, flow_ids: &[Uuid]) -> StoreResult<Vec<FieldMappingRecord>>;
    /// All the flow's cleansed records, in order (positions start at 0).
    async fn cleansed_records(&self, scope: &TenantScope, flow_id: Uuid) -> StoreResult<Vec<CleansedRecord>> {
        self.cleansed_page(scope, flow_id, -1, i64::MAX).await
    }
    /// A page of the flow's cleansed records after position `after`, in order.
    async fn cleansed_page(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        after: i32,
        limit: i64,
    ) -> StoreResult<Vec<CleansedRecord>>;
    /// The flow's cleansed records at these positions.
    async fn cleansed_at(
        &self,
        scope: &TenantScope,
        flow_id: Uuid,
        positions: &[i32],
    ) -> StoreResult<Vec<CleansedRecord>>;
}

macro_rules! impl_import_store {
    ($store:ident, $db:ident) => {
        #[async_trait]
        impl ImportStore for $store {
            async fn import_page(
                &self,
                scope: &TenantScope,
                flow_id: Uuid,
                after: i64,
                limit: i64,
            ) -> StoreResult<Vec<ImportRecord>> {
                tenant_read!(
                    self,
                    scope,
                    fetch_all(
                        sqlx::query_as(concat!(
                            "SELECT row_number, line_number, data FROM raw_import_records WHERE flow_id = $1 AND",
                            tenant_2_3!(),
                            "AND row_number > $4 ORDER BY row_number LIMIT $5"
                        )),
                        flow_id,
                        after,
                        limit,
                    )
                )
            }

            async fn field_mappings(
                &self,
                scope: &TenantScope,
                flow_ids: &[Uuid],
            ) -> StoreResult<Vec<FieldMappingRecord>> {
                tenant_read_ids!(
                    self,
                    scope,
                    flow_ids,
                    sqlx::query_as(concat!(
                        "SELECT flow_id, position, source_field, target_attribute, confidence, status, agent, \
                         reasoning FROM field_mappings WHERE flow_id ",
                        in_ids!($db),
                        " AND",
                        tenant_2_3!(),
                        "ORDER BY flow_id, position"
                    )),
                )
            }

            async fn cleansed_page(
                &self,
                scope: &TenantScope,
                flow_id: Uuid,
                after: i32,
                limit: i64,
            ) -> StoreResult<Vec<CleansedRecord>> {
                tenant_read!(
                    self,
                    scope,
                    fetch_all(
                        sqlx::query_as(concat!(
                            "SELECT position, record_key, data FROM cleansed_records WHERE flow_id = $1 AND",
                            tenant_2_3!(),
                            "AND position > $4 ORDER BY position LIMIT $5"
                        )),
                        flow_id,
                        after,
                        limit,
                    )
                )
            }

            async fn cleansed_at(
                &self,
                scope: &TenantScope,
                flow_id: Uuid,
                positions: &[i32],
            ) -> StoreResult<Vec<CleansedRecord>> {
                tenant_read!(
                    self,
                    scope,
                    fetch_all(
                        sqlx::query_as(concat!(
                            "SELECT position, record_key, data FROM cleansed_records WHERE position ",
                            in_ints!($db),
                            " AND",
                            tenant_2_3!(),
                            "AND flow_id = $4 ORDER BY position"
                        )),
                        Self::ints(positions),
                        flow_id,
                    )
                )
            }
        }
    };
}

for_both_backends!(impl_import_store);
