//! The batch writer: a streaming phase's output written beside its computation, a few batches
//! at once, each committing in order.

use std::sync::Arc;

use tracing::Instrument;
use uuid::Uuid;

use crate::store::{EventPayload, FlowRecord, PhaseBatch, PhaseOutput, PhaseRunRecord, Store};

/// A batch waiting for the writer.
pub(super) struct QueuedBatch {
    pub(super) output: PhaseOutput,
    pub(super) replace: bool,
    pub(super) progress: i32,
    pub(super) event: EventPayload,
}

/// Writes a streaming phase's batches on tasks of their own, so the phase computes the next
/// batch while the database takes this one. Up to `Store::batch_writers` batches are written at
/// once, each committing after the one before it; the first batch, which replaces an earlier
/// attempt's rows, is written alone. One batch waits in the queue at most: memory stays at a few
/// batches.
pub(super) struct BatchWriter {
    pub(super) sender: tokio::sync::mpsc::Sender<QueuedBatch>,
    pub(super) task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

type WriteTask = tokio::task::JoinHandle<Result<(), crate::store::StoreError>>;

impl BatchWriter {
    pub(super) fn start(
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
