//! The flooder of `bench fairness`, run as its own process (`tests/src/bin/flooder.rs`): an
//! open-loop flood of transfer calls at a fixed rate, whatever HQ answers. Even calls are pushes
//! of a small batch with the registered flooding branches' tokens (far over their rate: HQ
//! refuses them with RESOURCE_EXHAUSTED), odd calls are hellos with a fresh random token each
//! (UNAUTHENTICATED, then RESOURCE_EXHAUSTED once the address is over its limit).
//!
//! Protocol on stdin/stdout: prints `ready` once connected, `saturated` once every flooding
//! branch has been refused for its rate and the unknown tokens are past the address's burst;
//! prints a `counts ...` line for
//! every line read on stdin, and a last one when stdin closes, then exits.

use anyhow::{bail, Context};
use branchline_proto::v1::transfer_client::TransferClient;
use branchline_proto::v1::{self, HelloRequest};
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{parse_date, DocLine, DocType, Document, EntryBody, OutboxEntry};
use rust_decimal::Decimal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

/// Calls in flight at most; past it, a due call is counted as dropped instead of sent (HQ is
/// not keeping up with the rate).
const IN_FLIGHT_MAX: u64 = 4_096;
/// Unknown-token calls answered before the flood counts as saturated: past the default
/// `limits.unauthenticated_request_burst` (100), so the address's burst is spent.
const UNKNOWN_CALLS_BEFORE_SATURATED: u64 = 200;
/// Documents in each flooding push.
const FLOOD_BATCH_DOCS: usize = 10;

pub struct FloodPlan {
    pub hq_url: String,
    pub calls_per_second: f64,
    pub branch_tokens: Vec<String>,
    pub connections: usize,
}

impl FloodPlan {
    /// `--hq URL --rate CALLS_PER_S [--branch-token TOKEN]... [--connections N]`.
    pub fn from_args(args: impl Iterator<Item = String>) -> anyhow::Result<FloodPlan> {
        let mut plan = FloodPlan {
            hq_url: String::new(),
            calls_per_second: 0.0,
            branch_tokens: Vec::new(),
            connections: 4,
        };
        let mut args = args.peekable();
        while let Some(flag) = args.next() {
            let value = args.next().with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--hq" => plan.hq_url = value,
                "--rate" => plan.calls_per_second = value.parse().context("--rate")?,
                "--branch-token" => plan.branch_tokens.push(value),
                "--connections" => plan.connections = value.parse().context("--connections")?,
                other => bail!("unknown flag {other}"),
            }
        }
        if plan.hq_url.is_empty() || plan.calls_per_second <= 0.0 || plan.connections == 0 {
            bail!("usage: flooder --hq URL --rate CALLS_PER_S [--branch-token TOKEN]... [--connections N]");
        }
        Ok(plan)
    }
}

#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    ok: AtomicU64,
    resource_exhausted: AtomicU64,
    unauthenticated: AtomicU64,
    other: AtomicU64,
    dropped: AtomicU64,
    in_flight: AtomicU64,
}

impl Counts {
    fn line(&self, label: &str, started: Instant) -> String {
        format!(
            "{label} sent={} ok={} resource_exhausted={} unauthenticated={} other={} dropped={} elapsed_ms={}",
            self.sent.load(Ordering::Relaxed),
            self.ok.load(Ordering::Relaxed),
            self.resource_exhausted.load(Ordering::Relaxed),
            self.unauthenticated.load(Ordering::Relaxed),
            self.other.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
            started.elapsed().as_millis()
        )
    }
}

/// One `counts ...` line, parsed by the bench.
#[derive(Debug, Clone, Copy, Default)]
pub struct FloodCounts {
    pub sent: u64,
    pub ok: u64,
    pub resource_exhausted: u64,
    pub unauthenticated: u64,
    pub other: u64,
    pub dropped: u64,
    pub elapsed_ms: u64,
}

impl FloodCounts {
    pub fn parse(line: &str) -> anyhow::Result<FloodCounts> {
        let mut counts = FloodCounts::default();
        for field in line.split_whitespace().skip(1) {
            let (name, value) = field
                .split_once('=')
                .with_context(|| format!("field {field:?}"))?;
            let value: u64 = value.parse().with_context(|| format!("field {field:?}"))?;
            match name {
                "sent" => counts.sent = value,
                "ok" => counts.ok = value,
                "resource_exhausted" => counts.resource_exhausted = value,
                "unauthenticated" => counts.unauthenticated = value,
                "other" => counts.other = value,
                "dropped" => counts.dropped = value,
                "elapsed_ms" => counts.elapsed_ms = value,
                _ => bail!("unknown field {name} in {line:?}"),
            }
        }
        Ok(counts)
    }

