//! The console's accounts page (人员) in a real browser: a group admin adds a regional operator
//! and a regional admin of 深圳 (001.002), sets their passwords, issues a personal token (shown
//! once; WhoAmI answers with it), disables and enables an account and revokes its tokens. The
//! regional operator is refused the accounts page and a target outside its subtree, the
//! regional admin an organization outside it: each a 403 page with HQ's message, HQ unchanged.
//! A password form without its CSRF field is refused. Every page is screenshotted.

use crate::console_orgs::{assert_csrf_refused, console_with_admin, drop_csrf, open, snapshot, wait_text};
use branchline_proto::v1::WhoAmIRequest;
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::hq::HqHandle;
use branchline_tests::people::{account_client, login, password_of, StoreSnapshot};
use fantoccini::Locator;

/// Adds account `name` through the form, then gives it [`password_of`] its name.
async fn add_account(hq: &HqHandle, browser: &Browser, name: &str, role: &str, org: &str) {
    open(browser, hq, "/accounts").await;
    browser.fill("#user-name", name).await.unwrap();
    browser.fill("#user-role", role).await.unwrap();
    browser.fill("#user-org", org).await.unwrap();
    browser.submit("#add-user-submit").await.unwrap();
    let notice = wait_text(browser, "#notice", "已添加").await;
    assert!(notice.contains(name), "{notice}");
    let row = format!("tr[data-user='{name}']");
    browser
        .fill(&format!("{row} input.new-password"), &password_of(name))
        .await
        .unwrap();
    browser
        .click(&format!("{row} button.set-password"))
        .await
        .unwrap();
    let notice = wait_text(browser, "#notice", "密码已设置").await;
    assert!(notice.contains(name), "{notice}");
    let password = browser.text(&format!("{row} td.password")).await.unwrap();
    assert_eq!(password, "已设置");
}

/// Clicks `button_css` of `name`'s row, accepting the confirm its form asks; the answer's
/// notice holds `done`.
async fn confirm_click(browser: &Browser, name: &str, button_css: &str, done: &str) {
    let css = format!("tr[data-user='{name}'] {button_css}");
    let button = browser.client().find(Locator::Css(&css)).await.unwrap();
    button.click().await.unwrap();
    browser.client().accept_alert().await.unwrap();
    let notice = wait_text(browser, "#notice", done).await;
    assert!(notice.contains(name), "{notice}");
}

async fn manage_accounts(hq: &HqHandle, browser: &Browser) {
    add_account(hq, browser, "sz-operator", "operator", "001.002").await;
    add_account(hq, browser, "sz-admin", "admin", "001.002").await;
    let roles = browser.texts("#users-table td.role").await.unwrap();
    assert!(roles.contains(&"操作员".to_owned()), "{roles:?}");
    browser.screenshot("accounts-added").await.unwrap();

    browser
        .click("tr[data-user='sz-operator'] button.issue-token")
        .await
        .unwrap();
    let token = browser.text("#token").await.unwrap();
    browser.screenshot("accounts-token").await.unwrap();
    let me = account_client(hq.url(), &token)
        .await
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((me.name.as_str(), me.org.as_str()), ("sz-operator", "001.002"));
    let tokens = browser
        .text("tr[data-user='sz-operator'] td.tokens")
        .await
        .unwrap();
    assert_eq!(tokens, "1");

    confirm_click(browser, "sz-operator", "button.revoke-tokens", "令牌已吊销").await;
    let refused = account_client(hq.url(), &token)
        .await
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");

    confirm_click(browser, "sz-admin", "button.disable", "已停用").await;
    let state = browser.text("tr[data-user='sz-admin'] .state").await.unwrap();
    assert_eq!(state, "已停用");
    browser.screenshot("accounts-disabled").await.unwrap();
    let refused = login(hq.url(), "sz-admin", &password_of("sz-admin")).await;
    assert!(refused.is_err(), "a disabled account cannot log in");
    browser
        .click("tr[data-user='sz-admin'] button.enable")
        .await
        .unwrap();
    wait_text(browser, "#notice", "已启用").await;
    let state = browser.text("tr[data-user='sz-admin'] .state").await.unwrap();
    assert_eq!(state, "可用");

    let before = snapshot(hq).await;
    drop_csrf(browser, "tr[data-user='sz-admin'] form.password-form").await;
    browser
        .fill(
            "tr[data-user='sz-admin'] input.new-password",
            "another-password-42",
        )
        .await
        .unwrap();
    browser
        .click("tr[data-user='sz-admin'] button.set-password")
        .await
        .unwrap();
    assert_csrf_refused(hq, browser, &before).await;
    browser.screenshot("accounts-csrf-refused").await.unwrap();
}

