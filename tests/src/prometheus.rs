//! Test harness: a real Prometheus server (Debian's `prometheus` package) scraping HQ's and the
//! agents' `/metrics`, and its `promtool` checking the shipped alert rules. Tests that need it
//! start with `if !prometheus_available() { return Ok(()); }`; they fail instead of skipping
//! when `BRANCHLINE_REQUIRE_PROMETHEUS=1` (deploy/test.sh sets it).

use crate::console_http::ConsoleHttp;
use crate::process::TempDir;
use anyhow::{bail, Context};
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's `prometheus` package puts the server and its rule checker.
pub const PROMETHEUS: &str = "/usr/bin/prometheus";
pub const PROMTOOL: &str = "/usr/bin/promtool";
/// How long Prometheus may take to start, and a target to be scraped.
const WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(200);

/// Whether Prometheus tests can run here: true when `/usr/bin/prometheus` exists; otherwise
/// prints a notice and returns false, so the caller skips.
///
/// # Panics
/// When `BRANCHLINE_REQUIRE_PROMETHEUS=1` and Prometheus is missing.
pub fn prometheus_available() -> bool {
    if Path::new(PROMETHEUS).is_file() && Path::new(PROMTOOL).is_file() {
        return true;
    }
    assert!(
        !std::env::var("BRANCHLINE_REQUIRE_PROMETHEUS").is_ok_and(|value| value == "1"),
        "BRANCHLINE_REQUIRE_PROMETHEUS=1 but {PROMETHEUS} or {PROMTOOL} is missing: install \
         Debian's prometheus package (deploy/test.sh does, as root)"
    );
    eprintln!("skipping a Prometheus test: {PROMETHEUS} not found (install Debian's prometheus)");
    false
}

/// One target Prometheus scrapes: its job name and `HOST:PORT` (the path is `/metrics`).
pub struct Target<'a> {
    pub job: &'a str,
    pub address: &'a str,
}

/// A Prometheus server scraping every second; killed on drop.
pub struct Prometheus {
    child: Child,
    url: String,
    _dir: TempDir,
}

impl Prometheus {
    /// Starts Prometheus on a free loopback port scraping `targets` and evaluating the rules of
    /// `rules` every second, and waits until it is ready.
    pub async fn start(targets: &[Target<'_>], rules: &Path) -> anyhow::Result<Prometheus> {
        let dir = TempDir::new("prometheus")?;
        let mut config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {:?}\nscrape_configs:\n",
            rules.display().to_string()
        );
        for target in targets {
            config.push_str(&format!(
                "  - job_name: {}\n    static_configs:\n      - targets: ['{}']\n",
                target.job, target.address
            ));
        }
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).context("writing prometheus.yml")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = std::fs::File::create(dir.join("prometheus.log"))?;
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {PROMETHEUS}"))?;
        let prometheus = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = ConsoleHttp::new(&prometheus.url).get("/-/ready").await;
            if ready.is_ok_and(|answer| answer.status.is_success()) {
                return Ok(prometheus);
            }
            if Instant::now() > deadline {
                bail!("Prometheus did not get ready on {}", prometheus.url);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until Prometheus has scraped every target successfully: each `up`, no error.
    pub async fn wait_until_scraped(&self) -> anyhow::Result<Vec<Value>> {
        let deadline = Instant::now() + WAIT;
        loop {
            let targets = self.api("/api/v1/targets").await?["activeTargets"].clone();
            let targets = targets.as_array().cloned().unwrap_or_default();
            let scraped = |target: &Value| {
                target["health"] == "up" && target["lastError"].as_str().unwrap_or_default().is_empty()
            };
            if !targets.is_empty() && targets.iter().all(scraped) {
                return Ok(targets);
            }
            if Instant::now() > deadline {
                bail!("Prometheus did not scrape every target: {targets:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Every loaded rule (alerting and recording) with its group: `{name, health, lastError, ...}`.
    pub async fn rules(&self) -> anyhow::Result<Vec<Value>> {
        let groups = self.api("/api/v1/rules").await?["groups"].clone();
        let rules = groups
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|group| group["rules"].as_array().cloned().unwrap_or_default())
            .collect();
        Ok(rules)
    }

    /// The series of the instant query `promql`: each `{metric, value: [time, "value"]}`.
    pub async fn query(&self, promql: &str) -> anyhow::Result<Vec<Value>> {
        let path = format!("/api/v1/query?query={}", crate::console_http::encode(promql));
        let data = self.api(&path).await?;
        Ok(data["result"].as_array().cloned().unwrap_or_default())
    }

    /// Waits until `promql` gives a series whose value passes `wanted`, and returns the value.
    pub async fn wait_for_value(&self, promql: &str, wanted: impl Fn(f64) -> bool) -> anyhow::Result<f64> {
        let deadline = Instant::now() + WAIT;
        loop {
            let values: Vec<f64> = self
                .query(promql)
                .await?
                .iter()
                .filter_map(|series| series["value"][1].as_str()?.parse().ok())
                .collect();
            if let Some(value) = values.into_iter().find(|value| wanted(*value)) {
                return Ok(value);
            }
            if Instant::now() > deadline {
                bail!("Prometheus never gave the wanted value for {promql}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn api(&self, path: &str) -> anyhow::Result<Value> {
        let answer = ConsoleHttp::new(&self.url).get(path).await?;
        let body: Value = serde_json::from_str(&answer.body)
            .with_context(|| format!("Prometheus {path}: {}", answer.body))?;
        if body["status"] != "success" {
            bail!("Prometheus {path}: {}", answer.body);
        }
        Ok(body["data"].clone())
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `promtool check rules FILE`: its output, or an error with it when the rules are refused.
pub fn check_rules(path: &Path) -> anyhow::Result<String> {
    let output = Command::new(PROMTOOL)
        .args(["check", "rules"])
        .arg(path)
        .output()
        .with_context(|| format!("running {PROMTOOL}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        bail!("promtool refused {}: {text}", path.display());
    }
    Ok(text)
}
