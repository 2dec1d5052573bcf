//! An agent's health from its recent tasks (failure rate, p95 latency against its budget) and its
//! self-test result, by the rules in the [module documentation](super).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::probes::ProbeResults;
use crate::agents::{AgentSpec, REGISTRY};
use crate::domain::PhaseName;

// ------------------------------------------------------------------------------------------------
// Latency budgets

/// Budget of an agent that makes one pass over a phase's whole batch (every imported row, every
/// asset): sized for a large import (tens of thousands of rows) on modest hardware.
pub const BATCH_BUDGET_MS: f64 = 2_000.0;
/// Budget of `field_mapping`, which sees only the column names.
pub const COLUMNS_BUDGET_MS: f64 = 500.0;
/// Budget of `pattern_recognition`, which sees a sample of the records, not all of them.
pub const SAMPLE_BUDGET_MS: f64 = 1_000.0;
/// Budget of `flow_supervisor`, which checks a handful of figures per phase.
pub const SUPERVISOR_BUDGET_MS: f64 = 500.0;

/// How long one invocation of `agent` may take, in ms. An invocation handles a whole phase's batch,
/// not one record, so these are budgets for a batch. Names outside the registry get the batch budget.
pub fn budget_ms(agent: &str) -> f64 {
    match agent {
        "field_mapping" => COLUMNS_BUDGET_MS,
        "pattern_recognition" => SAMPLE_BUDGET_MS,
        "flow_supervisor" => SUPERVISOR_BUDGET_MS,
        _ => BATCH_BUDGET_MS,
    }
}

// ------------------------------------------------------------------------------------------------
// Health assessment

/// Failures at or above this share of the window's tasks make an agent unhealthy (percent; integer
/// arithmetic so that 3 of 30 is exactly 10%).
pub const UNHEALTHY_FAILURE_PERCENT: i64 = 50;
/// ...but only over at least this many tasks: one failed task alone is not a trend.
pub const UNHEALTHY_MIN_TASKS: i64 = 2;
/// Failures at or above this share of the window's tasks make an agent degraded (percent).
pub const DEGRADED_FAILURE_PERCENT: i64 = 10;
/// A p95 latency over this many budgets makes an agent unhealthy (over one budget: degraded).
pub const UNHEALTHY_LATENCY_FACTOR: f64 = 5.0;

/// One finished agent invocation, as the caller loads it from `agent_tasks`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSample {
    pub agent: String,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: f64,
    /// `outcome = 'success'`.
    pub success: bool,
}

/// Ordered from best to worst, so the worst of several verdicts is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Health {
    Healthy,
    Degraded,
    Unhealthy,
}

/// Whether the agent is working on a phase right now (the caller knows which phases run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AgentStatus {
    Idle,
    Running,
}

/// One agent's health over the window of samples given to [`assess`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentHealthReport {
    pub name: &'static str,
    /// The phase it serves (the first, for the supervisor).
    pub phase: PhaseName,
    pub status: AgentStatus,
    pub health: Health,
    /// When its latest task in the window finished.
    pub last_active_at: Option<DateTime<Utc>>,
    /// Tasks in the window that finished, successfully or not.
    pub tasks_completed: i64,
    pub failures: i64,
    /// Share of successful tasks, 0–1 (1 with no tasks: nothing has gone wrong).
    pub success_rate: f64,
    /// Mean duration in ms (0 with no tasks).
    pub avg_response_ms: f64,
    /// 95th percentile duration in ms by nearest rank (0 with no tasks).
    pub p95_response_ms: f64,
    pub probe_ok: bool,
    /// Why it is not healthy, one line per rule that fired; empty when healthy.
    pub reasons: Vec<String>,
}

/// One report per registry agent, in registry order. `samples` is the window (samples of agents
/// outside the registry are ignored); `running` holds the names of the agents working right now.
pub fn assess(samples: &[TaskSample], probes: &ProbeResults, running: &HashSet<String>) -> Vec<AgentHealthReport> {
    let mut by_agent: HashMap<&str, Vec<&TaskSample>> = HashMap::new();
    for sample in samples {
        by_agent.entry(sample.agent.as_str()).or_default().push(sample);
    }
    REGISTRY
        .iter()
        .map(|spec| {
            let window = by_agent.get(spec.name).map(Vec::as_slice).unwrap_or(&[]);
            report(spec, window, probes, running.contains(spec.name))
        })
        .collect()
}

