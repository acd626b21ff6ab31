//! Pushes the ledger's unacknowledged outbox to HQ: `Hello`, then bounded batches streamed
//! from `acked_seq + 1` over one `Push` stream, a few batches in flight, each acknowledgement
//! recorded in the ledger as it arrives. Resending what HQ already holds is how a lost
//! acknowledgement is recognised (HQ answers duplicates); a ledger behind HQ or a conflicting
//! history stops the push with a clear error instead of guessing.

use crate::client::{ClientError, Hq};
use crate::config::limits::Limits;
use crate::greeting::{greet, GreetingError};
use crate::ledger_access::{open_shared, run_blocking, LedgerAccessError, SharedLedger};
use crate::push_reader::{join_reader, BatchReadError, BatchReader, SentBatch};
use crate::shutdown::StopSignal;
use branch_node::LedgerStatus;
use branchline_proto::v1::{PushAck, PushBatch};
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Ledger(#[from] LedgerAccessError),
    #[error(transparent)]
    Hq(#[from] ClientError),
    #[error(transparent)]
    Refill(#[from] crate::refill::RefillError),
    #[error(transparent)]
    Greeting(#[from] GreetingError),
    #[error(
        "the ledger is behind HQ: HQ holds epoch {epoch} up to seq {hq_applied_seq} but the ledger's last seq is \
         {ledger_last_seq} (restored from an older copy?); run `branch-node --ledger {ledger} epoch new`, then push again"
    )]
    LedgerBehindHq {
        ledger: PathBuf,
        epoch: u64,
        hq_applied_seq: u64,
        ledger_last_seq: u64,
    },
    #[error(
        "the ledger's history contradicts HQ's, pushing stopped: {message}; run `branch-node epoch new` to \
         carry the unsent entries into a new epoch, then push again"
    )]
    Conflict { message: String },
    #[error(transparent)]
    Read(#[from] BatchReadError),
    #[error("HQ acknowledged epoch {ack_epoch} seq {acked_seq} for a batch of epoch {epoch} ending at seq {batch_last_seq}")]
    AckMismatch {
        epoch: u64,
        batch_last_seq: u64,
        ack_epoch: u64,
        acked_seq: u64,
    },
    #[error("HQ acknowledged epoch {ack_epoch} seq {acked_seq} when no batch awaited an acknowledgement")]
    AckWithoutBatch { ack_epoch: u64, acked_seq: u64 },
    #[error("HQ closed the push stream with {unacked} batches unacknowledged")]
    StreamEndedEarly { unacked: usize },
}

/// What one push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushOutcome {
    pub epoch: u64,
    pub batches: u64,
    pub entries_sent: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub acked_seq: u64,
    /// Entries still unacknowledged when the push ended (new ones may have been written meanwhile).
    pub backlog: u64,
}

impl std::fmt::Display for PushOutcome {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "pushed {} entries in {} batches (applied {}, duplicates {}, quarantined {}); epoch {} acked seq {}, backlog {}",
            self.entries_sent,
            self.batches,
            self.applied,
            self.duplicates,
            self.quarantined,
            self.epoch,
            self.acked_seq,
            self.backlog
        )
    }
}

/// Pushes everything unacknowledged, stopping early (between batches) when `stop` fires.
pub async fn push_outbox(
    ledger_path: &Path,
    hq: &Hq,
    limits: &Limits,
    stop: &StopSignal,
) -> Result<PushOutcome, PushError> {
    let ledger = open_shared(ledger_path).await?;
    let (status, hq_applied_seq) = agree_on_position(&ledger, hq).await?;
    let mut outcome = PushOutcome {
        epoch: status.epoch,
        acked_seq: status.acked_seq,
        backlog: status.backlog,
        ..PushOutcome::default()
    };
    if status.acked_seq >= status.last_seq {
        return Ok(outcome);
    }
    tracing::info!(
        epoch = status.epoch,
        acked_seq = status.acked_seq,
        last_seq = status.last_seq,
        hq_applied_seq,
        "pushing outbox"
    );
    let streamed = stream_outbox(&ledger, hq, limits, stop, &status, &mut outcome).await;
    if let Err(PushError::Conflict { message }) = &streamed {
        let reason = format!("its history contradicts the ledger's: {message}");
        hold_epoch(&ledger, status.epoch, hq_applied_seq, reason).await?;
    }
    streamed?;
    let final_status = ledger_status(&ledger).await?;
    outcome.acked_seq = final_status.acked_seq;
    outcome.backlog = final_status.backlog;
    if outcome.quarantined > 0 {
        tracing::warn!(
            quarantined = outcome.quarantined,
            "HQ quarantined entries; see `hq-server admin quarantine list`"
        );
    }
    tracing::info!(%outcome, "push finished");
    Ok(outcome)
}

