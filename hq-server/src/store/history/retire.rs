//! `hq-server retire-year YEAR` (docs/operations.md, "Retiring a year"): on PostgreSQL, every
//! month partition of the documents and lines dated in YEAR or before is detached in one
//! transaction: the tables stay in the database (to dump, keep or drop), out of every report and
//! scan. The register of held documents (`document_key`) keeps them, so a resend is still a
//! duplicate and reconcile still counts them; a new document dated before the retired date is
//! quarantined; the roll-ups keep the year's sums.

use super::retired_before;
use crate::store::db::dialect::Dialect;
use crate::store::db::error::DbError;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text};
use crate::store::registry::audit::{audit, Actor};
use crate::store::Store;
use chrono::Datelike;

#[derive(Debug, thiserror::Error)]
pub enum RetireError {
    #[error(
        "retire-year needs a PostgreSQL store, whose history is partitioned by month; this store is SQLite"
    )]
    Sqlite,
    #[error("year {year} is not over (today is {today}): only a past year can be retired")]
    NotOver { year: i32, today: chrono::NaiveDate },
    #[error("year {year} is already retired: HQ holds no documents dated before {before}")]
    AlreadyRetired { year: i32, before: String },
    #[error(
        "the history's tables are busy (another session holds them for more than {LOCK_WAIT}); \
         nothing was detached: try again"
    )]
    Busy,
    #[error(transparent)]
    Database(#[from] DbError),
}

/// How long the detaching waits for the reports and writes in flight.
const LOCK_WAIT: &str = "10s";

/// What a retirement detached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    /// The first date still held (`YYYY-01-01` of the year after).
    pub before: String,
    pub partitions: Vec<String>,
    pub documents: u64,
    pub lines: u64,
}

/// Retires `year` and every earlier year, as of `today`.
pub async fn retire_year(store: &Store, year: i32, today: chrono::NaiveDate) -> Result<Retired, RetireError> {
    if store.dialect() != Dialect::Postgres {
        return Err(RetireError::Sqlite);
    }
    if year >= today.year() {
        return Err(RetireError::NotOver { year, today });
    }
    let before = format!("{:04}-01-01", year + 1);
    let mut tx = store.begin_write().await?;
    query(&format!("SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        .execute(&mut *tx)
        .await?;
    if let Some(held_from) = retired_before(&mut tx)
        .await?
        .filter(|held_from| *held_from >= before)
    {
        return Err(RetireError::AlreadyRetired {
            year,
            before: held_from,
        });
    }
    // The partitions of months before `before`: names sort as their months do.
    let rows = query(
        "SELECT c.relname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname IN ('document', 'document_line') \
         AND substr(c.relname, length(p.relname) + 2) < $1 ORDER BY 2, 1",
    )
    .bind(format!("{:04}_", year + 1))
    .fetch_all(&mut *tx)
    .await?;
    let mut retired = Retired {
        before: before.clone(),
        partitions: Vec::with_capacity(rows.len()),
        documents: 0,
        lines: 0,
    };
    for row in rows {
        let (partition, parent): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let count = get_u64(
            &query(&format!("SELECT COUNT(*) FROM {partition}"))
                .fetch_one(&mut *tx)
                .await
                .map_err(busy)?,
            0,
        )?;
        match parent.as_str() {
            "document" => retired.documents += count,
            _ => retired.lines += count,
        }
        query(&format!("ALTER TABLE {parent} DETACH PARTITION {partition}"))
            .execute(&mut *tx)
            .await
            .map_err(busy)?;
        retired.partitions.push(partition);
    }
    query("INSERT INTO retirement (retired_before, retired_at, documents, lines) VALUES ($1, $2, $3, $4)")
        .bind(before.as_str())
        .bind(now_text())
        .bind(i64::try_from(retired.documents).unwrap_or(i64::MAX))
        .bind(i64::try_from(retired.lines).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    let detail = format!(
        "documents dated before {before}: {} partitions detached, {} documents, {} lines",
        retired.partitions.len(),
        retired.documents,
        retired.lines
    );
    audit(&mut tx, Actor::new("retire-year", None), "retire year", &detail).await?;
    tx.commit().await?;
    Ok(retired)
}

/// A lock not granted within `LOCK_WAIT` is `Busy`; anything else as it came.
fn busy(error: DbError) -> RetireError {
    match &error {
        DbError::Postgres(sqlx::Error::Database(database)) if database.code().as_deref() == Some("55P03") => {
            RetireError::Busy
        }
        _ => RetireError::Database(error),
    }
}
