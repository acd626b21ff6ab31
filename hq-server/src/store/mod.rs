//! The HQ store: an SQLite file (embedded default) or a PostgreSQL database, each through its
//! own driver (`db::pool`), migrated at open. HQ keeps no state outside it, so several
//! `hq-server` replicas may share one database.
//!
//! This file holds the handle (`Store`) and its error (`StoreError`); each folder owns one
//! concept, and dependencies run down this list, never up:
//! - `db`: the database itself: the driver layer (pool, connections and transactions, queries,
//!   rows, errors), dialect differences, URL and location checks, opening (read-write pool,
//!   read-only report connections, a PostgreSQL hot standby for reports), migrations, WAL
//!   checkpoints, stored values.
//! - `bulk`: multi-row writes: column specs and values, one writer per backend.
//! - `registry`: organizations, branches and their credentials, master data, targets, templates,
//!   the counterpart rules and the audit log.
//! - `rollup`: the report roll-ups: packed blocks and their product slots, the pending tier,
//!   folding, and a batch's roll-up delta.
//! - `trade`: inter-branch trade routing, the register of routed trades and the branch inbox.
//! - `close`: the daily close: HQ's figures of a branch's business day, the closes recorded and
//!   their reopening.
//! - `history`: the document history's retention: retiring a past year's month partitions.
//! - `ingest`: exactly-once ingestion of outbox batches, their validation plan, quarantine and
//!   reconcile.
//! - `report`: the consolidated reports and how they read the roll-ups.

pub mod alert;
pub mod bulk;
pub mod close;
pub mod commission;
pub mod db;
pub mod history;
pub mod ingest;
pub mod registry;
pub mod report;
pub mod rollup;
pub mod trade;

use crate::metrics::counters::Counters;
use db::checkpoint::{CheckpointError, Checkpointer};
use db::dialect::Dialect;
use db::error::DbError;
use db::partitions::{Month, Partitions};
use db::pool::{Pool, Tx};
use db::query::query;
use db::url::DbUrlError;
use rollup::packed::PackError;
use rollup::slot_cache::SlotCache;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {url:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl { url: String },
    #[error(transparent)]
    Location(#[from] DbUrlError),
    #[error("cannot open database: {source}")]
    Open { source: DbError },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: DbError,
    },
    #[error("database schema version {found} is newer than this build's {supported}")]
    NewerSchema { found: i64, supported: i64 },
    #[error(
        "database schema version {found} was written by a pre-release hq-server, whose migrations \
         this build folded into version 1: this build cannot open it; start a new store"
    )]
    PreReleaseSchema { found: i64 },
    #[error(transparent)]
    Packed(#[from] PackError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("stored {what} is unreadable: {reason}")]
    CorruptValue { what: &'static str, reason: String },
    // Any other database failure; add a dedicated variant when a caller must tell it apart.
    #[error("database error: {0}")]
    Database(DbError),
}

impl From<DbError> for StoreError {
    /// A stored value the reader refuses is a corrupt value; anything else a database failure.
    fn from(error: DbError) -> StoreError {
        match error {
            DbError::BadValue { .. } => StoreError::CorruptValue {
                what: "value",
                reason: error.to_string(),
            },
            other => StoreError::Database(other),
        }
    }
}

/// A handle on the HQ database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    dialect: Dialect,
    /// SQLite only: the database file, which report readers also open read-only.
    sqlite_file: Option<PathBuf>,
    /// SQLite files only: the background WAL checkpoint thread.
    checkpointer: Option<Arc<Checkpointer>>,
    /// Committed roll-up product ids (immutable once committed; see `packed_store`).
    slot_cache: Arc<SlotCache>,
    /// A branch's pending roll-up rows are folded into the blocks at this many (see `rollup::fold`).
    rollup_fold_batches: u32,
    /// Write commits so far (`after_commit`), for `rollup::fold::fold_when_idle` to see a pause.
    commits: Arc<AtomicU64>,
    /// What this node counts while it runs, for `/metrics` (`metrics::counters`).
    counters: Counters,
    /// Turns to run an ingestion transaction, fewer than the pool's connections (see
    /// [`ingest_writers`]): a thousand branches pushing at once queue here, in order and without
    /// a timeout, instead of in the pool, where a Hello or a report behind them would wait past
    /// the pool's acquire timeout.
    ingest_turns: Arc<tokio::sync::Semaphore>,
    /// The month partitions of the document history known attached (PostgreSQL).
    partitions: Arc<Partitions>,
}

