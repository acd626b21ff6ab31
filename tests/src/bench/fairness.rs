//! `bench fairness` (issue 7): does a flooding branch slow the others down? A well-behaved branch
//! pushes `BENCH_FAIR_BATCHES` batches of `BENCH_FAIR_DOCS` documents on one Push stream, one batch
//! at a time, through the real in-process HQ (default `[limits]`, SQLite store), and its per-batch
//! latency (send to ack) and throughput are measured alone and then while others flood:
//! - `branches`: `BENCH_FLOOD_BRANCHES` registered branches, each with `BENCH_FLOOD_CONCURRENCY`
//!   calls in flight at all times (pushes and pulls, as fast as HQ answers), far over their
//!   request rate, so almost every call is refused with RESOURCE_EXHAUSTED;
//! - `unauthenticated`: the same number of callers with unknown tokens (UNAUTHENTICATED).
//!
//! Each scenario runs on a fresh HQ; the flood starts first and the measurement begins once every
//! flooding branch has been refused at least once (its burst is spent).

use super::env_usize;
use crate::hq::{self, HqTransferClient};
use crate::security::launch_configured_hq;
use anyhow::{ensure, Context};
use branchline_proto::v1;
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{
    parse_date, BaseKind, BaseRecord, DocLine, DocType, Document, EntryBody, OutboxEntry,
};
use hq_server::service::refusal_audit;
use rust_decimal::Decimal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

const PRODUCTS: usize = 200;
const GOOD_BRANCH: &str = "GOOD";

struct Sizes {
    batches: usize,
    docs: usize,
    lines: usize,
    flood_branches: usize,
    flood_concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flood {
    None,
    Branches,
    Unauthenticated,
}

impl Flood {
    fn name(self) -> &'static str {
        match self {
            Flood::None => "alone",
            Flood::Branches => "branches over their rate",
            Flood::Unauthenticated => "unauthenticated callers",
        }
    }
}

/// How HQ audits the flood's refusals: one row each (as before coalescing) or coalesced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audit {
    RowPerRefusal,
    Coalesced,
}

