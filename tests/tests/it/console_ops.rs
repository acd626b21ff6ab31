//! The console's quarantine, trades and audit pages in a browser, on the regional group of the
//! people tests: sz-operator reads SZ's quarantined entry with its content, retries it before
//! and after the fix (HQ imports the missing product) and sees it applied; GZ's entry, opened or
//! retried, is HQ's refusal (403 page with its message), audited, and stays quarantined; the
//! conflicts show a refused resend. sz-viewer sees the routed trade's states at both ends,
//! filters the audit log (and is told of a bad filter), and can neither list nor retry
//! quarantined entries. Every page is screenshotted.

use crate::hq_support::{batch, push, sales_out, wire};
use crate::people_group::{scoped_group_on, ScopedGroup};
use anyhow::Context;
use branchline_shared::{BaseKind, BaseRecord, DocLink, DocType, EntryBody};
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::hq::{launch_hq_console, HqStoreKind};
use branchline_tests::people::{password_of, refusals_of};
use fantoccini::Locator;
use std::time::Duration;

async fn console_group() -> ScopedGroup {
    scoped_group_on(launch_hq_console(HqStoreKind::Sqlite, |_| {}).await).await
}

/// Posts a form to `action` carrying the page's CSRF field (the logout form's), as a page of
/// another scope's or role's would, and waits for the answer's error.
async fn post_from_page(browser: &Browser, action: &str) -> anyhow::Result<String> {
    let script = "const form = document.createElement('form');\
        form.method = 'post'; form.action = arguments[0];\
        const csrf = document.createElement('input');\
        csrf.type = 'hidden'; csrf.name = 'csrf';\
        csrf.value = document.querySelector('input[name=csrf]').value;\
        form.appendChild(csrf); document.body.appendChild(form); form.submit();";
    browser
        .client()
        .execute(script, vec![serde_json::json!(action)])
        .await
        .context("posting the form")?;
    browser
        .client()
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#error"))
        .await
        .context("the refusal page")?;
    // Read the log on the refusal page, whose own 403 is no error.
    browser.js_errors().await?;
    browser.text("#error").await
}

