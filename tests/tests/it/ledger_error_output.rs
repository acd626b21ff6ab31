//! What `branch-node` prints when it refuses: one line per error, never a cause twice, never
//! more than a short prefix of a bad value; and small refusals of input that used to pass
//! silently (a directory as the ledger, unknown stock filters, empty numbers and reasons), with a
//! leading byte-order mark accepted in a documents file.

use branchline_tests::ledger::{branch_node, seed_ledger, snapshot};
use branchline_tests::process::{Run, TempDir};
use std::path::{Path, PathBuf};

fn seeded(dir: &TempDir) -> PathBuf {
    let path = dir.join("sz.db");
    drop(seed_ledger(&path, "SZ").unwrap());
    path
}

/// The one stderr line of a failed run, checked to repeat no part of itself.
fn one_error_line(run: Run) -> String {
    let run = run.expect_err();
    let stderr = run.stderr.trim_end().to_owned();
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    let parts: Vec<&str> = stderr.split(": ").filter(|part| part.len() > 12).collect();
    for (idx, part) in parts.iter().enumerate() {
        assert!(
            !parts[idx + 1..].contains(part),
            "{part:?} printed twice: {stderr}"
        );
    }
    stderr
}

fn import_text(ledger: &Path, dir: &TempDir, bytes: &[u8]) -> Run {
    let file = dir.join("docs.jsonl");
    std::fs::write(&file, bytes).unwrap();
    branch_node(ledger, &["doc", "import", file.to_str().unwrap()]).unwrap()
}

const GOOD: &str = r#"{"number":"SZ-1","type":"opening","date":"2026-01-05","warehouse":"SZ-W","lines":[{"product":"P0001","qty":"17","price":"21.50"}]}"#;

#[test]
fn every_error_is_one_line_without_a_repeated_cause() {
    let dir = TempDir::new("error-once").unwrap();
    let ledger = seeded(&dir);
    let line = one_error_line(
        branch_node(
            &ledger,
            &[
                "doc",
                "add",
                "--type",
                "opening",
                "--warehouse",
                "SZ-W",
                "--line",
                "P0001:1@x",
            ],
        )
        .unwrap(),
    );
    assert!(
        line.contains(r#"--line "P0001:1@x": field price: malformed price "x""#),
        "{line}"
    );
    let line = one_error_line(import_text(
        &ledger,
        &dir,
        GOOD.replace(r#""17""#, r#""1x7""#).as_bytes(),
    ));
    assert!(
        line.contains(r#"line 1: field lines[0].qty: malformed quantity "1x7""#),
        "{line}"
    );
    one_error_line(import_text(&ledger, &dir, br#"{"number":"A", bad}"#));
    one_error_line(import_text(
        &ledger,
        &dir,
        GOOD.replace("SZ-1", "SZ 1").as_bytes(),
    ));
}

#[test]
fn a_huge_bad_value_is_echoed_as_a_short_prefix() {
    let dir = TempDir::new("error-prefix").unwrap();
    let ledger = seeded(&dir);
    let huge = "9".repeat(50 << 20);
    for bad in [
        GOOD.replace(r#""17""#, &format!("\"1x{huge}\"")),
        GOOD.replace("SZ-1", &format!("SZ {huge}")),
        GOOD.replace("2026-01-05", &huge),
        GOOD.replace("opening", &huge),
        GOOD.replace(r#""lines""#, &format!("\"{huge}\"")),
        format!("not json {huge}"),
    ] {
        let run = import_text(&ledger, &dir, bad.as_bytes()).expect_err();
        assert!(
            run.stderr.len() < 1024,
            "{} bytes of stderr: {}…",
            run.stderr.len(),
            &run.stderr[..200]
        );
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    }
    let line = format!("P0001:1@1{}", "x".repeat(100_000));
    let run = branch_node(
        &ledger,
        &[
            "doc",
            "add",
            "--type",
            "opening",
            "--warehouse",
            "SZ-W",
            "--line",
            &line,
        ],
    )
    .unwrap()
    .expect_err();
    assert!(run.stderr.len() < 1024, "{} bytes of stderr", run.stderr.len());
}

#[test]
fn a_directory_given_as_the_ledger_is_named_as_such() {
    let dir = TempDir::new("ledger-dir").unwrap();
    let line = one_error_line(branch_node(dir.path(), &["status"]).unwrap());
    assert!(line.contains("is a directory, not a ledger file"), "{line}");
}

#[test]
fn a_leading_byte_order_mark_is_accepted_only_at_the_start_of_the_file() {
    let dir = TempDir::new("jsonl-bom").unwrap();
    let ledger = seeded(&dir);
    let with_bom = format!("\u{feff}{GOOD}\n");
    import_text(&ledger, &dir, with_bom.as_bytes()).expect_ok();
    let shown = branch_node(&ledger, &["doc", "show", "SZ-1"])
        .unwrap()
        .expect_ok();
    assert!(shown.stdout.contains("SZ-1"), "{}", shown.stdout);
    let second = GOOD.replace("SZ-1", "SZ-2");
    let line = one_error_line(import_text(
        &ledger,
        &dir,
        format!("{GOOD}\n\u{feff}{second}\n").as_bytes(),
    ));
    assert!(
        line.contains("line 2: a byte-order mark (U+FEFF) at column 1"),
        "{line}"
    );
}

#[test]
fn unknown_stock_filters_and_empty_numbers_and_reasons_are_refused() {
    let dir = TempDir::new("silent-input").unwrap();
    let ledger = seeded(&dir);
    let before = snapshot(&ledger).unwrap();
    let line = one_error_line(branch_node(&ledger, &["stock", "--warehouse", "NOPE"]).unwrap());
    assert!(line.contains("unknown warehouse NOPE"), "{line}");
    let line = one_error_line(branch_node(&ledger, &["stock", "--product", "NOPE"]).unwrap());
    assert!(line.contains("unknown product NOPE"), "{line}");
    branch_node(&ledger, &["stock", "--warehouse", "SZ-W", "--product", "P0001"])
        .unwrap()
        .expect_ok();
    let add = [
        "doc",
        "add",
        "--type",
        "opening",
        "--warehouse",
        "SZ-W",
        "--line",
        "P0001:1@1",
        "--number",
    ];
    for number in ["", "  "] {
        let mut args = add.to_vec();
        args.push(number);
        let line = one_error_line(branch_node(&ledger, &args).unwrap());
        assert!(line.contains("--number is empty"), "{line}");
    }
    for reason in ["", " \t"] {
        let line =
            one_error_line(branch_node(&ledger, &["doc", "reject", "SZ-X", "--reason", reason]).unwrap());
        assert!(
            line.contains("document SZ-X: the reject reason is empty"),
            "{line}"
        );
    }
    assert_eq!(snapshot(&ledger).unwrap(), before);
}
