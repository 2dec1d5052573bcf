//! The assessment and collection flows' results: applications, waves, gaps and questions.

use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::loaders::{AssetKey, loader};
use super::types::{Asset, Flow};
use crate::agents::collection_rules::{Gap, Question};
use crate::store::{AssetRecord, FlowResultRecord};

/// Loads the assets of the given keys (source keys of the master flow, or ids).
async fn assets_by_id(ctx: &Context<'_>, ids: &[Uuid]) -> Result<Vec<Asset>> {
    let found = loader(ctx)?.load_many(ids.iter().map(|id| AssetKey(*id))).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.get(&AssetKey(*id)).cloned())
        .map(Asset)
        .collect())
}

/// The master flow's assets named by source key (assessment results keep keys).
async fn assets_by_key(ctx: &Context<'_>, master: &[AssetRecord], keys: &[String]) -> Result<Vec<Asset>> {
    // One pass over the master's assets, not one per key (a wave can name thousands).
    let by_key: std::collections::HashMap<&str, Uuid> =
        master.iter().rev().map(|a| (a.source_key.as_str(), a.id)).collect();
    let ids: Vec<Uuid> = keys.iter().filter_map(|k| by_key.get(k.as_str()).copied()).collect();
    assets_by_id(ctx, &ids).await
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationData {
    name: String,
    members: Vec<String>,
    readiness_score: Option<i32>,
    reasons: Vec<String>,
    six_r_strategy: Option<String>,
    six_r_rationale: Option<String>,
    effort_class: Option<String>,
}

pub struct Application {
    pub data: ApplicationData,
    pub wave: Option<i32>,
    pub master_assets: std::sync::Arc<Vec<AssetRecord>>,
}

impl ApplicationData {
    pub fn members_contain(&self, key: &str) -> bool {
        self.members.iter().any(|m| m == key)
    }
}

impl Application {
    pub fn parse(row: &FlowResultRecord) -> ApplicationData {
        serde_json::from_value(row.data.0.clone()).unwrap_or_default()
    }
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

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase", default)]
pub struct WaveData {
    pub number: i32,
    pub members: Vec<String>,
    pub applications: Vec<String>,
    pub oversized: bool,
}

pub struct Wave {
    pub data: WaveData,
    pub master_assets: std::sync::Arc<Vec<AssetRecord>>,
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

pub struct CollectionGap(pub Gap);

#[Object]
impl CollectionGap {
    async fn asset(&self, ctx: &Context<'_>) -> Result<Option<Asset>> {
        let Ok(id) = self.0.asset_id.parse() else {
            return Ok(None);
        };
        Ok(assets_by_id(ctx, &[id]).await?.pop())
    }
    async fn attribute(&self) -> &str {
        &self.0.attribute
    }
    /// missing or low_quality.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
}

pub struct CollectionQuestion(pub Question);

#[Object]
impl CollectionQuestion {
    /// Pass it back in `submitCollectionResponses`.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn asset(&self, ctx: &Context<'_>) -> Result<Option<Asset>> {
        let Ok(id) = self.0.asset_id.parse() else {
            return Ok(None);
        };
        Ok(assets_by_id(ctx, &[id]).await?.pop())
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

/// The questions addressed to one owner.
#[derive(SimpleObject)]
pub struct OwnerQuestionnaire {
    pub owner: String,
    pub questions: Vec<CollectionQuestion>,
}

#[derive(InputObject)]
pub struct CollectionResponseInput {
    pub question_id: ID,
    /// The answer: text, or a number for cores and sizes.
    pub value: Json<Value>,
}

#[derive(SimpleObject)]
pub struct RejectedResponse {
    pub question_id: ID,
    pub message: String,
}

#[derive(SimpleObject)]
pub struct CollectionSubmission {
    /// Answers validated and written to their assets.
    pub accepted: i32,
    /// Answers refused, with why; they changed nothing.
    pub rejected: Vec<RejectedResponse>,
    pub open_questions: i32,
    pub flow: Flow,
}
