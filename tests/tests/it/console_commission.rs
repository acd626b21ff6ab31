//! The commission page (佣金) against a served HQ and the real CLI: documents pushed, plans
//! assigned (the commission test's), the page read in headless Chromium in Chinese and English,
//! its every figure (band amounts too) equal to `hq-server report commission --format json`; an
//! admin settles November from the page (the confirm accepted) and the page shows its
//! 佣金结算单, whose CSV download is the CLI's CSV byte for byte and whose workbook holds the same
//! cells; settling a period someone settled meanwhile is refused in the page's language. A
//! viewer sees no settle button and its posted settle is refused (403), as are forms without or
//! with a forged CSRF token, changing nothing; a scoped viewer sees its subtree only.

use crate::commission::{push_sales, set_up_plans};
use crate::console_reports::{fetch, sheet_cells};
use anyhow::Context;
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::console_http::ConsoleHttp;
use branchline_tests::hq::{launch_hq_console, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::{add_person, refusals_of, Person};
use branchline_tests::process::run;
use fantoccini::Locator;
use serde_json::Value;
use std::collections::BTreeMap;

fn hq_cli(url: &str, command: &str, args: &[&str]) -> String {
    let mut full = vec![command, "--hq", url, "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    run("hq-server", &full)
        .expect("running hq-server")
        .expect_ok()
        .stdout
}

/// `report commission --org 001 --period PERIOD --format FORMAT`.
fn cli_figures(url: &str, period: &str, format: &str) -> String {
    hq_cli(
        url,
        "report",
        &[
            "commission",
            "--org",
            "001",
            "--period",
            period,
            "--format",
            format,
        ],
    )
}

fn cli_json(url: &str, period: &str) -> anyhow::Result<Value> {
    Ok(serde_json::from_str(&cli_figures(url, period, "json"))?)
}

/// The columns compared cell for cell (the bands and settled-at apart).
const COLUMNS: [&str; 11] = [
    "org",
    "plan",
    "sales",
    "target",
    "completion",
    "commission",
    "override_base",
    "override",
    "payable",
    "adjustment",
    "total",
];

/// The page's table, row by row: the columns, the band bases and amounts, settled-at.
async fn page_rows(browser: &Browser) -> anyhow::Result<Vec<BTreeMap<String, String>>> {
    let mut rows: Vec<BTreeMap<String, String>> = Vec::new();
    for column in COLUMNS.iter().chain(&["bands", "settled_at"]) {
        let cells = browser
            .texts(&format!("#commission-table tbody td.c-{column}"))
            .await?;
        rows.resize_with(rows.len().max(cells.len()), BTreeMap::new);
        for (row, text) in rows.iter_mut().zip(cells) {
            row.insert((*column).to_owned(), text);
        }
    }
    Ok(rows)
}

/// The CLI's rows as the page shows them: an absent figure empty, each band as
/// "BASE → AMOUNT" after its range, an open row's settled-at `open_word`.
fn expected_rows(figures: &Value, lang_zh: bool) -> Vec<BTreeMap<String, String>> {
    let open_word = if lang_zh { "未结算" } else { "open" };
    figures["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let mut cells: BTreeMap<String, String> = COLUMNS
                .iter()
                .map(|column| {
                    let text = row[*column].as_str().unwrap_or_default().to_owned();
                    ((*column).to_owned(), text)
                })
                .collect();
            let bands: Vec<String> = row["bands"]
                .as_array()
                .expect("bands")
                .iter()
                .map(|band| {
                    let (from, rate) = (band["from"].as_str().unwrap(), band["rate"].as_str().unwrap());
                    let range = match lang_zh {
                        true => format!("{from}% 起 {rate}%"),
                        false => format!("from {from}% at {rate}%"),
                    };
                    format!(
                        "{range}: {} → {}",
                        band["base"].as_str().unwrap(),
                        band["amount"].as_str().unwrap()
                    )
                })
                .collect();
            cells.insert("bands".to_owned(), bands.join("\n"));
            let settled = row["settled_at"].as_str().unwrap_or(open_word).to_owned();
            cells.insert("settled_at".to_owned(), settled);
            cells
        })
        .collect()
}

/// Clicks the settle button, which asks a confirm (answered by the caller).
async fn press_settle(browser: &Browser) -> anyhow::Result<()> {
    let button = browser.client().find(Locator::Css("#settle")).await?;
    button.click().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commission_page_shows_the_cli_figures_and_settles_them() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let hq = launch_hq_console(HqStoreKind::Sqlite, |_| {}).await;
    let tokens = crate::report_streams::setup_group(&hq).await;
    push_sales(&hq, &tokens).await;
    let url = hq.url().to_owned();
    set_up_plans(&url);
    let admin = add_person(&url, "hq-admin", "admin", "001").await?;
    let viewer = add_person(&url, "hq-viewer", "viewer", "001").await?;
    let gz_viewer = add_person(&url, "gz-viewer", "viewer", "001.001.002").await?;
    let console = hq.console_url().to_owned();

    viewer_reads_but_may_not_settle(&console, &url, &viewer).await?;
    scoped_viewer_sees_its_subtree(&console, &gz_viewer).await?;
    forms_need_the_csrf_token(&console, &url, &admin).await?;

    let browser = Browser::start().await?;
    browser.login(&console, &admin.name, &admin.password).await?;
    page_is_the_cli_figures(&browser, &console, &url).await?;
    settle_from_the_page(&browser, &console, &url).await?;
    settled_meanwhile_is_refused(&browser, &console, &url, &admin).await?;
    assert_eq!(
        browser.js_errors().await?,
        Vec::<String>::new(),
        "no script errors"
    );
    browser.close().await?;
    hq.shutdown().await
}

/// November for the group, in Chinese (the default) and in English: every cell the CLI's; the
/// navigation links the page; an admin is offered the settle button.
async fn page_is_the_cli_figures(browser: &Browser, console: &str, url: &str) -> anyhow::Result<()> {
    browser
        .goto(&format!("{console}/commission?org=001&period=2026-11&lang=zh"))
        .await?;
    browser.screenshot("commission-zh").await?;
    let expected = cli_json(url, "2026-11")?;
    assert_eq!(
        page_rows(browser).await?,
        expected_rows(&expected, true),
        "zh against the CLI"
    );
    assert_eq!(browser.text("nav.menu a.active").await?, "佣金");
    assert_eq!(
        browser.text("#period-heading").await?,
        "2026-11 (2026-11-01 – 2026-11-30)"
    );
    let headings = browser.texts("#commission-table thead th").await?;
    assert!(
        headings.iter().any(|heading| heading == "下级合作伙伴奖金"),
        "{headings:?}"
    );
    assert!(
        headings.iter().any(|heading| heading == "佣金方案"),
        "{headings:?}"
    );
    assert!(!browser.texts("#settle").await?.is_empty(), "an admin may settle");

    browser
        .goto(&format!("{console}/commission?org=001&period=2026-11&lang=en"))
        .await?;
    browser.screenshot("commission-en").await?;
    assert_eq!(
        page_rows(browser).await?,
        expected_rows(&expected, false),
        "en against the CLI"
    );
    assert_eq!(browser.text("nav.menu a.active").await?, "Commission");
    assert_eq!(
        browser.text("#period-state").await?,
        "Open: the figures follow the documents."
    );

    // The year: the partner's yearly plan, both bands.
    browser
        .goto(&format!("{console}/commission?org=001&period=2026&lang=zh"))
        .await?;
    let year = cli_json(url, "2026")?;
    let shown = page_rows(browser).await?;
    assert_eq!(shown, expected_rows(&year, true), "the year against the CLI");
    assert_eq!(shown[0]["commission"], "5700.00");
    Ok(())
}

/// November settled through the page's button: its statements shown, the CLI's figures
/// settled too, and the downloads the CLI's.
async fn settle_from_the_page(browser: &Browser, console: &str, url: &str) -> anyhow::Result<()> {
    browser
        .goto(&format!("{console}/commission?org=001&period=2026-11&lang=zh"))
        .await?;
    press_settle(browser).await?;
    let question = browser.client().get_alert_text().await?;
    assert!(question.contains("2026-11"), "{question}");
    browser.client().accept_alert().await?;
    let notice = browser.text("#settled").await?;
    assert_eq!(notice, "2026-11 已结算：2 个组织机构的佣金结算单。");
    browser.screenshot("commission-settled-zh").await?;
    assert!(browser
        .text("#period-heading")
        .await?
        .starts_with("佣金结算单 · 2026-11"));
    let settled = cli_json(url, "2026-11")?;
    let rows = settled["rows"].as_array().context("rows")?;
    assert!(rows.iter().all(|row| row["settled_at"].is_string()), "{settled}");
    assert_eq!(
        page_rows(browser).await?,
        expected_rows(&settled, true),
        "the statement"
    );
    assert!(
        browser.texts("#settle").await?.is_empty(),
        "nothing left to settle"
    );

    let csv = String::from_utf8(fetch(browser, "/commission.csv?org=001&period=2026-11").await?)?;
    assert_eq!(csv, cli_figures(url, "2026-11", "csv"), "the CSV is the CLI's");
    let workbook = fetch(browser, "/commission.xlsx?org=001&period=2026-11").await?;
    let cells = sheet_cells(&workbook)?;
    let header: Vec<&str> = csv.lines().next().unwrap_or_default().split(',').collect();
    assert_eq!(cells[0], header, "the workbook's header");
    assert_eq!(cells.len(), csv.lines().count(), "the workbook's rows");
    let org_and_settled: Vec<(String, String)> = cells[1..]
        .iter()
        .map(|row| (row[0].clone(), row[12].clone()))
        .collect();
    let expected: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            let text = |field: &str| row[field].as_str().unwrap_or_default().to_owned();
            (text("org"), text("settled_at"))
        })
        .collect();
    assert_eq!(org_and_settled, expected, "the workbook's statements");
    let totals: Vec<String> = cells[1..].iter().map(|row| row[11].clone()).collect();
    assert_eq!(totals, ["6000", "2500.01"], "the totals as numbers");
    Ok(())
}

