//! The Branchline head-office node (`hq-server`): branch registry and master data, exactly-once
//! ingestion of every branch's outbox, quarantine, inboxes and status, over gRPC, on a SQLite or
//! PostgreSQL store.
//!
//! Architecture invariant: HQ keeps no state outside its store, so replicas may share one
//! PostgreSQL database; every write that must be ordered per branch locks the branch's row.

pub mod alert;
pub mod auth;
pub mod base_csv;
pub mod bench_switches;
pub mod bundle;
pub mod bundle_files;
pub mod cli;
pub mod commission_columns;
pub mod config;
pub mod console;
pub mod health;
pub mod memory;
pub mod metrics;
pub mod people;
pub mod rate;
pub mod secret;
pub mod serve;
pub mod service;
pub mod stock_limit_csv;
pub mod store;
pub mod tls;