fn report(spec: &AgentSpec, window: &[&TaskSample], probes: &ProbeResults, running: bool) -> AgentHealthReport {
    let tasks = window.len() as i64;
    let failures = window.iter().filter(|s| !s.success).count() as i64;
    let success_rate = if tasks == 0 {
        1.0
    } else {
        (tasks - failures) as f64 / tasks as f64
    };
    // A corrupt (NaN or infinite) duration says nothing about latency; the task still counts.
    let mut durations: Vec<f64> = window.iter().map(|s| s.duration_ms).filter(|d| d.is_finite()).collect();
    durations.sort_by(f64::total_cmp);
    let avg_response_ms = if durations.is_empty() {
        0.0
    } else {
        durations.iter().sum::<f64>() / durations.len() as f64
    };
    let p95_response_ms = nearest_rank(&durations, 95);

    let mut health = Health::Healthy;
    let mut reasons = Vec::new();
    let mut flag = |verdict: Health, reason: String| {
        health = health.max(verdict);
        reasons.push(reason);
    };

    let probe_ok = probes.ok(spec.name);
    match probes.results.get(spec.name) {
        Some(Ok(_)) => {}
        Some(Err(error)) => flag(Health::Unhealthy, format!("self-test failed: {error}")),
        None => flag(Health::Unhealthy, "no self-test result".to_string()),
    }

    if failures > 0 {
        let percent = 100.0 * failures as f64 / tasks as f64;
        let failed = format!("{failures} of {tasks} tasks in the window failed ({percent:.0}%)");
        if tasks >= UNHEALTHY_MIN_TASKS && failures * 100 >= tasks * UNHEALTHY_FAILURE_PERCENT {
            flag(
                Health::Unhealthy,
                format!("{failed}: unhealthy at {UNHEALTHY_FAILURE_PERCENT}% or more"),
            );
        } else if failures * 100 >= tasks * DEGRADED_FAILURE_PERCENT {
            flag(
                Health::Degraded,
                format!("{failed}: degraded at {DEGRADED_FAILURE_PERCENT}% or more"),
            );
        }
    }

    let budget = budget_ms(spec.name);
    if p95_response_ms > UNHEALTHY_LATENCY_FACTOR * budget {
        flag(
            Health::Unhealthy,
            format!(
                "p95 latency {p95_response_ms:.0} ms is over {UNHEALTHY_LATENCY_FACTOR}× its {budget:.0} ms budget"
            ),
        );
    } else if p95_response_ms > budget {
        flag(
            Health::Degraded,
            format!("p95 latency {p95_response_ms:.0} ms is over its {budget:.0} ms budget"),
        );
    }

    AgentHealthReport {
        name: spec.name,
        phase: spec.phase(),
        status: if running {
            AgentStatus::Running
        } else {
            AgentStatus::Idle
        },
        health,
        last_active_at: window.iter().map(|s| s.finished_at).max(),
        tasks_completed: tasks,
        failures,
        success_rate,
        avg_response_ms,
        p95_response_ms,
        probe_ok,
        reasons,
    }
}

