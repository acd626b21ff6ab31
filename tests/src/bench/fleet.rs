//! `bench fleet`: many branches catching up at once against one HQ. For each fleet size
//! (`BRANCHLINE_BENCH_FLEET_SIZES`, default 10,100,1000) and store (`BRANCHLINE_BENCH_FLEET_STORES`,
//! default sqlite,postgres), a fresh release `hq-server` process gets that many branches, each
//! with a backlog of `BRANCHLINE_BENCH_FLEET_DOCS` (default 1000) documents × 5 lines. Every branch
//! runs the transfer agent's own push (`transfer_agent::push::push_outbox`) over its own channel,
//! so its own HTTP/2 connection; all of them are started at once, as tokio tasks of this process.
//! Beside it, in the same run, one branch pushes alone into the same HQ.
//!
//! Printed per size: aggregate lines/s against the one branch alone, the spread of the branches'
//! completion times (fastest, median, slowest), HQ's peak RSS (VmHWM), and HQ's memory per idle
//! connected branch: before any backlog arrives, each branch's agent pushes an empty outbox (a
//! Hello and nothing to send) and keeps its connection, and HQ's VmRSS is read before and after.
//! HQ's totals per branch are
//! checked against the ledger's (nothing lost or doubled). Needs `cargo build --release -p
//! hq-server` first (the bench runs target/release/hq-server).

use super::fleet_ledgers::{check_every_branch, hq_totals_by_branch, Template};
use super::{median, proc_status_kb};
use crate::hq::{add_branch, add_org, spawn_hq_process, HqProcess};
use crate::postgres::PgCluster;
use crate::process::TempDir;
use anyhow::{ensure, Context, Result};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use transfer_agent::client::{connect, Hq};
use transfer_agent::config::limits::Limits;
use transfer_agent::config::target::{HqTarget, TlsFiles};
use transfer_agent::shutdown::stop_pair;

/// Admin calls in flight while branches are registered.
const REGISTER_CONCURRENCY: usize = 8;
/// How long idle connections are left before HQ's memory is read again.
const IDLE_SETTLE: Duration = Duration::from_secs(2);
const SOLO_BRANCH: &str = "SOLO";

/// What one fleet size on one store measured.
struct FleetOutcome {
    store: &'static str,
    branches: usize,
    lines_per_branch: u64,
    solo_secs: f64,
    /// Each branch's completion time since the common start, sorted.
    completion_secs: Vec<f64>,
    hq_peak_rss_kb: u64,
    idle_rss_before_kb: u64,
    idle_rss_after_kb: u64,
}

pub fn run() -> Result<()> {
    raise_open_files_limit()?;
    let docs = super::env_usize("BRANCHLINE_BENCH_FLEET_DOCS", 1000);
    let sizes: Vec<usize> = std::env::var("BRANCHLINE_BENCH_FLEET_SIZES")
        .unwrap_or_else(|_| "10,100,1000".into())
        .split(',')
        .map(|size| size.trim().parse().context("BRANCHLINE_BENCH_FLEET_SIZES"))
        .collect::<Result<_>>()?;
    let stores = std::env::var("BRANCHLINE_BENCH_FLEET_STORES").unwrap_or_else(|_| "sqlite,postgres".into());
    let largest = sizes.iter().copied().max().unwrap_or(1);
    // Each branch's batch reader holds a blocking thread for its whole push, and recording an
    // acknowledgement needs another: the pool must hold every branch at once.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(2 * largest + 16)
        .enable_all()
        .build()?;
    let dir = TempDir::new("bench-fleet")?;
    eprintln!("building the template ledger: {docs} documents × 5 lines ...");
    let template = Template::build(dir.path(), docs)?;
    let empty = Template::build_empty(dir.path())?;
    let mut cluster = None;
    let mut outcomes = Vec::new();
    for store in stores.split(',').map(str::trim) {
        for &branches in &sizes {
            let db_url = match store {
                "sqlite" => format!("sqlite://{}", dir.join(format!("hq-{branches}.db")).display()),
                "postgres" => {
                    if cluster.is_none() {
                        cluster = Some(PgCluster::start(true)?);
                    }
                    let cluster = cluster.as_ref().context("cluster")?;
                    runtime.block_on(cluster.database(&format!("fleet_{branches}")))?
                }
                other => anyhow::bail!("unknown store {other:?} in BRANCHLINE_BENCH_FLEET_STORES"),
            };
            let store: &'static str = if store == "sqlite" { "SQLite" } else { "PostgreSQL" };
            eprintln!("{store}: {branches} branches ...");
            let outcome = runtime.block_on(scenario(&dir, [&template, &empty], store, &db_url, branches))?;
            print_outcome(&outcome);
            outcomes.push(outcome);
        }
    }
    print_table(docs, &outcomes);
    Ok(())
}

/// Raises this process's soft limit on open files to its hard limit; HQ, started from here,
/// inherits it. A thousand connections and their ledgers need more than the usual 1,024.
fn raise_open_files_limit() -> Result<()> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    )
    .context("raising the open files limit")?;
    Ok(())
}

