//! The real `branch-node` binary: the README's commands, their JSON shapes, and one-line errors
//! that exit 1 and leave the ledger unchanged.

use branchline_tests::ledger::{assert_integrity, branch_node, snapshot, write_documents_jsonl};
use branchline_tests::process::TempDir;
use serde_json::Value;
use std::path::Path;

fn ok(ledger: &Path, args: &[&str]) -> String {
    branch_node(ledger, args).unwrap().expect_ok().stdout
}

fn json(ledger: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(ledger, args)).unwrap()
}

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// A ledger set up through the CLI, as an operator would.
fn operator_ledger(dir: &TempDir) -> std::path::PathBuf {
    let ledger = dir.join("sz.db");
    ok(&ledger, &["init", "--branch", "SZ", "--name", "深圳分公司"]);
    ok(&ledger, &["warehouse", "add", "SZ-W", "--name", "main"]);
    ok(
        &ledger,
        &[
            "product", "add", "P001", "--name", "widget", "--unit", "pcs", "--price", "21.50",
        ],
    );
    ok(&ledger, &["customer", "add", "C001", "--name", "a customer"]);
    ok(&ledger, &["supplier", "add", "S001", "--name", "a supplier"]);
    ledger
}

#[test]
fn an_operator_session_prints_the_spec_shapes() {
    let dir = TempDir::new("cli-session").unwrap();
    let ledger = operator_ledger(&dir);
    let opening = branch_node(
        &ledger,
        &[
            "doc",
            "add",
            "--type",
            "opening",
            "--warehouse",
            "SZ-W",
            "--line",
            "P001:100@10",
            "--date",
            "2026-01-01",
        ],
    )
    .unwrap()
    .expect_ok();
    assert_eq!(opening.last_line(), "SZ-000001");
    let sale = branch_node(
        &ledger,
        &[
            "doc",
            "add",
            "--type",
            "sales-out",
            "--partner",
            "C001",
            "--warehouse",
            "SZ-W",
            "--line",
            "P001:17@21.50:0.04:0.13",
            "--date",
            "2026-01-05",
        ],
    )
    .unwrap()
    .expect_ok();
    assert_eq!(sale.last_line(), "SZ-000002");

    let stock = json(&ledger, &["stock", "--format", "json"]);
    assert_eq!(
        stock,
        serde_json::json!({"rows":[{"warehouse":"SZ-W","product":"P001","on_hand":"83"}]})
    );

    assert_sale_listed_in_the_spec_shape(&ledger);

    let red = branch_node(&ledger, &["doc", "red", "SZ-000002", "--date", "2026-01-06"])
        .unwrap()
        .expect_ok();
    assert_eq!(red.last_line(), "SZ-000003");
    let shown = json(&ledger, &["doc", "show", "SZ-000003", "--format", "json"]);
    assert_eq!(
        (shown["red_of"].as_str(), shown["total"].as_str()),
        (Some("SZ-000002"), Some("-396.49"))
    );
    assert_eq!(
        json(&ledger, &["stock", "--product", "P001", "--format", "json"])["rows"][0]["on_hand"],
        "100"
    );

    add_and_confirm_a_draft(&ledger);

    let status = json(&ledger, &["status", "--format", "json"]);
    for key in ["branch", "epoch", "last_seq", "acked_seq", "backlog", "inbox_seq"] {
        assert!(status.get(key).is_some(), "status lacks {key}: {status}");
    }
    assert_eq!(status["branch"], "SZ");
    assert_eq!(
        status["last_seq"],
        4 + 4,
        "4 base records + opening, sale, red, confirmed draft"
    );
    assert_eq!(status["backlog"], 8);

    export_a_bundle_then_start_epoch_2(&ledger, dir.path());
    assert!(ok(&ledger, &["doc", "list"]).contains("SZ-E2-000005"));
    assert!(ok(&ledger, &["stock"]).contains("P001"));
    assert_integrity(&ledger).unwrap();
}