/// Connections of the pool that ingestion leaves to every other call.
const CONNECTIONS_KEPT_FROM_INGESTION: u32 = 2;

/// How many ingestion transactions may run at once on a pool of `max_connections`: all but
/// [`CONNECTIONS_KEPT_FROM_INGESTION`], at least one.
pub(crate) fn ingest_writers(max_connections: u32) -> usize {
    max_connections
        .saturating_sub(CONNECTIONS_KEPT_FROM_INGESTION)
        .max(1) as usize
}

/// The default of `Store::with_rollup_fold_batches`.
pub const DEFAULT_ROLLUP_FOLD_BATCHES: u32 = 16;

impl Store {
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The database file of an SQLite store; `None` on PostgreSQL.
    pub(crate) fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref()
    }

    /// Folds a branch's pending roll-up additions into the blocks once it has `batches` of
    /// them (at least 1: every batch folds at once). More batches make ingestion cheaper and
    /// reports read more pending rows (`fold`).
    pub fn with_rollup_fold_batches(mut self, batches: u32) -> Store {
        self.rollup_fold_batches = batches.max(1);
        self
    }

    /// The running counts of this node's store (ingestion, reports, refusals, folds).
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The pool's connections in use and its idle ones.
    pub fn connections(&self) -> (u32, u32) {
        self.pool.usage()
    }

    /// Pending roll-up rows not yet folded into the blocks, of every branch.
    pub async fn pending_rollup_rows(&self) -> Result<u64, StoreError> {
        let count: i64 = query("SELECT COUNT(*) FROM rollup_pending")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    pub(crate) fn rollup_fold_batches(&self) -> u32 {
        self.rollup_fold_batches
    }

    /// Waits for a turn to run an ingestion transaction; the turn ends when the permit drops.
    /// `None` never happens in practice: the semaphore is never closed.
    pub(crate) async fn ingest_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.ingest_turns.acquire().await.ok()
    }

    /// Attaches the month partitions documents dated in `months` are stored in, where missing
    /// (PostgreSQL; see `db::partitions`). Called before a write that stores documents.
    pub(crate) async fn ensure_partitions(
        &self,
        months: std::collections::BTreeSet<Month>,
    ) -> Result<(), DbError> {
        self.partitions.ensure(&self.pool, self.dialect, months).await
    }

    pub(crate) fn slot_cache(&self) -> &SlotCache {
        &self.slot_cache
    }

    /// Opens a write transaction: on SQLite it holds the write lock from the start (single
    /// writer, no upgrade deadlocks); on PostgreSQL rows are locked with `FOR UPDATE`.
    pub(crate) async fn begin_write(&self) -> Result<Tx, DbError> {
        self.pool.begin_write().await
    }

    /// Counts a write commit (`commits`) and asks for its WAL pages to be copied into the
    /// database file soon, off the writer's path (SQLite; nothing on PostgreSQL).
    pub(crate) fn after_commit(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.poke();
        }
    }

    /// How many commits `after_commit` has seen (ingestion's and folds').
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// This store as one read snapshot, for a report: on PostgreSQL every statement run through
    /// the returned handle is in one REPEATABLE READ READ ONLY transaction, which rolls back
    /// when the handle's last clone is dropped; an SQLite store is returned as it is (its
    /// report readers open read-only connections to the file, each statement its own).
    pub async fn read_snapshot(&self) -> Result<Store, DbError> {
        Ok(match self.pool.snapshot().await? {
            Some(pool) => Store { pool, ..self.clone() },
            None => self.clone(),
        })
    }

    /// Closes every connection; pending work finishes first.
    pub async fn close(&self) {
        // The checkpoint connection goes first, so that the pool's last connection to close
        // is the last one on the file and checkpoints and removes the WAL as it goes.
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.stop();
        }
        self.pool.close().await;
    }
}
