//! The `bench reports` (and `bench console`) data set: organizations under 001 (one ledger
//! each; 50 for `bench reports`) with their master data (20,000 products, 200 customers),
//! sales-outs of a given shape loaded through the real
//! ingestion path in-process (`store::ingest`, the transaction that maintains the roll-ups),
//! and kept databases recognised and reused instead of loaded again.

use anyhow::Context;
use branchline_shared::{BaseKind, BaseRecord, DocLine, DocType, Document, EntryBody, OutboxEntry};
use hq_server::store::ingest::batch::{self, Backlog, Incoming, IngestBatch};
use hq_server::store::registry::branches::{self, BranchRef, NewBranch, MODE_INDEPENDENT_SALES};
use hq_server::store::registry::master;
use hq_server::store::Store;
use rust_decimal::Decimal;
use std::time::{Duration, Instant};

pub(super) const PRODUCTS: usize = 20_000;
pub(super) const CUSTOMERS: usize = 200;
pub(super) const BATCH_DOCS: usize = 500;

/// xorshift64*: reproducible data without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Ledgers, lines per document and documents per ingested batch.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    /// Organizations under 001, one ledger each.
    pub(super) orgs: usize,
    pub(super) doc_lines: usize,
    pub(super) batch_docs: usize,
    /// Each ledger's documents dated in number order (else on random days).
    pub(super) ordered_days: bool,
}

/// The URL of database `name` in the kept cluster at `base`, created when missing.
pub(super) async fn kept_pg_database(base: &str, name: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let base = base.trim_end_matches('/');
    let mut connection = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .with_context(|| format!("connecting to {base}"))?;
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut connection)
        .await?;
    if exists.is_none() {
        sqlx::Executor::execute(&mut connection, format!("CREATE DATABASE {name}").as_str())
            .await
            .with_context(|| format!("creating database {name}"))?;
    }
    connection.close().await.ok();
    Ok(format!("{base}/{name}"))
}

