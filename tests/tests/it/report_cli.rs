//! `hq-server report` and `hq-server admin target set` as an administrator runs them against a
//! served HQ: exact figures to the cent (half away from zero, red documents with their sign),
//! subtree roll-up through a grouping node, inclusive date boundaries across a year end, targets
//! with completion, ranking, inventory, subtotals and the inventory's product filter, JSON / CSV /
//! table output, freshness, and refusals.

use crate::hq_support::push_documents;
use crate::report_streams::setup_group;
use branchline_shared::{parse_date, DocLine, DocType, Document};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::process::{run, Run};
use serde_json::{json, Value};

pub(crate) fn line(product: &str, qty: &str, price: &str, discount: &str, tax_rate: &str) -> DocLine {
    DocLine {
        product: product.to_owned(),
        qty: qty.parse().unwrap(),
        price: price.parse().unwrap(),
        discount: discount.parse().unwrap(),
        tax_rate: tax_rate.parse().unwrap(),
    }
}

pub(crate) fn document(
    number: &str,
    doc_type: DocType,
    date: &str,
    partner: &str,
    lines: Vec<DocLine>,
) -> Document {
    let warehouse = format!("{}-W", number.split('-').next().unwrap());
    Document {
        number: number.to_owned(),
        doc_type,
        date: parse_date(date).unwrap(),
        partner: partner.to_owned(),
        warehouse,
        to_warehouse: String::new(),
        red_of: None,
        lines,
        link: None,
    }
}

