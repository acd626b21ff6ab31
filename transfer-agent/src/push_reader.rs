//! The push's batch reader: reads the unacknowledged outbox in bounded batches on a blocking
//! thread, with its own ledger connection, and feeds them to the push stream, announcing each
//! batch so its acknowledgement can be matched. Both channels are bounded: the reader waits
//! while `batches_in_flight` batches are unacknowledged, so memory stays bounded whatever the
//! backlog. Each batch carries the backlog (entries and documents) the ledger has once it is
//! acknowledged. A reader that fails or panics is an error of the push, never a silent end.

use crate::config::limits::Limits;
use crate::ledger_access::{open_lean, LedgerAccessError};
use crate::shutdown::StopSignal;
use branch_node::LedgerStatus;
use branchline_proto::v1::PushBatch;
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::EntryBody;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum BatchReadError {
    #[error(transparent)]
    Ledger(#[from] LedgerAccessError),
    #[error("outbox of epoch {epoch} has a gap: expected seq {expected}, read {found}")]
    OutboxGap { epoch: u64, expected: u64, found: u64 },
}

/// A batch handed to the push stream, waiting for its acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SentBatch {
    pub(crate) last_seq: u64,
    pub(crate) entries: usize,
}

/// Reads batches from the ledger's acknowledged position (`status.acked_seq`) to its end.
pub(crate) struct BatchReader {
    pub(crate) ledger_path: PathBuf,
    pub(crate) status: LedgerStatus,
    pub(crate) limits: Limits,
    pub(crate) stop: StopSignal,
}

impl BatchReader {
    /// Runs the reader on the blocking pool; see [`join_reader`] for its result.
    pub(crate) fn spawn(
        self,
        batches: mpsc::Sender<PushBatch>,
        sent: mpsc::Sender<SentBatch>,
    ) -> JoinHandle<Result<(), BatchReadError>> {
        tokio::task::spawn_blocking(move || self.run(&batches, &sent))
    }

    /// Each batch is announced on `sent` (its last seq and size, so acknowledgements are matched
    /// in order) before it goes to `batches`. Ends at the outbox's end, on a stop request, or
    /// when either channel is closed (the stream is over).
    fn run(
        self,
        batches: &mpsc::Sender<PushBatch>,
        sent: &mpsc::Sender<SentBatch>,
    ) -> Result<(), BatchReadError> {
        let ledger_error = |source| LedgerAccessError::Ledger {
            ledger: self.ledger_path.clone(),
            source,
        };
        let ledger = open_lean(&self.ledger_path).map_err(ledger_error)?;
        let mut after_seq = self.status.acked_seq;
        let mut documents_left = self.status.backlog_documents;
        while !self.stop.is_stopping() {
            let entries = ledger
                .outbox_after(
                    after_seq,
                    self.limits.batch_entries_max,
                    self.limits.batch_bytes_max,
                )
                .map_err(|source| ledger_error(Box::new(source)))?;
            let Some(last) = entries.last() else { break };
            let (first_seq, last_seq) = (entries[0].seq, last.seq);
            if first_seq != after_seq + 1 || last_seq != first_seq + entries.len() as u64 - 1 {
                return Err(BatchReadError::OutboxGap {
                    epoch: self.status.epoch,
                    expected: after_seq + 1,
                    found: first_seq,
                });
            }
            let documents = entries
                .iter()
                .filter(|entry| matches!(entry.body, EntryBody::Document(_)))
                .count();
            documents_left = documents_left.saturating_sub(documents as u64);
            let batch = PushBatch {
                protocol_version: PROTOCOL_VERSION,
                epoch: self.status.epoch,
                backlog: self.status.last_seq.saturating_sub(last_seq),
                entries: entries.iter().map(Into::into).collect(),
                branch: self.status.branch.clone(),
                backlog_documents: documents_left,
            };
            let announced = SentBatch {
                last_seq,
                entries: entries.len(),
            };
            if sent.blocking_send(announced).is_err() || batches.blocking_send(batch).is_err() {
                break;
            }
            after_seq = last_seq;
        }
        Ok(())
    }
}

/// The batch reader's own result. A reader that panicked (or never ran to its end) fails the
/// push like any other error: the batches it did not read were never sent.
pub(crate) async fn join_reader(
    ledger_path: &Path,
    reading: JoinHandle<Result<(), BatchReadError>>,
) -> Result<(), BatchReadError> {
    match reading.await {
        Ok(read) => read,
        Err(join_error) => Err(LedgerAccessError::Panicked {
            ledger: ledger_path.to_owned(),
            reason: join_error.to_string(),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use branch_node::Ledger;
    use branchline_shared::{BaseKind, BaseRecord};

    #[tokio::test]
    async fn a_panicking_reader_fails_the_push() {
        let reading =
            tokio::task::spawn_blocking(|| -> Result<(), BatchReadError> { panic!("reader broke") });
        let read = join_reader(Path::new("sz.db"), reading).await;
        assert!(
            matches!(
                read,
                Err(BatchReadError::Ledger(LedgerAccessError::Panicked { .. }))
            ),
            "{read:?}"
        );
    }

    #[tokio::test]
    async fn a_failing_reader_fails_the_push() {
        let reading = tokio::task::spawn_blocking(|| {
            Err(BatchReadError::OutboxGap {
                epoch: 1,
                expected: 5,
                found: 7,
            })
        });
        let read = join_reader(Path::new("sz.db"), reading).await;
        assert!(matches!(read, Err(BatchReadError::OutboxGap { .. })), "{read:?}");
    }

    /// With nobody acknowledging, the reader stops after `batches_in_flight` batches.
    #[tokio::test]
    async fn the_reader_waits_for_acknowledgements() {
        let dir = tempfile::tempdir().unwrap();
        let ledger_path = dir.path().join("sz.db");
        let ledger = Ledger::create(&ledger_path, "SZ", "Shenzhen", false).unwrap();
        for product_idx in 0..8 {
            let code = format!("P{product_idx}");
            ledger
                .add_base_record(&BaseRecord::new(BaseKind::Product, &code, &code))
                .unwrap();
        }
        let status = ledger.status().unwrap();
        assert_eq!(status.last_seq, 8);
        drop(ledger);
        let limits = Limits {
            batch_entries_max: 1,
            batches_in_flight: 2,
            ..Limits::default()
        };
        let (_stop_handle, stop) = crate::shutdown::stop_pair();
        let (batch_sender, batch_receiver) = mpsc::channel::<PushBatch>(limits.batches_in_flight);
        let (sent_sender, sent_receiver) = mpsc::channel::<SentBatch>(limits.batches_in_flight);
        let reader = BatchReader {
            ledger_path,
            status,
            limits,
            stop,
        };
        let reading = reader.spawn(batch_sender, sent_sender);
        while batch_receiver.len() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        // Time for a reader that does not wait to read a third batch.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!((sent_receiver.len(), batch_receiver.len()), (2, 2));
        drop((batch_receiver, sent_receiver));
        join_reader(Path::new("sz.db"), reading).await.unwrap();
    }
}
