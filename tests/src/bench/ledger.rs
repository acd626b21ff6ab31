//! `bench ledger`: bulk `doc import` lines/s against raw rusqlite inserts of the same number of
//! line rows, and interactive confirmed documents/s (synchronous=FULL) against the bare commit
//! rate — each baseline measured in the same run, on the same disk.
//!
//! Sizes: `BRANCHLINE_BENCH_DOCS` (default 20000) documents of `BRANCHLINE_BENCH_LINES` (5)
//! lines, best of 3 rounds; `BRANCHLINE_BENCH_INTERACTIVE` (2000) interactive documents and as
//! many bare commits, interleaved in rounds of `BRANCHLINE_BENCH_ROUND` (50) so that the disk's
//! changing fsync rate hits both alike; the ratio reported is the median of the rounds' ratios.

use super::env_usize;
use crate::ledger::{documents_jsonl, product_code, seed_ledger, seed_warehouse, TestRng, SEED_PRODUCTS};
use crate::process::{find_binary, TempDir};
use anyhow::Context;
use branch_node::Ledger;
use branchline_shared::{DocLine, DocType, Document};
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;

/// One row of the printed table.
struct Figure {
    case: String,
    value: f64,
    unit: &'static str,
    baseline: f64,
    baseline_unit: &'static str,
    /// `value / baseline`, or the median of per-round ratios.
    ratio: f64,
    target: f64,
}

pub fn run() -> anyhow::Result<()> {
    let n_docs = env_usize("BRANCHLINE_BENCH_DOCS", 20_000);
    let lines_per_doc = env_usize("BRANCHLINE_BENCH_LINES", 5);
    let n_interactive = env_usize("BRANCHLINE_BENCH_INTERACTIVE", 2000);
    let round_size = env_usize("BRANCHLINE_BENCH_ROUND", 50).max(1);
    let dir = TempDir::new("bench-ledger")?;
    let (jsonl, summary) = documents_jsonl("SZ", n_docs, lines_per_doc, 42);
    let n_lines = summary.lines as usize;

    let mut figures = Vec::new();
    let mut import_best = Duration::MAX;
    let mut baseline_best = Duration::MAX;
    let mut process_best: Option<Duration> = None;
    for round in 0..ROUNDS {
        import_best = import_best.min(time_library_import(&dir, round, &jsonl)?);
        baseline_best = baseline_best.min(time_raw_inserts(&dir, round, &jsonl, n_lines)?);
        if let Some(elapsed) = time_process_import(&dir, round, &jsonl)? {
            process_best = Some(process_best.map_or(elapsed, |best| best.min(elapsed)));
        }
    }
    let baseline = n_lines as f64 / baseline_best.as_secs_f64();
    let value = n_lines as f64 / import_best.as_secs_f64();
    figures.push(Figure {
        case: "bulk doc import, library".to_owned(),
        value,
        unit: "lines/s",
        baseline,
        baseline_unit: "rows/s",
        ratio: value / baseline,
        target: 0.4,
    });
    if let Some(process_best) = process_best {
        let value = n_lines as f64 / process_best.as_secs_f64();
        figures.push(Figure {
            case: "bulk doc import, branch-node process".to_owned(),
            value,
            unit: "lines/s",
            baseline,
            baseline_unit: "rows/s",
            ratio: value / baseline,
            target: 0.4,
        });
    }

    let rounds = time_interactive_rounds(&dir, n_interactive, round_size)?;
    figures.extend(interactive_figures(&rounds));
    let n_rounds = rounds.len();

    println!(
        "bench ledger: {n_docs} documents x {lines_per_doc} lines ({n_lines} lines) imported; \
         best of {ROUNDS}; {n_interactive} interactive documents and bare commits in {n_rounds} interleaved rounds"
    );
    println!(
        "{:<38} {:>16} {:>18} {:>7} {:>7}",
        "case", "figure", "baseline", "ratio", "target"
    );
    for figure in &figures {
        let ratio = figure.ratio;
        println!(
            "{:<38} {:>16} {:>18} {:>7.2} {:>7}",
            figure.case,
            format!("{:.0} {}", figure.value, figure.unit),
            format!("{:.0} {}", figure.baseline, figure.baseline_unit),
            ratio,
            format!(">= {:.1}", figure.target),
        );
    }
    let ratios: Vec<String> = rounds
        .iter()
        .map(|round| format!("{:.2}", round.ratio()))
        .collect();
    println!("interactive round ratios, in order: {}", ratios.join(" "));
    Ok(())
}

