//! Result rows, owned, with typed getters that refuse a value of another type (or out of the
//! reader's range) with `DbError::BadValue` naming the column, never clamping it. SQLite rows
//! hold rusqlite's values; PostgreSQL rows are sqlx's, read as the store's types (any integer
//! width into an `i64`, every text type into a `String`).

use super::error::DbError;
use rusqlite::types::Value as SqliteValue;
use sqlx::postgres::{PgRow, PgValueRef};
use sqlx::{Column as _, Row as _, TypeInfo as _, ValueRef as _};
use std::sync::Arc;

/// One result row.
#[derive(Debug)]
pub(crate) enum Row {
    Sqlite {
        columns: Arc<[Box<str>]>,
        values: Vec<SqliteValue>,
    },
    Postgres(PgRow),
}

/// A column position (`usize`), the second type parameter of `Row::try_get`.
pub(crate) trait ColumnIndex {
    fn position(self) -> usize;
}

impl ColumnIndex for usize {
    fn position(self) -> usize {
        self
    }
}

impl Row {
    /// Column `index` as a `T`.
    pub(crate) fn try_get<T: Decode, I: ColumnIndex>(&self, index: I) -> Result<T, DbError> {
        let index = index.position();
        match self {
            Row::Sqlite { columns, values } => {
                let value = values.get(index).ok_or_else(|| DbError::BadValue {
                    column: format!("#{index}"),
                    expected: T::EXPECTED,
                    found: format!("a row of {} columns", values.len()),
                })?;
                T::from_sqlite(value).ok_or_else(|| DbError::BadValue {
                    column: column_name(columns, index),
                    expected: T::EXPECTED,
                    found: sqlite_kind(value).to_owned(),
                })
            }
            Row::Postgres(row) => pg_get(row, index),
        }
    }

    /// A non-negative counter stored as BIGINT: a negative one is refused.
    pub(crate) fn try_get_u64(&self, index: usize) -> Result<u64, DbError> {
        let value: i64 = self.try_get(index)?;
        u64::try_from(value).map_err(|_| DbError::BadValue {
            column: self.column_name(index),
            expected: "a non-negative counter",
            found: value.to_string(),
        })
    }

    fn column_name(&self, index: usize) -> String {
        match self {
            Row::Sqlite { columns, .. } => column_name(columns, index),
            Row::Postgres(row) => row
                .columns()
                .get(index)
                .map_or_else(|| format!("#{index}"), |column| column.name().to_owned()),
        }
    }
}

/// Column `index` of a PostgreSQL row as a `T` (see `Row::try_get`).
pub(crate) fn pg_get<T: Decode>(row: &PgRow, index: usize) -> Result<T, DbError> {
    let value = row.try_get_raw(index)?;
    let found = if value.is_null() {
        "NULL".to_owned()
    } else {
        value.type_info().name().to_owned()
    };
    let bad = |found: String| DbError::BadValue {
        column: row.columns()[index].name().to_owned(),
        expected: T::EXPECTED,
        found,
    };
    T::from_postgres(value)
        .map_err(|error| bad(format!("{found} ({error})")))?
        .ok_or_else(|| bad(found))
}

fn column_name(columns: &[Box<str>], index: usize) -> String {
    columns
        .get(index)
        .map_or_else(|| format!("#{index}"), |name| name.to_string())
}

fn sqlite_kind(value: &SqliteValue) -> &'static str {
    match value {
        SqliteValue::Null => "NULL",
        SqliteValue::Integer(_) => "an integer",
        SqliteValue::Real(_) => "a real",
        SqliteValue::Text(_) => "text",
        SqliteValue::Blob(_) => "a blob",
    }
}

