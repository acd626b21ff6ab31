//! One transfer run, as a scheduled task or `once` performs it: push, then pull, per direction.

use crate::client::Hq;
use crate::config::limits::Limits;
use crate::config::task::Direction;
use crate::pull::{pull_inbox, PullError, PullOutcome};
use crate::push::{push_outbox, PushError, PushOutcome};
use crate::shutdown::StopSignal;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("push: {0}")]
    Push(#[from] PushError),
    #[error("pull: {0}")]
    Pull(#[from] PullError),
}

impl TransferError {
    /// HQ down or slow: worth a quiet retry rather than an operator's attention.
    pub fn is_transient(&self) -> bool {
        match self {
            TransferError::Push(PushError::Hq(error))
            | TransferError::Push(PushError::Refill(crate::refill::RefillError::Hq(error)))
            | TransferError::Pull(PullError::Hq(error)) => error.is_transient(),
            TransferError::Push(PushError::Greeting(error))
            | TransferError::Pull(PullError::Greeting(error)) => error.is_transient(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferOutcome {
    pub push: Option<PushOutcome>,
    pub pull: Option<PullOutcome>,
}

impl std::fmt::Display for TransferOutcome {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [
            self.push.as_ref().map(ToString::to_string),
            self.pull.as_ref().map(ToString::to_string),
        ]
        .into_iter()
        .flatten()
        .collect();
        write!(formatter, "{}", parts.join("; "))
    }
}

/// Pushes and/or pulls once. A failed push skips the pull: HQ is most likely unreachable.
pub async fn transfer_once(
    ledger_path: &Path,
    hq: &Hq,
    limits: &Limits,
    direction: Direction,
    stop: &StopSignal,
) -> Result<TransferOutcome, TransferError> {
    let mut outcome = TransferOutcome::default();
    if direction.pushes() {
        outcome.push = Some(push_outbox(ledger_path, hq, limits, stop).await?);
    }
    if direction.pulls() && !stop.is_stopping() {
        outcome.pull = Some(pull_inbox(ledger_path, hq, limits, stop).await?);
    }
    Ok(outcome)
}
