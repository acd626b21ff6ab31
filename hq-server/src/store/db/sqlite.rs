//! A small pool of rusqlite connections to one SQLite file: at most `max_connections` open, each
//! opened with the store's pragmas; a connection handed back inside a transaction (its holder
//! dropped mid-transaction, e.g. a cancelled gRPC handler) is rolled back before it is reused.
//! rusqlite is synchronous: its calls run through `blocking`, so that a busy wait or a long
//! statement never holds an async worker thread.

use super::error::DbError;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long `acquire` waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Prepared statements kept per connection (rusqlite's LRU cache; its default is 16).
const STATEMENT_CACHE: usize = 128;

/// Runs `work`, a synchronous database call, without stalling the async runtime: on a
/// multi-thread runtime the worker hands its other tasks over first (`block_in_place`); on a
/// current-thread runtime (unit tests) or outside one it runs inline.
pub(super) fn blocking<R>(work: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    /// Run on every new connection (`PRAGMA ...; PRAGMA ...`).
    setup: String,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
    max_connections: u32,
}

impl Shared {
    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connect(&self) -> Result<Connection, DbError> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.execute_batch(&self.setup)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(connection)
    }
}

/// The pool of one SQLite file; cheap to clone.
#[derive(Debug, Clone)]
pub(super) struct SqlitePool {
    shared: Arc<Shared>,
}

impl SqlitePool {
    /// Opens the first connection to `path` (creating the file if missing) and runs
    /// `once` on it (e.g. `PRAGMA journal_mode = WAL`); every connection runs `setup` first.
    pub(super) fn open(
        path: &Path,
        max_connections: u32,
        setup: String,
        once: &str,
    ) -> Result<SqlitePool, DbError> {
        let max_connections = max_connections.max(1);
        let shared = Shared {
            path: path.to_owned(),
            setup,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max_connections as usize)),
            max_connections,
        };
        let first = blocking(|| {
            let connection = shared.connect()?;
            connection.execute_batch(once)?;
            Ok::<_, DbError>(connection)
        })?;
        shared.idle().push(first);
        Ok(SqlitePool {
            shared: Arc::new(shared),
        })
    }

    /// Connections in use and idle ones.
    pub(super) fn usage(&self) -> (u32, u32) {
        let free = u32::try_from(self.shared.permits.available_permits()).unwrap_or(u32::MAX);
        let idle = u32::try_from(self.shared.idle().len()).unwrap_or(u32::MAX);
        (self.shared.max_connections.saturating_sub(free), idle)
    }

    /// A connection of the pool, opened if none is idle; waits while all are in use.
    pub(super) async fn acquire(&self) -> Result<SqliteConn, DbError> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.shared.permits.clone().acquire_owned())
            .await
            .map_err(|_| DbError::PoolTimedOut {
                seconds: ACQUIRE_TIMEOUT.as_secs(),
            })?
            .map_err(|_closed| DbError::PoolClosed)?;
        let idle = self.shared.idle().pop();
        let connection = match idle {
            Some(connection) => connection,
            None => blocking(|| self.shared.connect())?,
        };
        Ok(SqliteConn {
            connection: Some(connection),
            shared: self.shared.clone(),
            _permit: permit,
        })
    }

    /// Waits until every connection is back, then closes them all; later `acquire`s fail.
    pub(super) async fn close(&self) {
        let all = self
            .shared
            .permits
            .acquire_many(self.shared.max_connections)
            .await;
        let idle = std::mem::take(&mut *self.shared.idle());
        blocking(|| drop(idle));
        self.shared.permits.close();
        drop(all);
    }
}

/// A connection taken from the pool; back to it when dropped (rolled back first if it is
/// inside a transaction).
#[derive(Debug)]
pub(super) struct SqliteConn {
    connection: Option<Connection>,
    shared: Arc<Shared>,
    // Released after `drop` has put the connection back.
    _permit: OwnedSemaphorePermit,
}

impl SqliteConn {
    pub(super) fn connection(&self) -> &Connection {
        self.connection
            .as_ref()
            .expect("a pooled connection is present until dropped")
    }
}

impl Drop for SqliteConn {
    fn drop(&mut self) {
        let Some(connection) = self.connection.take() else {
            return;
        };
        if !connection.is_autocommit() {
            // A holder dropped mid-transaction: undo it (fast, no lock to wait for). Should the
            // rollback fail, the connection is closed rather than reused inside a transaction.
            let _ = connection.execute_batch("ROLLBACK");
            if !connection.is_autocommit() {
                return;
            }
        }
        if !self.shared.permits.is_closed() {
            self.shared.idle().push(connection);
        }
    }
}