    pub fn answered(&self) -> u64 {
        self.ok + self.resource_exhausted + self.unauthenticated + self.other
    }

    pub fn refused(&self) -> u64 {
        self.resource_exhausted + self.unauthenticated
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &FloodCounts) -> FloodCounts {
        FloodCounts {
            sent: self.sent - earlier.sent,
            ok: self.ok - earlier.ok,
            resource_exhausted: self.resource_exhausted - earlier.resource_exhausted,
            unauthenticated: self.unauthenticated - earlier.unauthenticated,
            other: self.other - earlier.other,
            dropped: self.dropped - earlier.dropped,
            elapsed_ms: self.elapsed_ms - earlier.elapsed_ms,
        }
    }
}

/// Runs the flood until stdin closes (one thread: the bench pins this process to one CPU).
pub fn run(plan: FloodPlan) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(flood(plan))
}

async fn flood(plan: FloodPlan) -> anyhow::Result<()> {
    let flood = Flood::connect(&plan).await?;
    let mut command_lines = stdin_lines();
    println!("ready");
    let started = Instant::now();
    let mut saturated = false;
    let mut issued: u64 = 0;
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            command = command_lines.recv() => match command.flatten() {
                Some(_) => println!("{}", flood.counts.line("counts", started)),
                None => break,
            },
            _ = ticks.tick() => {
                let due = (started.elapsed().as_secs_f64() * plan.calls_per_second) as u64;
                while issued < due {
                    flood.issue(issued);
                    issued += 1;
                }
                if !saturated && flood.saturated() {
                    saturated = true;
                    println!("saturated");
                }
            }
        }
    }
    println!("{}", flood.counts.line("counts", started));
    Ok(())
}

/// The lines read on stdin, each as it arrives; `None` once stdin closes.
fn stdin_lines() -> tokio::sync::mpsc::UnboundedReceiver<Option<String>> {
    let (commands, command_lines) = tokio::sync::mpsc::unbounded_channel::<Option<String>>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            if commands.send(line.ok()).is_err() {
                return;
            }
        }
        let _ = commands.send(None);
    });
    command_lines
}

/// What every call of the flood shares: the connections, the flooding branches' credentials
/// (and whether each has been refused for its rate yet), the pushed batch and the counts.
struct Flood {
    channels: Vec<Channel>,
    branch_authorizations: Vec<MetadataValue<tonic::metadata::Ascii>>,
    branch_limited: Arc<Vec<AtomicBool>>,
    unknown_answered: Arc<AtomicU64>,
    batch: Arc<v1::PushBatch>,
    counts: Arc<Counts>,
    /// Makes this run's unknown tokens differ from an earlier run's.
    salt: u64,
}

impl Flood {
    async fn connect(plan: &FloodPlan) -> anyhow::Result<Flood> {
        let mut channels = Vec::with_capacity(plan.connections);
        for _ in 0..plan.connections {
            let channel = Channel::from_shared(plan.hq_url.clone())?
                .connect()
                .await
                .with_context(|| format!("connecting to {}", plan.hq_url))?;
            channels.push(channel);
        }
        let branch_authorizations = plan
            .branch_tokens
            .iter()
            .map(|token| format!("Bearer {token}").parse())
            .collect::<Result<_, _>>()?;
        let branch_limited = plan
            .branch_tokens
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect();
        Ok(Flood {
            channels,
            branch_authorizations,
            branch_limited: Arc::new(branch_limited),
            unknown_answered: Arc::new(AtomicU64::new(0)),
            batch: Arc::new(flood_batch()),
            counts: Arc::new(Counts::default()),
            salt: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos() as u64),
        })
    }

    /// Starts call `call_idx` without waiting for it: even calls push with a flooding branch's
    /// token, odd ones say Hello with a fresh unknown token. Counted as dropped instead when
    /// `IN_FLIGHT_MAX` calls are in flight.
    fn issue(&self, call_idx: u64) {
        let counts = &self.counts;
        if counts.in_flight.load(Ordering::Relaxed) >= IN_FLIGHT_MAX {
            counts.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        counts.in_flight.fetch_add(1, Ordering::Relaxed);
        counts.sent.fetch_add(1, Ordering::Relaxed);
        let client = TransferClient::new(self.channels[call_idx as usize % self.channels.len()].clone());
        let counts = Arc::clone(counts);
        let branch_idx = (call_idx / 2) as usize;
        if call_idx.is_multiple_of(2) && !self.branch_authorizations.is_empty() {
            let branch_idx = branch_idx % self.branch_authorizations.len();
            let authorization = self.branch_authorizations[branch_idx].clone();
            let limited = Arc::clone(&self.branch_limited);
            let batch = Arc::clone(&self.batch);
            tokio::spawn(async move {
                let code = push_once(client, authorization, &batch).await;
                if code == tonic::Code::ResourceExhausted {
                    limited[branch_idx].store(true, Ordering::Relaxed);
                }
                count(&counts, code);
            });
        } else {
            let token = format!("{:064x}", call_idx ^ self.salt);
            let answered = Arc::clone(&self.unknown_answered);
            tokio::spawn(async move {
                let code = hello_once(client, &token).await;
                answered.fetch_add(1, Ordering::Relaxed);
                count(&counts, code);
            });
        }
    }

    /// Every flooding branch refused for its rate, and the unknown tokens past the burst.
    fn saturated(&self) -> bool {
        self.unknown_answered.load(Ordering::Relaxed) >= UNKNOWN_CALLS_BEFORE_SATURATED
            && self
                .branch_limited
                .iter()
                .all(|limited| limited.load(Ordering::Relaxed))
    }
}

