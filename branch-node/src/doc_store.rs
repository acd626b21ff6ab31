//! Document rows: how a `Document` is written to and read back from the `document` table
//! (scaled integers; the lines packed in its `lines` column), and the numbers the ledger
//! generates.

use crate::doc_lines::{decode_lines, encode_lines, ScaledLine};
use crate::entry_json::checksum_and_outbox_json;
use crate::epoch::{current_epoch, EpochRow};
use crate::error::LedgerError;
use branchline_shared::{DocLink, DocStatus, Document};
use chrono::Datelike;
use rusqlite::{Connection, OptionalExtension};

/// The `checksum` column of a document whose row rebuilds it exactly (a bulk import stores
/// this instead of hashing every document): `stored_checksum` computes it from the row when read.
pub(crate) const CHECKSUM_FROM_ROW: &str = "";

/// What the ledger knows about a document number without loading the document.
#[derive(Debug, Clone)]
pub(crate) struct DocHead {
    pub(crate) id: i64,
    pub(crate) status: DocStatus,
    /// The `checksum` column: `CHECKSUM_FROM_ROW` or `Document::content_checksum()`.
    pub(crate) checksum: String,
}

impl DocHead {
    /// The document's `Document::content_checksum()`, from the row when not stored.
    pub(crate) fn content_checksum(&self, conn: &Connection) -> Result<String, LedgerError> {
        stored_checksum(conn, self.id, &self.checksum)
    }
}

/// `Document::content_checksum()` of row `id`, whose `checksum` column holds `column`.
pub(crate) fn stored_checksum(conn: &Connection, id: i64, column: &str) -> Result<String, LedgerError> {
    if column != CHECKSUM_FROM_ROW {
        return Ok(column.to_owned());
    }
    // The decimals come back normalized, as the checksum hashes them.
    let stored = load_document(conn, id)?;
    Ok(checksum_and_outbox_json(&stored.document).0)
}

/// A stored document with its lifecycle state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub document: Document,
    pub status: DocStatus,
    /// Why a routed draft was rejected.
    pub reason: Option<String>,
}