/// Says Hello and settles where the push starts: an older epoch's lost tail resent first, a
/// ledger behind HQ held and refused, a ledger ahead of HQ's position rewound to it. Returns
/// the ledger's status to push from and the seq HQ holds of its epoch.
async fn agree_on_position(ledger: &SharedLedger, hq: &Hq) -> Result<(LedgerStatus, u64), PushError> {
    let mut status = ledger_status(ledger).await?;
    let greeting = greet(hq, ledger.path(), &status).await?;
    crate::refill::refill_older_epoch(ledger, hq, &status, &greeting).await?;
    if greeting.applied_seq > status.last_seq {
        let reason = format!("the ledger's last seq is {}", status.last_seq);
        hold_epoch(ledger, status.epoch, greeting.applied_seq, reason).await?;
        return Err(PushError::LedgerBehindHq {
            ledger: ledger.path().to_owned(),
            epoch: status.epoch,
            hq_applied_seq: greeting.applied_seq,
            ledger_last_seq: status.last_seq,
        });
    }
    if greeting.epoch == status.epoch && greeting.applied_seq < status.acked_seq {
        status = rewind_to_hq(ledger, &status, greeting.applied_seq).await?;
    }
    Ok((status, greeting.applied_seq))
}

/// One `Push` stream: the batch reader feeds it while the acknowledgements are recorded. At most
/// `batches_in_flight` batches are read and unacknowledged at a time: the reader waits for an
/// acknowledgement before it reads the next one, so memory stays bounded whatever the backlog.
/// The push fails if the stream, the reader (an error or a panic) or HQ's early end does.
async fn stream_outbox(
    ledger: &SharedLedger,
    hq: &Hq,
    limits: &Limits,
    stop: &StopSignal,
    status: &LedgerStatus,
    outcome: &mut PushOutcome,
) -> Result<(), PushError> {
    let (batch_sender, batch_receiver) = mpsc::channel::<PushBatch>(limits.batches_in_flight);
    let (sent_sender, mut sent_receiver) = mpsc::channel::<SentBatch>(limits.batches_in_flight);
    let reader = BatchReader {
        ledger_path: ledger.path().to_owned(),
        status: status.clone(),
        limits: limits.clone(),
        stop: stop.clone(),
    };
    let reading = reader.spawn(batch_sender, sent_sender);
    let streamed = receive_acks(ledger, hq, status, batch_receiver, &mut sent_receiver, outcome).await;
    // The stream is over (and dropped, which closes the batch channel): a reader waiting for
    // room in either channel stops instead of waiting forever.
    sent_receiver.close();
    let read = join_reader(ledger.path(), reading).await;
    if let (Err(stream_error), Err(read_error)) = (&streamed, &read) {
        tracing::error!(%stream_error, %read_error, "the outbox batch reader failed too");
    }
    streamed?;
    read?;
    let unacked = std::iter::from_fn(|| sent_receiver.try_recv().ok()).count();
    if unacked > 0 {
        return Err(PushError::StreamEndedEarly { unacked });
    }
    Ok(())
}

/// Opens the `Push` stream over `batches` and records each acknowledgement in the ledger, in
/// the order the batches were sent, until HQ closes the stream.
async fn receive_acks(
    ledger: &SharedLedger,
    hq: &Hq,
    status: &LedgerStatus,
    batches: mpsc::Receiver<PushBatch>,
    sent: &mut mpsc::Receiver<SentBatch>,
    outcome: &mut PushOutcome,
) -> Result<(), PushError> {
    let mut client = hq.client.clone();
    let opened = tokio::time::timeout(hq.reply_timeout, client.push(ReceiverStream::new(batches))).await;
    let mut acks = match opened {
        Ok(Ok(response)) => response.into_inner(),
        Ok(Err(status)) => return Err(push_status_error(hq, status)),
        Err(_) => return Err(push_timeout(hq)),
    };
    loop {
        let next = tokio::time::timeout(hq.reply_timeout, acks.message()).await;
        let ack = match next {
            Ok(Ok(Some(ack))) => ack,
            Ok(Ok(None)) => return Ok(()),
            Ok(Err(status)) => return Err(push_status_error(hq, status)),
            Err(_) => return Err(push_timeout(hq)),
        };
        let batch = check_ack(status, sent.recv().await, &ack)?;
        record_ack(ledger, ack.epoch, ack.acked_seq).await?;
        outcome.count_batch(batch, &ack);
        tracing::debug!(
            acked_seq = ack.acked_seq,
            applied = ack.applied,
            duplicates = ack.duplicates,
            "batch acknowledged"
        );
    }
}

