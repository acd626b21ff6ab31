//! Posting (审核): the checks a document must pass against the ledger before it is confirmed,
//! and the stock it moves.
//!
//! A `Posting` lives for one write transaction. It checks documents one after another — known
//! codes, red-document rules, the negative-stock rule — keeping stock and "what remains to
//! reverse" in memory so that a whole import file is checked in order without a query per line,
//! then writes the changed stock rows once. On any error the caller drops it and rolls back.

use crate::base_store::base_record_exists;
use crate::doc_store::{parse_stored_date, parse_stored_doc_type};
use crate::error::LedgerError;
use crate::ledger::KnownCodes;
use crate::schema::{PRICE_SCALE, QTY_SCALE, RATE_SCALE};
use branchline_shared::{format_plain, from_scaled, to_scaled, BaseKind, DocLine, DocType, Document};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// Stock of one (warehouse, product) and whether it changed.
#[derive(Debug, Clone, Copy)]
struct StockCell {
    on_hand: i64,
    changed: bool,
    /// Whether the ledger has a row for it (an UPDATE writes it; otherwise an INSERT).
    stored: bool,
}

/// A confirmed document as a red document sees it.
#[derive(Debug, Clone)]
struct RedSource {
    doc_type: DocType,
    date: NaiveDate,
    warehouse: String,
    to_warehouse: String,
    partner: String,
    /// Its lines grouped by product and terms, in source-line order.
    lines: Vec<RedSourceLine>,
}

/// The lines of a source document that share a product and terms, and what of them remains.
#[derive(Debug, Clone)]
struct RedSourceLine {
    product: String,
    /// Scaled price, discount and tax rate (`RED_TERMS` order).
    terms: [i64; 3],
    /// Scaled quantity not yet reversed.
    remaining: i64,
}

/// The terms a red line must copy from its source line, with their stored scales.
const RED_TERMS: [(&str, u32); 3] = [
    ("price", PRICE_SCALE),
    ("discount", RATE_SCALE),
    ("tax_rate", RATE_SCALE),
];

pub(crate) struct Posting<'c> {
    conn: &'c Connection,
    allow_negative_stock: bool,
    /// warehouse -> product -> stock.
    stock: HashMap<String, HashMap<String, StockCell>>,
    /// Per kind (index of `BaseKind::ALL`): code -> exists.
    known_codes: [HashMap<String, bool>; 4],
    /// The ledger handle's codes seen present, shared by its transactions.
    present_codes: Option<&'c KnownCodes>,
    red_sources: HashMap<String, RedSource>,
}

impl<'c> Posting<'c> {
    pub(crate) fn new(conn: &'c Connection, allow_negative_stock: bool) -> Posting<'c> {
        Posting {
            conn,
            allow_negative_stock,
            stock: HashMap::new(),
            known_codes: Default::default(),
            present_codes: None,
            red_sources: HashMap::new(),
        }
    }

    /// A posting that also consults and fills the ledger handle's `present_codes`. Only for a
    /// transaction that writes no base records: a code it finds is then a committed one.
    pub(crate) fn with_present_codes(
        conn: &'c Connection,
        allow_negative_stock: bool,
        present_codes: &'c KnownCodes,
    ) -> Posting<'c> {
        Posting {
            present_codes: Some(present_codes),
            ..Posting::new(conn, allow_negative_stock)
        }
    }

    /// Checks that every code the document names exists in the ledger.
    pub(crate) fn check_references(&mut self, document: &Document) -> Result<(), LedgerError> {
        self.require_code(document, BaseKind::Warehouse, &document.warehouse)?;
        if !document.to_warehouse.is_empty() {
            self.require_code(document, BaseKind::Warehouse, &document.to_warehouse)?;
        }
        if !document.partner.is_empty() {
            let kind = if document.doc_type.partner_is_supplier() {
                BaseKind::Supplier
            } else {
                BaseKind::Customer
            };
            self.require_code(document, kind, &document.partner)?;
        }
        for line in &document.lines {
            self.require_code(document, BaseKind::Product, &line.product)?;
        }
        Ok(())
    }

