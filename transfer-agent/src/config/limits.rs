//! `[limits]`: bounds on batches, channels, retries and waits, each with a `default_*` and a
//! range `validate()` checks.

use super::error::ConfigError;
use serde::Deserialize;

/// Bounds on batches, channels, retries and waits. Every field has a `default_*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Outbox entries per pushed batch.
    #[serde(default = "default_batch_entries_max")]
    pub batch_entries_max: usize,
    /// Approximate JSON bytes per pushed batch (kept well under HQ's message size limit).
    #[serde(default = "default_batch_bytes_max")]
    pub batch_bytes_max: usize,
    /// Batches read ahead of HQ's acknowledgements (the push pipeline depth).
    #[serde(default = "default_batches_in_flight")]
    pub batches_in_flight: usize,
    /// Inbox entries asked for per pull.
    #[serde(default = "default_pull_entries_max")]
    pub pull_entries_max: u32,
    /// Largest gRPC message accepted from HQ.
    #[serde(default = "default_message_bytes_max")]
    pub message_bytes_max: usize,
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// Longest wait for any single answer from HQ (an ack, a pull, a hello).
    #[serde(default = "default_reply_timeout_ms")]
    pub reply_timeout_ms: u64,
    #[serde(default = "default_backoff_initial_ms")]
    pub backoff_initial_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// A dropped file is taken once its size and mtime stayed unchanged this long.
    #[serde(default = "default_settle_ms")]
    pub settle_ms: u64,
    /// How long a stop request waits for the running transfer to finish its batch.
    #[serde(default = "default_shutdown_grace_ms")]
    pub shutdown_grace_ms: u64,
}

pub fn default_batch_entries_max() -> usize {
    500
}
pub fn default_batch_bytes_max() -> usize {
    1 << 20
}
pub fn default_batches_in_flight() -> usize {
    4
}
pub fn default_pull_entries_max() -> u32 {
    500
}
pub fn default_message_bytes_max() -> usize {
    16 << 20
}
pub fn default_connect_timeout_ms() -> u64 {
    5_000
}
pub fn default_reply_timeout_ms() -> u64 {
    60_000
}
pub fn default_backoff_initial_ms() -> u64 {
    1_000
}
pub fn default_backoff_max_ms() -> u64 {
    300_000
}
pub fn default_settle_ms() -> u64 {
    1_000
}
pub fn default_shutdown_grace_ms() -> u64 {
    15_000
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            batch_entries_max: default_batch_entries_max(),
            batch_bytes_max: default_batch_bytes_max(),
            batches_in_flight: default_batches_in_flight(),
            pull_entries_max: default_pull_entries_max(),
            message_bytes_max: default_message_bytes_max(),
            connect_timeout_ms: default_connect_timeout_ms(),
            reply_timeout_ms: default_reply_timeout_ms(),
            backoff_initial_ms: default_backoff_initial_ms(),
            backoff_max_ms: default_backoff_max_ms(),
            settle_ms: default_settle_ms(),
            shutdown_grace_ms: default_shutdown_grace_ms(),
        }
    }
}

impl Limits {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let checks: [(&'static str, u64, u64, u64); 11] = [
            ("batch_entries_max", self.batch_entries_max as u64, 1, 100_000),
            ("batch_bytes_max", self.batch_bytes_max as u64, 1_024, 64 << 20),
            ("batches_in_flight", self.batches_in_flight as u64, 1, 64),
            ("pull_entries_max", u64::from(self.pull_entries_max), 1, 100_000),
            (
                "message_bytes_max",
                self.message_bytes_max as u64,
                64 << 10,
                256 << 20,
            ),
            ("connect_timeout_ms", self.connect_timeout_ms, 10, 600_000),
            ("reply_timeout_ms", self.reply_timeout_ms, 10, 3_600_000),
            ("backoff_initial_ms", self.backoff_initial_ms, 1, 3_600_000),
            (
                "backoff_max_ms",
                self.backoff_max_ms,
                self.backoff_initial_ms,
                86_400_000,
            ),
            ("settle_ms", self.settle_ms, 10, 600_000),
            ("shutdown_grace_ms", self.shutdown_grace_ms, 0, 3_600_000),
        ];
        for (field, found, min, max) in checks {
            if found < min || found > max {
                return Err(ConfigError::LimitOutOfRange {
                    field,
                    min,
                    max,
                    found,
                });
            }
        }
        Ok(())
    }
}
