//! Opening the store: the database URL and location are checked, the pool is opened (SQLite:
//! rusqlite connections with the store's settings and WAL; PostgreSQL: sqlx's `PgPool`), the
//! checkpoint thread started and the schema migrated.

use super::checkpoint::{self, Checkpointer};
use super::dialect::Dialect;
use super::pool::Pool;
use super::url::DbLocation;
use super::{migrate, url};
use crate::metrics::counters::Counters;
use crate::store::{ingest_writers, Store, StoreError, DEFAULT_ROLLUP_FOLD_BATCHES};
use std::sync::Arc;
use std::time::Duration;

/// How long a caller waits for a connection of the store's PostgreSQL pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

impl Store {
    /// Connects to `url` (`sqlite://PATH`, created if missing, or `postgres://...`) and applies
    /// pending migrations.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        url::check_store_location(url).await?;
        let dialect =
            Dialect::from_url(url).ok_or_else(|| StoreError::UnsupportedUrl { url: url.to_owned() })?;
        let open = |source| StoreError::Open { source };
        let (pool, sqlite_file, checkpointer) = match url::parse_db_url(url)? {
            DbLocation::SqliteFile(path) => {
                let pool = Pool::open_sqlite(
                    &path,
                    max_connections,
                    sqlite_setup(),
                    "PRAGMA journal_mode = WAL",
                )
                .map_err(open)?;
                let checkpointer = Arc::new(Checkpointer::start(&path)?);
                (pool, Some(path), Some(checkpointer))
            }
            DbLocation::Postgres => {
                let pool = Pool::open_postgres(url, max_connections, ACQUIRE_TIMEOUT)
                    .await
                    .map_err(open)?;
                (pool, None, None)
            }
        };
        let store = Store {
            pool,
            dialect,
            sqlite_file,
            checkpointer,
            slot_cache: Arc::default(),
            rollup_fold_batches: DEFAULT_ROLLUP_FOLD_BATCHES,
            commits: Arc::default(),
            counters: Counters::default(),
            ingest_turns: Arc::new(tokio::sync::Semaphore::new(ingest_writers(max_connections))),
            partitions: Arc::default(),
        };
        migrate::apply(&store).await?;
        Ok(store)
    }
}

/// The pragmas every SQLite connection runs when opened.
///
/// A 32 MiB page cache per connection (default 2 MiB) keeps the roll-up and document b-trees
/// that ingestion updates in memory. WAL pages are copied back by the checkpoint thread; a
/// commit does it inline only past `checkpoint::INLINE_PAGES`. synchronous = NORMAL (ingestion
/// speed): a power loss may drop the last commits, acknowledged batches included. That is
/// recovered, not prevented: on its next Hello a branch reports what it had acknowledged, HQ
/// audits that it holds less, and the agent lowers its acknowledged position to HQ's and
/// resends (the same path as HQ restored from a copy), so HQ ends equal to the branch.
fn sqlite_setup() -> String {
    format!(
        "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = {}",
        checkpoint::INLINE_PAGES
    )
}

#[cfg(test)]
mod tests {
    use super::super::checkpoint::TICK;
    use super::*;
    use crate::store::bulk::insert::insert_rows;
    use crate::store::bulk::insert::tests::AUDIT_INSERT;
    use crate::store::bulk::rows::Value;
    use std::path::Path;
    use std::time::Duration;

