//! The console's login in a real browser: the login page in Chinese, a wrong password refused
//! with HQ's message, a login landing on the page asked for, the English switch remembered
//! across pages, and logout back to the login page; no JavaScript error on any page.

use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::hq::{launch_hq_console, HqStoreKind};
use branchline_tests::people::add_person;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_login_language_and_logout_in_a_browser() {
    if !browser_available() {
        return;
    }
    let hq = launch_hq_console(HqStoreKind::Sqlite, |_| {}).await;
    hq.add_org("001", "总公司").await.unwrap();
    hq.add_org("001.002", "深圳分公司").await.unwrap();
    let manager = add_person(hq.url(), "sz-manager", "viewer", "001.002")
        .await
        .unwrap();
    let console = hq.console_url().to_owned();
    let browser = Browser::start().await.unwrap();

    browser.goto(&format!("{console}/audit")).await.unwrap();
    assert_eq!(browser.text("h1").await.unwrap(), "登录");
    browser.screenshot("login").await.unwrap();

    browser.fill("#name", "sz-manager").await.unwrap();
    browser.fill("#password", "not-the-password").await.unwrap();
    browser.submit("#login").await.unwrap();
    let refused = browser.text("#login-error").await.unwrap();
    assert_eq!(refused, "wrong user name or password", "HQ's own message");
    browser.screenshot("login-refused").await.unwrap();

    browser.fill("#password", &manager.password).await.unwrap();
    browser.submit("#login").await.unwrap();
    let url = browser.client().current_url().await.unwrap();
    assert_eq!(url.path(), "/audit", "the login lands on the page asked for");
    let who = browser.text("#who").await.unwrap();
    assert!(
        who.contains("sz-manager") && who.contains("查看者") && who.contains("001.002"),
        "{who}"
    );
    let menu = browser.texts(".menu a").await.unwrap();
    assert!(
        !menu.iter().any(|item| item == "人员"),
        "a viewer is not offered accounts: {menu:?}"
    );

    browser.submit("#lang-switch").await.unwrap();
    assert!(browser.text("#logout").await.unwrap().contains("Log out"));
    browser.goto(&format!("{console}/board")).await.unwrap();
    assert_eq!(
        browser.text("h1").await.unwrap(),
        "Branch health",
        "the switch is remembered"
    );
    browser.screenshot("board-english").await.unwrap();

    browser.submit("#logout").await.unwrap();
    assert_eq!(browser.client().current_url().await.unwrap().path(), "/login");
    browser.goto(&format!("{console}/board")).await.unwrap();
    assert_eq!(
        browser.client().current_url().await.unwrap().path(),
        "/login",
        "logged out"
    );
    browser.close().await.unwrap();
    hq.shutdown().await.unwrap();
}
