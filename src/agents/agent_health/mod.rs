//! Agent health: how each registry agent is doing, judged from two kinds of evidence. (The
//! server's own liveness and readiness are `http::health`'s.)
//!
//! - Recent work ([`judge`]). The caller loads recent `agent_tasks` rows (the last 24 hours, say,
//!   or the last 200 per agent) as [`TaskSample`]s; [`assess`] judges the failure rate and p95
//!   latency over exactly that window. The window is the caller's choice so this stays pure.
//! - A self-test ([`probes`]). [`run_probes`] runs every agent once on a tiny built-in input and
//!   checks a known property of the answer, so an agent nobody has called lately is still vouched
//!   for, and a broken one shows up before a flow trips over it.
//!
//! Health rules, worst verdict wins (each verdict adds a line to `reasons`):
//! 1. the self-test failed, panicked or was not run → `Unhealthy`;
//! 2. failures ≥ 50% of the window's tasks, with at least 2 tasks → `Unhealthy`
//!    (one failed task alone is not enough to condemn an agent);
//! 3. failures ≥ 10% of the window's tasks → `Degraded`;
//! 4. p95 latency over 5× the agent's [`budget_ms`] → `Unhealthy`; over the budget → `Degraded`;
//! 5. otherwise `Healthy` — including an agent with no tasks in the window whose self-test passed.

pub mod judge;
pub mod probes;

pub use judge::{AgentHealthReport, AgentStatus, Health, TaskSample, assess, budget_ms};
pub use probes::{ProbeResults, run_probes};
