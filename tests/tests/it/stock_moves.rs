//! Transfers between warehouses (调拨单) and stock counts (盘点单), on SQLite and on PostgreSQL,
//! with the real `branch-node`, `transfer-agent` and `hq-server` binaries:
//! - a transfer moves stock out of one warehouse and into another in one confirm; a red transfer
//!   moves it back, refused where the destination no longer holds it;
//! - a stock count, entered or imported, sets on-hand to the counted quantities and is kept as
//!   its differences (gains positive, losses negative) beside what was counted;
//! - every bad input (a transfer short of stock, without or to its own or an unknown warehouse,
//!   with a partner; a destination on another type; a negative or repeated count; a red count)
//!   is refused in one line and changes nothing;
//! - a file of both imported twice applies once;
//! - at HQ the inventory equals the ledger's stock (and the lines' own scan), the sales report
//!   is untouched, and `report count-differences` sums the gains and losses by organization
//!   and product.

use branchline_tests::agent::{agent_with, prepare_branch};
use branchline_tests::hq::{launch_hq, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::ledger::{assert_stock_matches_documents, branch_node};
use branchline_tests::process::{run, Run, TempDir};
use hq_server::store::report::consolidated;
use hq_server::store::report::query::ReportQuery;
use hq_server::store::Store;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const DAY: &str = "2026-11-05";

fn ledger_run(ledger: &Path, args: &[&str]) -> Run {
    branch_node(ledger, args).expect("running branch-node")
}

fn json(run: Run) -> Value {
    let run = run.expect_ok();
    serde_json::from_str(&run.stdout).unwrap_or_else(|error| panic!("{error}: {}", run.stdout))
}

/// `doc add` of a confirmed document dated `DAY` with `extra` arguments; its number.
fn add(ledger: &Path, doc_type: &str, extra: &[&str]) -> String {
    let mut args = vec!["doc", "add", "--type", doc_type, "--date", DAY];
    args.extend_from_slice(extra);
    ledger_run(ledger, &args).expect_ok().last_line().to_owned()
}

/// The ledger's stock as (warehouse, product) → on hand.
fn stock(ledger: &Path) -> BTreeMap<(String, String), String> {
    let shown = json(ledger_run(ledger, &["stock", "--format", "json"]));
    rows_of(&shown, "on_hand")
}

fn rows_of(shown: &Value, value: &str) -> BTreeMap<(String, String), String> {
    shown["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let key = (
                row["warehouse"].as_str().unwrap().to_owned(),
                row["product"].as_str().unwrap().to_owned(),
            );
            (key, row[value].as_str().unwrap().to_owned())
        })
        .collect()
}

fn stock_of(pairs: &[(&str, &str, &str)]) -> BTreeMap<(String, String), String> {
    pairs
        .iter()
        .map(|(warehouse, product, qty)| {
            (
                ((*warehouse).to_owned(), (*product).to_owned()),
                (*qty).to_owned(),
            )
        })
        .collect()
}

/// `args` refused in one line containing `expected`, the stock as before.
fn refused(ledger: &Path, args: &[&str], expected: &str) {
    let before = stock(ledger);
    let refusal = ledger_run(ledger, args).expect_err();
    let stderr = refusal.stderr.trim();
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert_eq!(stock(ledger), before, "{args:?} changed the stock");
}

/// Transfers: one out and in, the refusals, a red one that succeeds and one that is refused.
fn transfer_between_warehouses(ledger: &Path) -> String {
    let first = add(
        ledger,
        "transfer",
        &[
            "--warehouse",
            "SZ-W",
            "--to-warehouse",
            "SZ-W2",
            "--line",
            "P0001:4@2",
        ],
    );
    assert_eq!(
        stock(ledger),
        stock_of(&[
            ("SZ-W", "P0001", "5"),
            ("SZ-W", "P0002", "5"),
            ("SZ-W2", "P0001", "4")
        ])
    );
    refuse_bad_transfers(ledger);
    let second = add(
        ledger,
        "transfer",
        &[
            "--warehouse",
            "SZ-W",
            "--to-warehouse",
            "SZ-W2",
            "--line",
            "P0002:2@3",
        ],
    );
    ledger_run(ledger, &["doc", "red", &second, "--date", DAY]).expect_ok();
    let shown = json(ledger_run(ledger, &["doc", "show", &first, "--format", "json"]));
    assert_eq!(shown["to_warehouse"], "SZ-W2", "{shown}");
    first
}

