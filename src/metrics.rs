//! Prometheus metrics for `GET /metrics` (text exposition format 0.0.4).
//!
//! A deliberately tiny, std-only registry: a fixed set of metric families, each behind its own `Mutex` (or an
//! atomic), rendered on demand. The hot path (one [`Metrics::observe_request`] per GraphQL request) takes a single
//! short lock, does a `&str`-keyed lookup that allocates only the first time a series is seen, and bumps a few
//! numbers. Rendering copies each family out under its lock and formats after releasing it, so a slow scrape never
//! holds up requests.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Histogram bucket upper bounds in seconds, shared by every histogram: fine-grained below a second for request
/// latency, stretching to a minute for discovery phases and agent tasks.
pub const DEFAULT_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// [`DEFAULT_BUCKETS`] as `le` label values, spelled once rather than formatted on every scrape.
const BUCKET_LABELS: [&str; DEFAULT_BUCKETS.len()] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60",
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

/// A gauge family sampled by the caller at scrape time (see [`Metrics::render`]): metric name, help text, and
/// samples of (labels, value).
pub type GaugeFamily<'a> = (&'a str, &'a str, Vec<(Vec<(&'a str, String)>, f64)>);

/// The process-wide metric registry; share it as `Arc<Metrics>`.
pub struct Metrics {
    /// Unix time at construction; the registry is built once at startup, so this stands in for process start.
    start_time_seconds: f64,
    /// Keyed by (sanitised, capped) operation name.
    requests: Mutex<HashMap<String, Series>>,
    /// Keyed by phase, then outcome.
    phases: Mutex<HashMap<String, Vec<(String, Histogram)>>>,
    /// Keyed by agent name.
    agent_tasks: Mutex<HashMap<String, Series>>,
    lease_reclaims: AtomicU64,
    events_published: AtomicU64,
    active_subscriptions: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let start_time_seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        Self {
            start_time_seconds,
            requests: Mutex::default(),
            phases: Mutex::default(),
            agent_tasks: Mutex::default(),
            lease_reclaims: AtomicU64::new(0),
            events_published: AtomicU64::new(0),
            active_subscriptions: AtomicI64::new(0),
        }
    }

    /// Records one GraphQL request: `flowgraph_graphql_requests_total{operation, outcome}` and
    /// `flowgraph_graphql_request_duration_seconds{operation}`. The operation name is client-controlled, so it is
    /// sanitised (see [`MAX_OPERATION_LEN`]) and capped (see [`MAX_OPERATIONS`]).
    pub fn observe_request(&self, operation: &str, outcome: &str, seconds: f64) {
        let operation = sanitize_operation(operation);
        let mut requests = lock(&self.requests);
        let key = if requests.contains_key(&*operation) || requests.len() < MAX_OPERATIONS {
            &*operation
        } else {
            OVERFLOW_OPERATION
        };
        entry(&mut requests, key).observe(outcome, seconds);
    }

    /// Records one finished discovery phase: `flowgraph_phase_duration_seconds{phase, outcome}`, where outcome is
    /// `completed`, `failed` or `waiting_for_approval`. Phase names are server-defined, so they are not capped.
    pub fn observe_phase(&self, phase: &str, outcome: &str, seconds: f64) {
        let mut phases = lock(&self.phases);
        slot(entry(&mut phases, phase), outcome).observe(seconds);
    }

    /// Records one agent task: `flowgraph_agent_tasks_total{agent, outcome}` and
    /// `flowgraph_agent_task_duration_seconds{agent}`. Agent names are server-defined, so they are not capped.
    pub fn observe_agent_task(&self, agent: &str, outcome: &str, seconds: f64) {
        let mut agent_tasks = lock(&self.agent_tasks);
        entry(&mut agent_tasks, agent).observe(outcome, seconds);
    }

    /// Counts one expired work lease taken back from a dead worker: `flowgraph_lease_reclaims_total`.
    pub fn lease_reclaimed(&self) {
        self.lease_reclaims.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one event published to subscribers: `flowgraph_events_published_total`.
    pub fn event_published(&self) {
        self.events_published.fetch_add(1, Ordering::Relaxed);
    }

    /// Increments `flowgraph_active_subscriptions`; the returned guard decrements it when dropped, so the gauge stays
    /// right however the subscription stream ends (completion, client disconnect, error or panic).
    #[must_use = "the subscription is only counted while the guard is alive"]
    pub fn subscription_started(self: &Arc<Self>) -> SubscriptionGuard {
        self.active_subscriptions.fetch_add(1, Ordering::Relaxed);
        SubscriptionGuard {
            metrics: Arc::clone(self),
        }
    }

    /// Renders every family in Prometheus text format 0.0.4, in a fixed order, followed by the caller's `gauges`
    /// (values only known at scrape time, e.g. `flowgraph_queue_depth{status}` and `flowgraph_workers`). Series are
    /// sorted by label values and labels by name, so equal state renders to identical text.
    pub fn render(&self, gauges: &[GaugeFamily<'_>]) -> String {
        // Copy each family out under its lock, then format with no lock held.
        let requests = snapshot_series(&self.requests);
        let agent_tasks = snapshot_series(&self.agent_tasks);
        let mut phases: Vec<(String, Vec<(String, Histogram)>)> = lock(&self.phases).clone().into_iter().collect();
        phases.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, outcomes) in &mut phases {
            outcomes.sort_by(|a, b| a.0.cmp(&b.0));
        }

        let mut out = String::with_capacity(8192);

        let name = "flowgraph_build_info";
        header(&mut out, name, "Build information; the value is always 1.", "gauge");
        sample(&mut out, name, &[("version", env!("CARGO_PKG_VERSION"))], 1.0);

        let name = "flowgraph_process_start_time_seconds";
        header(
            &mut out,
            name,
            "Start time of the process since the Unix epoch in seconds.",
            "gauge",
        );
        sample(&mut out, name, &[], self.start_time_seconds);

        let name = "flowgraph_graphql_requests_total";
        header(
            &mut out,
            name,
            "GraphQL requests by operation name and outcome.",
            "counter",
        );
        for (operation, series) in &requests {
            for (outcome, count) in &series.outcomes {
                sample(
                    &mut out,
                    name,
                    &[("operation", operation), ("outcome", outcome)],
                    *count as f64,
                );
            }
        }

        let name = "flowgraph_graphql_request_duration_seconds";
        header(
            &mut out,
            name,
            "GraphQL request duration in seconds by operation name.",
            "histogram",
        );
        for (operation, series) in &requests {
            histogram(&mut out, name, &[("operation", operation)], &series.duration);
        }

        let name = "flowgraph_phase_duration_seconds";
        header(
            &mut out,
            name,
            "Discovery phase duration in seconds by phase and outcome.",
            "histogram",
        );
        for (phase, outcomes) in &phases {
            for (outcome, h) in outcomes {
                histogram(&mut out, name, &[("outcome", outcome), ("phase", phase)], h);
            }
        }

        let name = "flowgraph_agent_tasks_total";
        header(&mut out, name, "Agent tasks by agent and outcome.", "counter");
        for (agent, series) in &agent_tasks {
            for (outcome, count) in &series.outcomes {
                sample(&mut out, name, &[("agent", agent), ("outcome", outcome)], *count as f64);
            }
        }

        let name = "flowgraph_agent_task_duration_seconds";
        header(&mut out, name, "Agent task duration in seconds by agent.", "histogram");
        for (agent, series) in &agent_tasks {
            histogram(&mut out, name, &[("agent", agent)], &series.duration);
        }

        let name = "flowgraph_lease_reclaims_total";
        header(
            &mut out,
            name,
            "Expired work leases reclaimed from unresponsive workers.",
            "counter",
        );
        sample(&mut out, name, &[], self.lease_reclaims.load(Ordering::Relaxed) as f64);

        let name = "flowgraph_events_published_total";
        header(&mut out, name, "Events published to subscribers.", "counter");
        sample(
            &mut out,
            name,
            &[],
            self.events_published.load(Ordering::Relaxed) as f64,
        );

        let name = "flowgraph_active_subscriptions";
        header(&mut out, name, "GraphQL subscriptions currently open.", "gauge");
        sample(
            &mut out,
            name,
            &[],
            self.active_subscriptions.load(Ordering::Relaxed) as f64,
        );

        for (name, help, samples) in gauges {
            debug_assert!(is_valid_name(name), "invalid metric name {name:?}");
            header(&mut out, name, help, "gauge");
            let mut samples: Vec<(Vec<(&str, &str)>, f64)> = samples
                .iter()
                .map(|(labels, value)| {
                    let mut labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    labels.sort_unstable();
                    (labels, *value)
                })
                .collect();
            samples.sort_by(|a, b| a.0.cmp(&b.0));
            for (labels, value) in &samples {
                sample(&mut out, name, labels, *value);
            }
        }

        out
    }
}

