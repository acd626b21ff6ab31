//! The `hq-server` command line (README): `serve` runs the node; `admin`, `report`, `login`,
//! `logout` and `whoami` talk to one over gRPC; `retire-year` works on the store itself.

pub mod admin;
mod audit;
mod bundle_import;
pub mod client;
mod commission;
mod credentials;
mod day_close;
mod login;
mod org;
mod output;
mod password;
pub mod report;
mod retire;
mod status;
mod stock_limits;
pub mod template;
mod user;

use crate::config::ServeConfig;
use crate::serve::Hq;
use anyhow::Context;
use clap::{Parser, Subcommand};
use output::one_line;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "hq-server", version, about = "Branchline head-office node")]
struct Cli {
    /// Log lines on stderr as text, or as one JSON object each (for a log shipper).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the HQ gRPC server until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
    /// Administers a running HQ over gRPC (a person's token, or the bootstrap admin token).
    Admin(admin::AdminArgs),
    /// Consolidated reports over gRPC: sales, inventory, ranking.
    Report(report::ReportArgs),
    /// Logs in to HQ with an account's password; `admin` and `report` then need no --token.
    Login(login::LoginArgs),
    /// Revokes the login's token at HQ and removes the login file.
    Logout,
    /// The name, role and organization scope of the credential in use.
    Whoami(credentials::HqArgs),
    /// Detaches a past year's month partitions of the documents and lines (PostgreSQL), on the
    /// store itself: reports and scans then never read them; later documents of it are refused.
    RetireYear(retire::RetireArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// TOML config file (listen, console_listen, metrics_listen, db, report_db, admin_token,
    /// [limits], [tls]).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port. Default 127.0.0.1:50051.
    #[arg(long)]
    listen: Option<String>,
    /// Address of the web console (config `console_listen`); port 0 picks a free port.
    #[arg(long)]
    console_listen: Option<String>,
    /// Address of the Prometheus endpoint /metrics (config `metrics_listen`), plain HTTP; port
    /// 0 picks a free port.
    #[arg(long)]
    metrics_listen: Option<String>,
    /// sqlite://PATH (default sqlite://hq.db) or postgres://...
    #[arg(long)]
    db: Option<String>,
    /// postgres://... of a hot standby of --db that answers reports (config `report_db`);
    /// writes stay on --db.
    #[arg(long)]
    report_db: Option<String>,
}

/// Runs the command line; errors print one line on stderr and exit 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("hq-server: error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Admin(args) => admin::run(args).await,
            Command::Report(args) => report::run(args).await,
            Command::Login(args) => login::login(args).await,
            Command::Logout => login::logout().await,
            Command::Whoami(args) => login::whoami(args).await,
            Command::RetireYear(args) => retire::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("hq-server: error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs to stderr at `RUST_LOG` (default info), as text or JSON lines; JSON lines carry the
/// fields of the spans they happen in (an ingested batch's branch, epoch and seq range).
fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = ServeConfig::load(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(db) = args.db {
        config.db = db;
    }
    if let Some(report_db) = args.report_db {
        config.report_db = Some(report_db);
    }
    if let Some(console_listen) = args.console_listen {
        config.console_listen = Some(console_listen);
    }
    if let Some(metrics_listen) = args.metrics_listen {
        config.metrics_listen = Some(metrics_listen);
    }
    // A bad config or a port in use is found before the store is opened (or created).
    config.validate()?;
    let listen = config.listen.clone();
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let console = bind_optional(config.console_listen.as_deref(), "console_listen").await?;
    let metrics = bind_optional(config.metrics_listen.as_deref(), "metrics_listen").await?;
    let scheme = if config.tls.is_some() { "https" } else { "http" };
    let mut hq = Hq::open(config).await?;
    let address = listener.local_addr().context("reading the listening address")?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {address}").context("writing to stdout")?;
    if let Some(console) = console {
        let address = console.local_addr().context("reading the console's address")?;
        writeln!(stdout, "console on {scheme}://{address}").context("writing to stdout")?;
        hq = hq.with_console(console);
    }
    if let Some(metrics) = metrics {
        let address = metrics.local_addr().context("reading the metrics address")?;
        writeln!(stdout, "metrics on http://{address}/metrics").context("writing to stdout")?;
        hq = hq.with_metrics(metrics);
    }
    stdout.flush().context("writing to stdout")?;
    hq.serve(listener, shutdown_signal()).await?;
    Ok(())
}

/// A listener on `listen` for the config key `field`, if it is set.
async fn bind_optional(listen: Option<&str>, field: &str) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    let Some(listen) = listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} ({field})"))?;
    Ok(Some(listener))
}

/// Completes on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(terminate) => terminate,
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; stopping on Ctrl-C only");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutdown requested");
}
