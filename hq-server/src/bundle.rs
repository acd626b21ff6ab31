//! Bundle files (docs/operations.md): a branch's outbox entries in the container format,
//! decoded into the same batch a network push would carry, so both paths share one ingestion.

use crate::store::ingest::batch::{Incoming, IngestBatch};
use branchline_shared::{decode_container, ContainerError, ContainerKind, EntryBody, OutboxEntry};
use prost::Message;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("bundle refused: {0}")]
    Container(#[from] ContainerError),
    #[error("bundle refused: the header names no epoch")]
    MissingEpoch,
    #[error("bundle refused: {count} entries, more than the {max} one batch may hold")]
    TooManyEntries { count: usize, max: usize },
    #[error("bundle line {line}: {reason}")]
    BadLine { line: usize, reason: String },
    #[error("bundle refused: the header's source is not a branch code: {0}")]
    BadSource(#[from] branchline_shared::CodeError),
}

/// A decoded bundle: whose it is and the batch to ingest.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The branch code in the header.
    pub source: String,
    pub batch: IngestBatch,
}

/// Verifies and decodes a bundle file. An entry that decodes but fails validation becomes a
/// malformed entry (quarantined at ingestion); a line that is not an entry refuses the file.
pub fn decode_bundle(bytes: &[u8], max_entries: usize) -> Result<Bundle, BundleError> {
    let (header, lines) = decode_container(bytes, ContainerKind::Bundle)?;
    let epoch = header.epoch.ok_or(BundleError::MissingEpoch)?;
    branchline_shared::validate_branch_code(&header.source)?;
    if lines.len() > max_entries {
        return Err(BundleError::TooManyEntries {
            count: lines.len(),
            max: max_entries,
        });
    }
    let mut entries = Vec::with_capacity(lines.len());
    for (line_idx, line) in lines.iter().enumerate() {
        // Line 1 of the file is the header.
        let line_no = line_idx + 2;
        let entry: OutboxEntry = serde_json::from_str(line).map_err(|error| BundleError::BadLine {
            line: line_no,
            reason: error.to_string(),
        })?;
        let invalid = match &entry.body {
            EntryBody::Document(document) => document.validate().err().map(|error| error.to_string()),
            EntryBody::BaseRecord(record) => record.validate().err().map(|error| error.to_string()),
            EntryBody::Rejection(_) => None,
        };
        entries.push(match invalid {
            // Hashed in its wire form, as the same entry arriving over the network is, so a
            // resend by the other path compares equal instead of looking like a conflict.
            Some(reason) => {
                let wire = branchline_proto::v1::OutboxEntry::from(&entry).encode_to_vec();
                Incoming::malformed(entry.seq, &wire, reason)
            }
            None => Incoming::from_entry(entry),
        });
    }
    Ok(Bundle {
        source: header.source,
        batch: IngestBatch::new(epoch, None, entries),
    })
}
