//! Test harness: the browser console's errors, read from chromedriver's browser log (the legacy
//! `POST /session/ID/se/log`; W3C WebDriver has no log endpoint), which hands each entry out once.
//!
//! An error is a SEVERE entry, except two that Chromium logs on its own and a page cannot help:
//! the HTTP error status of the page shown itself (the console answers a refusal with a 403 page,
//! a failed login with a 401 one; a test reads the page) and a missing `/favicon.ico`, which
//! Chromium asks every site for.

use anyhow::Context;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::Client;
use serde_json::{json, Value};

/// The SEVERE entries logged since the last read, as "SOURCE: MESSAGE", but for those two.
/// `page_url` is the page shown now, whose own status is not an error.
pub async fn read_errors(client: &Client, page_url: &url::Url) -> anyhow::Result<Vec<String>> {
    let entries = client
        .issue_cmd(BrowserLog)
        .await
        .context("reading the browser's console log")?;
    let Some(entries) = entries.as_array() else {
        anyhow::bail!("the browser log is not a list: {entries}");
    };
    let mut page_url = page_url.clone();
    page_url.set_fragment(None);
    Ok(entries
        .iter()
        .filter(|entry| is_error(entry, page_url.as_str()))
        .map(|entry| {
            let source = entry["source"].as_str().unwrap_or("?");
            let message = entry["message"].as_str().unwrap_or("");
            format!("{source}: {message}")
        })
        .collect())
}

/// Whether a browser-log entry is an error of the page at `page_url`.
fn is_error(entry: &Value, page_url: &str) -> bool {
    if entry["level"] != "SEVERE" {
        return false;
    }
    if entry["source"] != "network" {
        return true;
    }
    // "URL - Failed to load resource: the server responded with a status of 404 (Not Found)"
    let message = entry["message"].as_str().unwrap_or("");
    let resource = message.split(" - ").next().unwrap_or("");
    let favicon = url::Url::parse(resource).is_ok_and(|url| url.path() == "/favicon.ico");
    !favicon && resource != page_url
}

/// chromedriver's `POST /session/ID/se/log {"type": "browser"}`.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (hyper::Method, Option<String>) {
        let body = json!({ "type": "browser" });
        (hyper::Method::POST, Some(body.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::is_error;
    use serde_json::json;

    const PAGE: &str = "http://127.0.0.1:9/login";

    fn entry(level: &str, source: &str, message: &str) -> serde_json::Value {
        json!({ "level": level, "source": source, "message": message, "timestamp": 1 })
    }

    #[test]
    fn severe_entries_are_errors_but_the_page_status_and_the_favicon() {
        let thrown = entry(
            "SEVERE",
            "javascript",
            "http://127.0.0.1:9/ 0:14 Uncaught Error: x",
        );
        assert!(is_error(&thrown, PAGE));
        assert!(is_error(&entry("SEVERE", "console-api", "\"logged\""), PAGE));
        assert!(!is_error(&entry("WARNING", "javascript", "deprecated"), PAGE));
        let failed = " - Failed to load resource: the server responded with a status of 404";
        let script = format!("http://127.0.0.1:9/assets/console.js{failed}");
        assert!(is_error(&entry("SEVERE", "network", &script), PAGE));
        let page = format!("{PAGE}{failed}");
        assert!(!is_error(&entry("SEVERE", "network", &page), PAGE));
        let favicon = format!("http://127.0.0.1:9/favicon.ico{failed}");
        assert!(!is_error(&entry("SEVERE", "network", &favicon), PAGE));
    }
}
