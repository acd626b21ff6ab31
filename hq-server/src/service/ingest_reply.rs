//! How an ingestion answers on the wire, for the transfer service's Push and UploadBundle and
//! the admin service's bundle import alike: the status of a refusal, the acknowledgement sent.

use crate::store::ingest::batch::{IngestAck, IngestError};
use crate::store::rollup::packed::PackError;
use crate::store::StoreError;
use branchline_proto::v1::PushAck;
use tonic::Status;

/// The status code of an ingestion refusal.
pub(crate) fn ingest_code(error: &IngestError) -> tonic::Code {
    match error {
        IngestError::ZeroEpoch | IngestError::ZeroSeq | IngestError::NotContiguous { .. } => {
            tonic::Code::InvalidArgument
        }
        IngestError::EpochTooOld { .. } | IngestError::Gap { .. } => tonic::Code::FailedPrecondition,
        IngestError::Conflict { .. } => tonic::Code::AlreadyExists,
        IngestError::UnknownBranch { .. } => tonic::Code::NotFound,
        // The batch would push a report roll-up sum past what HQ can hold; nothing was applied.
        IngestError::Store(StoreError::Packed(PackError::Overflow { .. })) => tonic::Code::OutOfRange,
        IngestError::Store(_) => tonic::Code::Internal,
    }
}

/// The status of an ingestion refusal.
pub(crate) fn ingest_status(error: IngestError) -> Status {
    let code = ingest_code(&error);
    if code == tonic::Code::Internal {
        tracing::error!(%error, "ingestion failed");
    }
    Status::new(code, error.to_string())
}

/// An ingestion's acknowledgement as sent.
pub(crate) fn ack_to_wire(ack: IngestAck) -> PushAck {
    PushAck {
        epoch: ack.epoch,
        acked_seq: ack.acked_seq,
        applied: ack.applied,
        duplicates: ack.duplicates,
        quarantined: ack.quarantined,
    }
}
