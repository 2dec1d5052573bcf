//! A phase as clients see it: its latest run, or pending before the first.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::state_machine::latest_runs;
use crate::domain::{PhaseName, PhaseStatus};
use crate::store::{FlowRecord, PhaseRunRecord};

/// A phase as clients see it: its latest run, or `pending` before the first.
#[derive(Debug, Clone)]
pub struct PhaseView {
    pub name: PhaseName,
    pub status: PhaseStatus,
    pub progress: i32,
    pub attempt: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub result: Option<Value>,
    pub error: Option<String>,
}

impl PhaseView {
    fn pending(name: PhaseName) -> Self {
        PhaseView {
            name,
            status: PhaseStatus::Pending,
            progress: 0,
            attempt: 0,
            started_at: None,
            completed_at: None,
            result: None,
            error: None,
        }
    }
}

impl From<&PhaseRunRecord> for PhaseView {
    fn from(run: &PhaseRunRecord) -> Self {
        PhaseView {
            name: run.phase,
            status: run.status,
            progress: run.progress,
            attempt: run.attempt,
            started_at: run.started_at,
            completed_at: run.completed_at,
            result: run.result.as_ref().map(|r| r.0.clone()),
            error: run.error.clone(),
        }
    }
}

/// Every phase of the flow's type, in order: its latest run, or pending.
pub fn phase_views(flow: &FlowRecord, runs: &[PhaseRunRecord]) -> Vec<PhaseView> {
    let latest = latest_runs(runs);
    flow.flow_type
        .phases()
        .iter()
        .map(|phase| {
            latest
                .iter()
                .find(|r| r.flow_id == flow.id && r.phase == *phase)
                .map_or_else(|| PhaseView::pending(*phase), |r| PhaseView::from(*r))
        })
        .collect()
}
