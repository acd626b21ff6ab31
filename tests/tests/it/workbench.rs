//! The branch workbench (工作台) in a real browser, with HQ down: GZ's operator finds the
//! purchases SZ's sales routed to it (单据转换), confirms one and sees stock rise, is refused
//! rejecting the other without a reason (the message beside the field) and then rejects it;
//! confirms a sales-out draft and sees stock fall, is refused one past the stock on hand beside
//! its button, prints it (A4 and a till receipt), reds the confirmed sale and sees stock back;
//! enters a sale line by line (each line's figures and the stock on hand from the server as it
//! types; Enter starts a new line), is refused it past the stock beside the line, then confirms
//! it; filters, the English switch and the sync page; a bundle of the unsent entries downloaded
//! and HQ's template file imported from the sync page; a local customer added and a documents
//! file imported; a page asked for under another host name refused; a clean stop on SIGTERM.
//! Every page is screenshotted; none logs a JavaScript error.

use crate::trade_routing::trading_group;
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::console_http::ConsoleHttp;
use branchline_tests::group::Group;
use branchline_tests::workbench::Workbench;
use fantoccini::key::Key;
use fantoccini::Locator;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Waits until `css`'s text is `expected` (the entry form's figures arrive from the server).
async fn wait_for_text(browser: &Browser, css: &str, expected: &str) {
    let started = Instant::now();
    loop {
        let shown = browser.text(css).await.unwrap();
        if shown == expected {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{css} shows {shown:?}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A sale of P001 entered line by line: 100 is refused beside the line, 2 is confirmed.
async fn a_sale_entered_line_by_line(browser: &Browser, url: &str) {
    browser
        .goto(&format!("{url}/documents/new?type=sales-out"))
        .await
        .unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "录入单据");
    browser.fill("#entry-partner", "C-SZ").await.unwrap();
    browser.fill("#entry-warehouse", "W-GZ").await.unwrap();
    for (field, value) in [
        ("product", "P001"),
        ("qty", "100"),
        ("price", "15"),
        ("tax_rate", "0.13"),
    ] {
        browser
            .fill(&format!("#line-0 input[name={field}]"), value)
            .await
            .unwrap();
    }
    wait_for_text(browser, "#line-0 .total", "1695.00").await;
    wait_for_text(browser, "#line-0 .on-hand", "10").await;
    let last = browser
        .client()
        .find(Locator::Css("#line-0 input[name=tax_rate]"))
        .await
        .unwrap();
    last.send_keys(&Key::Enter.to_string()).await.unwrap();
    assert_eq!(
        browser.texts("tr.entry-line").await.unwrap().len(),
        2,
        "Enter started a line"
    );
    browser.screenshot("workbench-entry").await.unwrap();
    browser.fill("#entry-partner", "C-NOBODY").await.unwrap();
    browser.submit("#save-confirm").await.unwrap();
    let refused = browser.text("#entry-partner-error").await.unwrap();
    assert!(
        refused.starts_with("没有客户 C-NOBODY"),
        "beside the partner: {refused}"
    );
    browser
        .screenshot("workbench-entry-partner-refused")
        .await
        .unwrap();
    browser.fill("#entry-partner", "C-SZ").await.unwrap();
    browser.submit("#save-confirm").await.unwrap();
    let refused = browser.text("#line-0-error").await.unwrap();
    assert!(refused.contains("库存将为负数"), "{refused}");
    browser.screenshot("workbench-entry-refused").await.unwrap();
    browser.fill("#line-0 input[name=qty]", "2").await.unwrap();
    wait_for_text(browser, "#line-0 .total", "33.90").await;
    browser.submit("#save-confirm").await.unwrap();
    assert_eq!(browser.text("#doc-status").await.unwrap(), "已审核");
    assert_eq!(browser.text("#doc-total").await.unwrap(), "33.90");
    assert_eq!(
        on_hand(browser, url, "P001").await,
        "8",
        "the entered sale took 2 out"
    );
}

/// SZ sells to GZ twice (routed to GZ as draft purchase-ins) and GZ enters two draft
/// sales-outs of its own: one it can serve once the first purchase is in, one it never can.
async fn group_with_routed_drafts() -> anyhow::Result<(Group, [String; 4])> {
    let group = trading_group("workbench").await?;
    let sale = |line: &str| {
        let args = [
            "--type",
            "sales-out",
            "--date",
            "2026-01-05",
            "--partner",
            "C-GZ",
            "--warehouse",
            "W-SZ",
            "--line",
            line,
        ];
        group.doc_add("SZ", &args)
    };
    let (first, second) = (sale("P001:10@12.5")?, sale("P002:3@20")?);
    group.sync("SZ")?;
    group.sync("GZ")?;
    let own = |line: &str| {
        let args = [
            "--type",
            "sales-out",
            "--date",
            "2026-01-06",
            "--partner",
            "C-SZ",
            "--warehouse",
            "W-GZ",
            "--line",
            line,
            "--draft",
        ];
        group.doc_add("GZ", &args)
    };
    let (servable, too_much) = (own("P001:4@15")?, own("P001:1000@15")?);
    Ok((group, [first, second, servable, too_much]))
}

async fn on_hand(browser: &Browser, url: &str, product: &str) -> String {
    browser
        .goto(&format!("{url}/stock?warehouse=W-GZ&product={product}"))
        .await
        .unwrap();
    browser.text("#stock td.on-hand").await.unwrap()
}

/// The routed drafts page lists both purchases with their source; one is confirmed.
async fn routed_drafts_confirmed_and_rejected(browser: &Browser, url: &str, sz_sales: &[String]) {
    browser.goto(&format!("{url}/drafts")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "单据转换");
    let sources = browser.texts("#documents td.link").await.unwrap();
    assert_eq!(
        sources,
        [format!("SZ {}", sz_sales[0]), format!("SZ {}", sz_sales[1])]
    );
    browser.screenshot("workbench-routed-drafts").await.unwrap();
    browser
        .submit("#documents tbody tr:first-child a.number")
        .await
        .unwrap();
    assert_eq!(
        browser.text("#doc-link").await.unwrap(),
        format!("SZ {}", sz_sales[0])
    );
    browser.submit("#confirm").await.unwrap();
    assert_eq!(browser.text("#doc-status").await.unwrap(), "已审核");
    assert_eq!(
        on_hand(browser, url, "P001").await,
        "10",
        "the purchase brought 10 in"
    );

    browser.goto(&format!("{url}/drafts")).await.unwrap();
    browser
        .submit("#documents tbody tr:first-child a.number")
        .await
        .unwrap();
    browser.submit("#reject").await.unwrap();
    let refused = browser.text("#reject-error").await.unwrap();
    assert_eq!(refused, "请填写拒绝原因。");
    browser.screenshot("workbench-reject-refused").await.unwrap();
    browser.fill("#reason", "未订货").await.unwrap();
    browser.submit("#reject").await.unwrap();
    assert_eq!(browser.text("#doc-status").await.unwrap(), "已拒绝");
}

/// Document `number` printed on A4 and as a till receipt.
async fn prints(browser: &Browser, url: &str, number: &str) {
    for (link, paper) in [("#print-a4", "a4"), ("#print-receipt", "receipt")] {
        browser.goto(&format!("{url}/documents/{number}")).await.unwrap();
        browser.submit(link).await.unwrap();
        assert_eq!(browser.text("#doc-total").await.unwrap(), "60.00");
        assert!(browser.text("#print-title").await.unwrap().ends_with(number));
        browser
            .screenshot(&format!("workbench-print-{paper}"))
            .await
            .unwrap();
    }
}

/// GZ's own sale confirmed (stock falls), the one past the stock refused beside its button,
/// then the confirmed sale redded (stock back).
async fn sales_confirmed_refused_and_redded(browser: &Browser, url: &str, servable: &str, too_much: &str) {
    browser
        .goto(&format!("{url}/documents/{too_much}"))
        .await
        .unwrap();
    browser.submit("#confirm").await.unwrap();
    let refused = browser.text("#confirm-error").await.unwrap();
    assert!(refused.contains("库存将为负数"), "{refused}");
    assert_eq!(
        browser.text("#doc-status").await.unwrap(),
        "草稿",
        "nothing changed"
    );
    browser
        .screenshot("workbench-negative-stock-refused")
        .await
        .unwrap();

    browser
        .goto(&format!("{url}/documents/{servable}"))
        .await
        .unwrap();
    assert_eq!(browser.text("#doc-total").await.unwrap(), "60.00");
    browser.submit("#confirm").await.unwrap();
    assert_eq!(on_hand(browser, url, "P001").await, "6", "the sale took 4 out");
    browser
        .goto(&format!("{url}/documents/{servable}"))
        .await
        .unwrap();
    prints(browser, url, servable).await;
    browser
        .goto(&format!("{url}/documents/{servable}"))
        .await
        .unwrap();
    browser.fill("#red-date", "2026-01-07").await.unwrap();
    browser.submit("#red").await.unwrap();
    assert!(browser.text("h1").await.unwrap().starts_with("销售出库单 GZ-"));
    assert_eq!(browser.text("#doc-total").await.unwrap(), "-60.00");
    browser.screenshot("workbench-red-document").await.unwrap();
    assert_eq!(
        on_hand(browser, url, "P001").await,
        "10",
        "the red document put 4 back"
    );
    browser.screenshot("workbench-stock").await.unwrap();
}

/// The list filtered by type and status, a bad date refused in one line, English, and sync.
async fn filters_english_and_sync(browser: &Browser, url: &str) {
    browser.goto(&format!("{url}/documents")).await.unwrap();
    browser.fill("#type", "purchase-in").await.unwrap();
    browser.fill("#status", "rejected").await.unwrap();
    browser.submit("#documents-submit").await.unwrap();
    assert_eq!(browser.texts("#documents td.status").await.unwrap(), ["已拒绝"]);
    browser.screenshot("workbench-documents").await.unwrap();
    browser
        .goto(&format!("{url}/documents?from=2026-13-01"))
        .await
        .unwrap();
    assert!(browser.text("#error").await.unwrap().starts_with("from: "));

    browser.goto(&format!("{url}/sync?lang=en")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "Sync");
    assert!(browser
        .text("#sync-summary")
        .await
        .unwrap()
        .contains("wait to be sent to HQ"));
    browser.screenshot("workbench-sync-english").await.unwrap();
    browser.goto(&format!("{url}/documents")).await.unwrap();
    assert_eq!(
        browser.text("h1").await.unwrap(),
        "Documents",
        "the language is kept"
    );
}

/// The sync page's bundle download (checked over HTTP: a browser's download leaves no page) and
/// the template file imported through the page.
async fn bundle_and_template_file(browser: &Browser, url: &str, template_file: &std::path::Path) {
    browser.goto(&format!("{url}/sync")).await.unwrap();
    let csrf = browser
        .client()
        .find(Locator::Css("form[action='/sync/bundle'] input[name=csrf]"))
        .await
        .unwrap()
        .attr("value")
        .await
        .unwrap()
        .unwrap();
    let mut http = ConsoleHttp::new(url);
    let bundle = http.post("/sync/bundle", &[("csrf", &csrf)]).await.unwrap();
    assert_eq!(bundle.status, 200);
    let disposition = bundle.headers["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"GZ-"),
        "{disposition}"
    );
    assert!(!bundle.body.is_empty());
    let stale = http.post("/sync/bundle", &[("csrf", "forged")]).await.unwrap();
    assert_eq!(
        stale.status, 403,
        "a form without the workbench's token is refused"
    );

    let input = browser
        .client()
        .find(Locator::Css("#template-file"))
        .await
        .unwrap();
    input
        .send_keys(&template_file.display().to_string())
        .await
        .unwrap();
    browser.submit("#import-template").await.unwrap();
    let done = browser.text("#done").await.unwrap();
    assert!(
        done.contains("base") && done.contains("未作更改"),
        "already applied by network: {done}"
    );
    browser.screenshot("workbench-sync").await.unwrap();
}

/// A branch-local customer added (and again: nothing changes; an empty code refused beside the
/// form), then a documents file imported (stock falls) and a bad one refused naming its line.
async fn base_data_and_a_documents_file(browser: &Browser, url: &str, dir: &std::path::Path) {
    browser.goto(&format!("{url}/base?kind=customer")).await.unwrap();
    for attempt in ["added", "again"] {
        browser.fill("#base-code", "C-LOCAL").await.unwrap();
        browser.fill("#base-name", "本地客户").await.unwrap();
        browser.submit("#base-add").await.unwrap();
        let done = browser.text("#done").await.unwrap();
        let expected = if attempt == "added" {
            "已新增 C-LOCAL"
        } else {
            "C-LOCAL 已存在，未作更改"
        };
        assert_eq!(done, expected);
    }
    assert_eq!(
        browser.text("tr[data-code=C-LOCAL] td.origin").await.unwrap(),
        "本地"
    );
    browser.submit("#base-add").await.unwrap();
    assert!(
        !browser.text("#base-error").await.unwrap().is_empty(),
        "an empty code is refused"
    );
    browser.screenshot("workbench-base-data").await.unwrap();

    let good = dir.join("gz-import.jsonl");
    let line = r#"{"number":"GZ-IMP-1","type":"sales-out","date":"2026-01-08","partner":"C-LOCAL","warehouse":"W-GZ","lines":[{"product":"P001","qty":"1","price":"15"}]}"#;
    std::fs::write(&good, format!("{line}\n")).unwrap();
    let bad = dir.join("gz-bad.jsonl");
    std::fs::write(&bad, "{not json\n").unwrap();
    for (file, shown, expected) in [(&good, "#done", "已导入 1 张单据"), (&bad, "#error", "第 1 行")]
    {
        browser.goto(&format!("{url}/documents")).await.unwrap();
        let input = browser
            .client()
            .find(Locator::Css("#documents-file"))
            .await
            .unwrap();
        input.send_keys(&file.display().to_string()).await.unwrap();
        browser.submit("#import-documents").await.unwrap();
        let done = browser.text(shown).await.unwrap();
        assert!(done.contains(expected), "{}: {done}", file.display());
    }
    assert_eq!(
        on_hand(browser, url, "P001").await,
        "7",
        "the imported sale took 1 out"
    );
}

/// A request naming another host (a rebound DNS name) is refused.
async fn another_host_is_refused(url: &str) {
    let address = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = "GET /documents HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbench_an_operator_confirms_rejects_and_reds_with_hq_down() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let (group, [first, second, servable, too_much]) = group_with_routed_drafts().await?;
    let template_file = group.dir.join("base.template");
    let exported = group.admin(&[
        "template",
        "export",
        "base",
        "--out",
        &template_file.display().to_string(),
    ])?;
    assert!(exported.success(), "{}", exported.stderr);
    let Group { hq, members, dir } = group;
    hq.shutdown().await?;
    let gz = members.iter().find(|member| member.code == "GZ").expect("GZ");
    let workbench = Workbench::start(&gz.ledger)?;
    let browser = Browser::start().await?;
    routed_drafts_confirmed_and_rejected(&browser, &workbench.url, &[first, second]).await;
    sales_confirmed_refused_and_redded(&browser, &workbench.url, &servable, &too_much).await;
    a_sale_entered_line_by_line(&browser, &workbench.url).await;
    filters_english_and_sync(&browser, &workbench.url).await;
    browser.goto(&format!("{}/sync?lang=zh", workbench.url)).await?;
    bundle_and_template_file(&browser, &workbench.url, &template_file).await;
    base_data_and_a_documents_file(&browser, &workbench.url, dir.path()).await;
    another_host_is_refused(&workbench.url).await;
    browser.close().await?;
    assert!(workbench.terminate()?.success(), "a clean stop on SIGTERM");
    drop(dir);
    Ok(())
}
