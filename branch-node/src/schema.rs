//! The ledger's SQLite schema: versioned migrations, connection settings and file checks.
//!
//! Decimals are stored as scaled integers (quantities ×10⁴, prices ×10⁶, rates ×10⁴, money ×10²)
//! or canonical text (base-data prices); never REAL or NUMERIC affinity.

use crate::error::LedgerError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// `PRAGMA application_id` of a Branchline ledger ("BrLn").
pub const APPLICATION_ID: i64 = 0x4272_4c6e;

/// How long a writer waits for another process's write transaction (a `doc import` of a large
/// file holds the write lock for its whole run; the workbench, the CLI and the agent wait it out
/// rather than refuse). Past it, the write is refused as `LedgerError::Busy`, nothing changed.
pub const BUSY_TIMEOUT_MS: u64 = 60_000;

/// Page cache per connection, in KiB.
const CACHE_KIB: i64 = 64 * 1024;

/// Page size of a new ledger file. An interactive confirm is one small synchronous=FULL
/// transaction that writes four b-tree pages; at 2 KiB they are about 8 KiB of WAL per commit
/// instead of 16 KiB, which on a fast disk is what a confirm waits for (BENCHMARKS.md, "bench
/// ledger"). 1 KiB pages slowed bulk imports too much. Existing ledgers keep their page size.
pub const PAGE_SIZE: i64 = 2048;

/// Scales of the stored integers.
pub(crate) const QTY_SCALE: u32 = 4;
pub(crate) const PRICE_SCALE: u32 = 6;
pub(crate) const RATE_SCALE: u32 = 4;
pub(crate) const MONEY_SCALE: u32 = 2;

