//! Object types: thin wrappers over store records that resolve through the orchestrator.

use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::enums::{FlowStatus, FlowType, PhaseName, PhaseStatus};
use super::{caller, orchestrator};
use crate::agents::{AgentSpec, REGISTRY};
use crate::orchestrator::PhaseView;
use crate::store::{AuditRecord, FlowRecord};

pub struct Flow(pub FlowRecord);

#[derive(SimpleObject)]
pub struct FlowConnectionFields {
    pub total_count: i64,
}

pub type FlowConnection = Connection<String, Flow, FlowConnectionFields, EmptyFields>;
pub type AssetConnection = Connection<String, Asset, AssetConnectionFields, EmptyFields>;

#[derive(SimpleObject)]
pub struct AssetConnectionFields {
    pub total_count: i64,
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
        let views = orchestrator(ctx)
            .phases(caller(ctx)?, std::slice::from_ref(&self.0))
            .await?;
        Ok(views.into_iter().flat_map(|(_, phases)| phases).map(Phase).collect())
    }
    /// The flow's assets (built by the inventory phase).
    async fn assets(&self, _first: Option<i32>, _after: Option<String>) -> AssetConnection {
        Connection::with_additional_fields(false, false, AssetConnectionFields { total_count: 0 })
    }
    /// The agents that serve this flow's phases.
    async fn agents(&self) -> Vec<Agent> {
        let phases = self.0.flow_type.phases();
        REGISTRY
            .iter()
            .filter(|a| a.phases.iter().any(|p| phases.contains(p)))
            .map(|a| Agent(*a))
            .collect()
    }
    /// Who did what to this flow, oldest first.
    async fn audit_trail(&self, ctx: &Context<'_>) -> Result<Vec<AuditEvent>> {
        let events = orchestrator(ctx).audit_trail(caller(ctx)?, &[self.0.id]).await?;
        Ok(events.into_iter().map(AuditEvent).collect())
    }
    async fn configuration(&self) -> Json<&Value> {
        Json(&self.0.flow_configuration.0)
    }
    /// Phase summaries (e.g. `dataImport`: rows, columns, bad rows, detected format).
    async fn flow_state(&self) -> Json<&Value> {
        Json(&self.0.flow_state.0)
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
        let flows = orchestrator(ctx).get_flows(caller(ctx)?, &[master]).await?;
        Ok(flows.into_iter().next().map(Flow))
    }
    async fn child_flows(&self, ctx: &Context<'_>) -> Result<Vec<Flow>> {
        let flows = orchestrator(ctx).child_flows(caller(ctx)?, &[self.0.id]).await?;
        Ok(flows.into_iter().map(Flow).collect())
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
    /// flow_created, phase_started, phase_completed, phase_failed, flow_paused, ...
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

pub struct Agent(pub AgentSpec);

#[Object]
impl Agent {
    async fn name(&self) -> &str {
        self.0.name
    }
    async fn role(&self) -> &str {
        self.0.role
    }
    /// The phase the agent serves; for the flow supervisor, the first of `phases`.
    async fn phase(&self) -> PhaseName {
        self.0.phase().into()
    }
    /// Every phase the agent serves (all of them for the flow supervisor).
    async fn phases(&self) -> Vec<PhaseName> {
        self.0.phases.iter().map(|p| (*p).into()).collect()
    }
}

#[derive(SimpleObject)]
pub struct Asset {
    pub id: ID,
    pub name: String,
    pub asset_type: String,
}
