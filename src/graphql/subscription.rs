//! Live updates over websockets (graphql-transport-ws and the legacy graphql-ws). The token comes
//! in `connection_init` and is checked once per connection (see `http/ws.rs`); every
//! subscription sees only its tenant's flows. Identical subscribers share one execution of these
//! resolvers (`fanout.rs`).

use std::time::Duration;

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

use super::context::{caller, orchestrator, parse_id};
use super::enums::{FlowStatus, PhaseName, PhaseStatus};
use super::fanout::from_now;
use crate::agents::agent_health::{AgentHealthReport, AgentStatus as Status, Health};
use crate::store::{EventPayload, StoredEvent};

/// How often agentHealth sends a snapshot when nothing changed.
pub const HEALTH_HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(SimpleObject)]
pub struct PhaseEvent {
    pub flow_id: ID,
    pub phase: PhaseName,
    pub status: PhaseStatus,
    pub progress: i32,
    pub attempt: i32,
    pub message: Option<String>,
    pub sequence: i64,
    pub at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct FlowEvent {
    pub flow_id: ID,
    pub status: FlowStatus,
    pub current_phase: Option<PhaseName>,
    pub progress_percentage: i32,
    pub sequence: i64,
    pub at: DateTime<Utc>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::agents::agent_health::AgentStatus")]
pub enum AgentStatus {
    Idle,
    Running,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::agents::agent_health::Health")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Unhealthy,
}

pub struct AgentHealth(pub AgentHealthReport);

#[Object]
impl AgentHealth {
    async fn name(&self) -> &str {
        self.0.name
    }
    async fn phase(&self) -> PhaseName {
        self.0.phase.into()
    }
    async fn status(&self) -> AgentStatus {
        let status: Status = self.0.status;
        status.into()
    }
    async fn health(&self) -> HealthStatus {
        let health: Health = self.0.health;
        health.into()
    }
    /// Why the agent is not healthy (empty when it is).
    async fn reasons(&self) -> &[String] {
        &self.0.reasons
    }
    /// Whether the agent's self-test passed.
    async fn probe_ok(&self) -> bool {
        self.0.probe_ok
    }
    async fn last_active_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_active_at
    }
    async fn tasks_completed(&self) -> i64 {
        self.0.tasks_completed
    }
    async fn failures(&self) -> i64 {
        self.0.failures
    }
    async fn success_rate(&self) -> f64 {
        self.0.success_rate
    }
    async fn avg_response_ms(&self) -> f64 {
        self.0.avg_response_ms
    }
    async fn p95_response_ms(&self) -> f64 {
        self.0.p95_response_ms
    }
}

#[derive(SimpleObject)]
pub struct AgentHealthEvent {
    pub agents: Vec<AgentHealth>,
    pub at: DateTime<Utc>,
}

fn phase_event(event: &StoredEvent) -> Option<PhaseEvent> {
    match &event.payload {
        EventPayload::Phase {
            phase,
            status,
            progress,
            attempt,
            message,
        } => Some(PhaseEvent {
            flow_id: ID(event.flow_id.to_string()),
            phase: (*phase).into(),
            status: (*status).into(),
            progress: *progress,
            attempt: *attempt,
            message: message.clone(),
            sequence: event.sequence,
            at: event.created_at,
        }),
        _ => None,
    }
}

fn flow_event(event: &StoredEvent) -> Option<FlowEvent> {
    match &event.payload {
        EventPayload::Flow {
            status,
            current_phase,
            progress_percentage,
        } => Some(FlowEvent {
            flow_id: ID(event.flow_id.to_string()),
            status: (*status).into(),
            current_phase: current_phase.map(Into::into),
            progress_percentage: *progress_percentage,
            sequence: event.sequence,
            at: event.created_at,
        }),
        _ => None,
    }
}

pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Every phase change and progress step of one flow; with `afterSequence`, first the stored
    /// events after it. Ends after the flow completes.
    async fn phase_updates(
        &self,
        ctx: &Context<'_>,
        flow_id: ID,
        after_sequence: Option<i64>,
    ) -> Result<impl Stream<Item = PhaseEvent> + use<>> {
        let events = orchestrator(ctx)
            .watch_flow(caller(ctx)?, parse_id(&flow_id)?, after_sequence)
            .await?;
        if after_sequence.is_none() {
            from_now(ctx);
        }
        Ok(ReceiverStream::new(events).filter_map(|event| phase_event(&event)))
    }

    /// Status and progress changes of every flow the token may see (of one engagement, if given).
    async fn flow_updates(
        &self,
        ctx: &Context<'_>,
        engagement_id: Option<ID>,
    ) -> Result<impl Stream<Item = FlowEvent> + use<>> {
        let engagement = engagement_id.as_ref().map(parse_id).transpose()?;
        let events = orchestrator(ctx).watch_tenant(caller(ctx)?, engagement);
        from_now(ctx);
        Ok(ReceiverStream::new(events).filter_map(|event| flow_event(&event)))
    }

    /// A snapshot of every agent's health at start, then one at every change and heartbeat.
    async fn agent_health(
        &self,
        ctx: &Context<'_>,
        flow_id: Option<ID>,
    ) -> Result<impl Stream<Item = AgentHealthEvent> + use<>> {
        let flow = flow_id.as_ref().map(parse_id).transpose()?;
        let snapshots = orchestrator(ctx)
            .watch_agents(caller(ctx)?, flow, HEALTH_HEARTBEAT)
            .await?;
        Ok(ReceiverStream::new(snapshots).map(|reports| AgentHealthEvent {
            agents: reports.into_iter().map(AgentHealth).collect(),
            at: Utc::now(),
        }))
    }
}
