//! `epoch new`: starts the next epoch after the ledger was restored from an old copy, and
//! carries every entry of the old epoch that HQ never acknowledged into the new one, in order,
//! in the same transaction, so nothing confirmed is left behind. A document numbered by the
//! ledger in the old epoch may share its number with one HQ received from the lost history, so
//! it gets a fresh number of the new epoch (`SZ-000005` → `SZ-E2-000001`), and so do drafts
//! numbered in the old epoch; red documents pointing at a renumbered document follow it.
//! Numbers an operator chose are kept: HQ treats the same number with the same content as a
//! duplicate and quarantines one with other content, visibly.

use crate::doc_store::{find_head, free_number, load_document};
use crate::entry_json::checksum_and_outbox_json;
use crate::epoch::{current_epoch, outbox_id_range, EpochRow};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::outbox::{parse_entry_body, OutboxWriter};
use crate::schema::write_tx;
use branchline_shared::EntryBody;
use rusqlite::Connection;
use serde::Serialize;
use std::collections::HashMap;

/// What `epoch new` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEpochOutcome {
    pub epoch: u64,
    pub previous_epoch: u64,
    /// Unacknowledged entries of the previous epoch now at the start of the new one.
    pub carried: u64,
    /// (old number, new number), in outbox order, then drafts in entry order.
    pub renumbered: Vec<(String, String)>,
}

impl Ledger {
    /// Starts the next epoch: outbox numbering and generated document numbers restart there,
    /// and the previous epoch's unacknowledged entries are carried into it.
    pub fn new_epoch(&self) -> Result<NewEpochOutcome, LedgerError> {
        let tx = write_tx(&self.conn)?;
        let old = current_epoch(&tx)?;
        let unsent = unsent_entries(&tx, &old)?;
        tx.execute(
            "DELETE FROM outbox WHERE id > ?1 AND id <= ?2",
            outbox_id_range(old.epoch, old.acked_seq),
        )?;
        tx.execute(
            "UPDATE epoch SET last_seq = ?2 WHERE epoch = ?1",
            (old.epoch, old.acked_seq),
        )?;
        let next = old.epoch + 1;
        tx.execute(
            "INSERT INTO epoch (epoch, last_seq, acked_seq, next_number) VALUES (?1, 0, 0, 1)",
            [next],
        )?;
        tx.execute("UPDATE ledger_info SET epoch = ?1", [next])?;
        let mut renumbering = Renumbering {
            branch: &self.branch,
            old_epoch: old.epoch,
            new_epoch: EpochRow {
                epoch: next,
                last_seq: 0,
                acked_seq: 0,
                next_number: 1,
            },
            renamed: HashMap::new(),
            order: Vec::new(),
        };
        let mut bodies = Vec::with_capacity(unsent.len());
        for mut body in unsent {
            renumbering.renumber_entry(&tx, &mut body)?;
            bodies.push(body);
        }
        renumbering.renumber_drafts(&tx)?;
        let mut outbox = OutboxWriter::unchecked(&renumbering.new_epoch);
        outbox.set_next_number(renumbering.new_epoch.next_number);
        for body in &bodies {
            outbox.append(&tx, body)?;
        }
        outbox.finish(&tx)?;
        tx.commit()?;
        Ok(NewEpochOutcome {
            epoch: next,
            previous_epoch: old.epoch,
            carried: bodies.len() as u64,
            renumbered: renumbering.order,
        })
    }
}

/// The epoch's entries after its acknowledged position, in order, as full bodies (a reference
/// body is rebuilt from the document's row before that row is renumbered).
fn unsent_entries(conn: &Connection, epoch: &EpochRow) -> Result<Vec<EntryBody>, LedgerError> {
    let mut statement =
        conn.prepare("SELECT seq, body FROM outbox WHERE id > ?1 AND id <= ?2 ORDER BY id")?;
    let mut rows = statement.query(outbox_id_range(epoch.epoch, epoch.acked_seq))?;
    let mut bodies = Vec::new();
    while let Some(row) = rows.next()? {
        let seq: u64 = row.get(0)?;
        let body: String = row.get(1)?;
        bodies.push(parse_entry_body(conn, epoch.epoch, seq, &body)?);
    }
    Ok(bodies)
}

struct Renumbering<'b> {
    branch: &'b str,
    old_epoch: u64,
    /// The new epoch's counters; `next_number` advances as numbers are taken.
    new_epoch: EpochRow,
    renamed: HashMap<String, String>,
    order: Vec<(String, String)>,
}

