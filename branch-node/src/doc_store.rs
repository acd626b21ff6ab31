//! Document rows: how a `Document` is written to and read back from the `document` and
//! `doc_line` tables (scaled integers), and the numbers the ledger generates.

use crate::error::LedgerError;
use crate::ledger::{current_epoch, parse_stored_doc_type};
use crate::row_insert::insert_rows;
use crate::schema::{MONEY_SCALE, PRICE_SCALE, QTY_SCALE, RATE_SCALE};
use branchline_shared::{
    from_scaled, parse_date, to_scaled, DocLine, DocLink, DocStatus, Document, LineValues,
};
use chrono::Datelike;
use rusqlite::{Connection, OptionalExtension};

/// What the ledger knows about a document number without loading the document.
#[derive(Debug, Clone)]
pub(crate) struct DocHead {
    pub(crate) id: i64,
    pub(crate) status: DocStatus,
    pub(crate) checksum: String,
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
    /// qty, price, discount, tax_rate, amount, tax per line.
    lines: Vec<[i64; 6]>,
}

impl DocumentRow {
    pub(crate) fn new(document: &Document) -> DocumentRow {
        let mut totals = LineValues::default();
        let lines = document
            .lines
            .iter()
            .map(|line| {
                let values = line.values();
                totals = totals + values;
                [
                    to_scaled(line.qty, QTY_SCALE),
                    to_scaled(line.price, PRICE_SCALE),
                    to_scaled(line.discount, RATE_SCALE),
                    to_scaled(line.tax_rate, RATE_SCALE),
                    to_scaled(values.amount, MONEY_SCALE),
                    to_scaled(values.tax, MONEY_SCALE),
                ]
            })
            .collect();
        DocumentRow {
            date: format!(
                "{:04}-{:02}-{:02}",
                document.date.year(),
                document.date.month(),
                document.date.day()
            ),
            amount: to_scaled(totals.amount, MONEY_SCALE),
            tax: to_scaled(totals.tax, MONEY_SCALE),
            total: to_scaled(totals.total, MONEY_SCALE),
            lines,
        }
    }
}

/// Writes a document and its lines; returns its row id.
pub(crate) fn insert_document(
    conn: &Connection,
    document: &Document,
    status: DocStatus,
    checksum: &str,
) -> Result<i64, LedgerError> {
    insert_document_row(conn, document, &DocumentRow::new(document), status, checksum)
}

/// Writes a document whose row values are already computed; returns its row id.
pub(crate) fn insert_document_row(
    conn: &Connection,
    document: &Document,
    row: &DocumentRow,
    status: DocStatus,
    checksum: &str,
) -> Result<i64, LedgerError> {
    let id = insert_document_head(conn, document, row, status, checksum)?;
    insert_lines(conn, &[(id, document, row)])?;
    Ok(id)
}

/// Writes a document's `document` row only; its lines follow with `insert_lines`. Returns its
/// row id. A number already present fails with SQLite's unique-constraint error.
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
             link_branch, link_number, amount, tax, total, checksum)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The `doc_line` row id of line `line_no` (1-based) of document `doc_id`.
pub(crate) fn doc_line_id(doc_id: i64, line_no: i64) -> i64 {
    debug_assert!((1..=DOC_LINE_NO_MASK).contains(&line_no));
    (doc_id << 16) | line_no
}

/// `line_no` occupies the low 16 bits of a `doc_line` id.
const DOC_LINE_NO_MASK: i64 = 0xffff;

/// Writes the lines of documents already written (row id, document, row values),
/// with one prepared statement for all of them.
pub(crate) fn insert_lines(
    conn: &Connection,
    documents: &[(i64, &Document, &DocumentRow)],
) -> Result<(), LedgerError> {
    let n_lines = documents.iter().map(|(_, _, row)| row.lines.len()).sum();
    let mut lines = documents.iter().flat_map(|&(doc_id, document, row)| {
        document
            .lines
            .iter()
            .zip(&row.lines)
            .enumerate()
            .map(move |(line_idx, (line, values))| (doc_id, line_idx as i64 + 1, &line.product, values))
    });
    insert_rows(
        conn,
        "doc_line (id, doc_id, line_no, product, qty, price, discount, tax_rate, amount, tax)",
        10,
        n_lines,
        |binder, _| {
            let (doc_id, line_no, product, values) = lines.next().expect("n_lines counts every line");
            binder.bind(doc_line_id(doc_id, line_no))?;
            binder.bind(doc_id)?;
            binder.bind(line_no)?;
            binder.bind(product)?;
            for value in values {
                binder.bind(value)?;
            }
            Ok(())
        },
    )?;
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
    );
    let head: HeadRow = conn
        .prepare_cached(
            "SELECT number, doc_type, status, date, partner, warehouse, red_of, link_branch, link_number, reason
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
            ))
        })?;
    let (number, doc_type, status, date, partner, warehouse, red_of, link_branch, link_number, reason) = head;
    let mut statement = conn.prepare_cached(
        "SELECT product, qty, price, discount, tax_rate FROM doc_line WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    let lines = statement
        .query_map((doc_line_id(id, 1), doc_line_id(id, DOC_LINE_NO_MASK)), |row| {
            Ok(DocLine {
                product: row.get(0)?,
                qty: from_scaled(row.get(1)?, QTY_SCALE).normalize(),
                price: from_scaled(row.get(2)?, PRICE_SCALE).normalize(),
                discount: from_scaled(row.get(3)?, RATE_SCALE).normalize(),
                tax_rate: from_scaled(row.get(4)?, RATE_SCALE).normalize(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let date = parse_date(&date).map_err(|error| LedgerError::StoredData {
        what: format!("date of document {number}"),
        reason: error.to_string(),
    })?;
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
    let mut counter = epoch.next_number;
    loop {
        let number = if epoch.epoch == 1 {
            format!("{branch}-{counter:06}")
        } else {
            format!("{branch}-E{}-{counter:06}", epoch.epoch)
        };
        counter += 1;
        if find_head(conn, &number)?.is_none() {
            conn.prepare_cached("UPDATE epoch SET next_number = ?2 WHERE epoch = ?1")?
                .execute((epoch.epoch, counter))?;
            return Ok(number);
        }
    }
}

fn parse_status(text: &str) -> Result<DocStatus, LedgerError> {
    DocStatus::parse(text).map_err(|error| LedgerError::StoredData {
        what: "document status".to_owned(),
        reason: error.to_string(),
    })
}
