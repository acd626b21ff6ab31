//! HQ's Prometheus metrics (docs/metrics.md): the running counts each node keeps
//! (`counters`), what its store holds at scrape time (`scrape`), and the `/metrics` endpoint
//! (`http`).

pub mod counters;
pub mod http;
mod scrape;
