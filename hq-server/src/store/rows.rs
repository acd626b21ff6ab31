//! Bulk INSERT, no per-row round trips. PostgreSQL: each column of a table's rows travels as ONE
//! array-literal parameter that the server unpacks with `unnest`, and all the tables go in one
//! statement (`pg_arrays`): one cached statement and one round trip per batch, no per-value
//! binding or huge statement to plan. SQLite (in process, no
//! round trips): one prepared single-row statement per table, bound straight from the cells
//! through rusqlite on the transaction's own connection (`sqlite_native`).

use super::dialect::BulkInsert;
use super::sqlite_native::{self, with_native_handle, NativeHandle};
use super::{pg_arrays, Dialect};
use rust_decimal::Decimal;
use sqlx::AnyConnection;

/// How a column's values travel and are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    Int,
    /// Text, possibly NULL.
    Text,
    /// A decimal stored with this many places (scaled integer on SQLite, NUMERIC on PostgreSQL).
    Decimal(u32),
    /// Bytes (BLOB on SQLite, bytea on PostgreSQL); in a JSON row, lowercase hex text.
    Blob,
}

/// One cell of a row to insert; text may be owned or borrowed from what is being stored.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    Int(i64),
    Text(String),
    Str(&'a str),
    NullableStr(Option<&'a str>),
    Decimal(Option<Decimal>),
    Blob(Vec<u8>),
}

/// The fixed part of an INSERT: table, typed columns, and what to do on a key conflict.
pub(crate) struct InsertSpec {
    pub(crate) table: &'static str,
    pub(crate) columns: &'static [(&'static str, ColumnKind)],
    /// e.g. `ON CONFLICT (kind, code) DO UPDATE SET name = excluded.name`; empty for none.
    pub(crate) on_conflict: &'static str,
}

/// Inserts `rows` (each with one value per column, in column order).
pub(crate) async fn insert_rows(
    connection: &mut AnyConnection,
    dialect: Dialect,
    spec: &InsertSpec,
    rows: Vec<Vec<Value<'_>>>,
) -> Result<(), sqlx::Error> {
    let mut inserts = Inserts::default();
    inserts.add(spec, rows.into_iter().flatten().collect());
    inserts.write(connection, dialect).await
}

/// The rows of several tables, written in the order they were added with as few trips to the
/// database as the backend allows (on SQLite, one native borrow of the connection for all).
#[derive(Default)]
pub(crate) struct Inserts<'a> {
    tables: Vec<(&'a InsertSpec, Vec<Value<'a>>)>,
}

impl<'a> Inserts<'a> {
    /// Queues `cells`: rows one after the other, each with one value per column of `spec`.
    pub(crate) fn add(&mut self, spec: &'a InsertSpec, cells: Vec<Value<'a>>) {
        debug_assert_eq!(cells.len() % spec.columns.len(), 0);
        if !cells.is_empty() {
            self.tables.push((spec, cells));
        }
    }

    pub(crate) async fn write(
        self,
        connection: &mut AnyConnection,
        dialect: Dialect,
    ) -> Result<(), sqlx::Error> {
        self.write_with(connection, dialect, &mut NativeHandle::default())
            .await
    }

    /// `write`, on SQLite through `native`, the connection's handle if already known.
    pub(crate) async fn write_with(
        self,
        connection: &mut AnyConnection,
        dialect: Dialect,
        native: &mut NativeHandle,
    ) -> Result<(), sqlx::Error> {
        if self.tables.is_empty() {
            return Ok(());
        }
        match dialect.bulk_insert() {
            BulkInsert::UnnestArrays => pg_arrays::insert_tables(connection, &self.tables).await?,
            BulkInsert::NativeStatements => {
                with_native_handle(connection, native, |native| {
                    self.tables
                        .iter()
                        .try_for_each(|(spec, cells)| sqlite_native::insert_cells(native, spec, cells))
                })
                .await?
            }
        }
        Ok(())
    }
}

/// `value × 10^scale` as stored on SQLite; the fast path of `branchline_shared::to_scaled`.
pub(crate) fn scaled(value: Decimal, scale: u32) -> i64 {
    let shift = scale.checked_sub(value.scale());
    let fast = shift.and_then(|shift| {
        let mantissa = i64::try_from(value.mantissa()).ok()?;
        mantissa.checked_mul(10_i64.checked_pow(shift)?)
    });
    fast.unwrap_or_else(|| branchline_shared::to_scaled(value, scale))
}

/// A JSON array of codes, for `Dialect::in_json_list`.
pub(crate) fn json_list(codes: &[&str]) -> String {
    serde_json::Value::from(codes).to_string()
}

/// Placeholders `first..first+count` for an IN list (see `Dialect::placeholder`).
pub(crate) fn placeholders(dialect: Dialect, first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| dialect.placeholder(n))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_matches_shared() {
        for (text, scale) in [
            ("21.5", 6),
            ("-3.25", 4),
            ("0", 2),
            ("17", 4),
            ("0.13", 4),
            ("999999999999.9999", 4),
        ] {
            let value: Decimal = text.parse().unwrap();
            assert_eq!(
                scaled(value, scale),
                branchline_shared::to_scaled(value, scale),
                "{text}"
            );
        }
    }
}