/// A type a column reads into. `None` (or an error) from a reader: the value is of another type.
pub(crate) trait Decode: Sized {
    const EXPECTED: &'static str;
    fn from_sqlite(value: &SqliteValue) -> Option<Self>;
    fn from_postgres(value: PgValueRef<'_>) -> Result<Option<Self>, sqlx::error::BoxDynError>;
}

fn pg_decode<'r, T: sqlx::Decode<'r, sqlx::Postgres>>(
    value: PgValueRef<'r>,
) -> Result<Option<T>, sqlx::error::BoxDynError> {
    <T as sqlx::Decode<sqlx::Postgres>>::decode(value).map(Some)
}

impl Decode for i64 {
    const EXPECTED: &'static str = "an integer";
    fn from_sqlite(value: &SqliteValue) -> Option<i64> {
        match value {
            SqliteValue::Integer(value) => Some(*value),
            _ => None,
        }
    }
    fn from_postgres(value: PgValueRef<'_>) -> Result<Option<i64>, sqlx::error::BoxDynError> {
        if value.is_null() {
            return Ok(None);
        }
        match value.type_info().name() {
            "INT8" => pg_decode::<i64>(value),
            "INT4" => Ok(pg_decode::<i32>(value)?.map(i64::from)),
            "INT2" => Ok(pg_decode::<i16>(value)?.map(i64::from)),
            _ => Ok(None),
        }
    }
}

impl Decode for String {
    const EXPECTED: &'static str = "text";
    fn from_sqlite(value: &SqliteValue) -> Option<String> {
        match value {
            SqliteValue::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
    fn from_postgres(value: PgValueRef<'_>) -> Result<Option<String>, sqlx::error::BoxDynError> {
        if value.is_null() {
            return Ok(None);
        }
        match value.type_info().name() {
            "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" | "UNKNOWN" => pg_decode::<String>(value),
            _ => Ok(None),
        }
    }
}

impl Decode for Vec<u8> {
    const EXPECTED: &'static str = "bytes";
    fn from_sqlite(value: &SqliteValue) -> Option<Vec<u8>> {
        match value {
            SqliteValue::Blob(bytes) => Some(bytes.clone()),
            _ => None,
        }
    }
    fn from_postgres(value: PgValueRef<'_>) -> Result<Option<Vec<u8>>, sqlx::error::BoxDynError> {
        if value.is_null() || value.type_info().name() != "BYTEA" {
            return Ok(None);
        }
        pg_decode::<Vec<u8>>(value)
    }
}

impl Decode for bool {
    const EXPECTED: &'static str = "a boolean";
    fn from_sqlite(value: &SqliteValue) -> Option<bool> {
        match value {
            SqliteValue::Integer(0) => Some(false),
            SqliteValue::Integer(1) => Some(true),
            _ => None,
        }
    }
    fn from_postgres(value: PgValueRef<'_>) -> Result<Option<bool>, sqlx::error::BoxDynError> {
        if value.is_null() || value.type_info().name() != "BOOL" {
            return Ok(None);
        }
        pg_decode::<bool>(value)
    }
}

impl Decode for f64 {
    const EXPECTED: &'static str = "a number";
    fn from_sqlite(value: &SqliteValue) -> Option<f64> {
        match value {
            SqliteValue::Real(value) => Some(*value),
            _ => None,
        }
    }
    fn from_postgres(value: PgValueRef<'_>) -> Result<Option<f64>, sqlx::error::BoxDynError> {
        if value.is_null() {
            return Ok(None);
        }
        match value.type_info().name() {
            "FLOAT8" => pg_decode::<f64>(value),
            "FLOAT4" => Ok(pg_decode::<f32>(value)?.map(f64::from)),
            _ => Ok(None),
        }
    }
}

/// NULL reads as `None`; any other value as `T` reads it.
impl<T: Decode> Decode for Option<T> {
    const EXPECTED: &'static str = T::EXPECTED;
    fn from_sqlite(value: &SqliteValue) -> Option<Option<T>> {
        match value {
            SqliteValue::Null => Some(None),
            other => T::from_sqlite(other).map(Some),
        }
    }
    fn from_postgres(value: PgValueRef<'_>) -> Result<Option<Option<T>>, sqlx::error::BoxDynError> {
        if value.is_null() {
            return Ok(Some(None));
        }
        Ok(T::from_postgres(value)?.map(Some))
    }
}
