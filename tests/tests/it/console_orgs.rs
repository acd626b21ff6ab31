//! The console's orgs page (组织机构与分支机构) in a real browser, as an HQ administrator does
//! README's HQ guide there: add an organization, import the counterpart customer, supplier and
//! warehouse CSVs (a bad line named by file and line, nothing imported), add a branch and see
//! its token once (a transfer Hello with it succeeds), rotate it (the old one refused), revoke
//! it after the confirm (refused), set a monthly target; the English switch; and forms posted
//! without their CSRF field (urlencoded and the multipart upload) refused with 403, changing
//! nothing. Every page is screenshotted.

use branchline_proto::v1::ListOrgsRequest;
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::hq::{launch_hq_console, transfer_client, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::{add_person, store_snapshot, Person, StoreSnapshot};
use branchline_tests::process::TempDir;
use branchline_tests::security::hello_request;
use fantoccini::Locator;
use tonic::Code;

/// HQ with its console, organization 001 and a group admin `hq-admin` (the bootstrap token
/// cannot log in to the console), and a browser logged in as it.
pub(crate) async fn console_with_admin() -> (HqHandle, Person, Browser) {
    let hq = launch_hq_console(HqStoreKind::Sqlite, |_| {}).await;
    hq.add_org("001", "集团").await.unwrap();
    let admin = add_person(hq.url(), "hq-admin", "admin", "001").await.unwrap();
    let browser = Browser::start().await.unwrap();
    browser
        .login(hq.console_url(), &admin.name, &admin.password)
        .await
        .unwrap();
    (hq, admin, browser)
}

pub(crate) async fn open(browser: &Browser, hq: &HqHandle, path: &str) {
    browser
        .goto(&format!("{}{path}", hq.console_url()))
        .await
        .unwrap();
}

/// The text of the first element matching `css` once it contains `needle`: after a click that
/// loads another page, the old page may still be the one shown for a moment.
pub(crate) async fn wait_text(browser: &Browser, css: &str, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let texts = browser.texts(css).await.unwrap_or_default();
        if let Some(text) = texts.first().filter(|text| text.contains(needle)) {
            return text.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "`{css}` never showed {needle:?}: {texts:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub(crate) async fn snapshot(hq: &HqHandle) -> StoreSnapshot {
    store_snapshot(hq.url(), hq.db_url()).await.unwrap()
}

/// Whether HQ's tree (bootstrap token) holds organization `code`.
async fn org_exists(hq: &HqHandle, code: &str) -> bool {
    let mut admin = hq.admin().await;
    let tree = admin
        .list_orgs(ListOrgsRequest::default())
        .await
        .unwrap()
        .into_inner();
    tree.orgs.iter().any(|org| org.code == code)
}

/// Chooses `path` in the upload form, picks `kind` and sends it.
async fn upload(browser: &Browser, kind: &str, path: &std::path::Path) {
    browser.fill("#import-kind", kind).await.unwrap();
    let input = browser.client().find(Locator::Css("#import-file")).await.unwrap();
    input.send_keys(path.to_str().unwrap()).await.unwrap();
    browser.submit("#import-submit").await.unwrap();
}

/// Writes the CSV files of `dir` the guide imports before `branch add`.
fn counterpart_csvs(dir: &TempDir) -> Vec<(&'static str, std::path::PathBuf)> {
    let files = [
        ("customer", "customers.csv", "code,name\nC-SZ,深圳分公司\n"),
        ("supplier", "suppliers.csv", "code,name\nS-SZ,深圳分公司\n"),
        (
            "warehouse",
            "warehouses.csv",
            "code,name,branch\nSZ-W,深圳仓,SZ\n",
        ),
    ];
    files
        .into_iter()
        .map(|(kind, name, csv)| {
            let path = dir.join(name);
            std::fs::write(&path, csv).unwrap();
            (kind, path)
        })
        .collect()
}

async fn add_org_and_import(hq: &HqHandle, browser: &Browser, dir: &TempDir) {
    open(browser, hq, "/orgs").await;
    assert_eq!(browser.text("h1").await.unwrap(), "组织机构与分支机构");
    browser.screenshot("orgs-start").await.unwrap();
    browser.fill("#org-code", "001.002").await.unwrap();
    browser.fill("#org-name", "深圳分公司").await.unwrap();
    browser.submit("#add-org-submit").await.unwrap();
    let notice = browser.text("#notice").await.unwrap();
    assert!(notice.contains("001.002"), "{notice}");
    let node = browser.text("[data-org='001.002'] .org-name").await.unwrap();
    assert_eq!(node, "深圳分公司");
    assert!(org_exists(hq, "001.002").await);
    browser.screenshot("orgs-org-added").await.unwrap();

    // A bad line refuses the whole file, named by the file and its line.
    let bad = dir.join("customers-bad.csv");
    std::fs::write(&bad, "code,name\nC-OK,好\nC BAD,坏\n").unwrap();
    let before = snapshot(hq).await;
    upload(browser, "customer", &bad).await;
    let error = browser.text("#error").await.unwrap();
    assert!(error.starts_with("customers-bad.csv:3: field code"), "{error}");
    assert_eq!(before, snapshot(hq).await, "a refused file imports nothing");
    browser.screenshot("orgs-import-bad-line").await.unwrap();

    for (kind, path) in counterpart_csvs(dir) {
        open(browser, hq, "/orgs").await;
        upload(browser, kind, &path).await;
        let notice = browser.text("#notice").await.unwrap();
        let file = path.file_name().unwrap().to_str().unwrap();
        assert!(notice.starts_with(file) && notice.contains("新增 1"), "{notice}");
    }
    browser.screenshot("orgs-imported").await.unwrap();
    let master = snapshot(hq).await;
    let (_, records) = master
        .tables
        .iter()
        .find(|(sql, _)| sql.contains("FROM master_record"))
        .unwrap();
    for record in [
        "customer C-SZ 深圳分公司",
        "supplier S-SZ 深圳分公司",
        "warehouse SZ-W 深圳仓",
    ] {
        assert!(records.iter().any(|row| row == record), "{record} in {records:?}");
    }
}

/// Adds branch SZ through the form; returns the token the answer showed.
async fn add_branch(hq: &HqHandle, browser: &Browser) -> String {
    open(browser, hq, "/orgs").await;
    for (field, value) in [
        ("#branch-code", "SZ"),
        ("#branch-name", "深圳分公司"),
        ("#branch-org", "001.002"),
        ("#branch-customer", "C-SZ"),
        ("#branch-supplier", "S-SZ"),
        ("#branch-warehouse", "SZ-W"),
    ] {
        browser.fill(field, value).await.unwrap();
    }
    browser.submit("#add-branch-submit").await.unwrap();
    let token = browser.text("#token").await.unwrap();
    assert!(token.len() >= 32, "{token:?}");
    let url = browser.client().current_url().await.unwrap();
    assert!(
        !url.as_str().contains(&token),
        "the token is never in a URL: {url}"
    );
    let line = browser.text("[data-branch='SZ']").await.unwrap();
    for shown in ["C-SZ", "S-SZ", "SZ-W", "independent-sales", "令牌有效"] {
        assert!(line.contains(shown), "{shown} in {line:?}");
    }
    browser.screenshot("orgs-branch-token").await.unwrap();
    // Shown once: the page read again no longer holds it.
    open(browser, hq, "/orgs").await;
    let page = browser.text("body").await.unwrap();
    assert!(!page.contains(&token), "the token was shown a second time");
    token
}

async fn hello(hq: &HqHandle, token: &str) -> Result<(), tonic::Status> {
    let mut transfer = transfer_client(hq.url(), token).await;
    transfer.hello(hello_request("SZ")).await.map(drop)
}

/// Rotates SZ's token through its button; returns the new one.
async fn rotate(hq: &HqHandle, browser: &Browser, old: &str) -> String {
    open(browser, hq, "/orgs").await;
    browser.submit("[data-branch='SZ'] button.rotate").await.unwrap();
    let token = browser.text("#token").await.unwrap();
    assert_ne!(token, old);
    browser.screenshot("orgs-token-rotated").await.unwrap();
    let refused = hello(hq, old).await.unwrap_err();
    assert_eq!(
        refused.code(),
        Code::Unauthenticated,
        "the old token: {refused:?}"
    );
    hello(hq, &token).await.expect("the new token works");
    token
}

/// Revokes SZ through its button, accepting the confirm the form asks.
async fn revoke(hq: &HqHandle, browser: &Browser, token: &str) {
    open(browser, hq, "/orgs").await;
    let button = browser
        .client()
        .find(Locator::Css("[data-branch='SZ'] button.revoke"))
        .await
        .unwrap();
    button.click().await.unwrap();
    let question = browser.client().get_alert_text().await.unwrap();
    assert!(question.contains("SZ"), "{question}");
    browser.client().accept_alert().await.unwrap();
    let notice = browser.text("#notice").await.unwrap();
    assert!(notice.contains("SZ"), "{notice}");
    let state = browser.text("[data-branch='SZ'] .state").await.unwrap();
    assert_eq!(state, "令牌已吊销");
    browser.screenshot("orgs-revoked").await.unwrap();
    let refused = hello(hq, token).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "revoked: {refused:?}");
}

async fn set_target(hq: &HqHandle, browser: &Browser) {
    open(browser, hq, "/orgs").await;
    browser.fill("#target-org", "001.002").await.unwrap();
    browser.fill("#target-month", "2026-11").await.unwrap();
    browser.fill("#target-amount", "50000").await.unwrap();
    browser.submit("#target-submit").await.unwrap();
    let notice = browser.text("#notice").await.unwrap();
    assert!(notice.contains("2026-11") && notice.contains("50000"), "{notice}");
    browser.screenshot("orgs-target-set").await.unwrap();
    let shown = snapshot(hq).await;
    let (_, targets) = shown
        .tables
        .iter()
        .find(|(sql, _)| sql.contains("FROM sales_target"))
        .unwrap();
    assert!(
        targets.iter().any(|row| row.starts_with("001.002 2026-11 ")),
        "{targets:?}"
    );
}

/// The English switch names the page in English, and is remembered.
async fn in_english(hq: &HqHandle, browser: &Browser) {
    open(browser, hq, "/orgs").await;
    browser.submit("#lang-switch").await.unwrap();
    wait_text(browser, "h1", "Organizations and branches").await;
    let state = browser.text("[data-branch='SZ'] .state").await.unwrap();
    assert_eq!(state, "token revoked");
    browser.screenshot("orgs-english").await.unwrap();
    browser.submit("#lang-switch").await.unwrap();
    wait_text(browser, "h1", "组织机构与分支机构").await;
}

/// Removes every hidden CSRF input of the form in `form_css` (in the page itself, as a forged
/// form would lack it).
pub(crate) async fn drop_csrf(browser: &Browser, form_css: &str) {
    let script = format!(
        "for (const input of document.querySelectorAll(\"{form_css} input[name=csrf]\")) input.remove();"
    );
    browser.client().execute(&script, Vec::new()).await.unwrap();
}

/// 403 with the CSRF message, and HQ unchanged.
pub(crate) async fn assert_csrf_refused(hq: &HqHandle, browser: &Browser, before: &StoreSnapshot) {
    let error = browser.text("#error").await.unwrap();
    assert!(error.contains("CSRF"), "{error}");
    assert_eq!(browser.text("h1").await.unwrap(), "无权限");
    assert_eq!(before, &snapshot(hq).await, "a form without CSRF changed HQ");
}

async fn forms_without_csrf_are_refused(hq: &HqHandle, browser: &Browser, dir: &TempDir) {
    open(browser, hq, "/orgs").await;
    let before = snapshot(hq).await;
    drop_csrf(browser, "#add-org").await;
    browser.fill("#org-code", "001.005").await.unwrap();
    browser.fill("#org-name", "伪造").await.unwrap();
    browser.submit("#add-org-submit").await.unwrap();
    assert_csrf_refused(hq, browser, &before).await;
    assert!(!org_exists(hq, "001.005").await);
    browser.screenshot("orgs-csrf-refused").await.unwrap();

    open(browser, hq, "/orgs").await;
    drop_csrf(browser, "#import").await;
    let products = dir.join("products.csv");
    std::fs::write(&products, "code,name,unit,price\nP-FORGED,伪造,盒,1\n").unwrap();
    upload(browser, "product", &products).await;
    assert_csrf_refused(hq, browser, &before).await;
    browser.screenshot("orgs-upload-csrf-refused").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_orgs_an_administrator_does_the_hq_guide() {
    if !browser_available() {
        return;
    }
    let (hq, _admin, browser) = console_with_admin().await;
    let dir = TempDir::new("console-orgs").unwrap();
    add_org_and_import(&hq, &browser, &dir).await;
    let token = add_branch(&hq, &browser).await;
    hello(&hq, &token).await.expect("the token shown works");
    let token = rotate(&hq, &browser, &token).await;
    revoke(&hq, &browser, &token).await;
    set_target(&hq, &browser).await;
    in_english(&hq, &browser).await;
    forms_without_csrf_are_refused(&hq, &browser, &dir).await;
    // The bootstrap token still sees the same tree the page showed.
    let mut admin = branchline_tests::hq::admin_client(hq.url(), TEST_ADMIN_TOKEN).await;
    let tree = admin
        .list_orgs(ListOrgsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tree.branches.len(), 1);
    assert!(tree.branches[0].revoked);
    browser.close().await.unwrap();
}
