//! Test harness: branch ledgers with base data, random valid documents as JSONL, the
//! `branch-node` binary, and ways to compare a ledger before and after (snapshots, totals).

use crate::process::{self, Run};
use anyhow::{bail, Context};
use branch_node::{DocFilter, Ledger};
use branchline_shared::{BaseKind, BaseRecord, DocStatus};
use rust_decimal::Decimal;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;

/// Products `P0001`.. in a seeded ledger.
pub const SEED_PRODUCTS: usize = 50;
/// Customers `C001`.. in a seeded ledger.
pub const SEED_CUSTOMERS: usize = 10;
/// Suppliers `S001`.. in a seeded ledger.
pub const SEED_SUPPLIERS: usize = 5;

/// The warehouse of a seeded ledger: `<BRANCH>-W`.
pub fn seed_warehouse(branch: &str) -> String {
    format!("{branch}-W")
}

pub fn product_code(product_idx: usize) -> String {
    format!("P{:04}", product_idx + 1)
}

pub fn customer_code(customer_idx: usize) -> String {
    format!("C{:03}", customer_idx + 1)
}

pub fn supplier_code(supplier_idx: usize) -> String {
    format!("S{:03}", supplier_idx + 1)
}

/// Creates a ledger for `branch` at `path` with one warehouse, `SEED_PRODUCTS` products,
/// `SEED_CUSTOMERS` customers and `SEED_SUPPLIERS` suppliers (all local, in the outbox).
pub fn seed_ledger(path: &Path, branch: &str) -> anyhow::Result<Ledger> {
    let ledger = Ledger::create(path, branch, &format!("branch {branch}"), false)
        .with_context(|| format!("creating {}", path.display()))?;
    let mut records = vec![BaseRecord::new(
        BaseKind::Warehouse,
        &seed_warehouse(branch),
        "main warehouse",
    )];
    for product_idx in 0..SEED_PRODUCTS {
        let mut record = BaseRecord::new(
            BaseKind::Product,
            &product_code(product_idx),
            &format!("product {product_idx}"),
        );
        record.unit = "pcs".to_owned();
        records.push(record);
    }
    for customer_idx in 0..SEED_CUSTOMERS {
        records.push(BaseRecord::new(
            BaseKind::Customer,
            &customer_code(customer_idx),
            "customer",
        ));
    }
    for supplier_idx in 0..SEED_SUPPLIERS {
        records.push(BaseRecord::new(
            BaseKind::Supplier,
            &supplier_code(supplier_idx),
            "supplier",
        ));
    }
    for record in &records {
        ledger
            .add_base_record(record)
            .with_context(|| format!("adding {} {}", record.kind, record.code))?;
    }
    Ok(ledger)
}

/// A small deterministic generator (SplitMix64), so tests need no extra dependency.
#[derive(Debug, Clone)]
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> TestRng {
        TestRng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// What a generated documents file holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonlSummary {
    pub documents: u64,
    pub lines: u64,
    /// Sum of every line's quantity, amount and tax (opening included).
    pub qty: Decimal,
    pub amount: Decimal,
    pub tax: Decimal,
}

/// Writes `n_docs` valid documents for a ledger made by `seed_ledger(_, branch)`: first an
/// opening document stocking every product generously, then random sales-out, purchase-in,
/// retail-sale and sales-order documents of `lines_per_doc` lines each, numbered
/// `<BRANCH>-<seed>-<index>`. Stock never goes negative in file order.
pub fn write_documents_jsonl(
    path: &Path,
    branch: &str,
    n_docs: usize,
    lines_per_doc: usize,
    seed: u64,
) -> anyhow::Result<JsonlSummary> {
    let text = documents_jsonl(branch, n_docs, lines_per_doc, seed);
    std::fs::write(path, &text.0).with_context(|| format!("writing {}", path.display()))?;
    Ok(text.1)
}

