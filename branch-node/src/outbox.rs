//! The outbox: what the ledger must send to HQ, numbered gaplessly per epoch (docs/guarantees.md).
//!
//! Entries are appended by `OutboxWriter` inside the same transaction as the change they record;
//! the transfer agent reads them with `outbox_after` and records HQ's acknowledgement.

use crate::epoch::{current_epoch, epoch_counters, outbox_id, outbox_id_range, EpochRow};
use crate::error::LedgerError;
use crate::hq_position::check_not_held;
use crate::ledger::Ledger;
use crate::outbox_ref::{entry_json_len, is_ref_body, load_ref_entry};
use crate::row_insert::insert_rows;
use crate::schema::write_tx;
use branchline_shared::{EntryBody, OutboxEntry};
use rusqlite::Connection;

/// Appends entries to the current epoch's outbox within one open transaction.
pub(crate) struct OutboxWriter {
    epoch: u64,
    last_seq: u64,
    written: u64,
    /// The epoch's document-number counter, carried by every appended entry.
    next_number: u64,
    /// Whether a number was taken since `start` (the counter must then be stored).
    number_taken: bool,
}

impl OutboxWriter {
    /// Starts appending after the current epoch's last entry. Call inside a write transaction.
    pub(crate) fn start(conn: &Connection) -> Result<OutboxWriter, LedgerError> {
        OutboxWriter::from_epoch(conn, &current_epoch(conn)?)
    }

    /// Starts appending after `epoch`'s last entry, read in this transaction. Refuses an epoch
    /// held because HQ holds more of it than the ledger (`hq_position`).
    pub(crate) fn from_epoch(conn: &Connection, epoch: &EpochRow) -> Result<OutboxWriter, LedgerError> {
        check_not_held(conn, epoch.epoch)?;
        Ok(OutboxWriter::unchecked(epoch))
    }

    /// Starts appending after `epoch`'s last entry without looking for a hold.
    pub(crate) fn unchecked(epoch: &EpochRow) -> OutboxWriter {
        OutboxWriter {
            epoch: epoch.epoch,
            last_seq: epoch.last_seq,
            written: 0,
            next_number: epoch.next_number,
            number_taken: false,
        }
    }

    /// Records that a number was taken (`free_number`): the entries appended from now on carry
    /// `counter`, or `finish` writes it to the epoch row when there are none.
    pub(crate) fn set_next_number(&mut self, counter: u64) {
        self.next_number = counter;
        self.number_taken = true;
    }

    /// Appends one entry; returns its sequence number.
    pub(crate) fn append(&mut self, conn: &Connection, body: &EntryBody) -> Result<u64, LedgerError> {
        self.append_json(conn, matches!(body, EntryBody::Document(_)), &body.to_json())
    }

    /// Appends one entry already serialized with `EntryBody::to_json`.
    pub(crate) fn append_json(
        &mut self,
        conn: &Connection,
        is_document: bool,
        json: &str,
    ) -> Result<u64, LedgerError> {
        self.append_json_many(conn, is_document, &[json])
    }

    /// Appends entries already serialized with `EntryBody::to_json`, in order;
    /// returns the last one's sequence number.
    pub(crate) fn append_json_many<S: AsRef<str>>(
        &mut self,
        conn: &Connection,
        is_document: bool,
        jsons: &[S],
    ) -> Result<u64, LedgerError> {
        let first_seq = self.last_seq + 1;
        insert_rows(
            conn,
            "outbox (id, epoch, seq, is_document, body, next_number)",
            6,
            jsons.len(),
            |binder, entry_idx| {
                let seq = first_seq + entry_idx as u64;
                binder.bind(outbox_id(self.epoch, seq))?;
                binder.bind(self.epoch)?;
                binder.bind(seq)?;
                binder.bind(is_document)?;
                binder.bind(jsons[entry_idx].as_ref())?;
                binder.bind(self.next_number)
            },
        )?;
        self.last_seq += jsons.len() as u64;
        self.written += jsons.len() as u64;
        Ok(self.last_seq)
    }

    /// Call before committing. The appended entries already carry the epoch's last seq and
    /// number counter (`epoch::epoch_counters`); only a number taken with no entry after it
    /// (a draft) is written to the epoch row.
    pub(crate) fn finish(self, conn: &Connection) -> Result<(), LedgerError> {
        if self.number_taken && self.written == 0 {
            conn.prepare_cached("UPDATE epoch SET next_number = ?2 WHERE epoch = ?1")?
                .execute((self.epoch, self.next_number))?;
        }
        Ok(())
    }
}

impl Ledger {
    /// Current-epoch entries with `seq > after_seq`, ascending, at most `max_entries` and about
    /// `max_bytes` of JSON, but at least one entry when there is any.
    pub fn outbox_after(
        &self,
        after_seq: u64,
        max_entries: usize,
        max_bytes: usize,
    ) -> Result<Vec<OutboxEntry>, LedgerError> {
        let tx = self.conn.unchecked_transaction()?;
        let epoch = current_epoch(&tx)?.epoch;
        let mut statement = tx
            .prepare_cached("SELECT seq, body FROM outbox WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3")?;
        let (first_id, last_id) = outbox_id_range(epoch, after_seq);
        let mut rows = statement.query((first_id, last_id, max_entries.max(1) as i64))?;
        let mut entries = Vec::new();
        let mut n_bytes = 0usize;
        while let Some(row) = rows.next()? {
            let seq: u64 = row.get(0)?;
            let body: String = row.get(1)?;
            let entry_body = parse_entry_body(&tx, epoch, seq, &body)?;
            // A reference body is short; count the entry it stands for.
            let entry_bytes = if is_ref_body(&body) {
                entry_json_len(&entry_body)
            } else {
                body.len()
            };
            if !entries.is_empty() && n_bytes + entry_bytes > max_bytes {
                break;
            }
            n_bytes += entry_bytes;
            entries.push(OutboxEntry {
                seq,
                body: entry_body,
            });
        }
        Ok(entries)
    }

    /// Records that HQ holds entries up to `acked_seq` of `epoch`. Never lowers the mark;
    /// refuses a mark beyond the epoch's last entry.
    pub fn record_ack(&self, epoch: u64, acked_seq: u64) -> Result<(), LedgerError> {
        let tx = write_tx(&self.conn)?;
        let current = current_epoch(&tx)?.epoch;
        let Some(EpochRow {
            last_seq,
            acked_seq: old_acked_seq,
            ..
        }) = epoch_counters(&tx, epoch)?
        else {
            return Err(LedgerError::UnknownEpoch { epoch, current });
        };
        if acked_seq > last_seq {
            return Err(LedgerError::AckBeyondLast {
                epoch,
                acked_seq,
                last_seq,
            });
        }
        if acked_seq > old_acked_seq {
            tx.execute(
                "UPDATE epoch SET acked_seq = ?2 WHERE epoch = ?1",
                (epoch, acked_seq),
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// The entry an outbox body holds: the entry's JSON, or a reference to a confirmed document's
/// rows (`outbox_ref`).
pub(crate) fn parse_entry_body(
    conn: &Connection,
    epoch: u64,
    seq: u64,
    body: &str,
) -> Result<EntryBody, LedgerError> {
    if is_ref_body(body) {
        return load_ref_entry(conn, body);
    }
    serde_json::from_str(body).map_err(|error| LedgerError::StoredData {
        what: format!("outbox entry {epoch}/{seq}"),
        reason: error.to_string(),
    })
}
