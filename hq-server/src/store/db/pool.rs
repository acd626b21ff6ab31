//! The store's connections: `Pool` (a rusqlite pool for an SQLite file, sqlx's `PgPool`, or
//! one PostgreSQL read snapshot that every statement shares), `Conn` (one connection, or the
//! connection of a transaction) and `Tx`, a transaction that rolls back when dropped
//! uncommitted — at any `.await`, so a cancelled gRPC handler leaves nothing half done and
//! hands back a clean connection.

use super::error::DbError;
use super::sqlite::{blocking, SqliteConn, SqlitePool};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The transaction of a read snapshot, shared by the statements run on it one at a time.
type SnapshotTx = Arc<Mutex<sqlx::Transaction<'static, Postgres>>>;

/// How a read snapshot begins: every statement sees the database as of the first one, and
/// none can write (a hot standby refuses SERIALIZABLE, so it is REPEATABLE READ).
const SNAPSHOT_BEGIN: &str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Each statement of a read snapshot is planned for its own values: a report's date range then
/// prunes the month partitions it does not cover at planning, so it neither reads nor locks them
/// (a cached generic plan would lock every partition before pruning them).
const SNAPSHOT_PLANS: &str = "SET LOCAL plan_cache_mode = force_custom_plan";

/// Where the store's connections come from; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Pool(PoolInner);

#[derive(Debug, Clone)]
enum PoolInner {
    Sqlite(SqlitePool),
    Postgres(PgPool),
    /// One read-only transaction (`Pool::snapshot`): every `acquire` hands out its connection.
    Snapshot(SnapshotTx),
}

/// How a write transaction starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begin {
    /// SQLite takes the write lock up front (single writer, no upgrade deadlocks); on
    /// PostgreSQL a plain BEGIN, rows are locked with `FOR UPDATE`.
    Write,
    /// A deferred BEGIN on SQLite (the lock is taken by the first write).
    Deferred,
}

impl Pool {
    /// The pool's connections in use and its idle ones.
    pub(crate) fn usage(&self) -> (u32, u32) {
        match &self.0 {
            PoolInner::Sqlite(pool) => pool.usage(),
            PoolInner::Postgres(pool) => {
                let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
                (pool.size().saturating_sub(idle), idle)
            }
            PoolInner::Snapshot(_) => (1, 0),
        }
    }

    /// A pool of at most `max_connections` to the SQLite file `path`, each connection running
    /// `setup` when opened; `once` runs on the first (database-wide settings).
    pub(crate) fn open_sqlite(
        path: &Path,
        max_connections: u32,
        setup: String,
        once: &str,
    ) -> Result<Pool, DbError> {
        Ok(Pool(PoolInner::Sqlite(SqlitePool::open(
            path,
            max_connections,
            setup,
            once,
        )?)))
    }

    /// A pool of at most `max_connections` to the PostgreSQL database at `url`; a caller waits
    /// at most `acquire_timeout` for a connection (connecting included).
    pub(crate) async fn open_postgres(
        url: &str,
        max_connections: u32,
        acquire_timeout: Duration,
    ) -> Result<Pool, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(acquire_timeout)
            .connect(url)
            .await?;
        Ok(Pool(PoolInner::Postgres(pool)))
    }

    /// One connection, outside any transaction (each statement commits on its own); on a
    /// snapshot, the snapshot's connection, inside its transaction.
    pub(crate) async fn acquire(&self) -> Result<Conn, DbError> {
        Ok(match &self.0 {
            PoolInner::Sqlite(pool) => Conn(ConnInner::Sqlite(pool.acquire().await?)),
            PoolInner::Postgres(pool) => Conn(ConnInner::Postgres(pool.acquire().await?)),
            // Readers take it in turn; one that asks while holding it is a bug, not a wait.
            PoolInner::Snapshot(tx) => Conn(ConnInner::Snapshot(
                Arc::clone(tx)
                    .try_lock_owned()
                    .map_err(|_held| DbError::SnapshotBusy)?,
            )),
        })
    }

    /// A PostgreSQL pool's read snapshot: one REPEATABLE READ READ ONLY transaction on one of
    /// its connections, which every statement on the returned pool runs in, so they all see
    /// the database as of the first. It rolls back when the last clone is dropped. `None` on
    /// an SQLite pool (or a snapshot already).
    pub(crate) async fn snapshot(&self) -> Result<Option<Pool>, DbError> {
        let PoolInner::Postgres(pool) = &self.0 else {
            return Ok(None);
        };
        // In a task of its own, as `begin_with`: a BEGIN cut short must not leak.
        let pool = pool.clone();
        let transaction = tokio::spawn(async move {
            let mut transaction = pool.begin().await?;
            sqlx::Executor::execute(&mut *transaction, SNAPSHOT_BEGIN).await?;
            sqlx::Executor::execute(&mut *transaction, SNAPSHOT_PLANS).await?;
            Ok::<_, sqlx::Error>(transaction)
        })
        .await
        .map_err(|_panicked| DbError::TaskFailed)??;
        Ok(Some(Pool(PoolInner::Snapshot(Arc::new(Mutex::new(transaction))))))
    }

    /// Opens a write transaction: `BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL.
    pub(crate) async fn begin_write(&self) -> Result<Tx, DbError> {
        self.begin_with(Begin::Write).await
    }

    /// Opens a transaction that takes SQLite's write lock only at its first write.
    pub(crate) async fn begin(&self) -> Result<Tx, DbError> {
        self.begin_with(Begin::Deferred).await
    }

    async fn begin_with(&self, begin: Begin) -> Result<Tx, DbError> {
        match &self.0 {
            PoolInner::Sqlite(pool) => {
                let connection = pool.acquire().await?;
                let sql = match begin {
                    Begin::Write => "BEGIN IMMEDIATE",
                    Begin::Deferred => "BEGIN",
                };
                // Synchronous from here on: nothing can cancel between the BEGIN and the `Tx`
                // that rolls it back when dropped.
                blocking(|| connection.connection().execute_batch(sql))?;
                Ok(Tx {
                    conn: Conn(ConnInner::Sqlite(connection)),
                })
            }
            PoolInner::Postgres(pool) => {
                // In a task of its own: sqlx's `begin` is not cancel-safe (a BEGIN cut short
                // would hand its connection back inside a transaction).
                let pool = pool.clone();
                let transaction = tokio::spawn(async move { pool.begin().await })
                    .await
                    .map_err(|_panicked| DbError::TaskFailed)??;
                Ok(Tx {
                    conn: Conn(ConnInner::PostgresTx(transaction)),
                })
            }
            PoolInner::Snapshot(_) => Err(DbError::SnapshotBusy),
        }
    }

    /// Closes every connection; work in progress finishes first.
    pub(crate) async fn close(&self) {
        match &self.0 {
            PoolInner::Sqlite(pool) => pool.close().await,
            PoolInner::Postgres(pool) => pool.close().await,
            // The transaction rolls back when its last clone is dropped.
            PoolInner::Snapshot(_) => {}
        }
    }
}

