//! Pushes the ledger's unacknowledged outbox to HQ: `Hello`, then bounded batches streamed
//! from `acked_seq + 1` over one `Push` stream, a few batches in flight, each acknowledgement
//! recorded in the ledger as it arrives. Resending what HQ already holds is how a lost
//! acknowledgement is recognised (HQ answers duplicates); a ledger behind HQ or a conflicting
//! history stops the push with a clear error instead of guessing.

use crate::client::{ClientError, Hq};
use crate::config::Limits;
use crate::greeting::{greet, GreetingError};
use crate::ledger_access::{open_lean, open_shared, run_blocking, LedgerAccessError, SharedLedger};
use crate::shutdown::StopSignal;
use branch_node::{LedgerError, LedgerStatus};
use branchline_proto::v1::{PushAck, PushBatch};
use branchline_proto::PROTOCOL_VERSION;
use std::path::{Path, PathBuf};
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
    #[error("outbox of epoch {epoch} has a gap: expected seq {expected}, read {found}")]
    OutboxGap { epoch: u64, expected: u64, found: u64 },
    #[error("HQ acknowledged epoch {ack_epoch} seq {acked_seq} for a batch of epoch {epoch} ending at seq {batch_last_seq}")]
    AckMismatch {
        epoch: u64,
        batch_last_seq: u64,
        ack_epoch: u64,
        acked_seq: u64,
    },
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
    let mut status = ledger_status(&ledger).await?;
    let greeting = greet(hq, ledger_path, &status).await?;
    crate::refill::refill_older_epoch(&ledger, hq, &status, &greeting).await?;
    if greeting.applied_seq > status.last_seq {
        let reason = format!("the ledger's last seq is {}", status.last_seq);
        hold_epoch(&ledger, status.epoch, greeting.applied_seq, reason).await?;
        return Err(PushError::LedgerBehindHq {
            ledger: ledger_path.to_owned(),
            epoch: status.epoch,
            hq_applied_seq: greeting.applied_seq,
            ledger_last_seq: status.last_seq,
        });
    }
    if greeting.epoch == status.epoch && greeting.applied_seq < status.acked_seq {
        status = rewind_to_hq(&ledger, &status, greeting.applied_seq).await?;
    }
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
        hq_applied_seq = greeting.applied_seq,
        "pushing outbox"
    );

    let (batch_sender, batch_receiver) = tokio::sync::mpsc::channel::<PushBatch>(limits.batches_in_flight);
    let (sent_sender, mut sent_receiver) = tokio::sync::mpsc::unbounded_channel::<(u64, usize)>();
    let reader = spawn_batch_reader(
        ledger_path.to_owned(),
        status.clone(),
        limits.clone(),
        stop.clone(),
        batch_sender,
        sent_sender,
    );

    let mut client = hq.client.clone();
    let streamed = async {
        let opened =
            tokio::time::timeout(hq.reply_timeout, client.push(ReceiverStream::new(batch_receiver))).await;
        let mut acks = match opened {
            Ok(Ok(response)) => response.into_inner(),
            Ok(Err(status)) => return Err(push_status_error(hq, status)),
            Err(_) => return Err(push_timeout(hq)),
        };
        loop {
            let next = tokio::time::timeout(hq.reply_timeout, acks.message()).await;
            let ack = match next {
                Ok(Ok(Some(ack))) => ack,
                Ok(Ok(None)) => break,
                Ok(Err(status)) => return Err(push_status_error(hq, status)),
                Err(_) => return Err(push_timeout(hq)),
            };
            let (batch_last_seq, batch_len) = sent_receiver.recv().await.unwrap_or((u64::MAX, 0));
            check_ack(&status, batch_last_seq, &ack)?;
            record_ack(&ledger, ack.epoch, ack.acked_seq).await?;
            outcome.batches += 1;
            outcome.entries_sent += batch_len as u64;
            outcome.applied += u64::from(ack.applied);
            outcome.duplicates += u64::from(ack.duplicates);
            outcome.quarantined += u64::from(ack.quarantined);
            outcome.acked_seq = outcome.acked_seq.max(ack.acked_seq);
            tracing::debug!(
                acked_seq = ack.acked_seq,
                applied = ack.applied,
                duplicates = ack.duplicates,
                "batch acknowledged"
            );
        }
        Ok::<(), PushError>(())
    }
    .await;
    // Dropping the stream (on error) closes the batch channel, so the reader ends too.
    let read = reader.await.unwrap_or(Ok(()));
    if let Err(PushError::Conflict { message }) = &streamed {
        let reason = format!("its history contradicts the ledger's: {message}");
        hold_epoch(&ledger, status.epoch, greeting.applied_seq, reason).await?;
    }
    streamed?;
    read?;
    if let Ok((_, _)) = sent_receiver.try_recv() {
        let unacked = 1 + std::iter::from_fn(|| sent_receiver.try_recv().ok()).count();
        return Err(PushError::StreamEndedEarly { unacked });
    }
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

fn check_ack(status: &LedgerStatus, batch_last_seq: u64, ack: &PushAck) -> Result<(), PushError> {
    if ack.epoch != status.epoch
        || ack.acked_seq < batch_last_seq
        || ack.acked_seq > status.last_seq.max(batch_last_seq)
    {
        return Err(PushError::AckMismatch {
            epoch: status.epoch,
            batch_last_seq,
            ack_epoch: ack.epoch,
            acked_seq: ack.acked_seq,
        });
    }
    Ok(())
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

/// Reads bounded batches on a blocking thread (its own ledger connection) and feeds the push
/// stream through a bounded channel: memory stays at `batches_in_flight` batches whatever the
/// backlog. Each batch's last seq and size go to `sent` so acks can be matched in order.
fn spawn_batch_reader(
    ledger_path: PathBuf,
    status: LedgerStatus,
    limits: Limits,
    stop: StopSignal,
    batches: tokio::sync::mpsc::Sender<PushBatch>,
    sent: tokio::sync::mpsc::UnboundedSender<(u64, usize)>,
) -> tokio::task::JoinHandle<Result<(), PushError>> {
    tokio::task::spawn_blocking(move || {
        let ledger = open_lean(&ledger_path).map_err(|source| LedgerAccessError::Ledger {
            ledger: ledger_path.clone(),
            source,
        })?;
        let read_error = |source: LedgerError| LedgerAccessError::Ledger {
            ledger: ledger_path.clone(),
            source: Box::new(source),
        };
        let mut after_seq = status.acked_seq;
        while !stop.is_stopping() {
            let entries = ledger
                .outbox_after(after_seq, limits.batch_entries_max, limits.batch_bytes_max)
                .map_err(read_error)?;
            let Some(last) = entries.last() else { break };
            let (first_seq, last_seq) = (entries[0].seq, last.seq);
            if first_seq != after_seq + 1 || last_seq != first_seq + entries.len() as u64 - 1 {
                return Err(PushError::OutboxGap {
                    epoch: status.epoch,
                    expected: after_seq + 1,
                    found: first_seq,
                });
            }
            let batch = PushBatch {
                protocol_version: PROTOCOL_VERSION,
                epoch: status.epoch,
                backlog: status.last_seq.saturating_sub(last_seq),
                entries: entries.iter().map(Into::into).collect(),
                branch: status.branch.clone(),
            };
            if sent.send((last_seq, entries.len())).is_err() || batches.blocking_send(batch).is_err() {
                break;
            }
            after_seq = last_seq;
        }
        Ok(())
    })
}
