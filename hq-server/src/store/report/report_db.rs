//! The database a report reads: the store itself, or a PostgreSQL hot standby of it (`serve
//! --report-db`). Either way a report reads one snapshot (`Store::read_snapshot`: one REPEATABLE
//! READ READ ONLY transaction on PostgreSQL), and on a standby it carries the standby's replay
//! lag, measured before the snapshot begins. A standby that fails is never replaced by the
//! store: the report fails, naming the report database.

use crate::store::db::error::DbError;
use crate::store::db::standby::{ReplayLag, Standby};
use crate::store::Store;

/// Where reports are read.
#[derive(Debug, Clone)]
pub enum ReportDb {
    /// The store (`--db`).
    Store(Store),
    /// A hot standby of the store (`--report-db`); the store is asked for its WAL position.
    Standby { standby: Standby, store: Store },
}

/// One report's view of its database.
#[derive(Debug)]
pub struct ReportSnapshot {
    /// Every read of the report goes through this handle.
    pub store: Store,
    /// On a standby, how far its replay was behind the store when the report began.
    pub replay_lag: Option<ReplayLag>,
}

/// A report database that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportDbError {
    #[error("report database {url}: {source}")]
    Standby { url: String, source: DbError },
    #[error("database error: {0}")]
    Store(#[from] DbError),
}

impl ReportDb {
    /// The standby's URL (password masked), when reports are read there.
    pub fn standby_url(&self) -> Option<&str> {
        match self {
            ReportDb::Store(_) => None,
            ReportDb::Standby { standby, .. } => Some(&standby.url),
        }
    }

    /// A snapshot for one report: the replay lag first, then the transaction.
    pub async fn snapshot(&self) -> Result<ReportSnapshot, ReportDbError> {
        match self {
            ReportDb::Store(store) => Ok(ReportSnapshot {
                store: store.read_snapshot().await?,
                replay_lag: None,
            }),
            ReportDb::Standby { standby, store } => {
                let failed = |source| ReportDbError::Standby {
                    url: standby.url.to_string(),
                    source,
                };
                let replay_lag = standby.replay_lag(store).await.map_err(failed)?;
                Ok(ReportSnapshot {
                    store: standby.store.read_snapshot().await.map_err(failed)?,
                    replay_lag: Some(replay_lag),
                })
            }
        }
    }

    /// Closes the standby's connections (the store is closed by its owner).
    pub async fn close(&self) {
        if let ReportDb::Standby { standby, .. } = self {
            standby.store.close().await;
        }
    }
}
