//! `bench hq-ingest`: HQ ingestion in document lines per second, through the real gRPC server
//! (one Push stream, batches of `BENCH_BATCH_DOCS` documents), into SQLite and into PostgreSQL,
//! each next to a same-run baseline writing the same rows straight into the same schema:
//! SQLite — batched prepared inserts in one transaction per batch (rusqlite);
//! PostgreSQL — COPY of the same rows, one COPY per table per batch, one transaction per batch.
//!
//! HQ runs twice per store: with the report roll-ups maintained (as in production) and with them
//! switched off (`delta::set_enabled_for_benchmark(false)`), to show what the roll-ups cost.
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

use super::{env_usize, median, settle_disk};
use crate::hq::{self, launch_hq, HqStoreKind};
use crate::postgres::{postgres_bin_dir, PgCluster};
use crate::process::TempDir;
use anyhow::{ensure, Context};
use branchline_proto::v1;
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{
    parse_date, to_scaled, BaseKind, BaseRecord, DocLine, DocType, Document, EntryBody, OutboxEntry,
};
use hq_server::store::ingest::reconcile;
use hq_server::store::rollup::delta;
use hq_server::store::Store;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const PRODUCTS: usize = 1000;
const CUSTOMERS: usize = 100;

struct Sizes {
    docs: usize,
    lines: usize,
    batch_docs: usize,
}

/// One measured figure.
struct Figure {
    round: usize,
    store: &'static str,
    /// HQ figures: whether roll-ups were maintained; `None` for a baseline.
    rollups: Option<bool>,
    method: String,
    lines: usize,
    elapsed: Duration,
    /// CPU time of the whole bench process over `elapsed` (HQ, its client, SQLite), HQ runs only.
    cpu_seconds: Option<f64>,
}

impl Figure {
    fn lines_per_second(&self) -> f64 {
        self.lines as f64 / self.elapsed.as_secs_f64()
    }
}

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
    delta::set_enabled_for_benchmark(rollups);
    let cpu_before = process_cpu_seconds();
    let pushed = push_all(&mut client, batches).await;
    let cpu_seconds = process_cpu_seconds() - cpu_before;
    delta::set_enabled_for_benchmark(true);
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

/// Batched prepared inserts of the same document and line rows, one transaction per batch.
fn sqlite_baseline(path: &std::path::Path, documents: &[Document], sizes: &Sizes) -> anyhow::Result<Figure> {
    let mut connection = rusqlite::Connection::open(path)?;
    connection.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    let started = Instant::now();
    for chunk in documents.chunks(sizes.batch_docs) {
        let tx = connection.transaction()?;
        {
            let mut insert_document = tx.prepare_cached(
                "INSERT INTO document (branch_id, number, epoch, seq, doc_type, doc_date, partner, warehouse, \
                 red_of, link_branch, link_number, amount, tax, total, checksum, received_at) \
                 VALUES (1, ?1, 1, ?2, ?3, ?4, ?5, ?6, NULL, NULL, NULL, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut insert_line = tx.prepare_cached(
                "INSERT INTO document_line (branch_id, number, line_no, product, qty, price, discount, tax_rate, \
                 amount, tax, total) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            for (idx, document) in chunk.iter().enumerate() {
                let totals = document.totals();
                insert_document.execute(rusqlite::params![
                    document.number,
                    idx as i64,
                    document.doc_type.as_str(),
                    "2026-01-05",
                    document.partner,
                    document.warehouse,
                    to_scaled(totals.amount, 2),
                    to_scaled(totals.tax, 2),
                    to_scaled(totals.total, 2),
                    "",
                    "2026-01-05T00:00:00Z",
                ])?;
                for (line_idx, line) in document.lines.iter().enumerate() {
                    let values = line.values();
                    insert_line.execute(rusqlite::params![
                        document.number,
                        line_idx as i64 + 1,
                        line.product,
                        to_scaled(line.qty, 4),
                        to_scaled(line.price, 6),
                        to_scaled(line.discount, 4),
                        to_scaled(line.tax_rate, 4),
                        to_scaled(values.amount, 2),
                        to_scaled(values.tax, 2),
                        to_scaled(values.total, 2),
                    ])?;
                }
            }
        }
        tx.commit()?;
    }
    Ok(Figure {
        round: 0,
        store: "SQLite",
        rollups: None,
        method: "baseline: batched prepared INSERTs (rusqlite)".into(),
        lines: documents.len() * sizes.lines,
        elapsed: started.elapsed(),
        cpu_seconds: None,
    })
}