/// December's page is opened, then December is settled from the command line; the page's
/// button is then refused, in English, and a repeated November settle in Chinese.
async fn settled_meanwhile_is_refused(
    browser: &Browser,
    console: &str,
    url: &str,
    admin: &Person,
) -> anyhow::Result<()> {
    browser
        .goto(&format!("{console}/commission?org=001&period=2026-12&lang=en"))
        .await?;
    hq_cli(
        url,
        "admin",
        &["commission", "settle", "--period", "2026-12", "--org", "001"],
    );
    press_settle(browser).await?;
    browser.client().accept_alert().await?;
    let refusal = browser.text("#error").await?;
    assert!(
        refusal.starts_with(
            "commission for 2026-12 is already settled for every organization paid in 001's subtree"
        ),
        "{refusal}"
    );
    browser.screenshot("commission-refused-en").await?;

    let mut http = ConsoleHttp::new(console);
    http.login(&admin.name, &admin.password).await?;
    let page = http.get("/commission?org=001&period=2026-11&lang=zh").await?;
    let csrf = page.csrf().context("the page has a CSRF field")?;
    let again = http
        .post(
            "/commission/settle",
            &[("csrf", &csrf), ("org", "001"), ("period", "2026-11")],
        )
        .await?;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again
            .body
            .contains("2026-11 的佣金已为 001 下每个计佣组织机构结算"),
        "{}",
        again.body
    );
    Ok(())
}

