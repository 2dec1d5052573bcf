//! Subscriptions run once per group of identical subscribers, their responses fanned out to each.
//!
//! Subscribers are identical when they send the same document, operation name and variables
//! with the same tenant, engagement and role: everything a resolver reads (none reads the user),
//! so the one execution yields what each of theirs would have, tenant and role checks included:
//! a caller of another tenant, or of another role, is never in the same group. A group's
//! execution starts with its first subscriber and stops when its last one leaves.
//!
//! A subscriber can join a running group only if the group's stream is live from the moment
//! of subscribing (a resolver says so with [`from_now`]); a stream that starts with a replay or
//! a snapshot is joinable only until its first response, so nobody misses the start.
//!
//! Backpressure: a group keeps its last `queue` responses in one ring its subscribers share. A
//! subscriber that falls further behind (its socket does not drain) is told through
//! [`SlowSubscriber`], and its connection is closed; nobody waits for it, and the ring does
//! not grow.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use async_graphql::parser::types::OperationType;
use async_graphql::{Context, Data, Executor, Request, Response};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use super::document::chosen_operation;
use super::loaders::{LoadQueue, drive, loaders};
use super::query_gate::QueryGate;
use super::schema::FlowgraphSchema;
use crate::auth::{Authentication, RequestContext};
use crate::domain::Role;
use crate::metrics::Metrics;
use crate::orchestrator::MasterFlowOrchestrator;

/// Set on a websocket connection: a subscription of it fell too far behind its group.
#[derive(Clone, Default)]
pub struct SlowSubscriber(pub Arc<Notify>);

/// A resolver's word that its stream is live from now on (no replay, no snapshot first), so a
/// later subscriber may join the execution midway.
struct FromNow(Arc<AtomicBool>);

/// Called by a subscription resolver whose stream is live from the moment it starts.
pub fn from_now(ctx: &Context<'_>) {
    if let Some(flag) = ctx.data_opt::<FromNow>() {
        flag.0.store(true, Ordering::Relaxed);
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    query: String,
    operation: Option<String>,
    variables: String,
    client_account_id: Uuid,
    engagement_id: Option<Uuid>,
    role: Role,
}

struct Group {
    /// Weak, so the ring closes when the execution ends even while subscribers remain.
    sender: broadcast::WeakSender<Arc<Response>>,
    execution: tokio::task::AbortHandle,
}

impl Drop for Group {
    /// The last subscriber left: stop the execution.
    fn drop(&mut self) {
        self.execution.abort();
    }
}

type Groups = Mutex<HashMap<GroupKey, Weak<Group>>>;

/// The websocket protocol engine's executor: queries and mutations as over HTTP (with the
/// request's loaders), subscriptions shared by identical subscribers.
#[derive(Clone)]
pub struct FanOut {
    schema: FlowgraphSchema,
    orchestrator: Arc<MasterFlowOrchestrator>,
    metrics: Arc<Metrics>,
    /// Queries over the socket take turns with those over HTTP.
    queries: Arc<QueryGate>,
    groups: Arc<Groups>,
    queue: usize,
}

impl FanOut {
    pub fn new(
        schema: FlowgraphSchema,
        orchestrator: Arc<MasterFlowOrchestrator>,
        metrics: Arc<Metrics>,
        queries: Arc<QueryGate>,
        queue: usize,
    ) -> Self {
        FanOut {
            schema,
            orchestrator,
            metrics,
            queries,
            groups: Arc::default(),
            queue: queue.max(1),
        }
    }

    /// A subscriber's stream of its group's responses, joining or starting the group.
    fn subscribe(&self, key: GroupKey, request: Request, session: Arc<Data>) -> BoxStream<'static, Response> {
        let slow = session_data::<SlowSubscriber>(&session).cloned();
        let (group, receiver) = self.join(key, request, session);
        let counted = self.metrics.subscription_started();
        futures_util::stream::unfold(
            (receiver, group, counted, slow),
            |(mut receiver, group, counted, slow)| async move {
                match receiver.recv().await {
                    Ok(response) => Some((copy(&response), (receiver, group, counted, slow))),
                    Err(RecvError::Closed) => None,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::info!(missed, "a subscriber fell behind its subscription");
                        if let Some(slow) = slow {
                            slow.0.notify_one();
                        }
                        // Its connection closes; until then it gets nothing more (no `complete`,
                        // which would say the stream ended).
                        std::future::pending().await
                    }
                }
            },
        )
        .boxed()
    }

    fn join(
        &self,
        key: GroupKey,
        request: Request,
        session: Arc<Data>,
    ) -> (Arc<Group>, broadcast::Receiver<Arc<Response>>) {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(group) = groups.get(&key).and_then(Weak::upgrade)
            && let Some(sender) = group.sender.upgrade()
        {
            return (group, sender.subscribe());
        }
        // Keys of groups that ended are dropped now and then, not one by one.
        if groups.len() >= 1024 {
            groups.retain(|_, group| group.strong_count() > 0);
        }
        let (sender, receiver) = broadcast::channel(self.queue);
        let live = Arc::new(AtomicBool::new(false));
        let group = Arc::new_cyclic(|me: &Weak<Group>| {
            let (me, weak_sender) = (me.clone(), sender.downgrade());
            let (all, key, counted) = (
                Arc::downgrade(&self.groups),
                key.clone(),
                self.metrics.subscription_execution_started(),
            );
            let mut responses = self
                .schema
                .execute_stream_with_session_data(request.data(FromNow(live.clone())), session);
            let execution = tokio::spawn(async move {
                let _counted = counted;
                let mut first = true;
                while let Some(response) = responses.next().await {
                    if first && !live.load(Ordering::Relaxed) {
                        forget(&all, &key, &me);
                    }
                    first = false;
                    if sender.send(Arc::new(response)).is_err() {
                        break;
                    }
                }
                forget(&all, &key, &me);
            });
            Group {
                sender: weak_sender,
                execution: execution.abort_handle(),
            }
        });
        groups.insert(key, Arc::downgrade(&group));
        (group, receiver)
    }
}

