//! Exactly-once ingestion (docs/guarantees.md): one batch of a branch's outbox is applied in one
//! transaction together with the branch's high-water mark. Resends are acknowledged, gaps and
//! conflicting resends refused, entries HQ cannot apply quarantined without blocking the rest.
//! `Hello` lives here too, as it answers from the same high-water mark.

use super::plan::{DocumentFacts, Known, Outcome, Plan};
use super::resend::{first_conflict, record_conflict};
use super::writes::{add_plan_inserts, ENTRY_INSERT, QUARANTINE_INSERT};
use crate::store::bulk::insert::Inserts;
use crate::store::bulk::rows::Value;
use crate::store::db::dialect::Dialect;
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text, to_i64};
use crate::store::registry::branches::BranchRef;
use crate::store::rollup::delta::RollupDelta;
use crate::store::{Store, StoreError};
use branchline_shared::{EntryBody, OutboxEntry};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("epoch 0 is not valid: epochs start at 1")]
    ZeroEpoch,
    #[error("epoch {requested} is older than epoch {current} that HQ already holds for branch {branch}")]
    EpochTooOld {
        branch: String,
        requested: u64,
        current: u64,
    },
    #[error("sequence number 0 is not valid: sequence numbers start at 1")]
    ZeroSeq,
    #[error("entries must carry contiguous ascending sequence numbers: seq {found} follows {previous}")]
    NotContiguous { previous: u64, found: u64 },
    #[error("gap: HQ holds up to {hwm}, batch starts at {first}")]
    Gap { hwm: u64, first: u64 },
    #[error(
        "conflict: seq {seq} of epoch {epoch} differs from the entry HQ already holds under that number"
    )]
    Conflict { epoch: u64, seq: u64 },
    #[error("branch {branch} is not registered")]
    UnknownBranch { branch: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for IngestError {
    fn from(error: DbError) -> IngestError {
        IngestError::Store(error.into())
    }
}

/// One entry as received: its sequence number, content hash and either the decoded body or
/// why it could not be decoded (a malformed entry is quarantined with that reason).
#[derive(Debug, Clone)]
pub struct Incoming {
    pub seq: u64,
    /// Hex SHA-256 compared on resend.
    pub content_hash: String,
    pub body: Result<EntryBody, String>,
    /// For a document, what ingestion derives from it alone, computed on arrival rather than
    /// inside the transaction.
    pub document_facts: Option<DocumentFacts>,
}

impl Incoming {
    pub fn from_entry(entry: OutboxEntry) -> Incoming {
        let document_facts = match &entry.body {
            EntryBody::Document(document) => Some(DocumentFacts::of(document)),
            _ => None,
        };
        Incoming {
            seq: entry.seq,
            content_hash: hex::encode(entry.body.content_hash()),
            body: Ok(entry.body),
            document_facts,
        }
    }

    /// An entry that failed decoding; `raw` is what arrived, hashed so a resend compares equal.
    pub fn malformed(seq: u64, raw: &[u8], reason: String) -> Incoming {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(b"malformed\n");
        hasher.update(raw);
        Incoming {
            seq,
            content_hash: hex::encode(hasher.finalize()),
            body: Err(reason),
            document_facts: None,
        }
    }
}

/// What a branch reports it has not had acknowledged yet: outbox entries, and the documents
/// among them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    pub entries: u64,
    pub documents: u64,
}

/// A batch of one branch's outbox in one epoch.
#[derive(Debug, Clone)]
pub struct IngestBatch {
    pub epoch: u64,
    /// The branch's reported backlog, when the caller carries one.
    pub backlog: Option<Backlog>,
    pub entries: Vec<Incoming>,
    /// What all the batch's documents add to the report roll-ups, computed with the batch
    /// (on the decoding thread, ahead of the transaction); used when every one is applied.
    rollups: Option<RollupDelta<'static>>,
}