    fn file_len(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |metadata| metadata.len())
    }

    /// A commit well below the inline threshold reaches the database file through the thread,
    /// while the store stays open; closing the store leaves no WAL behind.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn committed_pages_reach_the_database_file_without_an_inline_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hq.db");
        let wal = dir.path().join("hq.db-wal");
        let store = Store::open(&format!("sqlite://{}", path.display()), 2)
            .await
            .unwrap();
        assert_eq!(store.dialect(), Dialect::Sqlite);
        // Let the thread copy what the migrations wrote, then measure from there.
        tokio::time::sleep(TICK * 2).await;
        let before = file_len(&path);

        // About 2 MB of rows: some 500 pages, far below `INLINE_PAGES`.
        let detail = "x".repeat(1000);
        let rows = (0..2000)
            .map(|_| {
                vec![
                    Value::Str("2026-01-01T00:00:00Z"),
                    Value::Str("test"),
                    Value::Str("checkpoint"),
                    Value::Str(&detail),
                ]
            })
            .collect();
        let mut tx = store.begin_write().await.unwrap();
        insert_rows(&mut tx, &AUDIT_INSERT, rows).await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            file_len(&path) < before + 1_000_000,
            "the commit did not checkpoint inline"
        );
        store.after_commit();

        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while file_len(&path) < before + 1_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the rows never reached {} ({} bytes, WAL {} bytes)",
                path.display(),
                file_len(&path),
                file_len(&wal)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        store.close().await;
        assert!(!wal.exists(), "closing the store removes the WAL");
    }

    /// A fresh SQLite store in a temporary directory (kept while the first value lives).
    async fn fresh_store() -> (tempfile::TempDir, String, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hq.db").display());
        let store = Store::open(&url, 2).await.unwrap();
        (dir, url, store)
    }

    /// A store a pre-release build wrote (its migrations folded into version 1) is refused as
    /// such, and left as it was.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pre_release_store_is_refused_as_such() {
        let (_dir, url, store) = fresh_store().await;
        // Version 2 held "reports" then; this build's version 2 is another migration.
        crate::store::db::query::query("DELETE FROM schema_migrations WHERE version IN (2, 7)")
            .execute(store.pool())
            .await
            .unwrap();
        for (version, name) in [(2_i64, "reports"), (7, "inbox_floor")] {
            crate::store::db::query::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 'x')",
            )
            .bind(version)
            .bind(name)
            .execute(store.pool())
            .await
            .unwrap();
        }
        store.close().await;
        let error = Store::open(&url, 2).await.unwrap_err();
        assert!(matches!(error, StoreError::PreReleaseSchema { .. }), "{error}");
        assert!(error.to_string().contains("start a new store"), "{error}");
    }

    /// A pre-release store that stopped at its version 2 ("reports") is refused too, although
    /// this build also has a version 2.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pre_release_store_at_version_2_is_refused() {
        let (_dir, url, store) = fresh_store().await;
        for sql in [
            "DELETE FROM schema_migrations WHERE version > 2",
            "UPDATE schema_migrations SET name = 'reports' WHERE version = 2",
        ] {
            crate::store::db::query::query(sql)
                .execute(store.pool())
                .await
                .unwrap();
        }
        store.close().await;
        let error = Store::open(&url, 2).await.unwrap_err();
        assert!(
            matches!(error, StoreError::PreReleaseSchema { found: 2 }),
            "{error}"
        );
    }

    /// A store whose recorded schema is newer than this build's last migration is refused, and
    /// left as it was.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_newer_schema_is_refused() {
        let (_dir, url, store) = fresh_store().await;
        let supported = store.dialect().migrations().last().unwrap().version;
        crate::store::db::query::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'later', 'x')",
        )
        .bind(supported + 1)
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
        let error = Store::open(&url, 2).await.unwrap_err();
        assert!(
            matches!(error, StoreError::NewerSchema { found, supported: s } if found == supported + 1 && s == supported),
            "{error}"
        );
    }

    /// Migration 4 fills branch × month from the branch × day sales a store already holds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sales_month_is_filled_from_the_days_already_held() {
        let (_dir, url, store) = fresh_store().await;
        for sql in [
            "DROP TABLE sales_month",
            // Migrations 5 to 10 follow 4, so they run again too.
            "DROP TABLE document_key",
            "DROP TABLE retirement",
            "ALTER TABLE document_line DROP COLUMN doc_date",
            "DROP TABLE day_close",
            "DROP TABLE stock_limit",
            "ALTER TABLE document DROP COLUMN to_warehouse",
            "DROP TABLE commission_assignment",
            "DROP TABLE commission_statement",
            "DROP TABLE commission_plan",
            "DROP TABLE alert_message",
            "DROP TABLE alert_firing",
            "ALTER TABLE branch DROP COLUMN last_conflict_at",
            "DELETE FROM schema_migrations WHERE version >= 4",
            "INSERT INTO sales_day VALUES (1, '2025-11-30', 10000, 150, 20, 170), \
             (1, '2025-12-01', 20000, 300, 39, 339), (1, '2025-12-31', 10000, 100, 13, 113), \
             (2, '2025-12-15', 50000, 500, 65, 565)",
        ] {
            crate::store::db::query::query(sql)
                .execute(store.pool())
                .await
                .unwrap();
        }
        store.close().await;
        let store = Store::open(&url, 2).await.unwrap();
        let rows = crate::store::db::query::query(
            "SELECT branch_id, month, qty, amount, tax, total FROM sales_month ORDER BY branch_id, month",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let months: Vec<(i64, String, i64, i64, i64, i64)> = rows
            .iter()
            .map(|row| {
                let int = |index| row.try_get::<i64, _>(index).unwrap();
                (int(0), row.try_get(1).unwrap(), int(2), int(3), int(4), int(5))
            })
            .collect();
        assert_eq!(
            months,
            [
                (1, "2025-11".to_owned(), 10000, 150, 20, 170),
                (1, "2025-12".to_owned(), 30000, 400, 52, 452),
                (2, "2025-12".to_owned(), 50000, 500, 65, 565),
            ]
        );
        store.close().await;
    }
}
