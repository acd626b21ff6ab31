//! Bulk import (`Ledger::import_documents`) on real ledger files: a file is applied whole or not
//! at all, a bad line is named by its number, and red documents inside one file see their
//! sources in the same file.

use crate::ledger_rules::{d, ledger_in};
use branch_node::LedgerError;
use branchline_tests::ledger::{
    assert_outbox_gapless, assert_stock_matches_documents, documents_jsonl, product_code, snapshot,
};
use branchline_tests::process::TempDir;

/// Rewrites one line of an import file.
type LineAlteration = Box<dyn Fn(&str) -> String>;

#[test]
fn import_is_all_or_nothing_and_names_the_line() {
    let dir = TempDir::new("ledger-import-bad").unwrap();
    let ledger = ledger_in(&dir);
    let (jsonl, _) = documents_jsonl("SZ", 50, 3, 11);
    let before = snapshot(ledger.path()).unwrap();
    let mut lines: Vec<String> = jsonl.lines().map(str::to_owned).collect();
    let good = lines.clone();
    let cases: Vec<(usize, LineAlteration, &str)> = vec![
        (
            40,
            Box::new(|l: &str| l.replacen("\"qty\":\"", "\"qty\":\"1e", 1)),
            "line 40: field lines[0].qty: malformed quantity",
        ),
        (
            12,
            Box::new(|l: &str| l.replacen("P00", "X00", 1)),
            "line 12: document SZ-11-0000011: unknown product X00",
        ),
        (
            30,
            Box::new(|l: &str| l[..l.len() / 2].to_owned()),
            "line 30: malformed JSON",
        ),
        (
            25,
            Box::new(|l: &str| l.replacen("\"qty\":\"", "\"qty\":\"-", 1)),
            "line 25: document SZ-11-0000024 line 1: quantity -",
        ),
        (
            2,
            Box::new(|_: &str| good_line_with_huge_sale()),
            "line 2: document SZ-BIG: stock of product P0001",
        ),
    ];
    for (line, alter, expected) in cases {
        lines[line - 1] = alter(&good[line - 1]);
        let file = lines.join("\n");
        let error = ledger
            .import_documents(file.as_bytes(), &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(error.starts_with(expected), "{error}\nexpected: {expected}");
        assert_eq!(
            snapshot(ledger.path()).unwrap(),
            before,
            "a bad line changes nothing"
        );
        lines[line - 1] = good[line - 1].clone();
    }
    // The same number with different content inside one file.
    lines.push(good[5].replacen("\"qty\":\"", "\"qty\":\"9", 1));
    let error = ledger
        .import_documents(lines.join("\n").as_bytes(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("line 51: document number SZ-11-0000005 already exists with different content"),
        "{error}"
    );
    assert_eq!(snapshot(ledger.path()).unwrap(), before);
}

fn good_line_with_huge_sale() -> String {
    format!(
        r#"{{"number":"SZ-BIG","type":"retail-sale","date":"2026-01-05","warehouse":"SZ-W","lines":[{{"product":"{}","qty":"999999999999","price":"0"}}]}}"#,
        product_code(0)
    )
}

#[test]
fn reds_inside_one_import_file_see_their_sources() {
    let dir = TempDir::new("ledger-import-red").unwrap();
    let ledger = ledger_in(&dir);
    let line = |number: &str, doc_type: &str, partner: &str, red_of: &str, qty: &str| {
        let partner = if partner.is_empty() {
            String::new()
        } else {
            format!(r#""partner":"{partner}","#)
        };
        let red_of = if red_of.is_empty() {
            String::new()
        } else {
            format!(r#""red_of":"{red_of}","#)
        };
        format!(
            r#"{{"number":"{number}","type":"{doc_type}","date":"2026-02-01",{partner}{red_of}"warehouse":"SZ-W","lines":[{{"product":"P0001","qty":"{qty}","price":"3"}}]}}"#
        )
    };
    let file = [
        line("O1", "opening", "", "", "50"),
        line("S1", "sales-out", "C001", "", "10"),
        line("R1", "sales-out", "C001", "S1", "-4"),
        line("R2", "sales-out", "C001", "S1", "-6"),
    ]
    .join("\n");
    let before = snapshot(ledger.path()).unwrap();
    let too_much = format!("{file}\n{}", line("R3", "sales-out", "C001", "S1", "-1"));
    let error = ledger
        .import_documents(too_much.as_bytes(), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "line 5: document R3: reverses 1 of product P0001 but only 0 of it remains unreversed in S1"
    );
    assert_eq!(snapshot(ledger.path()).unwrap(), before);
    ledger.import_documents(file.as_bytes(), &mut |_| {}).unwrap();
    assert_eq!(ledger.on_hand("SZ-W", "P0001").unwrap(), d("50"));
    let more = line("R3", "sales-out", "C001", "S1", "-1");
    assert!(matches!(
        ledger.import_documents(more.as_bytes(), &mut |_| {}),
        Err(LedgerError::ImportLine { line: 1, .. })
    ));
    assert_stock_matches_documents(ledger.path()).unwrap();
    assert_outbox_gapless(ledger.path()).unwrap();
}
