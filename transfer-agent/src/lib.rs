//! The transfer agent: the only thing that moves data between a branch ledger and HQ.
//!
//! It pushes the ledger's outbox in bounded, pipelined batches and records each acknowledgement
//! (`push`, fed by `push_reader`), pulls the branch's inbox and applies it exactly once (`pull`),
//! runs scheduled tasks with windows and backoff (`runner`, `schedule`, `window`, `backoff`),
//! imports template files dropped into a watched folder (`watch`), compares the ledger with HQ
//! (`reconcile`, and one business day with its close at HQ: `day_close`, printed by
//! `day_report`) and reports what it is doing (`status`, `state`). `client` is the one place the
//! gRPC channel is built; `config` reads the TOML config.

pub mod backoff;
pub mod cli;
pub mod client;
pub mod config;
pub mod day_close;
pub mod day_report;
pub mod greeting;
pub mod ledger_access;
pub mod metrics;
pub mod pull;
pub mod push;
pub mod push_reader;
pub mod reconcile;
pub mod refill;
pub mod runner;
pub mod schedule;
pub mod send_now;
pub mod shutdown;
pub mod state;
pub mod status;
pub mod transfer;
pub mod watch;
pub mod window;
