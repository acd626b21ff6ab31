//! Test harness: a headless Chromium (Debian's `/usr/bin/chromium`) driven over WebDriver by
//! fantoccini through `/usr/bin/chromedriver`, for the HQ web console's browser tests. Every
//! `Browser` has a fresh profile and driver; the JavaScript errors of every page it showed are
//! collected (chromedriver's browser log), and `close()` fails when there are any.
//!
//! Browser tests run when the driver is installed, and fail instead of skipping when
//! `BRANCHLINE_REQUIRE_BROWSER=1` (deploy/test.sh sets it): start each with
//! `if !browser_available() { return; }`.

use crate::browser_log;
use crate::chromedriver::{Chromedriver, CHROMEDRIVER};
use crate::process::TempDir;
use anyhow::{bail, Context};
use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where Debian's `chromium` package puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Chromium's flags: headless, no sandbox (tests run as root), and nothing that reaches out.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
];
/// How long `text`, `fill` and `click` wait for their element to appear.
const ELEMENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a page may take to load, and a script to run.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `login` waits to leave the login page.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10);
const LOGIN_POLL_PERIOD: Duration = Duration::from_millis(100);
/// How often `submit` looks whether the next page has replaced the old one.
const NAVIGATION_POLL_PERIOD: Duration = Duration::from_millis(25);
/// The tallest screenshot, in CSS pixels: a longer page is cut there.
const SCREENSHOT_HEIGHT_MAX: u64 = 8000;
/// The form controls `fill` sets by value instead of typing (typed keys depend on the locale).
const SET_BY_VALUE_TYPES: &[&str] = &[
    "date",
    "time",
    "datetime-local",
    "month",
    "week",
    "color",
    "range",
];

/// Whether browser tests can run here: true when `/usr/bin/chromedriver` exists; otherwise
/// prints a notice and returns false, so the caller skips.
///
/// # Panics
/// When `BRANCHLINE_REQUIRE_BROWSER=1` and the driver is missing.
/// Reads of an element the page replaced meanwhile before a read gives up.
const STALE_ATTEMPTS: u32 = 5;

/// Whether `error` says the element is no longer in the page (it reloaded or re-rendered).
fn is_stale(error: &fantoccini::error::CmdError) -> bool {
    error.is_stale_element_reference()
}

pub fn browser_available() -> bool {
    if Path::new(CHROMEDRIVER).is_file() {
        return true;
    }
    assert!(
        !std::env::var("BRANCHLINE_REQUIRE_BROWSER").is_ok_and(|value| value == "1"),
        "BRANCHLINE_REQUIRE_BROWSER=1 but {CHROMEDRIVER} is missing: install Debian's chromium \
         and chromium-driver packages (deploy/test.sh does, as root)"
    );
    eprintln!(
        "skipping a browser test: {CHROMEDRIVER} not found (install Debian's chromium-driver; \
         BRANCHLINE_REQUIRE_BROWSER=1 makes this a failure)"
    );
    false
}

