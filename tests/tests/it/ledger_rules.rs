//! Ledger rules through the library on real ledger files: stock invariants, drafts, red
//! documents, duplicate numbers, refusals that change nothing, the outbox and epochs. Bulk
//! import's own rules are in `ledger_import`.

use branch_node::{DocFilter, DocumentOutcome, Ledger, LedgerError};
use branchline_shared::{DocLine, DocStatus, DocType, Document, EntryBody};
use branchline_tests::ledger::{
    assert_integrity, assert_outbox_gapless, assert_stock_matches_documents, confirmed_totals, customer_code,
    documents_jsonl, product_code, seed_ledger, seed_warehouse, snapshot,
};
use branchline_tests::process::TempDir;
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub(crate) fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

pub(crate) fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()
}

/// A one-line document for the seeded warehouse; empty number = ledger-generated.
pub(crate) fn doc(doc_type: DocType, partner: &str, product: &str, qty: &str) -> Document {
    Document {
        number: String::new(),
        doc_type,
        date: date(),
        partner: partner.to_owned(),
        warehouse: seed_warehouse("SZ"),
        to_warehouse: String::new(),
        red_of: None,
        lines: vec![DocLine {
            product: product.to_owned(),
            qty: d(qty),
            price: d("21.50"),
            discount: d("0.04"),
            tax_rate: d("0.13"),
        }],
        link: None,
    }
}

pub(crate) fn ledger_in(dir: &TempDir) -> Ledger {
    seed_ledger(&dir.join("sz.db"), "SZ").unwrap()
}

#[test]
fn stock_and_outbox_follow_an_imported_file() {
    let dir = TempDir::new("ledger-import").unwrap();
    let ledger = ledger_in(&dir);
    let (jsonl, summary) = documents_jsonl("SZ", 300, 4, 7);
    let before = ledger.status().unwrap();
    let outcome = ledger.import_documents(jsonl.as_bytes(), &mut |_| {}).unwrap();
    assert_eq!(outcome.imported, summary.documents);
    assert_eq!(outcome.lines, summary.lines);
    let totals = confirmed_totals(&ledger).unwrap();
    assert_eq!(totals, summary, "what the ledger holds equals what the file says");
    let after = ledger.status().unwrap();
    assert_eq!(after.last_seq, before.last_seq + summary.documents);
    assert_eq!(after.backlog_documents, summary.documents);
    assert_stock_matches_documents(ledger.path()).unwrap();
    assert_outbox_gapless(ledger.path()).unwrap();
    assert_integrity(ledger.path()).unwrap();

    // Re-importing the identical file is a no-op.
    let snapshot_before = snapshot(ledger.path()).unwrap();
    let again = ledger.import_documents(jsonl.as_bytes(), &mut |_| {}).unwrap();
    assert_eq!((again.imported, again.already_present), (0, summary.documents));
    assert_eq!(snapshot(ledger.path()).unwrap(), snapshot_before);
}

#[test]
fn negative_stock_is_refused_and_changes_nothing() {
    let dir = TempDir::new("ledger-negative").unwrap();
    let ledger = ledger_in(&dir);
    ledger
        .add_document(doc(DocType::Opening, "", "P0001", "5"), false)
        .unwrap();
    let before = snapshot(ledger.path()).unwrap();
    let error = ledger
        .add_document(doc(DocType::SalesOut, "C001", "P0001", "7"), false)
        .unwrap_err();
    assert!(matches!(error, LedgerError::StockWouldGoNegative { .. }));
    assert_eq!(
        error.to_string(),
        "document SZ-000002: stock of product P0001 in warehouse SZ-W would go negative (on hand 5, wanted 7)"
    );
    assert_eq!(
        snapshot(ledger.path()).unwrap(),
        before,
        "a refusal changes nothing"
    );
    // Exactly the stock on hand may leave.
    ledger
        .add_document(doc(DocType::RetailSale, "", "P0001", "5"), false)
        .unwrap();
    assert_eq!(ledger.on_hand("SZ-W", "P0001").unwrap(), Decimal::ZERO);
}

