//! `bench fairness`: does a flooding branch slow the others down? The real `hq-server`
//! binary runs as its own process pinned to one CPU (`BENCH_FAIR_HQ_CPU`, default 0); this bench
//! process (the well-behaved branch's client) and the `flooder` process are pinned to another
//! (`BENCH_FAIR_CLIENT_CPU`, default 1), so HQ gets the same CPU alone and under the flood.
//!
//! The well-behaved branch pushes `BENCH_FAIR_BATCHES` batches of `BENCH_FAIR_DOCS` documents ×
//! `BENCH_FAIR_LINES` lines on one Push stream, one batch at a time; its per-batch latency (send
//! to ack) and throughput are measured alone (before and after the floods) and while `flooder`
//! sends a fixed number of calls per second (open loop, `BENCH_FAIR_RATES`, default
//! 500,1000,2000): half pushes from `BENCH_FLOOD_BRANCHES` registered branches far over their
//! rate (RESOURCE_EXHAUSTED), half hellos with a fresh unknown token each (UNAUTHENTICATED, then
//! RESOURCE_EXHAUSTED from the address limit). HQ's CPU time comes from /proc/PID/stat: during the
//! good branch's pushes, and per flood call over a flood-only window (`BENCH_FAIR_FLOOD_ONLY_MS`).
//! Every scenario starts a fresh HQ with the default `[limits]` on a fresh SQLite store.
//! Needs `cargo build --release --workspace --bins` first (it runs target/release/hq-server and
//! target/release/flooder) and `taskset` (util-linux). `BENCH_FAIR_HQ_BIN=PATH` runs another
//! `hq-server` build (e.g. an older one, for a before/after).

use super::env_usize;
use super::flooder::FloodCounts;
use crate::hq::{self, HqTransferClient};
use crate::process::{binary, TempDir};
use anyhow::{bail, ensure, Context};
use branchline_proto::v1;
use branchline_shared::{BaseKind, BaseRecord, EntryBody, OutboxEntry};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

const PRODUCTS: usize = 200;
const GOOD_BRANCH: &str = "GOOD";
/// How long the flooder may take to connect and to spend the flooding branches' bursts.
const FLOOD_WARM_UP_MAX: Duration = Duration::from_secs(60);

struct Sizes {
    batches: usize,
    docs: usize,
    lines: usize,
    flood_branches: usize,
    rates: Vec<u32>,
    flood_only: Duration,
    hq_cpu: usize,
    client_cpu: usize,
}

/// What one scenario measured.
struct Outcome {
    /// Target flood calls per second; None: alone.
    rate: Option<u32>,
    latencies: Vec<Duration>,
    elapsed: Duration,
    lines: usize,
    /// HQ's CPU seconds while the good branch pushed.
    hq_cpu_during_push_s: f64,
    /// The flood while the good branch pushed.
    flood_during_push: FloodCounts,
    /// HQ's CPU seconds and the flood over the flood-only window.
    flood_only: Option<(f64, FloodCounts)>,
    /// The same over a window of unknown tokens only (every call refused).
    refusals_only: Option<(f64, FloodCounts)>,
}

impl Outcome {
    fn percentile_ms(&self, fraction: f64) -> f64 {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1].as_secs_f64() * 1000.0
    }

    fn lines_per_second(&self) -> f64 {
        self.lines as f64 / self.elapsed.as_secs_f64()
    }
}

pub fn run() -> anyhow::Result<()> {
    let rates = std::env::var("BENCH_FAIR_RATES").unwrap_or_else(|_| "500,1000,2000".into());
    let sizes = Sizes {
        batches: env_usize("BENCH_FAIR_BATCHES", 200),
        docs: env_usize("BENCH_FAIR_DOCS", 100),
        lines: env_usize("BENCH_FAIR_LINES", 5),
        flood_branches: env_usize("BENCH_FLOOD_BRANCHES", 2),
        rates: rates
            .split(',')
            .map(|rate| rate.trim().parse().context("BENCH_FAIR_RATES"))
            .collect::<anyhow::Result<_>>()?,
        flood_only: Duration::from_millis(env_usize("BENCH_FAIR_FLOOD_ONLY_MS", 2000) as u64),
        hq_cpu: env_usize("BENCH_FAIR_HQ_CPU", 0),
        client_cpu: env_usize("BENCH_FAIR_CLIENT_CPU", 1),
    };
    // Before the runtime starts, so that every thread of this process inherits the CPU.
    pin_this_thread(sizes.client_cpu)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut outcomes = vec![runtime.block_on(scenario(&sizes, None))?];
    for rate in &sizes.rates {
        outcomes.push(runtime.block_on(scenario(&sizes, Some(*rate)))?);
    }
    outcomes.push(runtime.block_on(scenario(&sizes, None))?);
    print_table(&sizes, &outcomes);
    Ok(())
}

