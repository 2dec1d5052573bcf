//! Running phases on the durable queue. `executePhase` / `executeFlow` check the move and queue
//! a run in one transaction, then answer (or wait for it to stop, with `wait`). Workers claim
//! runs under a lease (see `worker.rs`) and finish them here: the outcome, the phase's output,
//! its agent tasks, its events and (for a flow that runs on by itself) the next phase's run are
//! written in one transaction, refused if the lease went to another worker meanwhile.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::FutureExt;
use serde_json::{Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use super::master::{FINISH_RETRIES, MasterFlowOrchestrator, audit, next, queued_run, scope};
use super::phase_view::PhaseView;
use super::state_machine::{check_execute, latest_runs};
use crate::agents::types::CANONICAL_ATTRIBUTES;
use crate::auth::RequestContext;
use crate::domain::{FlowStatus, PhaseName, PhaseStatus, Role};
use crate::error::{AppError, AppResult};
use crate::phases::{PhaseFailure, PhaseReport, PhaseSuccess};
use crate::store::{
    EventPayload, FieldMappingRecord, FlowChange, FlowRecord, PhaseOutput, PhaseRunRecord, StoreError, TenantScope,
};

/// A field's mapping chosen by a person at the approval gate (`None`: keep it unmapped).
#[derive(Debug, Clone)]
pub struct MappingOverride {
    pub source_field: String,
    pub target_attribute: Option<String>,
}

/// How often a waiting request looks at the run again when no event arrived.
const WAIT_POLL: Duration = Duration::from_millis(500);

impl MasterFlowOrchestrator {
    /// Queues a phase (the next one when `phase` is `None`) and returns it queued; with `wait`,
    /// returns when it has stopped.
    #[tracing::instrument(skip(self, ctx), fields(user = %ctx.user_id))]
    pub async fn execute_phase(
        self: &Arc<Self>,
        ctx: &RequestContext,
        flow_id: Uuid,
        phase: Option<PhaseName>,
        wait: bool,
    ) -> AppResult<PhaseView> {
        ctx.require_write()?;
        let run = self.enqueue(ctx, flow_id, phase, false).await?;
        if wait {
            self.wait_for_run(ctx, &run).await
        } else {
            Ok(PhaseView::from(&run))
        }
    }

    /// Runs every remaining phase in order, stopping at the approval gate, a pause or a failure.
    /// Without `wait`, answers once the first phase is queued.
    pub async fn execute_flow(
        self: &Arc<Self>,
        ctx: &RequestContext,
        flow_id: Uuid,
        wait: bool,
    ) -> AppResult<FlowRecord> {
        ctx.require_write()?;
        self.enqueue(ctx, flow_id, None, true).await?;
        if wait {
            self.wait_for_flow(ctx, flow_id).await
        } else {
            self.get_flow(ctx, flow_id).await
        }
    }

    /// Checks the move and queues the run, with the flow marked running, in one transaction.
    async fn enqueue(
        &self,
        ctx: &RequestContext,
        flow_id: Uuid,
        phase: Option<PhaseName>,
        auto_advance: bool,
    ) -> AppResult<PhaseRunRecord> {
        let flow = self.get_flow(ctx, flow_id).await?;
        let runs = self.store.phase_runs(&scope(ctx), &[flow.id]).await?;
        let phase = check_execute(&flow, &runs, phase)?;
        let run = queued_run(&flow, &runs, phase, ctx.user_id);
        let mut queued = next(&flow);
        queued.status = FlowStatus::Running;
        queued.current_phase = Some(phase);
        queued.auto_advance = auto_advance;
        let event = audit(
            ctx,
            &flow,
            "phase_queued",
            json!({ "phase": phase, "attempt": run.attempt, "executeFlow": auto_advance }),
        );
        let events = [EventPayload::of_run(&run, None), EventPayload::of_flow(&queued)];
        self.write(&FlowChange {
            run: Some(&run),
            audit: Some(&event),
            events: &events,
            ..FlowChange::new(&queued)
        })
        .await?;
        Ok(run)
    }

    /// Waits until the run has stopped (completed, failed, or waiting for approval).
    async fn wait_for_run(&self, ctx: &RequestContext, run: &PhaseRunRecord) -> AppResult<PhaseView> {
        let mut events = self.events.subscribe();
        loop {
            let runs = self.store.phase_runs(&scope(ctx), &[run.flow_id]).await?;
            let current = runs
                .iter()
                .find(|r| r.id == run.id)
                .ok_or_else(AppError::flow_not_found)?;
            if !current.status.is_active() {
                return Ok(PhaseView::from(current));
            }
            self.until_event_for(&mut events, run.flow_id).await;
        }
    }

    /// Waits until the flow is no longer running on its own.
    async fn wait_for_flow(&self, ctx: &RequestContext, flow_id: Uuid) -> AppResult<FlowRecord> {
        let mut events = self.events.subscribe();
        loop {
            let flow = self.get_flow(ctx, flow_id).await?;
            if flow.status != FlowStatus::Running {
                return Ok(flow);
            }
            let runs = self.store.phase_runs(&scope(ctx), &[flow_id]).await?;
            if !latest_runs(&runs).iter().any(|r| r.status.is_active()) && !flow.auto_advance {
                return Ok(flow);
            }
            self.until_event_for(&mut events, flow_id).await;
        }
    }

    /// Returns at the next event of `flow` (or after a poll interval: another replica's work may
    /// reach us late, and a lagging receiver simply looks again).
    async fn until_event_for(
        &self,
        events: &mut tokio::sync::broadcast::Receiver<Arc<crate::store::StoredEvent>>,
        flow: Uuid,
    ) {
        let deadline = tokio::time::sleep(WAIT_POLL);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                received = events.recv() => match received {
                    Ok(event) if event.flow_id == flow => return,
                    Ok(_) => continue,
                    Err(_) => return,
                },
            }
        }
    }

    /// Runs a claimed run's phase and records its outcome. Called by a worker holding the lease.
    pub(crate) async fn run_claimed(&self, run: PhaseRunRecord, lease_owner: &str) -> AppResult<()> {
        let scope = TenantScope {
            client_account_id: run.client_account_id,
            engagement_id: Some(run.engagement_id),
        };
        // The phase runs on behalf of whoever queued it; their role was checked then.
        let ctx = RequestContext {
            user_id: run.requested_by,
            client_account_id: run.client_account_id,
            engagement_id: Some(run.engagement_id),
            role: Role::Analyst,
        };
        let Some(flow) = self.store.get_flow(&scope, run.flow_id).await? else {
            self.store.release_run(run.id, lease_owner).await?;
            return Ok(());
        };
        let events = self.events.clone();
        let wake: Arc<dyn Fn(Uuid) + Send + Sync> = Arc::new(move |flow: Uuid| events.wake(flow));
        let started = std::time::Instant::now();
        let report = std::panic::AssertUnwindSafe(self.discovery.run(&scope, &flow, &run, lease_owner, wake))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| PhaseReport {
                outcome: Err(PhaseFailure::internal(anyhow::anyhow!("the phase handler panicked"))),
                tasks: Vec::new(),
            });
        // The database went away under the phase (a restart, a failover): that is no verdict on
        // the phase, so it goes back to the queue and runs again, instead of failing the flow
        // because the database happened to be back by the time the failure was recorded.
        if let Err(failure) = &report.outcome
            && failure
                .internal
                .as_ref()
                .is_some_and(crate::error::database_unreachable)
        {
            tracing::warn!(phase = %run.phase, flow = %run.flow_id, "the database was unreachable during the phase; it is queued again");
            self.store.release_run(run.id, lease_owner).await?;
            return Ok(());
        }
        self.record_outcome(&ctx, run, lease_owner, report, started.elapsed())
            .await
    }

    async fn record_outcome(
        &self,
        ctx: &RequestContext,
        mut run: PhaseRunRecord,
        lease_owner: &str,
        report: PhaseReport,
        took: Duration,
    ) -> AppResult<()> {
        run.completed_at = Some(Utc::now());
        let (success, action, details, message) = match report.outcome {
            Ok(done) => {
                run.status = if done.awaiting_approval {
                    PhaseStatus::WaitingForApproval
                } else {
                    PhaseStatus::Completed
                };
                run.progress = 100;
                run.result = Some(Json(done.result.clone()));
                let action = if done.awaiting_approval {
                    "phase_awaiting_approval"
                } else {
                    "phase_completed"
                };
                (Some(done), action, json!({ "phase": run.phase }), None)
            }
            Err(failure) => {
                if let Some(source) = &failure.internal {
                    tracing::error!(error = ?source, phase = %run.phase, flow = %run.flow_id, "phase failed");
                }
                run.status = PhaseStatus::Failed;
                run.error = Some(failure.message.clone());
                (
                    None,
                    "phase_failed",
                    json!({ "phase": run.phase, "error": failure.message }),
                    Some(failure.message),
                )
            }
        };
        self.metrics
            .observe_phase(run.phase.as_str(), run.status.as_str(), took.as_secs_f64());
        // The worker's `phase_run` span shows how the run ended; a failed one as an error.
        let span = tracing::Span::current();
        span.record("outcome", run.status.as_str());
        if run.status == PhaseStatus::Failed {
            span.record("otel.status_code", "ERROR");
        }
        for task in &report.tasks {
            self.metrics
                .observe_agent_task(&task.agent, &task.outcome, task.duration_ms / 1000.0);
        }
        for _ in 0..FINISH_RETRIES {
            // Re-read: a pause (or any other write) may have landed while the phase ran.
            let Some(current) = self.store.get_flow(&scope(ctx), run.flow_id).await? else {
                tracing::warn!(flow = %run.flow_id, "flow deleted while its phase ran; result dropped");
                self.store.release_run(run.id, lease_owner).await?;
                return Ok(());
            };
            let mut updated = finish_flow(&current, &run, success.as_ref());
            record_performance(&mut updated, &run, success.as_ref(), &report.tasks, took);
            let runs = self.store.phase_runs(&scope(ctx), &[current.id]).await?;
            let next_run = (updated.auto_advance && updated.status == FlowStatus::Running)
                .then_some(updated.current_phase)
                .flatten()
                .map(|phase| queued_run(&updated, &runs, phase, run.requested_by));
            let event = audit(ctx, &current, action, details.clone());
            let mut events = vec![
                EventPayload::of_run(&run, message.clone()),
                EventPayload::of_flow(&updated),
            ];
            events.extend(next_run.iter().map(|r| EventPayload::of_run(r, None)));
            let change = FlowChange {
                run: Some(&run),
                lease_owner: Some(lease_owner),
                next_run: next_run.as_ref(),
                output: success.as_ref().and_then(|s| s.output.as_ref()),
                agent_tasks: &report.tasks,
                audit: Some(&event),
                events: &events,
                ..FlowChange::new(&updated)
            };
            match self.write(&change).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(StoreError::LeaseLost) => {
                    tracing::warn!(run = %run.id, "lease lost while the phase ran; another worker finishes it");
                    return Ok(());
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::conflict("the flow kept changing while its phase finished"))
    }

    /// Approves the flow's field mappings (with a person's overrides), completes the waiting
    /// attribute-mapping phase and queues the remaining phases to run on by themselves.
    pub async fn approve_field_mappings(
        &self,
        ctx: &RequestContext,
        flow_id: Uuid,
        overrides: Vec<MappingOverride>,
    ) -> AppResult<FlowRecord> {
        ctx.require_write()?;
        let flow = self.get_flow(ctx, flow_id).await?;
        if flow.status != FlowStatus::WaitingForApproval {
            return Err(AppError::conflict(format!(
                "the flow is {}, not waiting for approval",
                flow.status
            )));
        }
        let runs = self.store.phase_runs(&scope(ctx), &[flow.id]).await?;
        let latest = latest_runs(&runs);
        let Some(waiting) = latest
            .iter()
            .find(|r| r.status == PhaseStatus::WaitingForApproval && r.phase == PhaseName::AttributeMapping)
        else {
            return Err(AppError::conflict(
                "the flow's field mappings are not waiting for approval",
            ));
        };
        let mappings = self.store.field_mappings(&scope(ctx), &[flow.id]).await?;
        let approved = apply_overrides(mappings, &overrides)?;

        let mut run = (*waiting).clone();
        run.status = PhaseStatus::Completed;
        let mut updated = finish_flow(&flow, &run, None);
        if updated.status == FlowStatus::WaitingForApproval {
            updated.status = FlowStatus::Running;
        }
        updated.auto_advance = true;
        let next_run = (updated.status == FlowStatus::Running)
            .then_some(updated.current_phase)
            .flatten()
            .map(|phase| queued_run(&updated, &runs, phase, ctx.user_id));
        let details: Vec<Value> = overrides
            .iter()
            .map(|o| json!({ "sourceField": o.source_field, "targetAttribute": o.target_attribute }))
            .collect();
        let event = audit(ctx, &flow, "field_mappings_approved", json!({ "overrides": details }));
        let output = PhaseOutput::ApprovedMappings(approved);
        let mut events = vec![EventPayload::of_run(&run, None), EventPayload::of_flow(&updated)];
        events.extend(next_run.iter().map(|r| EventPayload::of_run(r, None)));
        self.write(&FlowChange {
            run: Some(&run),
            next_run: next_run.as_ref(),
            output: Some(&output),
            audit: Some(&event),
            events: &events,
            ..FlowChange::new(&updated)
        })
        .await?;
        Ok(updated)
    }
}