pub(crate) fn find_head(conn: &Connection, number: &str) -> Result<Option<DocHead>, LedgerError> {
    let head = conn
        .prepare_cached("SELECT id, status, checksum FROM document WHERE number = ?1")?
        .query_row([number], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    head.map(|(id, status, checksum)| {
        Ok(DocHead {
            id,
            status: parse_status(&status)?,
            checksum,
        })
    })
    .transpose()
}

/// A document's values as stored: dates as text, decimals as scaled integers. Computing it
/// needs no ledger, so a bulk import prepares it on another thread.
#[derive(Debug, Clone)]
pub(crate) struct DocumentRow {
    date: String,
    amount: i64,
    tax: i64,
    total: i64,
    /// The `lines` column (`doc_lines`).
    lines_json: String,
}

impl DocumentRow {
    pub(crate) fn new(document: &Document) -> DocumentRow {
        let scaled: Vec<ScaledLine> = document.lines.iter().map(ScaledLine::new).collect();
        let amount: i64 = scaled.iter().map(|line| line.amount).sum();
        let tax: i64 = scaled.iter().map(|line| line.tax).sum();
        DocumentRow {
            date: format!(
                "{:04}-{:02}-{:02}",
                document.date.year(),
                document.date.month(),
                document.date.day()
            ),
            amount,
            tax,
            total: amount + tax,
            lines_json: encode_lines(&document.lines, &scaled),
        }
    }
}

/// Writes a document with its lines; returns its row id.
pub(crate) fn insert_document(
    conn: &Connection,
    document: &Document,
    status: DocStatus,
    checksum: &str,
) -> Result<i64, LedgerError> {
    insert_document_head(conn, document, &DocumentRow::new(document), status, checksum)
}

/// Writes a document's `document` row, lines included. Returns its row id. A number already
/// present fails with SQLite's unique-constraint error.
pub(crate) fn insert_document_head(
    conn: &Connection,
    document: &Document,
    row: &DocumentRow,
    status: DocStatus,
    checksum: &str,
) -> Result<i64, LedgerError> {
    let (link_branch, link_number) = match &document.link {
        Some(link) => (Some(link.branch.as_str()), Some(link.number.as_str())),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO document (number, doc_type, status, date, partner, warehouse, red_of,
             link_branch, link_number, amount, tax, total, checksum, lines, to_warehouse)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )?
    .execute(rusqlite::params![
        document.number,
        document.doc_type.as_str(),
        status.as_str(),
        row.date,
        document.partner,
        document.warehouse,
        document.red_of,
        link_branch,
        link_number,
        row.amount,
        row.tax,
        row.total,
        checksum,
        row.lines_json,
        document.to_warehouse,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Rewrites the lines, totals and `checksum` column of row `id` to `document`'s (a stock count
/// confirmed: its counted quantities become the differences it posts).
pub(crate) fn rewrite_lines(
    conn: &Connection,
    id: i64,
    document: &Document,
    checksum: &str,
) -> Result<(), LedgerError> {
    let row = DocumentRow::new(document);
    conn.prepare_cached(
        "UPDATE document SET lines = ?2, amount = ?3, tax = ?4, total = ?5, checksum = ?6 WHERE id = ?1",
    )?
    .execute((id, &row.lines_json, row.amount, row.tax, row.total, checksum))?;
    Ok(())
}

pub(crate) fn set_status(
    conn: &Connection,
    id: i64,
    status: DocStatus,
    reason: Option<&str>,
) -> Result<(), LedgerError> {
    conn.prepare_cached("UPDATE document SET status = ?2, reason = ?3 WHERE id = ?1")?
        .execute((id, status.as_str(), reason))?;
    Ok(())
}

/// Loads a document by row id; decimals come back normalized ("21.5", not "21.500000").
pub(crate) fn load_document(conn: &Connection, id: i64) -> Result<StoredDocument, LedgerError> {
    type HeadRow = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        String,
    );
    let head: HeadRow = conn
        .prepare_cached(
            "SELECT number, doc_type, status, date, partner, warehouse, red_of, link_branch, link_number, reason,
                 lines, to_warehouse
             FROM document WHERE id = ?1",
        )?
        .query_row([id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
                row.get(9)?,
                row.get(10)?,
                row.get(11)?,
            ))
        })?;
    let (
        number,
        doc_type,
        status,
        date,
        partner,
        warehouse,
        red_of,
        link_branch,
        link_number,
        reason,
        lines_json,
        to_warehouse,
    ) = head;
    let lines = decode_lines(&number, &lines_json)?;
    let date = parse_stored_date(&number, &date)?;
    let link = match (link_branch, link_number) {
        (Some(branch), Some(number)) => Some(DocLink { branch, number }),
        _ => None,
    };
    Ok(StoredDocument {
        document: Document {
            doc_type: parse_stored_doc_type(&doc_type)?,
            number,
            date,
            partner,
            warehouse,
            to_warehouse,
            red_of,
            lines,
            link,
        },
        status: parse_status(&status)?,
        reason,
    })
}

/// The next free ledger-generated number: `SZ-000001` in epoch 1, `SZ-E2-000001` later.
/// Skips numbers an operator already took. Call inside a write transaction.
pub(crate) fn next_number(conn: &Connection, branch: &str) -> Result<String, LedgerError> {
    let epoch = current_epoch(conn)?;
    let (number, next_counter) = free_number(conn, branch, &epoch)?;
    conn.prepare_cached("UPDATE epoch SET next_number = ?2 WHERE epoch = ?1")?
        .execute((epoch.epoch, next_counter))?;
    Ok(number)
}

/// The first number from `epoch`'s counter that no document holds, and the counter after it.
/// The caller writes the counter back in the same transaction (`next_number`, or
/// `OutboxWriter::finish` after `OutboxWriter::set_next_number`).
pub(crate) fn free_number(
    conn: &Connection,
    branch: &str,
    epoch: &EpochRow,
) -> Result<(String, u64), LedgerError> {
    let mut counter = epoch.next_number;
    loop {
        let number = if epoch.epoch == 1 {
            format!("{branch}-{counter:06}")
        } else {
            format!("{branch}-E{}-{counter:06}", epoch.epoch)
        };
        counter += 1;
        if find_head(conn, &number)?.is_none() {
            return Ok((number, counter));
        }
    }
}

pub(crate) fn parse_stored_doc_type(text: &str) -> Result<branchline_shared::DocType, LedgerError> {
    branchline_shared::DocType::parse(text).map_err(|error| LedgerError::StoredData {
        what: "document type".to_owned(),
        reason: error.to_string(),
    })
}

fn parse_status(text: &str) -> Result<DocStatus, LedgerError> {
    DocStatus::parse(text).map_err(|error| LedgerError::StoredData {
        what: "document status".to_owned(),
        reason: error.to_string(),
    })
}

/// A stored document date. Not range-checked like new input: a ledger written before dates
/// were bounded may hold one outside the range, and must stay readable.
pub(crate) fn parse_stored_date(number: &str, text: &str) -> Result<chrono::NaiveDate, LedgerError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|error| LedgerError::StoredData {
        what: format!("date of document {number}"),
        reason: error.to_string(),
    })
}
