//! An epoch's counters and its outbox key space: the current epoch, each epoch's last and
//! acknowledged sequence numbers and document-number counter, and the `outbox` row ids of its
//! entries (`epoch << 32 | seq`).

use crate::error::LedgerError;
use rusqlite::{Connection, OptionalExtension};

/// The current epoch's counters, read inside a transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EpochRow {
    pub(crate) epoch: u64,
    pub(crate) last_seq: u64,
    pub(crate) acked_seq: u64,
    pub(crate) next_number: u64,
}

/// The current epoch's counters.
pub(crate) fn current_epoch(conn: &Connection) -> Result<EpochRow, LedgerError> {
    let epoch = conn
        .prepare_cached("SELECT epoch FROM ledger_info")?
        .query_row([], |row| row.get(0))?;
    epoch_counters(conn, epoch)?.ok_or(LedgerError::StoredData {
        what: "epoch".to_owned(),
        reason: format!("the current epoch {epoch} has no row"),
    })
}

/// Epoch `epoch`'s counters, if it exists: its row's values, raised to what its last outbox
/// entry carries (schema version 4: appends do not rewrite the epoch row).
pub(crate) fn epoch_counters(conn: &Connection, epoch: u64) -> Result<Option<EpochRow>, LedgerError> {
    let row = conn
        .prepare_cached(
            "SELECT e.last_seq, e.acked_seq, e.next_number, o.seq, o.next_number
             FROM epoch e LEFT JOIN outbox o ON o.id = (
                 SELECT id FROM outbox WHERE id > ?2 AND id <= ?3 ORDER BY id DESC LIMIT 1)
             WHERE e.epoch = ?1",
        )?
        .query_row(
            {
                let (first_id, last_id) = outbox_id_range(epoch, 0);
                (epoch, first_id, last_id)
            },
            |row| {
                Ok(EpochRow {
                    epoch,
                    last_seq: row
                        .get::<_, u64>(0)?
                        .max(row.get::<_, Option<u64>>(3)?.unwrap_or(0)),
                    acked_seq: row.get(1)?,
                    next_number: row
                        .get::<_, u64>(2)?
                        .max(row.get::<_, Option<u64>>(4)?.unwrap_or(0)),
                })
            },
        )
        .optional()?;
    Ok(row)
}

/// The `outbox` row id of entry `seq` of `epoch`: `epoch << 32 | seq`.
pub(crate) fn outbox_id(epoch: u64, seq: u64) -> i64 {
    assert!(seq <= SEQ_MAX, "outbox sequence {seq} beyond {SEQ_MAX}");
    ((epoch << 32) | seq) as i64
}

/// The largest sequence number an epoch's outbox holds.
const SEQ_MAX: u64 = u32::MAX as u64;

/// The (exclusive, inclusive) row-id bounds of `epoch`'s entries after `after_seq`.
pub(crate) fn outbox_id_range(epoch: u64, after_seq: u64) -> (i64, i64) {
    (
        outbox_id(epoch, after_seq.min(SEQ_MAX)),
        outbox_id(epoch, SEQ_MAX),
    )
}
