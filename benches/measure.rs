//! What the steps measure with: memory figures from /proc, percentiles, and a closed-loop load.

use std::time::{Duration, Instant};

/// A memory figure of this process from /proc/self/status, in MB: `VmRSS` now, `VmHWM` its peak.
pub fn memory_mb(field: &str) -> f64 {
    status_mb("/proc/self/status", field)
}

/// A memory figure from a `/proc/<pid>/status` file, in MB.
pub fn status_mb(path: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(path).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// `concurrency` clients sending `request` back to back for 3 s: requests/s and sorted latencies (ms).
pub async fn load<F, Fut>(concurrency: usize, request: F) -> (f64, Vec<f64>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let seconds = std::env::var("BENCH_READ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    eprintln!(
        "[{:?}] load: {concurrency} clients for {seconds} s",
        std::time::SystemTime::now()
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers = (0..concurrency).map(|_| async {
        let mut times = Vec::new();
        while Instant::now() < deadline {
            let clock = Instant::now();
            request().await;
            times.push(clock.elapsed().as_secs_f64() * 1000.0);
        }
        times
    });
    let clock = Instant::now();
    let mut times: Vec<f64> = futures_util::future::join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    let seconds = clock.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    (times.len() as f64 / seconds, times)
}
