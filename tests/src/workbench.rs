//! Test harness: `branch-node --ledger FILE serve` (by default `--listen 127.0.0.1:0`) as a child process, its
//! address read from its `workbench on http://HOST:PORT` line; killed on drop.

use crate::process::{command, send_signal};
use anyhow::{bail, Context};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

/// A running workbench.
pub struct Workbench {
    /// "http://127.0.0.1:PORT"
    pub url: String,
    child: Child,
}

impl Workbench {
    /// Starts the workbench of `ledger` on a free loopback port.
    pub fn start(ledger: &Path) -> anyhow::Result<Workbench> {
        Workbench::start_with(ledger, &["--listen", "127.0.0.1:0"])
    }

    /// `branch-node --ledger LEDGER serve ARGS...`, e.g. `--listen 0.0.0.0:0 --allow-network`.
    pub fn start_with(ledger: &Path, args: &[&str]) -> anyhow::Result<Workbench> {
        let mut child = command("branch-node", ["--ledger".as_ref(), ledger.as_os_str()])
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting branch-node serve")?;
        let stdout = child.stdout.take().context("branch-node serve's stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(url) = line.trim().strip_prefix("workbench on ") else {
            let _ = child.kill();
            let output = child.wait_with_output()?;
            bail!(
                "branch-node serve printed {line:?}; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        Ok(Workbench {
            url: url.to_owned(),
            child,
        })
    }

    /// SIGTERM, then its exit status once it has stopped.
    pub fn terminate(mut self) -> anyhow::Result<std::process::ExitStatus> {
        send_signal(&self.child, rustix::process::Signal::TERM);
        Ok(self.child.wait()?)
    }
}

impl Drop for Workbench {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
