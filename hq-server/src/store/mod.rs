//! The HQ store: one sqlx `Any` pool over SQLite (embedded default) or PostgreSQL, migrated at
//! open. HQ keeps no state outside it, so several `hq-server` replicas may share one database.

mod calendar;
mod checkpoint;
pub mod counterpart_check;
pub mod credential;
pub mod db_url;
pub mod dialect;
pub mod fold;
pub mod inbox;
mod inbox_queue;
pub mod ingest;
mod migrate;
mod packed;
mod packed_migrate;
mod packed_store;
mod pending;
mod pg_arrays;
mod plan;
pub mod quarantine;
pub mod reconcile;
pub mod registry;
pub mod report;
mod report_packed;
mod report_query;
mod report_read;
mod report_stock;
pub mod rollup;
pub mod routing;
mod rows;
mod sqlite_native;
pub mod target;
pub mod template;
mod trade_register;

pub use dialect::Dialect;
pub use packed::PackError;

pub use checkpoint::CheckpointError;
use checkpoint::Checkpointer;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor, Row, Transaction};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL {url:?}: expected sqlite://PATH or postgres://...")]
    UnsupportedUrl { url: String },
    #[error(transparent)]
    Location(#[from] db_url::DbUrlError),
    #[error("cannot open database: {source}")]
    Open { source: sqlx::Error },
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
    #[error("database schema version {found} is newer than this build's {supported}")]
    NewerSchema { found: i64, supported: i64 },
    #[error(transparent)]
    Packed(#[from] packed::PackError),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("stored {what} is unreadable: {reason}")]
    CorruptValue { what: &'static str, reason: String },
    // Any other database failure; add a dedicated variant when a caller must tell it apart.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A handle on the HQ database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// SQLite files only: the background WAL checkpoint thread.
    checkpointer: Option<Arc<Checkpointer>>,
    /// Committed roll-up product ids (immutable once committed; see `packed_store`).
    slot_cache: Arc<packed_store::SlotCache>,
    /// A branch's pending roll-up rows are folded into the blocks at this many (see `fold`).
    rollup_fold_batches: u32,
    /// Write commits so far (`after_commit`), for `fold::fold_when_idle` to see a pause.
    commits: Arc<AtomicU64>,
}

/// The default of `Store::with_rollup_fold_batches`.
pub const DEFAULT_ROLLUP_FOLD_BATCHES: u32 = 16;

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created if missing, or `postgres://...`) and applies
    /// pending migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        db_url::check_store_location(url).await?;
        let dialect =
            Dialect::from_url(url).ok_or_else(|| StoreError::UnsupportedUrl { url: url.to_owned() })?;
        if dialect == Dialect::Sqlite {
            sqlite_native::register_handle_function()
                .map_err(|error| StoreError::Open { source: error.into() })?;
        }
        let url = match dialect {
            Dialect::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30));
        if dialect == Dialect::Sqlite {
            // A 32 MiB page cache per connection (default 2 MiB) keeps the roll-up and document
            // b-trees that ingestion updates in memory. WAL pages are copied back by the
            // checkpoint thread; a commit does it inline only past `checkpoint::INLINE_PAGES`.
            // A connection to a local file does not go stale: no ping before each use.
            // synchronous = NORMAL (ingestion speed): a power loss may drop the last commits,
            // acknowledged batches included. That is recovered, not prevented: on its next Hello
            // a branch reports what it had acknowledged, HQ audits that it holds less, and the
            // agent lowers its acknowledged position to HQ's and resends (the same path as HQ
            // restored from a copy), so HQ ends equal to the branch.
            options = options.test_before_acquire(false).after_connect(|connection, _| {
                Box::pin(async move {
                    let pragmas = format!(
                        "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                         PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = {}",
                        checkpoint::INLINE_PAGES
                    );
                    connection.execute(pragmas.as_str()).await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(&url)
            .await
            .map_err(|source| StoreError::Open { source })?;
        if dialect == Dialect::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .map_err(|source| StoreError::Open { source })?;
        }
        let checkpointer = match checkpoint::sqlite_path(&url) {
            Some(path) if dialect == Dialect::Sqlite => Some(Arc::new(Checkpointer::start(&path)?)),
            _ => None,
        };
        let store = Store {
            pool,
            dialect,
            checkpointer,
            slot_cache: Arc::default(),
            rollup_fold_batches: DEFAULT_ROLLUP_FOLD_BATCHES,
            commits: Arc::default(),
        };
        migrate::apply(&store).await?;
        Ok(store)
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Folds a branch's pending roll-up additions into the blocks once it has `batches` of
    /// them (at least 1: every batch folds at once). More batches make ingestion cheaper and
    /// reports read more pending rows (`fold`).
    pub fn with_rollup_fold_batches(mut self, batches: u32) -> Store {
        self.rollup_fold_batches = batches.max(1);
        self
    }

    pub(crate) fn rollup_fold_batches(&self) -> u32 {
        self.rollup_fold_batches
    }

    pub(crate) fn slot_cache(&self) -> &packed_store::SlotCache {
        &self.slot_cache
    }

    /// Opens a write transaction (see `Dialect::begin_write`).
    ///
    /// The BEGIN runs in its own task: sqlx's `begin_with` is not cancel-safe, and a gRPC
    /// handler is cancelled whenever its client goes away (an agent killed mid-call). A BEGIN
    /// cut short would return its connection to the pool inside a transaction and fail every
    /// later call on it with "begin_with at non-zero transaction depth".
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        let pool = self.pool.clone();
        let begin = self.dialect.begin_write();
        tokio::spawn(async move { pool.begin_with(begin).await })
            .await
            .map_err(|_panicked| sqlx::Error::WorkerCrashed)?
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

/// The current time as stored: RFC 3339 UTC to the second.
pub(crate) fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Reads a non-negative counter column stored as BIGINT.
pub(crate) fn get_u64(row: &AnyRow, index: usize) -> Result<u64, sqlx::Error> {
    let value: i64 = row.try_get(index)?;
    Ok(u64::try_from(value).unwrap_or(0))
}

/// A u64 counter as stored (BIGINT).
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