impl IngestBatch {
    pub fn new(epoch: u64, backlog: Option<Backlog>, entries: Vec<Incoming>) -> IngestBatch {
        let rollups = RollupDelta::new_if_enabled().and_then(|mut delta| {
            for entry in &entries {
                if let Ok(EntryBody::Document(document)) = &entry.body {
                    // A document without its facts (built by hand) leaves the fold to the plan.
                    delta.add_document(document, &entry.document_facts.as_ref()?.line_values);
                }
            }
            Some(delta.into_owned())
        });
        IngestBatch {
            epoch,
            backlog,
            entries,
            rollups,
        }
    }

    /// Resolves the roll-up delta against `store`'s committed product ids now, on the caller's
    /// thread (a decoding thread), so that the ingestion transaction has less to do; without
    /// this, or for codes new to the store, the transaction does it.
    pub fn with_rollups_prepared(mut self, store: &Store) -> IngestBatch {
        if let Some(delta) = &mut self.rollups {
            delta.prepare(store.slot_cache());
        }
        self
    }

    fn document_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|entry| matches!(entry.body, Ok(EntryBody::Document(_))))
            .count()
    }
}

/// What HQ acknowledges for a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestAck {
    pub epoch: u64,
    /// HQ's high-water mark after the batch.
    pub acked_seq: u64,
    pub applied: u32,
    pub duplicates: u32,
    pub quarantined: u32,
}

/// The branch's state row, locked for the rest of the transaction.
pub(super) struct LockedState {
    pub(super) epoch: u64,
    pub(super) last_seq: u64,
}

impl LockedState {
    /// HQ's high-water mark in the branch's `epoch` (0 in an epoch newer than HQ's); an epoch
    /// older than HQ's newest is refused.
    pub(super) fn applied_in(&self, branch: &BranchRef, epoch: u64) -> Result<u64, IngestError> {
        if epoch < self.epoch {
            return Err(IngestError::EpochTooOld {
                branch: branch.code.clone(),
                requested: epoch,
                current: self.epoch,
            });
        }
        Ok(if epoch == self.epoch { self.last_seq } else { 0 })
    }
}

/// Locks the branch's state row and reads it.
pub(super) async fn lock_branch(
    connection: &mut Conn,
    store: &Store,
    branch: &BranchRef,
) -> Result<LockedState, IngestError> {
    let sql = match store.dialect() {
        Dialect::Sqlite => "SELECT epoch, last_seq FROM branch WHERE id = $1",
        Dialect::Postgres => "SELECT epoch, last_seq FROM branch WHERE id = $1 FOR UPDATE",
    };
    let row = query(sql)
        .bind(branch.id)
        .fetch_optional(connection)
        .await?
        .ok_or_else(|| IngestError::UnknownBranch {
            branch: branch.code.clone(),
        })?;
    Ok(LockedState {
        epoch: get_u64(&row, 0)?,
        last_seq: get_u64(&row, 1)?,
    })
}

/// Applies one batch atomically with the branch's high-water mark. A conflicting resend is
/// refused and, in a separate transaction, counted in the branch's status and audited. Every
/// event logged meanwhile carries the branch, the epoch and the batch's seq range.
#[tracing::instrument(
    name = "batch",
    skip_all,
    fields(
        branch = %branch.code,
        epoch = batch.epoch,
        first_seq = batch.entries.first().map(|entry| entry.seq),
        last_seq = batch.entries.last().map(|entry| entry.seq),
    )
)]
pub async fn ingest(
    store: &Store,
    branch: &BranchRef,
    mut batch: IngestBatch,
) -> Result<IngestAck, IngestError> {
    check_sequence(&batch)?;
    let rollups = batch.rollups.take();
    match ingest_in_transaction(store, branch, &batch, rollups).await {
        Err(IngestError::Conflict { epoch, seq }) => {
            record_conflict(store, branch, epoch, seq).await?;
            Err(IngestError::Conflict { epoch, seq })
        }
        other => other,
    }
}

fn check_sequence(batch: &IngestBatch) -> Result<(), IngestError> {
    if batch.epoch == 0 {
        return Err(IngestError::ZeroEpoch);
    }
    if batch.entries.first().is_some_and(|entry| entry.seq == 0) {
        return Err(IngestError::ZeroSeq);
    }
    for pair in batch.entries.windows(2) {
        if pair[1].seq != pair[0].seq + 1 {
            return Err(IngestError::NotContiguous {
                previous: pair[0].seq,
                found: pair[1].seq,
            });
        }
    }
    Ok(())
}

