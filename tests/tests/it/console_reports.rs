//! The sales and inventory pages in a browser, against the real CLI: a viewer logs in, reads
//! the sales summary by org and month, whose every cell (subtotal and total rows included)
//! equals `hq-server report sales --subtotals --format json` for the same query; the four
//! charts draw (a canvas in each `.chart`), the growth chart with the report by org and month's
//! 环比 and 同比 series (a gap where there is none); 环比 and 同比 show, January's against December
//! outside the range and blank where the month before had no sales; the CSV download is byte
//! for byte the CLI's CSV and the workbook holds the same cells; the inventory page shows the
//! CLI's on-hand. Every page is screenshotted.

use crate::report_cli::push_figures;
use crate::report_streams::setup_group;
use anyhow::Context;
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::hq::{launch_hq_console, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::add_person;
use branchline_tests::process::run;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;

fn cli(url: &str, args: &[&str]) -> String {
    let mut full = vec!["--hq", url, "--token", TEST_ADMIN_TOKEN];
    full.splice(0..0, [args[0]]);
    full.extend_from_slice(&args[1..]);
    run("hq-server", &full)
        .expect("running hq-server")
        .expect_ok()
        .stdout
}

const SALES_COLUMNS: [&str; 12] = [
    "level",
    "org",
    "branch",
    "month",
    "qty",
    "amount",
    "tax",
    "total",
    "target",
    "completion",
    "month_on_month",
    "year_on_year",
];

/// The page's table column by column (`td.c-NAME`), as rows of (column → text).
async fn page_rows(
    browser: &Browser,
    table: &str,
    columns: &[&str],
) -> anyhow::Result<Vec<BTreeMap<String, String>>> {
    let mut rows: Vec<BTreeMap<String, String>> = Vec::new();
    for column in columns {
        let cells = browser.texts(&format!("#{table} tbody td.c-{column}")).await?;
        rows.resize_with(rows.len().max(cells.len()), BTreeMap::new);
        for (row, text) in rows.iter_mut().zip(cells) {
            row.insert((*column).to_owned(), text);
        }
    }
    Ok(rows)
}

/// The CLI's JSON rows as the page writes them: a missing target or change as an empty cell.
fn json_rows(report: &Value, columns: &[&str]) -> Vec<BTreeMap<String, String>> {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|column| {
                    let text = row[*column].as_str().unwrap_or_default().to_owned();
                    ((*column).to_owned(), text)
                })
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_and_inventory_pages_show_the_cli_figures_and_download_them() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let hq = launch_hq_console(HqStoreKind::Sqlite, |_| {}).await;
    let tokens = setup_group(&hq).await;
    push_figures(&hq, &tokens).await;
    let url = hq.url().to_owned();
    cli(&url, &["admin", "target", "set", "001.001.001", "2025-12", "500"]);
    let viewer = add_person(&url, "hq-viewer", "viewer", "001").await?;
    let console = hq.console_url().to_owned();
    let browser = Browser::start().await?;
    browser.login(&console, &viewer.name, &viewer.password).await?;

    sales_page_is_the_cli_report(&browser, &console, &url).await?;
    downloads_are_the_cli_report(&browser, &url).await?;
    inventory_page_is_the_cli_report(&browser, &console, &url).await?;
    browser.close().await?;
    hq.shutdown().await
}

/// The page's query for `report sales --org 001 --by org,month`.
const SALES_QUERY: &str = "org=001&by=org&by=month";

/// The sales page's every cell (subtotals and total too) is the CLI's JSON report's, with the
/// freshness beside the rows and the four charts drawn; Chinese by default.
async fn sales_page_is_the_cli_report(browser: &Browser, console: &str, url: &str) -> anyhow::Result<()> {
    let query = SALES_QUERY;
    browser.goto(&format!("{console}/sales?{query}&lang=en")).await?;
    browser.screenshot("sales").await?;
    let expected: Value = serde_json::from_str(&cli(
        url,
        &[
            "report",
            "sales",
            "--org",
            "001",
            "--by",
            "org,month",
            "--subtotals",
            "--format",
            "json",
        ],
    ))?;
    let shown = page_rows(browser, "sales-table", &SALES_COLUMNS).await?;
    assert_eq!(
        shown,
        json_rows(&expected, &SALES_COLUMNS),
        "the sales table against the CLI"
    );
    assert!(shown
        .iter()
        .any(|row| row["level"] == "subtotal" && row["org"] == "001.001"));
    assert_eq!(shown.last().map(|row| row["level"].as_str()), Some("total"));
    let received = browser.texts("#sales-table tbody td.c-received").await?;
    assert!(
        received.iter().any(|at| at.ends_with('Z')),
        "freshness beside the rows: {received:?}"
    );
    assert_charts_drawn(browser).await?;
    trend_chart_carries_growth(browser, url).await?;
    // The default language, Chinese.
    browser.goto(&format!("{console}/sales?{query}&lang=zh")).await?;
    browser.screenshot("sales-zh").await?;
    assert_eq!(
        browser.text("#sales-table tbody tr.total td.c-level").await?,
        "合计"
    );
    growth_columns_count_the_month_before_the_range(browser, console).await
}

