//! What a phase run comes to: a success with its summary and rows, or a failure with a message
//! for the client and a cause for the log; and the agent tasks it ran either way.

use serde_json::Value;
use uuid::Uuid;

use crate::store::{AgentTaskRecord, PhaseOutput};

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

/// `done` of `total` as a percentage for progress events (never 100 before the phase ends).
pub(crate) fn share(done: usize, total: usize) -> i32 {
    (done.saturating_mul(100) / total.max(1)).min(99) as i32
}

/// An id for rows a phase creates.
pub(crate) fn new_id() -> Uuid {
    Uuid::now_v7()
}
