//! `MasterFlowOrchestrator`: the single source of truth for every flow's lifecycle. It checks
//! the caller's tenant and role, applies the state machine, writes audit events, and hands phases
//! to `UnitedDiscoveryFlow`.

pub mod state_machine;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use serde_json::{Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::discovery::{PhaseFailure, PhaseSuccess, UnitedDiscoveryFlow};
use crate::domain::{FlowStatus, FlowType, PhaseName, PhaseStatus};
use crate::error::{AppError, AppResult};
use crate::store::{
    AuditRecord, FlowChange, FlowFilter, FlowPage, FlowRecord, PageRequest, PhaseRunRecord, Store, StoreError,
    TenantScope,
};
use state_machine::{check_complete, check_execute, check_pause, check_resume, latest_runs};

/// The raw CMDB export a discovery flow starts from.
#[derive(Debug, Clone)]
pub enum RawInput {
    Csv(String),
    Records(Value),
    File { filename: String, bytes: Vec<u8> },
}

#[derive(Debug, Clone)]
pub struct NewFlow {
    pub flow_type: FlowType,
    pub name: String,
    pub engagement_id: Option<Uuid>,
    pub raw: Option<RawInput>,
    pub configuration: Option<Value>,
    pub master_flow_id: Option<Uuid>,
}

/// A phase as clients see it: its latest run, or `pending` before the first.
#[derive(Debug, Clone)]
pub struct PhaseView {
    pub name: PhaseName,
    pub status: PhaseStatus,
    pub progress: i32,
    pub attempt: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub result: Option<Value>,
    pub error: Option<String>,
}

impl PhaseView {
    fn pending(name: PhaseName) -> Self {
        PhaseView {
            name,
            status: PhaseStatus::Pending,
            progress: 0,
            attempt: 0,
            started_at: None,
            completed_at: None,
            result: None,
            error: None,
        }
    }
}

impl From<&PhaseRunRecord> for PhaseView {
    fn from(run: &PhaseRunRecord) -> Self {
        PhaseView {
            name: run.phase,
            status: run.status,
            progress: run.progress,
            attempt: run.attempt,
            started_at: run.started_at,
            completed_at: run.completed_at,
            result: run.result.as_ref().map(|r| r.0.clone()),
            error: run.error.clone(),
        }
    }
}

/// How many times a phase's final write re-reads the flow when a pause or other write raced it.
const FINISH_RETRIES: usize = 5;
pub const MAX_PAGE_SIZE: i64 = 100;

pub struct MasterFlowOrchestrator {
    store: Arc<dyn Store>,
    discovery: UnitedDiscoveryFlow,
}

pub fn scope(ctx: &RequestContext) -> TenantScope {
    TenantScope {
        client_account_id: ctx.client_account_id,
        engagement_id: ctx.engagement_id,
    }
}

fn audit(ctx: &RequestContext, flow: &FlowRecord, action: &str, details: Value) -> AuditRecord {
    AuditRecord {
        id: Uuid::now_v7(),
        flow_id: flow.id,
        client_account_id: flow.client_account_id,
        engagement_id: flow.engagement_id,
        user_id: ctx.user_id,
        action: action.to_string(),
        details: Json(details),
        created_at: Utc::now(),
    }
}

/// The next version of a flow row, stamped now.
fn next(flow: &FlowRecord) -> FlowRecord {
    let mut flow = flow.clone();
    flow.version += 1;
    flow.updated_at = Utc::now();
    flow
}

impl MasterFlowOrchestrator {
    pub fn new(store: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(MasterFlowOrchestrator {
            discovery: UnitedDiscoveryFlow::new(store.clone()),
            store,
        })
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Fails the runs a stopped process left behind, so their flows can be executed again.
    pub async fn recover(&self) -> AppResult<u64> {
        Ok(self.store.fail_interrupted_runs(Utc::now()).await?)
    }

    #[tracing::instrument(skip_all, fields(flow_type = %input.flow_type))]
    pub async fn create_flow(&self, ctx: &RequestContext, input: NewFlow) -> AppResult<FlowRecord> {
        ctx.require_write()?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::bad_input("name must be 1 to 200 characters"));
        }
        let engagement_id = match (ctx.engagement_id, input.engagement_id) {
            (Some(token), Some(asked)) if token != asked => {
                return Err(AppError::Forbidden(
                    "the token is restricted to another engagement".into(),
                ));
            }
            (Some(token), _) => token,
            (None, Some(asked)) => asked,
            (None, None) => return Err(AppError::bad_input("engagementId is required for this token")),
        };
        let configuration = match input.configuration {
            None | Some(Value::Null) => json!({}),
            Some(config @ Value::Object(_)) => config,
            Some(_) => return Err(AppError::bad_input("configuration must be a JSON object")),
        };
        if let Some(master) = input.master_flow_id {
            self.get_flow(ctx, master)
                .await
                .map_err(|_| AppError::NotFound("master flow not found".into()))?;
        }
        let raw_data = input.raw.map(raw_data_json).transpose()?;
        if input.flow_type == FlowType::Discovery && raw_data.is_none() {
            return Err(AppError::bad_input(
                "a discovery flow needs its raw data: give csv, records or file",
            ));
        }
        let now = Utc::now();
        let id = Uuid::now_v7();
        let flow = FlowRecord {
            id,
            flow_id: id.to_string(),
            flow_type: input.flow_type,
            master_flow_id: input.master_flow_id,
            client_account_id: ctx.client_account_id,
            engagement_id,
            user_id: ctx.user_id,
            name: name.to_string(),
            status: FlowStatus::Initialized,
            current_phase: input.flow_type.phases().first().copied(),
            flow_configuration: Json(configuration),
            flow_state: Json(json!({})),
            phases_completed: Json(Vec::new()),
            progress_percentage: 0,
            data_import_id: None,
            performance_metrics: Json(json!({})),
            quality_scores: Json(json!({})),
            version: 1,
            created_at: now,
            updated_at: now,
            completed_at: None,
            deleted_at: None,
        };
        let source = raw_data
            .as_ref()
            .and_then(|r| r.get("source"))
            .cloned()
            .unwrap_or(Value::Null);
        let event = audit(
            ctx,
            &flow,
            "flow_created",
            json!({ "name": flow.name, "flowType": flow.flow_type, "source": source }),
        );
        self.store.insert_flow(&flow, raw_data.as_ref(), &event).await?;
        Ok(flow)
    }

