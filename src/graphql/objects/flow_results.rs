//! The assessment and collection flows' results: applications, waves, gaps and questions.

use async_graphql::{Context, ID, Json, Object, Result};
use serde_json::Value;
use uuid::Uuid;

use super::{Application, Asset, CollectionGap, CollectionQuestion, Wave};
use crate::graphql::loaders::{AssetKey, loader};
use crate::store::AssetRecord;

/// Loads the assets of the given keys (source keys of the master flow, or ids).
async fn assets_by_id(ctx: &Context<'_>, ids: &[Uuid]) -> Result<Vec<Asset>> {
    let found = loader(ctx)?.load_many(ids.iter().map(|id| AssetKey(*id))).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.get(&AssetKey(*id)).cloned())
        .map(Asset)
        .collect())
}

/// The asset a gap or question names by its id as text (`None` if it is not an id).
async fn asset_by_text_id(ctx: &Context<'_>, id: &str) -> Result<Option<Asset>> {
    let Ok(id) = id.parse() else {
        return Ok(None);
    };
    Ok(assets_by_id(ctx, &[id]).await?.pop())
}

/// The master flow's assets named by source key (assessment results keep keys).
async fn assets_by_key(ctx: &Context<'_>, master: &[AssetRecord], keys: &[String]) -> Result<Vec<Asset>> {
    // One pass over the master's assets, not one per key (a wave can name thousands).
    let by_key: std::collections::HashMap<&str, Uuid> =
        master.iter().rev().map(|a| (a.source_key.as_str(), a.id)).collect();
    let ids: Vec<Uuid> = keys.iter().filter_map(|k| by_key.get(k.as_str()).copied()).collect();
    assets_by_id(ctx, &ids).await
}

#[Object]
impl Application {
    async fn name(&self) -> &str {
        &self.data.name
    }
    /// 0–100: data completeness 40%, tech debt 30%, dependency complexity 30%.
    async fn readiness_score(&self) -> Option<i32> {
        self.data.readiness_score
    }
    async fn readiness_reasons(&self) -> &[String] {
        &self.data.reasons
    }
    /// REHOST, REPLATFORM, ... rolled up from the application's assets (after six_r_strategy).
    async fn six_r_strategy(&self) -> Option<&str> {
        self.data.six_r_strategy.as_deref()
    }
    async fn six_r_rationale(&self) -> Option<&str> {
        self.data.six_r_rationale.as_deref()
    }
    /// S, M, L or XL.
    async fn effort_class(&self) -> Option<&str> {
        self.data.effort_class.as_deref()
    }
    /// The latest wave any of its assets moves in (after wave_planning).
    async fn wave(&self) -> Option<i32> {
        self.wave
    }
    async fn assets(&self, ctx: &Context<'_>) -> Result<Vec<Asset>> {
        assets_by_key(ctx, &self.master_assets, &self.data.members).await
    }
}

#[Object]
impl Wave {
    /// From 1: everything an asset depends on moves in its wave or an earlier one.
    async fn number(&self) -> i32 {
        self.data.number
    }
    async fn size(&self) -> i32 {
        self.data.members.len() as i32
    }
    /// A dependency cycle larger than the maximum wave size, kept together.
    async fn oversized(&self) -> bool {
        self.data.oversized
    }
    async fn applications(&self) -> &[String] {
        &self.data.applications
    }
    async fn assets(&self, ctx: &Context<'_>) -> Result<Vec<Asset>> {
        assets_by_key(ctx, &self.master_assets, &self.data.members).await
    }
}

#[Object]
impl CollectionGap {
    async fn asset(&self, ctx: &Context<'_>) -> Result<Option<Asset>> {
        asset_by_text_id(ctx, &self.0.asset_id).await
    }
    async fn attribute(&self) -> &str {
        &self.0.attribute
    }
    /// missing or low_quality.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
}

#[Object]
impl CollectionQuestion {
    /// Pass it back in `submitCollectionResponses`.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn asset(&self, ctx: &Context<'_>) -> Result<Option<Asset>> {
        asset_by_text_id(ctx, &self.0.asset_id).await
    }
    async fn attribute(&self) -> &str {
        &self.0.attribute
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn owner(&self) -> &str {
        &self.0.owner
    }
    /// What an acceptable answer looks like.
    async fn expected(&self) -> &str {
        &self.0.expected
    }
    async fn answered(&self) -> bool {
        self.0.answered
    }
    async fn answer(&self) -> Option<Json<&Value>> {
        self.0.answer.as_ref().map(Json)
    }
}
