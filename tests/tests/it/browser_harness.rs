//! The browser harness itself, on a few hand-written pages served from a loopback port: typing,
//! picking, clicking through to the next page, reading texts, a whole-page screenshot, a login
//! form, and the JavaScript errors of every page shown failing `close()`; then a login to a real
//! HQ's web console (`launch_hq_console`).

use anyhow::{bail, Context};
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::hq::{launch_hq_console, HqStoreKind};
use branchline_tests::people::{add_account, password_of, set_password};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How many list items the answer page shows: taller than the window, for the screenshot.
const ANSWER_ITEMS: usize = 60;

/// Serves `page` on 127.0.0.1:0 until the test ends; returns "http://127.0.0.1:PORT".
async fn serve_pages() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Err(error) = answer(stream).await {
                    eprintln!("test page server: {error:#}");
                }
            });
        }
    });
    Ok(url)
}

/// One HTTP/1.1 exchange: reads the request head, answers with `page`, closes.
async fn answer(mut stream: TcpStream) -> anyhow::Result<()> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        let n_read = stream.read(&mut buffer).await?;
        if n_read == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buffer[..n_read]);
        if request.len() > 64 << 10 {
            bail!("a request head over 64 KiB");
        }
    }
    let request = String::from_utf8_lossy(&request);
    let target = request.split_whitespace().nth(1).context("a request line")?;
    let url = url::Url::parse(&format!("http://page{target}"))?;
    let (status, body) = page(&url);
    // The one redirect: a refused login back to the login page.
    let location = if status.starts_with("303") {
        "Location: /login?refused=1\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status}\r\n{location}Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await?;
    Ok(())
}

fn query(url: &url::Url, key: &str) -> String {
    url.query_pairs()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn html(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    )
}

/// The pages: a form, the answer it leads to, a login form, and a page whose script throws.
fn page(url: &url::Url) -> (&'static str, String) {
    match url.path() {
        "/" => (
            "200 OK",
            html(
                "form",
                "<form action=\"/answer\"><input id=\"name\" name=\"name\" value=\"old\">\
                 <select id=\"kind\" name=\"kind\"><option value=\"a\">A</option>\
                 <option value=\"b\">B</option></select>\
                 <input id=\"day\" name=\"day\" type=\"date\">\
                 <button id=\"go\">go</button></form>",
            ),
        ),
        "/answer" => {
            let items: String = (1..=ANSWER_ITEMS)
                .map(|item| format!("<li>item {item}</li>"))
                .collect();
            let body = format!(
                "<p id=\"greeting\">hello {}</p><p id=\"kind\">{}</p><p id=\"day\">{}</p><ul>{items}</ul>",
                query(url, "name"),
                query(url, "kind"),
                query(url, "day")
            );
            ("200 OK", html("answer", &body))
        }
        "/login" => {
            let refusal = match query(url, "refused").as_str() {
                "" => "",
                _ => "<p id=\"login-error\">wrong user name or password</p>",
            };
            let form = format!(
                "{refusal}<form action=\"/session\"><input id=\"name\" name=\"name\">\
                 <input id=\"password\" name=\"password\" type=\"password\">\
                 <button id=\"login\">login</button></form>"
            );
            ("200 OK", html("login", &form))
        }
        // A right password leads on; a wrong one back to the login page.
        "/session" if query(url, "password") == "secret" => ("200 OK", html("welcome", "")),
        "/session" => ("303 See Other", String::new()),
        "/broken" => (
            "200 OK",
            html("broken", "<script>throw new Error(\"x\")</script>"),
        ),
        _ => ("404 Not Found", html("not found", "")),
    }
}

