//! The `transfer-agent` command line (README): `once`, `run`, `status`, `reconcile`. Errors are
//! one line on stderr and a non-zero exit; reconcile exits 1 when it finds drift, and
//! `reconcile --day` exits 1 when the day differs and 2 when `--day` is not a day.

use crate::client::connect;
use crate::config::file::{validate_tasks, ConfigFile};
use crate::config::limits::Limits;
use crate::config::target::{resolve_token, HqTarget, TlsFiles};
use crate::config::task::Direction;
use crate::day_close::{close_day, parse_day};
use crate::day_report;
use crate::metrics::{serve, AgentMetrics};
use crate::reconcile::reconcile;
use crate::runner::{run, RunSettings};
use crate::shutdown::{stop_pair, termination_requested, StopSignal};
use crate::state::{record_failure, record_success, state_path};
use crate::status::{read_status, render_json, render_table};
use crate::transfer::transfer_once;
use crate::window::SystemClock;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "transfer-agent",
    version,
    about = "Moves a branch ledger's outbox to HQ and HQ's inbox to the ledger"
)]
pub struct Cli {
    /// The branch ledger file (or `ledger` in the config).
    #[arg(long, global = true)]
    pub ledger: Option<PathBuf>,
    /// HQ address, http://HOST:PORT or https://HOST:PORT (or `hq` in the config).
    #[arg(long, global = true)]
    pub hq: Option<String>,
    /// The branch's transfer token (or `token`/`token_file` in the config, or BRANCHLINE_TOKEN).
    #[arg(long, global = true)]
    pub token: Option<String>,
    /// A file holding the token.
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,
    /// PEM CA certificate that signed HQ's certificate (https:// only; or `ca` in the config).
    #[arg(long, global = true)]
    pub ca: Option<PathBuf>,
    /// PEM client certificate naming the branch code, for mutual TLS (or `cert` in the config).
    #[arg(long, global = true)]
    pub cert: Option<PathBuf>,
    /// The client certificate's PEM private key (or `key` in the config).
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// The agent config (README); command-line flags override it.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Log lines on stderr as text, or as one JSON object each (for a log shipper).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Push the outbox and/or pull the inbox now (both by default), then exit.
    Once {
        #[arg(long)]
        push: bool,
        #[arg(long)]
        pull: bool,
    },
    /// Run the scheduled tasks and the watched inbox folder until SIGTERM or Ctrl-C.
    Run,
    /// Backlog, positions, and last success and last error per task.
    Status {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Compare what HQ holds for this branch with the ledger; exit 1 and list any drift.
    /// With --day: the daily close of that business day; HQ records it closed when it matches.
    Reconcile {
        /// A business day YYYY-MM-DD: compare (and close) the documents dated that day.
        #[arg(long)]
        day: Option<String>,
        /// How --day prints both sides.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// The task name under which `once` records its runs.
pub const ONCE_TASK: &str = "once";

/// Parses arguments, runs the command, prints a one-line error on failure.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match execute(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error's own message: every error here already embeds its cause, so the chain is not repeated.
fn one_line(error: &anyhow::Error) -> String {
    error.to_string().lines().collect::<Vec<_>>().join(" ")
}

/// Logs to stderr at `RUST_LOG` (default info), as text (coloured on a terminal) or JSON lines.
fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

/// The command's inputs merged from the config file and the flags (flags win).
struct Resolved {
    file: ConfigFile,
    ledger: Option<PathBuf>,
}

impl Resolved {
    fn load(cli: &Cli) -> Result<Resolved> {
        let file = match &cli.config {
            Some(path) => ConfigFile::load(path)?,
            None => ConfigFile::default(),
        };
        let ledger = cli.ledger.clone().or_else(|| file.ledger.clone());
        Ok(Resolved { file, ledger })
    }

    fn ledger(&self) -> Result<PathBuf> {
        self.ledger
            .clone()
            .ok_or(crate::config::error::ConfigError::MissingLedger.into())
    }

    fn hq(&self, cli: &Cli) -> Result<HqTarget> {
        let url = cli
            .hq
            .clone()
            .or_else(|| self.file.hq.clone())
            .ok_or(crate::config::error::ConfigError::MissingHq)?;
        let explicit_token = match &cli.token_file {
            Some(path) => Some(resolve_token(None, None, Some(path))?),
            None => cli.token.clone(),
        };
        let token = resolve_token(
            explicit_token.as_deref(),
            self.file.token.as_deref(),
            self.file.token_file.as_deref(),
        )?;
        let tls = TlsFiles {
            ca: cli.ca.clone().or_else(|| self.file.ca.clone()),
            cert: cli.cert.clone().or_else(|| self.file.cert.clone()),
            key: cli.key.clone().or_else(|| self.file.key.clone()),
        };
        Ok(HqTarget::new(&url, token)?.with_tls(tls)?)
    }

    fn limits(&self) -> Result<Limits> {
        self.file.limits.validate()?;
        Ok(self.file.limits.clone())
    }
}

fn execute(cli: Cli) -> Result<ExitCode> {
    // A bad --day is refused before anything is read or sent.
    let day = match &cli.command {
        Command::Reconcile { day: Some(text), .. } => match parse_day(text) {
            Ok(day) => Some(day),
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(ExitCode::from(2));
            }
        },
        _ => None,
    };
    let resolved = Resolved::load(&cli)?;
    match &cli.command {
        Command::Status { format } => {
            let status = read_status(&resolved.ledger()?)?;
            match format {
                Format::Json => println!("{}", render_json(&status)),
                Format::Table => print!("{}", render_table(&status)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Once { push, pull } => {
            let direction = match (push, pull) {
                (true, false) => Direction::Push,
                (false, true) => Direction::Pull,
                _ => Direction::Both,
            };
            let ledger = resolved.ledger()?;
            let target = resolved.hq(&cli)?;
            let limits = resolved.limits()?;
            runtime()?.block_on(once(ledger, target, limits, direction))
        }
        Command::Reconcile { format, .. } => {
            let ledger = resolved.ledger()?;
            let target = resolved.hq(&cli)?;
            let limits = resolved.limits()?;
            match day {
                Some(day) => runtime()?.block_on(close_day_command(ledger, target, limits, day, *format)),
                None => runtime()?.block_on(reconcile_command(ledger, target, limits)),
            }
        }
        Command::Run => {
            let tasks = validate_tasks(&resolved.file)?;
            // Refuse at once a ledger that is missing or not a ledger, rather than failing every run.
            read_status(&resolved.ledger()?)?;
            let settings = RunSettings {
                ledger: resolved.ledger()?,
                hq: resolved.hq(&cli)?,
                inbox_dir: resolved.file.inbox_dir.clone(),
                tasks,
                limits: resolved.limits()?,
                metrics: AgentMetrics::default(),
            };
            let metrics_listen = resolved.file.metrics_listen.clone();
            runtime()?.block_on(async move {
                let (stop_handle, stop) = stop_pair();
                tokio::spawn(async move {
                    termination_requested().await;
                    stop_handle.stop();
                });
                if let Some(listen) = metrics_listen {
                    serve_metrics(&listen, &settings, stop.clone()).await?;
                }
                run(settings, Arc::new(SystemClock), stop).await?;
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Binds `listen` (the config's `metrics_listen`), prints `metrics on http://ADDR/metrics`
/// and serves the agent's `/metrics` until `stop`.
async fn serve_metrics(listen: &str, settings: &RunSettings, mut stop: StopSignal) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (metrics_listen)"))?;
    let address = listener.local_addr().context("reading the metrics address")?;
    println!("metrics on http://{address}/metrics");
    let shutdown = async move { stop.stopped().await };
    let ledger = settings.ledger.clone();
    tokio::spawn(serve(listener, settings.metrics.clone(), ledger, shutdown));
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn once(ledger: PathBuf, target: HqTarget, limits: Limits, direction: Direction) -> Result<ExitCode> {
    let hq = connect(&target, &limits)?;
    let state_file = state_path(&ledger);
    // Ctrl-C/SIGTERM during `once` also stops between batches.
    let (stop_handle, stop): (_, StopSignal) = stop_pair();
    tokio::spawn(async move {
        termination_requested().await;
        stop_handle.stop();
    });
    match transfer_once(&ledger, &hq, &limits, direction, &stop).await {
        Ok(outcome) => {
            println!("{outcome}");
            if let Err(error) = record_success(&state_file, ONCE_TASK, &outcome.to_string()) {
                tracing::warn!(%error, "cannot record agent state");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            // No state file beside a ledger that is not there: a refused run creates nothing.
            let recorded = match ledger.is_file() {
                true => record_failure(&state_file, ONCE_TASK, &error.to_string()),
                false => Ok(()),
            };
            if let Err(state_error) = recorded {
                tracing::warn!(error = %state_error, "cannot record agent state");
            }
            Err(error.into())
        }
    }
}

async fn reconcile_command(ledger: PathBuf, target: HqTarget, limits: Limits) -> Result<ExitCode> {
    let hq = connect(&target, &limits)?;
    let report = reconcile(&ledger, &hq).await?;
    for drift in &report.drifts {
        println!("{drift}");
    }
    if report.backlog > 0 {
        println!(
            "note: {} outbox entries are not yet acknowledged by HQ; documents among them show as missing at HQ",
            report.backlog
        );
    }
    if report.drifts.is_empty() {
        println!(
            "no drift: {} documents in {} buckets match HQ",
            report.ledger_documents, report.buckets_compared
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "drift: {} documents differ (ledger holds {}, HQ holds {})",
            report.drifts.len(),
            report.ledger_documents,
            report.hq_documents
        );
        Ok(ExitCode::FAILURE)
    }
}

async fn close_day_command(
    ledger: PathBuf,
    target: HqTarget,
    limits: Limits,
    day: chrono::NaiveDate,
    format: Format,
) -> Result<ExitCode> {
    let hq = connect(&target, &limits)?;
    let report = close_day(&ledger, &hq, day).await?;
    match format {
        Format::Json => println!("{}", day_report::render_json(&report)),
        Format::Table => print!("{}", day_report::render_table(&report)),
    }
    Ok(if report.closed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
