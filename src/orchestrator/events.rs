//! The event bus: every stored flow event, in per-flow sequence order, on an in-process
//! broadcast channel. A pump reads the events from `flow_events` when woken (by a local write,
//! or by PostgreSQL NOTIFY from any replica) and once a second catches up whatever a lost
//! wake-up missed, so subscribers on every replica see every replica's work.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, broadcast, mpsc};
use uuid::Uuid;

use crate::domain::PhaseStatus;
use crate::metrics::Metrics;
use crate::store::{EventPayload, Store, StoredEvent};

/// Events a slow subscriber may fall behind by before it is resynced.
const BUS_CAPACITY: usize = 4096;
const READ_BATCH: i64 = 500;
const CATCH_UP_EVERY: Duration = Duration::from_secs(1);
/// How far back the catch-up looks for flows with new events.
const CATCH_UP_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

pub struct EventBus {
    sender: broadcast::Sender<Arc<StoredEvent>>,
    wake: mpsc::UnboundedSender<Uuid>,
    /// Idle workers wait on it: a queued phase anywhere wakes them.
    pub work_available: Arc<Notify>,
}

impl EventBus {
    /// Starts the pump; it runs until the bus is dropped.
    pub fn start(store: Arc<dyn Store>, metrics: Arc<Metrics>) -> Arc<Self> {
        let (sender, _) = broadcast::channel(BUS_CAPACITY);
        let (wake, wake_rx) = mpsc::unbounded_channel();
        let work_available = Arc::new(Notify::new());
        let pump = Pump {
            store: store.clone(),
            metrics,
            sender: sender.clone(),
            work_available: work_available.clone(),
            last_seen: HashMap::new(),
            started: Utc::now() - chrono::Duration::seconds(1),
        };
        tokio::spawn(pump.run(wake_rx, store.event_wakeups()));
        Arc::new(EventBus {
            sender,
            wake,
            work_available,
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.sender.subscribe()
    }

    /// A local write stored events for `flow`: read and publish them now.
    pub fn wake(&self, flow: Uuid) {
        let _ = self.wake.send(flow);
    }
}

struct Pump {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    sender: broadcast::Sender<Arc<StoredEvent>>,
    work_available: Arc<Notify>,
    /// The last sequence published per flow.
    last_seen: HashMap<Uuid, i64>,
    /// Events older than the pump are history, not news.
    started: chrono::DateTime<Utc>,
}

impl Pump {
    async fn run(mut self, mut local: mpsc::UnboundedReceiver<Uuid>, mut remote: Option<mpsc::Receiver<Uuid>>) {
        let mut catch_up = tokio::time::interval(CATCH_UP_EVERY);
        catch_up.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                flow = local.recv() => match flow {
                    Some(flow) => self.drain(flow).await,
                    None => return, // the bus was dropped
                },
                Some(flow) = async { match remote.as_mut() { Some(r) => r.recv().await, None => std::future::pending().await } } => {
                    self.drain(flow).await;
                }
                _ = catch_up.tick() => self.catch_up().await,
            }
        }
    }

    async fn catch_up(&mut self) {
        let since = Utc::now() - CATCH_UP_WINDOW;
        match self.store.event_heads(since).await {
            Ok(heads) => {
                for (flow, head) in &heads {
                    if self.last_seen.get(flow).is_none_or(|seen| seen < head) {
                        self.drain(*flow).await;
                    }
                }
                // Forget flows that went quiet: their next event is read from the start again,
                // and anything older than the pump is skipped.
                if self.last_seen.len() > heads.len() * 2 + 1024 {
                    let live: std::collections::HashSet<Uuid> = heads.iter().map(|(f, _)| *f).collect();
                    self.last_seen.retain(|flow, _| live.contains(flow));
                }
            }
            Err(err) => tracing::warn!(error = %err, "event catch-up failed"),
        }
    }

    async fn drain(&mut self, flow: Uuid) {
        let first_sight = !self.last_seen.contains_key(&flow);
        let mut after = self.last_seen.get(&flow).copied().unwrap_or(0);
        loop {
            let events = match self.store.events_after(flow, after, READ_BATCH).await {
                Ok(events) => events,
                Err(err) => {
                    tracing::warn!(error = %err, %flow, "reading events failed");
                    return;
                }
            };
            let read = events.len() as i64;
            for event in events {
                after = event.sequence;
                if first_sight && event.created_at < self.started {
                    continue;
                }
                if matches!(
                    event.payload,
                    EventPayload::Phase {
                        status: PhaseStatus::Queued,
                        ..
                    }
                ) {
                    self.work_available.notify_waiters();
                }
                // No subscriber is fine: the event is stored.
                let _ = self.sender.send(Arc::new(event));
                self.metrics.event_published();
            }
            self.last_seen.insert(flow, after);
            if read < READ_BATCH {
                return;
            }
        }
    }
}
