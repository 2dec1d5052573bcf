//! Running phases: start one (`executePhase`), drive all the rest (`executeFlow`), record each
//! outcome with the flow's new state, and release the attribute-mapping approval gate.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;
use futures_util::FutureExt;
use serde_json::{Value, json};
use sqlx::types::Json;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::state_machine::{check_execute, latest_runs};
use super::{FINISH_RETRIES, MasterFlowOrchestrator, PhaseView, audit, next, scope};
use crate::agents::types::CANONICAL_ATTRIBUTES;
use crate::auth::RequestContext;
use crate::discovery::{PhaseFailure, PhaseReport, PhaseSuccess};
use crate::domain::{FlowStatus, PhaseName, PhaseStatus};
use crate::error::{AppError, AppResult};
use crate::store::{FieldMappingRecord, FlowChange, FlowRecord, PhaseOutput, PhaseRunRecord, StoreError};

/// A field's mapping chosen by a person at the approval gate (`None`: keep it unmapped).
#[derive(Debug, Clone)]
pub struct MappingOverride {
    pub source_field: String,
    pub target_attribute: Option<String>,
}

type PhaseTask = JoinHandle<AppResult<PhaseView>>;

impl MasterFlowOrchestrator {
    /// Starts a phase (the next one when `phase` is `None`) and returns it running; with `wait`,
    /// returns when it has stopped. The phase runs on its own task either way, so a client that
    /// goes away does not cut it short.
    #[tracing::instrument(skip(self, ctx), fields(user = %ctx.user_id))]
    pub async fn execute_phase(
        self: &Arc<Self>,
        ctx: &RequestContext,
        flow_id: Uuid,
        phase: Option<PhaseName>,
        wait: bool,
    ) -> AppResult<PhaseView> {
        ctx.require_write()?;
        let (view, task) = self.start_phase(ctx, flow_id, phase).await?;
        if wait { join(task).await } else { Ok(view) }
    }

