//! Versioned migrations: each dialect's SQL files are applied once, in order, in a transaction,
//! and recorded in `schema_migrations`. Concurrent replicas starting together are serialized.
//! A store whose recorded version is newer than this build's last migration is refused, and so is
//! one written by a pre-release build, whose migrations this build folded into version 1.

use super::pool::Conn;
use super::query::{execute_script, query};
use super::value::now_text;
use crate::store::{Store, StoreError};

/// The migrations of the pre-release builds that version 1 replaced (their names; SQLite had 2–7,
/// PostgreSQL 2–8). A store that recorded one of them predates the fold.
const FOLDED_MIGRATIONS: [&str; 7] = [
    "reports",
    "templates_routing",
    "rollup_fillfactor",
    "packed_rollups",
    "packed_stock",
    "rollup_pending",
    "inbox_floor",
];

/// Whether the store recorded a migration that version 1 folded in.
async fn written_before_the_fold(tx: &mut Conn) -> Result<bool, StoreError> {
    let rows = query("SELECT name FROM schema_migrations WHERE version > 1")
        .fetch_all(tx)
        .await?;
    for row in rows {
        let name: String = row.try_get(0)?;
        if FOLDED_MIGRATIONS.contains(&name.as_str()) {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(super) async fn apply(store: &Store) -> Result<(), StoreError> {
    let migrations = store.dialect.migrations();
    let supported = migrations.last().map_or(0, |migration| migration.version);
    let mut tx = store.begin_write().await?;
    if let Some(lock) = store.dialect.migration_lock() {
        query(lock).execute(&mut *tx).await?;
    }
    execute_script(
        &mut tx,
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    let found: i64 = query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    // Checked by name, not only by a version past ours: a pre-release store at version 2 recorded
    // "reports", which is not this build's version 2.
    if written_before_the_fold(&mut tx).await? {
        return Err(StoreError::PreReleaseSchema { found });
    }
    if found > supported {
        return Err(StoreError::NewerSchema { found, supported });
    }
    for migration in migrations.iter().filter(|migration| migration.version > found) {
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        execute_script(&mut tx, migration.sql).await.map_err(failed)?;
        query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(now_text())
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    tx.commit().await?;
    Ok(())
}