#[test]
fn a_ledger_allowing_negative_stock_accepts_it() {
    let dir = TempDir::new("ledger-negative-allowed").unwrap();
    let path = dir.join("sz.db");
    let ledger = Ledger::create(&path, "SZ", "深圳", true).unwrap();
    for record in [
        branchline_shared::BaseRecord::new(branchline_shared::BaseKind::Warehouse, "SZ-W", "w"),
        branchline_shared::BaseRecord::new(branchline_shared::BaseKind::Product, "P0001", "p"),
    ] {
        ledger.add_base_record(&record).unwrap();
    }
    ledger
        .add_document(doc(DocType::RetailSale, "", "P0001", "3"), false)
        .unwrap();
    assert_eq!(ledger.on_hand("SZ-W", "P0001").unwrap(), d("-3"));
}

#[test]
fn red_documents_reverse_at_most_what_remains() {
    let dir = TempDir::new("ledger-red").unwrap();
    let ledger = ledger_in(&dir);
    ledger
        .add_document(doc(DocType::Opening, "", "P0001", "100"), false)
        .unwrap();
    let sale = ledger
        .add_document(doc(DocType::SalesOut, "C001", "P0001", "17"), false)
        .unwrap();
    let sale_number = sale.number().to_owned();
    assert_eq!(ledger.on_hand("SZ-W", "P0001").unwrap(), d("83"));

    // A partial red (return of 5).
    let mut partial = doc(DocType::SalesOut, "C001", "P0001", "-5");
    partial.red_of = Some(sale_number.clone());
    ledger.add_document(partial, false).unwrap();
    assert_eq!(ledger.on_hand("SZ-W", "P0001").unwrap(), d("88"));

    // A full red now asks more than remains.
    let before = snapshot(ledger.path()).unwrap();
    let error = ledger.red_document(&sale_number, None, date()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("reverses 17 of product P0001 but only 12 of it remains unreversed in SZ-000002"),
        "{error}"
    );
    assert_eq!(snapshot(ledger.path()).unwrap(), before);

    // The rest can be reversed; then nothing remains.
    let mut rest = doc(DocType::SalesOut, "C001", "P0001", "-12");
    rest.red_of = Some(sale_number.clone());
    ledger.add_document(rest, false).unwrap();
    assert_eq!(ledger.on_hand("SZ-W", "P0001").unwrap(), d("100"));
    let mut more = doc(DocType::SalesOut, "C001", "P0001", "-0.0001");
    more.red_of = Some(sale_number.clone());
    assert!(matches!(
        ledger.add_document(more, false),
        Err(LedgerError::RedExceedsSource { .. })
    ));

    // Red of another type, of a red, of a draft, of a missing document: refused.
    let mut wrong_type = doc(DocType::RetailSale, "", "P0001", "-1");
    wrong_type.red_of = Some(sale_number.clone());
    assert!(matches!(
        ledger.add_document(wrong_type, false),
        Err(LedgerError::RedTypeMismatch { .. })
    ));
    let draft = ledger
        .add_document(doc(DocType::SalesOut, "C001", "P0001", "1"), true)
        .unwrap();
    let mut of_draft = doc(DocType::SalesOut, "C001", "P0001", "-1");
    of_draft.red_of = Some(draft.number().to_owned());
    assert!(matches!(
        ledger.add_document(of_draft, false),
        Err(LedgerError::RedSourceNotConfirmed { .. })
    ));
    assert!(matches!(
        ledger.red_document("NOPE", None, date()),
        Err(LedgerError::DocumentNotFound { .. })
    ));
    assert_stock_matches_documents(ledger.path()).unwrap();
    assert_outbox_gapless(ledger.path()).unwrap();
}

#[test]
fn full_red_restores_stock_and_totals() {
    let dir = TempDir::new("ledger-red-full").unwrap();
    let ledger = ledger_in(&dir);
    ledger
        .add_document(doc(DocType::PurchaseIn, "S001", "P0002", "40"), false)
        .unwrap();
    let red = ledger.red_document("SZ-000001", Some("SZ-R1"), date()).unwrap();
    assert_eq!(red.number(), "SZ-R1");
    assert_eq!(ledger.on_hand("SZ-W", "P0002").unwrap(), Decimal::ZERO);
    let totals = confirmed_totals(&ledger).unwrap();
    assert_eq!(
        (totals.qty, totals.amount, totals.tax),
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO)
    );
    let stored = ledger.document("SZ-R1").unwrap();
    assert_eq!(stored.document.red_of.as_deref(), Some("SZ-000001"));
    assert_eq!(stored.document.lines[0].qty, d("-40"));
}