#[test]
fn bad_input_gets_one_line_naming_the_culprit_and_changes_nothing() {
    let dir = TempDir::new("cli-bad").unwrap();
    let ledger = operator_ledger(&dir);
    ok(
        &ledger,
        &[
            "doc",
            "add",
            "--type",
            "opening",
            "--number",
            "OPEN-1",
            "--warehouse",
            "SZ-W",
            "--line",
            "P001:10@1",
            "--date",
            "2026-01-01",
        ],
    );
    let bad_jsonl = dir.join("bad.jsonl");
    std::fs::write(
        &bad_jsonl,
        "{\"number\":\"A1\",\"type\":\"opening\",\"date\":\"2026-01-01\",\"warehouse\":\"SZ-W\",\"lines\":[{\"product\":\"P001\",\"qty\":\"1\",\"price\":\"1\"}]}\n\
         {\"number\":\"A2\",\"type\":\"opening\",\"date\":\"2026-01-01\",\"warehouse\":\"SZ-W\",\"lines\":[{\"product\":\"P001\",\"qty\":\"1.00001\",\"price\":\"1\"}]}\n",
    )
    .unwrap();
    let template = dir.join("cut.template");
    std::fs::write(&template, b"{\"format\":\"template\",\"format_version\":2,\"source\":\"HQ\",\"entries\":1,\"body_sha256\":\"00\"}\n{}\n").unwrap();
    let mut cases: Vec<(Vec<&str>, &str)> = bad_sale_inputs();
    cases.extend(other_bad_inputs(
        bad_jsonl.to_str().unwrap(),
        template.to_str().unwrap(),
    ));
    let before = snapshot(&ledger).unwrap();
    for (args, expected) in cases {
        let run = branch_node(&ledger, &args).unwrap();
        assert_eq!(run.status.code(), Some(1), "{args:?} should fail\n{}", run.stdout);
        let stderr = run.stderr.trim_end();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: not one line: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{args:?}: {stderr}\nexpected: {expected}"
        );
        assert_eq!(snapshot(&ledger).unwrap(), before, "{args:?} changed the ledger");
    }
    let missing = dir.join("missing.db");
    let run = branch_node(&missing, &["status"]).unwrap().expect_err();
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    assert!(!missing.exists());
}

#[test]
fn import_is_one_transaction_and_idempotent() {
    let dir = TempDir::new("cli-import").unwrap();
    let ledger = dir.join("sz.db");
    drop(branchline_tests::ledger::seed_ledger(&ledger, "SZ").unwrap());
    let file = dir.join("docs.jsonl");
    let summary = write_documents_jsonl(&file, "SZ", 120, 3, 5).unwrap();
    let first = branch_node(&ledger, &["doc", "import", file.to_str().unwrap()])
        .unwrap()
        .expect_ok();
    assert!(
        first
            .stdout
            .contains(&format!("imported {} documents", summary.documents)),
        "{}",
        first.stdout
    );
    let before = snapshot(&ledger).unwrap();
    let again = branch_node(&ledger, &["doc", "import", file.to_str().unwrap()])
        .unwrap()
        .expect_ok();
    assert!(again.stdout.contains(&format!(
        "imported 0 documents (0 lines); {} already present",
        summary.documents
    )));
    assert_eq!(snapshot(&ledger).unwrap(), before, "re-import is a no-op");

    // Same numbers, different content: refused by number and line.
    let altered = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"tax_rate\":\"0.13\"", "\"tax_rate\":\"0.09\"");
    std::fs::write(&file, altered).unwrap();
    let run = branch_node(&ledger, &["doc", "import", file.to_str().unwrap()])
        .unwrap()
        .expect_err();
    assert!(
        run.stderr.contains("docs.jsonl: line ")
            && run.stderr.contains("already exists with different content"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(&ledger).unwrap(), before);
}