/// What one scenario measured.
struct Outcome {
    flood: Flood,
    audit: Audit,
    latencies: Vec<Duration>,
    elapsed: Duration,
    lines: usize,
    flood_calls: u64,
    flood_refused: u64,
    flood_admitted: u64,
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
    let sizes = Sizes {
        batches: env_usize("BENCH_FAIR_BATCHES", 60),
        docs: env_usize("BENCH_FAIR_DOCS", 100),
        lines: env_usize("BENCH_FAIR_LINES", 5),
        flood_branches: env_usize("BENCH_FLOOD_BRANCHES", 2),
        flood_concurrency: env_usize("BENCH_FLOOD_CONCURRENCY", 16),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut outcomes = Vec::new();
    for (flood, audit) in [
        (Flood::None, Audit::Coalesced),
        (Flood::Branches, Audit::RowPerRefusal),
        (Flood::Branches, Audit::Coalesced),
        (Flood::Unauthenticated, Audit::RowPerRefusal),
        (Flood::Unauthenticated, Audit::Coalesced),
    ] {
        refusal_audit::set_coalescing_for_benchmark(audit == Audit::Coalesced);
        let outcome = runtime.block_on(scenario(&sizes, flood, audit));
        refusal_audit::set_coalescing_for_benchmark(true);
        outcomes.push(outcome?);
    }
    print_table(&sizes, &outcomes);
    Ok(())
}

async fn scenario(sizes: &Sizes, flood: Flood, audit: Audit) -> anyhow::Result<Outcome> {
    let hq_handle = launch_configured_hq(|_| {}).await?;
    let url = hq_handle.url.clone();
    hq::add_org(&url, "001", "group").await?;
    for org_idx in 1..=sizes.flood_branches + 1 {
        hq::add_org(&url, &format!("001.{org_idx:03}"), "store").await?;
    }
    let good_token = hq::add_branch(&url, GOOD_BRANCH, "001.001").await?;
    let mut flood_tokens = Vec::new();
    for branch_idx in 0..sizes.flood_branches {
        let code = format!("FL{branch_idx}");
        let token = hq::add_branch(&url, &code, &format!("001.{:03}", branch_idx + 2)).await?;
        flood_tokens.push(match flood {
            Flood::Unauthenticated => format!("unknown-token-{branch_idx}"),
            _ => token,
        });
    }
    let products: Vec<BaseRecord> = (0..PRODUCTS)
        .map(|idx| BaseRecord::new(BaseKind::Product, &format!("P{idx:04}"), "product"))
        .collect();
    hq::import(&url, BaseKind::Product, &products).await?;
    hq::import(
        &url,
        BaseKind::Customer,
        &[BaseRecord::new(BaseKind::Customer, "C001", "c")],
    )
    .await?;
    let mut warehouses = Vec::new();
    for code in
        std::iter::once(GOOD_BRANCH.to_owned()).chain((0..sizes.flood_branches).map(|idx| format!("FL{idx}")))
    {
        let mut warehouse = BaseRecord::new(BaseKind::Warehouse, &format!("{code}-W"), "store");
        warehouse.branch = code;
        warehouses.push(warehouse);
    }
    hq::import(&url, BaseKind::Warehouse, &warehouses).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(FloodCounters::default());
    let mut flooders = Vec::new();
    if flood != Flood::None {
        for (branch_idx, token) in flood_tokens.iter().enumerate() {
            let client = hq::transfer_client(&url, token).await;
            let first_refusal = Arc::new(AtomicBool::new(false));
            for task_idx in 0..sizes.flood_concurrency {
                flooders.push(tokio::spawn(flood_calls(
                    client.clone(),
                    format!("FL{branch_idx}"),
                    task_idx,
                    Arc::clone(&stop),
                    Arc::clone(&counters),
                    Arc::clone(&first_refusal),
                )));
            }
            // The measurement starts once every flooding branch has spent its burst.
            while !first_refusal.load(Ordering::Relaxed) {
                tokio::task::yield_now().await;
            }
        }
    }
    let counted_before = counters.snapshot();

    let mut good = hq::transfer_client(&url, &good_token).await;
    let measured = push_measured(&mut good, sizes).await;
    let counted_after = counters.snapshot();
    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        flooder.await.context("flooding task")?;
    }
    let (latencies, elapsed) = measured?;
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
    hq_handle.shutdown().await?;
    Ok(Outcome {
        flood,
        audit,
        latencies,
        elapsed,
        lines: sizes.batches * sizes.docs * sizes.lines,
        flood_calls: counted_after.0 - counted_before.0,
        flood_refused: counted_after.1 - counted_before.1,
        flood_admitted: counted_after.2 - counted_before.2,
    })
}

/// The good branch: every batch on one Push stream, the next sent when the previous is acked.
async fn push_measured(
    client: &mut HqTransferClient,
    sizes: &Sizes,
) -> anyhow::Result<(Vec<Duration>, Duration)> {
    let (sender, receiver) = mpsc::channel(1);
    let mut acks = client
        .push(ReceiverStream::new(receiver))
        .await
        .context("opening the good branch's push stream")?
        .into_inner();
    let mut latencies = Vec::with_capacity(sizes.batches);
    let started = Instant::now();
    for batch_idx in 0..sizes.batches {
        let batch = good_batch(sizes, batch_idx);
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
            let body = EntryBody::Document(document(GOOD_BRANCH, seq as usize, sizes.lines));
            (&OutboxEntry { seq, body }).into()
        })
        .collect();
    v1::PushBatch {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        backlog: 0,
        entries,
    }
}