/// One headless Chromium session.
pub struct Browser {
    client: Client,
    /// SEVERE browser-log entries read so far (chromedriver hands each out once).
    js_errors: Mutex<Vec<String>>,
    driver: Chromedriver,
    /// The profile and the driver's log; dropped last, after the processes are gone.
    dir: TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile.
    pub async fn start() -> anyhow::Result<Browser> {
        let dir = TempDir::new("browser")?;
        // Seen once in CI on a loaded machine: chromedriver exiting before it listened. A
        // second start, with its own log, is the retry a person would make.
        let driver = match Chromedriver::start(&dir.join("chromedriver.log")).await {
            Ok(driver) => driver,
            Err(first) => Chromedriver::start(&dir.join("chromedriver-retry.log"))
                .await
                .with_context(|| format!("after a first failed start: {first:#}"))?,
        };
        if !Path::new(CHROMIUM).is_file() {
            bail!("{CHROMIUM} not found: install Debian's chromium package");
        }
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(&dir.join("profile")))
            .connect(driver.url())
            .await
            .with_context(|| {
                format!(
                    "starting Chromium (chromedriver's log: {})",
                    driver.log().display()
                )
            })?;
        let timeouts = TimeoutConfiguration::new(Some(PAGE_TIMEOUT), Some(PAGE_TIMEOUT), None);
        client.update_timeouts(timeouts).await?;
        Ok(Browser {
            client,
            js_errors: Mutex::new(Vec::new()),
            driver,
            dir,
        })
    }

    /// The WebDriver client, for what this API lacks.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.client
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))?;
        self.collect_js_errors().await
    }

    /// Opens `CONSOLE_URL/login`, enters `name` and `password` (`#name`, `#password`), presses
    /// `#login` and waits until the browser has left the login page. A refused login stays
    /// there: an error quoting the page's `#login-error` (or, lacking one, its text).
    pub async fn login(&self, console_url: &str, name: &str, password: &str) -> anyhow::Result<()> {
        let console_url = console_url.trim_end_matches('/');
        self.goto(&format!("{console_url}/login")).await?;
        self.fill("#name", name).await?;
        self.fill("#password", password).await?;
        self.submit("#login").await?;
        let deadline = Instant::now() + LOGIN_TIMEOUT;
        while self.client.current_url().await?.path() == "/login" {
            let refusal = self.texts("#login-error").await?.concat();
            if !refusal.is_empty() {
                bail!("logging in as {name} was refused: {refusal}");
            }
            if Instant::now() > deadline {
                let page = self.text("body").await.unwrap_or_default();
                bail!("logging in as {name} stayed on the login page: {page:?}");
            }
            tokio::time::sleep(LOGIN_POLL_PERIOD).await;
        }
        Ok(())
    }

    /// The rendered text of the first element matching `css` (waiting for it to appear). A page
    /// that reloads itself (the board) can replace the element between finding and reading it:
    /// it is then found again.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        let mut attempt = 1;
        loop {
            let element = self.find(css).await?;
            match element.text().await {
                Err(error) if is_stale(&error) && attempt < STALE_ATTEMPTS => attempt += 1,
                read => return read.with_context(|| format!("reading the text of `{css}`")),
            }
        }
    }

    /// The rendered text of every element matching `css` (none is an empty list, at once); found
    /// again when the page replaced them meanwhile, as `text` does.
    pub async fn texts(&self, css: &str) -> anyhow::Result<Vec<String>> {
        let mut attempt = 1;
        'found: loop {
            let elements = self
                .client
                .find_all(Locator::Css(css))
                .await
                .with_context(|| format!("finding `{css}`"))?;
            let mut texts = Vec::with_capacity(elements.len());
            for element in elements {
                match element.text().await {
                    Ok(text) => texts.push(text),
                    Err(error) if is_stale(&error) && attempt < STALE_ATTEMPTS => {
                        attempt += 1;
                        continue 'found;
                    }
                    Err(error) => return Err(error).with_context(|| format!("reading the texts of `{css}`")),
                }
            }
            return Ok(texts);
        }
    }

    /// Enters `value` into the first form control matching `css`: replaces an input's or
    /// textarea's text by typing it, picks a `<select>`'s option of that value, and sets date,
    /// time, color and range inputs' value directly (firing `input` and `change`).
    pub async fn fill(&self, css: &str, value: &str) -> anyhow::Result<()> {
        let element = self.find(css).await?;
        let context = || format!("filling `{css}` with {value:?}");
        if element.tag_name().await?.eq_ignore_ascii_case("select") {
            return element.select_by_value(value).await.with_context(context);
        }
        let input_type = element.attr("type").await?.unwrap_or_default();
        if SET_BY_VALUE_TYPES.contains(&input_type.to_ascii_lowercase().as_str()) {
            let script = "const [element, value] = arguments; element.value = value; \
                for (const kind of ['input', 'change']) \
                element.dispatchEvent(new Event(kind, { bubbles: true }));";
            let args = vec![serde_json::to_value(&element)?, json!(value)];
            self.client.execute(script, args).await.with_context(context)?;
            return Ok(());
        }
        element.clear().await.with_context(context)?;
        element.send_keys(value).await.with_context(context)
    }

    /// Clicks the first element matching `css` (waiting for it to appear) that keeps the
    /// page: a `<details>` summary, a checkbox, a script's button. For a click that leaves the
    /// page use `submit`.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.press(css).await?;
        self.collect_js_errors().await
    }

    /// Clicks the first element matching `css`, waiting for it to appear; reads no log.
    async fn press(&self, css: &str) -> anyhow::Result<()> {
        let element = self.find(css).await?;
        element.click().await.with_context(|| format!("clicking `{css}`"))
    }

    /// Clicks the first element matching `css` that submits a form or follows a link, and
    /// returns once the next page has replaced this one and loaded: the old document's root
    /// has gone stale and the new one is `complete`, so nothing read afterwards comes from
    /// the page that was left.
    pub async fn submit(&self, css: &str) -> anyhow::Result<()> {
        let old_root = self.client.find(Locator::Css("html")).await?;
        // The log is read once the next page is shown: its own HTTP status (a refusal's 403)
        // may be logged before the browser's URL changes, and is not an error.
        self.press(css).await?;
        let deadline = Instant::now() + PAGE_TIMEOUT;
        loop {
            let left = old_root.tag_name().await.is_err();
            if left && self.ready_state().await? == "complete" {
                return self.collect_js_errors().await;
            }
            if Instant::now() > deadline {
                let url = self.client.current_url().await?;
                bail!("clicking `{css}` did not lead to a loaded page (still on {url})");
            }
            tokio::time::sleep(NAVIGATION_POLL_PERIOD).await;
        }
    }

    async fn ready_state(&self) -> anyhow::Result<String> {
        let state = self
            .client
            .execute("return document.readyState;", Vec::new())
            .await?;
        Ok(state.as_str().unwrap_or_default().to_owned())
    }

    /// Saves the whole page (up to `SCREENSHOT_HEIGHT_MAX` pixels tall) as
    /// `target/console-screenshots/NAME.png` and returns the path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            bail!("screenshot name {name:?}: give a plain file name without extension");
        }
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        let png = self.full_page_png().await?;
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// The SEVERE entries of the browser's console of every page shown so far, oldest first, as
    /// "SOURCE: MESSAGE": uncaught errors, `console.error`, refused scripts and styles (CSP),
    /// failed loads of scripts, styles, images and requests. Not errors: the shown page's own
    /// HTTP status and a missing `/favicon.ico` (see `browser_log`).
    pub async fn js_errors(&self) -> anyhow::Result<Vec<String>> {
        self.collect_js_errors().await?;
        Ok(self
            .js_errors
            .lock()
            .expect("the JS error list is never poisoned")
            .clone())
    }

    /// Moves the browser log's new errors into `js_errors`. Called after every page change, so
    /// that the page's own HTTP status (a console refusal is a 403 page) is told apart from a
    /// failed load of anything on it.
    async fn collect_js_errors(&self) -> anyhow::Result<()> {
        let page_url = self.client.current_url().await?;
        let fresh = browser_log::read_errors(&self.client, &page_url).await?;
        self.js_errors
            .lock()
            .expect("the JS error list is never poisoned")
            .extend(fresh);
        Ok(())
    }

    /// Ends the session and stops the browser; fails when any page logged a JavaScript error.
    pub async fn close(self) -> anyhow::Result<()> {
        let js_errors = self.js_errors().await?;
        let Browser {
            client, driver, dir, ..
        } = self;
        client.close().await.context("ending the browser session")?;
        drop(driver);
        drop(dir);
        if !js_errors.is_empty() {
            bail!(
                "the browser logged {} JavaScript error(s):\n{}",
                js_errors.len(),
                js_errors.join("\n")
            );
        }
        Ok(())
    }

    async fn find(&self, css: &str) -> anyhow::Result<Element> {
        match self
            .client
            .wait()
            .at_most(ELEMENT_TIMEOUT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => Ok(element),
            Err(error) => {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(String::from)
                    .unwrap_or_default();
                Err(error).with_context(|| format!("no element matches `{css}` on {url}"))
            }
        }
    }

    /// Takes the screenshot with the window as tall as the page, then restores the window.
    async fn full_page_png(&self) -> anyhow::Result<Vec<u8>> {
        let heights = self
            .client
            .execute(
                "return [document.documentElement.scrollHeight, window.innerHeight];",
                Vec::new(),
            )
            .await?;
        let page_height = heights[0].as_u64().unwrap_or(0);
        let inner_height = heights[1].as_u64().unwrap_or(0);
        if page_height <= inner_height {
            return Ok(self.client.screenshot().await?);
        }
        let (width, height) = self.client.get_window_size().await?;
        let tall = (height + page_height - inner_height).min(SCREENSHOT_HEIGHT_MAX);
        self.client
            .set_window_size(u32::try_from(width)?, u32::try_from(tall)?)
            .await?;
        let png = self.client.screenshot().await;
        self.client
            .set_window_size(u32::try_from(width)?, u32::try_from(height)?)
            .await?;
        Ok(png?)
    }
}

/// The session's capabilities: Debian's Chromium, headless, a fresh profile in `profile`, and
/// every browser-log level kept for `js_errors`.
fn capabilities(profile: &Path) -> Capabilities {
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|&arg| arg.to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    match capabilities {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// `target/console-screenshots` of the workspace (or of `CARGO_TARGET_DIR`).
pub fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace root");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("console-screenshots")
}
