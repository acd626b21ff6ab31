//! Harness for the transfer agent: its config file, the real `transfer-agent` binary run once,
//! run scheduled (stopped by SIGTERM) or SIGKILLed, and the totals compared at both ends.

use crate::ledger::{branch_node, confirmed_totals, seed_ledger, write_documents_jsonl, JsonlSummary};
use crate::process::{command, run_command, send_signal, Run};
use anyhow::{Context, Result};
use rust_decimal::Decimal;
use rustix::process::Signal;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// One `[[task]]` of an agent config.
#[derive(Debug, Clone)]
pub struct TaskSpec {
    pub name: String,
    pub direction: String,
    pub every: String,
    pub window: Option<String>,
}

impl TaskSpec {
    pub fn every(name: &str, direction: &str, every: &str) -> TaskSpec {
        TaskSpec {
            name: name.to_owned(),
            direction: direction.to_owned(),
            every: every.to_owned(),
            window: None,
        }
    }

    pub fn with_window(mut self, window: &str) -> TaskSpec {
        self.window = Some(window.to_owned());
        self
    }
}

/// An agent config file (README) with the given tasks and `[limits]` lines.
pub struct AgentConfig {
    pub ledger: PathBuf,
    pub hq_url: String,
    pub token: String,
    pub inbox_dir: Option<PathBuf>,
    pub tasks: Vec<TaskSpec>,
    /// Raw `key = value` lines for the `[limits]` table.
    pub limits: Vec<String>,
    /// `metrics_listen`: where `run` serves `/metrics`.
    pub metrics_listen: Option<String>,
}

impl AgentConfig {
    pub fn new(ledger: &Path, hq_url: &str, token: &str) -> AgentConfig {
        AgentConfig {
            ledger: ledger.to_owned(),
            hq_url: hq_url.to_owned(),
            token: token.to_owned(),
            inbox_dir: None,
            tasks: Vec::new(),
            limits: Vec::new(),
            metrics_listen: None,
        }
    }

    pub fn to_toml(&self) -> String {
        let quote = |text: &str| format!("{text:?}");
        let mut toml = format!(
            "ledger = {}\nhq = {}\ntoken = {}\n",
            quote(&self.ledger.display().to_string()),
            quote(&self.hq_url),
            quote(&self.token)
        );
        if let Some(dir) = &self.inbox_dir {
            toml.push_str(&format!("inbox_dir = {}\n", quote(&dir.display().to_string())));
        }
        if let Some(listen) = &self.metrics_listen {
            toml.push_str(&format!("metrics_listen = {}\n", quote(listen)));
        }
        if !self.limits.is_empty() {
            toml.push_str("\n[limits]\n");
            for line in &self.limits {
                toml.push_str(line);
                toml.push('\n');
            }
        }
        for task in &self.tasks {
            toml.push_str(&format!(
                "\n[[task]]\nname = {}\ndirection = {}\nevery = {}\n",
                quote(&task.name),
                quote(&task.direction),
                quote(&task.every)
            ));
            if let Some(window) = &task.window {
                toml.push_str(&format!("window = {}\n", quote(window)));
            }
        }
        toml
    }

    /// Writes the config to `path` and returns `path`; creates `inbox_dir`, as an operator
    /// must (the agent refuses a missing one).
    pub fn write(&self, path: &Path) -> Result<PathBuf> {
        if let Some(dir) = &self.inbox_dir {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, self.to_toml()).with_context(|| format!("writing {}", path.display()))?;
        Ok(path.to_owned())
    }
}

/// Runs `transfer-agent --config CONFIG <args>` to completion.
pub fn agent(config: &Path, args: &[&str]) -> Result<Run> {
    let mut command = command("transfer-agent", ["--config".as_ref(), config.as_os_str()]);
    command.args(args).env("RUST_LOG", "warn");
    run_command(&mut command)
}

/// Runs `transfer-agent --ledger L --hq URL --token T <args>` to completion.
pub fn agent_with(ledger: &Path, hq_url: &str, token: &str, args: &[&str]) -> Result<Run> {
    let mut command = command(
        "transfer-agent",
        [
            "--ledger".as_ref(),
            ledger.as_os_str(),
            "--hq".as_ref(),
            hq_url.as_ref(),
            "--token".as_ref(),
            token.as_ref(),
        ],
    );
    command.args(args).env("RUST_LOG", "warn");
    run_command(&mut command)
}

/// Starts `transfer-agent --config CONFIG <args>` as a child, output discarded unless `log` is given.
pub fn spawn_agent(config: &Path, args: &[&str], log: Option<&Path>) -> Result<Child> {
    let mut command = command("transfer-agent", ["--config".as_ref(), config.as_os_str()]);
    command.args(args).env("RUST_LOG", "info").stdout(Stdio::null());
    match log {
        Some(path) => {
            let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            command.stderr(file);
        }
        None => {
            command.stderr(Stdio::null());
        }
    }
    command.spawn().context("starting transfer-agent")
}

