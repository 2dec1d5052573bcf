//! What a phase handler gets ([`PhaseInput`]): the store, the tenant, the flow and its run; and
//! how it runs agent work off the async workers and hands its output to the batch writer.

use std::sync::Arc;

use serde_json::Value;
use uuid::Uuid;

use crate::domain::PhaseStatus;
use crate::phases::batch_writer::{BatchWriter, QueuedBatch};
use crate::phases::outcome::PhaseFailure;
use crate::phases::task_log::TaskLog;
use crate::store::{AgentTaskRecord, EventPayload, FlowRecord, PhaseOutput, PhaseRunRecord, Store, TenantScope};

/// What a handler gets: where to read, for whom, which flow and run; where its agent tasks go.
pub struct PhaseInput<'a> {
    pub store: Arc<dyn Store>,
    pub scope: &'a TenantScope,
    pub flow: &'a FlowRecord,
    pub(super) run: &'a PhaseRunRecord,
    /// The worker's lease on the run: each batch a phase writes is refused once it is lost.
    pub(super) lease_owner: &'a str,
    /// Tells the event pump that events of the flow were stored.
    pub(super) wake: Arc<dyn Fn(Uuid) + Send + Sync>,
    pub(super) writer: Option<BatchWriter>,
    /// The highest progress reported so far; later reports never go below it, and a batch that
    /// knows none repeats it.
    pub(super) progress: Option<i32>,
    pub(super) tasks: Vec<AgentTaskRecord>,
    /// How many batches each agent ran on (agents of streaming phases run once per batch).
    pub(super) batches: std::collections::HashMap<String, usize>,
    /// Whether a batch was written yet (the first one replaces an earlier attempt's output).
    pub(super) wrote_batch: bool,
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
    pub(super) fn into_tasks(self) -> Vec<AgentTaskRecord> {
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
