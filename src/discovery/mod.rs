//! `UnitedDiscoveryFlow`: one handler per discovery phase. A handler reads its input from the
//! store, calls its agents (off the async workers: agent work is CPU work) and returns its
//! output; the orchestrator writes that output with the phase run, the agent tasks and the
//! flow's new state in one transaction, so a phase run twice gives the same result.

pub mod import;
mod phases;
mod tasks;

use std::sync::Arc;

use serde_json::Value;
use uuid::Uuid;

use crate::domain::PhaseName;
use crate::store::{AgentTaskRecord, EventPayload, FlowRecord, PhaseOutput, PhaseRunRecord, Store, TenantScope};
pub use tasks::TaskLog;

/// What a phase produced: a summary (the run's `result`, also kept in the flow state under
/// `state_key`) and the rows it writes.
#[derive(Debug)]
pub struct PhaseSuccess {
    pub state_key: &'static str,
    pub result: Value,
    pub output: Option<PhaseOutput>,
    /// The phase stops at WAITING_FOR_APPROVAL instead of completing.
    pub awaiting_approval: bool,
    /// New `qualityScores` for the flow.
    pub quality_scores: Option<Value>,
    /// Records, assets or fields processed (for `performanceMetrics`).
    pub items: usize,
}

impl PhaseSuccess {
    pub fn new(state_key: &'static str, result: Value, output: PhaseOutput, items: usize) -> Self {
        PhaseSuccess {
            state_key,
            result,
            output: Some(output),
            awaiting_approval: false,
            quality_scores: None,
            items,
        }
    }
}

/// Why a phase failed: a message for the client, and the internal cause for the log.
#[derive(Debug)]
pub struct PhaseFailure {
    pub message: String,
    pub internal: Option<anyhow::Error>,
}

impl PhaseFailure {
    pub fn user(message: impl Into<String>) -> Self {
        PhaseFailure {
            message: message.into(),
            internal: None,
        }
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        PhaseFailure {
            message: "internal error while running the phase".into(),
            internal: Some(source.into()),
        }
    }
}

/// A phase's outcome and the agent tasks it ran (recorded whether it succeeded or not).
#[derive(Debug)]
pub struct PhaseReport {
    pub outcome: Result<PhaseSuccess, PhaseFailure>,
    pub tasks: Vec<AgentTaskRecord>,
}

/// What a handler gets: where to read, for whom, which flow and run; where its agent tasks go.
pub struct PhaseInput<'a> {
    pub store: &'a dyn Store,
    pub scope: &'a TenantScope,
    pub flow: &'a FlowRecord,
    run: &'a PhaseRunRecord,
    /// Tells the event pump that events of the flow were stored.
    wake: &'a (dyn Fn(Uuid) + Send + Sync),
    tasks: Vec<AgentTaskRecord>,
}

impl PhaseInput<'_> {
    /// Runs agent work on the blocking pool with its own task log, keeping the tasks it ran and
    /// storing its live events (agent started / finished, progress) as they happen.
    pub async fn compute<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut TaskLog) -> Result<T, PhaseFailure> + Send + 'static,
    ) -> Result<T, PhaseFailure> {
        let (flow, phase, attempt) = (
            (self.flow.id, self.run.client_account_id),
            self.run.phase,
            self.run.attempt,
        );
        let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
        // The blocking thread does not inherit the phase's span; agent task spans belong under it.
        let span = tracing::Span::current();
        let mut blocking = tokio::task::spawn_blocking(move || {
            let _span = span.entered();
            let mut log = TaskLog::reporting(flow, phase, attempt, sender);
            let result = work(&mut log);
            (result, log.into_tasks())
        });
        let joined = loop {
            tokio::select! {
                joined = &mut blocking => break joined,
                Some(event) = events.recv() => self.store_events(vec![event], &mut events).await,
            }
        };
        // What the work emitted after its last await here.
        let rest: Vec<EventPayload> = std::iter::from_fn(|| events.try_recv().ok()).collect();
        if !rest.is_empty() {
            self.store_events(rest, &mut events).await;
        }
        let (result, tasks) = joined.map_err(PhaseFailure::internal)?;
        self.tasks.extend(tasks);
        result
    }

    /// Stores live events, with any others already waiting, in one write. They are progress
    /// reports: failing to store one must not fail the phase.
    async fn store_events(
        &self,
        mut batch: Vec<EventPayload>,
        more: &mut tokio::sync::mpsc::UnboundedReceiver<EventPayload>,
    ) {
        batch.extend(std::iter::from_fn(|| more.try_recv().ok()));
        match self.store.append_events(self.flow, &batch).await {
            Ok(()) => (self.wake)(self.flow.id),
            Err(err) => tracing::warn!(error = %err, flow = %self.flow.id, "storing progress events failed"),
        }
    }

    pub fn config(&self, key: &str) -> Option<&Value> {
        self.flow.flow_configuration.0.get(key)
    }
}

pub struct UnitedDiscoveryFlow {
    store: Arc<dyn Store>,
}

impl UnitedDiscoveryFlow {
    pub fn new(store: Arc<dyn Store>) -> Self {
        UnitedDiscoveryFlow { store }
    }

    pub async fn run(
        &self,
        scope: &TenantScope,
        flow: &FlowRecord,
        run: &PhaseRunRecord,
        wake: &(dyn Fn(Uuid) + Send + Sync),
    ) -> PhaseReport {
        let mut input = PhaseInput {
            store: self.store.as_ref(),
            scope,
            flow,
            run,
            wake,
            tasks: Vec::new(),
        };
        let outcome = match run.phase {
            PhaseName::DataImport => phases::data_import::run(&mut input).await,
            PhaseName::AttributeMapping => phases::attribute_mapping::run(&mut input).await,
            PhaseName::DataCleansing => phases::data_cleansing::run(&mut input).await,
            PhaseName::Inventory => phases::inventory::run(&mut input).await,
            PhaseName::DependencyAnalysis => phases::dependency_analysis::run(&mut input).await,
            PhaseName::TechDebtAnalysis => phases::tech_debt_analysis::run(&mut input).await,
            PhaseName::ReadinessAssessment => phases::assessment::readiness(&mut input).await,
            PhaseName::SixRStrategy => phases::assessment::six_r(&mut input).await,
            PhaseName::WavePlanning => phases::assessment::waves(&mut input).await,
            PhaseName::GapAnalysis => phases::collection::gap_analysis(&mut input).await,
            PhaseName::QuestionnaireGeneration => phases::collection::questionnaire(&mut input).await,
            PhaseName::DataValidation => phases::collection::data_validation(&mut input).await,
        };
        PhaseReport {
            outcome,
            tasks: input.tasks,
        }
    }
}

/// An id for rows a phase creates.
pub(crate) fn new_id() -> Uuid {
    Uuid::now_v7()
}
