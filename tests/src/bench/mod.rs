//! Benchmarks: each prints a table of figures next to a baseline measured in the same run.

pub mod catch_up;
pub mod hq_ingest;
pub mod ledger;
pub mod reports;
