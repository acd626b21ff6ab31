//! The inventory page's 仅显示低于最低库存 box in a browser: a viewer ticks it, and the table is
//! `hq-server report inventory --below-min` cell for cell, in Chinese by default and in English
//! with the switch; the page is screenshotted.

use anyhow::Result;
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::group::group_at;
use branchline_tests::hq::{launch_hq_console, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::add_person;
use branchline_tests::process::run;
use serde_json::Value;

const COLUMNS: [&str; 9] = [
    "org",
    "branch",
    "warehouse",
    "product",
    "on_hand",
    "min",
    "max",
    "shortfall",
    "suggested_order",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_page_filters_below_minimum_as_the_cli_does() -> Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let hq = launch_hq_console(HqStoreKind::Sqlite, |_| {}).await;
    let group = group_at(hq, "console-low-stock").await?;
    let limits = group.dir.join("limits.csv");
    std::fs::write(
        &limits,
        "product,warehouse,org,min,max\nP001,,001,10,50\nP002,W-SZ,,5,\n",
    )?;
    group
        .admin(&["import", "stock-limits", limits.to_str().unwrap()])?
        .expect_ok();
    group.distribute_base_data("base")?;
    group.doc_add(
        "SZ",
        &["--type", "opening", "--warehouse", "W-SZ", "--line", "P001:4@1"],
    )?;
    group.doc_add(
        "GZ",
        &["--type", "opening", "--warehouse", "W-GZ", "--line", "P001:12@1"],
    )?;
    group.sync("SZ")?;
    group.sync("GZ")?;
    let expected = cli_rows(group.hq.url())?;
    assert!(
        expected
            .iter()
            .any(|row| row[1] == "SZ" && row[3] == "P001" && row[7] == "6"),
        "{expected:?}"
    );
    assert!(
        expected.iter().all(|row| row[1] != "GZ" || row[3] != "P001"),
        "GZ's 12 is above 10"
    );

    let viewer = add_person(group.hq.url(), "hq-viewer", "viewer", "001").await?;
    let console = group.hq.console_url().to_owned();
    let browser = Browser::start().await?;
    browser.login(&console, &viewer.name, &viewer.password).await?;
    browser.goto(&format!("{console}/inventory?org=001")).await?;
    browser.click("#below_min").await?;
    browser.submit("#run").await?;
    browser.screenshot("console_low_stock").await?;
    let headings = browser.texts("#inventory-table thead th").await?;
    assert!(headings.iter().any(|text| text == "最低库存"), "{headings:?}");
    assert!(headings.iter().any(|text| text == "建议订货量"), "{headings:?}");
    assert_eq!(table(&browser).await?, expected, "the page against the CLI");

    browser
        .goto(&format!("{console}/inventory?org=001&below_min=1&lang=en"))
        .await?;
    let headings = browser.texts("#inventory-table thead th").await?;
    assert!(headings.iter().any(|text| text == "minimum"), "{headings:?}");
    assert_eq!(
        table(&browser).await?,
        expected,
        "the English page against the CLI"
    );
    assert_eq!(browser.js_errors().await?, Vec::<String>::new());
    browser.close().await?;
    group.hq.shutdown().await
}

/// The table's cells, row by row, in `COLUMNS` order.
async fn table(browser: &Browser) -> Result<Vec<Vec<String>>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for column in COLUMNS {
        let cells = browser
            .texts(&format!("#inventory-table tbody td.c-{column}"))
            .await?;
        rows.resize_with(rows.len().max(cells.len()), Vec::new);
        for (row, text) in rows.iter_mut().zip(cells) {
            row.push(text);
        }
    }
    Ok(rows)
}

/// `report inventory --below-min --org 001`'s rows, in `COLUMNS` order.
fn cli_rows(url: &str) -> Result<Vec<Vec<String>>> {
    let cli = run(
        "hq-server",
        [
            "report",
            "--hq",
            url,
            "--token",
            TEST_ADMIN_TOKEN,
            "inventory",
            "--below-min",
            "--org",
            "001",
            "--format",
            "json",
        ],
    )?
    .expect_ok();
    let expected: Value = serde_json::from_str(&cli.stdout)?;
    let rows = expected["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            COLUMNS
                .iter()
                .map(|column| row[*column].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .collect();
    Ok(rows)
}