/// COPY of the same document and line rows, one transaction per batch.
async fn postgres_copy_baseline(url: &str, documents: &[Document], sizes: &Sizes) -> anyhow::Result<Figure> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(url).await?;
    // Rendering the text rows is not timed: the baseline is the store's own best speed.
    let rendered: Vec<(String, String)> = documents.chunks(sizes.batch_docs).map(render_copy_rows).collect();
    let started = Instant::now();
    for (document_rows, line_rows) in rendered {
        let mut tx = connection.begin().await?;
        let mut copy = tx
            .copy_in_raw(
                "COPY document (branch_id, number, epoch, seq, doc_type, doc_date, partner, warehouse, red_of, \
                 link_branch, link_number, amount, tax, total, checksum, received_at) FROM STDIN",
            )
            .await?;
        copy.send(document_rows.into_bytes()).await?;
        copy.finish().await?;
        let mut copy = tx
            .copy_in_raw(
                "COPY document_line (branch_id, number, line_no, product, qty, price, discount, tax_rate, amount, \
                 tax, total) FROM STDIN",
            )
            .await?;
        copy.send(line_rows.into_bytes()).await?;
        copy.finish().await?;
        tx.commit().await?;
    }
    let elapsed = started.elapsed();
    connection.close().await?;
    Ok(Figure {
        round: 0,
        store: "PostgreSQL",
        rollups: None,
        method: "baseline: COPY (text format)".into(),
        lines: documents.len() * sizes.lines,
        elapsed,
        cpu_seconds: None,
    })
}

fn render_copy_rows(chunk: &[Document]) -> (String, String) {
    let mut document_rows = String::new();
    let mut line_rows = String::new();
    for (idx, document) in chunk.iter().enumerate() {
        let totals = document.totals();
        document_rows.push_str(&format!(
            "1\t{}\t1\t{idx}\t{}\t2026-01-05\t{}\t{}\t\\N\t\\N\t\\N\t{}\t{}\t{}\t\t2026-01-05T00:00:00Z\n",
            document.number,
            document.doc_type.as_str(),
            document.partner,
            document.warehouse,
            totals.amount,
            totals.tax,
            totals.total,
        ));
        for (line_idx, line) in document.lines.iter().enumerate() {
            let values = line.values();
            line_rows.push_str(&format!(
                "1\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                document.number,
                line_idx + 1,
                line.product,
                line.qty,
                line.price,
                line.discount,
                line.tax_rate,
                values.amount,
                values.tax,
                values.total,
            ));
        }
    }
    (document_rows, line_rows)
}

fn print_table(sizes: &Sizes, rounds: usize, figures: &[Figure]) {
    println!(
        "hq-ingest: {} documents x {} lines, {} documents per batch, {rounds} round(s) of interleaved passes",
        sizes.docs, sizes.lines, sizes.batch_docs
    );
    println!(
        "{:<11} {:>5} {:<48} {:>9} {:>10} {:>12} {:>12} {:>11}",
        "store", "round", "method", "lines", "seconds", "lines/s", "x baseline", "cores busy"
    );
    for store in ["SQLite", "PostgreSQL"] {
        let of_store: Vec<&Figure> = figures.iter().filter(|figure| figure.store == store).collect();
        if of_store.is_empty() {
            continue;
        }
        let rate = |round: usize, rollups: Option<bool>| {
            of_store
                .iter()
                .find(|figure| figure.round == round && figure.rollups == rollups)
                .map(|figure| figure.lines_per_second())
        };
        for figure in &of_store {
            let ratio = rate(figure.round, None).map_or("-".to_owned(), |baseline| {
                format!("{:.2}", figure.lines_per_second() / baseline)
            });
            let cores_busy = figure.cpu_seconds.map_or("-".to_owned(), |cpu_seconds| {
                format!("{:.2}", cpu_seconds / figure.elapsed.as_secs_f64())
            });
            println!(
                "{:<11} {:>5} {:<48} {:>9} {:>10.2} {:>12.0} {:>12} {:>11}",
                figure.store,
                figure.round + 1,
                figure.method,
                figure.lines,
                figure.elapsed.as_secs_f64(),
                figure.lines_per_second(),
                ratio,
                cores_busy
            );
        }
        // Ratios are taken within a round (passes minutes apart at most), then the median.
        let median_ratio = |numerator: Option<bool>, denominator: Option<bool>| {
            let ratios: Vec<f64> = (0..rounds)
                .filter_map(|round| Some(rate(round, numerator)? / rate(round, denominator)?))
                .collect();
            median(ratios)
        };
        let target = if store == "SQLite" { "0.5" } else { "0.3" };
        for (rollups, name) in [(Some(true), "on"), (Some(false), "off")] {
            if let Some(ratio) = median_ratio(rollups, None) {
                println!(
                    "{store}: roll-ups {name} x baseline, median of rounds = {ratio:.2} (target >= {target} with roll-ups on)"
                );
            }
        }
        if let Some(ratio) = median_ratio(Some(true), Some(false)) {
            println!("{store}: roll-ups on / off, median of rounds = {ratio:.2} (target >= 0.8)");
        }
    }
}