/// Takes a group out of the joinable ones (if it is still the one under its key).
fn forget(groups: &Weak<Groups>, key: &GroupKey, group: &Weak<Group>) {
    if let Some(groups) = groups.upgrade() {
        let mut groups = groups.lock().unwrap_or_else(|e| e.into_inner());
        if groups.get(key).is_some_and(|current| current.ptr_eq(group)) {
            groups.remove(key);
        }
    }
}

/// A subscriber's own copy of a shared response (the protocol engine takes responses by value).
fn copy(response: &Response) -> Response {
    let mut copy = Response::new(response.data.clone());
    copy.extensions = response.extensions.clone();
    copy.errors = response.errors.clone();
    copy.cache_control = response.cache_control;
    copy.http_headers = response.http_headers.clone();
    copy
}

fn session_data<T: 'static>(session: &Data) -> Option<&T> {
    session.get(&TypeId::of::<T>())?.downcast_ref::<T>()
}

/// The type of the operation the request runs.
fn operation_type(request: &mut Request) -> Option<OperationType> {
    let wanted = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    chosen_operation(document, wanted.as_deref()).map(|(_, operation)| operation.node.ty)
}

impl Executor for FanOut {
    async fn execute(&self, request: Request) -> Response {
        self.schema.execute(request).await
    }

    fn execute_stream(&self, mut request: Request, session: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let session = session.unwrap_or_default();
        let caller: Option<RequestContext> = match session_data::<Authentication>(&session) {
            Some(Authentication::Authenticated(ctx)) => Some(ctx.clone()),
            _ => None,
        };
        let Some(caller) = caller else {
            return self.schema.execute_stream_with_session_data(request, session);
        };
        match operation_type(&mut request) {
            Some(OperationType::Subscription) => {
                let key = GroupKey {
                    query: request.query.clone(),
                    operation: request.operation_name.clone(),
                    variables: serde_json::to_string(&request.variables).unwrap_or_default(),
                    client_account_id: caller.client_account_id,
                    engagement_id: caller.engagement_id,
                    role: caller.role,
                };
                self.subscribe(key, request, session)
            }
            // A query or mutation over the socket: one response, with its loaders and its turn
            // as over HTTP.
            Some(kind) => {
                let queue = LoadQueue::default();
                let request = request.data(loaders(self.orchestrator.clone(), caller, &queue));
                let schema = self.schema.clone();
                let queries = self.queries.clone();
                futures_util::stream::once(async move {
                    let _turn = queries.admit(&[Some(kind)]).await;
                    let mut responses = schema.execute_stream_with_session_data(request, session);
                    drive(&queue, responses.next()).await.unwrap_or_default()
                })
                .boxed()
            }
            // Unparsable: the schema reports why.
            None => self.schema.execute_stream_with_session_data(request, session),
        }
    }
}