/// `doc list --format json` shows the sale with the documented keys, its line with theirs, and
/// exact figures.
fn assert_sale_listed_in_the_spec_shape(ledger: &Path) {
    let list = json(
        ledger,
        &["doc", "list", "--type", "sales-out", "--format", "json"],
    );
    let docs = list["docs"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    let doc = &docs[0];
    assert_eq!(
        keys(doc),
        [
            "amount",
            "date",
            "lines",
            "number",
            "partner",
            "red_of",
            "status",
            "tax",
            "total",
            "type",
            "warehouse"
        ]
    );
    assert_eq!(doc["amount"], "350.88");
    assert_eq!(doc["tax"], "45.61");
    assert_eq!(doc["total"], "396.49");
    assert_eq!(doc["status"], "confirmed");
    let line = &doc["lines"][0];
    assert_eq!(
        keys(line),
        ["amount", "discount", "price", "product", "qty", "tax", "tax_rate", "total"]
    );
    assert_eq!(
        (line["qty"].as_str(), line["price"].as_str()),
        (Some("17"), Some("21.5"))
    );
}

/// A draft purchase-in is listed as a draft, then confirmed.
fn add_and_confirm_a_draft(ledger: &Path) {
    let draft = branch_node(
        ledger,
        &[
            "doc",
            "add",
            "--type",
            "purchase-in",
            "--partner",
            "S001",
            "--warehouse",
            "SZ-W",
            "--line",
            "P001:5@9",
            "--draft",
        ],
    )
    .unwrap()
    .expect_ok();
    let drafts = json(ledger, &["doc", "list", "--status", "draft", "--format", "json"]);
    assert_eq!(drafts["docs"][0]["number"].as_str(), Some(draft.last_line()));
    ok(ledger, &["doc", "confirm", draft.last_line()]);
}

/// The unsent entries exported as a bundle, then carried into epoch 2 with the documents the
/// ledger numbered renumbered, so the next number is the fifth of epoch 2.
fn export_a_bundle_then_start_epoch_2(ledger: &Path, dir: &Path) {
    let bundle = dir.join("sz.bundle");
    ok(ledger, &["bundle", "export", "--out", bundle.to_str().unwrap()]);
    assert!(std::fs::read(&bundle)
        .unwrap()
        .starts_with(b"{\"format\":\"bundle\""));
    // The 8 unsent entries move into epoch 2; the 4 documents the ledger numbered are
    // renumbered SZ-E2-000001..4, so the next number is the fifth.
    let carried = ok(ledger, &["epoch", "new"]);
    assert!(
        carried.contains("epoch 2") && carried.contains("SZ-E2-000004"),
        "{carried}"
    );
    let next = branch_node(
        ledger,
        &[
            "doc",
            "add",
            "--type",
            "opening",
            "--warehouse",
            "SZ-W",
            "--line",
            "P001:1@1",
        ],
    )
    .unwrap()
    .expect_ok();
    assert_eq!(next.last_line(), "SZ-E2-000005");
}

/// Bad `doc add` inputs of a sale, each with what its one-line error must say.
fn bad_sale_inputs() -> Vec<(Vec<&'static str>, &'static str)> {
    let sale = [
        "doc",
        "add",
        "--type",
        "sales-out",
        "--partner",
        "C001",
        "--warehouse",
        "SZ-W",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> { sale.iter().chain(extra).copied().collect() };
    vec![
        (with(&["--line", "P001:1e3@1"]), "malformed quantity \"1e3\""),
        (with(&["--line", "P001:1,000@1"]), "malformed quantity"),
        (with(&["--line", "P001:1.00001@1"]), "more than 4 decimal places"),
        (with(&["--line", "P001:0@1"]), "quantity 0 must be positive"),
        (with(&["--line", "P001:-2@1"]), "quantity -2 must be positive"),
        (
            with(&["--line", "P001:1@1:1.5"]),
            "rate \"1.5\" must be at least 0 and below 1",
        ),
        (with(&["--line", "P001-1@1"]), "expected PRODUCT:QTY@PRICE"),
        (with(&["--line", "P404:1@1"]), "unknown product P404"),
        (
            with(&["--line", "P001:11@1"]),
            "would go negative (on hand 10, wanted 11)",
        ),
        (with(&["--line", "P001:1@1", "--date", "2026-02-30"]), "--date"),
        (
            with(&["--line", "P001:1@1", "--number", "OPEN-1"]),
            "OPEN-1 already exists with different content",
        ),
    ]
}

/// Other bad inputs: unknown codes and types, missing documents, conflicting records, a bad
/// import file, a cut template, an existing ledger; each with what its error must say.
fn other_bad_inputs<'a>(bad_jsonl: &'a str, template: &'a str) -> Vec<(Vec<&'a str>, &'static str)> {
    vec![
        (
            vec![
                "doc",
                "add",
                "--type",
                "sales-out",
                "--partner",
                "C404",
                "--warehouse",
                "SZ-W",
                "--line",
                "P001:1@1",
            ],
            "unknown customer C404",
        ),
        (
            vec![
                "doc",
                "add",
                "--type",
                "refund",
                "--warehouse",
                "SZ-W",
                "--line",
                "P001:1@1",
            ],
            "unknown document type \"refund\"",
        ),
        (vec!["doc", "confirm", "NOPE"], "document NOPE not found"),
        (
            vec!["doc", "confirm", "OPEN-1"],
            "OPEN-1 is confirmed, not a draft",
        ),
        (vec!["doc", "red", "NOPE"], "document NOPE not found"),
        (
            vec!["product", "add", "P001", "--name", "other"],
            "product P001 already exists with different content",
        ),
        (
            vec!["product", "add", "P 2", "--name", "x"],
            "invalid product code \"P 2\"",
        ),
        (
            vec!["product", "add", "P2", "--name", "x", "--price", "-1"],
            "negative price",
        ),
        (
            vec!["doc", "import", bad_jsonl],
            "bad.jsonl: line 2: field lines[0].qty",
        ),
        (
            vec!["template", "import", template],
            "cut.template: header or body checksum mismatch",
        ),
        (
            vec!["init", "--branch", "SZ", "--name", "again"],
            "already exists",
        ),
    ]
}