    /// All checks for confirming `document`, then stages its stock movement and, for a red
    /// document, what it reverses. The document must already pass `Document::validate`.
    pub(crate) fn post(&mut self, document: &Document) -> Result<(), LedgerError> {
        self.check_references(document)?;
        if let Some(source_number) = &document.red_of {
            self.stage_red(document, source_number)?;
        }
        let quantities = scaled_quantities(document);
        for (warehouse, sign) in document.stock_moves() {
            for (product, qty) in &quantities {
                self.move_stock(document, warehouse, product, qty * sign)?;
            }
        }
        Ok(())
    }

    /// Stages `delta` (scaled) of `product` in `warehouse`, refusing to take stock below zero
    /// unless the ledger allows it.
    pub(crate) fn move_stock(
        &mut self,
        document: &Document,
        warehouse: &str,
        product: &str,
        delta: i64,
    ) -> Result<(), LedgerError> {
        let allow_negative_stock = self.allow_negative_stock;
        let cell = self.stock_cell(warehouse, product)?;
        let on_hand = cell.on_hand;
        let new_on_hand = on_hand.checked_add(delta).unwrap_or(i64::MIN);
        if delta < 0 && new_on_hand < 0 && !allow_negative_stock {
            return Err(LedgerError::StockWouldGoNegative {
                number: document.number.clone(),
                warehouse: warehouse.to_owned(),
                product: product.to_owned(),
                on_hand: format_qty(on_hand),
                wanted: format_qty(-delta),
            });
        }
        cell.on_hand = new_on_hand;
        cell.changed = true;
        Ok(())
    }

    /// Writes the changed stock rows. Call once, before committing. A row read earlier is
    /// updated in place and a new one inserted: cheaper than an upsert, which makes SQLite keep
    /// a statement journal.
    pub(crate) fn write_stock(self) -> Result<(), LedgerError> {
        let mut update = self
            .conn
            .prepare_cached("UPDATE stock SET on_hand = ?3 WHERE warehouse = ?1 AND product = ?2")?;
        let mut insert = self
            .conn
            .prepare_cached("INSERT INTO stock (warehouse, product, on_hand) VALUES (?1, ?2, ?3)")?;
        for (warehouse, products) in &self.stock {
            for (product, cell) in products {
                match (cell.changed, cell.stored) {
                    (false, _) => 0,
                    (true, true) => update.execute((warehouse, product, cell.on_hand))?,
                    (true, false) => insert.execute((warehouse, product, cell.on_hand))?,
                };
            }
        }
        Ok(())
    }

    fn require_code(&mut self, document: &Document, kind: BaseKind, code: &str) -> Result<(), LedgerError> {
        let kind_idx = BaseKind::ALL
            .iter()
            .position(|k| *k == kind)
            .expect("every kind is in ALL");
        let seen_present = |present: &KnownCodes| present.borrow()[kind_idx].contains(code);
        let exists = match self.known_codes[kind_idx].get(code) {
            Some(&exists) => exists,
            None if self.present_codes.is_some_and(seen_present) => true,
            None => {
                let exists = base_record_exists(self.conn, kind, code)?;
                self.known_codes[kind_idx].insert(code.to_owned(), exists);
                if let (true, Some(present)) = (exists, self.present_codes) {
                    present.borrow_mut()[kind_idx].insert(code.to_owned());
                }
                exists
            }
        };
        if exists {
            Ok(())
        } else {
            Err(LedgerError::UnknownCode {
                number: document.number.clone(),
                kind,
                code: code.to_owned(),
            })
        }
    }

    /// The scaled stock of `product` in `warehouse` as this transaction has it so far.
    pub(crate) fn on_hand(&mut self, warehouse: &str, product: &str) -> Result<i64, LedgerError> {
        Ok(self.stock_cell(warehouse, product)?.on_hand)
    }

