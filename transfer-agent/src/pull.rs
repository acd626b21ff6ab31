//! Pulls the branch's inbox from HQ after the ledger's inbox position and applies each page in
//! one ledger transaction that also records the new position (`Ledger::apply_inbox`), so every
//! template and routed document is applied exactly once whatever crashes in between.

use crate::client::{ClientError, Hq};
use crate::config::limits::Limits;
use crate::greeting::{greet, GreetingError};
use crate::ledger_access::{open_shared, run_blocking, LedgerAccessError};
use crate::shutdown::StopSignal;
use branchline_proto::v1::PullRequest;
use branchline_proto::{WireError, PROTOCOL_VERSION};
use branchline_shared::InboxEntry;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Ledger(#[from] LedgerAccessError),
    #[error(transparent)]
    Hq(#[from] ClientError),
    #[error(transparent)]
    Greeting(#[from] GreetingError),
    #[error("inbox entry {seq} from HQ is malformed: {source}")]
    MalformedEntry { seq: u64, source: WireError },
    #[error("HQ sent inbox entries out of order: seq {found} after {previous}")]
    OutOfOrder { previous: u64, found: u64 },
}

/// What one pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullOutcome {
    pub pages: u64,
    pub entries_received: u64,
    pub inbox_seq: u64,
}

impl std::fmt::Display for PullOutcome {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "pulled {} inbox entries in {} pages; inbox seq {}",
            self.entries_received, self.pages, self.inbox_seq
        )
    }
}

/// Pulls until HQ has nothing newer, stopping early (between pages) when `stop` fires.
pub async fn pull_inbox(
    ledger_path: &Path,
    hq: &Hq,
    limits: &Limits,
    stop: &StopSignal,
) -> Result<PullOutcome, PullError> {
    let ledger = open_shared(ledger_path).await?;
    let status = run_blocking(&ledger, |ledger| ledger.status().map_err(Box::new)).await?;
    let greeting = greet(hq, ledger_path, &status).await?;
    let mut outcome = PullOutcome {
        inbox_seq: status.inbox_seq,
        ..PullOutcome::default()
    };
    if greeting.inbox_last_seq <= status.inbox_seq {
        return Ok(outcome);
    }
    let mut client = hq.client.clone();
    while !stop.is_stopping() {
        let request = PullRequest {
            protocol_version: PROTOCOL_VERSION,
            after_seq: outcome.inbox_seq,
            max_entries: limits.pull_entries_max,
            branch: status.branch.clone(),
        };
        let page = hq.unary("pull", client.pull(request)).await?;
        if page.entries.is_empty() {
            break;
        }
        let mut entries = Vec::with_capacity(page.entries.len());
        let mut previous = outcome.inbox_seq;
        for wire in &page.entries {
            let entry = InboxEntry::try_from(wire).map_err(|source| PullError::MalformedEntry {
                seq: wire.seq,
                source,
            })?;
            if entry.seq <= previous {
                return Err(PullError::OutOfOrder {
                    previous,
                    found: entry.seq,
                });
            }
            previous = entry.seq;
            entries.push(entry);
        }
        outcome.pages += 1;
        outcome.entries_received += entries.len() as u64;
        run_blocking(&ledger, move |ledger| {
            ledger.apply_inbox(&entries).map_err(Box::new)
        })
        .await?;
        let applied_to = run_blocking(&ledger, |ledger| ledger.status().map_err(Box::new))
            .await?
            .inbox_seq;
        tracing::debug!(inbox_seq = applied_to, "inbox page applied");
        if applied_to <= outcome.inbox_seq {
            break;
        }
        outcome.inbox_seq = applied_to;
        if outcome.inbox_seq >= page.last_seq {
            break;
        }
    }
    tracing::info!(%outcome, "pull finished");
    Ok(outcome)
}
