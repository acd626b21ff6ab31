//! The console's sessions at the HTTP level: a login is `Account/Login` (its failures audited),
//! the session cookie's attributes (Secure under TLS), CSRF on logout and on the login form,
//! logout and idle expiry revoking the login token at HQ, and a bad `console_listen` refused
//! before anything is created.

use anyhow::Context;
use branchline_proto::v1::ListUsersRequest;
use branchline_tests::console_http::ConsoleHttp;
use branchline_tests::hq::{launch_hq_console, HqStoreKind};
use branchline_tests::people::{account_client, add_person, all_audit_events};
use branchline_tests::process::{binary, TempDir};
use branchline_tests::security::TestPki;
use hyper::StatusCode;
use std::time::Duration;

/// The live tokens of account `name`, as HQ counts them.
async fn live_tokens(url: &str, admin_token: &str, name: &str) -> anyhow::Result<u64> {
    let mut accounts = account_client(url, admin_token).await;
    let users = accounts.list_users(ListUsersRequest {}).await?.into_inner().users;
    let user = users
        .iter()
        .find(|user| user.name == name)
        .context("no such account")?;
    Ok(user.live_tokens)
}

async fn login_logout_and_csrf(store: HqStoreKind) {
    let hq = launch_hq_console(store, |_| {}).await;
    hq.add_org("001", "总公司").await.unwrap();
    let boss = add_person(hq.url(), "boss", "admin", "001").await.unwrap();
    let tokens_before = live_tokens(hq.url(), hq.admin_token(), "boss").await.unwrap();
    let mut browser = ConsoleHttp::new(hq.console_url());

    let board = browser.get("/board").await.unwrap();
    assert_eq!(board.status, StatusCode::SEE_OTHER);
    assert_eq!(board.location(), Some("/login?next=/board"));
    let form = browser.get("/login").await.unwrap();
    assert_eq!(form.status, StatusCode::OK);
    let csp = form.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(form.body.contains("<html lang=\"zh-CN\">"), "Chinese by default");

    let wrong = browser.login("boss", "not-the-password").await.unwrap();
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("id=\"login-error\""), "{}", wrong.body);
    assert!(browser.cookie("bl_session").is_none());
    let events = all_audit_events(hq.url()).await.unwrap();
    assert!(
        events
            .iter()
            .any(|event| event.actor == "boss" && event.action.contains("login failed")),
        "the console's failed login is audited like any: {events:?}"
    );

    // The login form checks its own CSRF cookie.
    let forged = browser
        .post(
            "/login",
            &[("csrf", "forged"), ("name", "boss"), ("password", &boss.password)],
        )
        .await
        .unwrap();
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(browser.cookie("bl_session").is_none());

    let login = browser.login("boss", &boss.password).await.unwrap();
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    assert_eq!(login.location(), Some("/board"));
    let cookie = login.set_cookie("bl_session").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    assert_eq!(
        live_tokens(hq.url(), hq.admin_token(), "boss").await.unwrap(),
        tokens_before + 1
    );
    let board = browser.get("/board").await.unwrap();
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("boss"), "{}", board.body);
    let english = browser.get("/board?lang=en").await.unwrap();
    assert!(english.body.contains("<html lang=\"en\">"));
    assert!(
        browser.get("/board").await.unwrap().body.contains("Log out"),
        "remembered"
    );

    // Logout without the session's CSRF token changes nothing.
    let refused = browser.post("/logout", &[]).await.unwrap();
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("CSRF"), "{}", refused.body);
    let board = browser.get("/board").await.unwrap();
    assert_eq!(board.status, StatusCode::OK, "still logged in");

    let csrf = board.csrf().unwrap();
    let logout = browser.post("/logout", &[("csrf", &csrf)]).await.unwrap();
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(logout.location(), Some("/login"));
    assert_eq!(
        live_tokens(hq.url(), hq.admin_token(), "boss").await.unwrap(),
        tokens_before,
        "logout revoked the session's token at HQ"
    );
    assert_eq!(browser.get("/board").await.unwrap().status, StatusCode::SEE_OTHER);
    hq.shutdown().await.unwrap();
}
on_both_stores!(
    login_logout_and_csrf,
    console_login_logout_and_csrf_sqlite,
    console_login_logout_and_csrf_postgres
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_session_expires_and_its_token_is_revoked() {
    let hq = launch_hq_console(HqStoreKind::Sqlite, |config| {
        config.limits.console_session_idle_seconds = 1;
    })
    .await;
    hq.add_org("001", "总公司").await.unwrap();
    let boss = add_person(hq.url(), "boss", "admin", "001").await.unwrap();
    let tokens_before = live_tokens(hq.url(), hq.admin_token(), "boss").await.unwrap();
    let mut browser = ConsoleHttp::new(hq.console_url());
    browser.login("boss", &boss.password).await.unwrap();
    assert_eq!(browser.get("/board").await.unwrap().status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let expired = browser.get("/board").await.unwrap();
    assert_eq!(expired.status, StatusCode::SEE_OTHER, "an idle session is gone");
    let mut revoked = false;
    for _ in 0..100 {
        if live_tokens(hq.url(), hq.admin_token(), "boss").await.unwrap() == tokens_before {
            revoked = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(revoked, "the expired session's login token was revoked at HQ");
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_over_tls_marks_its_cookies_secure() {
    let dir = TempDir::new("console-tls").unwrap();
    let pki = TestPki::new(dir.path(), "console").unwrap();
    let hq = launch_hq_console(HqStoreKind::Sqlite, |config| {
        config.tls = Some(pki.serve_tls(false));
    })
    .await;
    let https = hq.console_url().replace("http://127.0.0.1", "https://localhost");
    let ca = std::fs::read(&pki.ca).unwrap();
    let mut browser = ConsoleHttp::trusting(&https, &ca).unwrap();
    let form = browser.get("/login").await.unwrap();
    assert_eq!(form.status, StatusCode::OK);
    let cookie = form.set_cookie("bl_login").unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Plain HTTP to the TLS port gets no page.
    let mut plain = ConsoleHttp::new(hq.console_url());
    assert!(
        plain.get("/login").await.is_err(),
        "plain HTTP is not served under TLS"
    );
}

#[test]
fn serve_prints_the_console_address_and_refuses_a_bad_one() {
    let dir = TempDir::new("console-listen").unwrap();
    let db = format!("sqlite://{}", dir.join("hq.db").display());
    let bad = std::process::Command::new(binary("hq-server"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--console-listen",
            "nowhere",
            "--db",
            &db,
        ])
        .env("BRANCHLINE_ADMIN_TOKEN", "console-test-admin-token")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("invalid console_listen address \"nowhere\": expected HOST:PORT"),
        "{stderr}"
    );
    assert!(!dir.join("hq.db").exists(), "nothing was created");

    let mut serving = std::process::Command::new(binary("hq-server"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--console-listen",
            "127.0.0.1:0",
            "--db",
            &db,
        ])
        .env("BRANCHLINE_ADMIN_TOKEN", "console-test-admin-token")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = serving.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let listening = lines.next().unwrap().unwrap();
    let console = lines.next().unwrap().unwrap();
    let _ = serving.kill();
    let _ = serving.wait();
    assert!(listening.starts_with("listening on 127.0.0.1:"), "{listening}");
    let address = console
        .strip_prefix("console on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{console}"));
    assert!(address.parse::<u16>().is_ok_and(|port| port != 0), "{console}");
}
