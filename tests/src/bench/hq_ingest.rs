//! `bench hq-ingest`: HQ ingestion in document lines per second, through the real gRPC server
//! (one Push stream, batches of `BENCH_BATCH_DOCS` documents), into SQLite and into PostgreSQL,
//! each next to a same-run baseline writing the same rows straight into the same schema:
//! SQLite — batched prepared inserts in one transaction per batch (rusqlite);
//! PostgreSQL — COPY of the same rows, one COPY per table per batch, one transaction per batch.
//!
//! HQ runs twice per store: with the report roll-ups maintained (as in production) and with them
//! switched off (`hq_server::bench_switches::set_rollups(false)`), to show what the roll-ups cost.
//! The passes are interleaved: `BENCH_ROUNDS` rounds (default 3), each running every pass once in
//! an order rotated from round to round, each after a sync(2) of what earlier passes left dirty. A
//! ratio is taken within each round, and the median of the rounds' ratios is the figure.
//!
//! Sizes: `BENCH_DOCS` documents (default 20000) of `BENCH_LINES` lines (default 10).
//! `BENCH_STORES` (default `sqlite,postgres`) picks the stores, e.g. `sqlite` to profile one;
//! `BENCH_ROLLUPS` (default `on,off`) picks the HQ passes, e.g. `on` to profile that one alone.
//! `BENCH_PG_URL` (e.g. `postgres://postgres@127.0.0.1:5433`) runs the PostgreSQL passes in fresh
//! databases of a running cluster instead of a throwaway one (to watch them with
//! `pg_stat_statements`); the cluster should be durable (fsync on) like the throwaway one.

use super::hq_ingest_baseline::{postgres_copy_baseline, sqlite_baseline};
use super::hq_ingest_table::{print_table, Figure, Sizes};
use super::{env_usize, settle_disk};
use crate::hq::{self, launch_hq, HqStoreKind};
use crate::postgres::{postgres_bin_dir, PgCluster};
use crate::process::TempDir;
use anyhow::{ensure, Context};
use branchline_proto::v1;
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{
    parse_date, BaseKind, BaseRecord, DocLine, DocType, Document, EntryBody, OutboxEntry,
};
use hq_server::store::ingest::reconcile;
use hq_server::store::Store;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const PRODUCTS: usize = 1000;
const CUSTOMERS: usize = 100;

pub fn run() -> anyhow::Result<()> {
    // The in-process HQ runs with the allocator settings of the `hq-server` process.
    hq_server::memory::keep_freed_memory();
    let sizes = Sizes {
        docs: env_usize("BENCH_DOCS", 20_000),
        lines: env_usize("BENCH_LINES", 10),
        batch_docs: env_usize("BENCH_BATCH_DOCS", 500),
    };
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let documents = make_documents(&sizes);

    let stores = std::env::var("BENCH_STORES").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let wants = |store: &str| stores.split(',').any(|name| name.trim() == store);
    let passes = std::env::var("BENCH_ROLLUPS").unwrap_or_else(|_| "on,off".to_owned());
    let mut kinds: Vec<Pass> = [Pass::Hq { rollups: true }, Pass::Hq { rollups: false }]
        .into_iter()
        .filter(|pass| passes.split(',').any(|name| name.trim() == pass.rollups_name()))
        .collect();
    kinds.push(Pass::Baseline);
    let dir = TempDir::new("bench-hq-ingest")?;
    let postgres = if !wants("postgres") {
        None
    } else if let Ok(url) = std::env::var("BENCH_PG_URL") {
        Some(PgPlace::Running(url))
    } else if postgres_bin_dir().is_some() {
        Some(PgPlace::Throwaway(PgCluster::start(true)?))
    } else {
        eprintln!("NOTICE: PostgreSQL server binaries not found; PostgreSQL figures skipped");
        None
    };
    let mut figures = Vec::new();
    for round in 0..rounds {
        // Each round runs every pass once, in an order rotated from round to round, so that a
        // slow spell of the machine or the disk falls on different passes.
        let mut order = kinds.clone();
        let turn = round % order.len();
        order.rotate_left(turn);
        for &pass in &order {
            if wants("sqlite") {
                let figure = runtime.block_on(sqlite_pass(pass, &dir, round, &documents, &sizes))?;
                figures.push(Figure { round, ..figure });
            }
            if let Some(place) = &postgres {
                let figure = runtime.block_on(postgres_pass(pass, place, &documents, &sizes))?;
                figures.push(Figure { round, ..figure });
            }
        }
    }
    print_table(&sizes, rounds, &figures);
    Ok(())
}

