//! A registry agent with its task aggregates, and a field mapping an agent proposed.

use async_graphql::Object;

use super::{Agent, FieldMapping};
use crate::agents::AgentSpec;
use crate::graphql::enums::PhaseName;
use crate::store::AgentStatRecord;

impl Agent {
    /// The agent with its aggregates summed over `stats` (rows of every agent; only its own count).
    pub fn with_stats(spec: AgentSpec, stats: &[AgentStatRecord]) -> Self {
        let mine: Vec<&AgentStatRecord> = stats.iter().filter(|s| s.agent == spec.name).collect();
        let tasks: i64 = mine.iter().map(|s| s.tasks).sum();
        let successes = mine.iter().map(|s| s.successes).sum();
        let total_ms: f64 = mine.iter().map(|s| s.avg_ms * s.tasks as f64).sum();
        let avg_ms = if tasks > 0 { total_ms / tasks as f64 } else { 0.0 };
        Agent {
            spec,
            tasks,
            successes,
            avg_ms,
        }
    }
}

#[Object]
impl Agent {
    async fn name(&self) -> &str {
        self.spec.name
    }
    async fn role(&self) -> &str {
        self.spec.role
    }
    /// The phase the agent serves; for the flow supervisor, the first of `phases`.
    async fn phase(&self) -> PhaseName {
        self.spec.phase().into()
    }
    /// Every phase the agent serves (all of them for the flow supervisor).
    async fn phases(&self) -> Vec<PhaseName> {
        self.spec.phases.iter().map(|p| (*p).into()).collect()
    }
    /// Invocations that finished, successfully or not.
    async fn tasks_completed(&self) -> i64 {
        self.tasks
    }
    /// Share of successful invocations, 0–1 (1 before any task).
    async fn success_rate(&self) -> f64 {
        if self.tasks == 0 {
            1.0
        } else {
            self.successes as f64 / self.tasks as f64
        }
    }
    async fn avg_response_ms(&self) -> f64 {
        self.avg_ms
    }
}

#[Object]
impl FieldMapping {
    async fn source_field(&self) -> &str {
        &self.0.source_field
    }
    /// The canonical attribute; null when the field is kept as an extra attribute.
    async fn target_attribute(&self) -> Option<&str> {
        self.0.target_attribute.as_deref()
    }
    async fn confidence(&self) -> f64 {
        self.0.confidence
    }
    /// suggested, approved or rejected.
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// field_mapping, pattern_recognition, or user (an override at the approval gate).
    async fn agent(&self) -> &str {
        &self.0.agent
    }
    async fn reasoning(&self) -> &str {
        &self.0.reasoning
    }
}
