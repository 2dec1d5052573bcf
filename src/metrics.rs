//! Prometheus metrics for `GET /metrics`: a `prometheus-client` registry, served in the Prometheus
//! text format 0.0.4, which every Prometheus-compatible scraper reads and which keeps the names,
//! types and help texts the hand-written registry before it exposed.
//!
//! prometheus-client appends `_total` to counters and `_info` to info metrics, and a `.` to every
//! help text, so they are registered without them.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Metric, Registry};

/// Histogram bucket upper bounds in seconds, shared by every histogram: fine-grained below a second for request
/// latency, stretching to a minute for discovery phases and agent tasks.
pub const DEFAULT_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Distinct operation names tracked before further ones collapse into [`OVERFLOW_OPERATION`]. Operation names come
/// from clients, so without a cap a client could grow the registry (and every scrape) without bound.
pub const MAX_OPERATIONS: usize = 200;

/// Operation label values are truncated to this many characters, for the same reason as [`MAX_OPERATIONS`].
pub const MAX_OPERATION_LEN: usize = 64;

/// Operation label value that absorbs every operation name beyond [`MAX_OPERATIONS`].
pub const OVERFLOW_OPERATION: &str = "other";

/// Operation label value for requests without an operation name (an empty label value would read as "no label").
pub const ANONYMOUS_OPERATION: &str = "anonymous";

/// The `Content-Type` of what [`Metrics::render`] returns.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

