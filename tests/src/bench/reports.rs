//! `bench reports`: consolidated report latency from the roll-ups against the same run's direct
//! full-scan GROUP BY over the stored lines, for a full year `--by org` and `--by org,product`,
//! on SQLite and PostgreSQL; and ingestion throughput with roll-ups on against off.
//!
//! Data: 50 organizations (one ledger each), 20,000 products, 200 customers, sales-outs of
//! `BENCH_REPORT_DOC_LINES` lines (default 10) on uniformly random days of 2025, products
//! uniformly random. `BENCH_REPORT_DAYS=ordered` dates each ledger's documents in the order of
//! their numbers instead, spread over the year, as a ledger's outbox is written day by day.
//! Loaded through the real ingestion path in-process (`store::ingest`, the same transaction that
//! maintains the roll-ups), skipping only gRPC.
//!
//! Sizes: `BENCH_REPORT_LINES` (comma list, default `1000000`; e.g. `1000000,10000000`),
//! `BENCH_REPORT_INGEST_LINES` for the with/without roll-ups comparison (default 1000000, the
//! issue's smaller size; 0 skips
//! it) and `BENCH_REPORT_INGEST_ROUNDS` (default 3: that many on / off pairs, each on fresh
//! databases, the order swapped every round, each pass after a sync(2); the median of the
//! rounds' ratios is the figure), `BENCH_REPORT_STORES` (`sqlite,postgres` by default),
//! `BENCH_REPORT_BATCH_DOCS` (documents per ingested batch, default 500),
//! `BENCH_REPORT_DIRECT_RUNS` (default 3; 0 skips the direct scan and the check that it equals
//! the roll-up report).
//!
//! Big sizes take long to load, so loaded databases may be kept and reused: `BENCH_REPORT_DIR`
//! keeps the SQLite files there, `BENCH_REPORT_PG_URL` (e.g. `postgres://postgres@127.0.0.1:5433`)
//! uses databases `bench_reports_N` of a running cluster instead of a harness cluster. A kept
//! database holding the expected documents is measured without loading again. The data set
//! and its loading are in `report_data`.