/// How many documents a kept database already holds (0 when new).
async fn stored_documents(url: &str) -> anyhow::Result<usize> {
    let mut connection = crate::hq_db::HqDb::connect(url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let count = connection.integer("SELECT COUNT(*) FROM document").await;
    connection.close().await.ok();
    Ok(count.map(|count| count as usize).unwrap_or(0))
}

fn branch_code(org_idx: usize, orgs: usize) -> String {
    if orgs < 100 {
        format!("B{:02}", org_idx + 1)
    } else {
        format!("B{:04}", org_idx + 1)
    }
}

/// The ledgers of a database `setup` prepared before.
async fn existing_branches(store: &Store, orgs: usize) -> anyhow::Result<Vec<BranchRef>> {
    let mut branches = Vec::with_capacity(orgs);
    for org_idx in 0..orgs {
        let code = branch_code(org_idx, orgs);
        branches.push(
            branches::branch_by_code(store, &code)
                .await?
                .with_context(|| format!("kept database lacks branch {code}"))?,
        );
    }
    Ok(branches)
}

/// Registers `orgs` organizations and their ledgers and imports the master data.
pub(super) async fn setup(store: &Store, orgs: usize) -> anyhow::Result<Vec<BranchRef>> {
    branches::add_org(store, "admin", "001", "group").await?;
    let mut branches = Vec::with_capacity(orgs);
    for org_idx in 0..orgs {
        let org = format!("001.{:03}", org_idx + 1);
        let code = branch_code(org_idx, orgs);
        branches::add_org(store, "admin", &org, &code).await?;
        let branch = NewBranch {
            code: code.clone(),
            name: code.clone(),
            org,
            customer: format!("C-{code}"),
            supplier: format!("S-{code}"),
            warehouse: format!("W-{code}"),
            mode: MODE_INDEPENDENT_SALES.to_owned(),
            adopt_existing: false,
        };
        for (kind, record) in crate::hq::counterpart_records(&code) {
            master::import_master(store, "admin", kind, &[record]).await?;
        }
        branches::add_branch(store, "admin", &branch).await?;
        branches.push(
            branches::branch_by_code(store, &code)
                .await?
                .context("branch just added")?,
        );
    }
    let records = |kind: BaseKind, prefix: &str, count: usize| -> Vec<BaseRecord> {
        (0..count)
            .map(|idx| BaseRecord::new(kind, &format!("{prefix}{idx:05}"), "bench"))
            .collect()
    };
    master::import_master(
        store,
        "admin",
        BaseKind::Product,
        &records(BaseKind::Product, "P", PRODUCTS),
    )
    .await?;
    master::import_master(
        store,
        "admin",
        BaseKind::Customer,
        &records(BaseKind::Customer, "C", CUSTOMERS),
    )
    .await?;
    let warehouses: Vec<BaseRecord> = branches
        .iter()
        .map(|branch| BaseRecord::new(BaseKind::Warehouse, &format!("{}-W", branch.code), "bench"))
        .collect();
    master::import_master(store, "admin", BaseKind::Warehouse, &warehouses).await?;
    Ok(branches)
}

/// A batch of `n_docs` sales-outs of branch `code`, numbered from `first_seq`, of the
/// `branch_docs` the branch gets in all.
fn make_batch(
    store: &Store,
    rng: &mut Rng,
    code: &str,
    (first_seq, n_docs, branch_docs): (u64, usize, usize),
    shape: Shape,
) -> IngestBatch {
    let year_start = branchline_shared::parse_date("2025-01-01").expect("date");
    let days: Vec<_> = year_start.iter_days().take(365).collect();
    let entries = (0..n_docs)
        .map(|idx| {
            let seq = first_seq + idx as u64;
            let document = Document {
                number: format!("{code}-{seq}"),
                doc_type: DocType::SalesOut,
                date: if shape.ordered_days {
                    days[((seq as usize - 1) * days.len() / branch_docs.max(1)).min(days.len() - 1)]
                } else {
                    days[rng.below(365) as usize]
                },
                partner: format!("C{:05}", rng.below(CUSTOMERS as u64)),
                warehouse: format!("{code}-W"),
                to_warehouse: String::new(),
                red_of: None,
                lines: (0..shape.doc_lines)
                    .map(|_| DocLine {
                        product: format!("P{:05}", rng.below(PRODUCTS as u64)),
                        qty: Decimal::new(1 + rng.below(2000) as i64, 1),
                        price: Decimal::new(100 + rng.below(100_000) as i64, 2),
                        discount: Decimal::new(rng.below(3) as i64 * 5, 2),
                        tax_rate: Decimal::new(13, 2),
                    })
                    .collect(),
                link: None,
            };
            Incoming::from_entry(OutboxEntry {
                seq,
                body: EntryBody::Document(document),
            })
        })
        .collect();
    IngestBatch::new(1, Some(Backlog::default()), entries).with_rollups_prepared(store)
}

/// Ingests `lines` lines spread round-robin over the branches; returns the time spent ingesting.
pub(super) async fn load(
    store: &Store,
    branches: &[BranchRef],
    lines: usize,
    shape: Shape,
) -> anyhow::Result<Duration> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let n_docs = lines / shape.doc_lines;
    let branch_docs = n_docs.div_ceil(branches.len());
    let mut next_seq = vec![1u64; branches.len()];
    let mut loaded_docs = 0;
    let mut elapsed = Duration::ZERO;
    let mut batch_idx = 0;
    while loaded_docs < n_docs {
        let branch_idx = batch_idx % branches.len();
        let n_batch = shape.batch_docs.min(n_docs - loaded_docs);
        let batch = make_batch(
            store,
            &mut rng,
            &branches[branch_idx].code,
            (next_seq[branch_idx], n_batch, branch_docs),
            shape,
        );
        let started = Instant::now();
        let ack = batch::ingest(store, &branches[branch_idx], batch).await?;
        elapsed += started.elapsed();
        anyhow::ensure!(
            ack.applied as usize == n_batch,
            "batch not fully applied: {ack:?}"
        );
        next_seq[branch_idx] += n_batch as u64;
        loaded_docs += n_batch;
        batch_idx += 1;
        if batch_idx % 200 == 0 {
            eprintln!("  loaded {} lines", loaded_docs * shape.doc_lines);
        }
    }
    Ok(elapsed)
}

/// Loads `lines` lines into the database at `url` unless a kept database already holds them.
pub(super) async fn load_once(
    store_name: &str,
    store: &Store,
    url: &str,
    lines: usize,
    shape: Shape,
) -> anyhow::Result<()> {
    let expected = lines / shape.doc_lines;
    match stored_documents(url).await? {
        0 => {}
        found if found == expected => {
            existing_branches(store, shape.orgs).await?;
            eprintln!("{store_name}: reusing {url} ({found} documents)");
            return Ok(());
        }
        found => anyhow::bail!("{url} holds {found} documents, not {expected}: delete it and run again"),
    }
    let branches = setup(store, shape.orgs).await?;
    eprintln!("{store_name}: loading {lines} lines");
    let load_elapsed = load(store, &branches, lines, shape).await?;
    eprintln!(
        "{store_name}: loaded {lines} lines in {:.1} s ({:.0} lines/s)",
        load_elapsed.as_secs_f64(),
        lines as f64 / load_elapsed.as_secs_f64()
    );
    Ok(())
}
