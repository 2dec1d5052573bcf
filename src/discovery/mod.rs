//! `UnitedDiscoveryFlow`: one handler per discovery phase. A handler reads its input from the
//! store, calls its agents (off the async workers: agent work is CPU work) and returns its
//! output; the orchestrator writes that output with the phase run, the agent tasks and the
//! flow's new state in one transaction, so a phase run twice gives the same result.

pub mod import;
mod phases;
mod tasks;

use std::sync::Arc;

use tracing::Instrument;

use serde_json::Value;
use uuid::Uuid;

use crate::domain::{PhaseName, PhaseStatus};
use crate::store::{
    AgentTaskRecord, EventPayload, FlowRecord, PhaseBatch, PhaseOutput, PhaseRunRecord, Store, TenantScope,
};
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
    /// A phase that wrote its output in batches as it went.
    pub fn streamed(state_key: &'static str, result: Value, items: usize) -> Self {
        PhaseSuccess {
            state_key,
            result,
            output: None,
            awaiting_approval: false,
            quality_scores: None,
            items,
        }
    }

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
    pub store: Arc<dyn Store>,
    pub scope: &'a TenantScope,
    pub flow: &'a FlowRecord,
    run: &'a PhaseRunRecord,
    /// The worker's lease on the run: each batch a phase writes is refused once it is lost.
    lease_owner: &'a str,
    /// Tells the event pump that events of the flow were stored.
    wake: Arc<dyn Fn(Uuid) + Send + Sync>,
    writer: Option<BatchWriter>,
    /// The highest progress reported so far; later reports never go below it, and a batch that
    /// knows none repeats it.
    progress: Option<i32>,
    tasks: Vec<AgentTaskRecord>,
    /// How many batches each agent ran on (agents of streaming phases run once per batch).
    batches: std::collections::HashMap<String, usize>,
    /// Whether a batch was written yet (the first one replaces an earlier attempt's output).
    wrote_batch: bool,
}

/// Rows a streaming phase reads, runs its agents on and writes at a time: memory holds about
/// one batch, whatever the size of the flow.
pub const BATCH_ROWS: usize = 5_000;

