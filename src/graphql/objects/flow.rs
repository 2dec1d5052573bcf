//! A flow's fields: its status and phases, the audit trail, and what its phases produced.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, Json, Object, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    Agent, Application, Asset, AssetConnection, AssetConnectionFields, AssetFilter, AuditEvent, CollectionGap,
    CollectionQuestion, DEFAULT_ASSET_PAGE, FieldMapping, Flow, OwnerQuestionnaire, Phase, Wave, WaveData,
};
use crate::agents::REGISTRY;
use crate::error::AppError;
use crate::graphql::enums::{FlowStatus, FlowType, PhaseName, PhaseStatus};
use crate::graphql::loaders::{
    AgentStatsKey, AssetPageKey, AuditKey, ChildrenKey, FlowKey, MappingsKey, PhaseRunsKey, ResultsKey, loader,
};
use crate::orchestrator::phase_views;
use crate::store::AssetRecord;

impl Flow {
    async fn wave_data(&self, ctx: &Context<'_>) -> Result<Vec<WaveData>> {
        let rows = loader(ctx)?
            .load_one(ResultsKey(self.0.id, "wave"))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter_map(|r| serde_json::from_value(r.data.0).ok())
            .collect())
    }

    /// The master discovery flow's assets (assessment results name them by source key).
    async fn master_assets(&self, ctx: &Context<'_>) -> Result<std::sync::Arc<Vec<AssetRecord>>> {
        let Some(master) = self.0.master_flow_id else {
            return Ok(Default::default());
        };
        let assets = crate::graphql::context::orchestrator(ctx)
            .master_assets(crate::graphql::context::caller(ctx)?, master)
            .await?;
        Ok(std::sync::Arc::new(assets))
    }
}