type Labels<const N: usize> = [(&'static str, String); N];
type Histograms<const N: usize> = Family<Labels<N>, Histogram, fn() -> Histogram>;

fn histogram() -> Histogram {
    Histogram::new(DEFAULT_BUCKETS)
}

/// A NaN, infinite or negative duration is a caller bug; recording 0 keeps `_sum` usable forever after.
fn seconds(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 { value } else { 0.0 }
}

/// Registers `metric` (families appear in registration order) and returns the handle that updates it.
fn register<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

/// The process-wide metric registry; share it as `Arc<Metrics>`.
pub struct Metrics {
    registry: Registry,
    /// Operation names that have a series of their own (at most [`MAX_OPERATIONS`]).
    operations: Mutex<HashSet<String>>,
    requests: Family<Labels<2>, Counter>,
    request_duration: Histograms<1>,
    phase_duration: Histograms<2>,
    agent_tasks: Family<Labels<2>, Counter>,
    agent_task_duration: Histograms<1>,
    lease_reclaims: Counter,
    events_published: Counter,
    active_subscriptions: Gauge,
    subscription_executions: Gauge,
    slow_subscribers: Counter,
    queries_waiting: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        // The registry is built once at startup, so its construction time stands in for process start.
        let start_time = Gauge::<f64, AtomicU64>::default();
        start_time.set(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        );
        let r = &mut registry;
        r.register(
            "flowgraph_build",
            "Build information; the value is always 1",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        r.register(
            "flowgraph_process_start_time_seconds",
            "Start time of the process since the Unix epoch in seconds",
            start_time,
        );
        Self {
            requests: register(
                r,
                "flowgraph_graphql_requests",
                "GraphQL requests by operation name and outcome",
                Family::default(),
            ),
            request_duration: register(
                r,
                "flowgraph_graphql_request_duration_seconds",
                "GraphQL request duration in seconds by operation name",
                Family::new_with_constructor(histogram),
            ),
            phase_duration: register(
                r,
                "flowgraph_phase_duration_seconds",
                "Discovery phase duration in seconds by phase and outcome",
                Family::new_with_constructor(histogram),
            ),
            agent_tasks: register(
                r,
                "flowgraph_agent_tasks",
                "Agent tasks by agent and outcome",
                Family::default(),
            ),
            agent_task_duration: register(
                r,
                "flowgraph_agent_task_duration_seconds",
                "Agent task duration in seconds by agent",
                Family::new_with_constructor(histogram),
            ),
            lease_reclaims: register(
                r,
                "flowgraph_lease_reclaims",
                "Expired work leases reclaimed from unresponsive workers",
                Counter::default(),
            ),
            events_published: register(
                r,
                "flowgraph_events_published",
                "Events published to subscribers",
                Counter::default(),
            ),
            active_subscriptions: register(
                r,
                "flowgraph_active_subscriptions",
                "GraphQL subscriptions currently open",
                Gauge::default(),
            ),
            subscription_executions: register(
                r,
                "flowgraph_subscription_executions",
                "Subscription executions running, each shared by its identical subscribers",
                Gauge::default(),
            ),
            slow_subscribers: register(
                r,
                "flowgraph_slow_subscribers_closed",
                "Websocket connections closed because a subscription fell too far behind",
                Counter::default(),
            ),
            queries_waiting: register(
                r,
                "flowgraph_graphql_queries_waiting",
                "GraphQL query operations waiting for their turn to execute",
                Gauge::default(),
            ),
            operations: Mutex::default(),
            registry,
        }
    }

    /// Records one GraphQL request: `flowgraph_graphql_requests_total{operation, outcome}` and
    /// `flowgraph_graphql_request_duration_seconds{operation}`. The operation name is client-controlled, so it is
    /// sanitised (see [`MAX_OPERATION_LEN`]) and capped (see [`MAX_OPERATIONS`]).
    pub fn observe_request(&self, operation: &str, outcome: &str, duration: f64) {
        let operation = sanitize_operation(operation);
        let operation = {
            let mut seen = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
            if seen.contains(&*operation) {
                operation.into_owned()
            } else if seen.len() < MAX_OPERATIONS {
                seen.insert(operation.clone().into_owned());
                operation.into_owned()
            } else {
                OVERFLOW_OPERATION.to_owned()
            }
        };
        self.requests
            .get_or_create(&[("operation", operation.clone()), ("outcome", outcome.to_owned())])
            .inc();
        self.request_duration
            .get_or_create(&[("operation", operation)])
            .observe(seconds(duration));
    }

    /// Records one finished discovery phase: `flowgraph_phase_duration_seconds{phase, outcome}`, where outcome is
    /// `completed`, `failed` or `waiting_for_approval`. Phase names are server-defined, so they are not capped.
    pub fn observe_phase(&self, phase: &str, outcome: &str, duration: f64) {
        self.phase_duration
            .get_or_create(&[("phase", phase.to_owned()), ("outcome", outcome.to_owned())])
            .observe(seconds(duration));
    }

    /// Records one agent task: `flowgraph_agent_tasks_total{agent, outcome}` and
    /// `flowgraph_agent_task_duration_seconds{agent}`. Agent names are server-defined, so they are not capped.
    pub fn observe_agent_task(&self, agent: &str, outcome: &str, duration: f64) {
        self.agent_tasks
            .get_or_create(&[("agent", agent.to_owned()), ("outcome", outcome.to_owned())])
            .inc();
        self.agent_task_duration
            .get_or_create(&[("agent", agent.to_owned())])
            .observe(seconds(duration));
    }

    /// Counts one expired work lease taken back from a dead worker: `flowgraph_lease_reclaims_total`.
    pub fn lease_reclaimed(&self) {
        self.lease_reclaims.inc();
    }

    /// Counts one event published to subscribers: `flowgraph_events_published_total`.
    pub fn event_published(&self) {
        self.events_published.inc();
    }

    /// Increments `flowgraph_active_subscriptions`; the returned guard decrements it when dropped, so the gauge stays
    /// right however the subscription stream ends (completion, client disconnect, error or panic).
    #[must_use = "the subscription is only counted while the guard is alive"]
    pub fn subscription_started(&self) -> GaugeGuard {
        self.active_subscriptions.inc();
        GaugeGuard(self.active_subscriptions.clone())
    }

    /// Counts one running subscription execution (`flowgraph_subscription_executions`) while the guard lives.
    #[must_use = "the execution is only counted while the guard is alive"]
    pub fn subscription_execution_started(&self) -> GaugeGuard {
        self.subscription_executions.inc();
        GaugeGuard(self.subscription_executions.clone())
    }

    /// Counts one query waiting for its turn (`flowgraph_graphql_queries_waiting`) while the guard lives.
    #[must_use = "the query is only counted while the guard is alive"]
    pub fn query_waiting(&self) -> GaugeGuard {
        self.queries_waiting.inc();
        GaugeGuard(self.queries_waiting.clone())
    }

    /// Counts one connection closed for falling behind: `flowgraph_slow_subscribers_closed_total`.
    pub fn slow_subscriber_closed(&self) {
        self.slow_subscribers.inc();
    }

    /// Renders every family, then the gauges only known at scrape time: `flowgraph_workers` and, when the store
    /// answered, `flowgraph_queue_depth{status}` (left out rather than stale when it did not).
    pub fn render(&self, workers: usize, queue_depth: Option<(i64, i64)>) -> String {
        let mut scrape = Registry::default();
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::try_from(workers).unwrap_or(i64::MAX));
        scrape.register("flowgraph_workers", "Phase workers in this process", gauge);
        if let Some((queued, running)) = queue_depth {
            let depth = Family::<Labels<1>, Gauge>::default();
            depth.get_or_create(&[("status", "queued".into())]).set(queued);
            depth.get_or_create(&[("status", "running".into())]).set(running);
            scrape.register(
                "flowgraph_queue_depth",
                "Phase runs by status, across every replica",
                depth,
            );
        }
        let mut out = String::with_capacity(8192);
        // Writing to a String cannot fail.
        let _ = prometheus_text::encode(&mut out, &self.registry);
        let _ = prometheus_text::encode(&mut out, &scrape);
        out
    }
}

/// Keeps one subscription, execution or waiting query counted in its gauge; dropping it
/// decrements the gauge.
pub struct GaugeGuard(Gauge);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Makes a client-supplied operation name safe to use as a label value: GraphQL names are `[_A-Za-z][_0-9A-Za-z]*`,
/// so any other character becomes `_` (valid names pass through untouched), the result is truncated to
/// [`MAX_OPERATION_LEN`] characters, and an empty name becomes [`ANONYMOUS_OPERATION`].
pub fn sanitize_operation(name: &str) -> Cow<'_, str> {
    let name = name.trim();
    if name.is_empty() {
        return Cow::Borrowed(ANONYMOUS_OPERATION);
    }
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let truncated = name
        .char_indices()
        .nth(MAX_OPERATION_LEN)
        .map_or(name, |(i, _)| &name[..i]);
    if truncated.chars().all(is_name_char) {
        Cow::Borrowed(truncated)
    } else {
        Cow::Owned(
            truncated
                .chars()
                .map(|c| if is_name_char(c) { c } else { '_' })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample written exactly as `series` (name and labels in rendering order).
    fn value(text: &str, series: &str) -> f64 {
        let found: Vec<f64> = text
            .lines()
            .filter_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
            .collect();
        assert_eq!(found.len(), 1, "expected one {series}\n{text}");
        found[0]
    }

    /// The cumulative bucket counts of one histogram series, `+Inf` last.
    fn buckets(text: &str, name: &str, labels: &str) -> Vec<f64> {
        let les = DEFAULT_BUCKETS.iter().map(f64::to_string).chain(["+Inf".into()]);
        les.map(|le| value(text, &format!("{name}_bucket{{{labels},le=\"{le}\"}}")))
            .collect()
    }

    #[test]
    fn requests_accumulate_into_counter_and_cumulative_histogram() {
        let metrics = Metrics::new();
        metrics.observe_request("GetFlow", "ok", 0.003);
        metrics.observe_request("GetFlow", "ok", 0.2);
        metrics.observe_request("GetFlow", "error", 100.0);
        metrics.observe_request("ListFlows", "ok", 1.0);
        let s = metrics.render(0, None);

        let total = "flowgraph_graphql_requests_total";
        assert_eq!(
            value(&s, &format!("{total}{{operation=\"GetFlow\",outcome=\"ok\"}}")),
            2.0
        );
        assert_eq!(
            value(&s, &format!("{total}{{operation=\"GetFlow\",outcome=\"error\"}}")),
            1.0
        );
        assert_eq!(
            value(&s, &format!("{total}{{operation=\"ListFlows\",outcome=\"ok\"}}")),
            1.0
        );

        let duration = "flowgraph_graphql_request_duration_seconds";
        // 0.003 lands in every bucket, 0.2 from le=0.25 on, 100 only in +Inf.
        let expected = [1., 1., 1., 1., 1., 2., 2., 2., 2., 2., 2., 2., 2., 3.];
        assert_eq!(buckets(&s, duration, "operation=\"GetFlow\""), expected);
        assert!((value(&s, &format!("{duration}_sum{{operation=\"GetFlow\"}}")) - 100.203).abs() < 1e-9);
        assert_eq!(value(&s, &format!("{duration}_count{{operation=\"GetFlow\"}}")), 3.0);
        // An observation exactly on a bound falls in that bucket (le is "less than or equal").
        let expected = [0., 0., 0., 0., 0., 0., 0., 1., 1., 1., 1., 1., 1., 1.];
        assert_eq!(buckets(&s, duration, "operation=\"ListFlows\""), expected);
    }

    #[test]
    fn phases_agents_plain_counters_and_scrape_gauges() {
        let metrics = Metrics::new();
        metrics.observe_phase("inventory", "completed", 2.0);
        metrics.observe_phase("inventory", "completed", 4.0);
        metrics.observe_phase("inventory", "failed", 0.01);
        metrics.observe_agent_task("scanner", "ok", 0.5);
        metrics.observe_agent_task("scanner", "error", 7.0);
        metrics.lease_reclaimed();
        for _ in 0..3 {
            metrics.event_published();
        }
        let s = metrics.render(3, Some((5, 2)));

        let phase = "flowgraph_phase_duration_seconds";
        let completed = "phase=\"inventory\",outcome=\"completed\"";
        assert_eq!(value(&s, &format!("{phase}_count{{{completed}}}")), 2.0);
        assert_eq!(value(&s, &format!("{phase}_sum{{{completed}}}")), 6.0);
        let expected = [0., 0., 0., 0., 0., 0., 0., 0., 1., 2., 2., 2., 2., 2.];
        assert_eq!(buckets(&s, phase, completed), expected);
        let failed = "phase=\"inventory\",outcome=\"failed\"";
        assert_eq!(value(&s, &format!("{phase}_count{{{failed}}}")), 1.0);

        let tasks = "flowgraph_agent_tasks_total";
        assert_eq!(value(&s, &format!("{tasks}{{agent=\"scanner\",outcome=\"ok\"}}")), 1.0);
        assert_eq!(
            value(&s, &format!("{tasks}{{agent=\"scanner\",outcome=\"error\"}}")),
            1.0
        );
        let task_duration = "flowgraph_agent_task_duration_seconds";
        assert_eq!(value(&s, &format!("{task_duration}_count{{agent=\"scanner\"}}")), 2.0);
        assert_eq!(value(&s, &format!("{task_duration}_sum{{agent=\"scanner\"}}")), 7.5);

        assert_eq!(value(&s, "flowgraph_lease_reclaims_total"), 1.0);
        assert_eq!(value(&s, "flowgraph_events_published_total"), 3.0);
        assert_eq!(value(&s, "flowgraph_workers"), 3.0);
        assert_eq!(value(&s, "flowgraph_queue_depth{status=\"queued\"}"), 5.0);
        assert_eq!(value(&s, "flowgraph_queue_depth{status=\"running\"}"), 2.0);
        assert_eq!(
            value(
                &s,
                &format!("flowgraph_build_info{{version=\"{}\"}}", env!("CARGO_PKG_VERSION"))
            ),
            1.0
        );
        assert!(value(&s, "flowgraph_process_start_time_seconds") > 1.6e9);
        // No queue depth (the store did not answer): the family is left out, not reported stale.
        assert!(!metrics.render(3, None).contains("flowgraph_queue_depth"));
    }

    #[test]
    fn bad_durations_are_recorded_as_zero() {
        let metrics = Metrics::new();
        for duration in [f64::NAN, f64::INFINITY, -1.0] {
            metrics.observe_agent_task("scanner", "ok", duration);
        }
        let s = metrics.render(0, None);
        let name = "flowgraph_agent_task_duration_seconds";
        assert_eq!(value(&s, &format!("{name}_sum{{agent=\"scanner\"}}")), 0.0);
        assert_eq!(buckets(&s, name, "agent=\"scanner\"")[0], 3.0);
    }

    #[test]
    fn operation_names_are_sanitised_and_capped() {
        let metrics = Metrics::new();
        let long = "Q".repeat(100);
        metrics.observe_request(&long, "ok", 0.1);
        metrics.observe_request("Bad\"Name\n{x}é", "ok", 0.1);
        metrics.observe_request("", "ok", 0.1);
        for i in 0..MAX_OPERATIONS + 50 {
            metrics.observe_request(&format!("Op{i}"), "ok", 0.1);
        }
        // A name seen before the cap keeps its own series afterwards.
        metrics.observe_request(&long, "ok", 0.1);
        let s = metrics.render(0, None);

        let total = "flowgraph_graphql_requests_total";
        let operations: HashSet<&str> = s
            .lines()
            .filter_map(|l| {
                l.strip_prefix(&format!("{total}{{operation=\""))
                    .map(|rest| rest.split('"').next())
            })
            .flatten()
            .collect();
        assert_eq!(operations.len(), MAX_OPERATIONS + 1, "200 names plus \"other\"");
        assert!(operations.iter().all(|op| op.chars().count() <= MAX_OPERATION_LEN));

        let ok = |operation: &str| value(&s, &format!("{total}{{operation=\"{operation}\",outcome=\"ok\"}}"));
        assert_eq!(ok(&long[..MAX_OPERATION_LEN]), 2.0);
        assert_eq!(ok("Bad_Name__x__"), 1.0);
        assert_eq!(ok(ANONYMOUS_OPERATION), 1.0);
        // Three slots went to the names above, so Op0..Op196 fit and the remaining 53 overflow.
        assert_eq!(ok("Op196"), 1.0);
        assert!(!operations.contains("Op197"));
        assert_eq!(ok(OVERFLOW_OPERATION), 53.0);
        let count = "flowgraph_graphql_request_duration_seconds_count";
        assert_eq!(
            value(&s, &format!("{count}{{operation=\"{OVERFLOW_OPERATION}\"}}")),
            53.0
        );
    }

    #[test]
    fn subscription_guard_decrements_on_drop() {
        let metrics = Metrics::new();
        let active = |m: &Metrics| value(&m.render(0, None), "flowgraph_active_subscriptions");
        assert_eq!(active(&metrics), 0.0);
        let first = metrics.subscription_started();
        let second = metrics.subscription_started();
        assert_eq!(active(&metrics), 2.0);
        drop(first);
        assert_eq!(active(&metrics), 1.0);
        drop(second);
        assert_eq!(active(&metrics), 0.0);
    }
}
