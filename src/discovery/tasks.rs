//! Invokes agents and records each invocation for `agent_tasks` (timing, outcome, confidence).

use std::time::Instant;

use chrono::Utc;
use uuid::Uuid;

use super::PhaseFailure;
use crate::agents::types::{Agent, AgentOutput};
use crate::store::AgentTaskRecord;

pub struct TaskLog {
    flow_id: Uuid,
    tasks: Vec<AgentTaskRecord>,
}

impl TaskLog {
    pub fn new(flow_id: Uuid) -> Self {
        TaskLog {
            flow_id,
            tasks: Vec::new(),
        }
    }

    /// Runs `agent` on `input`, recording the task; an agent error fails the phase.
    pub fn run<A: Agent>(&mut self, agent: &A, input: &A::Input) -> Result<AgentOutput<A::Output>, PhaseFailure> {
        let started_at = Utc::now();
        let clock = Instant::now();
        let result = agent.run(input);
        let duration_ms = clock.elapsed().as_secs_f64() * 1000.0;
        let (outcome, confidence, reasoning, error) = match &result {
            Ok(out) => ("success", Some(out.confidence), Some(out.reasoning.clone()), None),
            Err(err) => ("failure", None, None, Some(err.to_string())),
        };
        self.tasks.push(AgentTaskRecord {
            id: Uuid::now_v7(),
            flow_id: self.flow_id,
            agent: A::NAME.to_string(),
            phase: A::PHASE,
            started_at,
            finished_at: Utc::now(),
            duration_ms,
            outcome: outcome.to_string(),
            confidence,
            reasoning,
            error,
        });
        result.map_err(|err| PhaseFailure::user(format!("agent {} failed: {err}", A::NAME)))
    }

    pub fn into_tasks(self) -> Vec<AgentTaskRecord> {
        self.tasks
    }
}