/// Every bad transfer refused in one line, the stock as before.
fn refuse_bad_transfers(ledger: &Path) {
    let transfer = [
        "doc",
        "add",
        "--type",
        "transfer",
        "--date",
        DAY,
        "--warehouse",
        "SZ-W",
    ];
    let with = |extra: &[&'static str]| [transfer.as_slice(), extra].concat();
    refused(
        ledger,
        &with(&["--to-warehouse", "SZ-W2", "--line", "P0001:7@2"]),
        "stock of product P0001 in warehouse SZ-W would go negative (on hand 5, wanted 7)",
    );
    refused(
        ledger,
        &with(&["--line", "P0001:1@2"]),
        "a transfer needs to_warehouse",
    );
    refused(
        ledger,
        &with(&["--to-warehouse", "SZ-W", "--line", "P0001:1@2"]),
        "a transfer's to_warehouse is its warehouse SZ-W; name another one",
    );
    refused(
        ledger,
        &with(&["--to-warehouse", "SZ-W9", "--line", "P0001:1@2"]),
        "unknown warehouse SZ-W9",
    );
    refused(
        ledger,
        &with(&[
            "--to-warehouse",
            "SZ-W2",
            "--partner",
            "C001",
            "--line",
            "P0001:1@2",
        ]),
        "transfer documents take no partner",
    );
    refused(
        ledger,
        &[
            "doc",
            "add",
            "--type",
            "sales-out",
            "--partner",
            "C001",
            "--warehouse",
            "SZ-W",
            "--to-warehouse",
            "SZ-W2",
            "--line",
            "P0001:1@2",
        ],
        "only a transfer names to_warehouse, not a sales-out",
    );
}

/// Counts: a draft confirmed, the refusals, then a file of a transfer and a count imported twice.
fn count_stock(ledger: &Path, dir: &Path) {
    let count = [
        "doc",
        "add",
        "--type",
        "stock-count",
        "--date",
        DAY,
        "--warehouse",
        "SZ-W",
        "--line",
        "P0001:3@2",
        "--line",
        "P0002:6@3",
        "--draft",
    ];
    let number = ledger_run(ledger, &count).expect_ok().last_line().to_owned();
    ledger_run(ledger, &["doc", "confirm", &number]).expect_ok();
    let shown = json(ledger_run(ledger, &["doc", "show", &number, "--format", "json"]));
    let lines: Vec<(&str, &str)> = shown["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| (line["qty"].as_str().unwrap(), line["counted"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, [("-2", "3"), ("1", "6")], "{shown}");
    assert_eq!(shown["amount"], "-1.00", "{shown}");
    let count = [
        "doc",
        "add",
        "--type",
        "stock-count",
        "--date",
        DAY,
        "--warehouse",
        "SZ-W",
    ];
    let with = |extra: &[&'static str]| [count.as_slice(), extra].concat();
    refused(
        ledger,
        &with(&["--line", "P0001:-1@2"]),
        "line 1: counted quantity -1 is negative",
    );
    refused(
        ledger,
        &with(&["--line", "P0001:1@2", "--line", "P0001:2@2"]),
        "line 2: product P0001 is counted again (first on line 1)",
    );
    refused(
        ledger,
        &["doc", "red", &number, "--date", DAY],
        "a stock count cannot be red; count again instead",
    );
    let file = dir.join("moves.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"number":"SZ-T9","type":"transfer","date":"2026-11-05","warehouse":"SZ-W2","to_warehouse":"SZ-W","lines":[{"product":"P0001","qty":"1","price":"2"}]}"#,
            "\n",
            r#"{"number":"SZ-C9","type":"stock-count","date":"2026-11-05","warehouse":"SZ-W2","lines":[{"product":"P0001","qty":"2","price":"2"}]}"#,
            "\n",
        ),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let imported = ledger_run(ledger, &["doc", "import", file]).expect_ok();
    assert!(imported.stdout.contains("imported 2"), "{}", imported.stdout);
    let expected = stock_of(&[
        ("SZ-W", "P0001", "4"),
        ("SZ-W", "P0002", "6"),
        ("SZ-W2", "P0001", "2"),
        ("SZ-W2", "P0002", "0"),
    ]);
    assert_eq!(stock(ledger), expected);
    let again = ledger_run(ledger, &["doc", "import", file]).expect_ok();
    assert!(again.stdout.contains("imported 0"), "{}", again.stdout);
    assert_eq!(stock(ledger), expected);
}

fn report(hq_url: &str, args: &[&str]) -> Value {
    let mut full = vec!["report", "--hq", hq_url, "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    json(run("hq-server", &full).expect("running hq-server report"))
}

/// HQ's inventory is the ledger's stock (the roll-up and the lines' scan agree), its sales the
/// one sale, and the count differences the two counts'.
async fn hq_reflects_the_moves(hq_url: &str, db_url: &str, ledger: &Path) {
    let inventory = report(
        hq_url,
        &[
            "inventory",
            "--org",
            "001",
            "--by",
            "warehouse,product",
            "--format",
            "json",
        ],
    );
    let mut ledger_stock = stock(ledger);
    ledger_stock.retain(|_, qty| qty != "0");
    let mut hq_stock = rows_of(&inventory, "on_hand");
    hq_stock.retain(|_, qty| qty != "0");
    assert_eq!(hq_stock, ledger_stock, "{inventory}");
    let store = Store::open(db_url, 2).await.unwrap();
    let query = ReportQuery::parse("001", "", "", &["warehouse,product".to_owned()]).unwrap();
    assert_eq!(
        consolidated::inventory(&store, &query).await.unwrap(),
        consolidated::inventory_direct(&store, &query).await.unwrap()
    );
    store.close().await;
    let sales = report(hq_url, &["sales", "--org", "001", "--format", "json"]);
    let sold: Vec<(&str, &str)> = sales["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["qty"].as_str().unwrap(), row["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(sold, [("1", "10.00")], "{sales}");
    count_differences_by_org_and_product(hq_url);
}

/// `report count-differences` by organization and by product; no customer grouping.
fn count_differences_by_org_and_product(hq_url: &str) {
    let by_org = report(hq_url, &["count-differences", "--org", "001", "--format", "json"]);
    let figures = |row: &Value| -> Vec<String> {
        [
            "gain_qty",
            "loss_qty",
            "qty",
            "gain_amount",
            "loss_amount",
            "amount",
        ]
        .iter()
        .map(|column| row[*column].as_str().unwrap_or_default().to_owned())
        .collect()
    };
    let rows = by_org["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{by_org}");
    assert_eq!(
        (rows[0]["org"].as_str(), rows[0]["branch"].as_str()),
        (Some("001.002"), Some("SZ"))
    );
    assert_eq!(
        figures(&rows[0]),
        ["1", "3", "-2", "3.00", "6.00", "-3.00"],
        "{by_org}"
    );
    let by_product = report(
        hq_url,
        &[
            "count-differences",
            "--org",
            "001",
            "--by",
            "product",
            "--format",
            "json",
        ],
    );
    let per_product: Vec<Vec<String>> = by_product["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(figures)
        .collect();
    assert_eq!(
        per_product,
        [
            ["0", "3", "-3", "0.00", "6.00", "-6.00"],
            ["1", "0", "1", "3.00", "0.00", "3.00"]
        ],
        "{by_product}"
    );
    let mut args = vec!["report", "--hq", hq_url, "--token", TEST_ADMIN_TOKEN];
    args.extend(["count-differences", "--org", "001", "--by", "customer"]);
    let refusal = run("hq-server", &args).unwrap().expect_err();
    assert!(
        refusal.stderr.contains("takes no customer grouping"),
        "{}",
        refusal.stderr
    );
}

async fn transfers_and_counts(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    let dir = TempDir::new("stock-moves").unwrap();
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "SZ", "002", 0, 1)
        .await
        .unwrap();
    ledger_run(&ledger, &["warehouse", "add", "SZ-W2", "--name", "二号仓"]).expect_ok();
    add(
        &ledger,
        "opening",
        &[
            "--warehouse",
            "SZ-W",
            "--line",
            "P0001:10@2",
            "--line",
            "P0002:5@3",
        ],
    );
    add(
        &ledger,
        "sales-out",
        &["--warehouse", "SZ-W", "--partner", "C001", "--line", "P0001:1@10"],
    );
    let first = transfer_between_warehouses(&ledger);
    count_stock(&ledger, dir.path());
    refused(
        &ledger,
        &["doc", "red", &first, "--date", DAY],
        "stock of product P0001 in warehouse SZ-W2 would go negative (on hand 2, wanted 4)",
    );
    assert_stock_matches_documents(&ledger).unwrap();
    agent_with(&ledger, hq.url(), &token, &["once"])
        .unwrap()
        .expect_ok();
    hq_reflects_the_moves(hq.url(), hq.db_url(), &ledger).await;
}

on_both_stores!(
    transfers_and_counts,
    transfers_and_counts_on_sqlite,
    transfers_and_counts_on_postgres
);
