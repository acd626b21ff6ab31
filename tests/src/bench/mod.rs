//! Benchmarks: each prints a table of figures next to a baseline measured in the same run.