/// January alone: SZ's 环比 is against December, outside the range (350.88 to 0.00 after the red
/// document: −100.00 %); GZ and ZH had no sales the month before, so their cells are blank, and
/// nobody sold a year earlier.
async fn growth_columns_count_the_month_before_the_range(
    browser: &Browser,
    console: &str,
) -> anyhow::Result<()> {
    let january = "org=001&from=2026-01-01&to=2026-01-31&by=org&by=month";
    browser
        .goto(&format!("{console}/sales?{january}&lang=zh"))
        .await?;
    browser.screenshot("sales-growth-zh").await?;
    let headings = browser.texts("#sales-table thead th").await?;
    assert!(
        headings.iter().any(|heading| heading == "环比 %")
            && headings.iter().any(|heading| heading == "同比 %"),
        "{headings:?}"
    );
    let columns = [
        "level",
        "branch",
        "month",
        "amount",
        "month_on_month",
        "year_on_year",
    ];
    let shown: Vec<Vec<String>> = page_rows(browser, "sales-table", &columns)
        .await?
        .into_iter()
        .filter(|row| row["level"].is_empty())
        .map(|row| columns[1..].iter().map(|column| row[*column].clone()).collect())
        .collect();
    assert_eq!(
        shown,
        [
            ["SZ", "2026-01", "0.00", "-100.00", ""],
            ["GZ", "2026-01", "0.02", "", ""],
        ],
        "January's rows with their change"
    );
    Ok(())
}

/// The CSV download is byte for byte the CLI's CSV, and the workbook holds the same figures.
async fn downloads_are_the_cli_report(browser: &Browser, url: &str) -> anyhow::Result<()> {
    let query = SALES_QUERY;
    let expected_csv = cli(
        url,
        &[
            "report",
            "sales",
            "--org",
            "001",
            "--by",
            "org,month",
            "--subtotals",
            "--format",
            "csv",
        ],
    );
    let csv = String::from_utf8(fetch(browser, &format!("/sales.csv?{query}")).await?)?;
    assert_eq!(csv, expected_csv, "the CSV download is the CLI's CSV");
    let workbook = fetch(browser, &format!("/sales.xlsx?{query}")).await?;
    let expected_cells: Vec<Vec<String>> = expected_csv
        .lines()
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(
        as_numbers(sheet_cells(&workbook)?),
        as_numbers(expected_cells),
        "the workbook's cells"
    );

    Ok(())
}

/// The inventory page shows the CLI's on-hand, and narrows to one product.
async fn inventory_page_is_the_cli_report(browser: &Browser, console: &str, url: &str) -> anyhow::Result<()> {
    browser
        .goto(&format!("{console}/inventory?org=001.001.001&lang=en"))
        .await?;
    browser.screenshot("inventory").await?;
    let inventory: Value = serde_json::from_str(&cli(
        url,
        &[
            "report",
            "inventory",
            "--org",
            "001.001.001",
            "--subtotals",
            "--format",
            "json",
        ],
    ))?;
    let columns = ["level", "org", "branch", "warehouse", "product", "on_hand"];
    let shown = page_rows(browser, "inventory-table", &columns).await?;
    assert_eq!(
        shown,
        json_rows(&inventory, &columns),
        "the inventory table against the CLI"
    );
    assert!(shown
        .iter()
        .any(|row| row["product"] == "P001" && row["on_hand"] == "83"));
    browser
        .goto(&format!(
            "{console}/inventory?org=001.001.001&product=P002&lang=en"
        ))
        .await?;
    let filtered = browser.texts("#inventory-table tbody td.c-product").await?;
    assert_eq!(filtered, ["P002", ""], "one product's row, then the total");

    Ok(())
}

/// Every `.chart` holds the canvas ECharts drew.
async fn assert_charts_drawn(browser: &Browser) -> anyhow::Result<()> {
    let drawn = browser
        .client()
        .execute(
            "return [...document.querySelectorAll('.chart')].map(chart => chart.id + ':' + !!chart.querySelector('canvas'));",
            vec![],
        )
        .await?;
    assert_eq!(
        drawn,
        json!([
            "chart-trend:true",
            "chart-by-org:true",
            "chart-ranking:true",
            "chart-targets:true",
            "chart-growth:true"
        ])
    );
    Ok(())
}