/// One timed pass over all the documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Through a real HQ, with the roll-ups maintained or not.
    Hq { rollups: bool },
    /// The same rows written straight into the same schema.
    Baseline,
}

impl Pass {
    fn rollups_name(self) -> &'static str {
        match self {
            Pass::Hq { rollups: true } => "on",
            Pass::Hq { rollups: false } => "off",
            Pass::Baseline => "baseline",
        }
    }
}

async fn sqlite_pass(
    pass: Pass,
    dir: &TempDir,
    round: usize,
    documents: &[Document],
    sizes: &Sizes,
) -> anyhow::Result<Figure> {
    let figure = match pass {
        Pass::Hq { rollups } => ingest(HqStoreKind::Sqlite, documents, sizes, rollups).await?,
        Pass::Baseline => {
            let path = dir.join(format!("baseline-{round}.db"));
            Store::open(&format!("sqlite://{}", path.display()), 1)
                .await?
                .close()
                .await;
            settle_disk();
            sqlite_baseline(&path, documents, sizes)?
        }
    };
    Ok(Figure {
        store: "SQLite",
        ..figure
    })
}

/// A pass in a fresh database of the PostgreSQL cluster.
async fn postgres_pass(
    pass: Pass,
    place: &PgPlace,
    documents: &[Document],
    sizes: &Sizes,
) -> anyhow::Result<Figure> {
    let url = place
        .database(&format!("bench_ingest_{}", pass.rollups_name()))
        .await?;
    let figure = match pass {
        Pass::Hq { rollups } => ingest(HqStoreKind::Url(url), documents, sizes, rollups).await?,
        Pass::Baseline => {
            Store::open(&url, 1).await?.close().await;
            settle_disk();
            postgres_copy_baseline(&url, documents, sizes).await?
        }
    };
    Ok(Figure {
        store: "PostgreSQL",
        ..figure
    })
}

/// Where the PostgreSQL passes run.
enum PgPlace {
    /// A running cluster (`BENCH_PG_URL`, without a database name).
    Running(String),
    Throwaway(PgCluster),
}

impl PgPlace {
    /// A fresh database for one pass; in a running cluster, database `label`, dropped first if a
    /// previous run left it.
    async fn database(&self, label: &str) -> anyhow::Result<String> {
        use sqlx::{Connection, Executor};
        match self {
            PgPlace::Throwaway(cluster) => cluster.database(label).await,
            PgPlace::Running(base) => {
                let base = base.trim_end_matches('/');
                let name = label;
                let mut connection = sqlx::PgConnection::connect(&format!("{base}/postgres"))
                    .await
                    .with_context(|| format!("connecting to BENCH_PG_URL {base}"))?;
                connection
                    .execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
                    .await?;
                connection
                    .execute(format!("CREATE DATABASE {name}").as_str())
                    .await?;
                connection.close().await?;
                Ok(format!("{base}/{name}"))
            }
        }
    }
}

fn make_documents(sizes: &Sizes) -> Vec<Document> {
    let date = parse_date("2026-01-05").expect("date");
    (0..sizes.docs)
        .map(|doc_idx| Document {
            number: format!("SZ-{:07}", doc_idx + 1),
            doc_type: DocType::SalesOut,
            date,
            partner: format!("C{:04}", doc_idx % CUSTOMERS),
            warehouse: "SZ-W".into(),
            to_warehouse: String::new(),
            red_of: None,
            lines: (0..sizes.lines)
                .map(|line_idx| DocLine {
                    product: format!("P{:05}", (doc_idx * 7 + line_idx * 13) % PRODUCTS),
                    qty: Decimal::new((doc_idx % 50 + line_idx + 1) as i64 * 25, 2),
                    price: Decimal::new(2150 + line_idx as i64, 2),
                    discount: Decimal::new(4, 2),
                    tax_rate: Decimal::new(13, 2),
                })
                .collect(),
            link: None,
        })
        .collect()
}

