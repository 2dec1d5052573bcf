//! Object types: thin wrappers over store records. Nested lists and references resolve through
//! the request's DataLoader, so one query costs a fixed number of statements.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{
    Context, ID, InputObject, Json, Object, Result, Scalar, ScalarType, SimpleObject, Value as GqlValue,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::enums::{
    self, FlowStatus, FlowType, LifecycleStatus, PhaseName, PhaseStatus, SixRStrategy, ValidationStatus,
};
use super::loaders::{
    AgentStatsKey, AssetKey, AssetPageKey, AuditKey, ChildrenKey, DependenciesKey, DependentsKey, FlowKey, MappingsKey,
    PhaseRunsKey, ResultsKey, TechDebtKey, loader,
};
use super::results::{Application, CollectionGap, CollectionQuestion, OwnerQuestionnaire, Wave, WaveData};
use crate::agents::{AgentSpec, REGISTRY};
use crate::error::AppError;
use crate::orchestrator::{PhaseView, phase_views};
use crate::store::{
    AgentStatRecord, AssetFilter as StoreAssetFilter, AssetRecord, AuditRecord, DependencyRecord, FieldMappingRecord,
    FlowRecord, TechDebtRecord,
};

pub const DEFAULT_ASSET_PAGE: i32 = 50;

/// A calendar date, `YYYY-MM-DD`.
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: GqlValue) -> async_graphql::InputValueResult<Self> {
        match &value {
            GqlValue::String(s) => Ok(Date(NaiveDate::parse_from_str(s, "%Y-%m-%d")?)),
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }
    fn to_value(&self) -> GqlValue {
        GqlValue::String(self.0.format("%Y-%m-%d").to_string())
    }
}

#[derive(SimpleObject)]
pub struct FlowConnectionFields {
    pub total_count: i64,
}

#[derive(SimpleObject)]
pub struct AssetConnectionFields {
    pub total_count: i64,
}

pub type FlowConnection = Connection<String, Flow, FlowConnectionFields, EmptyFields>;
pub type AssetConnection = Connection<String, Asset, AssetConnectionFields, EmptyFields>;

#[derive(InputObject, Default)]
pub struct AssetFilter {
    /// server, database, application, network_device, storage, other.
    pub asset_type: Option<String>,
    /// production, staging, qa, test, development, dr.
    pub environment: Option<String>,
    pub validation_status: Option<ValidationStatus>,
    /// true: only assets past end of support; false: only the others.
    pub end_of_life: Option<bool>,
    /// Case-insensitive part of the name, hostname, FQDN or IP.
    pub search: Option<String>,
}

impl From<AssetFilter> for StoreAssetFilter {
    fn from(f: AssetFilter) -> Self {
        StoreAssetFilter {
            asset_type: f.asset_type.map(|t| t.to_lowercase()),
            environment: f.environment.map(|e| e.to_lowercase()),
            validation_status: f.validation_status.map(|v| v.as_str().to_string()),
            end_of_life: f.end_of_life,
            search: f.search.filter(|s| !s.is_empty()),
        }
    }
}

/// Shared, not copied: a flow loaded once may be the `flow` of many assets, and a resolver's
/// future holds its output while it resolves (a 520-byte record would make every field future of
/// `Asset` that much larger).
pub struct Flow(pub Arc<FlowRecord>);

impl From<FlowRecord> for Flow {
    fn from(flow: FlowRecord) -> Flow {
        Flow(Arc::new(flow))
    }
}

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
        let assets = super::orchestrator(ctx)
            .master_assets(super::caller(ctx)?, master)
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

pub struct Phase(pub PhaseView);

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

pub struct AuditEvent(pub AuditRecord);

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

pub struct Agent {
    spec: AgentSpec,
    tasks: i64,
    successes: i64,
    avg_ms: f64,
}

impl Agent {
    /// The agent with its aggregates summed over `stats` (rows of every agent; only its own count).
    pub fn with_stats(spec: AgentSpec, stats: &[AgentStatRecord]) -> Self {
        let mine: Vec<&AgentStatRecord> = stats.iter().filter(|s| s.agent == spec.name).collect();
        let tasks: i64 = mine.iter().map(|s| s.tasks).sum();
        let successes = mine.iter().map(|s| s.successes).sum();
        let total_ms: f64 = mine.iter().map(|s| s.avg_ms * s.tasks as f64).sum();
        let avg_ms = if tasks > 0 { total_ms / tasks as f64 } else { 0.0 };
        Agent {
            spec,
            tasks,
            successes,
            avg_ms,
        }
    }
}

#[Object]
impl Agent {
    async fn name(&self) -> &str {
        self.spec.name
    }
    async fn role(&self) -> &str {
        self.spec.role
    }
    /// The phase the agent serves; for the flow supervisor, the first of `phases`.
    async fn phase(&self) -> PhaseName {
        self.spec.phase().into()
    }
    /// Every phase the agent serves (all of them for the flow supervisor).
    async fn phases(&self) -> Vec<PhaseName> {
        self.spec.phases.iter().map(|p| (*p).into()).collect()
    }
    /// Invocations that finished, successfully or not.
    async fn tasks_completed(&self) -> i64 {
        self.tasks
    }
    /// Share of successful invocations, 0–1 (1 before any task).
    async fn success_rate(&self) -> f64 {
        if self.tasks == 0 {
            1.0
        } else {
            self.successes as f64 / self.tasks as f64
        }
    }
    async fn avg_response_ms(&self) -> f64 {
        self.avg_ms
    }
}

pub struct FieldMapping(pub FieldMappingRecord);

#[Object]
impl FieldMapping {
    async fn source_field(&self) -> &str {
        &self.0.source_field
    }
    /// The canonical attribute; null when the field is kept as an extra attribute.
    async fn target_attribute(&self) -> Option<&str> {
        self.0.target_attribute.as_deref()
    }
    async fn confidence(&self) -> f64 {
        self.0.confidence
    }
    /// suggested, approved or rejected.
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// field_mapping, pattern_recognition, or user (an override at the approval gate).
    async fn agent(&self) -> &str {
        &self.0.agent
    }
    async fn reasoning(&self) -> &str {
        &self.0.reasoning
    }
}

/// Shared, not copied: one asset is often reached many times in one answer (as the target of
/// every edge into it).
pub struct Asset(pub Arc<AssetRecord>);

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

pub struct AssetDependency(pub DependencyRecord);

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

pub struct TechDebtItem(pub TechDebtRecord);

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