#[test]
fn drafts_move_nothing_until_confirmed() {
    let dir = TempDir::new("ledger-draft").unwrap();
    let ledger = ledger_in(&dir);
    let seq_before = ledger.status().unwrap().last_seq;
    let draft = ledger
        .add_document(doc(DocType::PurchaseIn, "S001", "P0003", "9"), true)
        .unwrap();
    assert!(matches!(draft, DocumentOutcome::Draft { .. }));
    assert_eq!(
        ledger.status().unwrap().last_seq,
        seq_before,
        "drafts do not go to the outbox"
    );
    assert_eq!(ledger.on_hand("SZ-W", "P0003").unwrap(), Decimal::ZERO);
    let seq = ledger.confirm_document(draft.number()).unwrap();
    assert_eq!(seq, seq_before + 1);
    assert_eq!(ledger.on_hand("SZ-W", "P0003").unwrap(), d("9"));
    assert!(matches!(
        ledger.confirm_document(draft.number()),
        Err(LedgerError::NotDraft { .. })
    ));
    let entry = ledger.outbox_after(seq - 1, 10, 1 << 20).unwrap().remove(0);
    match entry.body {
        EntryBody::Document(document) => assert_eq!(document.number, draft.number()),
        other => panic!("expected a document entry, got {other:?}"),
    }
    // A local draft cannot be rejected; only routed ones.
    let local = ledger
        .add_document(doc(DocType::PurchaseIn, "S001", "P0003", "1"), true)
        .unwrap();
    assert!(matches!(
        ledger.reject_document(local.number(), "no"),
        Err(LedgerError::NotRouted { .. })
    ));
}

#[test]
fn duplicate_numbers_are_no_ops_or_refusals() {
    let dir = TempDir::new("ledger-dup").unwrap();
    let ledger = ledger_in(&dir);
    let mut first = doc(DocType::Opening, "", "P0001", "10");
    first.number = "OPEN-1".to_owned();
    ledger.add_document(first.clone(), false).unwrap();
    let before = snapshot(ledger.path()).unwrap();
    let mut same = first.clone();
    same.lines[0].price = d("21.5000"); // the same value written differently
    assert!(matches!(
        ledger.add_document(same, false).unwrap(),
        DocumentOutcome::AlreadyPresent { .. }
    ));
    let mut different = first.clone();
    different.lines[0].qty = d("11");
    let error = ledger.add_document(different, false).unwrap_err();
    assert_eq!(
        error.to_string(),
        "document number OPEN-1 already exists with different content"
    );
    assert_eq!(snapshot(ledger.path()).unwrap(), before);
}

#[test]
fn unknown_codes_are_refused_by_name() {
    let dir = TempDir::new("ledger-codes").unwrap();
    let ledger = ledger_in(&dir);
    let before = snapshot(ledger.path()).unwrap();
    let cases = [
        (doc(DocType::Opening, "", "P9999", "1"), "unknown product P9999"),
        (
            doc(DocType::SalesOut, "C999", "P0001", "1"),
            "unknown customer C999",
        ),
        (
            doc(DocType::PurchaseIn, "C001", "P0001", "1"),
            "unknown supplier C001",
        ),
        (
            Document {
                warehouse: "GZ-W".to_owned(),
                ..doc(DocType::Opening, "", "P0001", "1")
            },
            "unknown warehouse GZ-W",
        ),
    ];
    for (document, expected) in cases {
        for draft in [false, true] {
            let error = ledger
                .add_document(document.clone(), draft)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("document SZ-") && error.ends_with(expected),
                "{error}"
            );
        }
    }
    assert_eq!(snapshot(ledger.path()).unwrap(), before);
}