/// Migrations, applied in order; `user_version` counts the applied ones.
const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    CREATE TABLE ledger_info (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        branch TEXT NOT NULL,
        name TEXT NOT NULL,
        allow_negative_stock INTEGER NOT NULL,
        epoch INTEGER NOT NULL,
        inbox_seq INTEGER NOT NULL
    );
    CREATE TABLE epoch (
        epoch INTEGER PRIMARY KEY,
        last_seq INTEGER NOT NULL,
        acked_seq INTEGER NOT NULL,
        next_number INTEGER NOT NULL
    );
    -- A rowid table keyed `epoch << 32 | seq`: entries are appended in key order, and the
    -- ~0.5 KB bodies stay out of the interior pages (a WITHOUT ROWID table would copy them there).
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        epoch INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        is_document INTEGER NOT NULL,
        body TEXT NOT NULL,
        CHECK (id = (epoch << 32) | seq)
    );
    CREATE TABLE base_record (
        kind TEXT NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        unit TEXT NOT NULL,
        price TEXT,
        branch TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin = 'local' OR origin = 'hq'),
        PRIMARY KEY (kind, code)
    ) WITHOUT ROWID;
    CREATE TABLE template_applied (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL
    );
    CREATE TABLE document (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL UNIQUE,
        doc_type TEXT NOT NULL,
        -- OR rather than IN: SQLite builds an ephemeral table for an IN list on every insert.
        status TEXT NOT NULL CHECK (status = 'draft' OR status = 'confirmed' OR status = 'rejected'),
        date TEXT NOT NULL,
        partner TEXT NOT NULL,
        warehouse TEXT NOT NULL,
        red_of TEXT,
        link_branch TEXT,
        link_number TEXT,
        amount INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        total INTEGER NOT NULL,
        checksum TEXT NOT NULL,
        reason TEXT
    );
    CREATE INDEX document_red_of ON document (red_of) WHERE red_of IS NOT NULL;
    CREATE INDEX document_link ON document (link_branch, link_number) WHERE link_number IS NOT NULL;
    -- A rowid table keyed `doc_id << 16 | line_no` (at most 65,535 lines a document;
    -- OPENING_LINES_MAX is under it): appends in key order with integer comparisons only.
    CREATE TABLE doc_line (
        id INTEGER PRIMARY KEY,
        doc_id INTEGER NOT NULL,
        line_no INTEGER NOT NULL,
        product TEXT NOT NULL,
        qty INTEGER NOT NULL,
        price INTEGER NOT NULL,
        discount INTEGER NOT NULL,
        tax_rate INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        CHECK (id = (doc_id << 16) | line_no)
    );
    CREATE TABLE stock (
        warehouse TEXT NOT NULL,
        product TEXT NOT NULL,
        on_hand INTEGER NOT NULL,
        PRIMARY KEY (warehouse, product)
    ) WITHOUT ROWID;
    "#,
    // 2: an outbox body may be a reference to a confirmed document's rows (`outbox_ref`), which
    // older builds cannot read; the version keeps them from opening such a ledger.
    "-- no table changes",
    // 3: a document's lines move into one `lines` column of its row (`doc_lines`: a JSON array of
    // `[product, qty, price, discount, tax_rate]`, scaled integers), so writing a document is one
    // row instead of one per line. The line amount and tax columns go: they follow from the line
    // (`LineValues::compute`) and the document row keeps the totals. `doc_line` becomes a view.
    // From this version a confirmed document's `checksum` may also be '' (`CHECKSUM_FROM_ROW`):
    // computed from the row when read.
    r#"
    ALTER TABLE document ADD COLUMN lines TEXT NOT NULL DEFAULT '[]';
    UPDATE document SET lines = (
        SELECT json_group_array(json_array(l.product, l.qty, l.price, l.discount, l.tax_rate) ORDER BY l.id)
        FROM doc_line l
        WHERE l.id BETWEEN (document.id << 16) AND (document.id << 16) | 65535
    )
    WHERE EXISTS (
        SELECT 1 FROM doc_line l WHERE l.id BETWEEN (document.id << 16) AND (document.id << 16) | 65535
    );
    DROP TABLE doc_line;
    CREATE VIEW doc_line (id, doc_id, line_no, product, qty, price, discount, tax_rate) AS
    SELECT (d.id << 16) | (j.key + 1), d.id, j.key + 1, json_extract(j.value, '$[0]'),
           json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'),
           json_extract(j.value, '$[4]')
    FROM document d, json_each(d.lines) j;
    "#,
    // 4: appending to the outbox no longer rewrites the epoch row (one page fewer per confirm).
    // An epoch's last seq is its last outbox entry's, and each entry carries the epoch's document
    // number counter as it stood (`next_number`). The epoch row's `last_seq` and `next_number`
    // become floors: written when no entry carries the change (a draft the ledger numbers, an
    // epoch with no entries yet). `epoch::current_epoch` takes the larger of the two.
    "ALTER TABLE outbox ADD COLUMN next_number INTEGER;",
    // 5: a template too large for one message arrives in parts (`template_parts`), staged here
    // until the version's last part arrives; the records of a part as its JSON array.
    r#"
    CREATE TABLE template_part (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        part INTEGER NOT NULL,
        parts INTEGER NOT NULL,
        records TEXT NOT NULL,
        PRIMARY KEY (name, version, part)
    );
    "#,
    // 6: what the transfer agent learned about HQ's position (`hq_position`): each time HQ held
    // less than the ledger had acknowledged (HQ restored; the acknowledged position was lowered
    // and the entries resent), and an epoch whose appends are held because HQ holds more of it
    // than the ledger (the ledger restored; `epoch new` settles it).
    r#"
    CREATE TABLE hq_rewind (
        id INTEGER PRIMARY KEY,
        epoch INTEGER NOT NULL,
        hq_applied_seq INTEGER NOT NULL,
        ledger_acked_seq INTEGER NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE hq_hold (
        epoch INTEGER PRIMARY KEY,
        hq_applied_seq INTEGER NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    "#,
    // 7: a transfer's destination warehouse (empty for every other type), and what a confirmed
    // stock count counted (`stock_count`): its document row now holds the differences it posted;
    // `checksum` is the counted document's, which a repeated import or add compares with.
    r#"
    ALTER TABLE document ADD COLUMN to_warehouse TEXT NOT NULL DEFAULT '';
    CREATE TABLE stock_counted (
        doc_id INTEGER PRIMARY KEY,
        checksum TEXT NOT NULL,
        lines TEXT NOT NULL
    );
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Per-connection settings: WAL, full fsync on commit, a busy timeout for concurrent writers.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A bulk import writes tens of MB in one transaction; keep its pages in memory rather
    // than spilling them to the WAL before commit.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Starts a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`). A ledger
/// SQLite opened read-only (the file or its folder is not writable) is refused by name here,
/// before any write.
pub(crate) fn write_tx(conn: &Connection) -> Result<WriteTx<'_>, LedgerError> {
    if conn.is_readonly(rusqlite::DatabaseName::Main)? {
        return Err(LedgerError::ReadOnly {
            path: conn.path().unwrap_or_default().into(),
        });
    }
    let begun = conn.prepare_cached("BEGIN IMMEDIATE")?.execute([]);
    match begun {
        Ok(_) => Ok(WriteTx { conn, open: true }),
        Err(error) if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
            Err(LedgerError::Busy {
                path: conn.path().unwrap_or_default().into(),
            })
        }
        Err(error) => Err(error.into()),
    }
}

