//! The one test harness: real ledger files, real HQ servers on ephemeral loopback ports, a real
//! throwaway PostgreSQL cluster, and the real binaries run as child processes.
//!
//! Set `BRANCHLINE_KEEP_TMP=1` to keep every temp dir a test creates (its path is printed).

pub mod agent;
pub mod bench;
pub mod browser;
pub mod browser_log;
pub mod chromedriver;
pub mod console_http;
pub mod group;
pub mod hq;
pub mod hq_db;
pub mod ledger;
pub mod net;
pub mod people;
pub mod postgres;
pub mod process;
pub mod prometheus;
pub mod security;
pub mod webhook_receiver;
pub mod workbench;