    fn stock_cell(&mut self, warehouse: &str, product: &str) -> Result<&mut StockCell, LedgerError> {
        if !self.stock.contains_key(warehouse) {
            self.stock.insert(warehouse.to_owned(), HashMap::new());
        }
        let products = self.stock.get_mut(warehouse).expect("inserted above");
        if !products.contains_key(product) {
            let on_hand: Option<i64> = self
                .conn
                .prepare_cached("SELECT on_hand FROM stock WHERE warehouse = ?1 AND product = ?2")?
                .query_row((warehouse, product), |row| row.get(0))
                .optional()?;
            let cell = StockCell {
                on_hand: on_hand.unwrap_or(0),
                changed: false,
                stored: on_hand.is_some(),
            };
            products.insert(product.to_owned(), cell);
        }
        Ok(products.get_mut(product).expect("inserted above"))
    }

    /// The red-document rules: same type, warehouse and partner as the source, dated on or
    /// after it, each line mirroring a source line's terms and reversing no more than remains.
    fn stage_red(&mut self, document: &Document, source_number: &str) -> Result<(), LedgerError> {
        if !self.red_sources.contains_key(source_number) {
            let source = load_red_source(self.conn, &document.number, source_number)?;
            self.red_sources.insert(source_number.to_owned(), source);
        }
        let source = self.red_sources.get_mut(source_number).expect("inserted above");
        check_red_head(document, source_number, source)?;
        for (line_idx, line) in document.lines.iter().enumerate() {
            stage_red_line(document, line_idx + 1, line, source_number, source)?;
        }
        Ok(())
    }
}

fn check_red_head(document: &Document, source_number: &str, source: &RedSource) -> Result<(), LedgerError> {
    let number = || document.number.clone();
    if source.doc_type != document.doc_type {
        return Err(LedgerError::RedTypeMismatch {
            number: number(),
            doc_type: document.doc_type,
            source_number: source_number.to_owned(),
            source_type: source.doc_type,
        });
    }
    if document.date < source.date {
        return Err(LedgerError::RedBeforeSource {
            number: number(),
            date: document.date,
            source_number: source_number.to_owned(),
            source_date: source.date,
        });
    }
    for (field, expected, found) in [
        ("warehouse", &source.warehouse, &document.warehouse),
        ("to_warehouse", &source.to_warehouse, &document.to_warehouse),
        ("partner", &source.partner, &document.partner),
    ] {
        if expected != found {
            return Err(LedgerError::RedHeaderMismatch {
                number: number(),
                source_number: source_number.to_owned(),
                field,
                expected: expected.clone(),
                found: found.clone(),
            });
        }
    }
    Ok(())
}

/// Checks red line `line_no` against the source line of its product and terms, and takes its
/// quantity from what remains of that source line.
fn stage_red_line(
    document: &Document,
    line_no: usize,
    line: &DocLine,
    source_number: &str,
    source: &mut RedSource,
) -> Result<(), LedgerError> {
    let terms = [line.price, line.discount, line.tax_rate];
    let scaled_terms: [i64; 3] = std::array::from_fn(|idx| to_scaled(terms[idx], RED_TERMS[idx].1));
    let is_product = |source_line: &&RedSourceLine| source_line.product == line.product;
    let mirrored = source
        .lines
        .iter()
        .position(|source_line| source_line.product == line.product && source_line.terms == scaled_terms);
    let Some(mirrored) = mirrored else {
        let Some(first) = source.lines.iter().find(is_product) else {
            return Err(red_exceeds(document, &line.product, source_number, 0, line.qty));
        };
        let field_idx = (0..3)
            .find(|&idx| first.terms[idx] != scaled_terms[idx])
            .expect("terms differ");
        let (field, scale) = RED_TERMS[field_idx];
        return Err(LedgerError::RedLineMismatch {
            number: document.number.clone(),
            line: line_no,
            field,
            found: format_plain(terms[field_idx]),
            expected: format_plain(from_scaled(first.terms[field_idx], scale)),
            source_number: source_number.to_owned(),
        });
    };
    let source_line = &mut source.lines[mirrored];
    let wanted = -to_scaled(line.qty, QTY_SCALE);
    if wanted > source_line.remaining {
        let remaining = source_line.remaining;
        return Err(red_exceeds(
            document,
            &line.product,
            source_number,
            remaining,
            line.qty,
        ));
    }
    source_line.remaining -= wanted;
    Ok(())
}

