//! Test harness: Debian's chromedriver as a child process on an ephemeral loopback port, in a
//! process group of its own, so that dropping it kills the Chromium it started along with it.

use anyhow::{bail, Context};
use rustix::process::{kill_process_group, Pid, Signal};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where Debian's `chromium-driver` package puts the driver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long chromedriver may take to bind its port and answer `/status` as ready.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the start is checked on meanwhile.
const POLL_PERIOD: Duration = Duration::from_millis(50);
/// What chromedriver prints once it listens; `--port=0` lets it pick the port, and this line
/// names the one it bound (so no port is picked here and raced for).
const STARTED_LINE: &str = "ChromeDriver was started successfully on port ";
/// The most bytes of a `/status` answer that are read.
const STATUS_BYTES_MAX: usize = 64 << 10;
/// How long one `/status` read may wait.
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);

/// A running chromedriver; killed, with every process it started, on drop.
pub struct Chromedriver {
    child: Child,
    /// "http://127.0.0.1:PORT"
    url: String,
    log: PathBuf,
}

impl Chromedriver {
    /// Starts `/usr/bin/chromedriver --port=0` with its output in `log` and waits until it
    /// answers `/status` as ready. A missing driver is a one-line error saying what to install.
    pub async fn start(log: &Path) -> anyhow::Result<Chromedriver> {
        if !Path::new(CHROMEDRIVER).is_file() {
            bail!(
                "{CHROMEDRIVER} not found: install Debian's chromium and chromium-driver packages \
                 (deploy/test.sh does, as root)"
            );
        }
        let log_file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            // Chromium inherits the group: killing the group on drop ends the browser too.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {CHROMEDRIVER}"))?;
        let mut driver = Chromedriver {
            child,
            url: String::new(),
            log: log.to_owned(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let port = driver.bound_port(deadline).await?;
        driver.url = format!("http://127.0.0.1:{port}");
        driver.wait_until_ready(port, deadline).await?;
        Ok(driver)
    }

    /// "http://127.0.0.1:PORT", the WebDriver endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The file holding chromedriver's output.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The port of chromedriver's `started successfully on port N` line.
    async fn bound_port(&mut self, deadline: Instant) -> anyhow::Result<u16> {
        loop {
            let output = std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(rest) = output.split(STARTED_LINE).nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                return digits
                    .parse()
                    .with_context(|| format!("chromedriver's port in {}", self.log.display()));
            }
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "chromedriver exited ({status}) before it listened; its output is in {}",
                    self.log.display()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "chromedriver did not listen within {START_TIMEOUT:?}; its output is in {}",
                    self.log.display()
                );
            }
            tokio::time::sleep(POLL_PERIOD).await;
        }
    }

    async fn wait_until_ready(&self, port: u16, deadline: Instant) -> anyhow::Result<()> {
        loop {
            match status_ready(port).await {
                Ok(true) => return Ok(()),
                Ok(false) | Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(POLL_PERIOD).await;
                }
                Ok(false) => bail!("chromedriver on port {port} never reported ready"),
                Err(error) => return Err(error.context(format!("asking chromedriver on port {port}"))),
            }
        }
    }
}

/// Whether chromedriver's `GET /status` answers `"ready": true`. Plain HTTP/1.1 on loopback:
/// chromedriver answers HTTP/1.0 with nothing and keeps the connection open after its answer,
/// so the body is read by its `Content-Length`.
async fn status_ready(port: u16) -> anyhow::Result<bool> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream
        .write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let body = loop {
        if let Some(body) = complete_body(&answer)? {
            break body;
        }
        let n_read = tokio::time::timeout(STATUS_TIMEOUT, stream.read(&mut buffer))
            .await
            .context("chromedriver's /status answer timed out")??;
        if n_read == 0 || answer.len() > STATUS_BYTES_MAX {
            bail!("chromedriver's /status answer was cut or too long");
        }
        answer.extend_from_slice(&buffer[..n_read]);
    };
    let status: serde_json::Value = serde_json::from_slice(body).context("a /status body")?;
    Ok(status["value"]["ready"] == serde_json::Value::Bool(true))
}

/// The body of `answer` once its head and `Content-Length` bytes of body are in.
fn complete_body(answer: &[u8]) -> anyhow::Result<Option<&[u8]>> {
    let Some(head_end) = answer.windows(4).position(|window| window == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .context("a /status answer without Content-Length")?
        .trim()
        .parse()
        .context("a /status answer's Content-Length")?;
    let body = &answer[head_end + 4..];
    Ok((body.len() >= length).then(|| &body[..length]))
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // Chromium and its helpers are in chromedriver's group (it started them): SIGKILL all.
        let _ = kill_process_group(Pid::from_child(&self.child), Signal::KILL);
        let _ = self.child.wait();
    }
}
