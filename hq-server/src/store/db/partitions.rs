//! PostgreSQL's month partitions of the document history (docs/operations.md, "History by
//! month"): `document_YYYY_MM` and `document_line_YYYY_MM` hold the documents dated in that month
//! and their lines. A month's pair is attached before the first document of that month is stored:
//! made as a table of its own, then attached, which locks the partitioned tables only against
//! other schema changes (reads and writes go on); replicas take turns at an advisory lock. The
//! months known attached are kept in memory. SQLite keeps one table of each and needs none.

use super::dialect::Dialect;
use super::error::DbError;
use super::pool::Pool;
use super::query::query;
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

/// The partitioned tables, each with one partition per month.
const TABLES: [&str; 2] = ["document", "document_line"];

/// The advisory lock replicas take turns at while attaching partitions.
const ATTACH_LOCK: i64 = 0x6272_616e_6368_7031;

/// One calendar month, the unit of partitioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Month {
    year: i32,
    month: u32,
}

impl Month {
    pub(crate) fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    fn next(self) -> Month {
        match self.month {
            12 => Month {
                year: self.year + 1,
                month: 1,
            },
            month => Month {
                year: self.year,
                month: month + 1,
            },
        }
    }

    /// `table`'s partition of this month, e.g. `document_line_2026_03`.
    pub(crate) fn partition(self, table: &str) -> String {
        format!("{table}_{:04}_{:02}", self.year, self.month)
    }

    /// The first day of the month as stored dates are written (`YYYY-MM-DD`).
    fn first_day(self) -> String {
        format!("{:04}-{:02}-01", self.year, self.month)
    }

    /// The bound after the month: the next month's first day, or `MAXVALUE` after the last
    /// storable month (a five-digit year would sort before it as text).
    fn upper_bound(self) -> String {
        match self.next() {
            next if next.year > 9999 => "MAXVALUE".to_owned(),
            next => format!("'{}'", next.first_day()),
        }
    }

    /// The two statements that attach this month's partition of `table`: made as a table of its
    /// own, then attached.
    fn attach_sql(self, table: &str) -> [String; 2] {
        let partition = self.partition(table);
        [
            format!("CREATE TABLE {partition} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"),
            format!(
                "ALTER TABLE {table} ATTACH PARTITION {partition} FOR VALUES FROM ('{}') TO ({})",
                self.first_day(),
                self.upper_bound()
            ),
        ]
    }
}

/// The months whose partitions are known attached, and the turn to attach more.
#[derive(Debug, Default)]
pub(crate) struct Partitions {
    attached: Mutex<HashSet<Month>>,
    attaching: tokio::sync::Mutex<()>,
}

impl Partitions {
    /// Attaches the partitions of each of `months` not yet attached (PostgreSQL), each month in
    /// a short transaction of its own on a connection of `pool`.
    pub(crate) async fn ensure(
        &self,
        pool: &Pool,
        dialect: Dialect,
        months: BTreeSet<Month>,
    ) -> Result<(), DbError> {
        if dialect != Dialect::Postgres {
            return Ok(());
        }
        if self.missing(&months).is_empty() {
            return Ok(());
        }
        // One attaching call at a time in this process, so that the batches of a new month's
        // first morning take one more connection between them, not one each.
        let _turn = self.attaching.lock().await;
        for month in self.missing(&months) {
            attach_month(pool, month).await?;
            self.attached
                .lock()
                .expect("the partition cache is never poisoned")
                .insert(month);
        }
        Ok(())
    }

    fn missing(&self, months: &BTreeSet<Month>) -> Vec<Month> {
        let attached = self
            .attached
            .lock()
            .expect("the partition cache is never poisoned");
        months
            .iter()
            .filter(|month| !attached.contains(month))
            .copied()
            .collect()
    }
}

async fn attach_month(pool: &Pool, month: Month) -> Result<(), DbError> {
    let mut tx = pool.begin_write().await?;
    query("SELECT pg_advisory_xact_lock($1)")
        .bind(ATTACH_LOCK)
        .execute(&mut *tx)
        .await?;
    for table in TABLES {
        let partition = month.partition(table);
        let exists: bool = query("SELECT to_regclass($1) IS NOT NULL")
            .bind(partition.clone())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if !exists {
            for sql in month.attach_sql(table) {
                query(&sql).execute(&mut *tx).await?;
            }
            tracing::info!(partition = partition.as_str(), "attached month partition");
        }
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_partition_is_named_and_bounded_as_the_migration_does() {
        let december = Month::of(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap());
        assert_eq!(december.partition("document_line"), "document_line_2025_12");
        assert_eq!(
            december.attach_sql("document"),
            [
                "CREATE TABLE document_2025_12 (LIKE document INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
                "ALTER TABLE document ATTACH PARTITION document_2025_12 FOR VALUES FROM ('2025-12-01') TO ('2026-01-01')"
            ]
        );
        let march = Month::of(NaiveDate::from_ymd_opt(1900, 3, 1).unwrap());
        assert_eq!(march.next().first_day(), "1900-04-01");
        let last = Month::of(branchline_shared::DATE_MAX);
        assert!(last.attach_sql("document")[1].ends_with("FROM ('9999-12-01') TO (MAXVALUE)"));
    }
}