impl Renumbering<'_> {
    /// Renumbers the document an entry carries or names, and its `red_of` when that moved.
    fn renumber_entry(&mut self, conn: &Connection, body: &mut EntryBody) -> Result<(), LedgerError> {
        match body {
            EntryBody::Document(document) => {
                if let Some(new_number) = self.renumber(conn, &document.number)? {
                    document.number = new_number;
                }
                if let Some(red_of) = &document.red_of {
                    if let Some(new_number) = self.renamed.get(red_of) {
                        document.red_of = Some(new_number.clone());
                    }
                }
            }
            EntryBody::Rejection(rejection) => {
                if let Some(new_number) = self.renumber(conn, &rejection.number)? {
                    rejection.number = new_number;
                }
            }
            EntryBody::BaseRecord(_) => {}
        }
        Ok(())
    }

    /// Drafts numbered by the ledger in the old epoch: confirming one later must not reuse a
    /// number HQ may hold.
    fn renumber_drafts(&mut self, conn: &Connection) -> Result<(), LedgerError> {
        let numbers = conn
            .prepare("SELECT number FROM document WHERE status = 'draft' ORDER BY id")?
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        for number in numbers {
            self.renumber(conn, &number)?;
        }
        Ok(())
    }

    /// Gives `number` a fresh number of the new epoch when the ledger generated it in the old
    /// one (and it was not renumbered already); rewrites its row, the red documents pointing at
    /// it and their checksums. Returns the new number.
    fn renumber(&mut self, conn: &Connection, number: &str) -> Result<Option<String>, LedgerError> {
        if let Some(new_number) = self.renamed.get(number) {
            return Ok(Some(new_number.clone()));
        }
        if !generated_in_epoch(self.branch, self.old_epoch, number) {
            return Ok(None);
        }
        let (new_number, next_counter) = free_number(conn, self.branch, &self.new_epoch)?;
        self.new_epoch.next_number = next_counter;
        conn.execute(
            "UPDATE document SET number = ?2 WHERE number = ?1",
            (number, &new_number),
        )?;
        refresh_checksum(conn, &new_number)?;
        let reds = conn
            .prepare("SELECT number FROM document WHERE red_of = ?1")?
            .query_map([number], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        conn.execute(
            "UPDATE document SET red_of = ?2 WHERE red_of = ?1",
            (number, &new_number),
        )?;
        for red in reds {
            refresh_checksum(conn, &red)?;
        }
        self.renamed.insert(number.to_owned(), new_number.clone());
        self.order.push((number.to_owned(), new_number.clone()));
        Ok(Some(new_number))
    }
}

/// Recomputes the stored content checksum of document `number` after its row changed.
fn refresh_checksum(conn: &Connection, number: &str) -> Result<(), LedgerError> {
    let Some(head) = find_head(conn, number)? else {
        return Ok(());
    };
    let stored = load_document(conn, head.id)?;
    let (checksum, _) = checksum_and_outbox_json(&stored.document);
    conn.execute(
        "UPDATE document SET checksum = ?2 WHERE id = ?1",
        (head.id, checksum),
    )?;
    Ok(())
}

/// Whether `number` has the shape of a number the ledger generates in `epoch`
/// (`SZ-000005` in epoch 1, `SZ-E2-000005` later; see `doc_store::free_number`).
fn generated_in_epoch(branch: &str, epoch: u64, number: &str) -> bool {
    let prefix = if epoch == 1 {
        format!("{branch}-")
    } else {
        format!("{branch}-E{epoch}-")
    };
    number
        .strip_prefix(&prefix)
        .is_some_and(|counter| counter.len() >= 6 && counter.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::generated_in_epoch;

    #[test]
    fn generated_numbers_are_recognised_per_epoch() {
        assert!(generated_in_epoch("SZ", 1, "SZ-000005"));
        assert!(!generated_in_epoch("SZ", 1, "SZ-E2-000005"));
        assert!(generated_in_epoch("SZ", 2, "SZ-E2-000005"));
        assert!(!generated_in_epoch("SZ", 2, "SZ-000005"));
        assert!(!generated_in_epoch("SZ", 1, "SZ-21-0000005"));
        assert!(!generated_in_epoch("SZ", 1, "SZ-00005"));
    }
}
