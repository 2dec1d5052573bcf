//! Batching for every nested list and reference (async-graphql's DataLoader), built per request
//! with the caller's context, so nothing is cached across users or tenants.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Error};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use uuid::Uuid;

use super::context::caller;
use crate::auth::RequestContext;
use crate::error::AppResult;
use crate::orchestrator::MasterFlowOrchestrator;
use crate::store::{
    AgentStatRecord, AssetFilter, AssetRecord, AuditRecord, DependencyRecord, Direction, FieldMappingRecord,
    FlowRecord, FlowResultRecord, PhaseRunRecord, TechDebtRecord,
};

pub struct Batcher {
    orchestrator: Arc<MasterFlowOrchestrator>,
    ctx: RequestContext,
}

/// Shared by the batch's requests (a batch is one HTTP request of one caller).
pub type Loaders = Arc<DataLoader<Batcher>>;

/// One statement can take this many keys (ids travel as one array parameter on both databases).
const MAX_BATCH: usize = 10_000;

/// The request's loaders; their loads wait in `queue` until [`drive`] starts them.
pub fn loaders(orchestrator: Arc<MasterFlowOrchestrator>, ctx: RequestContext, queue: &LoadQueue) -> Loaders {
    let queue = queue.clone();
    Arc::new(
        DataLoader::new(Batcher { orchestrator, ctx }, move |load| queue.push(load))
            .delay(std::time::Duration::ZERO)
            .max_batch_size(MAX_BATCH),
    )
}

/// The loads a request's DataLoaders queued and [`drive`] has not started yet.
#[derive(Clone, Default)]
pub struct LoadQueue(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl LoadQueue {
    fn push(&self, load: BoxFuture<'static, ()>) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(load);
    }

    fn take(&self) -> Vec<BoxFuture<'static, ()>> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Notes whether the execution asked to be polled again (it yielded, or something it waits on
/// is ready) before passing the wake on.
struct Woken {
    woken: AtomicBool,
    task: Waker,
}

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.task.wake_by_ref();
    }
}

/// Runs one request's execution together with the loads its DataLoaders queue, in the request's
/// own task. A queued load starts only when the execution can go no further without data, so
/// every key one level of the query asks for, across all of its lists, lands in one load however
/// busy the machine is. (With a timer window, a busy runtime polls the execution late, the timer
/// fires first, and batches split: statements per request grew with the number of clients.)
pub async fn drive<T>(queue: &LoadQueue, execution: impl Future<Output = T>) -> T {
    let mut execution = std::pin::pin!(execution);
    let mut loads = FuturesUnordered::new();
    std::future::poll_fn(|cx| {
        let woken = Arc::new(Woken {
            woken: AtomicBool::new(false),
            task: cx.waker().clone(),
        });
        let waker = Waker::from(woken.clone());
        if let Poll::Ready(output) = execution.as_mut().poll(&mut TaskContext::from_waker(&waker)) {
            return Poll::Ready(output);
        }
        if !woken.woken.load(Ordering::SeqCst) {
            loads.extend(queue.take());
        }
        while let Poll::Ready(Some(())) = loads.poll_next_unpin(cx) {}
        Poll::Pending
    })
    .await
}

/// The request's loaders; only an authenticated request has them.
pub(crate) fn loader<'a>(ctx: &Context<'a>) -> AppResult<&'a Loaders> {
    let _ = caller(ctx)?;
    Ok(ctx.data_unchecked::<Loaders>())
}