#[Object]
impl Flow {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn flow_id(&self) -> &str {
        &self.0.flow_id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn flow_type(&self) -> FlowType {
        self.0.flow_type.into()
    }
    async fn status(&self) -> FlowStatus {
        self.0.status.into()
    }
    async fn current_phase(&self) -> Option<PhaseName> {
        self.0.current_phase.map(Into::into)
    }
    async fn progress_percentage(&self) -> i32 {
        self.0.progress_percentage
    }
    /// Every phase of the flow's type, in order: its latest attempt, or PENDING.
    async fn phases(&self, ctx: &Context<'_>) -> Result<Vec<Phase>> {
        let runs = loader(ctx)?
            .load_one(PhaseRunsKey(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(phase_views(&self.0, &runs).into_iter().map(Phase).collect())
    }
    /// The flow's assets (built by the inventory phase), ordered by source key.
    async fn assets(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AssetFilter>,
    ) -> Result<AssetConnection> {
        let key = AssetPageKey {
            flow: self.0.id,
            filter: filter.unwrap_or_default().into(),
            after: after.clone(),
            limit: first.unwrap_or(DEFAULT_ASSET_PAGE).into(),
        };
        if !(0..=1000).contains(&key.limit) {
            return Err(AppError::bad_input("first must be between 0 and 1000").into());
        }
        let page = loader(ctx)?
            .load_one(key)
            .await?
            .unwrap_or_else(|| unreachable!("every key gets a page"));
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            page.has_next_page,
            AssetConnectionFields {
                total_count: page.total_count,
            },
        );
        connection.edges.extend(
            page.assets
                .into_iter()
                .map(|a| Edge::with_additional_fields(a.source_key.clone(), Asset(a), EmptyFields)),
        );
        Ok(connection)
    }
    /// The agents that serve this flow's phases, with their tasks on this flow.
    async fn agents(&self, ctx: &Context<'_>) -> Result<Vec<Agent>> {
        let stats = loader(ctx)?
            .load_one(AgentStatsKey(self.0.id))
            .await?
            .unwrap_or_default();
        let phases = self.0.flow_type.phases();
        Ok(REGISTRY
            .iter()
            .filter(|a| a.phases.iter().any(|p| phases.contains(p)))
            .map(|a| Agent::with_stats(*a, &stats))
            .collect())
    }
    /// How each source field maps onto a canonical attribute.
    async fn field_mappings(&self, ctx: &Context<'_>) -> Result<Vec<FieldMapping>> {
        let mappings = loader(ctx)?.load_one(MappingsKey(self.0.id)).await?.unwrap_or_default();
        Ok(mappings.into_iter().map(FieldMapping).collect())
    }
    /// Who did what to this flow, oldest first.
    async fn audit_trail(&self, ctx: &Context<'_>) -> Result<Vec<AuditEvent>> {
        let events = loader(ctx)?.load_one(AuditKey(self.0.id)).await?.unwrap_or_default();
        Ok(events.into_iter().map(AuditEvent).collect())
    }
    async fn configuration(&self) -> Json<&Value> {
        Json(&self.0.flow_configuration.0)
    }
    /// Each phase's summary, under its name (`dataImport`, `attributeMapping`, ...).
    async fn flow_state(&self) -> Json<&Value> {
        Json(&self.0.flow_state.0)
    }
    /// Per phase: duration, items processed per second, each agent's latency.
    async fn performance_metrics(&self) -> Json<&Value> {
        Json(&self.0.performance_metrics.0)
    }
    /// Data quality: overall and per field (set by data cleansing).
    async fn quality_scores(&self) -> Json<&Value> {
        Json(&self.0.quality_scores.0)
    }
    async fn client_account_id(&self) -> ID {
        ID(self.0.client_account_id.to_string())
    }
    async fn engagement_id(&self) -> ID {
        ID(self.0.engagement_id.to_string())
    }
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    async fn master_flow(&self, ctx: &Context<'_>) -> Result<Option<Flow>> {
        let Some(master) = self.0.master_flow_id else {
            return Ok(None);
        };
        Ok(loader(ctx)?.load_one(FlowKey(master)).await?.map(Flow))
    }
    async fn child_flows(&self, ctx: &Context<'_>) -> Result<Vec<Flow>> {
        let children = loader(ctx)?.load_one(ChildrenKey(self.0.id)).await?.unwrap_or_default();
        Ok(children.into_iter().map(Flow::from).collect())
    }
    /// An assessment's applications: readiness, 6R roll-up, effort, wave.
    async fn applications(&self, ctx: &Context<'_>) -> Result<Vec<Application>> {
        let loader = loader(ctx)?;
        let rows = loader
            .load_one(ResultsKey(self.0.id, "application"))
            .await?
            .unwrap_or_default();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let waves = self.wave_data(ctx).await?;
        let master = self.master_assets(ctx).await?;
        Ok(rows
            .iter()
            .map(|row| {
                let data = Application::parse(row);
                let wave = waves
                    .iter()
                    .filter(|w| w.members.iter().any(|m| data.members_contain(m)))
                    .map(|w| w.number)
                    .max();
                Application {
                    data,
                    wave,
                    master_assets: master.clone(),
                }
            })
            .collect())
    }
    /// An assessment's migration waves, in order.
    async fn waves(&self, ctx: &Context<'_>) -> Result<Vec<Wave>> {
        let master = self.master_assets(ctx).await?;
        Ok(self
            .wave_data(ctx)
            .await?
            .into_iter()
            .map(|data| Wave {
                data,
                master_assets: master.clone(),
            })
            .collect())
    }
    /// The longest dependency chain of an assessment's assets (names, dependent first).
    async fn critical_path(&self) -> Vec<String> {
        self.0.flow_state.0["wavePlanning"]["criticalPath"]
            .as_array()
            .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
    /// A collection's gaps: missing or doubtful critical attributes per asset.
    async fn gaps(&self, ctx: &Context<'_>) -> Result<Vec<CollectionGap>> {
        let rows = loader(ctx)?
            .load_one(ResultsKey(self.0.id, "gap"))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter_map(|r| serde_json::from_value(r.data.0).ok())
            .map(CollectionGap)
            .collect())
    }
    /// A collection's questions, grouped by the owner they are addressed to.
    async fn questionnaire(&self, ctx: &Context<'_>) -> Result<Vec<OwnerQuestionnaire>> {
        let rows = loader(ctx)?
            .load_one(ResultsKey(self.0.id, "question"))
            .await?
            .unwrap_or_default();
        let mut by_owner: std::collections::BTreeMap<String, Vec<CollectionQuestion>> = Default::default();
        for question in rows
            .into_iter()
            .filter_map(|r| serde_json::from_value::<crate::agents::collection_rules::Question>(r.data.0).ok())
        {
            by_owner
                .entry(question.owner.clone())
                .or_default()
                .push(CollectionQuestion(question));
        }
        Ok(by_owner
            .into_iter()
            .map(|(owner, questions)| OwnerQuestionnaire { owner, questions })
            .collect())
    }
    /// Bumped by every write; a write against an older version is a CONFLICT.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
}

#[Object]
impl Phase {
    async fn name(&self) -> PhaseName {
        self.0.name.into()
    }
    async fn status(&self) -> PhaseStatus {
        self.0.status.into()
    }
    async fn progress(&self) -> i32 {
        self.0.progress
    }
    /// 0 before the first run; each retry adds one.
    async fn attempt(&self) -> i32 {
        self.0.attempt
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    async fn duration_ms(&self) -> Option<i32> {
        let (start, end) = (self.0.started_at?, self.0.completed_at?);
        i32::try_from((end - start).num_milliseconds()).ok()
    }
    async fn result(&self) -> Option<Json<&Value>> {
        self.0.result.as_ref().map(Json)
    }
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
}

#[Object]
impl AuditEvent {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// flow_created, phase_started, phase_completed, phase_failed, flow_paused, asset_validated, ...
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn user_id(&self) -> ID {
        ID(self.0.user_id.to_string())
    }
    async fn details(&self) -> Json<&Value> {
        Json(&self.0.details.0)
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