    pub async fn get_flow(&self, ctx: &RequestContext, id: Uuid) -> AppResult<FlowRecord> {
        self.store
            .get_flow(&scope(ctx), id)
            .await?
            .ok_or_else(AppError::flow_not_found)
    }

    pub async fn get_flows(&self, ctx: &RequestContext, ids: &[Uuid]) -> AppResult<Vec<FlowRecord>> {
        Ok(self.store.get_flows(&scope(ctx), ids).await?)
    }

    pub async fn list_flows(
        &self,
        ctx: &RequestContext,
        filter: &FlowFilter,
        page: &PageRequest,
    ) -> AppResult<FlowPage> {
        if !(0..=MAX_PAGE_SIZE).contains(&page.limit) {
            return Err(AppError::bad_input(format!(
                "first must be between 0 and {MAX_PAGE_SIZE}"
            )));
        }
        Ok(self.store.list_flows(&scope(ctx), filter, page).await?)
    }

    pub async fn child_flows(&self, ctx: &RequestContext, master_ids: &[Uuid]) -> AppResult<Vec<FlowRecord>> {
        Ok(self.store.child_flows(&scope(ctx), master_ids).await?)
    }

    /// Every phase of each flow, in order, as its latest run or pending.
    pub async fn phases(&self, ctx: &RequestContext, flows: &[FlowRecord]) -> AppResult<Vec<(Uuid, Vec<PhaseView>)>> {
        let ids: Vec<Uuid> = flows.iter().map(|f| f.id).collect();
        let runs = self.store.phase_runs(&scope(ctx), &ids).await?;
        let latest = latest_runs(&runs);
        Ok(flows
            .iter()
            .map(|flow| {
                let views = flow
                    .flow_type
                    .phases()
                    .iter()
                    .map(|phase| {
                        latest
                            .iter()
                            .find(|r| r.flow_id == flow.id && r.phase == *phase)
                            .map_or_else(|| PhaseView::pending(*phase), |r| PhaseView::from(*r))
                    })
                    .collect();
                (flow.id, views)
            })
            .collect())
    }

