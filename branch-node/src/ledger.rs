//! The branch ledger (账套): one SQLite file a branch keeps and writes offline.
//!
//! `Ledger` owns the connection. Its operations live in sibling modules (`base_data`,
//! `documents`, `import`, `inbox`, `outbox`, `stock`), each adding an `impl Ledger` block.
//! Every write is one `BEGIN IMMEDIATE` transaction, so the transfer agent and `branch-node`
//! commands can use the same file at the same time.

use crate::outbox::outbox_id_range;
use crate::schema;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use std::path::{Path, PathBuf};

pub use crate::error::LedgerError;
pub use crate::inbox::TemplateOutcome;

/// A branch ledger file, open.
pub struct Ledger {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) branch: String,
    pub(crate) allow_negative_stock: bool,
    /// Base-data codes this handle has seen present (they are never deleted).
    pub(crate) present_codes: crate::posting::KnownCodes,
}

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
    pub hq_rewind: Option<crate::hq_position::HqRewind>,
    /// Set while the current epoch's appends are held: HQ holds more of it than the ledger.
    pub hold: Option<crate::hq_position::HqHold>,
}

/// One confirmed document as reconcile compares it with HQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentChecksum {
    pub number: String,
    pub doc_type: branchline_shared::DocType,
    /// `YYYY-MM` of the document date.
    pub month: String,
    /// `Document::content_checksum()`.
    pub checksum: String,
}

/// The current epoch's counters, read inside a transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EpochRow {
    pub(crate) epoch: u64,
    pub(crate) last_seq: u64,
    pub(crate) acked_seq: u64,
    pub(crate) next_number: u64,
}

impl Ledger {
    /// Creates a new ledger file for `branch`. Refuses an existing path or an invalid code.
    pub fn create(
        path: &Path,
        branch: &str,
        name: &str,
        allow_negative_stock: bool,
    ) -> Result<Ledger, LedgerError> {
        branchline_shared::validate_branch_code(branch)?;
        if name.trim().is_empty() {
            return Err(LedgerError::EmptyLedgerName);
        }
        let conn = schema::create_file(path)?;
        let tx = schema::write_tx(&conn)?;
        tx.execute(
            "INSERT INTO ledger_info (singleton, branch, name, allow_negative_stock, epoch, inbox_seq)
             VALUES (1, ?1, ?2, ?3, 1, 0)",
            (branch, name, allow_negative_stock),
        )?;
        tx.execute(
            "INSERT INTO epoch (epoch, last_seq, acked_seq, next_number) VALUES (1, 0, 0, 1)",
            [],
        )?;
        tx.commit()?;
        Ledger::from_connection(conn, path)
    }

    /// Opens an existing ledger. A missing file, a file that is not a Branchline ledger, a
    /// corrupt one or one with a newer schema is refused with a typed error; never creates a file.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let conn = schema::open_file(path)?;
        Ledger::from_connection(conn, path)
    }

    fn from_connection(conn: Connection, path: &Path) -> Result<Ledger, LedgerError> {
        let info = conn
            .query_row(
                "SELECT branch, allow_negative_stock FROM ledger_info WHERE singleton = 1",
                [],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?)),
            )
            .optional()?;
        let Some((branch, allow_negative_stock)) = info else {
            return Err(LedgerError::NotALedger {
                path: path.to_owned(),
                reason: "no ledger settings (was `branch-node init` interrupted?)".to_owned(),
            });
        };
        Ok(Ledger {
            conn,
            path: path.to_owned(),
            branch,
            allow_negative_stock,
            present_codes: Default::default(),
        })
    }

    /// The file this ledger lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The branch code this ledger belongs to.
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// Whether confirming may drive stock below zero.
    pub fn allows_negative_stock(&self) -> bool {
        self.allow_negative_stock
    }

    /// Epoch, outbox and inbox positions.
    pub fn status(&self) -> Result<LedgerStatus, LedgerError> {
        let tx = self.conn.unchecked_transaction()?;
        let epoch = current_epoch(&tx)?;
        let backlog_documents: u64 = tx
            .prepare_cached("SELECT count(*) FROM outbox WHERE id > ?1 AND id <= ?2 AND is_document = 1")?
            .query_row(
                crate::outbox::outbox_id_range(epoch.epoch, epoch.acked_seq),
                |row| row.get(0),
            )?;
        let inbox_seq: u64 = tx.query_row("SELECT inbox_seq FROM ledger_info", [], |row| row.get(0))?;
        Ok(LedgerStatus {
            branch: self.branch.clone(),
            epoch: epoch.epoch,
            last_seq: epoch.last_seq,
            acked_seq: epoch.acked_seq,
            backlog: epoch.last_seq - epoch.acked_seq,
            backlog_documents,
            inbox_seq,
            hq_rewind: crate::hq_position::last_rewind(&tx)?,
            hold: crate::hq_position::epoch_hold(&tx, epoch.epoch)?,
        })
    }

    /// Every confirmed document with its month and content checksum, ordered by number.
    pub fn document_checksums(&self) -> Result<Vec<DocumentChecksum>, LedgerError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT number, doc_type, substr(date, 1, 7), checksum, id FROM document
             WHERE status = 'confirmed' ORDER BY number",
        )?;
        let rows = statement.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, i64>(4)?,
            ))
        })?;
        let mut checksums = Vec::new();
        for row in rows {
            let (number, doc_type, month, column, id) = row?;
            checksums.push(DocumentChecksum {
                doc_type: parse_stored_doc_type(&doc_type)?,
                number,
                month,
                checksum: crate::doc_store::stored_checksum(&self.conn, id, &column)?,
            });
        }
        Ok(checksums)
    }
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

pub(crate) fn parse_stored_doc_type(text: &str) -> Result<branchline_shared::DocType, LedgerError> {
    branchline_shared::DocType::parse(text).map_err(|error| LedgerError::StoredData {
        what: "document type".to_owned(),
        reason: error.to_string(),
    })
}

impl Ledger {
    /// Caps this connection's SQLite page cache at `kib` KiB. The default (sized for bulk
    /// imports) is large; a long-running reader such as the transfer agent streaming a big
    /// outbox uses this to keep its memory flat whatever the ledger's size.
    pub fn set_page_cache_kib(&self, kib: u32) -> Result<(), LedgerError> {
        self.conn.pragma_update(None, "cache_size", -i64::from(kib))?;
        Ok(())
    }
}