/// The JSONL text `write_documents_jsonl` writes, and its summary.
pub fn documents_jsonl(
    branch: &str,
    n_docs: usize,
    lines_per_doc: usize,
    seed: u64,
) -> (String, JsonlSummary) {
    let mut rng = TestRng::new(seed);
    let warehouse = seed_warehouse(branch);
    let mut text = String::with_capacity(n_docs * (120 + lines_per_doc * 90));
    let mut summary = JsonlSummary::default();
    for doc_idx in 0..n_docs {
        let number = format!("{branch}-{seed}-{doc_idx:07}");
        let (doc_type, partner) = if doc_idx == 0 {
            ("opening", None)
        } else {
            match rng.below(4) {
                0 => (
                    "purchase-in",
                    Some(supplier_code(rng.below(SEED_SUPPLIERS as u64) as usize)),
                ),
                1 => ("retail-sale", None),
                2 => (
                    "sales-order",
                    Some(customer_code(rng.below(SEED_CUSTOMERS as u64) as usize)),
                ),
                _ => (
                    "sales-out",
                    Some(customer_code(rng.below(SEED_CUSTOMERS as u64) as usize)),
                ),
            }
        };
        let day = 1 + rng.below(28);
        let month = 1 + rng.below(12);
        write!(
            text,
            r#"{{"number":"{number}","type":"{doc_type}","date":"2026-{month:02}-{day:02}","#
        )
        .unwrap();
        if let Some(partner) = partner {
            write!(text, r#""partner":"{partner}","#).unwrap();
        }
        write!(text, r#""warehouse":"{warehouse}","lines":["#).unwrap();
        let n_lines = if doc_idx == 0 {
            SEED_PRODUCTS
        } else {
            lines_per_doc.max(1)
        };
        for line_idx in 0..n_lines {
            let (product, qty, price, discount, tax_rate) = if doc_idx == 0 {
                (
                    product_code(line_idx),
                    Decimal::new(1_000_000_000, 0),
                    Decimal::new(1000, 2),
                    Decimal::ZERO,
                    Decimal::ZERO,
                )
            } else {
                let product = product_code(rng.below(SEED_PRODUCTS as u64) as usize);
                let qty = Decimal::new(1 + rng.below(2_000) as i64, 2);
                let price = Decimal::new(100 + rng.below(100_000) as i64, 2);
                let discount = Decimal::new(rng.below(3) as i64 * 5, 2);
                let tax_rate =
                    [Decimal::ZERO, Decimal::new(6, 2), Decimal::new(13, 2)][rng.below(3) as usize];
                (product, qty, price, discount, tax_rate)
            };
            if line_idx > 0 {
                text.push(',');
            }
            write!(
                text,
                r#"{{"product":"{product}","qty":"{qty}","price":"{price}","discount":"{discount}","tax_rate":"{tax_rate}"}}"#
            )
            .unwrap();
            let values =
                branchline_shared::LineValues::compute(qty, price, discount, tax_rate).expect("small values");
            summary.lines += 1;
            summary.qty += qty;
            summary.amount += values.amount;
            summary.tax += values.tax;
        }
        text.push_str("]}\n");
        summary.documents += 1;
    }
    (text, summary)
}

/// Runs `branch-node --ledger LEDGER ARGS...` to completion.
pub fn branch_node(ledger: &Path, args: &[&str]) -> anyhow::Result<Run> {
    let mut all_args: Vec<&OsStr> = vec![OsStr::new("--ledger"), ledger.as_os_str()];
    all_args.extend(args.iter().map(OsStr::new));
    process::run("branch-node", all_args)
}

/// Count, line count, quantity, amount and tax of the ledger's confirmed documents.
pub fn confirmed_totals(ledger: &Ledger) -> anyhow::Result<JsonlSummary> {
    let filter = DocFilter {
        doc_type: None,
        status: Some(DocStatus::Confirmed),
    };
    let mut totals = JsonlSummary::default();
    for stored in ledger.documents(filter)? {
        totals.documents += 1;
        for line in &stored.document.lines {
            let values = line.values();
            totals.lines += 1;
            totals.qty += line.qty;
            totals.amount += values.amount;
            totals.tax += values.tax;
        }
    }
    Ok(totals)
}

/// Every row of every ledger table, as text: equal snapshots mean an unchanged ledger.
pub fn snapshot(path: &Path) -> anyhow::Result<String> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut text = String::new();
    for table in tables {
        writeln!(text, "== {table}")?;
        let mut statement = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1, 2"))?;
        let n_columns = statement.column_count();
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            for column_idx in 0..n_columns {
                let value: rusqlite::types::Value = row.get(column_idx)?;
                write!(text, "{value:?}|")?;
            }
            text.push('\n');
        }
    }
    Ok(text)
}