    pub async fn audit_trail(&self, ctx: &RequestContext, flow_ids: &[Uuid]) -> AppResult<Vec<AuditRecord>> {
        Ok(self.store.audit_events(&scope(ctx), flow_ids).await?)
    }

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
                audit: Some(&event),
            })
            .await?;

        let view = PhaseView::from(&run);
        let this = Arc::clone(self);
        let ctx_owned = ctx.clone();
        let task = tokio::spawn(async move { this.run_phase(&ctx_owned, started, run).await });
        if !wait {
            return Ok(view);
        }
        match task.await {
            Ok(result) => result,
            Err(join) => Err(AppError::Internal(anyhow::anyhow!(
                "phase task ended abnormally: {join}"
            ))),
        }
    }

    /// Runs the handler and records its outcome with the flow's new state in one transaction.
    async fn run_phase(&self, ctx: &RequestContext, flow: FlowRecord, mut run: PhaseRunRecord) -> AppResult<PhaseView> {
        let outcome = std::panic::AssertUnwindSafe(self.discovery.run(&scope(ctx), &flow, run.phase))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(PhaseFailure::internal(anyhow::anyhow!("the phase handler panicked"))));
        let finished = Utc::now();
        run.completed_at = Some(finished);
        let (success, action, details) = match outcome {
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

    pub async fn pause_flow(&self, ctx: &RequestContext, flow_id: Uuid) -> AppResult<FlowRecord> {
        self.transition(ctx, flow_id, "flow_paused", |flow, _| {
            check_pause(flow)?;
            let mut paused = next(flow);
            paused.status = FlowStatus::Paused;
            Ok(paused)
        })
        .await
    }

    pub async fn resume_flow(&self, ctx: &RequestContext, flow_id: Uuid) -> AppResult<FlowRecord> {
        self.transition(ctx, flow_id, "flow_resumed", |flow, _| {
            check_resume(flow)?;
            let mut resumed = next(flow);
            resumed.status = FlowStatus::Running;
            Ok(resumed)
        })
        .await
    }

    /// Completes a flow by hand; phases that never ran stay pending in its history.
    pub async fn complete_flow(&self, ctx: &RequestContext, flow_id: Uuid) -> AppResult<FlowRecord> {
        self.transition(ctx, flow_id, "flow_completed", |flow, runs| {
            check_complete(flow, runs)?;
            let mut completed = next(flow);
            completed.status = FlowStatus::Completed;
            completed.current_phase = None;
            completed.completed_at = Some(completed.updated_at);
            Ok(completed)
        })
        .await
    }

    /// Soft delete: the flow disappears from every query; its audit trail stays in the database.
    pub async fn delete_flow(&self, ctx: &RequestContext, flow_id: Uuid) -> AppResult<()> {
        ctx.require_delete()?;
        self.transition(ctx, flow_id, "flow_deleted", |flow, _| {
            let mut deleted = next(flow);
            deleted.deleted_at = Some(deleted.updated_at);
            Ok(deleted)
        })
        .await?;
        Ok(())
    }

    /// Reads the flow and its runs, lets `change` check and build the new row, writes it with its
    /// audit event. A concurrent writer makes the version check fail: `CONFLICT`, nothing written.
    async fn transition(
        &self,
        ctx: &RequestContext,
        flow_id: Uuid,
        action: &str,
        change: impl FnOnce(&FlowRecord, &[PhaseRunRecord]) -> AppResult<FlowRecord>,
    ) -> AppResult<FlowRecord> {
        ctx.require_write()?;
        let flow = self.get_flow(ctx, flow_id).await?;
        let runs = self.store.phase_runs(&scope(ctx), &[flow.id]).await?;
        let updated = change(&flow, &runs)?;
        let event = audit(ctx, &flow, action, json!({ "from": flow.status, "to": updated.status }));
        self.store
            .write_flow(&FlowChange {
                flow: &updated,
                run: None,
                output: None,
                audit: Some(&event),
            })
            .await?;
        Ok(updated)
    }
}

/// The flow row after a phase run finished: phases completed, progress, current phase and status.
/// A flow paused meanwhile stays paused; the last phase completing completes the flow.
fn finish_flow(current: &FlowRecord, run: &PhaseRunRecord, success: Option<&PhaseSuccess>) -> FlowRecord {
    let mut flow = next(current);
    let phases = flow.flow_type.phases();
    if run.status == PhaseStatus::Completed {
        if !flow.phases_completed.0.contains(&run.phase) {
            flow.phases_completed.0.push(run.phase);
        }
        if let (Some(success), Value::Object(state)) = (success, &mut flow.flow_state.0) {
            state.insert(success.state_key.to_string(), success.result.clone());
        }
        let done = phases.iter().filter(|p| flow.phases_completed.0.contains(p)).count();
        flow.progress_percentage = (done * 100 / phases.len()) as i32;
        flow.current_phase = phases.iter().find(|p| !flow.phases_completed.0.contains(p)).copied();
        if flow.current_phase.is_none() {
            flow.status = FlowStatus::Completed;
            flow.completed_at = Some(flow.updated_at);
        }
    } else {
        flow.current_phase = Some(run.phase);
        if flow.status == FlowStatus::Running {
            flow.status = FlowStatus::Failed;
        }
    }
    flow
}

/// Normalises the raw input into the JSON kept in `raw_data`, refusing what can't be imported.
fn raw_data_json(raw: RawInput) -> AppResult<Value> {
    match raw {
        RawInput::Csv(text) => {
            if text.trim_start_matches('\u{feff}').trim().is_empty() {
                return Err(AppError::bad_input("csv is empty"));
            }
            Ok(json!({ "source": "csv", "text": text }))
        }
        RawInput::Records(records @ (Value::Array(_) | Value::Object(_))) => {
            Ok(json!({ "source": "records", "records": records }))
        }
        RawInput::Records(_) => Err(AppError::bad_input("records must be a JSON array of objects")),
        RawInput::File { filename, bytes } => {
            let (text, encoding) = crate::discovery::import::decode(&bytes);
            if text.trim().is_empty() {
                return Err(AppError::bad_input(format!("the file `{filename}` is empty")));
            }
            Ok(json!({ "source": "file", "filename": filename, "encoding": encoding, "text": text }))
        }
    }
}