pub(crate) fn report(url: &str, args: &[&str]) -> Run {
    let mut full = vec!["report", "--hq", url, "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    run("hq-server", &full).expect("running hq-server report")
}

pub(crate) fn json_of(run: Run) -> Value {
    let run = run.expect_ok();
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|error| panic!("not one JSON document ({error}): {}", run.stdout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_cli_answers_exact_figures_in_every_format() {
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let tokens = setup_group(&hq).await;
    let url = hq.url().to_owned();

    push_figures(&hq, &tokens).await;
    assert_january_of_a_grouping_node(&url);
    assert_year_end_boundaries_as_csv(&url);
    assert_targets_and_completion(&url);
    assert_ranking_and_inventory(&url);
    assert_subtotals(&url);
    assert_refusals(&url, &tokens[0]);

    hq.shutdown().await.unwrap();
}

/// Pushes the figures every report below is checked against: SZ's sales across the year end,
/// one of them reversed by a red document, and its opening stock; GZ's retail sale of 0.015;
/// ZH's sale.
pub(crate) async fn push_figures(hq: &HqHandle, tokens: &[String]) {
    let sz_1 = document(
        "SZ-1",
        DocType::SalesOut,
        "2025-12-31",
        "C001",
        vec![line("P001", "17", "21.50", "0.04", "0.13")],
    );
    let sz_2 = document(
        "SZ-2",
        DocType::SalesOut,
        "2026-01-01",
        "C002",
        vec![line("P002", "2.5", "3.333", "0", "0.13")],
    );
    let sz_3 = sz_2.red_copy("SZ-3", parse_date("2026-01-31").unwrap());
    let sz_4 = document(
        "SZ-4",
        DocType::Opening,
        "2025-12-01",
        "",
        vec![line("P001", "100", "0", "0", "0")],
    );
    let gz_1 = document(
        "GZ-1",
        DocType::RetailSale,
        "2026-01-31",
        "",
        vec![line("P001", "1", "0.015", "0", "0.13")],
    );
    let zh_1 = document(
        "ZH-1",
        DocType::SalesOut,
        "2026-02-01",
        "C001",
        vec![line("P001", "3", "10", "0", "0.13")],
    );
    let streams = [vec![sz_1, sz_2, sz_3, sz_4], vec![gz_1], vec![zh_1]];
    for ((token, documents), code) in tokens.iter().zip(streams).zip(["SZ", "GZ", "ZH"]) {
        push_documents(hq, token, code, documents).await;
    }
}

/// A grouping node (001.001 has no ledger) rolls up SZ and GZ, with their freshness.
fn assert_january_of_a_grouping_node(url: &str) {
    // A grouping node (001.001 has no ledger) rolls up SZ and GZ; January only; the red SZ-3
    // cancels SZ-2 exactly; 0.015 rounds half away from zero to 0.02.
    let january = json_of(report(
        url,
        &[
            "sales",
            "--org",
            "001.001",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--by",
            "org",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        january["rows"],
        json!([
            {"org": "001.001.001", "branch": "SZ", "qty": "0", "amount": "0.00", "tax": "0.00", "total": "0.00"},
            {"org": "001.001.002", "branch": "GZ", "qty": "1", "amount": "0.02", "tax": "0.00", "total": "0.02"},
        ])
    );
    let freshness = january["freshness"].as_array().unwrap();
    assert_eq!(
        freshness.len(),
        2,
        "freshness of the subtree's ledgers: {freshness:?}"
    );
    assert_eq!(freshness[0]["branch"], "SZ");
    assert_eq!(freshness[0]["last_seq"], 4);
    assert_eq!(freshness[0]["backlog"], 0);
    assert!(freshness[0]["received_at"]
        .as_str()
        .is_some_and(|at| at.ends_with('Z')));
}

/// Inclusive date boundaries across the year end, by product and day, as CSV.
fn assert_year_end_boundaries_as_csv(url: &str) {
    // Inclusive boundaries across the year end, by product and day, as CSV.
    let csv = report(
        url,
        &[
            "sales",
            "--org",
            "001",
            "--from",
            "2025-12-31",
            "--to",
            "2026-01-01",
            "--by",
            "org,product,day",
            "--format",
            "csv",
        ],
    )
    .expect_ok();
    assert_eq!(
        csv.stdout,
        "org,branch,product,day,qty,amount,tax,total\n\
         001.001.001,SZ,P001,2025-12-31,17,350.88,45.61,396.49\n\
         001.001.001,SZ,P002,2026-01-01,2.5,8.33,1.08,9.41\n"
    );
}

/// Targets set through `admin target set` (a bad month refused) and their completion.
fn assert_targets_and_completion(url: &str) {
    // Targets: completion = amount / target, 2 places.
    run(
        "hq-server",
        [
            "admin",
            "--hq",
            url,
            "--token",
            TEST_ADMIN_TOKEN,
            "target",
            "set",
            "001.001.001",
            "2025-12",
            "500",
        ],
    )
    .unwrap()
    .expect_ok();
    let bad_month = run(
        "hq-server",
        [
            "admin",
            "--hq",
            url,
            "--token",
            TEST_ADMIN_TOKEN,
            "target",
            "set",
            "001",
            "2025-13",
            "1",
        ],
    )
    .unwrap()
    .expect_err();
    assert!(bad_month.stderr.contains("2025-13"), "{}", bad_month.stderr);
    let by_month = json_of(report(
        url,
        &[
            "sales",
            "--org",
            "001.001.001",
            "--by",
            "month",
            "--format",
            "json",
        ],
    ));
    assert_eq!(by_month["rows"][0]["month"], "2025-12");
    assert_eq!(by_month["rows"][0]["target"], "500.00");
    assert_eq!(by_month["rows"][0]["completion"], "70.18");
    assert_eq!(by_month["rows"][1]["month"], "2026-01");
    assert_eq!(by_month["rows"][1]["target"], Value::Null);
}

/// The product ranking over the whole group, and the inventory as JSON and as a table.
fn assert_ranking_and_inventory(url: &str) {
    // Ranking by product over the whole group: P001 = 350.88 + 0.02 + 30.00.
    let ranking = json_of(report(
        url,
        &[
            "ranking", "--org", "001", "--by", "product", "--top", "1", "--format", "json",
        ],
    ));
    assert_eq!(
        ranking["rows"],
        json!([{"rank": 1, "org": "001", "product": "P001", "qty": "21", "amount": "380.90", "tax": "49.51", "total": "430.41"}])
    );

    // Inventory: opening 100 − 17 P001; P002 out and back in by the red document.
    let inventory = json_of(report(
        url,
        &["inventory", "--org", "001.001.001", "--format", "json"],
    ));
    assert_eq!(
        inventory["rows"],
        json!([
            {"org": "001.001.001", "branch": "SZ", "warehouse": "SZ-W", "product": "P001", "on_hand": "83"},
            {"org": "001.001.001", "branch": "SZ", "warehouse": "SZ-W", "product": "P002", "on_hand": "0"},
        ])
    );
    let table = report(url, &["inventory", "--org", "001.001.001"]).expect_ok();
    let first = table.stdout.lines().next().unwrap();
    assert_eq!(
        first.split_whitespace().collect::<Vec<_>>(),
        ["org", "branch", "warehouse", "product", "on_hand"]
    );
    assert!(table.stdout.contains("freshness"), "{}", table.stdout);
    assert!(table
        .stdout
        .lines()
        .any(|line| line.starts_with("001.001.001") && line.trim_end().ends_with(" 83")));
}

/// `--subtotals`: a subtotal after each organization's subtree (001.001 has no ledger of its own),
/// the total last, in JSON and as CSV with the level first; the inventory of one product.
fn assert_subtotals(url: &str) {
    let sales = json_of(report(
        url,
        &[
            "sales",
            "--org",
            "001",
            "--by",
            "org",
            "--subtotals",
            "--format",
            "json",
        ],
    ));
    let row = |level: &str, org: &str, branch: &str, figures: [&str; 4]| {
        json!({"level": level, "org": org, "branch": branch, "qty": figures[0], "amount": figures[1],
               "tax": figures[2], "total": figures[3]})
    };
    let (sz, gz, zh) = (
        ["17", "350.88", "45.61", "396.49"],
        ["1", "0.02", "0.00", "0.02"],
        ["3", "30.00", "3.90", "33.90"],
    );
    assert_eq!(
        sales["rows"],
        json!([
            row("", "001.001.001", "SZ", sz),
            row("subtotal", "001.001.001", "", sz),
            row("", "001.001.002", "GZ", gz),
            row("subtotal", "001.001.002", "", gz),
            row("subtotal", "001.001", "", ["18", "350.90", "45.61", "396.51"]),
            row("", "001.002", "ZH", zh),
            row("subtotal", "001.002", "", zh),
            row("total", "001", "", ["21", "380.90", "49.51", "430.41"]),
        ])
    );
    let csv = report(
        url,
        &[
            "inventory",
            "--org",
            "001.001.001",
            "--product",
            "P001",
            "--subtotals",
            "--format",
            "csv",
        ],
    )
    .expect_ok();
    assert_eq!(
        csv.stdout,
        "level,org,branch,warehouse,product,on_hand\n\
         ,001.001.001,SZ,SZ-W,P001,83\n\
         total,001.001.001,,,,83\n"
    );
    let ranking = report(
        url,
        &["ranking", "--org", "001", "--by", "product", "--subtotals"],
    )
    .expect_err();
    assert!(ranking.stderr.contains("subtotals"), "{}", ranking.stderr);
    // The best months of the group: December's 350.88, then February's 30.00 (January: 0.02).
    let months = json_of(report(
        url,
        &[
            "ranking", "--org", "001", "--by", "month", "--top", "2", "--format", "json",
        ],
    ));
    let ranked: Vec<(&Value, &Value)> = months["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (&row["month"], &row["amount"]))
        .collect();
    assert_eq!(
        ranked,
        [
            (&json!("2025-12"), &json!("350.88")),
            (&json!("2026-02"), &json!("30.00"))
        ]
    );
}

/// Refusals: one line naming what is wrong; a branch token is not an admin credential.
fn assert_refusals(url: &str, branch_token: &str) {
    // Refusals: one line naming what is wrong; a branch token is not an admin credential.
    let bogus = report(url, &["sales", "--org", "001", "--by", "org,colour"]).expect_err();
    assert_eq!(bogus.stderr.trim().lines().count(), 1, "{}", bogus.stderr);
    assert!(bogus.stderr.contains("colour"), "{}", bogus.stderr);
    let unknown = report(url, &["sales", "--org", "009"]).expect_err();
    assert!(unknown.stderr.contains("organization 009"), "{}", unknown.stderr);
    let reversed = report(
        url,
        &[
            "sales",
            "--org",
            "001",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
        ],
    )
    .expect_err();
    assert!(
        reversed.stderr.contains("--from 2026-02-01"),
        "{}",
        reversed.stderr
    );
    let branch = run(
        "hq-server",
        [
            "report",
            "--hq",
            url,
            "--token",
            branch_token,
            "sales",
            "--org",
            "001",
        ],
    )
    .unwrap()
    .expect_err();
    assert!(branch.stderr.contains("PermissionDenied"), "{}", branch.stderr);
}