/// `templates`: the backlog's and the idle branches'.
async fn scenario(
    dir: &TempDir,
    [template, empty]: [&Template; 2],
    store: &'static str,
    db_url: &str,
    n_branches: usize,
) -> Result<FleetOutcome> {
    let hq = spawn_hq_process(db_url)?;
    let hq_pid = hq.child.id();
    let codes: Vec<String> = (1..=n_branches).map(|idx| format!("F{idx:04}")).collect();
    let mut all_codes = codes.clone();
    all_codes.push(SOLO_BRANCH.to_owned());
    let mut tokens = register(&hq, &all_codes).await?;
    let solo_token = tokens.pop().context("the solo branch's token")?;
    let ledger_dir = dir.join(format!("ledgers-{store}-{n_branches}"));
    std::fs::create_dir_all(&ledger_dir)?;
    let ledgers: Vec<PathBuf> = codes
        .iter()
        .map(|code| ledger_dir.join(format!("{code}.db")))
        .collect();
    for (code, ledger) in codes.iter().zip(&ledgers) {
        empty.copy_for(code, ledger)?;
    }
    let (idle_rss_before_kb, idle_rss_after_kb) = idle_memory(hq_pid, &hq.url, &ledgers, &tokens).await?;
    for (code, ledger) in codes.iter().zip(&ledgers) {
        remove_ledger(ledger)?;
        template.copy_for(code, ledger)?;
    }
    let solo_ledger = ledger_dir.join("solo.db");
    template.copy_for(SOLO_BRANCH, &solo_ledger)?;
    super::settle_disk();

    let solo_hq = agent_channel(&hq.url, &solo_token)?;
    let solo_started = Instant::now();
    push_one(solo_ledger, solo_hq).await?;
    let solo_secs = solo_started.elapsed().as_secs_f64();

    let channels: Vec<Hq> = tokens
        .iter()
        .map(|token| agent_channel(&hq.url, token))
        .collect::<Result<_>>()?;
    let mut completion_secs = push_all(&ledgers, &channels).await?;
    completion_secs.sort_by(f64::total_cmp);
    let hq_peak_rss_kb = proc_status_kb(hq_pid, "VmHWM")?;
    drop(channels);

    let held = hq_totals_by_branch(db_url).await?;
    check_every_branch(&held, &all_codes, &template.totals)?;
    stop_hq(hq)?;
    // A thousand backlogs take a fair part of the disk; HQ holds them now.
    std::fs::remove_dir_all(&ledger_dir)?;
    Ok(FleetOutcome {
        store,
        branches: n_branches,
        lines_per_branch: template.totals.lines,
        solo_secs,
        completion_secs,
        hq_peak_rss_kb,
        idle_rss_before_kb,
        idle_rss_after_kb,
    })
}

/// Registers each branch under its own store organization; returns their tokens in order.
async fn register(hq: &HqProcess, codes: &[String]) -> Result<Vec<String>> {
    let _ = add_org(&hq.url, "001", "group").await;
    let permits = Arc::new(Semaphore::new(REGISTER_CONCURRENCY));
    let mut registering = JoinSet::new();
    for (idx, code) in codes.iter().enumerate() {
        let (url, code, permits) = (hq.url.clone(), code.clone(), permits.clone());
        registering.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let org = format!("001.{:04}", idx + 1);
            add_org(&url, &org, &format!("store {code}")).await?;
            anyhow::Ok((idx, add_branch(&url, &code, &org).await?))
        });
    }
    let mut tokens = vec![String::new(); codes.len()];
    while let Some(registered) = registering.join_next().await {
        let (idx, token) = registered??;
        tokens[idx] = token;
    }
    Ok(tokens)
}

/// The agent's own channel to HQ (its own HTTP/2 connection, dialed on the first call).
fn agent_channel(url: &str, token: &str) -> Result<Hq> {
    let target = HqTarget {
        url: url.to_owned(),
        token: token.to_owned(),
        tls: TlsFiles::default(),
    };
    Ok(connect(&target, &Limits::default())?)
}

/// One branch's whole push, as `transfer-agent once --push` does it.
async fn push_one(ledger: PathBuf, hq: Hq) -> Result<()> {
    let (_stop_handle, stop) = stop_pair();
    transfer_agent::push::push_outbox(&ledger, &hq, &Limits::default(), &stop)
        .await
        .with_context(|| format!("pushing {}", ledger.display()))?;
    Ok(())
}

