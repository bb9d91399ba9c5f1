//! Latency helpers shared by the benches that time contenders call by call (`routing`, `cch`):
//! how many interleaved rounds to run, a round's p50, the p50/p95/max line and the spread of
//! per-round ratios.

use std::time::Duration;

/// Rounds of an interleaved pass: the environment variable `var`, else `default` (1 in the
/// unoptimised smoke run of `cargo test`); at least 1.
pub fn rounds(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(if cfg!(debug_assertions) { 1 } else { default })
        .max(1)
}

/// The p50 of `t` (the upper middle of an even count), seconds.
pub fn p50(t: &[Duration]) -> f64 {
    let mut v = t.to_vec();
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

/// Prints `latency {label}: n=… p50=… p95=… max=…` and returns the p50.
pub fn report(label: &str, mut t: Vec<Duration>) -> Duration {
    t.sort();
    let q = |x: f64| t[((t.len() as f64 - 1.0) * x).round() as usize];
    eprintln!(
        "latency {label}: n={} p50={:?} p95={:?} max={:?}",
        t.len(),
        q(0.5),
        q(0.95),
        q(1.0)
    );
    q(0.5)
}

/// The lowest, median and highest of per-round ratios (not empty).
pub fn spread(mut r: Vec<f64>) -> [f64; 3] {
    r.sort_by(f64::total_cmp);
    [r[0], r[r.len() / 2], r[r.len() - 1]]
}