use super::report_data::{kept_pg_database, load, load_once, setup, Shape, BATCH_DOCS, CUSTOMERS, PRODUCTS};
use super::{env_usize, median, settle_disk};
use crate::postgres::{postgres_bin_dir, PgCluster};
use crate::process::TempDir;
use anyhow::Context;
use hq_server::store::report::consolidated;
use hq_server::store::report::query::ReportQuery;
use hq_server::store::rollup::fold;
use hq_server::store::Store;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn env_text(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// One report latency figure.
struct Latency {
    store: &'static str,
    lines: usize,
    by: &'static str,
    rows: usize,
    /// With the pending roll-up rows the load left.
    rollup: Duration,
    /// After HQ's idle fold (`fold::fold_pending`): blocks only.
    folded: Duration,
    direct: Duration,
}

/// One ingestion figure: lines per second with roll-ups on and off, round by round.
struct Throughput {
    store: &'static str,
    lines: usize,
    rounds: Vec<(f64, f64)>,
}

/// Where the report databases live, and whether they outlive the run.
struct Places {
    /// SQLite files: `BENCH_REPORT_DIR` (kept, reused when loaded) or a temporary directory.
    sqlite_dir: PathBuf,
    _temp: Option<TempDir>,
    /// PostgreSQL: `BENCH_REPORT_PG_URL` (a cluster kept between runs) or the harness cluster.
    pg_base: Option<String>,
    cluster: Option<PgCluster>,
}

/// What the environment asks this run to measure.
struct Settings {
    sizes: Vec<usize>,
    ingest_lines: usize,
    ingest_rounds: usize,
    shape: Shape,
    direct_runs: usize,
    stores: String,
}

impl Settings {
    fn from_env() -> anyhow::Result<Settings> {
        let sizes: Vec<usize> = env_text("BENCH_REPORT_LINES", "1000000")
            .split(',')
            .map(|size| size.trim().parse().context("BENCH_REPORT_LINES"))
            .collect::<anyhow::Result<_>>()?;
        let shape = Shape {
            orgs: 50,
            doc_lines: env_text("BENCH_REPORT_DOC_LINES", "10").parse()?,
            batch_docs: env_text("BENCH_REPORT_BATCH_DOCS", &BATCH_DOCS.to_string()).parse()?,
            ordered_days: match env_text("BENCH_REPORT_DAYS", "random").as_str() {
                "random" => false,
                "ordered" => true,
                other => anyhow::bail!("BENCH_REPORT_DAYS must be random or ordered, not {other:?}"),
            },
        };
        Ok(Settings {
            sizes,
            ingest_lines: env_text("BENCH_REPORT_INGEST_LINES", "1000000").parse()?,
            ingest_rounds: env_usize("BENCH_REPORT_INGEST_ROUNDS", 3).max(1),
            shape,
            direct_runs: env_text("BENCH_REPORT_DIRECT_RUNS", "3").parse()?,
            stores: env_text("BENCH_REPORT_STORES", "sqlite,postgres"),
        })
    }
}

impl Places {
    fn from_env(stores: &str) -> anyhow::Result<Places> {
        let mut places = match std::env::var("BENCH_REPORT_DIR") {
            Ok(dir) => {
                std::fs::create_dir_all(&dir).with_context(|| format!("creating {dir}"))?;
                Places {
                    sqlite_dir: PathBuf::from(dir),
                    _temp: None,
                    pg_base: None,
                    cluster: None,
                }
            }
            Err(_) => {
                let temp = TempDir::new("bench-reports")?;
                Places {
                    sqlite_dir: temp.path().to_owned(),
                    _temp: Some(temp),
                    pg_base: None,
                    cluster: None,
                }
            }
        };
        if stores.contains("postgres") {
            if let Ok(url) = std::env::var("BENCH_REPORT_PG_URL") {
                places.pg_base = Some(url);
            } else if postgres_bin_dir().is_some() {
                places.cluster = Some(PgCluster::start(true)?);
            } else {
                eprintln!("NOTICE: PostgreSQL server binaries not found; PostgreSQL figures skipped");
            }
        }
        Ok(places)
    }
}

pub fn run() -> anyhow::Result<()> {
    // The in-process HQ runs with the allocator settings of the `hq-server` process.
    hq_server::memory::keep_freed_memory();
    let settings = Settings::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let places = Places::from_env(&settings.stores)?;
    let mut latencies = Vec::new();
    let mut throughputs = Vec::new();
    runtime.block_on(async {
        if settings.stores.contains("sqlite") {
            measure_sqlite(&settings, &places, &mut latencies, &mut throughputs).await?;
        }
        if let Some(cluster) = &places.cluster {
            measure_postgres(&settings, cluster, &mut latencies, &mut throughputs).await?;
        }
        if let Some(base) = &places.pg_base {
            for &lines in &settings.sizes {
                let url = kept_pg_database(base, &format!("bench_reports_{lines}")).await?;
                let shape = settings.shape;
                latencies
                    .extend(measure_reports("PostgreSQL", &url, lines, shape, settings.direct_runs).await?);
            }
        }
        anyhow::Ok(())
    })?;
    print_tables(&latencies, &throughputs, settings.shape);
    Ok(())
}

/// The SQLite figures: ingestion into fresh files, then the reports of every size.
async fn measure_sqlite(
    settings: &Settings,
    places: &Places,
    latencies: &mut Vec<Latency>,
    throughputs: &mut Vec<Throughput>,
) -> anyhow::Result<()> {
    let root = places.sqlite_dir.clone();
    let url_of = move |name: &str| format!("sqlite://{}", root.join(format!("{name}.db")).display());
    let shape = settings.shape;
    if settings.ingest_lines > 0 {
        let fresh = |name: String| {
            let path = places.sqlite_dir.join(format!("{name}.db"));
            let url = url_of(&name);
            async move {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                Ok(url)
            }
        };
        let (lines, rounds) = (settings.ingest_lines, settings.ingest_rounds);
        throughputs.push(measure_ingestion("SQLite", fresh, lines, rounds, shape).await?);
    }
    for &lines in &settings.sizes {
        let url = url_of(&format!("reports_{lines}"));
        latencies.extend(measure_reports("SQLite", &url, lines, shape, settings.direct_runs).await?);
    }
    Ok(())
}

/// The figures on the harness's PostgreSQL cluster, a fresh database for each.
async fn measure_postgres(
    settings: &Settings,
    cluster: &PgCluster,
    latencies: &mut Vec<Latency>,
    throughputs: &mut Vec<Throughput>,
) -> anyhow::Result<()> {
    let shape = settings.shape;
    if settings.ingest_lines > 0 {
        let fresh = |name: String| async move { cluster.database(&name).await };
        let (lines, rounds) = (settings.ingest_lines, settings.ingest_rounds);
        throughputs.push(measure_ingestion("PostgreSQL", fresh, lines, rounds, shape).await?);
    }
    for &lines in &settings.sizes {
        let url = cluster.database(&format!("reports_{lines}")).await?;
        latencies.extend(measure_reports("PostgreSQL", &url, lines, shape, settings.direct_runs).await?);
    }
    Ok(())
}

/// Ingests `lines` lines into fresh databases with roll-ups on and off, `rounds` times, the
/// order swapped every round and each pass after a sync(2); `fresh` answers the URL of a new,
/// empty database of the given name (on SQLite the file of that name, removed first, so a kept
/// `BENCH_REPORT_DIR` holds one file per state).
async fn measure_ingestion<F, Fut>(
    store_name: &'static str,
    fresh: F,
    lines: usize,
    rounds: usize,
    shape: Shape,
) -> anyhow::Result<Throughput>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>>,
{
    let mut measured = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut rates = [0.0; 2];
        let mut order = [(0, true), (1, false)];
        if round % 2 == 1 {
            order.reverse();
        }
        for (slot, enabled) in order {
            let state = if enabled { "on" } else { "off" };
            eprintln!(
                "{store_name}: round {}: ingesting {lines} lines with roll-ups {state}",
                round + 1
            );
            let store = Store::open(&fresh(format!("ingest_{state}")).await?, 4).await?;
            let branches = setup(&store, shape.orgs).await?;
            settle_disk();
            hq_server::bench_switches::set_rollups(enabled);
            let elapsed = load(&store, &branches, lines, shape).await;
            hq_server::bench_switches::set_rollups(true);
            rates[slot] = lines as f64 / elapsed?.as_secs_f64();
            store.close().await;
        }
        measured.push((rates[0], rates[1]));
    }
    Ok(Throughput {
        store: store_name,
        lines,
        rounds: measured,
    })
}