impl PhaseInput<'_> {
    /// Runs agent work on the blocking pool with its own task log, keeping the tasks it ran and
    /// storing its live events (agent started / finished, progress) as they happen.
    pub async fn compute<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut TaskLog) -> Result<T, PhaseFailure> + Send + 'static,
    ) -> Result<T, PhaseFailure> {
        self.compute_up_to(100, work).await
    }

    /// `compute` for a phase with work of its own after its agents: their progress reports
    /// reach `ceiling` percent, and the phase reports the rest.
    pub async fn compute_up_to<T: Send + 'static>(
        &mut self,
        ceiling: i32,
        work: impl FnOnce(&mut TaskLog) -> Result<T, PhaseFailure> + Send + 'static,
    ) -> Result<T, PhaseFailure> {
        let (flow, phase, attempt) = (
            (self.flow.id, self.run.client_account_id),
            self.run.phase,
            self.run.attempt,
        );
        // Its events go straight to the store: the batches queued before it land first.
        self.flush_writes().await?;
        let (sender, mut events) = tokio::sync::mpsc::unbounded_channel();
        // A phase's progress never goes back: agents finishing after its batches report no less.
        let floor = self.progress.unwrap_or(0);
        // The blocking thread does not inherit the phase's span; agent task spans belong under it.
        let span = tracing::Span::current();
        let mut blocking = tokio::task::spawn_blocking(move || {
            let _span = span.entered();
            let mut log = TaskLog::reporting(flow, phase, attempt, sender).between(floor, ceiling);
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

    /// Runs one batch's agent work on the blocking pool. Its agents send no live events (the
    /// batch's write reports progress); each agent's tasks over the batches add up to one task.
    pub async fn compute_batch<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut TaskLog) -> Result<T, PhaseFailure> + Send + 'static,
    ) -> Result<T, PhaseFailure> {
        let flow = (self.flow.id, self.run.client_account_id);
        let (phase, attempt) = (self.run.phase, self.run.attempt);
        let span = tracing::Span::current();
        let (result, tasks) = tokio::task::spawn_blocking(move || {
            let _span = span.entered();
            let mut log = TaskLog::quiet(flow, phase, attempt);
            let result = work(&mut log);
            (result, log.into_tasks())
        })
        .await
        .map_err(PhaseFailure::internal)?;
        for task in tasks {
            *self.batches.entry(task.agent.clone()).or_default() += 1;
            match self.tasks.iter_mut().find(|t| t.agent == task.agent) {
                Some(total) => {
                    total.duration_ms += task.duration_ms;
                    total.finished_at = task.finished_at;
                    total.confidence = match (total.confidence, task.confidence) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    if task.outcome != "success" {
                        total.outcome = task.outcome;
                        total.error = task.error;
                    }
                }
                None => self.tasks.push(task),
            }
        }
        result
    }

    /// Queues one batch of the phase's output with a progress event (a percentage, when the
    /// phase knows its total, and a message). The batch writer writes it in its own transaction
    /// while the phase goes on; a write refused (the lease lost, the database away) fails the
    /// phase at its next batch or at `flush_writes`.
    pub async fn write_batch(
        &mut self,
        output: PhaseOutput,
        progress: Option<i32>,
        message: String,
    ) -> Result<(), PhaseFailure> {
        let last = self.progress.unwrap_or(self.run.progress);
        let progress = progress.unwrap_or(last).max(last).clamp(0, 99);
        self.progress = Some(progress);
        let event = EventPayload::Phase {
            phase: self.run.phase,
            status: PhaseStatus::Running,
            progress,
            attempt: self.run.attempt,
            message: Some(message),
        };
        let batch = QueuedBatch {
            output,
            replace: !self.wrote_batch,
            progress,
            event,
        };
        self.wrote_batch = true;
        let writer = match &mut self.writer {
            Some(writer) => writer,
            None => self.writer.insert(BatchWriter::start(
                self.store.clone(),
                self.flow.clone(),
                self.run.clone(),
                self.lease_owner.to_string(),
                self.wake.clone(),
            )),
        };
        if writer.sender.send(batch).await.is_err() {
            // The writer stopped at a refused write: that is the phase's error.
            self.flush_writes().await?;
            return Err(PhaseFailure::internal(anyhow::anyhow!("the batch writer stopped")));
        }
        Ok(())
    }

    /// Waits until every queued batch is written; the first refused write is the error.
    pub async fn flush_writes(&mut self) -> Result<(), PhaseFailure> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        drop(writer.sender);
        match writer.task.await {
            Ok(result) => result.map_err(PhaseFailure::internal),
            Err(join) => Err(PhaseFailure::internal(join)),
        }
    }

    /// A streaming phase that wrote no batch still replaces what an earlier attempt wrote.
    pub async fn clear_if_unwritten(&mut self, empty: PhaseOutput) -> Result<(), PhaseFailure> {
        if self.wrote_batch {
            return Ok(());
        }
        self.write_batch(empty, None, "nothing to write".into()).await
    }

    /// Tasks of agents that ran once per batch say so in their reasoning.
    fn into_tasks(self) -> Vec<AgentTaskRecord> {
        let batches = self.batches;
        self.tasks
            .into_iter()
            .map(|mut task| {
                if let Some(&n) = batches.get(&task.agent).filter(|&&n| n > 1) {
                    let first = task.reasoning.take().unwrap_or_default();
                    task.reasoning = Some(format!(
                        "Ran on {n} batches of up to {BATCH_ROWS} rows; the first: {first}"
                    ));
                }
                task
            })
            .collect()
    }

    /// Stores live events, with any others already waiting, in one write. They are progress
    /// reports: failing to store one must not fail the phase.
    async fn store_events(
        &mut self,
        mut batch: Vec<EventPayload>,
        more: &mut tokio::sync::mpsc::UnboundedReceiver<EventPayload>,
    ) {
        batch.extend(std::iter::from_fn(|| more.try_recv().ok()));
        for event in &batch {
            if let EventPayload::Phase { progress, .. } = event {
                self.progress = Some(self.progress.map_or(*progress, |last| last.max(*progress)));
            }
        }
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
        lease_owner: &str,
        wake: Arc<dyn Fn(Uuid) + Send + Sync>,
    ) -> PhaseReport {
        let mut input = PhaseInput {
            store: self.store.clone(),
            scope,
            flow,
            run,
            lease_owner,
            wake,
            writer: None,
            progress: None,
            tasks: Vec::new(),
            batches: Default::default(),
            wrote_batch: false,
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
        // A phase is done when its last batch is written.
        let flushed = input.flush_writes().await;
        let outcome = outcome.and_then(|success| flushed.map(|()| success));
        if outcome.is_ok()
            && let Some(table) = bulk_table(run.phase)
            && let Err(err) = self.store.analyze(table).await
        {
            // Slower plans for the next phase, not a wrong result.
            tracing::warn!(error = %err, table, "refreshing statistics after a bulk load failed");
        }
        if outcome.is_err()
            && input.wrote_batch
            && let Some(empty) = partial_output(run.phase)
        {
            // Nothing half-written: a streaming phase that fails (a full disk, a lost database)
            // takes back the batches it wrote, if the database still answers.
            let message = "the phase failed: its partial output was removed".to_string();
            input.wrote_batch = false;
            let cleared = match input.write_batch(empty, None, message).await {
                Ok(()) => input.flush_writes().await,
                Err(err) => Err(err),
            };
            if let Err(err) = cleared {
                tracing::warn!(error = ?err.internal, flow = %flow.id, "removing a failed phase's partial output failed");
            }
        }
        PhaseReport {
            outcome,
            tasks: input.into_tasks(),
        }
    }
}

