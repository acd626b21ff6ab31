//! Background WAL checkpoints for the SQLite store: copying committed pages from the WAL into
//! the database file (and the fsyncs that go with it) runs on a thread of its own, with its own
//! connection, instead of inside whichever commit crosses SQLite's auto-checkpoint threshold.
//!
//! Ingestion pokes the thread after each commit; the thread also runs once a second so that
//! every other writer's pages get copied too. A checkpoint here is PASSIVE: it copies what it
//! can without waiting for readers or the writer, so it never delays a transaction. While a
//! writer commits back to back the WAL is never empty at its next BEGIN, so SQLite cannot start
//! the WAL file over; the store's connections keep an auto-checkpoint at `INLINE_PAGES`, which
//! then finds almost everything copied already and lets the WAL restart, bounding its size.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

/// The WAL size, in pages, at which a committing connection checkpoints inline (SQLite's own
/// default is 1,000): the bound on the WAL while the background thread lags behind a writer.
pub(crate) const INLINE_PAGES: u32 = 16_384;

/// How often the thread checkpoints when nobody pokes it.
pub(super) const TICK: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot open the checkpoint connection to {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("cannot start the checkpoint thread: {0}")]
    Spawn(std::io::Error),
}

/// The checkpoint thread of one SQLite database.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    poke: Mutex<Option<SyncSender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Checkpointer {
    /// Opens a connection to the database at `path` and starts the thread.
    pub(crate) fn start(path: &Path) -> Result<Checkpointer, CheckpointError> {
        let connection = rusqlite::Connection::open(path).map_err(|source| CheckpointError::Open {
            path: path.display().to_string(),
            source,
        })?;
        // At most one poke waits: a checkpoint that is about to run covers every commit before it.
        let (poke, pokes) = mpsc::sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while let Ok(()) | Err(RecvTimeoutError::Timeout) = pokes.recv_timeout(TICK) {
                    checkpoint(&connection);
                }
            })
            .map_err(CheckpointError::Spawn)?;
        Ok(Checkpointer {
            poke: Mutex::new(Some(poke)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Asks for a checkpoint soon (after a commit); never blocks.
    pub(crate) fn poke(&self) {
        if let Some(poke) = lock(&self.poke).as_ref() {
            let _already_pending = poke.try_send(());
        }
    }

    /// Stops the thread and closes its connection (waiting for a running checkpoint).
    pub(crate) fn stop(&self) {
        lock(&self.poke).take();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn checkpoint(connection: &rusqlite::Connection) {
    // (busy, frames in the WAL, frames copied); a failure is retried at the next poke or tick.
    let result = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match result {
        Ok((frames, copied)) => tracing::trace!(frames, copied, "background checkpoint"),
        Err(error) => tracing::warn!(%error, "background checkpoint failed"),
    }
}
