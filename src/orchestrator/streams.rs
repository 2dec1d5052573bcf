//! What subscriptions watch: one flow's events (replayed from a sequence, then live), every
//! flow event of a tenant, and agent health. Each watcher is a task feeding its subscriber
//! through a small channel: a slow subscriber only slows its own task, and a task that falls
//! behind the bus catches up from `flow_events`, so nobody is blocked and nothing is skipped.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::master::{MasterFlowOrchestrator, scope};
use crate::agents::agent_health::{self, AgentHealthReport, TaskSample};
use crate::auth::RequestContext;
use crate::domain::FlowStatus;
use crate::error::AppResult;
use crate::store::{EventPayload, StoredEvent};

/// Events buffered per subscriber before its watcher waits (and, if it must, catches up later).
const SUBSCRIBER_BUFFER: usize = 256;
const READ_BATCH: i64 = 500;
/// Agent figures are recomputed at most this often while agents are busy.
const HEALTH_DEBOUNCE: Duration = Duration::from_millis(250);
/// The window agent health is judged over.
const HEALTH_WINDOW: chrono::Duration = chrono::Duration::hours(24);
const HEALTH_SAMPLES: i64 = 5000;

fn ends_flow(event: &StoredEvent) -> bool {
    matches!(
        event.payload,
        EventPayload::Flow {
            status: FlowStatus::Completed | FlowStatus::Cancelled,
            ..
        }
    )
}

fn visible_to(ctx: &RequestContext, event: &StoredEvent) -> bool {
    event.client_account_id == ctx.client_account_id && ctx.engagement_id.is_none_or(|e| e == event.engagement_id)
}