/// Keeps one subscription counted in `flowgraph_active_subscriptions`; dropping it decrements the gauge.
pub struct SubscriptionGuard {
    metrics: Arc<Metrics>,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        self.metrics.active_subscriptions.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One histogram: per-bucket (non-cumulative) counts, made cumulative at render time.
#[derive(Clone, Default)]
struct Histogram {
    buckets: [u64; DEFAULT_BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        // A NaN, infinite or negative duration is a caller bug; recording 0 keeps `_sum` usable forever after.
        let seconds = if seconds.is_finite() && seconds > 0.0 {
            seconds
        } else {
            0.0
        };
        if let Some(i) = DEFAULT_BUCKETS.iter().position(|&bound| seconds <= bound) {
            self.buckets[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// A counter split by outcome plus a duration histogram, both under one key (operation or agent), so one lock and
/// one lookup cover the whole observation.
#[derive(Clone, Default)]
struct Series {
    /// Outcomes are a handful of fixed strings, so a linear scan beats hashing.
    outcomes: Vec<(String, u64)>,
    duration: Histogram,
}

impl Series {
    fn observe(&mut self, outcome: &str, seconds: f64) {
        *slot(&mut self.outcomes, outcome) += 1;
        self.duration.observe(seconds);
    }
}

/// Locks, ignoring poisoning: metric state stays consistent enough to report, and metrics must never take the server
/// down.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Returns the value for `key`, inserting a default; allocates the key only on first sight.
fn entry<'a, V: Default>(map: &'a mut HashMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("key was just inserted")
}

/// `entry` for a small association list.
fn slot<'a, V: Default>(entries: &'a mut Vec<(String, V)>, key: &str) -> &'a mut V {
    let i = match entries.iter().position(|(k, _)| k == key) {
        Some(i) => i,
        None => {
            entries.push((key.to_owned(), V::default()));
            entries.len() - 1
        }
    };
    &mut entries[i].1
}

/// Copies a keyed family out of its lock, sorted by key and then by outcome.
fn snapshot_series(family: &Mutex<HashMap<String, Series>>) -> Vec<(String, Series)> {
    let mut series: Vec<(String, Series)> = lock(family).clone().into_iter().collect();
    series.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, s) in &mut series {
        s.outcomes.sort_by(|a, b| a.0.cmp(&b.0));
    }
    series
}

/// Makes a client-supplied operation name safe to use as a label value: GraphQL names are `[_A-Za-z][_0-9A-Za-z]*`,
/// so any other character becomes `_` (valid names pass through untouched), the result is truncated to
/// [`MAX_OPERATION_LEN`] characters, and an empty name becomes [`ANONYMOUS_OPERATION`].
fn sanitize_operation(name: &str) -> Cow<'_, str> {
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

/// Writes the `# HELP` and `# TYPE` lines that open a family.
fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    // HELP text escapes only backslash and newline (quotes are literal there).
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    let _ = writeln!(out, "\n# TYPE {name} {kind}");
}