/// SZ resends its seq 1 with other content: a conflict HQ refuses.
async fn conflicting_resend(group: &ScopedGroup) {
    let other = EntryBody::Document(sales_out("SZ-1", "SZ", "C001", "6"));
    let mut transfer = group.hq.transfer(&group.sz_token).await;
    let refused = push(&mut transfer, batch("SZ", 1, vec![wire(1, other)])).await;
    assert!(refused.is_err(), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_ops_operator_retries_a_quarantined_entry() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let group = console_group().await;
    conflicting_resend(&group).await;
    let (console, url) = (group.hq.console_url().to_owned(), group.hq.url().to_owned());
    let (sz, gz) = (group.sz_quarantined, group.gz_quarantined);
    let browser = Browser::start().await?;
    browser
        .login(&console, "sz-operator", &password_of("sz-operator"))
        .await?;

    browser.goto(&format!("{console}/quarantine")).await?;
    assert_eq!(browser.texts("#quarantine td.branch").await?, ["SZ"], "SZ's only");
    let row = format!("#entry-{sz}");
    assert!(browser.text(&format!("{row} td.reason")).await?.contains("P999"));
    browser.click(&format!("{row} details.content summary")).await?;
    let products = browser.texts(&format!("{row} td.product")).await?;
    assert_eq!(products, ["P999", "P002"], "the document's lines");
    assert_eq!(browser.text("#conflict-counts td.conflicts").await?, "1");
    assert!(browser.text("#conflict-events").await?.contains("seq 1"));
    browser.screenshot("quarantine-list").await?;

    // Before the fix HQ still cannot apply it, and says why.
    browser.submit(&format!("#retry-{sz}")).await?;
    let still = browser.text("#retry-result").await?;
    assert!(still.contains("仍在隔离区") && still.contains("P999"), "{still}");
    browser.screenshot("quarantine-retry-still").await?;
    let p999 = BaseRecord::new(BaseKind::Product, "P999", "the missing product");
    group.hq.import(BaseKind::Product, &[p999]).await?;
    browser.goto(&format!("{console}/quarantine/{sz}")).await?;
    assert!(browser.text("#entry-summary").await?.contains("SZ-3"));
    browser.screenshot("quarantine-entry").await?;
    browser.submit(&format!("#retry-{sz}")).await?;
    let applied = browser.text("#retry-result").await?;
    assert!(applied.contains("已应用"), "{applied}");
    assert!(browser.text("#no-entries").await.is_ok(), "the list is empty now");
    browser.screenshot("quarantine-retry-applied").await?;
    assert!(group.hq.quarantine().await?.iter().all(|entry| entry.id != sz));

    // GZ's entry, opened or retried: HQ's refusal, audited; it stays quarantined.
    browser.goto(&format!("{console}/quarantine/{gz}")).await?;
    assert_eq!(browser.text("main h1").await?, "无权限");
    let refusal = browser.text("#error").await?;
    assert!(
        refusal.contains("may not reach organization 001.003"),
        "{refusal}"
    );
    browser.screenshot("quarantine-other-region").await?;
    browser.goto(&format!("{console}/quarantine")).await?;
    let refusal = post_from_page(&browser, &format!("/quarantine/{gz}/retry")).await?;
    assert!(refusal.contains("001.003"), "{refusal}");
    browser.screenshot("quarantine-other-region-retry").await?;
    let audited: Vec<String> = refusals_of(&url, "sz-operator")
        .await?
        .into_iter()
        .map(|event| event.detail)
        .collect();
    for call in ["Admin/QuarantineList", "Admin/QuarantineRetry"] {
        assert!(
            audited.iter().any(|detail| detail.contains(call)),
            "{call}: {audited:?}"
        );
    }
    assert!(group.hq.quarantine().await?.iter().any(|entry| entry.id == gz));

    // The operator finds those refusals in the audit log.
    browser.goto(&format!("{console}/audit")).await?;
    browser.fill("#actor", "sz-operator").await?;
    browser.fill("#kind", "refused").await?;
    browser.submit("#filter").await?;
    let kinds = browser.texts("#audit td.kind").await?;
    assert!(
        !kinds.is_empty() && kinds.iter().all(|kind| kind.starts_with("refused")),
        "{kinds:?}"
    );
    let details = browser.texts("#audit td.detail").await?;
    assert!(
        details
            .iter()
            .any(|detail| detail.contains("Admin/QuarantineRetry")),
        "{details:?}"
    );
    browser.screenshot("audit-refusals").await?;
    browser.close().await
}

/// GZ enters the routed purchase itself, linked to SZ-2: HQ marks the trade confirmed with
/// GZ's number.
async fn gz_confirms_the_trade(group: &ScopedGroup, gz_token: &str) {
    let mut purchase = sales_out("GZ-P1", "GZ", "S-SZ", "2");
    purchase.doc_type = DocType::PurchaseIn;
    purchase.warehouse = "W-GZ".into();
    purchase.link = Some(DocLink {
        branch: "SZ".into(),
        number: "SZ-2".into(),
    });
    let mut transfer = group.hq.transfer(gz_token).await;
    let entry = wire(3, EntryBody::Document(purchase));
    push(&mut transfer, batch("GZ", 1, vec![entry])).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_ops_viewer_reads_trades_and_audit() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let group = console_group().await;
    let console = group.hq.console_url().to_owned();
    let browser = Browser::start().await?;
    browser
        .login(&console, "sz-viewer", &password_of("sz-viewer"))
        .await?;

    browser.goto(&format!("{console}/trades")).await?;
    let trade = "tr.trade[data-source='SZ SZ-2']";
    assert!(browser
        .text(&format!("{trade} td.state"))
        .await?
        .contains("queued"));
    assert!(browser.text(&format!("{trade} td.target")).await?.contains("GZ"));
    browser.screenshot("trades-queued").await?;
    gz_confirms_the_trade(&group, &group.gz_token).await;
    browser
        .goto(&format!("{console}/trades?state=confirmed&lang=en"))
        .await?;
    assert!(browser
        .text(&format!("{trade} td.state"))
        .await?
        .contains("confirmed by the receiver"));
    assert!(browser
        .text(&format!("{trade} td.target-number"))
        .await?
        .contains("GZ-P1"));
    assert!(browser.text("main h1").await?.contains("Inter-branch trade"));
    browser.screenshot("trades-confirmed-en").await?;
    browser
        .goto(&format!("{console}/trades?state=rejected&lang=zh"))
        .await?;
    assert!(browser.text("#no-trades").await.is_ok());

    // The audit log, filtered in HQ.
    browser.goto(&format!("{console}/audit")).await?;
    browser.screenshot("audit").await?;
    browser.fill("#branch", "SZ").await?;
    browser.fill("#kind", "branch add").await?;
    browser.submit("#filter").await?;
    assert_eq!(browser.texts("#audit td.kind").await?, ["branch add"]);
    assert_eq!(browser.texts("#audit td.org").await?, ["001.002"]);
    browser.screenshot("audit-filtered").await?;
    browser.goto(&format!("{console}/audit?actor=a+b")).await?;
    assert!(browser.text("#filter-error").await?.contains("--actor"));
    browser.screenshot("audit-bad-filter").await?;
    browser.goto(&format!("{console}/audit?branch=GZ")).await?;
    assert!(browser.text("#error").await?.contains("001.003"));

    // A viewer neither lists nor retries quarantined entries.
    browser.goto(&format!("{console}/quarantine")).await?;
    assert_eq!(browser.text("main h1").await?, "无权限");
    assert!(browser.text("#error").await?.contains("QuarantineList"));
    browser.screenshot("quarantine-viewer").await?;
    let sz = group.sz_quarantined;
    browser.goto(&format!("{console}/trades")).await?;
    let refusal = post_from_page(&browser, &format!("/quarantine/{sz}/retry")).await?;
    assert!(
        refusal.contains("QuarantineRetry") && refusal.contains("operator"),
        "{refusal}"
    );
    assert!(group.hq.quarantine().await?.iter().any(|entry| entry.id == sz));
    browser.close().await
}