/// The page's 403: its heading, HQ's message containing `needle`, and HQ unchanged.
async fn assert_refused(hq: &HqHandle, browser: &Browser, needle: &str, before: &StoreSnapshot) {
    let error = browser.text("#error").await.unwrap();
    assert!(error.contains(needle), "{needle} in {error:?}");
    assert_eq!(browser.text("h1").await.unwrap(), "无权限");
    assert_eq!(before, &snapshot(hq).await, "a refusal changed HQ");
}

async fn a_regional_operator_is_refused(hq: &HqHandle) {
    let browser = Browser::start().await.unwrap();
    let operator = "sz-operator";
    browser
        .login(hq.console_url(), operator, &password_of(operator))
        .await
        .unwrap();
    let before = snapshot(hq).await;
    open(&browser, hq, "/accounts").await;
    assert_refused(hq, &browser, "sz-operator (operator) may not call", &before).await;
    assert!(browser.text("#error").await.unwrap().contains("ListUsers"));
    browser.screenshot("accounts-refused-operator").await.unwrap();

    open(&browser, hq, "/orgs").await;
    let orgs = browser.texts(".org-code").await.unwrap();
    assert_eq!(orgs, ["001.002"], "the operator's scope only");
    assert!(
        browser.texts("#add-org").await.unwrap().is_empty(),
        "no admin forms"
    );
    browser.screenshot("orgs-operator").await.unwrap();
    browser.fill("#target-org", "001.003").await.unwrap();
    browser.fill("#target-month", "2026-11").await.unwrap();
    browser.fill("#target-amount", "1").await.unwrap();
    browser.submit("#target-submit").await.unwrap();
    assert_refused(
        hq,
        &browser,
        "sz-operator may not reach organization 001.003: outside the account's scope 001.002",
        &before,
    )
    .await;
    browser.screenshot("orgs-operator-target-refused").await.unwrap();
    browser.close().await.unwrap();
}

async fn a_regional_admin_is_refused_outside_its_subtree(hq: &HqHandle) {
    let browser = Browser::start().await.unwrap();
    browser
        .login(hq.console_url(), "sz-admin", &password_of("sz-admin"))
        .await
        .unwrap();
    open(&browser, hq, "/accounts").await;
    let mut names = browser.texts("#users-table td.user-name").await.unwrap();
    names.sort();
    assert_eq!(names, ["sz-admin", "sz-operator"], "its subtree's accounts only");
    browser.screenshot("accounts-regional-admin").await.unwrap();
    let before = snapshot(hq).await;
    open(&browser, hq, "/orgs").await;
    browser.fill("#org-code", "001.003").await.unwrap();
    browser.fill("#org-name", "广州分公司").await.unwrap();
    browser.submit("#add-org-submit").await.unwrap();
    assert_refused(
        hq,
        &browser,
        "sz-admin may not reach organization 001.003: outside the account's scope 001.002",
        &before,
    )
    .await;
    browser.screenshot("orgs-admin-outside-subtree").await.unwrap();
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_accounts_an_admin_manages_people_and_regions_are_refused() {
    if !browser_available() {
        return;
    }
    let (hq, _admin, browser) = console_with_admin().await;
    hq.add_org("001.002", "深圳分公司").await.unwrap();
    manage_accounts(&hq, &browser).await;
    browser.close().await.unwrap();
    a_regional_operator_is_refused(&hq).await;
    a_regional_admin_is_refused_outside_its_subtree(&hq).await;
}