/// The median of `runs` (at least one) timings of `call`, and its last answer.
async fn time_median<F, Fut, T>(runs: usize, mut call: F) -> anyhow::Result<(Duration, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut timings = Vec::with_capacity(runs);
    let mut answer = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let answered = call().await?;
        timings.push(started.elapsed());
        // The previous answer is dropped here, outside the timing (a million rows take a while
        // to free).
        answer = Some(answered);
    }
    timings.sort();
    Ok((timings[timings.len() / 2], answer.expect("at least one run")))
}

async fn measure_reports(
    store_name: &'static str,
    url: &str,
    lines: usize,
    shape: Shape,
    direct_runs: usize,
) -> anyhow::Result<Vec<Latency>> {
    let store = Store::open(url, 4).await?;
    load_once(store_name, &store, url, lines, shape).await?;
    let mut figures = Vec::new();
    for by in ["org", "org,product"] {
        let query = ReportQuery::parse("001", "2025-01-01", "2025-12-31", &[by.to_owned()])?;
        let (rollup, from_rollups) =
            time_median(5, || async { Ok(consolidated::sales(&store, &query).await?) }).await?;
        // `BENCH_REPORT_DIRECT_RUNS=0`: no direct scan and no comparison (profiling the roll-up
        // read alone).
        let direct = if direct_runs == 0 {
            Duration::ZERO
        } else {
            let (direct, scanned) = time_median(direct_runs, || async {
                Ok(consolidated::sales_direct(&store, &query).await?)
            })
            .await?;
            anyhow::ensure!(
                from_rollups == scanned,
                "the roll-up report differs from the direct scan for --by {by}"
            );
            direct
        };
        let rows = from_rollups.rows.len();
        figures.push(Latency {
            store: store_name,
            lines,
            by,
            rows,
            rollup,
            folded: Duration::ZERO,
            direct,
        });
    }
    let mut connection = crate::hq_db::HqDb::connect(url).await?;
    let pending = connection.integer("SELECT COUNT(*) FROM rollup_pending").await?;
    connection.close().await?;
    let started = Instant::now();
    let branches = fold::fold_pending(&store).await?;
    eprintln!(
        "{store_name}: {pending} pending roll-up rows of {branches} branches folded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for figure in &mut figures {
        let query = ReportQuery::parse("001", "2025-01-01", "2025-12-31", &[figure.by.to_owned()])?;
        let (folded, report) =
            time_median(5, || async { Ok(consolidated::sales(&store, &query).await?) }).await?;
        anyhow::ensure!(
            report.rows.len() == figure.rows,
            "the fold changed the --by {} report",
            figure.by
        );
        figure.folded = folded;
    }
    store.close().await;
    Ok(figures)
}

