//! `bench catch-up`: a 1,000,000-line backlog drained from a branch ledger into HQ (SQLite store,
//! same machine) by the real `transfer-agent` process, in lines/s, against a same-run ceiling: a
//! minimal program reading the same documents' lines from the ledger, sending them over one tonic stream
//! in batches and inserting them into an HQ SQLite table in batches. Also the agent's peak RSS
//! (VmHWM from /proc/PID/status). `BRANCHLINE_BENCH_LINES` overrides the line count.

use crate::agent::{hq_totals, ledger_totals};
use crate::hq::{add_branch, add_org, spawn_hq_process};
use crate::ledger::{branch_node, seed_ledger, write_documents_jsonl};
use crate::process::{command, TempDir};
use anyhow::{Context, Result};
use branchline_proto::v1::transfer_server::{Transfer, TransferServer};
use branchline_proto::v1::{self as wire, PushAck, PushBatch};
use branchline_shared::{from_scaled, to_scaled, LineValues};
use rust_decimal::Decimal;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;

const LINES_PER_DOC: usize = 10;
const CEILING_BATCH_DOCS: usize = 500;

pub fn run() -> Result<()> {
    let n_lines: usize = std::env::var("BRANCHLINE_BENCH_LINES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000);
    let dir = TempDir::new("bench-catch-up")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    eprintln!("building a ledger with {n_lines} lines ...");
    let ledger = dir.join("branch.db");
    drop(seed_ledger(&ledger, "BM")?);
    let jsonl = dir.join("docs.jsonl");
    write_documents_jsonl(&jsonl, "BM", n_lines / LINES_PER_DOC, LINES_PER_DOC, 9)?;
    branch_node(&ledger, &["doc", "import", &jsonl.display().to_string()])?.expect_ok();
    std::fs::remove_file(&jsonl)?;
    let branch_totals = ledger_totals(&ledger)?;

    eprintln!("ceiling: minimal read → one tonic stream → batched SQLite inserts ...");
    let (ceiling_lines, ceiling_secs) = runtime.block_on(ceiling(&ledger, &dir.join("ceiling-hq.db")))?;
    anyhow::ensure!(
        ceiling_lines == branch_totals.lines,
        "ceiling moved {ceiling_lines} lines"
    );

    eprintln!("transfer-agent catch-up into hq-server (SQLite) ...");
    let hq_db_url = format!("sqlite://{}", dir.join("hq.db").display());
    let hq = spawn_hq_process(&hq_db_url)?;
    let token = runtime.block_on(async {
        add_org(&hq.url, "001", "group").await?;
        add_org(&hq.url, "001.001", "bench branch").await?;
        add_branch(&hq.url, "BM", "001.001").await
    })?;
    let agent = drain_with_agent(&ledger, &hq.url, &token)?;
    let agent_secs = agent.secs;
    let hq_held = runtime.block_on(hq_totals(&hq_db_url, "BM"))?;
    anyhow::ensure!(
        hq_held == branch_totals,
        "HQ holds {hq_held:?}, the branch {branch_totals:?}"
    );
    drop(hq);

    let lines = branch_totals.lines as f64;
    let ceiling_rate = ceiling_lines as f64 / ceiling_secs;
    let agent_rate = lines / agent_secs;
    println!(
        "bench catch-up: {} lines ({} documents), HQ on SQLite, same machine",
        branch_totals.lines, branch_totals.documents
    );
    println!("| measure | seconds | lines/s | ratio |");
    println!("|---|---:|---:|---:|");
    println!("| ceiling: minimal read + one tonic stream + batched SQLite insert | {ceiling_secs:.2} | {ceiling_rate:.0} | 1.00 |");
    println!(
        "| transfer-agent once --push into hq-server | {agent_secs:.2} | {agent_rate:.0} | {:.2} (target ≥ 0.50) |",
        agent_rate / ceiling_rate
    );
    println!(
        "| transfer-agent peak RSS (VmHWM, /proc/PID/status) | | {:.1} MB | target < 64 MB |",
        agent.peak_rss_kb as f64 / 1024.0
    );
    println!(
        "| transfer-agent CPU time (user + system) | {:.2} | {:.0} lines per agent CPU-second | |",
        agent.cpu_secs,
        lines / agent.cpu_secs.max(1e-9)
    );
    Ok(())
}

/// What the agent process used while draining.
struct AgentRun {
    secs: f64,
    /// Largest VmHWM sampled from /proc/PID/status.
    peak_rss_kb: u64,
    cpu_secs: f64,
}

/// Runs the real agent, sampling its VmHWM every 10 ms until it exits (reaped with wait4 for
/// its CPU time).
fn drain_with_agent(ledger: &Path, hq_url: &str, token: &str) -> Result<AgentRun> {
    let started = Instant::now();
    let child = command(
        "transfer-agent",
        [
            "--ledger",
            &ledger.display().to_string(),
            "--hq",
            hq_url,
            "--token",
            token,
            "once",
            "--push",
        ],
    )
    .env("RUST_LOG", "warn")
    .stdout(Stdio::null())
    .stderr(Stdio::inherit())
    .spawn()
    .context("starting transfer-agent")?;
    let pid = child.id() as libc::pid_t;
    let mut peak_rss_kb = 0;
    loop {
        if let Ok(kb) = super::proc_status_kb(child.id(), "VmHWM") {
            peak_rss_kb = peak_rss_kb.max(kb);
        }
        let mut wait_status = 0;
        // SAFETY: an all-zero rusage is a valid value; wait4 on our own child's pid.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let reaped = unsafe { libc::wait4(pid, &mut wait_status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            let secs = started.elapsed().as_secs_f64();
            anyhow::ensure!(
                libc::WIFEXITED(wait_status) && libc::WEXITSTATUS(wait_status) == 0,
                "transfer-agent failed: wait status {wait_status}"
            );
            let cpu = |time: libc::timeval| time.tv_sec as f64 + time.tv_usec as f64 / 1e6;
            return Ok(AgentRun {
                secs,
                peak_rss_kb,
                cpu_secs: cpu(usage.ru_utime) + cpu(usage.ru_stime),
            });
        }
        anyhow::ensure!(reaped == 0, "wait4 failed for transfer-agent");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The minimal HQ: one table, batched inserts in one transaction per batch.
struct CeilingHq {
    db: Arc<Mutex<rusqlite::Connection>>,
}

#[tonic::async_trait]
impl Transfer for CeilingHq {
    type PushStream = ReceiverStream<Result<PushAck, tonic::Status>>;

    async fn push(
        &self,
        request: tonic::Request<tonic::Streaming<PushBatch>>,
    ) -> Result<tonic::Response<Self::PushStream>, tonic::Status> {
        let mut batches = request.into_inner();
        let (acks, ack_receiver) = tokio::sync::mpsc::channel(4);
        let db = self.db.clone();
        tokio::spawn(async move {
            while let Some(Ok(batch)) = batches.next().await {
                let db = db.clone();
                let inserted = tokio::task::spawn_blocking(move || insert_batch(&db, &batch)).await;
                let ack = match inserted {
                    Ok(Ok(acked_seq)) => Ok(PushAck {
                        acked_seq,
                        ..PushAck::default()
                    }),
                    Ok(Err(error)) => Err(tonic::Status::internal(error.to_string())),
                    Err(error) => Err(tonic::Status::internal(error.to_string())),
                };
                if acks.send(ack).await.is_err() {
                    break;
                }
            }
        });
        Ok(tonic::Response::new(ReceiverStream::new(ack_receiver)))
    }

    async fn hello(
        &self,
        _: tonic::Request<wire::HelloRequest>,
    ) -> Result<tonic::Response<wire::HelloResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("ceiling"))
    }
    async fn pull(
        &self,
        _: tonic::Request<wire::PullRequest>,
    ) -> Result<tonic::Response<wire::PullResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("ceiling"))
    }
    async fn upload_bundle(
        &self,
        _: tonic::Request<wire::BundleUpload>,
    ) -> Result<tonic::Response<PushAck>, tonic::Status> {
        Err(tonic::Status::unimplemented("ceiling"))
    }
    async fn reconcile_summary(
        &self,
        _: tonic::Request<wire::ReconcileSummaryRequest>,
    ) -> Result<tonic::Response<wire::ReconcileSummaryResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("ceiling"))
    }
    async fn reconcile_documents(
        &self,
        _: tonic::Request<wire::ReconcileDocumentsRequest>,
    ) -> Result<tonic::Response<wire::ReconcileDocumentsResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("ceiling"))
    }
    async fn close_day(
        &self,
        _: tonic::Request<wire::CloseDayRequest>,
    ) -> Result<tonic::Response<wire::CloseDayResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("ceiling"))
    }
}