impl PushOutcome {
    fn count_batch(&mut self, batch: SentBatch, ack: &PushAck) {
        self.batches += 1;
        self.entries_sent += batch.entries as u64;
        self.applied += u64::from(ack.applied);
        self.duplicates += u64::from(ack.duplicates);
        self.quarantined += u64::from(ack.quarantined);
        self.acked_seq = self.acked_seq.max(ack.acked_seq);
    }
}

/// A refusal of the push stream: a conflicting history is its own error (never retried blindly).
fn push_status_error(hq: &Hq, status: tonic::Status) -> PushError {
    if status.code() == tonic::Code::AlreadyExists {
        PushError::Conflict {
            message: status.message().to_owned(),
        }
    } else {
        hq.status_error("push", status).into()
    }
}

fn push_timeout(hq: &Hq) -> PushError {
    ClientError::Timeout {
        call: "push",
        timeout_ms: hq.reply_timeout.as_millis() as u64,
    }
    .into()
}

/// Matches an acknowledgement with the batch it answers (`None`: no batch awaits one).
fn check_ack(status: &LedgerStatus, batch: Option<SentBatch>, ack: &PushAck) -> Result<SentBatch, PushError> {
    let Some(batch) = batch else {
        return Err(PushError::AckWithoutBatch {
            ack_epoch: ack.epoch,
            acked_seq: ack.acked_seq,
        });
    };
    if ack.epoch != status.epoch
        || ack.acked_seq < batch.last_seq
        || ack.acked_seq > status.last_seq.max(batch.last_seq)
    {
        return Err(PushError::AckMismatch {
            epoch: status.epoch,
            batch_last_seq: batch.last_seq,
            ack_epoch: ack.epoch,
            acked_seq: ack.acked_seq,
        });
    }
    Ok(batch)
}

async fn ledger_status(ledger: &SharedLedger) -> Result<LedgerStatus, LedgerAccessError> {
    run_blocking(ledger, |ledger| ledger.status().map_err(Box::new)).await
}

/// HQ holds less than the ledger had acknowledged (restored from a copy, or it lost its last
/// commits): lower the ledger's acknowledged position to HQ's, say so, and resend from there.
async fn rewind_to_hq(
    ledger: &SharedLedger,
    status: &LedgerStatus,
    hq_applied_seq: u64,
) -> Result<LedgerStatus, LedgerAccessError> {
    let epoch = status.epoch;
    let rewind = run_blocking(ledger, move |ledger| {
        ledger.rewind_ack(epoch, hq_applied_seq).map_err(Box::new)
    })
    .await?;
    tracing::warn!(
        epoch,
        hq_applied_seq,
        ledger_acked_seq = rewind.ledger_acked_seq,
        "HQ holds less than the ledger had acknowledged (HQ restored from a copy?): resending from seq {}",
        hq_applied_seq + 1
    );
    ledger_status(ledger).await
}

/// Holds the epoch's appends until `epoch new`: HQ holds more of it than the ledger can vouch for.
async fn hold_epoch(
    ledger: &SharedLedger,
    epoch: u64,
    hq_applied_seq: u64,
    reason: String,
) -> Result<(), LedgerAccessError> {
    run_blocking(ledger, move |ledger| {
        ledger
            .hold_epoch(epoch, hq_applied_seq, &reason)
            .map_err(Box::new)
    })
    .await
}

async fn record_ack(ledger: &SharedLedger, epoch: u64, acked_seq: u64) -> Result<(), LedgerAccessError> {
    run_blocking(ledger, move |ledger| {
        ledger.record_ack(epoch, acked_seq).map_err(Box::new)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(epoch: u64, acked_seq: u64, last_seq: u64) -> LedgerStatus {
        LedgerStatus {
            branch: "SZ".into(),
            epoch,
            last_seq,
            acked_seq,
            backlog: last_seq - acked_seq,
            backlog_documents: 0,
            inbox_seq: 0,
            hq_rewind: None,
            hold: None,
        }
    }

    #[test]
    fn an_ack_without_a_batch_is_refused() {
        let ack = PushAck {
            epoch: 1,
            acked_seq: 3,
            ..PushAck::default()
        };
        let refused = check_ack(&status(1, 0, 3), None, &ack);
        assert!(
            matches!(refused, Err(PushError::AckWithoutBatch { .. })),
            "{refused:?}"
        );
        let batch = SentBatch {
            last_seq: 3,
            entries: 3,
        };
        assert_eq!(check_ack(&status(1, 0, 3), Some(batch), &ack).unwrap(), batch);
        let short = PushAck {
            epoch: 1,
            acked_seq: 2,
            ..PushAck::default()
        };
        assert!(matches!(
            check_ack(&status(1, 0, 3), Some(batch), &short),
            Err(PushError::AckMismatch { .. })
        ));
    }
}