#[test]
fn confirmed_documents_have_checksums_by_month() {
    let dir = TempDir::new("ledger-checksums").unwrap();
    let ledger = ledger_in(&dir);
    let (jsonl, summary) = documents_jsonl("SZ", 40, 2, 3);
    ledger.import_documents(jsonl.as_bytes(), &mut |_| {}).unwrap();
    ledger
        .add_document(doc(DocType::SalesOut, "C001", "P0001", "1"), true)
        .unwrap();
    let checksums = ledger.document_checksums().unwrap();
    assert_eq!(
        checksums.len() as u64,
        summary.documents,
        "drafts are not counted"
    );
    let stored = ledger
        .documents(DocFilter {
            doc_type: None,
            status: Some(DocStatus::Confirmed),
        })
        .unwrap();
    for stored in stored {
        let entry = checksums
            .iter()
            .find(|c| c.number == stored.document.number)
            .unwrap();
        assert_eq!(entry.checksum, stored.document.content_checksum());
        assert_eq!(entry.month, stored.document.date.format("%Y-%m").to_string());
        assert_eq!(entry.doc_type, stored.document.doc_type);
    }
}

/// A ledger handle remembers the codes it has seen present and reads stock in every
/// transaction: writes through a second handle on the same file (another `branch-node`
/// process, the agent) are seen at once, and stock, numbers and the outbox stay exact.
#[test]
fn two_handles_on_one_ledger_see_each_others_writes() {
    let dir = TempDir::new("ledger-two-handles").unwrap();
    let first = ledger_in(&dir);
    let second = Ledger::open(first.path()).unwrap();
    first
        .add_document(doc(DocType::Opening, "", &product_code(0), "10"), false)
        .unwrap();
    let sale = || doc(DocType::SalesOut, &customer_code(0), &product_code(0), "4");
    first.add_document(sale(), false).unwrap();
    second.add_document(sale(), false).unwrap();
    // 2 left: the first handle must read the second's sale, not remember 6.
    let refused = first.add_document(sale(), false).unwrap_err();
    assert!(
        matches!(refused, LedgerError::StockWouldGoNegative { .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains("on hand 2"), "{refused}");

    // A code unknown to the first handle, then added through the second, is accepted.
    let new_product = "NEW-1";
    let unknown = first
        .add_document(doc(DocType::Opening, "", new_product, "1"), false)
        .unwrap_err();
    assert!(matches!(unknown, LedgerError::UnknownCode { .. }), "{unknown}");
    let mut record =
        branchline_shared::BaseRecord::new(branchline_shared::BaseKind::Product, new_product, "new");
    record.unit = "pcs".to_owned();
    second.add_base_record(&record).unwrap();
    first
        .add_document(doc(DocType::Opening, "", new_product, "1"), false)
        .unwrap();

    // Numbers taken by either handle are never handed out twice.
    let numbers: Vec<String> = first
        .documents(DocFilter::default())
        .unwrap()
        .into_iter()
        .map(|stored| stored.document.number)
        .collect();
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), numbers.len(), "{numbers:?}");
    let status = second.status().unwrap();
    assert_eq!(status.last_seq, first.status().unwrap().last_seq);
    assert_outbox_gapless(first.path()).unwrap();
    assert_stock_matches_documents(first.path()).unwrap();
    assert_integrity(first.path()).unwrap();
}

/// A red document given an explicitly empty number is refused, not numbered by the ledger.
#[test]
fn a_red_document_with_an_empty_number_is_refused() {
    let dir = TempDir::new("ledger-red-empty").unwrap();
    let ledger = ledger_in(&dir);
    let opening = ledger
        .add_document(doc(DocType::Opening, "", &product_code(0), "5"), false)
        .unwrap();
    let before = snapshot(ledger.path()).unwrap();
    ledger
        .red_document(opening.number(), Some(""), date())
        .unwrap_err();
    assert_eq!(snapshot(ledger.path()).unwrap(), before);
}

/// A new ledger is a WAL file with the small pages interactive confirms are sized for, and a
/// ledger written with them passes SQLite's integrity check.
#[test]
fn a_new_ledger_has_small_pages_in_wal_mode() {
    let dir = TempDir::new("ledger-pages").unwrap();
    let ledger = ledger_in(&dir);
    ledger
        .add_document(doc(DocType::Opening, "", &product_code(0), "5"), false)
        .unwrap();
    let conn = rusqlite::Connection::open(ledger.path()).unwrap();
    let page_size: i64 = conn.query_row("PRAGMA page_size", [], |row| row.get(0)).unwrap();
    let journal_mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        (page_size, journal_mode.as_str()),
        (branch_node::schema::PAGE_SIZE, "wal")
    );
    assert_integrity(ledger.path()).unwrap();
}