/// Writes one `name{labels} value` line, with labels sorted by name and values escaped.
fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        let mut labels = labels.to_vec();
        labels.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out.push('{');
        for (i, (key, value)) in labels.iter().enumerate() {
            debug_assert!(is_valid_name(key) && !key.contains(':'), "invalid label name {key:?}");
            if i > 0 {
                out.push(',');
            }
            out.push_str(key);
            out.push_str("=\"");
            escape_label_value(out, value);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    write_value(out, value);
    out.push('\n');
}

/// Writes the `_bucket` (cumulative, ending with `le="+Inf"`), `_sum` and `_count` lines of one histogram series.
fn histogram(out: &mut String, name: &str, labels: &[(&str, &str)], h: &Histogram) {
    let bucket = format!("{name}_bucket");
    let mut with_le = labels.to_vec();
    with_le.push(("le", "+Inf"));
    let mut cumulative = 0u64;
    for (le, count) in BUCKET_LABELS.iter().zip(h.buckets) {
        cumulative += count;
        *with_le.last_mut().expect("le was pushed") = ("le", le);
        sample(out, &bucket, &with_le, cumulative as f64);
    }
    *with_le.last_mut().expect("le was pushed") = ("le", "+Inf");
    sample(out, &bucket, &with_le, h.count as f64);
    sample(out, &format!("{name}_sum"), labels, h.sum);
    sample(out, &format!("{name}_count"), labels, h.count as f64);
}

