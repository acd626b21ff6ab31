//! Where the ledger's outbox and inbox stand (`branch-node status`, the transfer agent's
//! greeting): epoch, last and acknowledged sequence, backlog, inbox position and what is known
//! of HQ's position.

use crate::epoch::{current_epoch, outbox_id_range};
use crate::error::LedgerError;
use crate::hq_position::{epoch_hold, last_rewind, HqHold, HqRewind};
use crate::ledger::Ledger;
use serde::Serialize;

/// Where the ledger's outbox and inbox stand (`branch-node status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerStatus {
    pub branch: String,
    pub epoch: u64,
    pub last_seq: u64,
    pub acked_seq: u64,
    pub backlog: u64,
    pub backlog_documents: u64,
    pub inbox_seq: u64,
    /// The last time HQ held less than the ledger had acknowledged (and the entries were resent).
    pub hq_rewind: Option<HqRewind>,
    /// Set while the current epoch's appends are held: HQ holds more of it than the ledger.
    pub hold: Option<HqHold>,
}

impl Ledger {
    /// Epoch, outbox and inbox positions.
    pub fn status(&self) -> Result<LedgerStatus, LedgerError> {
        let tx = self.conn.unchecked_transaction()?;
        let epoch = current_epoch(&tx)?;
        let backlog_documents: u64 = tx
            .prepare_cached("SELECT count(*) FROM outbox WHERE id > ?1 AND id <= ?2 AND is_document = 1")?
            .query_row(outbox_id_range(epoch.epoch, epoch.acked_seq), |row| row.get(0))?;
        let inbox_seq: u64 = tx.query_row("SELECT inbox_seq FROM ledger_info", [], |row| row.get(0))?;
        Ok(LedgerStatus {
            branch: self.branch.clone(),
            epoch: epoch.epoch,
            last_seq: epoch.last_seq,
            acked_seq: epoch.acked_seq,
            backlog: epoch.last_seq - epoch.acked_seq,
            backlog_documents,
            inbox_seq,
            hq_rewind: last_rewind(&tx)?,
            hold: epoch_hold(&tx, epoch.epoch)?,
        })
    }
}
