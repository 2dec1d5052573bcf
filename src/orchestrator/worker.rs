//! Workers: every server process runs `FLOWGRAPH_WORKERS` of them. A worker claims the oldest
//! queued run (or one whose lease expired: its process died), heartbeats the lease while the
//! phase runs, and records the outcome. Phases are idempotent, so a reclaimed run loses nothing
//! and duplicates nothing.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;
use uuid::Uuid;

use super::master::MasterFlowOrchestrator;

#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    pub workers: usize,
    /// How long a claim lasts without a heartbeat; a dead worker's run is reclaimed after it.
    pub lease: Duration,
    /// How long shutdown waits for running phases before giving their runs back to the queue.
    pub grace: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            workers: 2,
            lease: Duration::from_secs(30),
            grace: Duration::from_secs(20),
        }
    }
}

/// Idle workers look at the queue at least this often (another replica's work may not wake them).
const IDLE_POLL: Duration = Duration::from_secs(1);

pub struct WorkerPool {
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
    /// Runs being worked on, with the owner holding their lease.
    in_flight: Arc<Mutex<HashSet<(Uuid, String)>>>,
    orchestrator: Arc<MasterFlowOrchestrator>,
    grace: Duration,
}

impl WorkerPool {
    pub fn start(orchestrator: Arc<MasterFlowOrchestrator>, settings: WorkerSettings) -> Self {
        let (stop, stopped) = watch::channel(false);
        let in_flight = Arc::new(Mutex::new(HashSet::new()));
        let mut tasks = JoinSet::new();
        let process = Uuid::new_v4().simple().to_string();
        for index in 0..settings.workers {
            let worker = Worker {
                owner: format!("{}-{}-{index}", std::process::id(), &process[..8]),
                orchestrator: orchestrator.clone(),
                lease: settings.lease,
                stopped: stopped.clone(),
                in_flight: in_flight.clone(),
            };
            tasks.spawn(worker.run());
        }
        WorkerPool {
            stop,
            tasks,
            in_flight,
            orchestrator,
            grace: settings.grace,
        }
    }

    /// Stops claiming; waits up to the grace period for running phases, then gives the rest
    /// of their runs back to the queue for another replica (or the next start) to take.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let drained = tokio::time::timeout(self.grace, async { while self.tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            self.tasks.abort_all();
            let unfinished: Vec<(Uuid, String)> = self
                .in_flight
                .lock()
                .map(|s| s.iter().cloned().collect())
                .unwrap_or_default();
            for (run, owner) in unfinished {
                if let Err(err) = self.orchestrator.store().release_run(run, &owner).await {
                    tracing::warn!(%run, error = %err, "could not release a run at shutdown");
                }
            }
        }
    }
}

struct Worker {
    owner: String,
    orchestrator: Arc<MasterFlowOrchestrator>,
    lease: Duration,
    stopped: watch::Receiver<bool>,
    in_flight: Arc<Mutex<HashSet<(Uuid, String)>>>,
}

impl Worker {
    async fn run(mut self) {
        let lease = chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(30));
        while !*self.stopped.borrow() {
            let now = Utc::now();
            match self.orchestrator.store().claim_run(&self.owner, now + lease, now).await {
                Ok(Some(claimed)) => {
                    if claimed.reclaimed {
                        self.orchestrator.metrics.lease_reclaimed();
                        tracing::warn!(run = %claimed.run.id, phase = %claimed.run.phase, "reclaimed a run whose lease expired");
                    }
                    self.orchestrator.events.wake(claimed.run.flow_id);
                    self.work(claimed.run).await;
                }
                Ok(None) => {
                    let work = self.orchestrator.events.work_available.clone();
                    tokio::select! {
                        _ = work.notified() => {}
                        _ = tokio::time::sleep(IDLE_POLL) => {}
                        _ = self.stopped.changed() => {}
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "claiming a run failed");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
        }
    }

    /// Runs one claimed run inside a `phase_run` span. Its parent is the flow's trace (see
    /// [`crate::telemetry::join_flow_trace`]), so every phase of a flow, on any replica, lands in one trace.
    async fn work(&self, run: crate::store::PhaseRunRecord) {
        let span = tracing::info_span!(
            "phase_run",
            otel.name = %format_args!("phase {}", run.phase),
            flow_id = %run.flow_id,
            client_account_id = %run.client_account_id,
            phase = %run.phase,
            run = %run.id,
            attempt = run.attempt,
            // Recorded by `record_outcome` (execution.rs) when the run ends.
            outcome = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
        );
        crate::telemetry::join_flow_trace(&span, run.flow_id);
        self.work_in_span(run).instrument(span).await
    }

    async fn work_in_span(&self, run: crate::store::PhaseRunRecord) {
        let key = (run.id, self.owner.clone());
        if let Ok(mut set) = self.in_flight.lock() {
            set.insert(key.clone());
        }
        let heartbeat = tokio::spawn(heartbeat(
            self.orchestrator.clone(),
            run.id,
            self.owner.clone(),
            self.lease,
        ));
        if let Err(err) = self.orchestrator.run_claimed(run, &self.owner).await {
            tracing::error!(error = ?err, "recording a phase outcome failed; the run will be reclaimed");
        }
        heartbeat.abort();
        if let Ok(mut set) = self.in_flight.lock() {
            set.remove(&key);
        }
    }
}

/// Extends the lease every third of its length until aborted.
async fn heartbeat(orchestrator: Arc<MasterFlowOrchestrator>, run: Uuid, owner: String, lease: Duration) {
    let extend = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
    let mut every = tokio::time::interval(lease / 3);
    every.tick().await;
    loop {
        every.tick().await;
        match orchestrator.store().heartbeat(run, &owner, Utc::now() + extend).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(%run, "lease lost: another worker took the run over");
                return;
            }
            Err(err) => tracing::warn!(%run, error = %err, "heartbeat failed"),
        }
    }
}
