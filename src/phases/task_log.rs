//! Invokes agents and records each invocation for `agent_tasks` (timing, outcome, confidence).

use std::time::{Duration, Instant};

use chrono::Utc;
use uuid::Uuid;

use tokio::sync::mpsc::UnboundedSender;

use crate::agents::REGISTRY;
use crate::agents::types::{Agent, AgentError, AgentOutput};
use crate::domain::{PhaseName, PhaseStatus};
use crate::phases::outcome::PhaseFailure;
use crate::store::{AgentTaskRecord, EventPayload};

pub struct TaskLog {
    flow_id: Uuid,
    client_account_id: Uuid,
    tasks: Vec<AgentTaskRecord>,
    /// Live events (agent started / finished, phase progress) for the phase's event log.
    events: UnboundedSender<EventPayload>,
    phase: PhaseName,
    attempt: i32,
    /// Agents this phase runs (for its progress figure).
    expected: usize,
    /// The progress the phase had reached before this log: reports never go below it.
    floor: i32,
    /// The progress its agents reach when all have run (less than 100 when the phase has work
    /// of its own after them).
    ceiling: i32,
}

impl TaskLog {
    /// A log that reports each agent's start and finish, and the phase's progress, as it goes.
    pub fn reporting(
        (flow_id, client_account_id): (Uuid, Uuid),
        phase: PhaseName,
        attempt: i32,
        events: UnboundedSender<EventPayload>,
    ) -> Self {
        let expected = REGISTRY.iter().filter(|a| a.phases.contains(&phase)).count().max(1);
        TaskLog {
            flow_id,
            client_account_id,
            tasks: Vec::new(),
            events,
            phase,
            attempt,
            expected,
            floor: 0,
            ceiling: 100,
        }
    }

    /// Progress reports of at least `floor` (what the phase had already reported) that reach
    /// `ceiling` when every agent has run.
    pub fn between(mut self, floor: i32, ceiling: i32) -> Self {
        (self.floor, self.ceiling) = (floor, ceiling);
        self
    }

    /// A log for one batch of a phase that streams: its agents report no live events of their
    /// own (the phase reports its progress per batch instead).
    pub fn quiet(flow: (Uuid, Uuid), phase: PhaseName, attempt: i32) -> Self {
        let (events, _) = tokio::sync::mpsc::unbounded_channel();
        TaskLog {
            expected: 1,
            ..Self::reporting(flow, phase, attempt, events)
        }
    }

    /// A progress report; the phase goes on if nobody stores it.
    fn emit(&self, event: EventPayload) {
        let _ = self.events.send(event);
    }

    /// Runs `agent` on `input`, recording the task; an agent error fails the phase.
    pub fn run<A: Agent>(&mut self, agent: &A, input: &A::Input) -> Result<AgentOutput<A::Output>, PhaseFailure> {
        self.run_streamed::<A, A::Output>(Duration::ZERO, || agent.run(input))
    }

    /// Records an agent that worked through the phase's batches as they streamed by: `earlier`
    /// is the time it spent on them, `finish` its last step (the report over everything).
    pub fn run_streamed<A: Agent, T>(
        &mut self,
        earlier: Duration,
        finish: impl FnOnce() -> Result<AgentOutput<T>, AgentError>,
    ) -> Result<AgentOutput<T>, PhaseFailure> {
        let phase = self.phase;
        let _span = tracing::info_span!(
            "agent_task",
            otel.name = %format_args!("agent {}", A::NAME),
            agent = A::NAME,
            flow_id = %self.flow_id,
            client_account_id = %self.client_account_id,
            phase = %phase,
        )
        .entered();
        self.emit(EventPayload::Agent {
            agent: A::NAME.into(),
            phase,
            running: true,
            success: None,
            duration_ms: None,
        });
        let started_at = Utc::now() - earlier;
        let clock = Instant::now();
        let result = finish();
        let duration_ms = (clock.elapsed() + earlier).as_secs_f64() * 1000.0;
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
        self.emit(EventPayload::Agent {
            agent: A::NAME.into(),
            phase,
            running: false,
            success: Some(result.is_ok()),
            duration_ms: Some(duration_ms),
        });
        let done = self.tasks.len() as i64 * i64::from(self.ceiling) / self.expected as i64;
        let progress = (done.min(99) as i32).max(self.floor);
        self.emit(EventPayload::Phase {
            phase,
            status: PhaseStatus::Running,
            progress,
            attempt: self.attempt,
            message: Some(format!("{} finished", A::NAME)),
        });
        result.map_err(|err| PhaseFailure::user(format!("agent {} failed: {err}", A::NAME)))
    }

    pub fn into_tasks(self) -> Vec<AgentTaskRecord> {
        self.tasks
    }
}
