//! How many lines a document may carry: an opening of 20,000 lines (a branch with 20,000
//! products entering its opening stock at once) is imported, pushed by the real agent and held
//! by HQ line for line; a sales-out past its limit is refused with the way out (split it).

use anyhow::{ensure, Context, Result};
use branchline_shared::{BaseKind, BaseRecord, DOC_LINES_MAX, OPENING_LINES_MAX};
use branchline_tests::agent::agent_with;
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::ledger::branch_node;
use branchline_tests::process::{run, TempDir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const N_PRODUCTS: usize = 20_000;
const WAREHOUSE: &str = "SZ-W";

fn product(product_idx: usize) -> String {
    format!("P{product_idx:05}")
}

/// One JSONL document of `n_lines` lines, product `P00000` onwards.
fn document_line(number: &str, doc_type: &str, partner: Option<&str>, n_lines: usize) -> String {
    let lines: Vec<String> = (0..n_lines)
        .map(|line_idx| {
            let qty = 1 + line_idx % 97;
            format!(
                r#"{{"product":"{}","qty":"{qty}","price":"2.50"}}"#,
                product(line_idx % N_PRODUCTS)
            )
        })
        .collect();
    let partner = partner.map_or(String::new(), |code| format!(r#""partner":"{code}","#));
    format!(
        r#"{{"number":"{number}","type":"{doc_type}","date":"2026-11-01",{partner}"warehouse":"{WAREHOUSE}","lines":[{}]}}"#,
        lines.join(",")
    )
}

/// `(warehouse, product) -> on_hand` of a `stock --format json` or `report inventory` answer.
fn on_hand(json: &str) -> Result<BTreeMap<(String, String), String>> {
    let value: Value = serde_json::from_str(json).context("stock JSON")?;
    let rows = value["rows"].as_array().context("rows")?;
    Ok(rows
        .iter()
        .map(|row| {
            let text = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
            ((text("warehouse"), text("product")), text("on_hand"))
        })
        .collect())
}

fn admin(hq: &HqHandle, args: &[&str]) -> Result<()> {
    let mut all = vec!["admin", "--hq", hq.url(), "--token", TEST_ADMIN_TOKEN];
    all.extend_from_slice(args);
    run("hq-server", all)?.expect_ok();
    Ok(())
}

/// A ledger holding HQ's 20,000 products (by template file) and a warehouse of its own.
async fn branch_with_catalogue(hq: &HqHandle, dir: &Path) -> Result<(std::path::PathBuf, String)> {
    hq.add_org("001", "集团").await?;
    hq.add_org("001.001", "深圳").await?;
    let token = hq.add_branch("SZ", "001.001").await?;
    let products: Vec<BaseRecord> = (0..N_PRODUCTS)
        .map(|product_idx| BaseRecord::new(BaseKind::Product, &product(product_idx), "商品"))
        .collect();
    hq.import(BaseKind::Product, &products).await?;
    let template = dir.join("base.template");
    admin(hq, &["template", "create", "base", "--kinds", "product"])?;
    admin(
        hq,
        &[
            "template",
            "export",
            "base",
            "--out",
            &template.display().to_string(),
        ],
    )?;
    let ledger = dir.join("sz.db");
    branch_node(&ledger, &["init", "--branch", "SZ", "--name", "深圳"])?.expect_ok();
    branch_node(&ledger, &["template", "import", &template.display().to_string()])?.expect_ok();
    branch_node(&ledger, &["warehouse", "add", WAREHOUSE, "--name", "深圳仓"])?.expect_ok();
    branch_node(&ledger, &["customer", "add", "C001", "--name", "客户"])?.expect_ok();
    Ok((ledger, token))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opening_of_20000_lines_is_one_document_end_to_end() -> Result<()> {
    let dir = TempDir::new("document-size")?;
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let (ledger, token) = branch_with_catalogue(&hq, dir.path()).await?;

    let jsonl = dir.join("opening.jsonl");
    std::fs::write(
        &jsonl,
        document_line("SZ-OPEN-1", "opening", None, N_PRODUCTS) + "\n",
    )?;
    branch_node(&ledger, &["doc", "import", &jsonl.display().to_string()])?.expect_ok();
    agent_with(&ledger, hq.url(), &token, &["once", "--push"])?.expect_ok();

    let branch_stock = on_hand(
        &branch_node(&ledger, &["stock", "--format", "json"])?
            .expect_ok()
            .stdout,
    )?;
    ensure!(
        branch_stock.len() == N_PRODUCTS,
        "{} stock rows at the branch",
        branch_stock.len()
    );
    let report = run(
        "hq-server",
        [
            "report",
            "--hq",
            hq.url(),
            "--token",
            TEST_ADMIN_TOKEN,
            "inventory",
            "--org",
            "001.001",
            "--by",
            "warehouse,product",
            "--format",
            "json",
        ],
    )?
    .expect_ok();
    assert_eq!(
        on_hand(&report.stdout)?,
        branch_stock,
        "HQ's on-hand equals the branch's"
    );
    hq.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_past_its_line_limit_is_refused_with_the_way_out() -> Result<()> {
    let dir = TempDir::new("document-size-limit")?;
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let (ledger, _token) = branch_with_catalogue(&hq, dir.path()).await?;
    let cases = [
        (
            "SZ-BIG-1",
            "sales-out",
            Some("C001"),
            DOC_LINES_MAX + 1,
            DOC_LINES_MAX,
        ),
        (
            "SZ-BIG-2",
            "opening",
            None,
            OPENING_LINES_MAX + 1,
            OPENING_LINES_MAX,
        ),
    ];
    for (number, doc_type, partner, n_lines, lines_max) in cases {
        let jsonl = dir.join(format!("{number}.jsonl"));
        std::fs::write(&jsonl, document_line(number, doc_type, partner, n_lines) + "\n")?;
        let refused = branch_node(&ledger, &["doc", "import", &jsonl.display().to_string()])?.expect_err();
        let expected = format!(
            "document {number}: {n_lines} lines, more than the {lines_max} a {doc_type} document may have; \
             split it into several documents of at most {lines_max} lines"
        );
        assert!(refused.stderr.contains(&expected), "{}", refused.stderr);
    }
    let listed = branch_node(&ledger, &["doc", "list", "--format", "json"])?.expect_ok();
    assert!(
        !listed.stdout.contains("SZ-BIG"),
        "nothing was imported: {}",
        listed.stdout
    );
    hq.shutdown().await
}
