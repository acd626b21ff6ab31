//! Stock counts (盘点单): a count's counted quantities turned into the differences from the
//! book that confirming it posts, so that on-hand equals the count, and what was counted kept
//! beside the posted document.

use crate::doc_lines::{decode_lines, encode_lines, ScaledLine};
use crate::doc_store::DocHead;
use crate::error::LedgerError;
use crate::posting::Posting;
use crate::schema::QTY_SCALE;
use branchline_shared::{from_scaled, to_scaled, DocLine, DocType, Document};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// Whether `document` is a stock count as entered: counted quantities, not yet posted. (Stored
/// confirmed counts hold their differences; a count is never red.)
pub(crate) fn is_counted(document: &Document) -> bool {
    document.doc_type == DocType::StockCount
}

impl Posting<'_> {
    /// Checks a count (codes, counted quantities not negative, each product counted once),
    /// stages each product's on-hand at the counted quantity, and returns the document to store
    /// and send: the count with each line's quantity its difference (counted − book), zero
    /// where they agree. Gains are positive, losses negative.
    pub(crate) fn post_count(&mut self, counted: &Document) -> Result<Document, LedgerError> {
        self.check_references(counted)?;
        let mut first_lines: HashMap<&str, usize> = HashMap::with_capacity(counted.lines.len());
        let mut posted = counted.clone();
        for (line_idx, line) in counted.lines.iter().enumerate() {
            let line_no = line_idx + 1;
            if line.qty.is_sign_negative() && !line.qty.is_zero() {
                return Err(LedgerError::NegativeCount {
                    number: counted.number.clone(),
                    line: line_no,
                    qty: line.qty.to_string(),
                });
            }
            if let Some(&first) = first_lines.get(line.product.as_str()) {
                return Err(LedgerError::CountedTwice {
                    number: counted.number.clone(),
                    product: line.product.clone(),
                    first,
                    line: line_no,
                });
            }
            first_lines.insert(&line.product, line_no);
            let book = self.on_hand(&counted.warehouse, &line.product)?;
            let difference = to_scaled(line.qty, QTY_SCALE) - book;
            self.move_stock(counted, &counted.warehouse, &line.product, difference)?;
            posted.lines[line_idx].qty = from_scaled(difference, QTY_SCALE).normalize();
        }
        Ok(posted)
    }
}

/// Keeps what confirmed count row `doc_id` counted: its lines and checksum as entered.
pub(crate) fn record_counted(conn: &Connection, doc_id: i64, counted: &Document) -> Result<(), LedgerError> {
    let scaled: Vec<ScaledLine> = counted.lines.iter().map(ScaledLine::new).collect();
    conn.prepare_cached("INSERT INTO stock_counted (doc_id, checksum, lines) VALUES (?1, ?2, ?3)")?
        .execute((
            doc_id,
            counted.content_checksum(),
            encode_lines(&counted.lines, &scaled),
        ))?;
    Ok(())
}

/// The checksum of the document as it was entered: a confirmed count's counted one, every other
/// document's own. A repeated add or import compares with it.
pub(crate) fn entered_checksum(conn: &Connection, head: &DocHead) -> Result<String, LedgerError> {
    let counted: Option<String> = conn
        .prepare_cached("SELECT checksum FROM stock_counted WHERE doc_id = ?1")?
        .query_row([head.id], |row| row.get(0))
        .optional()?;
    match counted {
        Some(checksum) => Ok(checksum),
        None => head.content_checksum(conn),
    }
}

/// What confirmed count `number` (row `doc_id`) counted, line by line; `None` for any other
/// document.
pub(crate) fn counted_lines(
    conn: &Connection,
    doc_id: i64,
    number: &str,
) -> Result<Option<Vec<DocLine>>, LedgerError> {
    let lines: Option<String> = conn
        .prepare_cached("SELECT lines FROM stock_counted WHERE doc_id = ?1")?
        .query_row([doc_id], |row| row.get(0))
        .optional()?;
    lines.map(|lines| decode_lines(number, &lines)).transpose()
}