fn decimal(text: &str) -> Result<Decimal, rusqlite::Error> {
    text.parse().map_err(|_| rusqlite::Error::InvalidQuery)
}

fn insert_batch(db: &Mutex<rusqlite::Connection>, batch: &PushBatch) -> Result<u64, rusqlite::Error> {
    let mut connection = db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let tx = connection.transaction()?;
    {
        let mut insert = tx.prepare_cached("INSERT INTO line VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?;
        for entry in &batch.entries {
            let Some(wire::outbox_entry::Body::Document(document)) = &entry.body else {
                continue;
            };
            for (line_no, line) in document.lines.iter().enumerate() {
                let (qty, price) = (decimal(&line.qty)?, decimal(&line.price)?);
                let (discount, tax_rate) = (decimal(&line.discount)?, decimal(&line.tax_rate)?);
                let values = LineValues::compute(qty, price, discount, tax_rate).unwrap_or_default();
                insert.execute(rusqlite::params![
                    document.number,
                    line_no as i64,
                    line.product,
                    to_scaled(qty, 4),
                    to_scaled(price, 6),
                    to_scaled(discount, 4),
                    to_scaled(tax_rate, 4),
                    to_scaled(values.amount, 2),
                    to_scaled(values.tax, 2),
                ])?;
            }
        }
    }
    tx.commit()?;
    Ok(batch.entries.last().map_or(0, |entry| entry.seq))
}

/// Reads every line row of the ledger, streams them to the minimal HQ and waits for the last
/// ack; returns (lines, seconds).
async fn ceiling(ledger: &Path, hq_db: &Path) -> Result<(u64, f64)> {
    let connection = rusqlite::Connection::open(hq_db)?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE line (number TEXT NOT NULL, line_no INTEGER NOT NULL, product TEXT NOT NULL,
           qty INTEGER NOT NULL, price INTEGER NOT NULL, discount INTEGER NOT NULL, tax_rate INTEGER NOT NULL,
           amount INTEGER NOT NULL, tax INTEGER NOT NULL, PRIMARY KEY (number, line_no)) STRICT, WITHOUT ROWID;",
    )?;
    let service = CeilingHq {
        db: Arc::new(Mutex::new(connection)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TransferServer::new(service).max_decoding_message_size(64 << 20))
            .serve_with_incoming_shutdown(tokio_stream::wrappers::TcpListenerStream::new(listener), async {
                let _ = stopped.await;
            }),
    );

    let started = Instant::now();
    let mut client = wire::transfer_client::TransferClient::connect(format!("http://{address}")).await?;
    let (batches, batch_receiver) = tokio::sync::mpsc::channel::<PushBatch>(4);
    let ledger_path = ledger.to_owned();
    let reader = tokio::task::spawn_blocking(move || read_line_rows(&ledger_path, batches));
    let mut acks = client
        .push(ReceiverStream::new(batch_receiver))
        .await?
        .into_inner();
    while acks.message().await?.is_some() {}
    let lines = reader.await??;
    let secs = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    server.await??;
    Ok((lines, secs))
}

