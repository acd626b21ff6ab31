//! Reading a report's grouped sums fast: runs one `SELECT keys, sums ... GROUP BY keys`
//! statement and folds its rows into the report's `Groups`.
//!
//! On SQLite the statement runs on read-only rusqlite connections of its own in blocking tasks
//! (well under 1 µs a row). When the groups
//! start with the ledger, two connections each read half of the branches at once (bench
//! reports: the bare b-tree walk over a million year roll-up rows is 0.5 s of one core).
//! PostgreSQL rows stream from a connection of the pool, decoded as they arrive.

use super::error::ReadError;
use super::groups::{Cells, Groups};
use crate::store::db::pool::Driver;
use crate::store::db::read_only::open_read_only;
use crate::store::db::row::pg_get;
use crate::store::Store;
use branchline_shared::from_scaled;
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use std::path::Path;
use std::sync::Arc;
use tokio_stream::StreamExt;

/// A statement parameter, bound in order.
#[derive(Debug, Clone)]
pub(super) enum Param {
    /// A branch store id of the `IN` list.
    Branch(i64),
    Text(String),
}

/// Statements read on SQLite files at once, each over a part of the branch list.
const SQLITE_READERS: usize = 2;

impl Cells for rusqlite::Row<'_> {
    fn int(&self, index: usize) -> Result<i64, ReadError> {
        self.get_ref(index)?
            .as_i64()
            .map_err(|source| ReadError::Cell { index, source })
    }

    fn text(&self, index: usize) -> Result<&str, ReadError> {
        self.get_ref(index)?
            .as_str()
            .map_err(|source| ReadError::Cell { index, source })
    }

    fn decimal(&self, index: usize, scale: u32) -> Result<Decimal, ReadError> {
        let scaled = self
            .get_ref(index)?
            .as_i64_or_null()
            .map_err(|source| ReadError::Cell { index, source })?;
        Ok(scaled
            .map(|scaled| from_scaled(scaled, scale))
            .unwrap_or_default())
    }
}

/// A PostgreSQL row; its sums are selected as text (`Dialect::decimal_column`).
impl Cells for PgRow {
    fn int(&self, index: usize) -> Result<i64, ReadError> {
        Ok(pg_get(self, index)?)
    }

    fn text(&self, index: usize) -> Result<&str, ReadError> {
        sqlx::Row::try_get(self, index).map_err(|error| ReadError::Database(error.into()))
    }

    fn decimal(&self, index: usize, _scale: u32) -> Result<Decimal, ReadError> {
        match pg_get::<Option<String>>(self, index)? {
            None => Ok(Decimal::ZERO),
            Some(text) => text.parse().map_err(|_| ReadError::BadDecimal { text }),
        }
    }
}

/// Runs `sql` with `params` and folds its rows into `groups`.
pub(super) async fn read_groups(
    store: &Store,
    sql: String,
    params: Vec<Param>,
    mut groups: Groups,
) -> Result<Groups, ReadError> {
    groups.begin_statement();
    if let Some(path) = store.sqlite_file() {
        let path = path.to_owned();
        if !groups.splits_by_branch() {
            return tokio::task::spawn_blocking(move || read_sqlite_file(&path, &sql, &params, groups))
                .await
                .map_err(|_| ReadError::TaskFailed)?;
        }
        let n_parts = SQLITE_READERS;
        let (sql, path) = (Arc::new(sql), Arc::new(path));
        let readers: Vec<_> = (0..n_parts)
            .map(|part| {
                // Branch ids of the other parts become -1, which is no branch.
                let mut n_branch = 0;
                let params: Vec<Param> = params
                    .iter()
                    .map(|param| match param {
                        Param::Branch(id) => {
                            n_branch += 1;
                            Param::Branch(if n_branch % n_parts == part { *id } else { -1 })
                        }
                        other => other.clone(),
                    })
                    .collect();
                let (sql, path, part_groups) = (sql.clone(), path.clone(), groups.empty_like());
                tokio::task::spawn_blocking(move || read_sqlite_file(&path, &sql, &params, part_groups))
            })
            .collect();
        for reader in readers {
            groups.append_disjoint(reader.await.map_err(|_| ReadError::TaskFailed)??);
        }
        return Ok(groups);
    }
    let mut connection = store.pool().acquire().await?;
    let Driver::Postgres(connection) = connection.driver() else {
        unreachable!("an SQLite store has a file")
    };
    let mut statement = sqlx::query(&sql);
    for param in &params {
        statement = match param {
            Param::Branch(value) => statement.bind(*value),
            Param::Text(value) => statement.bind(value.as_str()),
        };
    }
    let mut rows = statement.fetch(connection);
    while let Some(row) = rows.next().await {
        let row = row.map_err(|error| ReadError::Database(error.into()))?;
        groups.add_row(&row)?;
    }
    Ok(groups)
}

fn read_sqlite_file(
    path: &Path,
    sql: &str,
    params: &[Param],
    mut groups: Groups,
) -> Result<Groups, ReadError> {
    let connection = open_read_only(path)?;
    let mut statement = connection.prepare(sql)?;
    for (index, param) in params.iter().enumerate() {
        match param {
            Param::Branch(value) => statement.raw_bind_parameter(index + 1, value)?,
            Param::Text(value) => statement.raw_bind_parameter(index + 1, value.as_str())?,
        }
    }
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next()? {
        groups.add_row(row)?;
    }
    drop(rows);
    Ok(groups)
}
