//! `bench`: many `validate` calls on one loaded policy, timed one by one.

use std::time::{Duration, Instant};

use crate::engine::{BoxError, Policy, PolicyPre};

pub struct Summary {
    pub min: Duration,
    pub median: Duration,
    pub mean: Duration,
    pub max: Duration,
    pub per_second: f64,
}

pub fn measure(
    policy: &Policy,
    payload: &[u8],
    warmup: usize,
    iterations: usize,
) -> Result<Summary, BoxError> {
    for _ in 0..warmup {
        policy.call("validate", payload)?;
    }
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations.max(1) {
        let start = Instant::now();
        policy.call("validate", payload)?;
        times.push(start.elapsed());
    }
    Ok(summarise(times))
}

/// Each `validate` call on a fresh instance, as the policy server makes one per request; only
/// the call is timed, not the instantiation.
pub fn measure_fresh(
    pre: &PolicyPre,
    payload: &[u8],
    warmup: usize,
    iterations: usize,
) -> Result<Summary, BoxError> {
    for _ in 0..warmup {
        pre.instance()?.call("validate", payload)?;
    }
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations.max(1) {
        let policy = pre.instance()?;
        let start = Instant::now();
        policy.call("validate", payload)?;
        times.push(start.elapsed());
    }
    Ok(summarise(times))
}

fn summarise(mut times: Vec<Duration>) -> Summary {
    times.sort();
    let total: Duration = times.iter().sum();
    let mean = total / times.len() as u32;
    Summary {
        min: times[0],
        median: times[times.len() / 2],
        mean,
        max: times[times.len() - 1],
        per_second: times.len() as f64 / total.as_secs_f64(),
    }
}

/// The process's peak resident memory in KiB (Linux `VmHWM`), if it can be read.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn print(s: &Summary, iterations: usize) {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("evaluations: {iterations}");
    println!(
        "per evaluation: min {:.1} µs, median {:.1} µs, mean {:.1} µs, max {:.1} µs",
        us(s.min),
        us(s.median),
        us(s.mean),
        us(s.max)
    );
    println!("evaluations per second: {:.0}", s.per_second);
}