/// The (width, height) in a PNG's header.
fn png_size(png: &[u8]) -> anyhow::Result<(u32, u32)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" {
        bail!("not a PNG");
    }
    let width = u32::from_be_bytes(png[16..20].try_into()?);
    let height = u32::from_be_bytes(png[20..24].try_into()?);
    Ok((width, height))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_fills_clicks_reads_and_takes_a_whole_page_screenshot() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let site = serve_pages().await?;
    let browser = Browser::start().await?;
    browser.goto(&format!("{site}/")).await?;
    assert_eq!(browser.text("h1").await?, "form");
    browser.fill("#name", "深圳分公司 SZ").await?;
    browser.fill("#kind", "b").await?;
    browser.fill("#day", "2026-01-05").await?;
    browser.screenshot("browser_harness_form").await?;
    browser.submit("#go").await?;
    // `submit` returned with the answer page loaded.
    assert_eq!(browser.text("#greeting").await?, "hello 深圳分公司 SZ");
    assert_eq!(browser.text("#kind").await?, "b");
    assert_eq!(browser.text("#day").await?, "2026-01-05");
    let items = browser.texts("li").await?;
    assert_eq!(items.len(), ANSWER_ITEMS);
    assert_eq!(items[0], "item 1");
    assert!(browser.texts(".nothing").await?.is_empty());
    let path = browser.screenshot("browser_harness_answer").await?;
    assert!(path.ends_with("console-screenshots/browser_harness_answer.png"));
    let (width, height) = png_size(&std::fs::read(&path)?)?;
    // The window is 1000 pixels tall; the screenshot holds the whole list below it.
    assert!(width >= 1000 && height > 1200, "a {width}x{height} screenshot");
    let missing = browser.text("#absent").await.expect_err("no such element");
    assert!(
        format!("{missing:#}").contains("no element matches `#absent`"),
        "{missing:#}"
    );
    assert!(browser.js_errors().await?.is_empty());
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_logs_in_and_names_a_refused_login() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let site = serve_pages().await?;
    let browser = Browser::start().await?;
    browser.login(&site, "admin", "secret").await?;
    assert_eq!(browser.text("h1").await?, "welcome");
    let refused = browser
        .login(&site, "admin", "wrong")
        .await
        .expect_err("a wrong password");
    assert!(
        format!("{refused:#}").contains("was refused: wrong user name or password"),
        "{refused:#}"
    );
    browser.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_reports_the_javascript_errors_of_every_page_and_close_fails() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let site = serve_pages().await?;
    let browser = Browser::start().await?;
    browser.goto(&format!("{site}/broken")).await?;
    // A clean page after it: the error of the page before is still reported. A page's own
    // status is not an error.
    browser.goto(&format!("{site}/")).await?;
    browser.goto(&format!("{site}/gone")).await?;
    assert_eq!(browser.text("h1").await?, "not found");
    let errors = browser.js_errors().await?;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("Uncaught Error: x"), "{errors:?}");
    assert!(errors[0].contains("/broken"), "names the page: {errors:?}");
    // Read once, still counted.
    assert_eq!(browser.js_errors().await?, errors);
    let closed = browser.close().await.expect_err("a page threw");
    assert!(format!("{closed:#}").contains("Uncaught Error: x"), "{closed:#}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_logs_in_to_the_hq_console() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let hq = launch_hq_console(HqStoreKind::Sqlite, |_| {}).await;
    hq.add_org("001", "总公司").await?;
    add_account(hq.url(), "alice", "admin", "001").await?;
    set_password(hq.url(), "alice", &password_of("alice")).await?;
    let browser = Browser::start().await?;
    let refused = browser
        .login(hq.console_url(), "alice", "not-her-password")
        .await
        .expect_err("a wrong password");
    browser
        .screenshot("browser_harness_console_login_refused")
        .await?;
    assert!(format!("{refused:#}").contains("was refused"), "{refused:#}");
    browser
        .login(hq.console_url(), "alice", &password_of("alice"))
        .await?;
    browser.screenshot("browser_harness_console_board").await?;
    let url = browser.client().current_url().await?;
    assert_eq!(url.path(), "/board");
    browser.close().await?;
    hq.shutdown().await
}