/// A viewer reads the figures, is offered no settle button, and a settle it posts anyway (with
/// its session's CSRF token) is refused and audited; nothing is settled.
async fn viewer_reads_but_may_not_settle(console: &str, url: &str, viewer: &Person) -> anyhow::Result<()> {
    let mut http = ConsoleHttp::new(console);
    http.login(&viewer.name, &viewer.password).await?;
    let page = http.get("/commission?org=001&period=2026-11").await?;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"commission-table\""));
    assert!(
        !page.body.contains("id=\"settle\""),
        "no settle button for a viewer"
    );
    let csrf = page.csrf().context("the logout form's CSRF field")?;
    let refused = http
        .post(
            "/commission/settle",
            &[("csrf", &csrf), ("org", "001"), ("period", "2026-11")],
        )
        .await?;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("无权结算佣金"), "{}", refused.body);
    let audited = format!("{:?}", refusals_of(url, &viewer.name).await?);
    assert!(audited.contains("Commission/Settle"), "{audited}");
    let november = cli_json(url, "2026-11")?;
    let rows = november["rows"].as_array().context("rows")?;
    assert!(rows.iter().all(|row| row["settled_at"].is_null()), "{november}");
    Ok(())
}

/// An account scoped to 001.001.002 sees its own row only, and the group is refused.
async fn scoped_viewer_sees_its_subtree(console: &str, viewer: &Person) -> anyhow::Result<()> {
    let mut http = ConsoleHttp::new(console);
    http.login(&viewer.name, &viewer.password).await?;
    let own = http.get("/commission?period=2026-11").await?;
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(
        own.body.matches("<td class=\"c-org\">").count(),
        1,
        "{}",
        own.body
    );
    assert!(own.body.contains("<td class=\"c-org\">001.001.002</td>"));
    let group = http.get("/commission?org=001&period=2026-11").await?;
    assert_eq!(group.status, 403, "{}", group.body);
    let csv = http.get("/commission.csv?org=001&period=2026-11").await?;
    assert_eq!(csv.status, 403, "the download is refused too");
    Ok(())
}

/// An admin's settle without the CSRF field, or with a forged one, is refused and settles
/// nothing.
async fn forms_need_the_csrf_token(console: &str, url: &str, admin: &Person) -> anyhow::Result<()> {
    let mut http = ConsoleHttp::new(console);
    http.login(&admin.name, &admin.password).await?;
    let absent = http
        .post("/commission/settle", &[("org", "001"), ("period", "2026-12")])
        .await?;
    assert_eq!(absent.status, 403, "{}", absent.body);
    let forged = http
        .post(
            "/commission/settle",
            &[("csrf", "forged"), ("org", "001"), ("period", "2026-12")],
        )
        .await?;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let december = cli_json(url, "2026-12")?;
    let rows = december["rows"].as_array().context("rows")?;
    assert!(
        !rows.is_empty() && rows.iter().all(|row| row["settled_at"].is_null()),
        "{december}"
    );
    Ok(())
}