/// A write transaction from `write_tx`, rolled back when dropped without `commit`. Unlike
/// rusqlite's `Transaction`, its BEGIN and COMMIT come from the statement cache instead of being
/// parsed again for every transaction (a confirm is one small transaction).
pub(crate) struct WriteTx<'c> {
    conn: &'c Connection,
    open: bool,
}

impl WriteTx<'_> {
    /// Commits. On failure (e.g. a busy database) the transaction stays open and is rolled back
    /// when dropped.
    pub(crate) fn commit(mut self) -> rusqlite::Result<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.open = false;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            // Nothing to report from a drop: the changes are discarded either way.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Creates a new ledger file with the current schema. Refuses an existing path.
pub(crate) fn create_file(path: &Path) -> Result<Connection, LedgerError> {
    if path.exists() {
        return Err(LedgerError::AlreadyExists {
            path: path.to_owned(),
        });
    }
    let flags =
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|error| LedgerError::Unreadable {
        path: path.to_owned(),
        reason: error.to_string(),
    })?;
    // Before anything is written: the page size of a WAL database is fixed once it has content.
    conn.pragma_update(None, "page_size", PAGE_SIZE)?;
    configure(&conn)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    migrate(&conn, 0)?;
    Ok(conn)
}

/// Opens an existing ledger file: checks it is a SQLite database, a Branchline ledger, intact
/// (`quick_check`) and not newer than this build; applies pending migrations. Never creates a file.
pub(crate) fn open_file(path: &Path) -> Result<Connection, LedgerError> {
    if path.is_dir() {
        return Err(LedgerError::IsADirectory {
            path: path.to_owned(),
        });
    }
    if !path.is_file() {
        return Err(LedgerError::NotFound {
            path: path.to_owned(),
        });
    }
    let not_a_ledger = |error: rusqlite::Error| classify(path, error);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(not_a_ledger)?;
    conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS))
        .map_err(not_a_ledger)?;
    let application_id: i64 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(not_a_ledger)?;
    if application_id != APPLICATION_ID {
        return Err(LedgerError::WrongApplication {
            path: path.to_owned(),
            found: application_id,
        });
    }
    let user_version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(not_a_ledger)?;
    if user_version > SCHEMA_VERSION {
        return Err(LedgerError::NewerSchema {
            path: path.to_owned(),
            found: user_version,
            supported: SCHEMA_VERSION,
        });
    }
    let check: String = conn
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(not_a_ledger)?;
    if check != "ok" {
        return Err(LedgerError::Corrupt {
            path: path.to_owned(),
            reason: check,
        });
    }
    configure(&conn).map_err(not_a_ledger)?;
    if user_version < SCHEMA_VERSION {
        migrate(&conn, user_version)?;
    }
    Ok(conn)
}

/// Applies the migrations after `from_version` in one write transaction.
fn migrate(conn: &Connection, from_version: i64) -> Result<(), LedgerError> {
    let tx = write_tx(conn)?;
    // Re-read inside the write lock: another process may have migrated meanwhile.
    let current: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let start = current.max(from_version);
    for (step_idx, step) in MIGRATIONS.iter().enumerate().skip(start as usize) {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", step_idx as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// Turns an SQLite failure while opening into "not a ledger" or "corrupt".
fn classify(path: &Path, error: rusqlite::Error) -> LedgerError {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => LedgerError::NotALedger {
            path: path.to_owned(),
            reason: "not an SQLite database".to_owned(),
        },
        Some(ErrorCode::DatabaseCorrupt) => LedgerError::Corrupt {
            path: path.to_owned(),
            reason: error.to_string(),
        },
        _ => LedgerError::Unreadable {
            path: path.to_owned(),
            reason: error.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_past_the_wait_is_refused_as_busy_naming_the_ledger() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sz.ledger");
        let conn = create_file(&path)?;
        let holder = Connection::open(&path)?;
        holder.execute_batch("BEGIN IMMEDIATE")?;
        conn.busy_timeout(Duration::from_millis(50))?;
        let refused = write_tx(&conn).err().expect("the write lock is held");
        assert!(matches!(&refused, LedgerError::Busy { path: named } if *named == path));
        assert!(refused.to_string().contains("nothing was changed"), "{refused}");
        holder.execute_batch("COMMIT")?;
        write_tx(&conn)?.commit()?;
        Ok(())
    }
}