fn red_exceeds(
    document: &Document,
    product: &str,
    source_number: &str,
    remaining: i64,
    qty: rust_decimal::Decimal,
) -> LedgerError {
    LedgerError::RedExceedsSource {
        number: document.number.clone(),
        source_number: source_number.to_owned(),
        product: product.to_owned(),
        remaining: format_qty(remaining),
        wanted: format_plain(-qty),
    }
}

/// The document's scaled quantity per product, in first-appearance order.
fn scaled_quantities(document: &Document) -> Vec<(&str, i64)> {
    let mut quantities: Vec<(&str, i64)> = Vec::with_capacity(document.lines.len());
    for line in &document.lines {
        let qty = to_scaled(line.qty, QTY_SCALE);
        match quantities
            .iter_mut()
            .find(|(product, _)| *product == line.product)
        {
            Some((_, sum)) => *sum += qty,
            None => quantities.push((&line.product, qty)),
        }
    }
    quantities
}

fn load_red_source(conn: &Connection, number: &str, source_number: &str) -> Result<RedSource, LedgerError> {
    type SourceRow = (i64, String, String, String, [String; 3], Option<String>);
    let row: Option<SourceRow> = conn
        .prepare_cached(
            "SELECT id, doc_type, status, date, warehouse, to_warehouse, partner, red_of FROM document
             WHERE number = ?1",
        )?
        .query_row([source_number], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                [row.get(4)?, row.get(5)?, row.get(6)?],
                row.get(7)?,
            ))
        })
        .optional()?;
    let Some((source_id, doc_type, status, date, [warehouse, to_warehouse, partner], red_of)) = row else {
        return Err(LedgerError::RedSourceNotFound {
            number: number.to_owned(),
            source_number: source_number.to_owned(),
        });
    };
    if status != "confirmed" {
        return Err(LedgerError::RedSourceNotConfirmed {
            number: number.to_owned(),
            source_number: source_number.to_owned(),
            status: if status == "draft" { "a draft" } else { "rejected" },
        });
    }
    if red_of.is_some() {
        return Err(LedgerError::RedOfRed {
            number: number.to_owned(),
            source_number: source_number.to_owned(),
        });
    }
    Ok(RedSource {
        doc_type: parse_stored_doc_type(&doc_type)?,
        date: parse_stored_date(source_number, &date)?,
        warehouse,
        to_warehouse,
        partner,
        lines: load_red_source_lines(conn, source_id, source_number, number)?,
    })
}

/// The source's lines grouped by product and terms, less what its confirmed red documents
/// (other than `number`) reversed. Reds whose terms match no source line reverse nothing here.
fn load_red_source_lines(
    conn: &Connection,
    source_id: i64,
    source_number: &str,
    number: &str,
) -> Result<Vec<RedSourceLine>, LedgerError> {
    let mut statement = conn.prepare_cached(
        "SELECT json_extract(l.value, '$[0]'), json_extract(l.value, '$[2]'), json_extract(l.value, '$[3]'),
                json_extract(l.value, '$[4]'), sum(json_extract(l.value, '$[1]')),
                min(CASE WHEN d.id = ?1 THEN CAST(l.key AS INTEGER) END) AS first_line
         FROM document d, json_each(d.lines) l
         WHERE d.id = ?1 OR (d.red_of = ?2 AND d.status = 'confirmed' AND d.number != ?3)
         GROUP BY 1, 2, 3, 4
         HAVING first_line IS NOT NULL
         ORDER BY first_line",
    )?;
    // The red being posted may already be written (bulk import writes first); it is staged later.
    let lines = statement
        .query_map((source_id, source_number, number), |row| {
            Ok(RedSourceLine {
                product: row.get(0)?,
                terms: [row.get(1)?, row.get(2)?, row.get(3)?],
                remaining: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines)
}

/// A scaled quantity as the operator writes it.
pub(crate) fn format_qty(scaled: i64) -> String {
    format_plain(from_scaled(scaled, QTY_SCALE))
}
