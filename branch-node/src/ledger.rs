//! The branch ledger (账套): one SQLite file a branch keeps and writes offline.
//!
//! `Ledger` owns the connection; this module creates and opens the file and nothing more. Its
//! operations live in the modules above it (`base_data`, `documents`, `import`, `inbox`,
//! `outbox`, `stock`, ...), each adding an `impl Ledger` block; this module uses none of them.
//! Every write is one `BEGIN IMMEDIATE` transaction, so the transfer agent and `branch-node`
//! commands can use the same file at the same time.

use crate::error::LedgerError;
use crate::schema;
use rusqlite::{Connection, OptionalExtension};
use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A branch ledger file, open.
pub struct Ledger {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) branch: String,
    pub(crate) allow_negative_stock: bool,
    /// Base-data codes this handle has seen present (they are never deleted).
    pub(crate) present_codes: KnownCodes,
}

/// Codes a ledger handle has seen present, per kind (index of `BaseKind::ALL`). Base records are
/// never deleted from a ledger, by this connection or any other, so a code seen present stays
/// present: single-document writes skip the lookup for it.
pub(crate) type KnownCodes = RefCell<[HashSet<String>; 4]>;

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

    /// Caps this connection's SQLite page cache at `kib` KiB. The default (sized for bulk
    /// imports) is large; a long-running reader such as the transfer agent streaming a big
    /// outbox uses this to keep its memory flat whatever the ledger's size.
    pub fn set_page_cache_kib(&self, kib: u32) -> Result<(), LedgerError> {
        self.conn.pragma_update(None, "cache_size", -i64::from(kib))?;
        Ok(())
    }
}
