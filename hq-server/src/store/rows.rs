//! Bulk INSERT, no per-row round trips. PostgreSQL: all rows of a table travel as ONE JSON
//! array parameter that the server unpacks (`jsonb_array_elements`): one small cached statement,
//! no per-value binding or huge statement to plan. SQLite (in process, no round trips): one
//! prepared single-row statement per table, bound straight from the cells through rusqlite on
//! the transaction's own connection (`sqlite_native`).

use super::dialect::BulkInsert;
use super::sqlite_native::{self, with_native};
use super::Dialect;
use rust_decimal::Decimal;
use sqlx::AnyConnection;

/// Most rows sent in one JSON statement.
const ROWS_PER_STATEMENT_MAX: usize = 20_000;

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
        if self.tables.is_empty() {
            return Ok(());
        }
        match dialect.bulk_insert() {
            BulkInsert::JsonArray => {
                for (spec, cells) in &self.tables {
                    let sql = insert_sql(dialect, spec);
                    for chunk in cells.chunks(ROWS_PER_STATEMENT_MAX * spec.columns.len()) {
                        let json = encode_rows(dialect, spec, chunk);
                        sqlx::query(&sql).bind(json).execute(&mut *connection).await?;
                    }
                }
            }
            BulkInsert::NativeStatements => {
                with_native(connection, |native| {
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

fn insert_sql(dialect: Dialect, spec: &InsertSpec) -> String {
    let names: Vec<&str> = spec.columns.iter().map(|(name, _)| *name).collect();
    let fields: Vec<String> = spec
        .columns
        .iter()
        .enumerate()
        .map(|(index, (_, kind))| dialect.json_row_field("r.value", index, *kind))
        .collect();
    // `WHERE true` keeps SQLite's parser from reading ON CONFLICT as a join constraint.
    format!(
        "INSERT INTO {} ({}) SELECT {} FROM {} WHERE true {}",
        spec.table,
        names.join(", "),
        fields.join(", "),
        dialect.json_rows_source("r"),
        spec.on_conflict
    )
}

/// The rows as one JSON array of arrays, written straight into a string (no value tree).
fn encode_rows(dialect: Dialect, spec: &InsertSpec, cells: &[Value<'_>]) -> String {
    let mut out = Vec::with_capacity(cells.len() * 12 + 2);
    out.push(b'[');
    for (row_idx, row) in cells.chunks_exact(spec.columns.len()).enumerate() {
        if row_idx > 0 {
            out.push(b',');
        }
        out.push(b'[');
        for (cell_idx, (value, (_, kind))) in row.iter().zip(spec.columns).enumerate() {
            if cell_idx > 0 {
                out.push(b',');
            }
            match (value, kind) {
                (Value::Int(value), _) => write_int(&mut out, *value),
                (Value::Text(value), _) => write_text(&mut out, value),
                (Value::Str(value), _) => write_text(&mut out, value),
                (Value::NullableStr(None), _) | (Value::Decimal(None), _) => out.extend_from_slice(b"null"),
                (Value::NullableStr(Some(value)), _) => write_text(&mut out, value),
                (Value::Decimal(Some(value)), ColumnKind::Decimal(scale)) => match dialect {
                    Dialect::Sqlite => write_int(&mut out, scaled(*value, *scale)),
                    Dialect::Postgres => write_text(&mut out, &value.to_string()),
                },
                (Value::Decimal(_), _) => unreachable!("decimal value in a non-decimal column"),
                (Value::Blob(bytes), _) => {
                    out.push(b'"');
                    out.extend_from_slice(hex::encode(bytes).as_bytes());
                    out.push(b'"');
                }
            }
        }
        out.push(b']');
    }
    out.push(b']');
    String::from_utf8(out).expect("JSON written from UTF-8 strings")
}

fn write_int(out: &mut Vec<u8>, value: i64) {
    use std::io::Write;
    write!(out, "{value}").expect("writing to a Vec cannot fail");
}

fn write_text(out: &mut Vec<u8>, value: &str) {
    serde_json::to_writer(&mut *out, value).expect("a string always serializes");
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

    #[test]
    fn encoded_rows_are_the_json_of_the_cells() {
        const SPEC: InsertSpec = InsertSpec {
            table: "t",
            columns: &[
                ("a", ColumnKind::Int),
                ("b", ColumnKind::Text),
                ("c", ColumnKind::Text),
                ("d", ColumnKind::Decimal(2)),
            ],
            on_conflict: "",
        };
        let rows = vec![
            vec![
                Value::Int(-7),
                Value::Text("say \"hi\"\n\\ ü".into()),
                Value::NullableStr(None),
                Value::Decimal(Some("12.5".parse().unwrap())),
            ],
            vec![
                Value::Int(0),
                Value::Text(String::new()),
                Value::NullableStr(Some("x")),
                Value::Decimal(None),
            ],
        ];
        let expected = serde_json::json!([[-7, "say \"hi\"\n\\ ü", null, "12.5"], [0, "", "x", null]]);
        let cells: Vec<Value<'_>> = rows.into_iter().flatten().collect();
        let postgres: serde_json::Value =
            serde_json::from_str(&encode_rows(Dialect::Postgres, &SPEC, &cells)).unwrap();
        assert_eq!(postgres, expected);
        let sqlite: serde_json::Value =
            serde_json::from_str(&encode_rows(Dialect::Sqlite, &SPEC, &cells)).unwrap();
        assert_eq!(sqlite[0][3], serde_json::json!(1250));
    }
}
