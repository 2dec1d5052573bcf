//! Tenant-scoped reads behind the GraphQL DataLoaders, and asset validation.

use serde_json::json;
use uuid::Uuid;

use super::master::{MasterFlowOrchestrator, audit, scope};
use crate::auth::RequestContext;
use crate::error::{AppError, AppResult};
use crate::store::{
    AgentStatRecord, AssetFilter, AssetPages, AssetRecord, Direction, FieldMappingRecord, FlowRecord, PhaseRunRecord,
    TechDebtRecord,
};

pub const VALIDATION_STATUSES: &[&str] = &["pending", "validated", "rejected"];

impl MasterFlowOrchestrator {
    pub async fn phase_runs(&self, ctx: &RequestContext, flow_ids: &[Uuid]) -> AppResult<Vec<PhaseRunRecord>> {
        Ok(self.store.phase_runs(&scope(ctx), flow_ids).await?)
    }

    pub async fn field_mappings(&self, ctx: &RequestContext, flow_ids: &[Uuid]) -> AppResult<Vec<FieldMappingRecord>> {
        Ok(self.store.field_mappings(&scope(ctx), flow_ids).await?)
    }

    pub async fn asset_pages(
        &self,
        ctx: &RequestContext,
        flow_ids: &[Uuid],
        filter: &AssetFilter,
        after: Option<&str>,
        limit: i64,
    ) -> AppResult<AssetPages> {
        if !(0..=super::master::MAX_PAGE_SIZE * 10).contains(&limit) {
            return Err(AppError::bad_input(format!(
                "first must be between 0 and {}",
                super::master::MAX_PAGE_SIZE * 10
            )));
        }
        Ok(self
            .store
            .asset_pages(&scope(ctx), flow_ids, filter, after, limit)
            .await?)
    }

    pub async fn assets(&self, ctx: &RequestContext, ids: &[Uuid]) -> AppResult<Vec<AssetRecord>> {
        Ok(self.store.assets_by_ids(&scope(ctx), ids).await?)
    }

    pub async fn asset(&self, ctx: &RequestContext, id: Uuid) -> AppResult<AssetRecord> {
        self.assets(ctx, &[id])
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound("asset not found".into()))
    }

    pub async fn dependencies(
        &self,
        ctx: &RequestContext,
        asset_ids: &[Uuid],
        direction: Direction,
    ) -> AppResult<Vec<crate::store::DependencyRecord>> {
        Ok(self.store.dependencies(&scope(ctx), asset_ids, direction).await?)
    }

    /// Every asset of a flow of the caller's (an assessment's master, say).
    pub async fn master_assets(&self, ctx: &RequestContext, flow_id: Uuid) -> AppResult<Vec<AssetRecord>> {
        Ok(self.store.flow_assets(&scope(ctx), flow_id).await?)
    }

    pub async fn flow_results(
        &self,
        ctx: &RequestContext,
        flow_ids: &[Uuid],
        kind: &str,
    ) -> AppResult<Vec<crate::store::FlowResultRecord>> {
        Ok(self.store.flow_results(&scope(ctx), flow_ids, kind).await?)
    }

    pub async fn tech_debt(&self, ctx: &RequestContext, asset_ids: &[Uuid]) -> AppResult<Vec<TechDebtRecord>> {
        Ok(self.store.tech_debt(&scope(ctx), asset_ids).await?)
    }

    /// Agent task aggregates, per flow or (with `None`) over all of the caller's flows.
    pub async fn agent_stats(
        &self,
        ctx: &RequestContext,
        flow_ids: Option<&[Uuid]>,
    ) -> AppResult<Vec<AgentStatRecord>> {
        Ok(self.store.agent_stats(&scope(ctx), flow_ids).await?)
    }

    /// A person's verdict on an asset, with an audit event on its flow.
    pub async fn validate_asset(
        &self,
        ctx: &RequestContext,
        asset_id: Uuid,
        status: &str,
        note: Option<String>,
    ) -> AppResult<AssetRecord> {
        ctx.require_write()?;
        if !VALIDATION_STATUSES.contains(&status) {
            return Err(AppError::bad_input(format!("unknown validation status `{status}`")));
        }
        let mut asset = self.asset(ctx, asset_id).await?;
        let flow: FlowRecord = self.get_flow(ctx, asset.flow_id).await?;
        let event = audit(
            ctx,
            &flow,
            "asset_validated",
            json!({ "assetId": asset.id, "asset": asset.name, "from": asset.validation_status, "to": status, "note": note }),
        );
        asset.validation_status = status.to_string();
        asset.validation_note = note;
        asset.updated_at = chrono::Utc::now();
        self.store.validate_asset(&scope(ctx), &asset, &event).await?;
        Ok(asset)
    }
}
