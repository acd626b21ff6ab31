//! Benchmarks: each prints a table of figures next to a baseline measured in the same run.

pub mod catch_up;
pub mod fairness;
pub mod flooder;
pub mod hq_ingest;
pub mod ledger;
pub mod reports;

/// A size from the environment (`BENCH_*`), or `default` when unset or not a number.
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