/// The ledger's documents with their lines (stored as one JSON array of scaled integers per
/// document row), in batches of `CEILING_BATCH_DOCS` documents.
fn read_line_rows(ledger: &Path, batches: tokio::sync::mpsc::Sender<PushBatch>) -> Result<u64> {
    let connection =
        rusqlite::Connection::open_with_flags(ledger, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut statement = connection.prepare("SELECT number, lines FROM document ORDER BY id")?;
    let mut rows = statement.query([])?;
    let mut n_lines = 0u64;
    let mut seq = 0u64;
    let mut entries: Vec<wire::OutboxEntry> = Vec::with_capacity(CEILING_BATCH_DOCS);
    let send = |entries: Vec<wire::OutboxEntry>| {
        let batch = PushBatch {
            entries,
            ..PushBatch::default()
        };
        batches
            .blocking_send(batch)
            .map_err(|_| anyhow::anyhow!("ceiling stream closed"))
    };
    while let Some(row) = rows.next()? {
        let stored: Vec<(String, i64, i64, i64, i64)> = serde_json::from_str(row.get_ref(1)?.as_str()?)?;
        let lines: Vec<wire::DocLine> = stored
            .into_iter()
            .map(|(product, qty, price, discount, tax_rate)| wire::DocLine {
                product,
                qty: from_scaled(qty, 4).normalize().to_string(),
                price: from_scaled(price, 6).normalize().to_string(),
                discount: from_scaled(discount, 4).normalize().to_string(),
                tax_rate: from_scaled(tax_rate, 4).normalize().to_string(),
            })
            .collect();
        n_lines += lines.len() as u64;
        seq += 1;
        let document = wire::Document {
            number: row.get(0)?,
            lines,
            ..wire::Document::default()
        };
        entries.push(wire::OutboxEntry {
            seq,
            body: Some(wire::outbox_entry::Body::Document(document)),
        });
        if entries.len() == CEILING_BATCH_DOCS {
            send(std::mem::take(&mut entries))?;
        }
    }
    if !entries.is_empty() {
        send(entries)?;
    }
    Ok(n_lines)
}