/// `transfer-agent --config CONFIG run` with `metrics_listen` in its config: the child and its
/// `/metrics` URL, read from the `metrics on URL` line it prints first. Its log goes to `log`.
pub fn spawn_agent_with_metrics(config: &Path, log: &Path) -> Result<(Child, String)> {
    let mut command = command("transfer-agent", ["--config".as_ref(), config.as_os_str()]);
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    command
        .arg("run")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(log);
    let mut child = command.spawn().context("starting transfer-agent")?;
    let stdout = child.stdout.take().context("transfer-agent stdout")?;
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)?;
    match line.trim().strip_prefix("metrics on ") {
        Some(url) => Ok((child, url.to_owned())),
        None => {
            let _ = kill_now(&mut child);
            anyhow::bail!("transfer-agent run printed {line:?}, not `metrics on URL`")
        }
    }
}

/// SIGKILLs the child and reaps it. Returns whether it was still running (a real kill).
pub fn kill_now(child: &mut Child) -> Result<bool> {
    let running = child.try_wait()?.is_none();
    send_signal(child, Signal::KILL);
    child.wait()?;
    Ok(running)
}

/// SIGTERMs the child and waits up to `limit` for it to exit; returns its exit status.
pub fn terminate(child: &mut Child, limit: Duration) -> Result<std::process::ExitStatus> {
    send_signal(child, Signal::TERM);
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if std::time::Instant::now() > deadline {
            kill_now(child)?;
            anyhow::bail!("transfer-agent did not stop within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `transfer-agent status --format json`, parsed.
pub fn agent_status(ledger: &Path) -> Result<serde_json::Value> {
    let mut command = command("transfer-agent", ["--ledger".as_ref(), ledger.as_os_str()]);
    command.args(["status", "--format", "json"]);
    let run = run_command(&mut command)?.expect_ok();
    serde_json::from_str(run.last_line()).context("parsing agent status json")
}

/// The ledger's acknowledged seq and backlog, read through the library.
pub fn ledger_positions(ledger: &Path) -> Result<branch_node::LedgerStatus> {
    Ok(branch_node::Ledger::open(ledger)?.status()?)
}

/// Count, lines, quantity, amount and tax of what HQ's store holds for `branch` (SQLite keeps
/// scaled integers: qty ×10⁴, money in cents; PostgreSQL keeps NUMERIC, read as text).
pub async fn hq_totals(db_url: &str, branch: &str) -> Result<JsonlSummary> {
    use hq_server::store::db::url::{parse_db_url, DbLocation};
    let totals = match parse_db_url(db_url)? {
        DbLocation::Postgres => hq_totals_postgres(db_url, branch).await?,
        DbLocation::SqliteFile(path) => {
            let db = rusqlite::Connection::open(&path).context("opening the HQ store")?;
            let (documents, amount, tax): (i64, i64, i64) = db.query_row(
                "SELECT count(*), COALESCE(sum(d.amount), 0), COALESCE(sum(d.tax), 0)
                 FROM document d JOIN branch b ON b.id = d.branch_id WHERE b.code = ?1",
                [branch],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
            let (lines, qty): (i64, i64) = db.query_row(
                "SELECT count(*), COALESCE(sum(l.qty), 0)
                 FROM document_line l JOIN branch b ON b.id = l.branch_id WHERE b.code = ?1",
                [branch],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            JsonlSummary {
                documents: documents as u64,
                lines: lines as u64,
                qty: Decimal::new(qty, 4),
                amount: Decimal::new(amount, 2),
                tax: Decimal::new(tax, 2),
            }
        }
    };
    Ok(normalized(totals))
}

async fn hq_totals_postgres(db_url: &str, branch: &str) -> Result<JsonlSummary> {
    use sqlx::Connection;
    let mut db = sqlx::PgConnection::connect(db_url)
        .await
        .context("opening the HQ store")?;
    let (documents, amount, tax): (i64, String, String) = sqlx::query_as(
        "SELECT count(*)::BIGINT, COALESCE(sum(d.amount), 0)::TEXT, COALESCE(sum(d.tax), 0)::TEXT
         FROM document d JOIN branch b ON b.id = d.branch_id WHERE b.code = $1",
    )
    .bind(branch)
    .fetch_one(&mut db)
    .await?;
    let (lines, qty): (i64, String) = sqlx::query_as(
        "SELECT count(*)::BIGINT, COALESCE(sum(l.qty), 0)::TEXT
         FROM document_line l JOIN branch b ON b.id = l.branch_id WHERE b.code = $1",
    )
    .bind(branch)
    .fetch_one(&mut db)
    .await?;
    db.close().await?;
    let decimal = |text: String| -> Result<Decimal> { text.parse().context("NUMERIC from HQ") };
    Ok(JsonlSummary {
        documents: documents as u64,
        lines: lines as u64,
        qty: decimal(qty)?,
        amount: decimal(amount)?,
        tax: decimal(tax)?,
    })
}

/// The ledger's confirmed-document totals, normalized for comparison with `hq_totals`.
pub fn ledger_totals(ledger: &Path) -> Result<JsonlSummary> {
    Ok(normalized(confirmed_totals(&branch_node::Ledger::open(ledger)?)?))
}

pub fn normalized(mut totals: JsonlSummary) -> JsonlSummary {
    totals.qty = totals.qty.normalize();
    totals.amount = totals.amount.normalize();
    totals.tax = totals.tax.normalize();
    totals
}

/// Polls `check` every 50 ms until it returns `Some`, up to `limit` (a generous bound for a slow
/// machine, never an assertion on speed).
pub fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(value) = check()? {
            return Ok(value);
        }
        if std::time::Instant::now() > deadline {
            anyhow::bail!("timed out after {limit:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Registers `branch` at HQ under org `001.<org_suffix>` (creating `001` if needed), creates a
/// seeded ledger for it in `dir` and imports `n_docs` generated documents (1 line each after the
/// opening). Returns the ledger path and the branch token.
pub async fn prepare_branch(
    hq_url: &str,
    dir: &Path,
    branch: &str,
    org_suffix: &str,
    n_docs: usize,
    seed: u64,
) -> Result<(PathBuf, String)> {
    // The group may exist already when several branches share one HQ.
    let _ = crate::hq::add_org(hq_url, "001", "group").await;
    let org = format!("001.{org_suffix}");
    crate::hq::add_org(hq_url, &org, &format!("org of {branch}")).await?;
    let token = crate::hq::add_branch(hq_url, branch, &org).await?;
    let ledger = dir.join(format!("{}.db", branch.to_lowercase()));
    drop(seed_ledger(&ledger, branch)?);
    if n_docs > 0 {
        import_documents(&ledger, dir, branch, n_docs, seed)?;
    }
    Ok((ledger, token))
}

/// Generates `n_docs` documents (1 line each) and imports them with `branch-node doc import`.
pub fn import_documents(
    ledger: &Path,
    dir: &Path,
    branch: &str,
    n_docs: usize,
    seed: u64,
) -> Result<JsonlSummary> {
    let jsonl = dir.join(format!("{}-{seed}.jsonl", branch.to_lowercase()));
    let summary = write_documents_jsonl(&jsonl, branch, n_docs, 1, seed)?;
    branch_node(ledger, &["doc", "import", &jsonl.display().to_string()])?.expect_ok();
    Ok(summary)
}

/// `hq-server serve` as a child that can be killed and brought back on the same address (where
/// the agent expects it after an outage). It starts on an ephemeral port and reports the address
/// it bound (`listening on ADDR`), so no port is picked before the server holds it. Killed on drop.
pub struct FixedHq {
    child: Child,
    db_url: String,
    address: String,
    log: PathBuf,
}

impl FixedHq {
    /// Starts HQ over `db_url` on 127.0.0.1:0, appending its log to `log`.
    pub fn start(db_url: &str, log: &Path) -> Result<FixedHq> {
        let (child, address) = spawn_serve(db_url, "127.0.0.1:0", log)?;
        Ok(FixedHq {
            child,
            db_url: db_url.to_owned(),
            address,
            log: log.to_owned(),
        })
    }

    /// "http://127.0.0.1:PORT"
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills HQ if it runs and starts it again on the address it had. The port is free from the
    /// kill to the restart, so another process could take it meanwhile: the restart then fails
    /// naming the address, never serving elsewhere.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let (child, address) = spawn_serve(&self.db_url, &self.address, &self.log)?;
        self.child = child;
        self.address = address;
        Ok(())
    }
}

impl Drop for FixedHq {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `hq-server serve --listen LISTEN` and waits for its `listening on ADDR` line; returns
/// the child and the address it bound.
fn spawn_serve(db_url: &str, listen: &str, log: &Path) -> Result<(Child, String)> {
    use std::io::BufRead;
    let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    let mut child = command("hq-server", ["serve", "--listen", listen, "--db", db_url])
        .env("BRANCHLINE_ADMIN_TOKEN", crate::hq::TEST_ADMIN_TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .context("starting hq-server serve")?;
    let stdout = child.stdout.take().context("hq-server stdout")?;
    let mut first_line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut first_line)?;
    let Some(address) = first_line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let _ = child.wait();
        anyhow::bail!(
            "hq-server did not start on {listen}: {first_line:?}, see {}",
            log.display()
        );
    };
    Ok((child, address.to_owned()))
}
