//! `MasterFlowOrchestrator`: the single source of truth for every flow's lifecycle. It checks
//! the caller's tenant and role, applies the state machine, writes audit events, and hands phases
//! to `UnitedDiscoveryFlow`.

use std::sync::Arc;

use chrono::Utc;
use serde_json::{Value, json};
use sqlx::types::Json;
use uuid::Uuid;

use super::events::EventBus;
use super::flow_input::{NewFlow, RawInput, raw_data_json, upload_json};
use super::state_machine::{check_complete, check_pause, check_resume, latest_runs};
use crate::auth::RequestContext;
use crate::domain::{FlowStatus, FlowType, PhaseName, PhaseStatus};
use crate::error::{AppError, AppResult};
use crate::metrics::Metrics;
use crate::phases::UnitedDiscoveryFlow;
use crate::store::{
    AuditRecord, EventPayload, FlowChange, FlowFilter, FlowPage, FlowRecord, PageRequest, PhaseRunRecord, Store,
    TenantScope,
};

/// How many times a phase's final write re-reads the flow when a pause or other write raced it.
pub(super) const FINISH_RETRIES: usize = 5;
pub const MAX_PAGE_SIZE: i64 = 100;

pub struct MasterFlowOrchestrator {
    pub(super) store: Arc<dyn Store>,
    pub(super) discovery: UnitedDiscoveryFlow,
    pub events: Arc<EventBus>,
    pub metrics: Arc<Metrics>,
    /// Set when the server shuts down: watchers end, and subscriptions with them.
    pub(super) stopping: tokio::sync::watch::Sender<bool>,
    pub(super) probe_cache: tokio::sync::Mutex<Option<(std::time::Instant, crate::agents::agent_health::ProbeResults)>>,
}

pub fn scope(ctx: &RequestContext) -> TenantScope {
    TenantScope {
        client_account_id: ctx.client_account_id,
        engagement_id: ctx.engagement_id,
    }
}

pub(super) fn audit(ctx: &RequestContext, flow: &FlowRecord, action: &str, details: Value) -> AuditRecord {
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
pub(super) fn next(flow: &FlowRecord) -> FlowRecord {
    let mut flow = flow.clone();
    flow.version += 1;
    flow.updated_at = Utc::now();
    flow
}

/// A queued run of `phase`, numbered after the flow's earlier attempts.
pub(super) fn queued_run(
    flow: &FlowRecord,
    runs: &[PhaseRunRecord],
    phase: PhaseName,
    requested_by: Uuid,
) -> PhaseRunRecord {
    let attempt = runs
        .iter()
        .filter(|r| r.phase == phase)
        .map(|r| r.attempt)
        .max()
        .unwrap_or(0)
        + 1;
    PhaseRunRecord {
        id: Uuid::now_v7(),
        flow_id: flow.id,
        client_account_id: flow.client_account_id,
        engagement_id: flow.engagement_id,
        phase,
        status: PhaseStatus::Queued,
        attempt,
        progress: 0,
        requested_by,
        created_at: Utc::now(),
        started_at: None,
        completed_at: None,
        result: None,
        error: None,
    }
}

impl MasterFlowOrchestrator {
    /// Starts the event pump; workers are started separately (`worker::WorkerPool`).
    pub fn new(store: Arc<dyn Store>, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(MasterFlowOrchestrator {
            discovery: UnitedDiscoveryFlow::new(store.clone()),
            events: EventBus::start(store.clone(), metrics.clone()),
            metrics,
            stopping: tokio::sync::watch::channel(false).0,
            probe_cache: tokio::sync::Mutex::new(None),
            store,
        })
    }

    /// Ends every watcher (and so every subscription) for a shutdown.
    pub fn stop_watchers(&self) {
        self.stopping.send_replace(true);
    }

    /// Changes to `true` when the server starts shutting down.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// Writes a change and wakes this process's event pump for it.
    pub(super) async fn write(&self, change: &FlowChange<'_>) -> Result<(), crate::store::StoreError> {
        self.store.write_flow(change).await?;
        self.events.wake(change.flow.id);
        Ok(())
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
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
        self.check_master(ctx, input.flow_type, input.master_flow_id).await?;
        let (raw_data, mut upload) = match input.raw {
            Some(RawInput::File { filename, file }) => {
                let (raw, file) = upload_json(filename, file).await?;
                (Some(raw), Some(file))
            }
            Some(raw) => (Some(raw_data_json(raw)?), None),
            None => (None, None),
        };
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
            auto_advance: false,
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
        let upload = upload.as_mut().map(|file| file as &mut (dyn std::io::Read + Send));
        self.store.insert_flow(&flow, raw_data.as_ref(), &event, upload).await?;
        self.events.wake(flow.id);
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

    pub async fn audit_trail(&self, ctx: &RequestContext, flow_ids: &[Uuid]) -> AppResult<Vec<AuditRecord>> {
        Ok(self.store.audit_events(&scope(ctx), flow_ids).await?)
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

    /// Resumes a paused flow; one that was running on by itself queues its next phase (unless
    /// one is already queued from before the pause).
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
    /// An assessment or collection reads the assets of a completed discovery flow of the same
    /// tenant: anything else (missing, another tenant's, unfinished) is the same BAD_USER_INPUT.
    async fn check_master(&self, ctx: &RequestContext, flow_type: FlowType, master: Option<Uuid>) -> AppResult<()> {
        let master = match master {
            Some(id) => self.store.get_flow(&scope(ctx), id).await?,
            None if flow_type == FlowType::Discovery => return Ok(()),
            None => None,
        };
        let usable = match flow_type {
            FlowType::Discovery => master.is_some(),
            FlowType::Assessment | FlowType::Collection => master
                .as_ref()
                .is_some_and(|m| m.flow_type == FlowType::Discovery && m.status == FlowStatus::Completed),
        };
        if usable {
            Ok(())
        } else if flow_type == FlowType::Discovery {
            Err(AppError::bad_input("masterFlowId names no flow of yours"))
        } else {
            Err(AppError::bad_input(format!(
                "a {flow_type} flow needs masterFlowId: a completed discovery flow of the same tenant"
            )))
        }
    }

    /// Soft-deletes a flow; a master with live child flows needs `cascade`, which deletes them too.
    pub async fn delete_flow(&self, ctx: &RequestContext, flow_id: Uuid, cascade: bool) -> AppResult<()> {
        ctx.require_delete()?;
        let flow = self.get_flow(ctx, flow_id).await?;
        let children = self.store.child_flows(&scope(ctx), &[flow.id]).await?;
        if !children.is_empty() && !cascade {
            return Err(AppError::conflict(format!(
                "the flow has {} live child flows: delete them first, or pass cascade: true",
                children.len()
            )));
        }
        for child in children {
            Box::pin(self.delete_flow(ctx, child.id, true)).await?;
        }
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
        // A flow resumed while running on by itself, with nothing queued, queues its next phase.
        let idle = !latest_runs(&runs).iter().any(|r| r.status.is_active());
        let next_run =
            (updated.status == FlowStatus::Running && updated.deleted_at.is_none() && updated.auto_advance && idle)
                .then_some(updated.current_phase)
                .flatten()
                .map(|phase| queued_run(&updated, &runs, phase, ctx.user_id));
        let mut events = vec![EventPayload::of_flow(&updated)];
        events.extend(next_run.iter().map(|r| EventPayload::of_run(r, None)));
        self.write(&FlowChange {
            next_run: next_run.as_ref(),
            audit: Some(&event),
            events: &events,
            ..FlowChange::new(&updated)
        })
        .await?;
        Ok(updated)
    }
}