fn count(counts: &Counts, code: tonic::Code) {
    let counter = match code {
        tonic::Code::Ok => &counts.ok,
        tonic::Code::ResourceExhausted => &counts.resource_exhausted,
        tonic::Code::Unauthenticated => &counts.unauthenticated,
        _ => &counts.other,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    counts.in_flight.fetch_sub(1, Ordering::Relaxed);
}

/// One push of the flood batch on its own stream; the status code of the first answer.
async fn push_once(
    mut client: TransferClient<Channel>,
    authorization: MetadataValue<tonic::metadata::Ascii>,
    batch: &v1::PushBatch,
) -> tonic::Code {
    let mut request = tonic::Request::new(tokio_stream::iter(vec![batch.clone()]));
    request.metadata_mut().insert("authorization", authorization);
    match client.push(request).await {
        Ok(response) => match response.into_inner().message().await {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        },
        Err(status) => status.code(),
    }
}

async fn hello_once(mut client: TransferClient<Channel>, token: &str) -> tonic::Code {
    let mut request = tonic::Request::new(HelloRequest {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        ..HelloRequest::default()
    });
    match format!("Bearer {token}").parse() {
        Ok(authorization) => {
            request.metadata_mut().insert("authorization", authorization);
        }
        Err(_) => return tonic::Code::Internal,
    }
    match client.hello(request).await {
        Ok(_) => tonic::Code::Ok,
        Err(status) => status.code(),
    }
}

/// The same small batch every flooding push sends (seqs 1..=10: duplicates once applied).
fn flood_batch() -> v1::PushBatch {
    let entries = (1..=FLOOD_BATCH_DOCS)
        .map(|seq| {
            let document = Document {
                number: format!("FLOOD-{seq:07}"),
                doc_type: DocType::SalesOut,
                date: parse_date("2026-01-05").expect("date"),
                partner: "C001".into(),
                warehouse: "FLOOD-W".into(),
                to_warehouse: String::new(),
                red_of: None,
                lines: (0..5)
                    .map(|line_idx| DocLine {
                        product: format!("P{:04}", line_idx),
                        qty: Decimal::new(100 + line_idx as i64, 2),
                        price: Decimal::new(2150, 2),
                        discount: Decimal::ZERO,
                        tax_rate: Decimal::new(13, 2),
                    })
                    .collect(),
                link: None,
            };
            let entry = OutboxEntry {
                seq: seq as u64,
                body: EntryBody::Document(document),
            };
            (&entry).into()
        })
        .collect();
    // The flood is sent with many branches' tokens and names none of them: an admitted flood push
    // is refused as PERMISSION_DENIED before anything is decoded (counted as `other`).
    push_batch("", entries)
}

/// A batch of `entries` at this build's protocol, epoch 1.
pub(crate) fn push_batch(branch: &str, entries: Vec<v1::OutboxEntry>) -> v1::PushBatch {
    v1::PushBatch {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        backlog: 0,
        entries,
        branch: branch.to_owned(),
        backlog_documents: 0,
    }
}