/// Entries at or below the high-water mark must equal what HQ holds: then they are duplicates.
async fn check_resends(
    connection: &mut Conn,
    branch: &BranchRef,
    epoch: u64,
    held: &[&Incoming],
) -> Result<(), IngestError> {
    let held: Vec<(u64, &str)> = held
        .iter()
        .map(|entry| (entry.seq, entry.content_hash.as_str()))
        .collect();
    match first_conflict(connection, branch, epoch, &held).await? {
        Some(seq) => Err(IngestError::Conflict { epoch, seq }),
        None => Ok(()),
    }
}

/// `rollups` is what all the batch's documents add to the roll-ups, if computed already.
async fn ingest_in_transaction(
    store: &Store,
    branch: &BranchRef,
    batch: &IngestBatch,
    rollups: Option<RollupDelta<'static>>,
) -> Result<IngestAck, IngestError> {
    let _turn = store.ingest_turn().await;
    let started = std::time::Instant::now();
    let mut tx = store.begin_write().await?;
    let state = lock_branch(&mut tx, store, branch).await?;
    let hwm = state.applied_in(branch, batch.epoch)?;
    check_no_gap(batch, hwm)?;
    let (held, fresh): (Vec<&Incoming>, Vec<&Incoming>) =
        batch.entries.iter().partition(|entry| entry.seq <= hwm);
    check_resends(&mut tx, branch, batch.epoch, &held).await?;

    let now = now_text();
    let bodies: Vec<&EntryBody> = fresh
        .iter()
        .filter_map(|entry| entry.body.as_ref().ok())
        .collect();
    let mut known = Known::load(&mut tx, store.dialect(), branch.id, &bodies).await?;
    let mut plan = Plan::default();
    let mut sorted = Sorted::new(batch.epoch, hwm, held.len(), fresh.len());
    for entry in &fresh {
        sorted.add(&mut plan, &mut known, branch, batch.epoch, entry, &now)?;
    }
    let Sorted {
        ack,
        entry_cells,
        quarantine_cells,
    } = sorted;
    let lines: usize = plan
        .documents
        .iter()
        .map(|planned| planned.document.lines.len())
        .sum();
    let routable = crate::store::trade::routing::Routable::from_plan(&plan);
    store.ensure_partitions(plan.months()).await?;
    let mut inserts = Inserts::default();
    // The delta computed with the batch holds when every document of the batch is applied.
    let computed = rollups.filter(|_| plan.documents.len() == batch.document_count());
    let rollups = add_plan_inserts(&mut inserts, &plan, branch.id, batch.epoch, &now, computed)?;
    if let Some(rollups) = rollups {
        rollups.add_to(&mut tx, store, branch.id, &mut inserts).await?;
    }
    inserts.add(&ENTRY_INSERT, entry_cells);
    inserts.add(&QUARANTINE_INSERT, quarantine_cells);
    inserts.write(&mut tx).await?;
    let dialect = store.dialect();
    crate::store::close::register::reopen_days(&mut tx, dialect, branch, plan.day_documents()).await?;
    crate::store::trade::routing::route(&mut tx, dialect, branch, batch.epoch, routable, &now).await?;
    let received_at = (!fresh.is_empty()).then(|| now.clone());
    record_position(&mut tx, branch, batch, ack.acked_seq, received_at, &now).await?;
    tx.commit().await?;
    store.after_commit();
    let seconds = started.elapsed().as_secs_f64();
    store
        .counters()
        .batch_applied(u64::from(ack.applied), lines as u64, seconds);
    tracing::info!(
        applied = ack.applied,
        duplicates = ack.duplicates,
        quarantined = ack.quarantined,
        acked_seq = ack.acked_seq,
        lines,
        ms = (seconds * 1000.0).round() as u64,
        "batch applied"
    );
    Ok(ack)
}

/// The batch starts at or below HQ's high-water mark `hwm` plus one.
fn check_no_gap(batch: &IngestBatch, hwm: u64) -> Result<(), IngestError> {
    if let Some(first) = batch.entries.first() {
        if first.seq > hwm + 1 {
            return Err(IngestError::Gap {
                hwm,
                first: first.seq,
            });
        }
    }
    Ok(())
}

