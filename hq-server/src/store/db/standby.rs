//! A PostgreSQL hot standby that answers reports (`serve --report-db`): its URL checked like the
//! store's (passwords masked in messages) and opened without migrations, since a standby is
//! read-only; refused at start unless it is in recovery, a copy of the store's cluster (the same
//! system identifier) and at the store's schema version (waited for a little, since the store
//! was just migrated). `replay_lag` measures how far its replay is behind the primary.

use super::dialect::Dialect;
use super::error::DbError;
use super::pool::Pool;
use super::query::query;
use super::url::{self, DbLocation, DbUrlError};
use crate::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a report waits for a connection to the standby, connecting included: a standby that
/// is down fails the report within this.
const ACQUIRE_TIMEOUT: Duration = url::CONNECT_TIMEOUT;

/// How long start-up waits for the standby to replay the store's schema version (the
/// migrations this start has just applied) before refusing it.
const SCHEMA_CATCH_UP: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StandbyError {
    #[error(
        "report database {url:?} is not PostgreSQL: --report-db takes the postgres:// URL of a hot standby of --db"
    )]
    NotPostgres { url: String },
    #[error("report database: the store (--db) is SQLite, which has no standby: --report-db needs a PostgreSQL --db")]
    SqliteStore,
    #[error("report database: {0}")]
    Location(#[from] DbUrlError),
    #[error(
        "report database {url} is not a standby: pg_is_in_recovery() is false, so it takes writes; \
         point --report-db at a streaming replica of --db"
    )]
    NotInRecovery { url: String },
    #[error(
        "report database {url} is a standby of another cluster: its system identifier is {standby}, \
         the store's {primary}"
    )]
    OtherCluster {
        url: String,
        standby: String,
        primary: String,
    },
    #[error(
        "report database {url} is at schema version {standby}, the store at {primary}: start HQ again \
         once the standby has replayed the store's migrations"
    )]
    SchemaVersion { url: String, standby: i64, primary: i64 },
    #[error("report database {url}: {source}")]
    Database { url: String, source: DbError },
}

/// Checks the shape of `report_db` beside the store's `db`, opening nothing: a PostgreSQL URL,
/// for a PostgreSQL store.
pub fn check_report_db_url(db: &str, report_db: &str) -> Result<(), StandbyError> {
    require_postgres(report_db)?;
    if url::parse_db_url(db).ok() != Some(DbLocation::Postgres) {
        return Err(StandbyError::SqliteStore);
    }
    Ok(())
}

fn require_postgres(report_db: &str) -> Result<(), StandbyError> {
    if url::parse_db_url(report_db)? != DbLocation::Postgres {
        return Err(StandbyError::NotPostgres {
            url: url::redacted(report_db),
        });
    }
    Ok(())
}

/// A hot standby of the store, opened for reports.
#[derive(Debug, Clone)]
pub struct Standby {
    /// The standby's handle: the store's settings over a pool of connections to the standby.
    pub store: Store,
    /// The URL with any password masked, for messages.
    pub url: Arc<str>,
}

/// How far a standby's replay is behind its primary when a report begins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayLag {
    /// WAL the primary had written that the standby had not replayed yet.
    pub bytes: u64,
    /// 0 when `bytes` is; otherwise how long ago the primary committed the last transaction
    /// the standby replayed (0 when it has replayed none since it started).
    pub ms: u64,
    /// The primary's commit time of the last transaction the standby replayed (RFC 3339, UTC).
    pub replayed_at: Option<String>,
}

impl Standby {
    /// Opens the standby at `url` for the store `primary` (opened and migrated already), with
    /// at most `max_connections`, and refuses one that is not a standby of it at its schema.
    pub async fn open(primary: &Store, url: &str, max_connections: u32) -> Result<Standby, StandbyError> {
        let shown = url::redacted(url);
        require_postgres(url)?;
        if primary.dialect() != Dialect::Postgres {
            return Err(StandbyError::SqliteStore);
        }
        url::check_store_location(url).await?;
        let database = |source| StandbyError::Database {
            url: shown.clone(),
            source,
        };
        let pool = Pool::open_postgres(url, max_connections, ACQUIRE_TIMEOUT)
            .await
            .map_err(database)?;
        let store = Store {
            pool,
            sqlite_file: None,
            checkpointer: None,
            ..primary.clone()
        };
        let standby = Standby {
            store,
            url: Arc::from(shown.as_str()),
        };
        match standby.check(primary).await {
            Ok(()) => Ok(standby),
            Err(error) => {
                standby.store.close().await;
                Err(error)
            }
        }
    }