fn document(branch: &str, number: usize, lines: usize) -> Document {
    Document {
        number: format!("{branch}-{number:07}"),
        doc_type: DocType::SalesOut,
        date: parse_date("2026-01-05").expect("date"),
        partner: "C001".into(),
        warehouse: format!("{branch}-W"),
        red_of: None,
        lines: (0..lines)
            .map(|line_idx| DocLine {
                product: format!("P{:04}", (number * 7 + line_idx * 13) % PRODUCTS),
                qty: Decimal::new((number % 50 + line_idx + 1) as i64 * 25, 2),
                price: Decimal::new(2150 + line_idx as i64, 2),
                discount: Decimal::new(4, 2),
                tax_rate: Decimal::new(13, 2),
            })
            .collect(),
        link: None,
    }
}

#[derive(Default)]
struct FloodCounters {
    calls: AtomicU64,
    refused: AtomicU64,
    admitted: AtomicU64,
}

impl FloodCounters {
    fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.calls.load(Ordering::Relaxed),
            self.refused.load(Ordering::Relaxed),
            self.admitted.load(Ordering::Relaxed),
        )
    }
}

/// One flooding caller: pushes (the same small batch again and again) and pulls, back to back.
async fn flood_calls(
    mut client: HqTransferClient,
    branch: String,
    task_idx: usize,
    stop: Arc<AtomicBool>,
    counters: Arc<FloodCounters>,
    first_refusal: Arc<AtomicBool>,
) {
    let batch = v1::PushBatch {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        backlog: 0,
        entries: (1..=10)
            .map(|seq| {
                let body = EntryBody::Document(document(&branch, seq, 5));
                (&OutboxEntry {
                    seq: seq as u64,
                    body,
                })
                    .into()
            })
            .collect(),
    };
    let mut call_idx = task_idx;
    while !stop.load(Ordering::Relaxed) {
        let result = if call_idx.is_multiple_of(2) {
            match client.push(tokio_stream::iter(vec![batch.clone()])).await {
                Ok(response) => response.into_inner().message().await.map(|_| ()),
                Err(status) => Err(status),
            }
        } else {
            let pull = v1::PullRequest {
                protocol_version: PROTOCOL_VERSION,
                after_seq: 0,
                max_entries: 100,
            };
            client.pull(pull).await.map(|_| ())
        };
        call_idx += 1;
        counters.calls.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(()) => {
                counters.admitted.fetch_add(1, Ordering::Relaxed);
            }
            Err(status) => {
                if matches!(
                    status.code(),
                    tonic::Code::ResourceExhausted | tonic::Code::Unauthenticated
                ) {
                    first_refusal.store(true, Ordering::Relaxed);
                }
                counters.refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn print_table(sizes: &Sizes, outcomes: &[Outcome]) {
    println!(
        "bench fairness: good branch pushes {} batches x {} documents x {} lines on one stream; \
         flood: {} callers x {} calls in flight",
        sizes.batches, sizes.docs, sizes.lines, sizes.flood_branches, sizes.flood_concurrency
    );
    let alone = &outcomes[0];
    println!(
        "| flood                     | refusal audit   | p50 ms | p99 ms | lines/s | vs alone | flood calls/s | refused | admitted |"
    );
    println!(
        "|---------------------------|-----------------|-------:|-------:|--------:|---------:|--------------:|--------:|---------:|"
    );
    for outcome in outcomes {
        println!(
            "| {:<25} | {:<15} | {:>6.1} | {:>6.1} | {:>7.0} | {:>8.2} | {:>13.0} | {:>7} | {:>8} |",
            outcome.flood.name(),
            match (outcome.flood, outcome.audit) {
                (Flood::None, _) => "-",
                (_, Audit::RowPerRefusal) => "row per refusal",
                (_, Audit::Coalesced) => "coalesced",
            },
            outcome.percentile_ms(0.5),
            outcome.percentile_ms(0.99),
            outcome.lines_per_second(),
            outcome.lines_per_second() / alone.lines_per_second(),
            outcome.flood_calls as f64 / outcome.elapsed.as_secs_f64(),
            outcome.flood_refused,
            outcome.flood_admitted,
        );
    }
}