fn print_tables(latencies: &[Latency], throughputs: &[Throughput], shape: Shape) {
    println!("reports: full year 2025, --org 001 (50 ledgers), {PRODUCTS} products, {CUSTOMERS} customers");
    println!("(roll-up ms: with the pending rows the load left; folded ms: after HQ's idle fold)");
    println!(
        "{:<11} {:>10} {:<12} {:>8} {:>12} {:>10} {:>12} {:>9}",
        "store", "lines", "--by", "rows", "roll-up ms", "folded ms", "direct ms", "speed-up"
    );
    for figure in latencies {
        println!(
            "{:<11} {:>10} {:<12} {:>8} {:>12.1} {:>10.1} {:>12.1} {:>8.0}x",
            figure.store,
            figure.lines,
            figure.by,
            figure.rows,
            figure.rollup.as_secs_f64() * 1000.0,
            figure.folded.as_secs_f64() * 1000.0,
            figure.direct.as_secs_f64() * 1000.0,
            figure.direct.as_secs_f64() / figure.rollup.as_secs_f64()
        );
    }
    println!();
    println!(
        "ingestion (in-process store::ingest, {} documents per batch, days {})",
        shape.batch_docs,
        if shape.ordered_days {
            "in number order"
        } else {
            "random"
        }
    );
    println!(
        "{:<11} {:>10} {:>7} {:>16} {:>16} {:>8}",
        "store", "lines", "round", "roll-ups on/s", "roll-ups off/s", "ratio"
    );
    for figure in throughputs {
        for (round, (on, off)) in figure.rounds.iter().enumerate() {
            println!(
                "{:<11} {:>10} {:>7} {:>16.0} {:>16.0} {:>8.2}",
                figure.store,
                figure.lines,
                round + 1,
                on,
                off,
                on / off
            );
        }
        let ratios = figure.rounds.iter().map(|(on, off)| on / off).collect();
        let median_ratio = median(ratios).unwrap_or(f64::NAN);
        println!(
            "{:<11} {:>10} {:>7} {:>16} {:>16} {:>8.2}",
            figure.store, figure.lines, "median", "", "", median_ratio
        );
    }
}
