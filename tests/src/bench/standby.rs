//! `bench standby`: what a report storm costs ingestion on the primary, with the storm read on a
//! hot standby (`serve --report-db`) and on the primary itself. A PostgreSQL primary and a
//! standby streaming from it (`pg_basebackup -R`, fsync off on both, as in the tests) run on
//! this machine; two HQs run in this process on the primary's one database: one reads reports
//! on the standby, one on the primary. The branch pushes `BENCH_STANDBY_BATCHES` batches of
//! `BENCH_STANDBY_DOCS` documents × `BENCH_STANDBY_LINES` lines on one Push stream, one batch
//! at a time, through the primary-only HQ: alone (the baseline), while `BENCH_STANDBY_STORM`
//! clients ask reports back to back of the standby's HQ, and while they ask the primary's.
//! `BENCH_STANDBY_SEED_BATCHES` batches are pushed first, so that a report has rows to read.

use super::env_usize;
use crate::hq::{self, launch_hq, launch_hq_with, HqHandle, HqStoreKind, HqTransferClient};
use crate::people::report_client;
use crate::postgres::PgCluster;
use anyhow::{ensure, Context};
use branchline_proto::v1::{self, ReportRequest};
use branchline_shared::{BaseKind, BaseRecord, Document, EntryBody, OutboxEntry};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

const BRANCH: &str = "SZ";
const PRODUCTS: usize = 300;

struct Sizes {
    batches: usize,
    docs: usize,
    lines: usize,
    storm: usize,
    seed_batches: usize,
}

/// One phase: the ingestion rate and the reports the storm got answered meanwhile.
struct Phase {
    name: &'static str,
    lines_per_s: f64,
    reports: u64,
    elapsed: Duration,
}

