//! The agent's access to the branch ledger: `branch_node::Ledger` is synchronous (rusqlite),
//! so every call runs on tokio's blocking pool, behind a mutex, with the ledger path in errors.

use branch_node::{Ledger, LedgerError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, thiserror::Error)]
pub enum LedgerAccessError {
    #[error("ledger {ledger}: {source}")]
    Ledger {
        ledger: PathBuf,
        source: Box<LedgerError>,
    },
    #[error("ledger {ledger}: a ledger call panicked: {reason}")]
    Panicked { ledger: PathBuf, reason: String },
}

/// One ledger connection shared by the async tasks of one transfer.
#[derive(Clone)]
pub struct SharedLedger {
    path: PathBuf,
    ledger: Arc<Mutex<Ledger>>,
}

impl SharedLedger {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Page cache of each agent connection, in KiB: the agent streams the outbox once, so a small
/// cache keeps its memory flat however large the backlog (the ledger's default suits imports).
pub const AGENT_PAGE_CACHE_KIB: u32 = 2 * 1024;

/// Opens the ledger with the agent's small page cache (blocking).
pub fn open_lean(path: &Path) -> Result<Ledger, Box<LedgerError>> {
    let ledger = Ledger::open(path)?;
    ledger.set_page_cache_kib(AGENT_PAGE_CACHE_KIB)?;
    Ok(ledger)
}

pub async fn open_shared(path: &Path) -> Result<SharedLedger, LedgerAccessError> {
    let owned = path.to_owned();
    let opened = tokio::task::spawn_blocking(move || open_lean(&owned)).await;
    let ledger = flatten(path, opened)?;
    Ok(SharedLedger {
        path: path.to_owned(),
        ledger: Arc::new(Mutex::new(ledger)),
    })
}

/// Runs `call` with the ledger on the blocking pool. Ledger errors travel boxed (they are large).
pub async fn run_blocking<T: Send + 'static>(
    shared: &SharedLedger,
    call: impl FnOnce(&Ledger) -> Result<T, Box<LedgerError>> + Send + 'static,
) -> Result<T, LedgerAccessError> {
    let ledger = shared.ledger.clone();
    let result = tokio::task::spawn_blocking(move || {
        let guard = ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        call(&guard)
    })
    .await;
    flatten(&shared.path, result)
}

fn flatten<T>(
    path: &Path,
    result: Result<Result<T, Box<LedgerError>>, tokio::task::JoinError>,
) -> Result<T, LedgerAccessError> {
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(source)) => Err(LedgerAccessError::Ledger {
            ledger: path.to_owned(),
            source,
        }),
        Err(join_error) => Err(LedgerAccessError::Panicked {
            ledger: path.to_owned(),
            reason: join_error.to_string(),
        }),
    }
}