fn pin_this_thread(cpu: usize) -> anyhow::Result<()> {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET and sched_setaffinity get valid pointers.
    let result = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    ensure!(
        result == 0,
        "cannot pin the bench to CPU {cpu}: {}",
        std::io::Error::last_os_error()
    );
    Ok(())
}

/// CPU seconds (user + system) process `pid` has used, from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).context("reading /proc/PID/stat")?;
    // Fields after the command name (which may hold spaces) start at field 3, state.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("/proc/PID/stat without a command name")?
        .1
        .split_whitespace()
        .collect();
    let ticks = |field: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(field - 3)
            .context("short /proc/PID/stat")?
            .parse::<u64>()? as f64)
    };
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok((ticks(14)? + ticks(15)?) / ticks_per_second)
}

/// The flooder process and its stdin/stdout protocol (see `bench::flooder`).
struct Flooder {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Flooder {
    async fn start(url: &str, rate: u32, tokens: &[String], cpu: usize) -> anyhow::Result<Flooder> {
        let mut command = tokio::process::Command::new("taskset");
        command
            .arg("-c")
            .arg(cpu.to_string())
            .arg(binary("flooder"))
            .args(["--hq", url, "--rate", &rate.to_string()]);
        for token in tokens {
            command.args(["--branch-token", token]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting taskset flooder")?;
        let stdin = child.stdin.take().context("flooder stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("flooder stdout")?).lines();
        let mut flooder = Flooder { child, stdin, stdout };
        let warm_up = async {
            flooder.expect_line("ready").await?;
            flooder.expect_line("saturated").await
        };
        tokio::time::timeout(FLOOD_WARM_UP_MAX, warm_up)
            .await
            .context("the flood did not saturate its limits in time")??;
        Ok(flooder)
    }

    async fn expect_line(&mut self, wanted: &str) -> anyhow::Result<()> {
        let line = self.stdout.next_line().await?.context("flooder exited")?;
        ensure!(line == wanted, "flooder printed {line:?}, expected {wanted:?}");
        Ok(())
    }

    async fn counts(&mut self) -> anyhow::Result<FloodCounts> {
        self.stdin.write_all(b"\n").await?;
        self.stdin.flush().await?;
        let line = self.stdout.next_line().await?.context("flooder exited")?;
        FloodCounts::parse(&line)
    }

    async fn stop(mut self) -> anyhow::Result<FloodCounts> {
        drop(self.stdin);
        let line = self.stdout.next_line().await?.context("flooder exited")?;
        let status = self.child.wait().await?;
        ensure!(status.success(), "flooder failed: {status}");
        FloodCounts::parse(&line)
    }
}

async fn scenario(sizes: &Sizes, rate: Option<u32>) -> anyhow::Result<Outcome> {
    let dir = TempDir::new("bench-fairness")?;
    let db_url = format!("sqlite://{}", dir.join("hq.db").display());
    let (mut hq_process, url) = spawn_hq(&dir, &db_url, sizes.hq_cpu)?;
    let hq_pid = hq_process.0.id();
    let (good_token, flood_tokens) = register(&url, sizes).await?;

    // Built before the clock starts, so that the client's own work on the shared CPU is small.
    let batches = (0..sizes.batches)
        .map(|batch_idx| good_batch(sizes, batch_idx))
        .collect();
    let mut flooder = match rate {
        Some(rate) => Some(Flooder::start(&url, rate, &flood_tokens, sizes.client_cpu).await?),
        None => None,
    };
    let flood_before = match &mut flooder {
        Some(flooder) => flooder.counts().await?,
        None => FloodCounts::default(),
    };
    let cpu_before = cpu_seconds(hq_pid)?;
    let mut good = hq::transfer_client(&url, &good_token).await;
    let (latencies, elapsed) = push_measured(&mut good, sizes, batches).await?;
    let cpu_after = cpu_seconds(hq_pid)?;
    let mut flood_during_push = FloodCounts::default();
    let mut flood_only = None;
    let mut refusals_only = None;
    if let (Some(mut running), Some(rate)) = (flooder.take(), rate) {
        flood_during_push = running.counts().await?.since(&flood_before);
        flood_only = Some(flood_window(hq_pid, &mut running, sizes.flood_only).await?);
        running.stop().await?;
        let mut strangers = Flooder::start(&url, rate, &[], sizes.client_cpu).await?;
        refusals_only = Some(flood_window(hq_pid, &mut strangers, sizes.flood_only).await?);
        strangers.stop().await?;
    }

    let statuses = hq::status(&url).await?;
    let good_status = statuses
        .iter()
        .find(|status| status.branch == GOOD_BRANCH)
        .context("good branch status")?;
    ensure!(
        good_status.last_seq == (sizes.batches * sizes.docs) as u64,
        "HQ applied {} of {} good entries",
        good_status.last_seq,
        sizes.batches * sizes.docs
    );
    crate::process::send_signal(&hq_process.0, rustix::process::Signal::TERM);
    let exit = hq_process.0.wait()?;
    if !exit.success() {
        bail!("hq-server exited with {exit}");
    }
    Ok(Outcome {
        rate,
        latencies,
        elapsed,
        lines: sizes.batches * sizes.docs * sizes.lines,
        hq_cpu_during_push_s: cpu_after - cpu_before,
        flood_during_push,
        flood_only,
        refusals_only,
    })
}

/// HQ's CPU seconds and the flood's counts over `window` with nothing but the flood running.
async fn flood_window(
    hq_pid: u32,
    flooder: &mut Flooder,
    window: Duration,
) -> anyhow::Result<(f64, FloodCounts)> {
    let counts_before = flooder.counts().await?;
    let cpu_before = cpu_seconds(hq_pid)?;
    tokio::time::sleep(window).await;
    let cpu_after = cpu_seconds(hq_pid)?;
    let counts = flooder.counts().await?.since(&counts_before);
    Ok((cpu_after - cpu_before, counts))
}

/// Starts `hq-server serve` (target/release, or `BENCH_FAIR_HQ_BIN`) on 127.0.0.1:0 pinned to
/// `cpu`; returns it and its URL once it prints `listening on HOST:PORT`.
fn spawn_hq(dir: &TempDir, db_url: &str, cpu: usize) -> anyhow::Result<(HqChild, String)> {
    use std::io::BufRead;
    let program = std::env::var_os("BENCH_FAIR_HQ_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| binary("hq-server"));
    let log = std::fs::File::create(dir.join("hq.log")).context("creating hq.log")?;
    let mut child = std::process::Command::new("taskset")
        .arg("-c")
        .arg(cpu.to_string())
        .arg(&program)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", db_url])
        .env("BRANCHLINE_ADMIN_TOKEN", hq::TEST_ADMIN_TOKEN)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting taskset {}", program.display()))?;
    let mut first_line = String::new();
    std::io::BufReader::new(child.stdout.take().context("hq-server stdout")?)
        .read_line(&mut first_line)
        .context("reading hq-server stdout")?;
    let Some(address) = first_line.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let _ = child.wait();
        bail!("hq-server did not print `listening on`: {first_line:?}");
    };
    Ok((HqChild(child), format!("http://{address}")))
}

/// The `hq-server` process of a scenario, killed if the scenario fails.
struct HqChild(std::process::Child);

impl Drop for HqChild {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Registers the good branch and the flooding ones with their master data; returns the good
/// branch's token and the flooding branches' tokens.
async fn register(url: &str, sizes: &Sizes) -> anyhow::Result<(String, Vec<String>)> {
    hq::add_org(url, "001", "group").await?;
    for org_idx in 1..=sizes.flood_branches + 1 {
        hq::add_org(url, &format!("001.{org_idx:03}"), "store").await?;
    }
    let good_token = hq::add_branch(url, GOOD_BRANCH, "001.001").await?;
    let mut flood_tokens = Vec::new();
    for branch_idx in 0..sizes.flood_branches {
        let org = format!("001.{:03}", branch_idx + 2);
        flood_tokens.push(hq::add_branch(url, &format!("FL{branch_idx}"), &org).await?);
    }
    let products: Vec<BaseRecord> = (0..PRODUCTS)
        .map(|idx| BaseRecord::new(BaseKind::Product, &format!("P{idx:04}"), "product"))
        .collect();
    hq::import(url, BaseKind::Product, &products).await?;
    let customer = BaseRecord::new(BaseKind::Customer, "C001", "c");
    hq::import(url, BaseKind::Customer, &[customer]).await?;
    let mut warehouse = BaseRecord::new(BaseKind::Warehouse, &format!("{GOOD_BRANCH}-W"), "store");
    warehouse.branch = GOOD_BRANCH.to_owned();
    hq::import(url, BaseKind::Warehouse, &[warehouse]).await?;
    Ok((good_token, flood_tokens))
}

/// The good branch: every batch on one Push stream, the next sent when the previous is acked.
async fn push_measured(
    client: &mut HqTransferClient,
    sizes: &Sizes,
    batches: Vec<v1::PushBatch>,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let (sender, receiver) = mpsc::channel(1);
    let mut acks = client
        .push(ReceiverStream::new(receiver))
        .await
        .context("opening the good branch's push stream")?
        .into_inner();
    let mut latencies = Vec::with_capacity(sizes.batches);
    let started = Instant::now();
    for (batch_idx, batch) in batches.into_iter().enumerate() {
        let sent = Instant::now();
        sender.send(batch).await.context("sending a batch")?;
        let ack = acks.message().await?.context("push stream ended early")?;
        latencies.push(sent.elapsed());
        ensure!(
            ack.applied as usize == sizes.docs,
            "batch {batch_idx}: applied {} of {}",
            ack.applied,
            sizes.docs
        );
    }
    Ok((latencies, started.elapsed()))
}

fn good_batch(sizes: &Sizes, batch_idx: usize) -> v1::PushBatch {
    let entries = (0..sizes.docs)
        .map(|doc_idx| {
            let seq = (batch_idx * sizes.docs + doc_idx + 1) as u64;
            let body = EntryBody::Document(super::sales_out(
                GOOD_BRANCH,
                seq as usize,
                sizes.lines,
                PRODUCTS,
                "2026-01-05",
            ));
            (&OutboxEntry { seq, body }).into()
        })
        .collect();
    super::flooder::push_batch(GOOD_BRANCH, entries)
}

fn print_table(sizes: &Sizes, outcomes: &[Outcome]) {
    println!(
        "bench fairness: good branch pushes {} batches x {} documents x {} lines on one stream; \
         hq-server pinned to CPU {}, this bench and the flooder to CPU {}; flood: {} branches over \
         their rate (pushes) + fresh unknown tokens (hellos), half each, open loop",
        sizes.batches, sizes.docs, sizes.lines, sizes.hq_cpu, sizes.client_cpu, sizes.flood_branches
    );
    let alone: Vec<f64> = outcomes
        .iter()
        .filter(|outcome| outcome.rate.is_none())
        .map(Outcome::lines_per_second)
        .collect();
    let alone_mean = alone.iter().sum::<f64>() / alone.len() as f64;
    println!(
        "| flood calls/s (target) | achieved | refused | admitted | dropped | p50 ms | p99 ms | lines/s | vs alone | HQ CPU s in push | HQ µs/flood call | HQ µs/refused call |"
    );
    println!(
        "|-----------------------:|---------:|--------:|---------:|--------:|-------:|-------:|--------:|---------:|-----------------:|-----------------:|-------------------:|"
    );
    let per_call_us = |window: Option<(f64, FloodCounts)>| {
        window.map_or_else(
            || "-".to_owned(),
            |(cpu_s, counts)| format!("{:.1}", cpu_s * 1e6 / counts.answered().max(1) as f64),
        )
    };
    for outcome in outcomes {
        let flood = &outcome.flood_during_push;
        println!(
            "| {:>22} | {:>8.0} | {:>7} | {:>8} | {:>7} | {:>6.1} | {:>6.1} | {:>7.0} | {:>8.2} | {:>16.2} | {:>16} | {:>18} |",
            outcome.rate.map_or_else(|| "alone".to_owned(), |rate| rate.to_string()),
            flood.answered() as f64 / outcome.elapsed.as_secs_f64(),
            flood.refused(),
            flood.ok,
            flood.dropped,
            outcome.percentile_ms(0.5),
            outcome.percentile_ms(0.99),
            outcome.lines_per_second(),
            outcome.lines_per_second() / alone_mean,
            outcome.hq_cpu_during_push_s,
            per_call_us(outcome.flood_only),
            per_call_us(outcome.refusals_only),
        );
    }
    println!("(vs alone: against the mean of the two alone runs, {alone:.0?} lines/s)");
    for outcome in outcomes {
        let Some(rate) = outcome.rate else {
            continue;
        };
        for (what, window) in [
            ("flood", outcome.flood_only),
            ("unknown tokens only", outcome.refusals_only),
        ] {
            let Some((cpu_s, window)) = window else {
                continue;
            };
            println!(
                "{what} at {rate}/s alone on HQ for {} ms: {} calls answered ({} refused, {} admitted, \
                 {} other errors, {} dropped), HQ CPU {cpu_s:.2} s",
                window.elapsed_ms,
                window.answered(),
                window.refused(),
                window.ok,
                window.other,
                window.dropped
            );
        }
    }
}