/// Every mapping approved, with the overrides applied; an override must name a source field of
/// the flow and a canonical attribute, and no two fields may end up on one attribute.
fn apply_overrides(
    mut mappings: Vec<FieldMappingRecord>,
    overrides: &[MappingOverride],
) -> AppResult<Vec<FieldMappingRecord>> {
    for o in overrides {
        if let Some(target) = &o.target_attribute
            && !CANONICAL_ATTRIBUTES.contains(&target.as_str())
        {
            return Err(AppError::bad_input(format!(
                "`{target}` is not a canonical attribute (one of: {})",
                CANONICAL_ATTRIBUTES.join(", ")
            )));
        }
        let mapping = mappings
            .iter_mut()
            .find(|m| m.source_field == o.source_field)
            .ok_or_else(|| AppError::bad_input(format!("the flow has no source field `{}`", o.source_field)))?;
        mapping.target_attribute = o.target_attribute.clone();
        mapping.confidence = 1.0;
        mapping.agent = "user".into();
        mapping.reasoning = "set by a person at the approval gate".into();
    }
    let mut owners: HashMap<&str, &str> = HashMap::new();
    for m in &mappings {
        if let Some(target) = &m.target_attribute
            && let Some(other) = owners.insert(target, &m.source_field)
        {
            return Err(AppError::bad_input(format!(
                "`{other}` and `{}` both map to `{target}`: map one elsewhere or to null",
                m.source_field
            )));
        }
    }
    for m in &mut mappings {
        m.status = "approved".into();
    }
    Ok(mappings)
}

