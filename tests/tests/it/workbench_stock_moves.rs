//! A transfer (调拨单) and a stock count (盘点单) entered in the branch workbench in a real
//! browser: the transfer is refused beside the destination field when it names its own
//! warehouse, then confirmed, and its page names the destination; the count is refused beside
//! its line for a negative quantity, then confirmed, and its page shows the difference posted
//! beside what was counted, and no red;
//! the stock page shows both warehouses moved. Every page is screenshotted; none logs a
//! JavaScript error.

use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::ledger::{branch_node, seed_ledger};
use branchline_tests::process::TempDir;
use branchline_tests::workbench::Workbench;

/// Fills the entry form of a `doc_type` in warehouse GZ-W (and to `to_warehouse`, if any) with
/// one line of P0001, and saves it confirmed.
async fn enter(
    browser: &Browser,
    url: &str,
    doc_type: &str,
    to_warehouse: &str,
    qty: &str,
) -> anyhow::Result<()> {
    browser
        .goto(&format!("{url}/documents/new?type={doc_type}"))
        .await?;
    browser.fill("#entry-date", "2026-03-02").await?;
    browser.fill("#entry-warehouse", "GZ-W").await?;
    browser.fill("#entry-to-warehouse", to_warehouse).await?;
    for (field, value) in [("product", "P0001"), ("qty", qty), ("price", "1.5")] {
        browser
            .fill(&format!("#line-0 input[name={field}]"), value)
            .await?;
    }
    browser.submit("#save-confirm").await
}

async fn on_hand(browser: &Browser, url: &str, warehouse: &str) -> anyhow::Result<String> {
    browser
        .goto(&format!("{url}/stock?warehouse={warehouse}&product=P0001"))
        .await?;
    browser.text("#stock td.on-hand").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_and_a_count_entered_in_the_workbench() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let dir = TempDir::new("workbench-stock-moves")?;
    let ledger = dir.join("gz.db");
    drop(seed_ledger(&ledger, "GZ")?);
    branch_node(&ledger, &["warehouse", "add", "GZ-W2", "--name", "二号仓"])?.expect_ok();
    let opening = [
        "doc",
        "add",
        "--type",
        "opening",
        "--date",
        "2026-03-01",
        "--warehouse",
        "GZ-W",
        "--line",
        "P0001:100@1",
    ];
    branch_node(&ledger, &opening)?.expect_ok();
    let workbench = Workbench::start(&ledger)?;
    let browser = Browser::start().await?;
    let url = &workbench.url;

    enter(&browser, url, "transfer", "GZ-W", "30").await?;
    let refused = browser.text("#entry-to-warehouse-error").await?;
    assert!(refused.contains("调入仓库与调出仓库同为 GZ-W"), "{refused}");
    browser.screenshot("workbench-transfer-refused").await?;
    enter(&browser, url, "transfer", "GZ-W2", "30").await?;
    assert_eq!(browser.text("#doc-status").await?, "已审核");
    assert_eq!(browser.text("#doc-to-warehouse").await?, "GZ-W2");
    browser.screenshot("workbench-transfer").await?;

    enter(&browser, url, "stock-count", "", "-1").await?;
    let refused = browser.text("#line-0-error").await?;
    assert!(refused.contains("盘点数量 -1 不能为负数"), "{refused}");
    enter(&browser, url, "stock-count", "", "65").await?;
    assert_eq!(browser.text("#doc-status").await?, "已审核");
    let lines = browser.text("#lines").await?;
    assert!(
        lines.contains("-5"),
        "the count of 65 against 70 on hand posts -5: {lines}"
    );
    assert_eq!(browser.text("#doc-total").await?, "-7.50");
    assert_eq!(browser.text("#counted tbody").await?, "P0001 65");
    assert!(
        browser.texts("#red").await?.is_empty(),
        "a stock count offers no red"
    );
    browser.screenshot("workbench-stock-count").await?;

    assert_eq!(on_hand(&browser, url, "GZ-W").await?, "65");
    assert_eq!(on_hand(&browser, url, "GZ-W2").await?, "30");
    browser.screenshot("workbench-stock-after-moves").await?;
    assert_eq!(browser.js_errors().await?, Vec::<String>::new());
    browser.close().await?;
    workbench.terminate()?;
    Ok(())
}
