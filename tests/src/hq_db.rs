//! HQ's database seen from outside the server, for tests that inspect or rewrite it: one
//! connection through the backend's own driver (rusqlite for an SQLite file, sqlx for
//! PostgreSQL), with the few calls such tests make.

use anyhow::{Context, Result};
use hq_server::store::db::url::{parse_db_url, DbLocation};

/// One connection to an HQ store.
pub enum HqDb {
    Sqlite(rusqlite::Connection),
    Postgres(sqlx::PgConnection),
}

impl HqDb {
    /// Connects to the store at `db_url` (`sqlite://PATH` or `postgres://...`).
    pub async fn connect(db_url: &str) -> Result<HqDb> {
        use sqlx::Connection;
        let opening = || format!("opening the HQ store {db_url}");
        Ok(match parse_db_url(db_url)? {
            DbLocation::SqliteFile(path) => {
                HqDb::Sqlite(rusqlite::Connection::open(path).with_context(opening)?)
            }
            DbLocation::Postgres => {
                HqDb::Postgres(sqlx::PgConnection::connect(db_url).await.with_context(opening)?)
            }
        })
    }

    /// Runs `sql` (one statement without parameters), ignoring any rows it answers.
    pub async fn execute(&mut self, sql: &str) -> Result<()> {
        match self {
            HqDb::Sqlite(db) => db.execute_batch(sql).with_context(|| sql.to_owned())?,
            HqDb::Postgres(db) => {
                sqlx::Executor::execute(&mut *db, sql)
                    .await
                    .with_context(|| sql.to_owned())?;
            }
        }
        Ok(())
    }

    /// The BIGINT that `sql` answers in its first row and column (e.g. a `COUNT(*)`).
    pub async fn integer(&mut self, sql: &str) -> Result<i64> {
        match self {
            HqDb::Sqlite(db) => db
                .query_row(sql, [], |row| row.get(0))
                .with_context(|| sql.to_owned()),
            HqDb::Postgres(db) => sqlx::query_scalar(sql)
                .fetch_one(&mut *db)
                .await
                .with_context(|| sql.to_owned()),
        }
    }

    pub async fn close(self) -> Result<()> {
        if let HqDb::Postgres(db) = self {
            sqlx::Connection::close(db).await?;
        }
        Ok(())
    }
}
