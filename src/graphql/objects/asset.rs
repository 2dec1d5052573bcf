//! An asset's fields, its dependencies either way and its tech-debt findings.

use async_graphql::{Context, ID, Json, Object, Result};
use serde_json::Value;

use super::{Asset, AssetDependency, Date, Flow, TechDebtItem};
use crate::error::AppError;
use crate::graphql::enums::{self, LifecycleStatus, SixRStrategy, ValidationStatus};
use crate::graphql::loaders::{AssetKey, DependenciesKey, DependentsKey, FlowKey, TechDebtKey, loader};

#[Object]
impl Asset {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn flow(&self, ctx: &Context<'_>) -> Result<Flow> {
        let flow = loader(ctx)?.load_one(FlowKey(self.0.flow_id)).await?;
        flow.map(Flow).ok_or_else(|| AppError::flow_not_found().into())
    }
    /// The key the asset is upserted by (its lower-case name).
    async fn source_key(&self) -> &str {
        &self.0.source_key
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// server, database, application, network_device, storage or other.
    async fn asset_type(&self) -> &str {
        &self.0.asset_type
    }
    async fn hostname(&self) -> Option<&str> {
        self.0.hostname.as_deref()
    }
    async fn fqdn(&self) -> Option<&str> {
        self.0.fqdn.as_deref()
    }
    async fn ip_address(&self) -> Option<&str> {
        self.0.ip_address.as_deref()
    }
    async fn operating_system(&self) -> Option<&str> {
        self.0.operating_system.as_deref()
    }
    async fn os_version(&self) -> Option<&str> {
        self.0.os_version.as_deref()
    }
    async fn environment(&self) -> Option<&str> {
        self.0.environment.as_deref()
    }
    async fn application(&self) -> Option<&str> {
        self.0.application.as_deref()
    }
    async fn cpu_cores(&self) -> Option<i32> {
        self.0.cpu_cores.and_then(|c| i32::try_from(c).ok())
    }
    async fn memory_gb(&self) -> Option<f64> {
        self.0.memory_gb
    }
    async fn storage_gb(&self) -> Option<f64> {
        self.0.storage_gb
    }
    async fn owner(&self) -> Option<&str> {
        self.0.owner.as_deref()
    }
    async fn business_criticality(&self) -> Option<&str> {
        self.0.business_criticality.as_deref()
    }
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// Source fields with no canonical attribute, and facts the agents added.
    async fn attributes(&self) -> Json<&Value> {
        Json(&self.0.attributes.0)
    }
    /// The import rows this asset came from (more than one when duplicates were merged).
    async fn source_rows(&self) -> &[i64] {
        &self.0.source_rows.0
    }
    async fn quality_score(&self) -> Option<f64> {
        self.0.quality_score
    }
    async fn validation_status(&self) -> ValidationStatus {
        ValidationStatus::parse(&self.0.validation_status)
    }
    async fn validation_note(&self) -> Option<&str> {
        self.0.validation_note.as_deref()
    }
    async fn six_r_strategy(&self) -> Option<SixRStrategy> {
        let stored = self.0.six_r_strategy.as_deref()?;
        enums::from_stored::<crate::agents::types::SixR>(stored).map(Into::into)
    }
    async fn six_r_rationale(&self) -> Option<&str> {
        self.0.six_r_rationale.as_deref()
    }
    /// Security risk, 0–100 (set by tech-debt analysis).
    async fn risk_score(&self) -> Option<i32> {
        self.0.risk_score.and_then(|r| i32::try_from(r).ok())
    }
    /// What this asset depends on.
    async fn dependencies(&self, ctx: &Context<'_>) -> Result<Vec<AssetDependency>> {
        let edges = loader(ctx)?
            .load_one(DependenciesKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(edges.into_iter().map(AssetDependency).collect())
    }
    /// What depends on this asset.
    async fn dependents(&self, ctx: &Context<'_>) -> Result<Vec<AssetDependency>> {
        let edges = loader(ctx)?
            .load_one(DependentsKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(edges.into_iter().map(AssetDependency).collect())
    }
    async fn tech_debt(&self, ctx: &Context<'_>) -> Result<Vec<TechDebtItem>> {
        let items = loader(ctx)?.load_one(TechDebtKey(self.0.id)).await?.unwrap_or_default();
        Ok(items.into_iter().map(TechDebtItem).collect())
    }
}

async fn load_asset(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Asset> {
    let asset = loader(ctx)?.load_one(AssetKey(id)).await?;
    asset
        .map(Asset)
        .ok_or_else(|| AppError::NotFound("asset not found".into()).into())
}

#[Object]
impl AssetDependency {
    /// The asset that depends.
    async fn source(&self, ctx: &Context<'_>) -> Result<Asset> {
        load_asset(ctx, self.0.source_asset_id).await
    }
    /// The asset depended on.
    async fn target(&self, ctx: &Context<'_>) -> Result<Asset> {
        load_asset(ctx, self.0.target_asset_id).await
    }
    /// hosting, data_flow, network, service or configuration.
    async fn dependency_type(&self) -> &str {
        &self.0.dependency_type
    }
    async fn confidence(&self) -> f64 {
        self.0.confidence
    }
}

#[Object]
impl TechDebtItem {
    /// operating_system, database, runtime or security.
    async fn category(&self) -> &str {
        &self.0.category
    }
    /// critical, high, medium or low.
    async fn severity(&self) -> &str {
        &self.0.severity
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// When all vendor support ends (or ended).
    async fn end_of_life(&self) -> Option<Date> {
        self.0.end_of_life.map(Date)
    }
    async fn lifecycle_status(&self) -> Option<LifecycleStatus> {
        let stored = self.0.lifecycle_status.as_deref()?;
        enums::from_stored::<crate::agents::types::LifecycleStatus>(stored).map(Into::into)
    }
    /// MAINSTREAM, EXTENDED or NONE.
    async fn support_level(&self) -> Option<&str> {
        self.0.support_level.as_deref()
    }
}
