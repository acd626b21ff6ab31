//! What is wrong with a config: one error for the file, its tasks, limits and HQ target.

use super::TOKEN_ENV;
use crate::schedule::ScheduleError;
use crate::window::WindowError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("config {path}: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("config: no ledger given (set `ledger` or pass --ledger)")]
    MissingLedger,
    #[error("config: no HQ address given (set `hq` or pass --hq)")]
    MissingHq,
    #[error("config: no token given (set `token`, `token_file`, pass --token or set {TOKEN_ENV})")]
    MissingToken,
    #[error("config: both `token` and `token_file` are set; keep one")]
    TwoTokens,
    #[error("cannot read token file {path}: {source}")]
    TokenFileUnreadable { path: PathBuf, source: std::io::Error },
    #[error("token file {path} is empty")]
    TokenFileEmpty { path: PathBuf },
    #[error("config: HQ address {hq:?} must start with http:// or https://")]
    BadHqAddress { hq: String },
    #[error("config: `{field}` needs an https:// HQ address, found {hq:?}")]
    TlsWithoutHttps { field: &'static str, hq: String },
    #[error("config: `cert` and `key` go together (the branch's client certificate and its key)")]
    CertWithoutKey,
    #[error("config: task {task:?}: {reason}")]
    BadTask { task: String, reason: String },
    #[error("config: task {task:?}: {source}")]
    BadSchedule { task: String, source: ScheduleError },
    #[error("config: task {task:?}: {source}")]
    BadWindow { task: String, source: WindowError },
    #[error("config: two tasks are named {task:?}")]
    DuplicateTask { task: String },
    #[error("config: inbox_dir {dir} does not exist (create it, or fix the path)")]
    MissingInboxDir { dir: PathBuf },
    #[error("config: inbox_dir {dir} is not a directory")]
    InboxDirNotADirectory { dir: PathBuf },
    #[error("config: limits.{field} must be between {min} and {max}, found {found}")]
    LimitOutOfRange {
        field: &'static str,
        min: u64,
        max: u64,
        found: u64,
    },
}