fn master_records(kind: BaseKind, prefix: &str, width: usize, count: usize) -> Vec<BaseRecord> {
    (0..count)
        .map(|idx| BaseRecord::new(kind, &format!("{prefix}{idx:0width$}"), &format!("{kind} {idx}")))
        .collect()
}

/// Pushes every document through a real HQ and measures first send to last ack; `rollups`
/// false switches roll-up maintenance off for the run.
async fn ingest(
    store: HqStoreKind,
    documents: &[Document],
    sizes: &Sizes,
    rollups: bool,
) -> anyhow::Result<Figure> {
    let hq_handle = launch_hq(store).await;
    let url = hq_handle.url().to_owned();
    hq::add_org(&url, "001", "group").await?;
    let token = hq::add_branch(&url, "SZ", "001").await?;
    hq::import(
        &url,
        BaseKind::Product,
        &master_records(BaseKind::Product, "P", 5, PRODUCTS),
    )
    .await?;
    hq::import(
        &url,
        BaseKind::Customer,
        &master_records(BaseKind::Customer, "C", 4, CUSTOMERS),
    )
    .await?;
    hq::import(
        &url,
        BaseKind::Warehouse,
        &[BaseRecord::new(BaseKind::Warehouse, "SZ-W", "store")],
    )
    .await?;
    let batches: Vec<v1::PushBatch> = documents
        .chunks(sizes.batch_docs)
        .enumerate()
        .map(|(batch_idx, chunk)| v1::PushBatch {
            protocol_version: PROTOCOL_VERSION,
            epoch: 1,
            backlog: 0,
            backlog_documents: 0,
            branch: "SZ".into(),
            entries: chunk
                .iter()
                .enumerate()
                .map(|(idx, document)| {
                    let seq = (batch_idx * sizes.batch_docs + idx + 1) as u64;
                    (&OutboxEntry {
                        seq,
                        body: EntryBody::Document(document.clone()),
                    })
                        .into()
                })
                .collect(),
        })
        .collect();
    let mut client = hq_handle.transfer(&token).await;
    settle_disk();
    hq_server::bench_switches::set_rollups(rollups);
    let cpu_before = process_cpu_seconds();
    let pushed = push_all(&mut client, batches).await;
    let cpu_seconds = process_cpu_seconds() - cpu_before;
    hq_server::bench_switches::set_rollups(true);
    let (elapsed, last_ack) = pushed?;
    let last_ack = last_ack.context("no ack")?;
    ensure!(
        last_ack.acked_seq == documents.len() as u64,
        "HQ acked {} of {}",
        last_ack.acked_seq,
        documents.len()
    );

    // Pair assertion (not timed): HQ holds exactly what was sent.
    let store = hq_handle.open_store().await?;
    let totals = reconcile::totals(&store, &hq::branch_ref(&store, "SZ").await?).await?;
    let sent_amount: Decimal = documents.iter().map(|document| document.totals().amount).sum();
    ensure!(
        totals.documents == documents.len() as u64 && totals.amount == sent_amount,
        "HQ totals differ"
    );
    store.close().await;
    hq_handle.shutdown().await?;
    Ok(Figure {
        round: 0,
        store: "",
        rollups: Some(rollups),
        method: format!("hq-server Push, roll-ups {}", if rollups { "on" } else { "off" }),
        lines: documents.len() * sizes.lines,
        elapsed,
        cpu_seconds: Some(cpu_seconds),
    })
}

/// User plus system CPU time of this process so far, in seconds.
fn process_cpu_seconds() -> f64 {
    // SAFETY: an all-zero rusage is a valid value for getrusage to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to an rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let seconds = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Sends all batches on one Push stream; the time from the first send to the last ack.
async fn push_all(
    client: &mut hq::HqTransferClient,
    batches: Vec<v1::PushBatch>,
) -> anyhow::Result<(Duration, Option<v1::PushAck>)> {
    let n_batches = batches.len();
    let started = Instant::now();
    let mut acks = client.push(tokio_stream::iter(batches)).await?.into_inner();
    let mut last_ack = None;
    for _ in 0..n_batches {
        last_ack = acks.message().await?;
    }
    Ok((started.elapsed(), last_ack))
}