/// `Ledger::import_documents` of the whole file into a freshly seeded ledger.
fn time_library_import(dir: &TempDir, round: usize, jsonl: &str) -> anyhow::Result<Duration> {
    let ledger = seed_ledger(&dir.join(format!("import-{round}.db")), "SZ")?;
    let started = Instant::now();
    ledger.import_documents(jsonl.as_bytes(), &mut |_| {})?;
    Ok(started.elapsed())
}

/// `branch-node doc import` as a process (file read, open, import), when the binary is built.
fn time_process_import(dir: &TempDir, round: usize, jsonl: &str) -> anyhow::Result<Option<Duration>> {
    let Some(binary) = find_binary("branch-node") else {
        return Ok(None);
    };
    let ledger_path = dir.join(format!("process-{round}.db"));
    drop(seed_ledger(&ledger_path, "SZ")?);
    let file = dir.join(format!("docs-{round}.jsonl"));
    std::fs::write(&file, jsonl)?;
    let started = Instant::now();
    let status = std::process::Command::new(binary)
        .arg("--ledger")
        .arg(&ledger_path)
        .args(["doc", "import"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .status()?;
    let elapsed = started.elapsed();
    anyhow::ensure!(status.success(), "branch-node doc import failed");
    Ok(Some(elapsed))
}

/// The baseline: the same number of line rows (the file's own values, parsed beforehand and
/// not timed) inserted with one cached prepared statement into one table, in one transaction,
/// WAL, synchronous=NORMAL.
fn time_raw_inserts(dir: &TempDir, round: usize, jsonl: &str, n_lines: usize) -> anyhow::Result<Duration> {
    let mut rows: Vec<(String, i64, String, i64, i64, i64, i64)> = Vec::with_capacity(n_lines);
    for line in jsonl.lines() {
        let document = branchline_shared::parse_document_json(line).context("bench file")?;
        for (line_idx, doc_line) in document.lines.iter().enumerate() {
            rows.push((
                document.number.clone(),
                line_idx as i64 + 1,
                doc_line.product.clone(),
                branchline_shared::to_scaled(doc_line.qty, 4),
                branchline_shared::to_scaled(doc_line.price, 6),
                branchline_shared::to_scaled(doc_line.discount, 4),
                branchline_shared::to_scaled(doc_line.tax_rate, 4),
            ));
        }
    }
    anyhow::ensure!(rows.len() == n_lines);
    let conn = rusqlite::Connection::open(dir.join(format!("raw-{round}.db")))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE line (doc_number TEXT NOT NULL, line_no INTEGER NOT NULL, product TEXT NOT NULL,
             qty INTEGER NOT NULL, price INTEGER NOT NULL, discount INTEGER NOT NULL, tax_rate INTEGER NOT NULL)",
    )?;
    let started = Instant::now();
    let tx = conn.unchecked_transaction()?;
    {
        let mut statement = tx.prepare_cached("INSERT INTO line VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
        for row in &rows {
            statement.execute(rusqlite::params![row.0, row.1, row.2, row.3, row.4, row.5, row.6])?;
        }
    }
    tx.commit()?;
    Ok(started.elapsed())
}

/// One interleaved round: `round_size` bare commits and as many confirmed documents.
struct InteractiveRound {
    size: usize,
    confirms: Duration,
    commits: Duration,
}

impl InteractiveRound {
    /// Confirmed documents/s over bare commits/s (same count, so commit time over confirm time).
    fn ratio(&self) -> f64 {
        self.commits.as_secs_f64() / self.confirms.as_secs_f64()
    }
}

/// Interleaves `Ledger::add_document` of confirmed 3-line sales (one transaction each, the
/// ledger's synchronous=FULL) with the ceiling, one tiny write transaction per commit on a WAL
/// file with synchronous=FULL, both on the same file system: rounds of `round_size` of each,
/// alternating which goes first, `n_docs` of each in all.
fn time_interactive_rounds(
    dir: &TempDir,
    n_docs: usize,
    round_size: usize,
) -> anyhow::Result<Vec<InteractiveRound>> {
    let ledger: Ledger = seed_ledger(&dir.join("interactive.db"), "SZ")?;
    let (opening, _) = documents_jsonl("SZ", 1, 1, 9);
    ledger.import_documents(opening.as_bytes(), &mut |_| {})?;
    let commits = rusqlite::Connection::open(dir.join("commits.db"))?;
    commits.pragma_update(None, "journal_mode", "WAL")?;
    commits.pragma_update(None, "synchronous", "FULL")?;
    commits.execute_batch("CREATE TABLE counter (x INTEGER NOT NULL); INSERT INTO counter VALUES (0);")?;
    let mut rng = TestRng::new(7);
    let mut rounds = Vec::new();
    let mut done = 0;
    while done < n_docs {
        let size = round_size.min(n_docs - done);
        let documents: Vec<Document> = (0..size).map(|_| interactive_document(&mut rng)).collect();
        let time_confirms = |documents: Vec<Document>| -> anyhow::Result<Duration> {
            let started = Instant::now();
            for document in documents {
                ledger.add_document(document, false)?;
            }
            Ok(started.elapsed())
        };
        let time_commits = || -> anyhow::Result<Duration> {
            let started = Instant::now();
            for _ in 0..size {
                commits.execute_batch("BEGIN IMMEDIATE; UPDATE counter SET x = x + 1; COMMIT;")?;
            }
            Ok(started.elapsed())
        };
        let round = if rounds.len() % 2 == 0 {
            let commits = time_commits()?;
            let confirms = time_confirms(documents)?;
            InteractiveRound {
                size,
                confirms,
                commits,
            }
        } else {
            let confirms = time_confirms(documents)?;
            let commits = time_commits()?;
            InteractiveRound {
                size,
                confirms,
                commits,
            }
        };
        rounds.push(round);
        done += size;
    }
    Ok(rounds)
}

/// The interactive rows: the median round (by ratio), and the totals over all rounds.
fn interactive_figures(rounds: &[InteractiveRound]) -> Vec<Figure> {
    let mut by_ratio: Vec<&InteractiveRound> = rounds.iter().collect();
    by_ratio.sort_by(|a, b| a.ratio().total_cmp(&b.ratio()));
    let median = by_ratio[by_ratio.len() / 2];
    let median_ratio = if by_ratio.len().is_multiple_of(2) {
        (by_ratio[by_ratio.len() / 2 - 1].ratio() + median.ratio()) / 2.0
    } else {
        median.ratio()
    };
    let n_docs: usize = rounds.iter().map(|round| round.size).sum();
    let confirms: Duration = rounds.iter().map(|round| round.confirms).sum();
    let commits: Duration = rounds.iter().map(|round| round.commits).sum();
    let value = n_docs as f64 / confirms.as_secs_f64();
    let baseline = n_docs as f64 / commits.as_secs_f64();
    vec![
        Figure {
            case: "interactive entry, median round".to_owned(),
            value: median.size as f64 / median.confirms.as_secs_f64(),
            unit: "docs/s",
            baseline: median.size as f64 / median.commits.as_secs_f64(),
            baseline_unit: "commits/s",
            ratio: median_ratio,
            target: 0.8,
        },
        Figure {
            case: "interactive entry, all rounds".to_owned(),
            value,
            unit: "docs/s",
            baseline,
            baseline_unit: "commits/s",
            ratio: value / baseline,
            target: 0.8,
        },
    ]
}

/// A confirmed 3-line sales-out the ledger numbers.
fn interactive_document(rng: &mut TestRng) -> Document {
    Document {
        number: String::new(),
        doc_type: DocType::SalesOut,
        date: branchline_shared::parse_date("2026-01-05").expect("a valid date"),
        partner: "C001".to_owned(),
        warehouse: seed_warehouse("SZ"),
        to_warehouse: String::new(),
        red_of: None,
        lines: (0..3)
            .map(|_| DocLine {
                product: product_code(rng.below(SEED_PRODUCTS as u64) as usize),
                qty: Decimal::new(1 + rng.below(50) as i64, 0),
                price: Decimal::new(2150, 2),
                discount: Decimal::new(4, 2),
                tax_rate: Decimal::new(13, 2),
            })
            .collect(),
        link: None,
    }
}