pub fn run() -> anyhow::Result<()> {
    let sizes = Sizes {
        batches: env_usize("BENCH_STANDBY_BATCHES", 150),
        docs: env_usize("BENCH_STANDBY_DOCS", 100),
        lines: env_usize("BENCH_STANDBY_LINES", 5),
        storm: env_usize("BENCH_STANDBY_STORM", 4),
        seed_batches: env_usize("BENCH_STANDBY_SEED_BATCHES", 40),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let started = Instant::now();
    let phases = runtime.block_on(measure(&sizes))?;
    print_table(&sizes, &phases, started.elapsed());
    Ok(())
}

async fn measure(sizes: &Sizes) -> anyhow::Result<Vec<Phase>> {
    let primary = PgCluster::start(false)?;
    let db_url = primary.database("bench_standby").await?;
    let standby = primary.start_standby()?;
    let name = db_url.rsplit('/').next().context("database name")?.to_owned();
    let report_db = standby.database_url(&name);
    let on_primary = launch_hq(HqStoreKind::Url(db_url.clone())).await;
    let on_standby = launch_hq_with(HqStoreKind::Url(db_url), |config| {
        config.report_db = Some(report_db);
    })
    .await;
    let token = register(on_primary.url()).await?;
    let mut client = hq::transfer_client(on_primary.url(), &token).await;
    let mut next_batch = 0;
    push_batches(&mut client, sizes, &mut next_batch, sizes.seed_batches).await?;

    let mut phases = Vec::new();
    for (name, storm_on) in [
        ("ingestion alone", None),
        ("storm on the standby", Some(&on_standby)),
        ("storm on the primary", Some(&on_primary)),
        ("ingestion alone, again", None),
    ] {
        phases.push(phase(name, sizes, &mut client, &mut next_batch, storm_on).await?);
    }
    on_standby.shutdown().await?;
    on_primary.shutdown().await?;
    drop((standby, primary));
    Ok(phases)
}

/// Pushes `sizes.batches` batches, timed, while the storm (if any) asks `storm_on`.
async fn phase(
    name: &'static str,
    sizes: &Sizes,
    client: &mut HqTransferClient,
    next_batch: &mut usize,
    storm_on: Option<&HqHandle>,
) -> anyhow::Result<Phase> {
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let mut storm = Vec::new();
    if let Some(hq) = storm_on {
        for client_idx in 0..sizes.storm {
            let url = hq.url().to_owned();
            let (stop, answered) = (Arc::clone(&stop), Arc::clone(&answered));
            storm.push(tokio::spawn(report_storm(url, client_idx, stop, answered)));
        }
        // Every client has its first report under way.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = answered.load(Ordering::Relaxed);
    let started = Instant::now();
    push_batches(client, sizes, next_batch, sizes.batches).await?;
    let elapsed = started.elapsed();
    let reports = answered.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    for task in storm {
        task.await.context("a storm client panicked")??;
    }
    Ok(Phase {
        name,
        lines_per_s: (sizes.batches * sizes.docs * sizes.lines) as f64 / elapsed.as_secs_f64(),
        reports,
        elapsed,
    })
}

/// Reports back to back until `stop`: sales by product and month, inventory, a ranking.
async fn report_storm(
    url: String,
    client_idx: usize,
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let mut client = report_client(&url, hq::TEST_ADMIN_TOKEN).await;
    let ask = |by: &[&str]| ReportRequest {
        org: "001".to_owned(),
        by: by.iter().map(|column| (*column).to_owned()).collect(),
        top: 10,
        ..ReportRequest::default()
    };
    let mut call_idx = client_idx;
    while !stop.load(Ordering::Relaxed) {
        match call_idx % 3 {
            0 => client.sales(ask(&["product", "month"])).await?,
            1 => client.inventory(ask(&[])).await?,
            _ => client.ranking(ask(&["product"])).await?,
        };
        answered.fetch_add(1, Ordering::Relaxed);
        call_idx += 1;
    }
    Ok(())
}

async fn register(url: &str) -> anyhow::Result<String> {
    hq::add_org(url, "001", "group").await?;
    hq::add_org(url, "001.001", "shenzhen").await?;
    let token = hq::add_branch(url, BRANCH, "001.001").await?;
    let products: Vec<BaseRecord> = (0..PRODUCTS)
        .map(|idx| BaseRecord::new(BaseKind::Product, &format!("P{idx:04}"), "product"))
        .collect();
    hq::import(url, BaseKind::Product, &products).await?;
    hq::import(
        url,
        BaseKind::Customer,
        &[BaseRecord::new(BaseKind::Customer, "C001", "c")],
    )
    .await?;
    let mut warehouse = BaseRecord::new(BaseKind::Warehouse, &format!("{BRANCH}-W"), "store");
    warehouse.branch = BRANCH.to_owned();
    hq::import(url, BaseKind::Warehouse, &[warehouse]).await?;
    Ok(token)
}

/// `n_batches` batches on one Push stream, each sent once the previous one is acknowledged.
async fn push_batches(
    client: &mut HqTransferClient,
    sizes: &Sizes,
    next_batch: &mut usize,
    n_batches: usize,
) -> anyhow::Result<()> {
    let batches: Vec<v1::PushBatch> = (*next_batch..*next_batch + n_batches)
        .map(|batch_idx| batch(sizes, batch_idx))
        .collect();
    *next_batch += n_batches;
    let (sender, receiver) = mpsc::channel(1);
    let mut acks = client
        .push(ReceiverStream::new(receiver))
        .await
        .context("opening the push stream")?
        .into_inner();
    for batch in batches {
        sender.send(batch).await.context("sending a batch")?;
        let ack = acks.message().await?.context("push stream ended early")?;
        ensure!(
            ack.applied as usize == sizes.docs,
            "applied {} of {}",
            ack.applied,
            sizes.docs
        );
    }
    Ok(())
}

fn batch(sizes: &Sizes, batch_idx: usize) -> v1::PushBatch {
    let entries = (0..sizes.docs)
        .map(|doc_idx| {
            let seq = (batch_idx * sizes.docs + doc_idx + 1) as u64;
            let body = EntryBody::Document(document(seq as usize, sizes.lines));
            (&OutboxEntry { seq, body }).into()
        })
        .collect();
    super::flooder::push_batch(BRANCH, entries)
}

/// A sales-out of `lines` lines, dated over the year 2025 so that reports by month have rows.
fn document(number: usize, lines: usize) -> Document {
    let (month, day) = (number % 12 + 1, number % 28 + 1);
    let date = format!("2025-{month:02}-{day:02}");
    super::sales_out(BRANCH, number, lines, PRODUCTS, &date)
}

fn print_table(sizes: &Sizes, phases: &[Phase], total: Duration) {
    println!(
        "bench standby: {} batches x {} documents x {} lines per phase on one Push stream (after {} \
         seed batches); storm: {} report clients back to back; PostgreSQL primary + hot standby, \
         fsync off, on this machine ({} CPUs)",
        sizes.batches,
        sizes.docs,
        sizes.lines,
        sizes.seed_batches,
        sizes.storm,
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    let baseline = phases.first().map_or(1.0, |phase| phase.lines_per_s);
    println!(
        "{:<24} {:>12} {:>10} {:>10} {:>12}",
        "phase", "lines/s", "vs alone", "seconds", "reports/s"
    );
    for phase in phases {
        let seconds = phase.elapsed.as_secs_f64();
        println!(
            "{:<24} {:>12.0} {:>10.2} {:>10.2} {:>12.1}",
            phase.name,
            phase.lines_per_s,
            phase.lines_per_s / baseline,
            seconds,
            phase.reports as f64 / seconds
        );
    }
    if let [_, on_standby, on_primary, ..] = phases {
        println!(
            "ingestion with the storm on the standby / on the primary: {:.2}",
            on_standby.lines_per_s / on_primary.lines_per_s
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load average after the run (1, 5, 15 min): {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!("whole run: {:.1} s", total.as_secs_f64());
}