    /// Runs every remaining phase in order, stopping at the approval gate, a pause or a failure.
    /// Without `wait`, answers once the first phase has started.
    pub async fn execute_flow(
        self: &Arc<Self>,
        ctx: &RequestContext,
        flow_id: Uuid,
        wait: bool,
    ) -> AppResult<FlowRecord> {
        ctx.require_write()?;
        let (_, first) = self.start_phase(ctx, flow_id, None).await?;
        let this = Arc::clone(self);
        let ctx_owned = ctx.clone();
        let driver = tokio::spawn(async move { this.drive(&ctx_owned, flow_id, first).await });
        if wait {
            driver
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("flow driver ended abnormally: {e}")))??;
        }
        self.get_flow(ctx, flow_id).await
    }

    /// Awaits each phase, then starts the next while the flow is still running and has one.
    async fn drive(self: &Arc<Self>, ctx: &RequestContext, flow_id: Uuid, mut task: PhaseTask) -> AppResult<()> {
        loop {
            let phase = join(task).await?;
            if phase.status != PhaseStatus::Completed {
                return Ok(());
            }
            let flow = self.get_flow(ctx, flow_id).await?;
            if flow.status != FlowStatus::Running || flow.current_phase.is_none() {
                return Ok(());
            }
            task = match self.start_phase(ctx, flow_id, None).await {
                Ok((_, task)) => task,
                // Someone else started, paused or finished the flow meanwhile: their move wins.
                Err(AppError::Conflict(why)) => {
                    tracing::info!(flow = %flow_id, why, "flow run stopped");
                    return Ok(());
                }
                Err(other) => return Err(other),
            };
        }
    }

    /// Validates the move, records the run as running (with its audit event) and spawns it.
    async fn start_phase(
        self: &Arc<Self>,
        ctx: &RequestContext,
        flow_id: Uuid,
        phase: Option<PhaseName>,
    ) -> AppResult<(PhaseView, PhaseTask)> {
        let flow = self.get_flow(ctx, flow_id).await?;
        let runs = self.store.phase_runs(&scope(ctx), &[flow.id]).await?;
        let phase = check_execute(&flow, &runs, phase)?;
        if !self.discovery.handles(phase) {
            return Err(AppError::bad_input(format!(
                "phase {phase} has no handler in this version of flowgraph yet"
            )));
        }
        let now = Utc::now();
        let attempt = runs
            .iter()
            .filter(|r| r.phase == phase)
            .map(|r| r.attempt)
            .max()
            .unwrap_or(0)
            + 1;
        let run = PhaseRunRecord {
            id: Uuid::now_v7(),
            flow_id: flow.id,
            client_account_id: flow.client_account_id,
            engagement_id: flow.engagement_id,
            phase,
            status: PhaseStatus::Running,
            attempt,
            progress: 0,
            requested_by: ctx.user_id,
            created_at: now,
            started_at: Some(now),
            completed_at: None,
            result: None,
            error: None,
        };
        let mut started = next(&flow);
        started.status = FlowStatus::Running;
        started.current_phase = Some(phase);
        let event = audit(
            ctx,
            &flow,
            "phase_started",
            json!({ "phase": phase, "attempt": attempt }),
        );
        self.store
            .write_flow(&FlowChange {
                flow: &started,
                run: Some(&run),
                output: None,
                agent_tasks: &[],
                audit: Some(&event),
            })
            .await?;
        let view = PhaseView::from(&run);
        let this = Arc::clone(self);
        let ctx_owned = ctx.clone();
        let task = tokio::spawn(async move { this.run_phase(&ctx_owned, started, run).await });
        Ok((view, task))
    }

    /// Runs the handler and records its outcome with the flow's new state in one transaction.
    async fn run_phase(&self, ctx: &RequestContext, flow: FlowRecord, mut run: PhaseRunRecord) -> AppResult<PhaseView> {
        let report = std::panic::AssertUnwindSafe(self.discovery.run(&scope(ctx), &flow, run.phase))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| PhaseReport {
                outcome: Err(PhaseFailure::internal(anyhow::anyhow!("the phase handler panicked"))),
                tasks: Vec::new(),
            });
        run.completed_at = Some(Utc::now());
        let (success, action, details) = match report.outcome {
            Ok(done) if done.awaiting_approval => {
                run.status = PhaseStatus::WaitingForApproval;
                run.progress = 100;
                run.result = Some(Json(done.result.clone()));
                (Some(done), "phase_awaiting_approval", json!({ "phase": run.phase }))
            }
            Ok(done) => {
                run.status = PhaseStatus::Completed;
                run.progress = 100;
                run.result = Some(Json(done.result.clone()));
                (Some(done), "phase_completed", json!({ "phase": run.phase }))
            }
            Err(failure) => {
                if let Some(source) = &failure.internal {
                    tracing::error!(error = ?source, phase = %run.phase, flow = %flow.id, "phase failed");
                }
                run.status = PhaseStatus::Failed;
                run.error = Some(failure.message.clone());
                (
                    None,
                    "phase_failed",
                    json!({ "phase": run.phase, "error": failure.message }),
                )
            }
        };
        for _ in 0..FINISH_RETRIES {
            // Re-read: a pause (or any other write) may have landed while the phase ran.
            let Some(current) = self.store.get_flow(&scope(ctx), flow.id).await? else {
                tracing::warn!(flow = %flow.id, "flow deleted while its phase ran; result dropped");
                return Ok(PhaseView::from(&run));
            };
            let updated = finish_flow(&current, &run, success.as_ref());
            let event = audit(ctx, &current, action, details.clone());
            let change = FlowChange {
                flow: &updated,
                run: Some(&run),
                output: success.as_ref().and_then(|s| s.output.as_ref()),
                agent_tasks: &report.tasks,
                audit: Some(&event),
            };
            match self.store.write_flow(&change).await {
                Ok(()) => return Ok(PhaseView::from(&run)),
                Err(StoreError::Conflict) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::conflict(
            "the flow kept changing while its phase finished; execute the phase again",
        ))
    }

    /// Approves the flow's field mappings (with a person's overrides), completes the waiting
    /// attribute-mapping phase and carries on with the remaining phases in the background.
    pub async fn approve_field_mappings(
        self: &Arc<Self>,
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
        let Some(waiting) = latest.iter().find(|r| r.status == PhaseStatus::WaitingForApproval) else {
            return Err(AppError::conflict("no phase of the flow is waiting for approval"));
        };
        let mappings = self.store.field_mappings(&scope(ctx), &[flow.id]).await?;
        let approved = apply_overrides(mappings, &overrides)?;

        let mut run = (*waiting).clone();
        run.status = PhaseStatus::Completed;
        let mut updated = finish_flow(&flow, &run, None);
        if updated.status == FlowStatus::WaitingForApproval {
            updated.status = FlowStatus::Running;
        }
        let details: Vec<Value> = overrides
            .iter()
            .map(|o| json!({ "sourceField": o.source_field, "targetAttribute": o.target_attribute }))
            .collect();
        let event = audit(ctx, &flow, "field_mappings_approved", json!({ "overrides": details }));
        let output = PhaseOutput::ApprovedMappings(approved);
        self.store
            .write_flow(&FlowChange {
                flow: &updated,
                run: Some(&run),
                output: Some(&output),
                agent_tasks: &[],
                audit: Some(&event),
            })
            .await?;
        if updated.current_phase.is_some() {
            // Resume: the remaining phases run in the background; clients follow the flow's status.
            if let Err(err) = self.execute_flow(ctx, flow_id, false).await {
                tracing::warn!(flow = %flow_id, error = ?err, "could not resume the flow after approval");
            }
        }
        self.get_flow(ctx, flow_id).await
    }
}

async fn join(task: PhaseTask) -> AppResult<PhaseView> {
    task.await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("phase task ended abnormally: {e}")))?
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
