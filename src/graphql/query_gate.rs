//! Admission for reads: at most `max_concurrent_queries` query operations execute at once; the
//! rest wait their turn, in arrival order. Under load this serves more reads, sooner: a nested read
//! holds megabytes of futures and values while it runs, and dozens at once on a few cores spend
//! their time on cache and page misses (see `config::default_concurrent_queries`).
//!
//! Only queries wait, over HTTP and over the websocket alike. A mutation may run a whole flow
//! (`executeFlow(wait: true)`), which must not hold back reads or be held back by them; a
//! subscription lives as long as its socket; a document that does not parse is refused at once.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::metrics::Metrics;

pub struct QueryGate {
    turns: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

impl QueryGate {
    pub fn new(max_concurrent_queries: usize, metrics: Arc<Metrics>) -> QueryGate {
        QueryGate {
            turns: Arc::new(Semaphore::new(max_concurrent_queries.max(1))),
            metrics,
        }
    }

    /// Waits for a turn when every operation of the request is a query; the turn ends when the
    /// returned permit is dropped. Any other request goes straight in (`None`).
    pub async fn admit(&self, operations: &[Option<OperationType>]) -> Option<OwnedSemaphorePermit> {
        let reads_only = !operations.is_empty() && operations.iter().all(|op| *op == Some(OperationType::Query));
        if !reads_only {
            return None;
        }
        if let Ok(turn) = self.turns.clone().try_acquire_owned() {
            return Some(turn);
        }
        let _waiting = self.metrics.query_waiting();
        // The semaphore is never closed, so acquiring only ends with a permit.
        self.turns.clone().acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    const QUERY: Option<OperationType> = Some(OperationType::Query);
    const MUTATION: Option<OperationType> = Some(OperationType::Mutation);

    fn waiting(metrics: &Metrics) -> String {
        metrics
            .render(0, None)
            .lines()
            .find(|l| l.starts_with("flowgraph_graphql_queries_waiting "))
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn queries_wait_their_turn_and_nothing_else_does() {
        let metrics = Arc::new(Metrics::new());
        let gate = QueryGate::new(1, metrics.clone());
        let first = gate.admit(&[QUERY]).await;
        assert!(first.is_some());

        // The one turn is taken: a second query waits, and is counted while it does.
        let mut second = Box::pin(gate.admit(&[QUERY, QUERY]));
        assert!((&mut second).now_or_never().is_none());
        assert_eq!(waiting(&metrics), "flowgraph_graphql_queries_waiting 1");

        // Mutations, mixed batches and unparsed documents go straight in.
        for operations in [&[MUTATION][..], &[QUERY, MUTATION], &[None], &[]] {
            assert!(
                gate.admit(operations).now_or_never().unwrap().is_none(),
                "{operations:?}"
            );
        }

        drop(first);
        let second = second.await;
        assert!(second.is_some());
        assert_eq!(waiting(&metrics), "flowgraph_graphql_queries_waiting 0");
        // A queued query's turn also ends with its permit.
        drop(second);
        assert!(gate.admit(&[QUERY]).now_or_never().unwrap().is_some());
    }
}