/// One connection of the pool, or the connection of a transaction (a `Tx` derefs to it).
#[derive(Debug)]
pub(crate) struct Conn(ConnInner);

#[derive(Debug)]
enum ConnInner {
    Sqlite(SqliteConn),
    Postgres(PoolConnection<Postgres>),
    PostgresTx(sqlx::Transaction<'static, Postgres>),
    Snapshot(OwnedMutexGuard<sqlx::Transaction<'static, Postgres>>),
}

/// A connection's own driver, for the native paths (bulk writes, packed blocks, reports).
pub(crate) enum Driver<'c> {
    Sqlite(Native<'c>),
    Postgres(&'c mut PgConnection),
}

/// The rusqlite connection of an SQLite `Conn`, used through `run`.
pub(crate) struct Native<'c>(&'c rusqlite::Connection);

impl Native<'_> {
    /// Runs `work` on the connection without stalling the async runtime (see `blocking`).
    pub(crate) fn run<R>(self, work: impl FnOnce(&rusqlite::Connection) -> R) -> R {
        blocking(|| work(self.0))
    }
}

impl Conn {
    pub(crate) fn driver(&mut self) -> Driver<'_> {
        match &mut self.0 {
            ConnInner::Sqlite(connection) => Driver::Sqlite(Native(connection.connection())),
            ConnInner::Postgres(connection) => Driver::Postgres(connection),
            ConnInner::PostgresTx(transaction) => Driver::Postgres(transaction),
            ConnInner::Snapshot(transaction) => Driver::Postgres(transaction),
        }
    }
}

/// A transaction: `commit` or `rollback` it; dropped uncommitted, it rolls back (SQLite: as
/// its connection goes back to the pool; PostgreSQL: sqlx's transaction manager, before the
/// connection's next use).
#[derive(Debug)]
pub(crate) struct Tx {
    conn: Conn,
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<(), DbError> {
        match self.conn.0 {
            ConnInner::Sqlite(connection) => {
                // A failed COMMIT leaves the transaction open: the pool rolls it back.
                blocking(|| connection.connection().execute_batch("COMMIT"))?;
            }
            ConnInner::PostgresTx(transaction) => transaction.commit().await?,
            ConnInner::Postgres(_) | ConnInner::Snapshot(_) => {
                unreachable!("a transaction holds a sqlx transaction")
            }
        }
        Ok(())
    }

    #[cfg(test)]
    pub(crate) async fn rollback(self) -> Result<(), DbError> {
        match self.conn.0 {
            ConnInner::Sqlite(connection) => {
                blocking(|| connection.connection().execute_batch("ROLLBACK"))?;
            }
            ConnInner::PostgresTx(transaction) => transaction.rollback().await?,
            ConnInner::Postgres(_) | ConnInner::Snapshot(_) => {
                unreachable!("a transaction holds a sqlx transaction")
            }
        }
        Ok(())
    }
}

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}