/// The `percentile`th value of `sorted` (ascending) by nearest rank: the smallest value with at
/// least that share of the values at or below it. Always an observed value; 0 when empty.
fn nearest_rank(sorted: &[f64], percentile: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (percentile * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::probes::probe_for;
    use super::*;

    fn passing() -> ProbeResults {
        let mut probes = ProbeResults::default();
        for spec in REGISTRY {
            probes.record(spec.name, Ok(0.1));
        }
        probes
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap()
    }

    fn sample(agent: &str, minute: u32, duration_ms: f64, success: bool) -> TaskSample {
        TaskSample {
            agent: agent.to_string(),
            finished_at: at(minute),
            duration_ms,
            success,
        }
    }

    /// `n` fast tasks of `agent`, the first `failures` of them failed.
    fn tasks(agent: &str, n: u32, failures: u32) -> Vec<TaskSample> {
        (0..n).map(|i| sample(agent, i % 60, 10.0, i >= failures)).collect()
    }

    fn one(agent: &str, samples: &[TaskSample], probes: &ProbeResults) -> AgentHealthReport {
        assess(samples, probes, &HashSet::new())
            .into_iter()
            .find(|r| r.name == agent)
            .unwrap()
    }

    #[test]
    fn every_registry_agent_gets_exactly_one_report_in_registry_order() {
        let mut samples = tasks("field_mapping", 3, 0);
        samples.extend(tasks("not_an_agent", 5, 5));
        let reports = assess(&samples, &passing(), &HashSet::new());
        let names: Vec<&str> = reports.iter().map(|r| r.name).collect();
        let registry: Vec<&str> = REGISTRY.iter().map(|s| s.name).collect();
        assert_eq!(names, registry);
        assert_eq!(reports.len(), 17);
        for (report, spec) in reports.iter().zip(REGISTRY) {
            assert_eq!(report.phase, spec.phase());
        }
        assert_eq!(reports.iter().map(|r| r.tasks_completed).sum::<i64>(), 3);
    }

    #[test]
    fn no_tasks_is_healthy_when_the_probe_passed() {
        let r = one("deduplication", &[], &passing());
        assert_eq!(r.health, Health::Healthy);
        assert_eq!((r.tasks_completed, r.failures), (0, 0));
        assert_eq!(r.success_rate, 1.0);
        assert_eq!((r.avg_response_ms, r.p95_response_ms), (0.0, 0.0));
        assert_eq!(r.last_active_at, None);
        assert!(r.probe_ok && r.reasons.is_empty());
        assert_eq!(r.status, AgentStatus::Idle);
    }

    #[test]
    fn a_failed_or_missing_probe_is_unhealthy() {
        let mut probes = passing();
        probes.record("lifecycle_analysis", Err("panicked: boom".into()));
        let r = one("lifecycle_analysis", &tasks("lifecycle_analysis", 20, 0), &probes);
        assert_eq!(r.health, Health::Unhealthy);
        assert!(!r.probe_ok);
        assert_eq!(r.reasons, ["self-test failed: panicked: boom"]);
        assert_eq!(probes.error("lifecycle_analysis"), Some("panicked: boom"));
        assert!(!probes.all_passed());

        let r = one("security_risk", &[], &ProbeResults::default());
        assert_eq!(r.health, Health::Unhealthy);
        assert!(!r.probe_ok);
        assert_eq!(r.reasons, ["no self-test result"]);
    }

    #[test]
    fn failure_rates() {
        let health = |n, failures| one("asset_inventory", &tasks("asset_inventory", n, failures), &passing());
        // At or above half, over two or more tasks: unhealthy.
        assert_eq!(health(2, 1).health, Health::Unhealthy);
        assert_eq!(health(10, 7).health, Health::Unhealthy);
        // One task that failed is not yet a trend.
        assert_eq!(health(1, 1).health, Health::Degraded);
        // 10% up to (not including) 50%: degraded, exactly at 10% included.
        assert_eq!(health(10, 1).health, Health::Degraded);
        assert_eq!(health(30, 3).health, Health::Degraded);
        assert_eq!(health(10, 4).health, Health::Degraded);
        // Under 10%: healthy (the failures still show in the figures).
        let r = health(11, 1);
        assert_eq!(r.health, Health::Healthy);
        assert!(r.reasons.is_empty());
        assert_eq!((r.tasks_completed, r.failures), (11, 1));
        assert!((r.success_rate - 10.0 / 11.0).abs() < 1e-12);

        let r = health(4, 2);
        assert_eq!(r.success_rate, 0.5);
        assert!(
            r.reasons[0].starts_with("2 of 4 tasks in the window failed (50%)"),
            "{:?}",
            r.reasons
        );
    }

    #[test]
    fn latency_against_the_budget() {
        assert_eq!(budget_ms("deduplication"), BATCH_BUDGET_MS);
        assert_eq!(budget_ms("flow_supervisor"), SUPERVISOR_BUDGET_MS);
        let latency = |agent: &str, ms: f64| {
            let samples: Vec<TaskSample> = (0..20).map(|i| sample(agent, i, ms, true)).collect();
            one(agent, &samples, &passing())
        };
        assert_eq!(latency("deduplication", 2_000.0).health, Health::Healthy);
        let r = latency("deduplication", 2_500.0);
        assert_eq!(r.health, Health::Degraded);
        assert_eq!(r.reasons, ["p95 latency 2500 ms is over its 2000 ms budget"]);
        assert_eq!(latency("deduplication", 10_000.0).health, Health::Degraded);
        assert_eq!(latency("deduplication", 10_001.0).health, Health::Unhealthy);
        // The supervisor's budget is tighter.
        assert_eq!(latency("flow_supervisor", 600.0).health, Health::Degraded);
        assert_eq!(latency("flow_supervisor", 2_600.0).health, Health::Unhealthy);

        // p95, not the worst: one slow task in twenty does not degrade.
        let mut samples: Vec<TaskSample> = (0..19).map(|i| sample("network_topology", i, 100.0, true)).collect();
        samples.push(sample("network_topology", 19, 60_000.0, true));
        let r = one("network_topology", &samples, &passing());
        assert_eq!(r.health, Health::Healthy);
        assert_eq!(r.p95_response_ms, 100.0);
        assert_eq!(r.avg_response_ms, (19.0 * 100.0 + 60_000.0) / 20.0);

        // The worst verdict wins: failing and slow.
        let mut samples = tasks("data_quality", 10, 2);
        samples.extend((0..10).map(|i| sample("data_quality", i, 20_000.0, true)));
        let r = one("data_quality", &samples, &passing());
        assert_eq!(r.health, Health::Unhealthy);
        assert_eq!(r.reasons.len(), 2);
    }

    #[test]
    fn p95_by_nearest_rank() {
        let values = |n: usize| (1..=n).map(|v| v as f64).collect::<Vec<f64>>();
        assert_eq!(nearest_rank(&[], 95), 0.0);
        assert_eq!(nearest_rank(&[7.0], 95), 7.0);
        assert_eq!(nearest_rank(&values(2), 95), 2.0);
        assert_eq!(nearest_rank(&values(19), 95), 19.0);
        assert_eq!(nearest_rank(&values(20), 95), 19.0);
        assert_eq!(nearest_rank(&values(21), 95), 20.0);
        assert_eq!(nearest_rank(&values(100), 95), 95.0);
        assert_eq!(nearest_rank(&values(101), 95), 96.0);

        // Through assess, from unsorted samples; a NaN duration is left out of the latency figures.
        let mut samples: Vec<TaskSample> = (1..=20)
            .rev()
            .map(|v| sample("format_detection", v, v as f64, true))
            .collect();
        samples.push(sample("format_detection", 30, f64::NAN, true));
        let r = one("format_detection", &samples, &passing());
        assert_eq!(r.p95_response_ms, 19.0);
        assert_eq!(r.avg_response_ms, 10.5);
        assert_eq!(r.tasks_completed, 21);
        assert_eq!(r.last_active_at, Some(at(30)));
    }

    #[test]
    fn running_status() {
        let running: HashSet<String> = ["field_mapping".to_string(), "flow_supervisor".to_string()].into();
        let reports = assess(&[], &passing(), &running);
        for r in &reports {
            let expected = if running.contains(r.name) {
                AgentStatus::Running
            } else {
                AgentStatus::Idle
            };
            assert_eq!(r.status, expected, "{}", r.name);
        }
        assert_eq!(reports.iter().filter(|r| r.status == AgentStatus::Running).count(), 2);
    }

    #[test]
    fn budgets_cover_every_agent() {
        for spec in REGISTRY {
            let budget = budget_ms(spec.name);
            assert!(budget > 0.0 && budget <= BATCH_BUDGET_MS, "{}", spec.name);
            assert!(probe_for(spec.name).is_some(), "{} has no probe", spec.name);
        }
        assert_eq!(budget_ms("field_mapping"), COLUMNS_BUDGET_MS);
        assert_eq!(budget_ms("unknown"), BATCH_BUDGET_MS);
    }

    #[test]
    fn reports_serialise() {
        let reports = assess(&tasks("deduplication", 2, 0), &passing(), &HashSet::new());
        let json = serde_json::to_value(&reports[6]).unwrap();
        assert_eq!(json["name"], "deduplication");
        assert_eq!(json["phase"], "data_cleansing");
        assert_eq!(json["health"], "Healthy");
        assert_eq!(json["status"], "Idle");
        assert_eq!(json["tasks_completed"], 2);
    }
}