    /// In recovery, of the store's cluster, at the store's schema version.
    async fn check(&self, primary: &Store) -> Result<(), StandbyError> {
        let url = self.url.to_string();
        let database = |source| StandbyError::Database {
            url: url.clone(),
            source,
        };
        let in_recovery: bool = query("SELECT pg_is_in_recovery()")
            .fetch_one(self.store.pool())
            .await
            .and_then(|row| row.try_get(0))
            .map_err(database)?;
        if !in_recovery {
            return Err(StandbyError::NotInRecovery { url });
        }
        // Readable by any role since PostgreSQL 10; when a server refuses it, recovery and the
        // schema version are what is checked.
        let (standby_id, primary_id) = (
            system_identifier(&self.store).await,
            system_identifier(primary).await,
        );
        match (standby_id, primary_id) {
            (Ok(standby), Ok(primary)) if standby != primary => {
                return Err(StandbyError::OtherCluster {
                    url,
                    standby,
                    primary,
                });
            }
            (Ok(_), Ok(_)) => {}
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "cannot read the system identifiers; not checking that the standby copies the store");
            }
        }
        let primary = schema_version(primary).await.map_err(database)?;
        let deadline = Instant::now() + SCHEMA_CATCH_UP;
        loop {
            let standby = schema_version(&self.store).await.map_err(database)?;
            if standby == primary {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StandbyError::SchemaVersion {
                    url,
                    standby,
                    primary,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How far the standby's replay is behind `primary` now: the primary's WAL position is read
    /// first, then the standby's, so a snapshot begun after this call holds at least what the
    /// figures say it does.
    pub async fn replay_lag(&self, primary: &Store) -> Result<ReplayLag, DbError> {
        let written: Option<String> = query("SELECT pg_current_wal_lsn()::text")
            .fetch_one(primary.pool())
            .await?
            .try_get(0)?;
        let row = query(
            "SELECT pg_last_wal_replay_lsn()::text, \
                    (EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint, \
                    to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
        )
        .fetch_one(self.store.pool())
        .await?;
        let replayed: Option<String> = row.try_get(0)?;
        let age_ms: Option<i64> = row.try_get(1)?;
        let replayed_at: Option<String> = row.try_get(2)?;
        let position = |text: Option<String>| text.as_deref().and_then(parse_lsn).unwrap_or(0);
        let bytes = position(written).saturating_sub(position(replayed));
        let ms = match bytes {
            0 => 0,
            _ => age_ms.map_or(0, |ms| u64::try_from(ms).unwrap_or(0)),
        };
        Ok(ReplayLag {
            bytes,
            ms,
            replayed_at,
        })
    }
}

async fn system_identifier(store: &Store) -> Result<String, DbError> {
    query("SELECT system_identifier::text FROM pg_control_system()")
        .fetch_one(store.pool())
        .await?
        .try_get(0)
}

/// The newest migration recorded, 0 before the first (or before the table is replayed).
async fn schema_version(store: &Store) -> Result<i64, DbError> {
    let exists: bool = query("SELECT to_regclass('schema_migrations') IS NOT NULL")
        .fetch_one(store.pool())
        .await?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        .fetch_one(store.pool())
        .await?
        .try_get(0)
}

/// A WAL position `HI/LO` (hexadecimal halves) as a byte offset.
fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    let high = u64::from_str_radix(high, 16).ok()?;
    let low = u64::from_str_radix(low, 16).ok()?;
    Some((high << 32) | low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_positions_are_byte_offsets() {
        assert_eq!(parse_lsn("0/3000060"), Some(0x300_0060));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374_D848));
        assert_eq!(parse_lsn("nonsense"), None);
        assert_eq!(parse_lsn("1/zz"), None);
    }

    #[test]
    fn a_report_database_is_postgres_beside_a_postgres_store() {
        let pg = "postgres://u:secret@h/db";
        assert!(check_report_db_url(pg, "postgres://u:pw@standby/db").is_ok());
        let error = check_report_db_url(pg, "sqlite:///tmp/reports.db").unwrap_err();
        assert!(matches!(error, StandbyError::NotPostgres { .. }), "{error}");
        assert!(error.to_string().contains("sqlite:///tmp/reports.db"), "{error}");
        let error = check_report_db_url("sqlite://hq.db", pg).unwrap_err();
        assert!(matches!(error, StandbyError::SqliteStore), "{error}");
        let error = check_report_db_url(pg, "mysql://u:pw@h/db").unwrap_err();
        assert!(!error.to_string().contains("pw"), "{error}");
    }
}