impl MasterFlowOrchestrator {
    /// One flow's events after `after` (or from now), in sequence order without gaps; the
    /// stream ends after the flow's completion event. Another tenant's flow is NOT_FOUND.
    pub async fn watch_flow(
        self: &Arc<Self>,
        ctx: &RequestContext,
        flow_id: Uuid,
        after: Option<i64>,
    ) -> AppResult<mpsc::Receiver<Arc<StoredEvent>>> {
        let flow = self.get_flow(ctx, flow_id).await?;
        let mut live = self.events.subscribe();
        let head = self.store.event_head(flow.id).await?;
        let (sender, receiver) = mpsc::channel(SUBSCRIBER_BUFFER);
        let this = Arc::clone(self);
        let mut stopping = self.stopping.subscribe();
        let already_done = matches!(flow.status, FlowStatus::Completed | FlowStatus::Cancelled);
        tokio::spawn(async move {
            let mut last = after.unwrap_or(head).clamp(0, head);
            // Replay what was stored after the client's cursor (from a reconnect, say).
            if this
                .forward_stored(flow_id, &mut last, head, &sender)
                .await
                .unwrap_or(true)
                || already_done && last >= head
            {
                return;
            }
            loop {
                let event = tokio::select! {
                    received = live.recv() => received,
                    _ = stopping.changed() => return,
                };
                match event {
                    Ok(event) if event.flow_id == flow_id && event.sequence > last => {
                        // A gap means the bus dropped something for us: read it from the table.
                        if event.sequence > last + 1 {
                            match this
                                .forward_stored(flow_id, &mut last, event.sequence - 1, &sender)
                                .await
                            {
                                Ok(false) => {}
                                _ => return,
                            }
                        }
                        last = event.sequence;
                        let done = ends_flow(&event);
                        if sender.send(event).await.is_err() || done {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        let head = this.store.event_head(flow_id).await.unwrap_or(last);
                        match this.forward_stored(flow_id, &mut last, head, &sender).await {
                            Ok(false) => {}
                            _ => return,
                        }
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        Ok(receiver)
    }

    /// Sends the stored events in (`last`, `until`]; `Ok(true)` when the stream should end
    /// (the flow completed, or the subscriber left).
    async fn forward_stored(
        &self,
        flow_id: Uuid,
        last: &mut i64,
        until: i64,
        sender: &mpsc::Sender<Arc<StoredEvent>>,
    ) -> AppResult<bool> {
        while *last < until {
            let events = self.store.events_after(flow_id, *last, READ_BATCH).await?;
            if events.is_empty() {
                break;
            }
            for event in events {
                if event.sequence > until {
                    return Ok(false);
                }
                *last = event.sequence;
                let done = ends_flow(&event);
                if sender.send(Arc::new(event)).await.is_err() || done {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Every event of the flows the caller may see (optionally of one engagement), live. After
    /// falling behind, the watcher re-reads the missed events of the flows it knows from the table.
    pub fn watch_tenant(
        self: &Arc<Self>,
        ctx: &RequestContext,
        engagement: Option<Uuid>,
    ) -> mpsc::Receiver<Arc<StoredEvent>> {
        let (sender, receiver) = mpsc::channel(SUBSCRIBER_BUFFER);
        let mut live = self.events.subscribe();
        let mut stopping = self.stopping.subscribe();
        let (this, ctx) = (Arc::clone(self), ctx.clone());
        let wanted =
            move |event: &StoredEvent| visible_to(&ctx, event) && engagement.is_none_or(|e| e == event.engagement_id);
        let since = Utc::now();
        tokio::spawn(async move {
            let mut last: HashMap<Uuid, i64> = HashMap::new();
            loop {
                let event = tokio::select! {
                    received = live.recv() => received,
                    _ = stopping.changed() => return,
                };
                match event {
                    Ok(event) if wanted(&event) => {
                        last.insert(event.flow_id, event.sequence);
                        if sender.send(event).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => {
                        let Ok(heads) = this.store.event_heads(since).await else {
                            continue;
                        };
                        for (flow, head) in heads {
                            let mut seen = last.get(&flow).copied().unwrap_or(0);
                            while seen < head {
                                let Ok(events) = this.store.events_after(flow, seen, READ_BATCH).await else {
                                    break;
                                };
                                if events.is_empty() {
                                    break;
                                }
                                for event in events {
                                    seen = event.sequence;
                                    if event.created_at >= since
                                        && wanted(&event)
                                        && sender.send(Arc::new(event)).await.is_err()
                                    {
                                        return;
                                    }
                                }
                            }
                            last.insert(flow, seen);
                        }
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        receiver
    }

    /// Agent health for the caller's flows (or one flow): figures over the last day of tasks,
    /// the agents' self-test probes, and which agents are running now.
    pub async fn agent_health(
        &self,
        ctx: &RequestContext,
        flow: Option<Uuid>,
        running: &HashSet<String>,
    ) -> AppResult<Vec<AgentHealthReport>> {
        if let Some(flow) = flow {
            self.get_flow(ctx, flow).await?;
        }
        let since = Utc::now() - HEALTH_WINDOW;
        let samples: Vec<TaskSample> = self
            .store
            .recent_agent_tasks(&scope(ctx), flow, since, HEALTH_SAMPLES)
            .await?
            .into_iter()
            .map(|t| TaskSample {
                agent: t.agent,
                finished_at: t.finished_at,
                duration_ms: t.duration_ms,
                success: t.outcome == "success",
            })
            .collect();
        let probes = self.probes().await;
        Ok(agent_health::assess(&samples, &probes, running))
    }

    /// The probes' latest results, re-run at most once a minute (they take about a millisecond).
    async fn probes(&self) -> agent_health::ProbeResults {
        let mut cached = self.probe_cache.lock().await;
        if let Some((at, results)) = cached.as_ref()
            && at.elapsed() < Duration::from_secs(60)
        {
            return results.clone();
        }
        let results = tokio::task::spawn_blocking(agent_health::run_probes)
            .await
            .unwrap_or_default();
        *cached = Some((std::time::Instant::now(), results.clone()));
        results
    }

    /// A health snapshot now, then a new one after each agent start or finish (at most every
    /// quarter second) and at every heartbeat.
    pub async fn watch_agents(
        self: &Arc<Self>,
        ctx: &RequestContext,
        flow: Option<Uuid>,
        heartbeat: Duration,
    ) -> AppResult<mpsc::Receiver<Vec<AgentHealthReport>>> {
        let mut running: HashMap<String, i64> = HashMap::new();
        let first = self.agent_health(ctx, flow, &HashSet::new()).await?;
        let (sender, receiver) = mpsc::channel(16);
        let _ = sender.try_send(first);
        let mut live = self.events.subscribe();
        let mut stopping = self.stopping.subscribe();
        let (this, ctx) = (Arc::clone(self), ctx.clone());
        tokio::spawn(async move {
            let mut beat = tokio::time::interval(heartbeat);
            beat.tick().await;
            let mut debounce = tokio::time::interval(HEALTH_DEBOUNCE);
            let mut dirty = false;
            loop {
                let due = tokio::select! {
                    received = live.recv() => {
                        match received {
                            Ok(event) if visible_to(&ctx, &event) && flow.is_none_or(|f| f == event.flow_id) => {
                                if let EventPayload::Agent { agent, running: started, .. } = &event.payload {
                                    let count = running.entry(agent.clone()).or_default();
                                    *count = (*count + if *started { 1 } else { -1 }).max(0);
                                    dirty = true;
                                }
                            }
                            Ok(_) => {}
                            Err(RecvError::Lagged(_)) => dirty = true,
                            Err(RecvError::Closed) => return,
                        }
                        false
                    }
                    _ = debounce.tick() => std::mem::take(&mut dirty),
                    _ = beat.tick() => true,
                    _ = stopping.changed() => return,
                };
                if due {
                    let busy: HashSet<String> = running
                        .iter()
                        .filter(|(_, n)| **n > 0)
                        .map(|(a, _)| a.clone())
                        .collect();
                    match this.agent_health(&ctx, flow, &busy).await {
                        Ok(reports) => {
                            if sender.send(reports).await.is_err() {
                                return;
                            }
                        }
                        Err(err) => tracing::warn!(error = ?err, "agent health unavailable"),
                    }
                }
            }
        });
        Ok(receiver)
    }
}