/// Runs `sqlite3 FILE 'pragma integrity_check'` (or the same pragma through rusqlite when no
/// `sqlite3` is installed) and fails unless it answers `ok`.
pub fn assert_integrity(path: &Path) -> anyhow::Result<()> {
    let answer = match std::process::Command::new("sqlite3")
        .arg(path)
        .arg("pragma integrity_check")
        .output()
    {
        Ok(output) => String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        Err(_) => {
            let conn = rusqlite::Connection::open(path)?;
            conn.query_row("pragma integrity_check", [], |row| row.get::<_, String>(0))?
        }
    };
    if answer != "ok" {
        bail!("integrity_check of {}: {answer}", path.display());
    }
    Ok(())
}

/// Checks the outbox of every epoch is numbered 1..=last_seq with no gap, and that every
/// confirmed document appears in it exactly once. Since schema version 4 the epoch row's
/// `last_seq` is a floor (appends do not rewrite it): it must not exceed the last entry.
pub fn assert_outbox_gapless(path: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut statement = conn.prepare(
        "SELECT e.epoch, e.last_seq, count(o.seq), coalesce(min(o.seq), 0), coalesce(max(o.seq), 0)
         FROM epoch e LEFT JOIN outbox o ON o.epoch = e.epoch GROUP BY e.epoch",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, i64>(3)?,
            row.get::<_, i64>(4)?,
        ))
    })?;
    for row in rows {
        let (epoch, last_seq, count, min_seq, max_seq) = row?;
        let expected_min = if count == 0 { 0 } else { 1 };
        let last_seq = last_seq.max(max_seq);
        if count != last_seq || max_seq != last_seq || min_seq != expected_min {
            bail!("epoch {epoch}: last_seq {last_seq} but the outbox holds {count} entries {min_seq}..{max_seq}");
        }
    }
    let confirmed: i64 = conn.query_row(
        "SELECT count(*) FROM document WHERE status = 'confirmed'",
        [],
        |row| row.get(0),
    )?;
    let in_outbox: i64 = conn.query_row(
        "SELECT count(DISTINCT json_extract(body, '$.number')) FROM outbox WHERE is_document = 1",
        [],
        |row| row.get(0),
    )?;
    let document_entries: i64 =
        conn.query_row("SELECT count(*) FROM outbox WHERE is_document = 1", [], |row| {
            row.get(0)
        })?;
    if confirmed != in_outbox || confirmed != document_entries {
        bail!("{confirmed} confirmed documents but {document_entries} document entries ({in_outbox} distinct) in the outbox");
    }
    Ok(())
}

/// Checks stock equals the sum of confirmed lines with their sign, per warehouse and product.
pub fn assert_stock_matches_documents(path: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mismatches: i64 = conn.query_row(
        "WITH moves AS (
             SELECT d.warehouse, l.product,
                    l.qty * CASE d.doc_type WHEN 'opening' THEN 1 WHEN 'purchase-in' THEN 1 WHEN 'stock-count' THEN 1
                            WHEN 'sales-out' THEN -1 WHEN 'retail-sale' THEN -1 WHEN 'transfer' THEN -1 ELSE 0 END AS qty
             FROM document d JOIN doc_line l ON l.doc_id = d.id WHERE d.status = 'confirmed'
             UNION ALL
             SELECT d.to_warehouse, l.product, l.qty
             FROM document d JOIN doc_line l ON l.doc_id = d.id
             WHERE d.status = 'confirmed' AND d.doc_type = 'transfer'),
         moved AS (SELECT warehouse, product, sum(qty) AS on_hand FROM moves GROUP BY warehouse, product)
         SELECT count(*) FROM moved m FULL OUTER JOIN stock s
             ON s.warehouse = m.warehouse AND s.product = m.product
         WHERE coalesce(m.on_hand, 0) != coalesce(s.on_hand, 0)",
        [],
        |row| row.get(0),
    )?;
    if mismatches != 0 {
        bail!("{mismatches} stock rows differ from the sum of confirmed documents");
    }
    Ok(())
}
