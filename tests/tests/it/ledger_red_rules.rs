//! A red document must cancel its source: through `doc import` and a confirmed draft alike, a
//! red line mirrors its source line's price, discount and tax rate, and is not dated before it.

use branchline_tests::ledger::{branch_node, seed_ledger, snapshot};
use branchline_tests::process::TempDir;
use std::path::{Path, PathBuf};

const SOURCE: &str = r#"{"number":"SZ-S1","type":"sales-out","date":"2026-03-10","partner":"C001","warehouse":"SZ-W","lines":[{"product":"P0001","qty":"5","price":"10.00","discount":"0.05","tax_rate":"0.13"},{"product":"P0002","qty":"2","price":"7","tax_rate":"0.13"}]}"#;
const OPENING: &str = r#"{"number":"SZ-O1","type":"opening","date":"2026-01-01","warehouse":"SZ-W","lines":[{"product":"P0001","qty":"100","price":"1"},{"product":"P0002","qty":"100","price":"1"}]}"#;

fn ledger_with_source(dir: &TempDir) -> PathBuf {
    let path = dir.join("sz.db");
    drop(seed_ledger(&path, "SZ").unwrap());
    import(&path, dir, "base.jsonl", &format!("{OPENING}\n{SOURCE}\n")).expect_ok();
    path
}

fn import(ledger: &Path, dir: &TempDir, name: &str, text: &str) -> branchline_tests::process::Run {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    branch_node(ledger, &["doc", "import", file.to_str().unwrap()]).unwrap()
}

fn red_line(date: &str, price: &str, discount: &str, tax_rate: &str) -> String {
    format!(
        r#"{{"number":"SZ-R1","type":"sales-out","date":"{date}","partner":"C001","warehouse":"SZ-W","red_of":"SZ-S1","lines":[{{"product":"P0001","qty":"-5","price":"{price}","discount":"{discount}","tax_rate":"{tax_rate}"}}]}}"#
    )
}

#[test]
fn an_imported_red_line_must_mirror_its_source_line() {
    let dir = TempDir::new("red-mirror").unwrap();
    let ledger = ledger_with_source(&dir);
    let before = snapshot(&ledger).unwrap();
    for (line, field, expected) in [
        (red_line("2026-03-11", "9.99", "0.05", "0.13"), "price 9.99", "10"),
        (red_line("2026-03-11", "10", "0", "0.13"), "discount 0", "0.05"),
        (
            red_line("2026-03-11", "10", "0.05", "0.06"),
            "tax_rate 0.06",
            "0.13",
        ),
    ] {
        let run = import(&ledger, &dir, "red.jsonl", &format!("{line}\n")).expect_err();
        let stderr = run.stderr.trim_end();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        for part in ["line 1", "document SZ-R1 line 1", field, expected, "red_of SZ-S1"] {
            assert!(stderr.contains(part), "{part:?} missing from: {stderr}");
        }
        assert_eq!(
            snapshot(&ledger).unwrap(),
            before,
            "a refused red changed the ledger"
        );
    }
    // The same terms written another way ("10" for "10.00") are the same line, and cancel it.
    import(
        &ledger,
        &dir,
        "ok.jsonl",
        &format!("{}\n", red_line("2026-03-11", "10", "0.050", "0.13")),
    )
    .expect_ok();
    let stock = branch_node(&ledger, &["stock", "--product", "P0001", "--format", "json"])
        .unwrap()
        .expect_ok();
    assert!(stock.stdout.contains(r#""on_hand":"100""#), "{}", stock.stdout);
}

#[test]
fn a_red_document_dated_before_its_source_is_refused() {
    let dir = TempDir::new("red-date").unwrap();
    let ledger = ledger_with_source(&dir);
    let before = snapshot(&ledger).unwrap();
    let run = import(
        &ledger,
        &dir,
        "red.jsonl",
        &format!("{}\n", red_line("2026-03-09", "10", "0.05", "0.13")),
    )
    .expect_err();
    let stderr = run.stderr.trim_end();
    assert!(
        stderr.contains("document SZ-R1: date 2026-03-09 is before 2026-03-10, the date of red_of SZ-S1"),
        "{stderr}"
    );
    let run = branch_node(&ledger, &["doc", "red", "SZ-S1", "--date", "2026-03-01"])
        .unwrap()
        .expect_err();
    assert!(run.stderr.contains("is before 2026-03-10"), "{}", run.stderr);
    assert_eq!(snapshot(&ledger).unwrap(), before);
    // The same day is fine, and the interactive red still cancels everything.
    branch_node(&ledger, &["doc", "red", "SZ-S1", "--date", "2026-03-10"])
        .unwrap()
        .expect_ok();
}
