//! Bulk INSERT, no per-row round trips. PostgreSQL: all rows of a table travel as ONE JSON
//! array parameter that the server unpacks (`jsonb_array_elements`): one small cached statement,
//! no per-value binding or huge statement to plan. SQLite (in process, no round trips): multi-row
//! VALUES statements of power-of-two sizes, all kept prepared.

use super::dialect::BulkInsert;
use super::Dialect;
use rust_decimal::Decimal;
use sqlx::AnyConnection;

/// Most rows sent in one JSON statement.
const ROWS_PER_STATEMENT_MAX: usize = 20_000;
/// Most parameters in one VALUES statement (SQLite allows 32766).
const PARAMS_PER_VALUES_STATEMENT_MAX: usize = 30_000;

/// How a column's values travel and are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    Int,
    /// Text, possibly NULL.
    Text,
    /// A decimal stored with this many places (scaled integer on SQLite, NUMERIC on PostgreSQL).
    Decimal(u32),
}

/// One cell of a row to insert.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Int(i64),
    Text(String),
    NullableText(Option<String>),
    Decimal(Option<Decimal>),
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
    rows: Vec<Vec<Value>>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    match dialect.bulk_insert() {
        BulkInsert::JsonArray => {
            let sql = insert_sql(dialect, spec);
            for chunk in rows.chunks(ROWS_PER_STATEMENT_MAX) {
                let json = encode_rows(dialect, spec, chunk);
                sqlx::query(&sql).bind(json).execute(&mut *connection).await?;
            }
        }
        BulkInsert::Values => insert_values(connection, dialect, spec, rows).await?,
    }
    Ok(())
}

/// Multi-row VALUES with one anonymous parameter per cell. Chunks are powers of two so that
/// only a handful of distinct statements exist per table, and all of them stay prepared.
async fn insert_values(
    connection: &mut AnyConnection,
    dialect: Dialect,
    spec: &InsertSpec,
    rows: Vec<Vec<Value>>,
) -> Result<(), sqlx::Error> {
    let n_columns = spec.columns.len();
    let rows_max = prev_power_of_two(PARAMS_PER_VALUES_STATEMENT_MAX / n_columns);
    let names: Vec<&str> = spec.columns.iter().map(|(name, _)| *name).collect();
    let mut rows = rows.into_iter().peekable();
    let mut remaining = rows.len();
    while remaining > 0 {
        let n_rows = prev_power_of_two(remaining.min(rows_max));
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {} {}",
            spec.table,
            names.join(", "),
            (0..n_rows)
                .map(|row_idx| format!("({})", placeholders(dialect, row_idx * n_columns + 1, n_columns)))
                .collect::<Vec<_>>()
                .join(", "),
            spec.on_conflict
        );
        let mut query = sqlx::query(&sql);
        for row in rows.by_ref().take(n_rows) {
            for (value, (_, kind)) in row.into_iter().zip(spec.columns) {
                query = match (value, kind) {
                    (Value::Int(value), _) => query.bind(value),
                    (Value::Text(value), _) => query.bind(value),
                    (Value::NullableText(value), _) => query.bind(value),
                    (Value::Decimal(value), ColumnKind::Decimal(scale)) => {
                        query.bind(value.map(|value| scaled(value, *scale)))
                    }
                    (Value::Decimal(_), _) => unreachable!("decimal value in a non-decimal column"),
                };
            }
        }
        query.execute(&mut *connection).await?;
        remaining -= n_rows;
    }
    debug_assert!(rows.peek().is_none());
    Ok(())
}

/// `value × 10^scale` as stored on SQLite; the fast path of `branchline_shared::to_scaled`.
fn scaled(value: Decimal, scale: u32) -> i64 {
    let shift = scale.checked_sub(value.scale());
    let fast = shift.and_then(|shift| {
        let mantissa = i64::try_from(value.mantissa()).ok()?;
        mantissa.checked_mul(10_i64.checked_pow(shift)?)
    });
    fast.unwrap_or_else(|| branchline_shared::to_scaled(value, scale))
}

fn prev_power_of_two(n: usize) -> usize {
    debug_assert!(n > 0);
    1 << (usize::BITS - 1 - n.leading_zeros())
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
fn encode_rows(dialect: Dialect, spec: &InsertSpec, rows: &[Vec<Value>]) -> String {
    let mut out = Vec::with_capacity(rows.len() * spec.columns.len() * 12 + 2);
    out.push(b'[');
    for (row_idx, row) in rows.iter().enumerate() {
        debug_assert_eq!(row.len(), spec.columns.len());
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
                (Value::NullableText(None), _) | (Value::Decimal(None), _) => out.extend_from_slice(b"null"),
                (Value::NullableText(Some(value)), _) => write_text(&mut out, value),
                (Value::Decimal(Some(value)), ColumnKind::Decimal(scale)) => match dialect {
                    Dialect::Sqlite => write_int(&mut out, scaled(*value, *scale)),
                    Dialect::Postgres => write_text(&mut out, &value.to_string()),
                },
                (Value::Decimal(_), _) => unreachable!("decimal value in a non-decimal column"),
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
        assert_eq!(prev_power_of_two(1), 1);
        assert_eq!(prev_power_of_two(2727), 2048);
        assert_eq!(prev_power_of_two(4096), 4096);
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
                Value::NullableText(None),
                Value::Decimal(Some("12.5".parse().unwrap())),
            ],
            vec![
                Value::Int(0),
                Value::Text(String::new()),
                Value::NullableText(Some("x".into())),
                Value::Decimal(None),
            ],
        ];
        let expected = serde_json::json!([[-7, "say \"hi\"\n\\ ü", null, "12.5"], [0, "", "x", null]]);
        let postgres: serde_json::Value =
            serde_json::from_str(&encode_rows(Dialect::Postgres, &SPEC, &rows)).unwrap();
        assert_eq!(postgres, expected);
        let sqlite: serde_json::Value =
            serde_json::from_str(&encode_rows(Dialect::Sqlite, &SPEC, &rows)).unwrap();
        assert_eq!(sqlite[0][3], serde_json::json!(1250));
    }
}