/// The flow row after a phase run stopped: phases completed, progress, current phase, status
/// and the phase's summary. A flow paused meanwhile stays paused; the last phase completing
/// completes the flow.
fn finish_flow(current: &FlowRecord, run: &PhaseRunRecord, success: Option<&PhaseSuccess>) -> FlowRecord {
    let mut flow = next(current);
    let phases = flow.flow_type.phases();
    if let (Some(success), Value::Object(state)) = (success, &mut flow.flow_state.0) {
        state.insert(success.state_key.to_string(), success.result.clone());
    }
    if let Some(scores) = success.and_then(|s| s.quality_scores.clone()) {
        flow.quality_scores = Json(scores);
    }
    match run.status {
        PhaseStatus::Completed => {
            if !flow.phases_completed.0.contains(&run.phase) {
                flow.phases_completed.0.push(run.phase);
            }
            let done = phases.iter().filter(|p| flow.phases_completed.0.contains(p)).count();
            flow.progress_percentage = (done * 100 / phases.len()) as i32;
            flow.current_phase = phases.iter().find(|p| !flow.phases_completed.0.contains(p)).copied();
            if flow.current_phase.is_none() {
                flow.status = FlowStatus::Completed;
                flow.completed_at = Some(flow.updated_at);
            }
        }
        PhaseStatus::WaitingForApproval => {
            flow.current_phase = Some(run.phase);
            if flow.status == FlowStatus::Running {
                flow.status = FlowStatus::WaitingForApproval;
            }
        }
        _ => {
            flow.current_phase = Some(run.phase);
            if flow.status == FlowStatus::Running {
                flow.status = FlowStatus::Failed;
            }
        }
    }
    flow
}

/// `performanceMetrics[phase]`: duration, items per second, and each agent's latency.
fn record_performance(
    flow: &mut FlowRecord,
    run: &PhaseRunRecord,
    success: Option<&PhaseSuccess>,
    tasks: &[crate::store::AgentTaskRecord],
    took: Duration,
) {
    let items = success.map_or(0, |s| s.items);
    let seconds = took.as_secs_f64();
    let agents: serde_json::Map<String, Value> = tasks
        .iter()
        .map(|t| (t.agent.clone(), json!((t.duration_ms * 1000.0).round() / 1000.0)))
        .collect();
    let figures = json!({
        "durationMs": (seconds * 1000.0).round(),
        "items": items,
        "itemsPerSecond": if seconds > 0.0 { (items as f64 / seconds).round() } else { 0.0 },
        "attempt": run.attempt,
        "agentMs": agents,
    });
    if !flow.performance_metrics.0.is_object() {
        flow.performance_metrics = Json(json!({}));
    }
    if let Value::Object(metrics) = &mut flow.performance_metrics.0 {
        metrics.insert(run.phase.as_str().to_string(), figures);
    }
}
