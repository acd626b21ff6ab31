//! Versioned migrations: each dialect's SQL files are applied once, in order, in a transaction,
//! and recorded in `schema_migrations`. Concurrent replicas starting together are serialized.
//! A store whose recorded version is newer than this build's last migration is refused.

use super::value::now_text;
use crate::store::{Store, StoreError};
use sqlx::Row;

pub(super) async fn apply(store: &Store) -> Result<(), StoreError> {
    let migrations = store.dialect.migrations();
    let supported = migrations.last().map_or(0, |migration| migration.version);
    let mut tx = store.begin_write().await?;
    if let Some(lock) = store.dialect.migration_lock() {
        sqlx::query(lock).execute(&mut *tx).await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let found: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if found > supported {
        return Err(StoreError::NewerSchema { found, supported });
    }
    for migration in migrations.iter().filter(|migration| migration.version > found) {
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        sqlx::raw_sql(migration.sql)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
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