/// Label values escape backslash, double quote and newline (exposition format 0.0.4).
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Formats a sample value: Go-style `+Inf`/`-Inf`/`NaN`, otherwise Rust's shortest round-trip decimal (`1`, `0.005`).
fn write_value(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value == f64::INFINITY {
        out.push_str("+Inf");
    } else if value == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        let _ = write!(out, "{value}");
    }
}

/// Metric names match `[a-zA-Z_:][a-zA-Z0-9_:]*` (label names likewise, minus the colon).
fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[derive(Debug, Clone, PartialEq)]
    struct Sample {
        name: String,
        labels: Vec<(String, String)>,
        value: f64,
    }

    /// A strict little parser for text format 0.0.4 as this module emits it: every line is `# HELP`, `# TYPE` or a
    /// sample; every sample's family has HELP and TYPE lines before it; families are contiguous; histogram series
    /// carry `le`; counters end in `_total`; labels are sorted and unique.
    fn parse(text: &str) -> Result<Vec<Sample>, String> {
        if !text.ends_with('\n') {
            return Err("output must end with a newline".into());
        }
        let mut help: HashSet<String> = HashSet::new();
        let mut types: HashMap<String, String> = HashMap::new();
        let mut finished: HashSet<String> = HashSet::new();
        let mut current: Option<String> = None;
        let mut samples = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let err = |msg: &str| format!("line {}: {msg}: {line:?}", n + 1);
            let family = if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, _) = rest.split_once(' ').ok_or_else(|| err("HELP without text"))?;
                if !is_valid_name(name) || !help.insert(name.to_owned()) {
                    return Err(err("bad or repeated HELP"));
                }
                name.to_owned()
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').ok_or_else(|| err("TYPE without type"))?;
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                    return Err(err("unknown type"));
                }
                if !is_valid_name(name) || types.insert(name.to_owned(), kind.to_owned()).is_some() {
                    return Err(err("bad or repeated TYPE"));
                }
                if kind == "counter" && !name.ends_with("_total") {
                    return Err(err("counter name must end in _total"));
                }
                name.to_owned()
            } else if line.starts_with('#') || line.is_empty() {
                return Err(err("unexpected comment or blank line"));
            } else {
                let s = parse_sample(line).map_err(|e| err(&e))?;
                let family = family_of(&s.name, &types).ok_or_else(|| err("sample before its TYPE"))?;
                if !help.contains(&family) {
                    return Err(err("sample before its HELP"));
                }
                if types[&family] == "histogram" && s.name == family {
                    return Err(err("histogram sample without _bucket/_sum/_count suffix"));
                }
                if types[&family] == "histogram" && s.name.ends_with("_bucket") {
                    let le = s
                        .labels
                        .iter()
                        .find(|(k, _)| k == "le")
                        .ok_or_else(|| err("bucket without le"))?;
                    parse_value(&le.1).map_err(|e| err(&e))?;
                }
                let keys: Vec<&str> = s.labels.iter().map(|(k, _)| k.as_str()).collect();
                if !keys.windows(2).all(|w| w[0] < w[1]) {
                    return Err(err("labels not sorted or repeated"));
                }
                samples.push(s);
                family
            };
            if current.as_deref() != Some(family.as_str()) {
                if finished.contains(&family) {
                    return Err(err("family is not contiguous"));
                }
                if let Some(previous) = current.replace(family.clone()) {
                    finished.insert(previous);
                }
            }
        }
        Ok(samples)
    }

    fn family_of(name: &str, types: &HashMap<String, String>) -> Option<String> {
        if types.contains_key(name) {
            return Some(name.to_owned());
        }
        ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
            let base = name.strip_suffix(suffix)?;
            (types.get(base).map(String::as_str) == Some("histogram")).then(|| base.to_owned())
        })
    }

    fn parse_sample(line: &str) -> Result<Sample, String> {
        let name_end = line.find(['{', ' ']).ok_or("no value")?;
        let name = &line[..name_end];
        if !is_valid_name(name) {
            return Err(format!("bad metric name {name:?}"));
        }
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(after) = rest.strip_prefix('{') {
            rest = after;
            loop {
                if let Some(after) = rest.strip_prefix('}') {
                    rest = after;
                    break;
                }
                let (key, after) = rest.split_once("=\"").ok_or("label without =\"")?;
                if !is_valid_name(key) || key.contains(':') {
                    return Err(format!("bad label name {key:?}"));
                }
                let mut value = String::new();
                let mut chars = after.char_indices();
                let end = loop {
                    match chars.next().ok_or("unterminated label value")? {
                        (i, '"') => break i,
                        (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            c => return Err(format!("bad escape \\{c}")),
                        },
                        (_, '\n') => return Err("raw newline in label value".into()),
                        (_, c) => value.push(c),
                    }
                };
                labels.push((key.to_owned(), value));
                rest = &after[end + 1..];
                if let Some(after) = rest.strip_prefix(',') {
                    rest = after;
                } else if !rest.starts_with('}') {
                    return Err("expected , or } after label".into());
                }
            }
        }
        let value = rest.strip_prefix(' ').ok_or("expected one space before the value")?;
        Ok(Sample {
            name: name.to_owned(),
            labels,
            value: parse_value(value)?,
        })
    }

    fn parse_value(s: &str) -> Result<f64, String> {
        match s {
            "+Inf" => Ok(f64::INFINITY),
            "-Inf" => Ok(f64::NEG_INFINITY),
            "NaN" => Ok(f64::NAN),
            // Rust also accepts "inf", "infinity" and friends, which Prometheus does not.
            _ if s.is_empty() || s.chars().any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') => {
                Err(format!("bad value {s:?}"))
            }
            _ => s.parse().map_err(|_| format!("bad value {s:?}")),
        }
    }

    fn render_parsed(metrics: &Metrics) -> Vec<Sample> {
        let text = metrics.render(&[]);
        parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    /// The value of the one sample with exactly these labels (in any order).
    fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut want: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        want.sort();
        let found: Vec<&Sample> = samples.iter().filter(|s| s.name == name && s.labels == want).collect();
        assert_eq!(found.len(), 1, "expected one {name}{labels:?}, found {found:?}");
        found[0].value
    }

    fn buckets(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        let les: Vec<String> = DEFAULT_BUCKETS
            .iter()
            .map(|b| b.to_string())
            .chain(["+Inf".to_string()])
            .collect();
        les.iter()
            .map(|le| {
                let mut labels = labels.to_vec();
                labels.push(("le", le));
                value(samples, &format!("{name}_bucket"), &labels)
            })
            .collect()
    }

    #[test]
    fn requests_accumulate_into_counter_and_cumulative_histogram() {
        let metrics = Metrics::new();
        metrics.observe_request("GetFlow", "ok", 0.003);
        metrics.observe_request("GetFlow", "ok", 0.2);
        metrics.observe_request("GetFlow", "error", 100.0);
        metrics.observe_request("ListFlows", "ok", 1.0);
        let s = render_parsed(&metrics);

        let total = "flowgraph_graphql_requests_total";
        assert_eq!(value(&s, total, &[("operation", "GetFlow"), ("outcome", "ok")]), 2.0);
        assert_eq!(value(&s, total, &[("operation", "GetFlow"), ("outcome", "error")]), 1.0);
        assert_eq!(value(&s, total, &[("operation", "ListFlows"), ("outcome", "ok")]), 1.0);

        let duration = "flowgraph_graphql_request_duration_seconds";
        let get_flow = [("operation", "GetFlow")];
        // 0.003 lands in every bucket, 0.2 from le=0.25 on, 100 only in +Inf.
        let expected = [1., 1., 1., 1., 1., 2., 2., 2., 2., 2., 2., 2., 2., 3.];
        assert_eq!(buckets(&s, duration, &get_flow), expected);
        assert!((value(&s, &format!("{duration}_sum"), &get_flow) - 100.203).abs() < 1e-9);
        assert_eq!(value(&s, &format!("{duration}_count"), &get_flow), 3.0);
        // An observation exactly on a bound falls in that bucket (le is "less than or equal").
        let list = [("operation", "ListFlows")];
        let expected = [0., 0., 0., 0., 0., 0., 0., 1., 1., 1., 1., 1., 1., 1.];
        assert_eq!(buckets(&s, duration, &list), expected);
    }

    #[test]
    fn phases_agents_and_plain_counters_accumulate() {
        let metrics = Metrics::new();
        metrics.observe_phase("inventory", "completed", 2.0);
        metrics.observe_phase("inventory", "completed", 4.0);
        metrics.observe_phase("inventory", "failed", 0.01);
        metrics.observe_phase("approval", "waiting_for_approval", 45.0);
        metrics.observe_agent_task("scanner", "ok", 0.5);
        metrics.observe_agent_task("scanner", "error", 7.0);
        metrics.lease_reclaimed();
        for _ in 0..3 {
            metrics.event_published();
        }
        let s = render_parsed(&metrics);

        let phase = "flowgraph_phase_duration_seconds";
        let completed = [("phase", "inventory"), ("outcome", "completed")];
        assert_eq!(value(&s, &format!("{phase}_count"), &completed), 2.0);
        assert_eq!(value(&s, &format!("{phase}_sum"), &completed), 6.0);
        assert_eq!(
            buckets(&s, phase, &completed),
            [0., 0., 0., 0., 0., 0., 0., 0., 1., 2., 2., 2., 2., 2.]
        );
        assert_eq!(
            value(
                &s,
                &format!("{phase}_count"),
                &[("phase", "inventory"), ("outcome", "failed")]
            ),
            1.0
        );
        let waiting = [("phase", "approval"), ("outcome", "waiting_for_approval")];
        assert_eq!(buckets(&s, phase, &waiting)[11..], [0., 1., 1.]);

        let tasks = "flowgraph_agent_tasks_total";
        assert_eq!(value(&s, tasks, &[("agent", "scanner"), ("outcome", "ok")]), 1.0);
        assert_eq!(value(&s, tasks, &[("agent", "scanner"), ("outcome", "error")]), 1.0);
        let task_duration = "flowgraph_agent_task_duration_seconds";
        assert_eq!(
            value(&s, &format!("{task_duration}_count"), &[("agent", "scanner")]),
            2.0
        );
        assert_eq!(value(&s, &format!("{task_duration}_sum"), &[("agent", "scanner")]), 7.5);

        assert_eq!(value(&s, "flowgraph_lease_reclaims_total", &[]), 1.0);
        assert_eq!(value(&s, "flowgraph_events_published_total", &[]), 3.0);
    }

    #[test]
    fn bucket_labels_match_bounds() {
        for (bound, le) in DEFAULT_BUCKETS.iter().zip(BUCKET_LABELS) {
            let mut formatted = String::new();
            write_value(&mut formatted, *bound);
            assert_eq!(formatted, le);
        }
    }

    #[test]
    fn bad_durations_are_recorded_as_zero() {
        let metrics = Metrics::new();
        for seconds in [f64::NAN, f64::INFINITY, -1.0] {
            metrics.observe_agent_task("scanner", "ok", seconds);
        }
        let s = render_parsed(&metrics);
        let name = "flowgraph_agent_task_duration_seconds";
        assert_eq!(value(&s, &format!("{name}_sum"), &[("agent", "scanner")]), 0.0);
        assert_eq!(buckets(&s, name, &[("agent", "scanner")])[0], 3.0);
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let metrics = Metrics::new();
        let nasty = "a\\b\"c\nd";
        metrics.observe_phase(nasty, "completed", 1.0);
        let gauges: [GaugeFamily; 1] = [("flowgraph_workers", "Workers\\alive \"now\"\nsecond line", vec![])];
        let text = metrics.render(&gauges);

        assert!(text.contains(r#"phase="a\\b\"c\nd""#), "{text}");
        assert!(
            text.contains("# HELP flowgraph_workers Workers\\\\alive \"now\"\\nsecond line\n"),
            "{text}"
        );
        // And the escaping round-trips through a parser.
        let s = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let count = "flowgraph_phase_duration_seconds_count";
        assert_eq!(value(&s, count, &[("phase", nasty), ("outcome", "completed")]), 1.0);
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
        let s = render_parsed(&metrics);

        let total = "flowgraph_graphql_requests_total";
        let operations: HashSet<&str> = s
            .iter()
            .filter(|x| x.name == total)
            .map(|x| {
                x.labels
                    .iter()
                    .find(|(k, _)| k == "operation")
                    .expect("operation label")
                    .1
                    .as_str()
            })
            .collect();
        assert_eq!(operations.len(), MAX_OPERATIONS + 1, "200 names plus \"other\"");
        assert!(operations.iter().all(|op| op.chars().count() <= MAX_OPERATION_LEN));

        assert_eq!(
            value(
                &s,
                total,
                &[("operation", &long[..MAX_OPERATION_LEN]), ("outcome", "ok")]
            ),
            2.0
        );
        assert_eq!(
            value(&s, total, &[("operation", "Bad_Name__x__"), ("outcome", "ok")]),
            1.0
        );
        assert_eq!(
            value(&s, total, &[("operation", ANONYMOUS_OPERATION), ("outcome", "ok")]),
            1.0
        );
        // Three slots went to the names above, so Op0..Op196 fit and the remaining 53 overflow.
        assert_eq!(value(&s, total, &[("operation", "Op196"), ("outcome", "ok")]), 1.0);
        assert!(!operations.contains("Op197"));
        assert_eq!(
            value(&s, total, &[("operation", OVERFLOW_OPERATION), ("outcome", "ok")]),
            53.0
        );
        let count = "flowgraph_graphql_request_duration_seconds_count";
        assert_eq!(value(&s, count, &[("operation", OVERFLOW_OPERATION)]), 53.0);
    }

    #[test]
    fn subscription_guard_decrements_on_drop() {
        let metrics = Arc::new(Metrics::new());
        let active = |m: &Metrics| value(&render_parsed(m), "flowgraph_active_subscriptions", &[]);
        assert_eq!(active(&metrics), 0.0);
        let first = metrics.subscription_started();
        let second = metrics.subscription_started();
        assert_eq!(active(&metrics), 2.0);
        drop(first);
        assert_eq!(active(&metrics), 1.0);
        // The guard can outlive every other handle to the registry.
        let weak = Arc::downgrade(&metrics);
        drop(metrics);
        assert_eq!(weak.upgrade().map(|m| active(&m)), Some(1.0));
        drop(second);
        assert!(weak.upgrade().is_none());
    }

    #[test]
    fn full_output_parses_with_families_in_fixed_order() {
        let metrics = Arc::new(Metrics::new());
        metrics.observe_request("GetFlow", "ok", 0.02);
        metrics.observe_phase("inventory", "completed", 3.0);
        metrics.observe_agent_task("scanner", "ok", 0.5);
        metrics.lease_reclaimed();
        metrics.event_published();
        let _guard = metrics.subscription_started();
        let gauges: Vec<GaugeFamily> = vec![
            (
                "flowgraph_queue_depth",
                "Work items by status.",
                vec![
                    (vec![("status", "running".to_string())], 2.0),
                    (vec![("status", "queued".to_string())], 5.0),
                ],
            ),
            ("flowgraph_workers", "Workers alive.", vec![(vec![], 3.0)]),
        ];
        let text = metrics.render(&gauges);
        let s = parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(text, metrics.render(&gauges), "rendering is deterministic");

        let families: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
        assert_eq!(
            families,
            [
                "flowgraph_build_info gauge",
                "flowgraph_process_start_time_seconds gauge",
                "flowgraph_graphql_requests_total counter",
                "flowgraph_graphql_request_duration_seconds histogram",
                "flowgraph_phase_duration_seconds histogram",
                "flowgraph_agent_tasks_total counter",
                "flowgraph_agent_task_duration_seconds histogram",
                "flowgraph_lease_reclaims_total counter",
                "flowgraph_events_published_total counter",
                "flowgraph_active_subscriptions gauge",
                "flowgraph_queue_depth gauge",
                "flowgraph_workers gauge",
            ]
        );
        assert_eq!(
            value(&s, "flowgraph_build_info", &[("version", env!("CARGO_PKG_VERSION"))]),
            1.0
        );
        assert!(value(&s, "flowgraph_process_start_time_seconds", &[]) > 1.6e9);
        assert_eq!(value(&s, "flowgraph_queue_depth", &[("status", "queued")]), 5.0);
        assert_eq!(value(&s, "flowgraph_workers", &[]), 3.0);
        // Series are sorted: queued before running even though the caller passed them the other way round.
        let queued = text.find("status=\"queued\"").expect("queued sample");
        assert!(queued < text.find("status=\"running\"").expect("running sample"));
        assert!(
            text.contains("flowgraph_graphql_request_duration_seconds_bucket{le=\"+Inf\",operation=\"GetFlow\"} 1\n")
        );
    }

    #[test]
    fn empty_registry_renders_valid_output() {
        let s = render_parsed(&Metrics::default());
        assert_eq!(value(&s, "flowgraph_lease_reclaims_total", &[]), 0.0);
        assert!(s.iter().all(|x| !x.name.starts_with("flowgraph_graphql")));
    }

    #[test]
    fn parser_rejects_malformed_exposition() {
        let ok = "# HELP m_total h\n# TYPE m_total counter\nm_total{a=\"x\"} 1\n";
        assert!(parse(ok).is_ok());
        for bad in [
            "m_total 1\n",                                                          // no HELP/TYPE
            "# TYPE m_total counter\nm_total 1\n",                                  // no HELP
            "# HELP m_total h\n# TYPE m_total counter\nm_total{a=\"x} 1\n",         // unterminated value
            "# HELP m_total h\n# TYPE m_total counter\nm_total{a=\"\\t\"} 1\n",     // bad escape
            "# HELP m_total h\n# TYPE m_total counter\nm_total inf\n",              // Rust-only float spelling
            "# HELP m_total h\n# TYPE m_total counter\nm_total{b=\"\",a=\"\"} 1\n", // unsorted labels
            "# HELP m h\n# TYPE m counter\nm 1\n",                                  // counter without _total
            "# HELP m_total h\n# TYPE m_total counter\nm_total  1\n",               // two spaces
        ] {
            assert!(parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn concurrent_observations_are_all_counted() {
        let metrics = Arc::new(Metrics::new());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let metrics = Arc::clone(&metrics);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        metrics.observe_request("GetFlow", "ok", 0.01);
                        metrics.event_published();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("worker thread");
        }
        let s = render_parsed(&metrics);
        let total = "flowgraph_graphql_requests_total";
        assert_eq!(value(&s, total, &[("operation", "GetFlow"), ("outcome", "ok")]), 8000.0);
        assert_eq!(value(&s, "flowgraph_events_published_total", &[]), 8000.0);
    }
}