macro_rules! key {
    ($($(#[$doc:meta])* $name:ident),+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub Uuid);
    )+};
}

key!(
    /// A flow by id.
    FlowKey,
    /// A flow's phase runs.
    PhaseRunsKey,
    /// A flow's audit events.
    AuditKey,
    /// A flow's child flows.
    ChildrenKey,
    /// A flow's field mappings.
    MappingsKey,
    /// A flow's per-agent task aggregates.
    AgentStatsKey,
    /// An asset by id.
    AssetKey,
    /// What an asset depends on.
    DependenciesKey,
    /// What depends on an asset.
    DependentsKey,
    /// An asset's tech-debt findings.
    TechDebtKey
);

/// A flow's results of one kind (application, wave, gap, question).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResultsKey(pub Uuid, pub &'static str);

impl Loader<ResultsKey> for Batcher {
    type Value = Vec<FlowResultRecord>;
    type Error = Error;
    async fn load(&self, keys: &[ResultsKey]) -> Result<HashMap<ResultsKey, Self::Value>, Error> {
        let mut results = HashMap::new();
        for (kind, keys) in group(keys.to_vec(), |k| k.1) {
            let flows: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
            let mut rows = group(self.orchestrator.flow_results(&self.ctx, &flows, kind).await?, |r| {
                r.flow_id
            });
            for key in keys {
                results.insert(key, rows.remove(&key.0).unwrap_or_default());
            }
        }
        Ok(results)
    }
}

/// One page of one flow's assets; pages asked with the same arguments load together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssetPageKey {
    pub flow: Uuid,
    pub filter: AssetFilter,
    pub after: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct AssetPage {
    pub assets: Vec<Arc<AssetRecord>>,
    pub has_next_page: bool,
    pub total_count: i64,
}

fn group<K: std::hash::Hash + Eq, V>(items: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, Vec<V>> {
    let mut groups: HashMap<K, Vec<V>> = HashMap::new();
    for item in items {
        groups.entry(key(&item)).or_default().push(item);
    }
    groups
}

fn ids<K: Copy>(keys: &[K], id: impl Fn(K) -> Uuid) -> Vec<Uuid> {
    keys.iter().map(|k| id(*k)).collect()
}

/// Lists keyed by one id: every asked key gets an entry (empty when nothing matched).
fn lists<K: Copy + std::hash::Hash + Eq + Into<Uuid>, V>(
    keys: &[K],
    mut groups: HashMap<Uuid, Vec<V>>,
) -> HashMap<K, Vec<V>> {
    keys.iter()
        .map(|k| (*k, groups.remove(&(*k).into()).unwrap_or_default()))
        .collect()
}

macro_rules! into_uuid {
    ($($name:ident),+) => {$(
        impl From<$name> for Uuid {
            fn from(key: $name) -> Uuid {
                key.0
            }
        }
    )+};
}

into_uuid!(
    PhaseRunsKey,
    AuditKey,
    ChildrenKey,
    MappingsKey,
    AgentStatsKey,
    DependenciesKey,
    DependentsKey,
    TechDebtKey
);

impl Loader<FlowKey> for Batcher {
    type Value = Arc<FlowRecord>;
    type Error = Error;
    async fn load(&self, keys: &[FlowKey]) -> Result<HashMap<FlowKey, Self::Value>, Error> {
        let flows = self.orchestrator.get_flows(&self.ctx, &ids(keys, |k| k.0)).await?;
        Ok(flows.into_iter().map(|f| (FlowKey(f.id), Arc::new(f))).collect())
    }
}

impl Loader<PhaseRunsKey> for Batcher {
    type Value = Vec<PhaseRunRecord>;
    type Error = Error;
    async fn load(&self, keys: &[PhaseRunsKey]) -> Result<HashMap<PhaseRunsKey, Self::Value>, Error> {
        let runs = self.orchestrator.phase_runs(&self.ctx, &ids(keys, |k| k.0)).await?;
        Ok(lists(keys, group(runs, |r| r.flow_id)))
    }
}

impl Loader<AuditKey> for Batcher {
    type Value = Vec<AuditRecord>;
    type Error = Error;
    async fn load(&self, keys: &[AuditKey]) -> Result<HashMap<AuditKey, Self::Value>, Error> {
        let events = self.orchestrator.audit_trail(&self.ctx, &ids(keys, |k| k.0)).await?;
        Ok(lists(keys, group(events, |e| e.flow_id)))
    }
}

impl Loader<ChildrenKey> for Batcher {
    type Value = Vec<FlowRecord>;
    type Error = Error;
    async fn load(&self, keys: &[ChildrenKey]) -> Result<HashMap<ChildrenKey, Self::Value>, Error> {
        let children = self.orchestrator.child_flows(&self.ctx, &ids(keys, |k| k.0)).await?;
        Ok(lists(keys, group(children, |f| f.master_flow_id.unwrap_or_default())))
    }
}

impl Loader<MappingsKey> for Batcher {
    type Value = Vec<FieldMappingRecord>;
    type Error = Error;
    async fn load(&self, keys: &[MappingsKey]) -> Result<HashMap<MappingsKey, Self::Value>, Error> {
        let mappings = self.orchestrator.field_mappings(&self.ctx, &ids(keys, |k| k.0)).await?;
        Ok(lists(keys, group(mappings, |m| m.flow_id)))
    }
}

impl Loader<AgentStatsKey> for Batcher {
    type Value = Vec<AgentStatRecord>;
    type Error = Error;
    async fn load(&self, keys: &[AgentStatsKey]) -> Result<HashMap<AgentStatsKey, Self::Value>, Error> {
        let stats = self
            .orchestrator
            .agent_stats(&self.ctx, Some(&ids(keys, |k| k.0)))
            .await?;
        Ok(lists(keys, group(stats, |s| s.flow_id.unwrap_or_default())))
    }
}

impl Loader<AssetKey> for Batcher {
    type Value = Arc<AssetRecord>;
    type Error = Error;
    async fn load(&self, keys: &[AssetKey]) -> Result<HashMap<AssetKey, Self::Value>, Error> {
        let assets = self.orchestrator.assets(&self.ctx, &ids(keys, |k| k.0)).await?;
        Ok(assets.into_iter().map(|a| (AssetKey(a.id), Arc::new(a))).collect())
    }
}

impl Loader<DependenciesKey> for Batcher {
    type Value = Vec<DependencyRecord>;
    type Error = Error;
    async fn load(&self, keys: &[DependenciesKey]) -> Result<HashMap<DependenciesKey, Self::Value>, Error> {
        let edges = self
            .orchestrator
            .dependencies(&self.ctx, &ids(keys, |k| k.0), Direction::Outgoing)
            .await?;
        Ok(lists(keys, group(edges, |e| e.source_asset_id)))
    }
}

impl Loader<DependentsKey> for Batcher {
    type Value = Vec<DependencyRecord>;
    type Error = Error;
    async fn load(&self, keys: &[DependentsKey]) -> Result<HashMap<DependentsKey, Self::Value>, Error> {
        let edges = self
            .orchestrator
            .dependencies(&self.ctx, &ids(keys, |k| k.0), Direction::Incoming)
            .await?;
        Ok(lists(keys, group(edges, |e| e.target_asset_id)))
    }
}

impl Loader<TechDebtKey> for Batcher {
    type Value = Vec<TechDebtRecord>;
    type Error = Error;
    async fn load(&self, keys: &[TechDebtKey]) -> Result<HashMap<TechDebtKey, Self::Value>, Error> {
        let items = self.orchestrator.tech_debt(&self.ctx, &ids(keys, |k| k.0)).await?;
        Ok(lists(keys, group(items, |t| t.asset_id)))
    }
}

impl Loader<AssetPageKey> for Batcher {
    type Value = AssetPage;
    type Error = Error;
    async fn load(&self, keys: &[AssetPageKey]) -> Result<HashMap<AssetPageKey, AssetPage>, Error> {
        // One query per distinct (filter, after, limit), covering every flow asked with them.
        let mut results = HashMap::new();
        let groups = group(keys.to_vec(), |k| (k.filter.clone(), k.after.clone(), k.limit));
        for ((filter, after, limit), keys) in groups {
            let flows: Vec<Uuid> = keys.iter().map(|k| k.flow).collect();
            let pages = self
                .orchestrator
                .asset_pages(&self.ctx, &flows, &filter, after.as_deref(), limit)
                .await?;
            let totals: HashMap<Uuid, i64> = pages.totals.into_iter().collect();
            let mut by_flow = group(pages.assets.into_iter().map(Arc::new).collect(), |a| a.flow_id);
            for key in keys {
                let mut assets = by_flow.remove(&key.flow).unwrap_or_default();
                let has_next_page = assets.len() as i64 > limit;
                assets.truncate(limit.max(0) as usize);
                let total_count = totals.get(&key.flow).copied().unwrap_or(0);
                results.insert(
                    key,
                    AssetPage {
                        assets,
                        has_next_page,
                        total_count,
                    },
                );
            }
        }
        Ok(results)
    }
}