/// The growth chart's option (the page's `data-chart`) carries the report by org and month's
/// amount, 环比 and 同比 as the CLI prints them, the changes on the second (%) axis and `null`
/// where the report has none; ECharts drew all three series.
async fn trend_chart_carries_growth(browser: &Browser, url: &str) -> anyhow::Result<()> {
    let report: Value = serde_json::from_str(&cli(
        url,
        &[
            "report",
            "sales",
            "--org",
            "001",
            "--by",
            "org,month",
            "--format",
            "json",
        ],
    ))?;
    let column = |name: &str| -> Vec<Value> {
        report["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| row[name].clone())
            .collect()
    };
    let element = browser
        .client()
        .find(fantoccini::Locator::Css("#chart-growth"))
        .await?;
    let option: Value = serde_json::from_str(&element.attr("data-chart").await?.context("data-chart")?)?;
    let labels: Vec<Value> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            json!(format!(
                "{} {} {}",
                row["org"].as_str().unwrap(),
                row["branch"].as_str().unwrap(),
                row["month"].as_str().unwrap()
            ))
        })
        .collect();
    assert_eq!(option["xAxis"]["data"], Value::Array(labels));
    let series = option["series"].as_array().context("series")?;
    let named = |name: &str| {
        series
            .iter()
            .find(|series| series["name"] == name)
            .unwrap_or_else(|| panic!("no series {name}: {series:?}"))
    };
    assert_eq!(named("amount")["data"], Value::Array(column("amount")));
    for (name, field) in [
        ("month-on-month %", "month_on_month"),
        ("year-on-year %", "year_on_year"),
    ] {
        assert_eq!(named(name)["yAxisIndex"], 1, "{name} on the % axis");
        assert_eq!(named(name)["data"], Value::Array(column(field)), "{name}");
    }
    let changes = column("month_on_month");
    assert!(
        changes.iter().any(Value::is_null) && changes.iter().any(Value::is_string),
        "a gap and a change: {changes:?}"
    );
    let drawn = browser
        .client()
        .execute(
            "return echarts.getInstanceByDom(document.getElementById('chart-growth')).getOption().series.map(s => s.name);",
            vec![],
        )
        .await?;
    assert_eq!(drawn, json!(["amount", "month-on-month %", "year-on-year %"]));
    Ok(())
}

/// `path`'s bytes, fetched by the page itself (its session cookie).
pub(crate) async fn fetch(browser: &Browser, path: &str) -> anyhow::Result<Vec<u8>> {
    let script = "const done = arguments[arguments.length - 1]; \
        fetch(arguments[0]).then(response => response.arrayBuffer()) \
        .then(buffer => done(Array.from(new Uint8Array(buffer)))) \
        .catch(error => done(String(error)));";
    let bytes = browser.client().execute_async(script, vec![json!(path)]).await?;
    let bytes = bytes
        .as_array()
        .with_context(|| format!("fetching {path}: {bytes}"))?;
    Ok(bytes
        .iter()
        .map(|byte| byte.as_u64().unwrap_or(0) as u8)
        .collect())
}

/// The first sheet's cells as text, row by row (shared strings resolved, numbers as written).
pub(crate) fn sheet_cells(workbook: &[u8]) -> anyhow::Result<Vec<Vec<String>>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(workbook))?;
    let mut part = |name: &str| -> anyhow::Result<String> {
        let mut text = String::new();
        archive.by_name(name)?.read_to_string(&mut text)?;
        Ok(text)
    };
    let shared: Vec<String> = part("xl/sharedStrings.xml")?
        .split("<si>")
        .skip(1)
        .map(|item| unescape(between(item, ">", "</t>").unwrap_or_default()))
        .collect();
    let sheet = part("xl/worksheets/sheet1.xml")?;
    let mut rows = Vec::new();
    for row in sheet.split("<row ").skip(1) {
        let mut cells = Vec::new();
        for cell in row.split("<c ").skip(1) {
            let reference = between(cell, "r=\"", "\"").context("a cell without r")?;
            let column = reference
                .bytes()
                .take_while(u8::is_ascii_uppercase)
                .fold(0usize, |index, letter| {
                    index * 26 + usize::from(letter - b'A' + 1)
                });
            cells.resize(column - 1, String::new());
            let value = between(cell, "<v>", "</v>").unwrap_or_default();
            let head = cell.split('>').next().unwrap_or_default();
            cells.push(match head.contains("t=\"s\"") {
                true => shared[value.parse::<usize>()?].clone(),
                false => value.to_owned(),
            });
        }
        rows.push(cells);
    }
    let width = rows.first().map_or(0, Vec::len);
    for row in &mut rows {
        row.resize(width, String::new());
    }
    Ok(rows)
}

/// `rows` (a header row first) with every figure column's decimals written without trailing
/// zeros: a workbook's number cell holds 350.9 for the report's 350.90.
fn as_numbers(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let figures = [
        "qty",
        "amount",
        "tax",
        "total",
        "target",
        "completion",
        "month_on_month",
        "year_on_year",
        "on_hand",
    ];
    let numeric: Vec<bool> = rows
        .first()
        .map(|header| {
            header
                .iter()
                .map(|name| figures.contains(&name.as_str()))
                .collect()
        })
        .unwrap_or_default();
    for row in rows.iter_mut().skip(1) {
        for (cell, numeric) in row.iter_mut().zip(&numeric) {
            if let (true, Ok(decimal)) = (*numeric, cell.parse::<rust_decimal::Decimal>()) {
                *cell = decimal.normalize().to_string();
            }
        }
    }
    rows
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}
