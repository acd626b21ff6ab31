//! Schema migration in place: a ledger of schema version 2 (one `doc_line` row per line, the
//! epoch row rewritten by every append) opens with this build, is migrated to the current version
//! (version 3: the lines in one column of the document row; version 4: the epoch counters read
//! from the last outbox entry) and reads back the same documents, outbox entries, bundle bytes and
//! stock, then numbers and appends where the old ledger left off.

use anyhow::Context;
use branch_node::{DocFilter, Ledger};
use branchline_shared::{DocLine, DocType, Document};
use branchline_tests::ledger::{
    assert_integrity, assert_outbox_gapless, assert_stock_matches_documents, documents_jsonl, product_code,
    seed_ledger, seed_warehouse,
};
use branchline_tests::process::TempDir;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::path::Path;

/// Everything a reader of the ledger sees.
#[derive(Debug, PartialEq)]
struct Contents {
    documents: Vec<branch_node::StoredDocument>,
    outbox: Vec<branchline_shared::OutboxEntry>,
    bundle: Vec<u8>,
    stock: Vec<branch_node::StockRow>,
    status: branch_node::LedgerStatus,
    checksums: Vec<branch_node::DocumentChecksum>,
}

fn contents(ledger: &Ledger) -> anyhow::Result<Contents> {
    Ok(Contents {
        documents: ledger.documents(DocFilter::default())?,
        outbox: ledger.outbox_after(0, 1_000_000, usize::MAX)?,
        bundle: ledger.export_bundle()?,
        stock: ledger.stock(None, None)?,
        status: ledger.status()?,
        checksums: ledger.document_checksums()?,
    })
}

/// Rewrites a current ledger into schema version 2's tables, as an older build left them: lines
/// in their own table, the epoch row kept up to date by every append (version 4 drops that), and
/// no staging table for template parts (version 5 adds it), no record of HQ's position
/// (version 6), and no transfer destination or stock counts' counted lines (version 7).
fn downgrade_to_version_2(path: &Path) -> anyhow::Result<()> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE doc_line_v2 (
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
         INSERT INTO doc_line_v2
             SELECT id, doc_id, line_no, product, qty, price, discount, tax_rate, 0, 0 FROM doc_line ORDER BY id;
         DROP VIEW doc_line;
         ALTER TABLE doc_line_v2 RENAME TO doc_line;
         ALTER TABLE document DROP COLUMN lines;
         UPDATE epoch SET
             last_seq = coalesce((SELECT max(o.seq) FROM outbox o WHERE o.epoch = epoch.epoch), 0),
             next_number = max(next_number, coalesce(
                 (SELECT o.next_number FROM outbox o WHERE o.epoch = epoch.epoch ORDER BY o.id DESC LIMIT 1), 0));
         ALTER TABLE outbox DROP COLUMN next_number;
         DROP TABLE template_part;
         DROP TABLE hq_rewind;
         DROP TABLE hq_hold;
         ALTER TABLE document DROP COLUMN to_warehouse;
         DROP TABLE stock_counted;
         PRAGMA user_version = 2;
         COMMIT;",
    )?;
    Ok(())
}

/// The number the ledger hands out next: one past the highest it generated.
fn before_counter(contents: &Contents) -> u64 {
    let generated = contents
        .documents
        .iter()
        .filter_map(|stored| stored.document.number.strip_prefix("SZ-")?.parse::<u64>().ok());
    generated.max().unwrap_or(0) + 1
}

fn schema_of(path: &Path) -> anyhow::Result<(i64, String, i64)> {
    let conn = rusqlite::Connection::open(path)?;
    let version = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let doc_line_type = conn.query_row(
        "SELECT type FROM sqlite_schema WHERE name = 'doc_line'",
        [],
        |row| row.get(0),
    )?;
    let doc_line_rows = conn.query_row("SELECT count(*) FROM doc_line", [], |row| row.get(0))?;
    Ok((version, doc_line_type, doc_line_rows))
}

#[test]
fn ledger_migrate_version_2_in_place_keeps_every_document_entry_and_stock() -> anyhow::Result<()> {
    let dir = TempDir::new("ledger-migrate")?;
    let path = dir.join("v2.db");
    let (jsonl, summary) = documents_jsonl("SZ", 300, 4, 11);
    let before = {
        let ledger = seed_ledger(&path, "SZ")?;
        ledger.import_documents(jsonl.as_bytes(), &mut |_| {})?;
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).context("a date")?;
        let sales = DocFilter {
            doc_type: Some(DocType::SalesOut),
            status: None,
        };
        let source = ledger.documents(sales)?.remove(0).document.number;
        ledger.red_document(&source, None, date)?;
        let draft = Document {
            number: String::new(),
            doc_type: DocType::SalesOut,
            date,
            partner: "C001".to_owned(),
            warehouse: seed_warehouse("SZ"),
            to_warehouse: String::new(),
            red_of: None,
            lines: vec![DocLine {
                product: product_code(3),
                qty: Decimal::new(250, 2),
                price: Decimal::new(2150, 2),
                discount: Decimal::new(4, 2),
                tax_rate: Decimal::new(13, 2),
            }],
            link: None,
        };
        ledger.add_document(draft, true)?;
        contents(&ledger)?
    };
    downgrade_to_version_2(&path)?;
    let expected_lines: usize = before
        .documents
        .iter()
        .map(|stored| stored.document.lines.len())
        .sum();
    let expected_lines = expected_lines as i64;
    assert_eq!(schema_of(&path)?, (2, "table".to_owned(), expected_lines));
    assert_integrity(&path)?;

    let ledger = Ledger::open(&path)?;
    let after = contents(&ledger)?;
    assert!(before == after, "the migrated ledger reads differently");
    assert_eq!(
        schema_of(&path)?,
        (
            branch_node::schema::SCHEMA_VERSION,
            "view".to_owned(),
            expected_lines
        )
    );
    assert_integrity(&path)?;
    assert_outbox_gapless(&path)?;
    assert_stock_matches_documents(&path)?;

    // Numbering and the outbox carry on where the version-2 epoch row left them.
    let next = ledger.add_document(
        Document {
            number: String::new(),
            ..before.documents[0].document.clone()
        },
        false,
    );
    let next = next?;
    let expected_number = format!("SZ-{:06}", before_counter(&before));
    assert_eq!(next.number(), expected_number);
    assert_eq!(ledger.status()?.last_seq, after.status.last_seq + 1);
    assert_outbox_gapless(&path)?;

    // Re-importing the same file is still a no-op on the migrated ledger.
    let again = ledger.import_documents(jsonl.as_bytes(), &mut |_| {})?;
    assert_eq!((again.imported, again.already_present), (0, summary.documents));
    assert_eq!(contents(&ledger)?.documents.len(), after.documents.len() + 1);
    Ok(())
}