/// The table a streaming phase bulk-loads: its statistics are refreshed when the phase ends,
/// so the next phase's page reads are planned for its real size.
fn bulk_table(phase: PhaseName) -> Option<&'static str> {
    match phase {
        PhaseName::DataImport => Some("raw_import_records"),
        PhaseName::DataCleansing => Some("cleansed_records"),
        PhaseName::Inventory => Some("assets"),
        PhaseName::DependencyAnalysis => Some("asset_dependencies"),
        PhaseName::TechDebtAnalysis => Some("tech_debt_items"),
        _ => None,
    }
}

/// A batch waiting for the writer.
struct QueuedBatch {
    output: PhaseOutput,
    replace: bool,
    progress: i32,
    event: EventPayload,
}

/// Writes a streaming phase's batches on tasks of their own, so the phase computes the next
/// batch while the database takes this one. Up to `Store::batch_writers` batches are written at
/// once, each committing after the one before it; the first batch, which replaces an earlier
/// attempt's rows, is written alone. One batch waits in the queue at most: memory stays at a few
/// batches.
struct BatchWriter {
    sender: tokio::sync::mpsc::Sender<QueuedBatch>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

type WriteTask = tokio::task::JoinHandle<Result<(), crate::store::StoreError>>;

impl BatchWriter {
    fn start(
        store: Arc<dyn Store>,
        flow: FlowRecord,
        run: PhaseRunRecord,
        lease_owner: String,
        wake: Arc<dyn Fn(Uuid) + Send + Sync>,
    ) -> Self {
        let (sender, mut batches) = tokio::sync::mpsc::channel::<QueuedBatch>(1);
        let (flow, run, lease_owner) = (Arc::new(flow), Arc::new(run), Arc::new(lease_owner));
        let writers = store.batch_writers().max(1);
        let task = tokio::spawn(
            async move {
                let mut writing: std::collections::VecDeque<WriteTask> = Default::default();
                // Notified when the batch started last has committed.
                let mut committed: Option<Arc<tokio::sync::Notify>> = None;
                while let Some(queued) = batches.recv().await {
                    let room = if queued.replace { 1 } else { writers };
                    while writing.len() >= room {
                        finish_oldest(&mut writing).await?;
                    }
                    let done = Arc::new(tokio::sync::Notify::new());
                    let turn = committed.replace(done.clone()).filter(|_| !writing.is_empty());
                    let (store, flow, run, lease_owner, wake) = (
                        store.clone(),
                        flow.clone(),
                        run.clone(),
                        lease_owner.clone(),
                        wake.clone(),
                    );
                    writing.push_back(tokio::spawn(
                        async move {
                            let batch = PhaseBatch {
                                flow: &flow,
                                run: &run,
                                lease_owner: &lease_owner,
                                replace: queued.replace,
                                output: &queued.output,
                                progress: queued.progress,
                                events: std::slice::from_ref(&queued.event),
                                turn: turn.as_deref(),
                            };
                            store.write_batch(&batch).await?;
                            done.notify_one();
                            wake(flow.id);
                            Ok(())
                        }
                        .in_current_span(),
                    ));
                    // The replacing batch must have committed before any other starts.
                    if queued.replace {
                        finish_oldest(&mut writing).await?;
                    }
                }
                while !writing.is_empty() {
                    finish_oldest(&mut writing).await?;
                }
                Ok(())
            }
            .in_current_span(),
        );
        BatchWriter { sender, task }
    }
}

/// Waits for the oldest write. When it failed, the writes after it (waiting for their turn, or
/// still writing) are cancelled, which rolls them back, and have ended before the error returns.
async fn finish_oldest(writing: &mut std::collections::VecDeque<WriteTask>) -> anyhow::Result<()> {
    let Some(oldest) = writing.pop_front() else {
        return Ok(());
    };
    let result = match oldest.await {
        Ok(result) => result.map_err(anyhow::Error::from),
        Err(join) => Err(anyhow::Error::from(join).context("a batch write stopped")),
    };
    if result.is_err() {
        for later in writing.drain(..) {
            later.abort();
            let _ = later.await;
        }
    }
    result
}

/// An empty output that, written as a phase's first batch, removes what the phase wrote.
/// Inventory upserts assets in place (keeping their ids), so a failed inventory leaves them.
fn partial_output(phase: PhaseName) -> Option<PhaseOutput> {
    match phase {
        PhaseName::DataImport => Some(PhaseOutput::ImportRecords(Vec::new())),
        PhaseName::DataCleansing => Some(PhaseOutput::CleansedRecords(Vec::new())),
        PhaseName::DependencyAnalysis => Some(PhaseOutput::Dependencies(Vec::new())),
        PhaseName::TechDebtAnalysis => Some(PhaseOutput::TechDebt {
            items: Vec::new(),
            strategies: Vec::new(),
        }),
        _ => None,
    }
}

/// `done` of `total` as a percentage for progress events (never 100 before the phase ends).
pub(crate) fn share(done: usize, total: usize) -> i32 {
    (done.saturating_mul(100) / total.max(1)).min(99) as i32
}

/// An id for rows a phase creates.
pub(crate) fn new_id() -> Uuid {
    Uuid::now_v7()
}
