//! Test harness: locating the workspace's built binaries, running and signalling them as child
//! processes, and temp dirs that survive the test when `BRANCHLINE_KEEP_TMP=1`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use anyhow::Context;
use rustix::process::{kill_process, Pid, Signal};

/// The path of the built binary `name` (e.g. `"branch-node"`), found in `target/<profile>/` by
/// walking up from the running test executable. Builds nothing.
///
/// # Panics
/// If the binary is absent: run `cargo build --workspace --bins` first.
pub fn binary(name: &str) -> PathBuf {
    find_binary(name).unwrap_or_else(|| {
        panic!(
            "binary {name:?} not found next to {} (searched its ancestors up to target/); \
             run `cargo build --workspace --bins` first (with --release for release tests)",
            std::env::current_exe()
                .map(|exe| exe.display().to_string())
                .unwrap_or_default()
        )
    })
}

/// Like `binary`, but `None` when the binary has not been built.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    for dir in exe.ancestors().skip(1) {
        let candidate = dir.join(&file);
        if candidate.is_file() {
            return Some(candidate);
        }
        // Test executables live in target/<profile>/deps; the bins in target/<profile>.
        if dir.file_name() == Some(OsStr::new("target")) {
            break;
        }
    }
    None
}

/// What a finished child process left behind.
#[derive(Debug)]
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Whether the process exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The last non-empty stdout line, trimmed (e.g. the number `branch-node doc add` prints).
    pub fn last_line(&self) -> &str {
        self.stdout
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
    }

    /// Panics with both streams unless the process succeeded; returns self for chaining.
    #[track_caller]
    pub fn expect_ok(self) -> Run {
        assert!(
            self.success(),
            "expected success, got {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics with both streams unless the process failed; returns self for chaining.
    #[track_caller]
    pub fn expect_err(self) -> Run {
        assert!(
            !self.success(),
            "expected failure, got success\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Sends `signal` to the child; one that has already exited is not an error.
pub fn send_signal(child: &Child, signal: Signal) {
    let _ = kill_process(Pid::from_child(child), signal);
}

/// A `Command` for the built binary `name`, stdin closed.
pub fn command<I, S>(name: &str, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(binary(name));
    command.args(args).stdin(Stdio::null());
    command
}

/// Runs the built binary `name` with `args` to completion and captures its output.
pub fn run<I, S>(name: &str, args: I) -> anyhow::Result<Run>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = command(name, args)
        .output()
        .with_context(|| format!("running {name}"))?;
    Ok(output.into())
}

/// Runs `command` to completion and captures its output.
pub fn run_command(command: &mut Command) -> anyhow::Result<Run> {
    let output = command.output().with_context(|| format!("running {command:?}"))?;
    Ok(output.into())
}

/// Starts the built binary `name` with piped stdout/stderr and returns the child.
pub fn spawn<I, S>(name: &str, args: I) -> anyhow::Result<Child>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    command(name, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {name}"))
}

/// A temp dir removed on drop unless `BRANCHLINE_KEEP_TMP=1` (then its path is printed and kept).
pub struct TempDir {
    inner: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl TempDir {
    /// A new temp dir whose name starts with `branchline-<label>-`.
    pub fn new(label: &str) -> anyhow::Result<TempDir> {
        let inner = tempfile::Builder::new()
            .prefix(&format!("branchline-{label}-"))
            .tempdir()
            .context("creating a temp dir")?;
        let path = inner.path().to_path_buf();
        if keep_tmp() {
            eprintln!("BRANCHLINE_KEEP_TMP: keeping {}", path.display());
        }
        Ok(TempDir {
            inner: Some(inner),
            path,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            if keep_tmp() {
                let _ = inner.keep();
            }
        }
    }
}

/// Whether `BRANCHLINE_KEEP_TMP=1` is set.
pub fn keep_tmp() -> bool {
    std::env::var("BRANCHLINE_KEEP_TMP").is_ok_and(|v| v == "1")
}