/// Every branch's push started at once; returns each one's completion time since the start.
async fn push_all(ledgers: &[PathBuf], channels: &[Hq]) -> Result<Vec<f64>> {
    let start = Arc::new(tokio::sync::Barrier::new(ledgers.len()));
    let mut pushing = JoinSet::new();
    for (ledger, hq) in ledgers.iter().zip(channels) {
        let (ledger, hq, start) = (ledger.clone(), hq.clone(), start.clone());
        pushing.spawn(async move {
            start.wait().await;
            let started = Instant::now();
            push_one(ledger, hq).await?;
            anyhow::Ok((started, Instant::now()))
        });
    }
    let mut spans = Vec::with_capacity(ledgers.len());
    while let Some(pushed) = pushing.join_next().await {
        spans.push(pushed??);
    }
    let first_start = spans
        .iter()
        .map(|(started, _)| *started)
        .min()
        .context("no branch")?;
    Ok(spans
        .iter()
        .map(|(_, finished)| finished.duration_since(first_start).as_secs_f64())
        .collect())
}

/// HQ's VmRSS with no branch connected, and with every branch connected after a Hello with
/// nothing to send (the push of a ledger with an empty outbox), its connection kept. Read before
/// any backlog arrives: HQ keeps the memory it frees, so after the backlogs new connections
/// would reuse it unseen.
async fn idle_memory(hq_pid: u32, url: &str, ledgers: &[PathBuf], tokens: &[String]) -> Result<(u64, u64)> {
    tokio::time::sleep(IDLE_SETTLE).await;
    let before_kb = proc_status_kb(hq_pid, "VmRSS")?;
    let channels: Vec<Hq> = tokens
        .iter()
        .map(|token| agent_channel(url, token))
        .collect::<Result<_>>()?;
    let mut greeting = JoinSet::new();
    for (ledger, hq) in ledgers.iter().zip(&channels) {
        greeting.spawn(push_one(ledger.clone(), hq.clone()));
    }
    while let Some(greeted) = greeting.join_next().await {
        greeted??;
    }
    tokio::time::sleep(IDLE_SETTLE).await;
    let after_kb = proc_status_kb(hq_pid, "VmRSS")?;
    drop(channels);
    Ok((before_kb, after_kb))
}

/// A ledger file and its WAL and shared-memory files, when present.
fn remove_ledger(ledger: &std::path::Path) -> Result<()> {
    std::fs::remove_file(ledger)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = ledger.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
    Ok(())
}

fn stop_hq(mut hq: HqProcess) -> Result<()> {
    let exit = hq.terminate()?;
    ensure!(exit.success(), "hq-server exited with {exit}");
    Ok(())
}

impl FleetOutcome {
    fn slowest_secs(&self) -> f64 {
        self.completion_secs.last().copied().unwrap_or_default()
    }

    fn aggregate_lines_per_second(&self) -> f64 {
        (self.lines_per_branch as usize * self.branches) as f64 / self.slowest_secs()
    }

    fn solo_lines_per_second(&self) -> f64 {
        self.lines_per_branch as f64 / self.solo_secs
    }

    fn idle_kb_per_branch(&self) -> f64 {
        (self.idle_rss_after_kb as f64 - self.idle_rss_before_kb as f64) / self.branches as f64
    }
}

fn print_outcome(outcome: &FleetOutcome) {
    eprintln!(
        "  {} branches: {:.0} lines/s ({:.2} × alone at {:.0}), completion {:.2}/{:.2}/{:.2} s, HQ peak {:.1} MB, idle {:.1} KB/branch",
        outcome.branches,
        outcome.aggregate_lines_per_second(),
        outcome.aggregate_lines_per_second() / outcome.solo_lines_per_second(),
        outcome.solo_lines_per_second(),
        outcome.completion_secs.first().copied().unwrap_or_default(),
        median(outcome.completion_secs.clone()).unwrap_or_default(),
        outcome.slowest_secs(),
        outcome.hq_peak_rss_kb as f64 / 1024.0,
        outcome.idle_kb_per_branch(),
    );
}

fn print_table(docs: usize, outcomes: &[FleetOutcome]) {
    let lines = outcomes.first().map_or(0, |outcome| outcome.lines_per_branch);
    println!(
        "bench fleet: each branch {docs} documents ({lines} lines), its own HTTP/2 connection, all started at once; \
         one release hq-server process; agents are tokio tasks of this process"
    );
    println!(
        "| store | branches | aggregate lines/s | one branch alone, lines/s | ratio | fastest s | median s | slowest s | slowest / median | HQ peak RSS MB | HQ RSS idle, none → all connected MB | KB per idle branch |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    for outcome in outcomes {
        let median_secs = median(outcome.completion_secs.clone()).unwrap_or_default();
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} → {:.1} | {:.1} |",
            outcome.store,
            outcome.branches,
            outcome.aggregate_lines_per_second(),
            outcome.solo_lines_per_second(),
            outcome.aggregate_lines_per_second() / outcome.solo_lines_per_second(),
            outcome.completion_secs.first().copied().unwrap_or_default(),
            median_secs,
            outcome.slowest_secs(),
            outcome.slowest_secs() / median_secs,
            outcome.hq_peak_rss_kb as f64 / 1024.0,
            outcome.idle_rss_before_kb as f64 / 1024.0,
            outcome.idle_rss_after_kb as f64 / 1024.0,
            outcome.idle_kb_per_branch(),
        );
    }
}