/// The new entries of a batch sorted into applied, duplicate and quarantined: the ack so far
/// and the `entry` and `quarantine` rows to write.
struct Sorted<'a> {
    ack: IngestAck,
    entry_cells: Vec<Value<'a>>,
    quarantine_cells: Vec<Value<'a>>,
}

impl<'a> Sorted<'a> {
    fn new(epoch: u64, hwm: u64, held: usize, fresh: usize) -> Sorted<'a> {
        Sorted {
            ack: IngestAck {
                epoch,
                acked_seq: hwm,
                applied: 0,
                duplicates: held as u32,
                quarantined: 0,
            },
            entry_cells: Vec::with_capacity(fresh * ENTRY_INSERT.columns.len()),
            quarantine_cells: Vec::new(),
        }
    }

    /// Plans one new entry and records its outcome.
    fn add(
        &mut self,
        plan: &mut Plan<'a>,
        known: &mut Known<'a>,
        branch: &BranchRef,
        epoch: u64,
        entry: &'a Incoming,
        now: &'a str,
    ) -> Result<(), IngestError> {
        let (kind, outcome) = match &entry.body {
            Ok(body) => {
                let outcome = plan.add(known, entry.seq, body, entry.document_facts.as_ref());
                (entry_kind(body), outcome)
            }
            Err(reason) => (
                "malformed",
                Outcome::Quarantined {
                    reason: reason.clone(),
                },
            ),
        };
        match &outcome {
            Outcome::Applied => self.ack.applied += 1,
            Outcome::Duplicate => self.ack.duplicates += 1,
            Outcome::Quarantined { reason } => {
                self.ack.quarantined += 1;
                tracing::warn!(branch = %branch.code, seq = entry.seq, %reason, "entry quarantined");
                self.quarantine_cells.extend([
                    Value::Int(branch.id),
                    Value::Int(to_i64(epoch)?),
                    Value::Int(to_i64(entry.seq)?),
                    Value::Text(reason.clone()),
                    Value::Text(match &entry.body {
                        Ok(body) => body.summary(),
                        Err(_) => format!("malformed entry {}", entry.seq),
                    }),
                    Value::Text(entry.body.as_ref().map(EntryBody::to_json).unwrap_or_default()),
                    Value::Str(now),
                ]);
            }
        }
        self.entry_cells.extend([
            Value::Int(branch.id),
            Value::Int(to_i64(epoch)?),
            Value::Int(to_i64(entry.seq)?),
            Value::Str(&entry.content_hash),
            Value::Str(kind),
            Value::Str(outcome.as_str()),
            Value::Str(now),
        ]);
        self.ack.acked_seq = entry.seq;
        Ok(())
    }
}

/// The branch's new position, last receipt and contact, and reported backlog.
async fn record_position(
    tx: &mut Conn,
    branch: &BranchRef,
    batch: &IngestBatch,
    acked_seq: u64,
    received_at: Option<String>,
    now: &str,
) -> Result<(), IngestError> {
    query(
        "UPDATE branch SET epoch = $2, last_seq = $3, received_at = COALESCE($4, received_at), \
         last_contact = $5, backlog = COALESCE($6, backlog), \
         backlog_documents = COALESCE($7, backlog_documents) WHERE id = $1",
    )
    .bind(branch.id)
    .bind(to_i64(batch.epoch)?)
    .bind(to_i64(acked_seq)?)
    .bind(received_at)
    .bind(now)
    .bind(batch.backlog.map(|backlog| to_i64(backlog.entries)).transpose()?)
    .bind(
        batch
            .backlog
            .map(|backlog| to_i64(backlog.documents))
            .transpose()?,
    )
    .execute(tx)
    .await?;
    Ok(())
}

fn entry_kind(body: &EntryBody) -> &'static str {
    match body {
        EntryBody::Document(_) => "document",
        EntryBody::BaseRecord(_) => "base-record",
        EntryBody::Rejection(_) => "rejection",
    }
}
