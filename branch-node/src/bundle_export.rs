//! Bundle files of the current epoch's unacknowledged outbox, for HQ without a network. A
//! backlog larger than one bundle may carry (HQ applies a bundle as one batch and receives it as
//! one message) is written as several bundles of consecutive sequence ranges.

use crate::epoch::{current_epoch, outbox_id_range};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::outbox::parse_entry_body;
use branchline_shared::{encode_container, ContainerHeader, ContainerKind, OutboxEntry};

/// Most entries of one bundle file by default: HQ's default for one batch.
pub(crate) const BUNDLE_ENTRIES_MAX: usize = 50_000;
/// Most body bytes of one bundle file by default, well under the message limits of HQ (64 MiB)
/// and of the agent uploading a dropped bundle (16 MiB).
pub(crate) const BUNDLE_BYTES_MAX: usize = 8 << 20;

/// How large one bundle file may grow; a file holds at least one entry, however large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleBound {
    pub entries_max: usize,
    pub bytes_max: usize,
}

impl Default for BundleBound {
    fn default() -> BundleBound {
        BundleBound {
            entries_max: BUNDLE_ENTRIES_MAX,
            bytes_max: BUNDLE_BYTES_MAX,
        }
    }
}

/// One encoded bundle file and the range it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub epoch: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub entries: u64,
    pub bytes: Vec<u8>,
}

/// Entry lines of one bundle being filled.
struct Pending {
    first_seq: u64,
    lines: Vec<String>,
    bytes: usize,
}

impl Ledger {
    /// One bundle file of the whole unacknowledged outbox, however large.
    pub fn export_bundle(&self) -> Result<Vec<u8>, LedgerError> {
        let unbounded = BundleBound {
            entries_max: usize::MAX,
            bytes_max: usize::MAX,
        };
        let mut whole = Vec::new();
        self.export_bundles(unbounded, |file| {
            whole = file.bytes;
            Ok::<(), LedgerError>(())
        })?;
        Ok(whole)
    }

    /// Hands `sink` the unacknowledged outbox as bundle files within `bound`, in sequence order
    /// (one empty bundle when nothing is unacknowledged); returns how many files it made.
    pub fn export_bundles<E: From<LedgerError>>(
        &self,
        bound: BundleBound,
        sink: impl FnMut(BundleFile) -> Result<(), E>,
    ) -> Result<u64, E> {
        let epoch = {
            let tx = self.conn.unchecked_transaction().map_err(LedgerError::from)?;
            current_epoch(&tx)?
        };
        self.export_epoch_bundles(epoch.epoch, epoch.acked_seq, bound, sink)
    }

    /// Hands `sink` the entries of `epoch` after `after_seq` as bundle files within `bound`, in
    /// sequence order (one empty bundle when there are none): how an older epoch's tail is
    /// resent to an HQ restored to before the ledger's newer epoch.
    pub fn export_epoch_bundles<E: From<LedgerError>>(
        &self,
        epoch: u64,
        after_seq: u64,
        bound: BundleBound,
        mut sink: impl FnMut(BundleFile) -> Result<(), E>,
    ) -> Result<u64, E> {
        let tx = self.conn.unchecked_transaction().map_err(LedgerError::from)?;
        let mut statement = tx
            .prepare_cached("SELECT seq, body FROM outbox WHERE id > ?1 AND id <= ?2 ORDER BY id")
            .map_err(LedgerError::from)?;
        let mut rows = statement
            .query(outbox_id_range(epoch, after_seq))
            .map_err(LedgerError::from)?;
        let mut pending = Pending::after(after_seq);
        let mut n_files = 0;
        while let Some(row) = rows.next().map_err(LedgerError::from)? {
            let seq: u64 = row.get(0).map_err(LedgerError::from)?;
            let body: String = row.get(1).map_err(LedgerError::from)?;
            let entry = OutboxEntry {
                seq,
                body: parse_entry_body(&tx, epoch, seq, &body)?,
            };
            let line = serde_json::to_string(&entry).expect("outbox entries always serialize");
            if pending.is_full_before(&line, bound) {
                sink(pending.encode(&self.branch, epoch))?;
                n_files += 1;
                pending = Pending::after(seq - 1);
            }
            pending.bytes += line.len() + 1;
            pending.lines.push(line);
        }
        if n_files == 0 || !pending.lines.is_empty() {
            sink(pending.encode(&self.branch, epoch))?;
            n_files += 1;
        }
        Ok(n_files)
    }
}

impl Pending {
    fn after(seq: u64) -> Pending {
        Pending {
            first_seq: seq + 1,
            lines: Vec::new(),
            bytes: 0,
        }
    }

    /// Whether `line` would take this bundle past `bound` (never for its first entry).
    fn is_full_before(&self, line: &str, bound: BundleBound) -> bool {
        !self.lines.is_empty()
            && (self.lines.len() >= bound.entries_max || self.bytes + line.len() + 1 > bound.bytes_max)
    }

    fn encode(self, branch: &str, epoch: u64) -> BundleFile {
        let entries = self.lines.len() as u64;
        let last_seq = self.first_seq + entries - 1;
        let header = ContainerHeader {
            format: ContainerKind::Bundle,
            format_version: 0,
            source: branch.to_owned(),
            epoch: Some(epoch),
            first_seq: Some(self.first_seq),
            last_seq: Some(last_seq),
            template_name: None,
            template_version: None,
            entries: 0,
            body_sha256: String::new(),
        };
        BundleFile {
            epoch,
            first_seq: self.first_seq,
            last_seq,
            entries,
            bytes: encode_container(header, &self.lines),
        }
    }
}
