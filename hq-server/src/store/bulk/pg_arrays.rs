//! PostgreSQL bulk writes: each column of a table's rows travels as ONE text parameter holding a
//! PostgreSQL array literal (`{1,2}`, `{"SZ-1","a \"b\""}`, `{21.50,NULL}`), and the statement
//! unpacks the columns in lockstep with `unnest` in its select list:
//!
//! `INSERT INTO t (a, b) SELECT unnest(CAST($1 AS BIGINT[])), unnest(CAST($2 AS TEXT[])) ON CONFLICT ...`
//!
//! sqlx `Any` cannot bind arrays, so the literals go as text and the server casts them. The
//! statement text depends only on which tables are written, so each shape is prepared once per
//! connection and reused whatever the row counts. Measured against the
//! JSON array of rows it replaces (`jsonb_array_elements`, `->>` and a CAST per field): 5,000 lines
//! cost the server ~24 ms of CPU instead of ~33 ms (COPY: ~17 ms). `unnest` in the FROM clause
//! (`ROWS FROM`) costs ~28 ms, as the server first copies the rows into a tuple store.
//!
//! All the tables of one `insert::Inserts` (a batch's documents, lines, roll-ups and entries) go in
//! ONE statement, each table's INSERT in a data-modifying `WITH` clause: one round trip per batch
//! instead of one per table.
//!
//! A column's element type comes from its `ColumnKind` (`element_type`), each value is written by
//! `write_element`; the packed roll-up blocks are BYTEA elements (`write_bytea_element`:
//! `"\\x0a1b"`).

use super::rows::{ColumnKind, InsertSpec, Value};
use rust_decimal::Decimal;
use sqlx::AnyConnection;

/// Most rows sent in one statement; more go in several.
const ROWS_PER_STATEMENT_MAX: usize = 20_000;

/// Inserts every table's `cells` (rows one after the other, one value per column of its spec), in
/// as few statements as `ROWS_PER_STATEMENT_MAX` allows.
pub(crate) async fn insert_tables(
    connection: &mut AnyConnection,
    tables: &[(&InsertSpec, Vec<Value<'_>>)],
) -> Result<(), sqlx::Error> {
    let mut statement = Statement::default();
    for (spec, cells) in tables {
        for chunk in cells.chunks(ROWS_PER_STATEMENT_MAX * spec.columns.len()) {
            let n_rows = chunk.len() / spec.columns.len();
            if statement.n_rows > 0 && statement.n_rows + n_rows > ROWS_PER_STATEMENT_MAX {
                std::mem::take(&mut statement).execute(connection).await?;
            }
            statement.add(spec, chunk);
        }
    }
    if statement.n_rows > 0 {
        statement.execute(connection).await?;
    }
    Ok(())
}

/// The INSERTs of several tables (or chunks of one) combined into one statement, with the array
/// literals to bind in parameter order.
#[derive(Default)]
struct Statement {
    inserts: Vec<String>,
    parameters: Vec<String>,
    n_rows: usize,
}

impl Statement {
    fn add(&mut self, spec: &InsertSpec, cells: &[Value<'_>]) {
        self.inserts.push(insert_sql(spec, self.parameters.len() + 1));
        self.parameters.extend(encode_columns(spec, cells));
        self.n_rows += cells.len() / spec.columns.len();
    }

    fn sql(&self) -> String {
        combined_sql(&self.inserts)
    }

    async fn execute(self, connection: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let sql = self.sql();
        let mut query = sqlx::query(&sql);
        for parameter in self.parameters {
            query = query.bind(parameter);
        }
        query.execute(connection).await?;
        Ok(())
    }
}

/// `inserts` as one statement: all but the last in `WITH` clauses. Each runs to completion (a
/// data-modifying `WITH` does even when nothing reads it), against the statement's one snapshot:
/// the tables are distinct or their rows are, so no INSERT needs to see another's rows.
fn combined_sql(inserts: &[String]) -> String {
    let Some((last, first)) = inserts.split_last() else {
        return String::new();
    };
    if first.is_empty() {
        return last.clone();
    }
    let clauses: Vec<String> = first
        .iter()
        .enumerate()
        .map(|(idx, insert)| format!("w{} AS ({insert})", idx + 1))
        .collect();
    format!("WITH {} {last}", clauses.join(", "))
}

/// The INSERT of `spec`'s columns from one array parameter per column, numbered from `first`.
fn insert_sql(spec: &InsertSpec, first: usize) -> String {
    let names: Vec<&str> = spec.columns.iter().map(|(name, _)| *name).collect();
    let values: Vec<String> = spec
        .columns
        .iter()
        .enumerate()
        .map(|(index, (_, kind))| format!("unnest(CAST(${} AS {}[]))", first + index, element_type(*kind)))
        .collect();
    let insert = format!(
        "INSERT INTO {} ({}) SELECT {}",
        spec.table,
        names.join(", "),
        values.join(", ")
    );
    if spec.on_conflict.is_empty() {
        insert
    } else {
        format!("{insert} {}", spec.on_conflict)
    }
}

/// The PostgreSQL type of one array element of a column of `kind`.
fn element_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Int => "BIGINT",
        ColumnKind::Text => "TEXT",
        // The column's own NUMERIC(p, s) rounds to its scale on insert, as it would for COPY.
        ColumnKind::Decimal(_) => "NUMERIC",
        ColumnKind::Blob => "BYTEA",
    }
}

/// `cells` (rows one after the other, one value per column of `spec`) as one array literal per
/// column, in column order.
fn encode_columns(spec: &InsertSpec, cells: &[Value<'_>]) -> Vec<String> {
    let n_columns = spec.columns.len();
    debug_assert_eq!(cells.len() % n_columns, 0);
    let n_rows = cells.len() / n_columns;
    let mut columns: Vec<String> = spec
        .columns
        .iter()
        .map(|_| {
            let mut literal = String::with_capacity(n_rows * 8 + 2);
            literal.push('{');
            literal
        })
        .collect();
    for (row_idx, row) in cells.chunks_exact(n_columns).enumerate() {
        for ((value, (name, kind)), literal) in row.iter().zip(spec.columns).zip(&mut columns) {
            if row_idx > 0 {
                literal.push(',');
            }
            write_element(literal, value, *kind, spec.table, name);
        }
    }
    for literal in &mut columns {
        literal.push('}');
    }
    columns
}

fn write_element(out: &mut String, value: &Value<'_>, kind: ColumnKind, table: &str, column: &str) {
    match value {
        Value::Int(value) => write_integer(out, i128::from(*value)),
        Value::Text(value) => write_text_element(out, value),
        Value::Str(value) => write_text_element(out, value),
        Value::NullableStr(None) | Value::Decimal(None) => out.push_str("NULL"),
        Value::NullableStr(Some(value)) => write_text_element(out, value),
        Value::Decimal(Some(value)) => {
            assert!(
                matches!(kind, ColumnKind::Decimal(_)),
                "decimal value in non-decimal column {table}.{column}"
            );
            write_decimal(out, *value)
        }
        Value::Blob(bytes) => write_bytea_element(out, bytes),
    }
}

/// A decimal as plain digits with its own scale (`-12.50`), which NUMERIC reads exactly; a few
/// times faster than `Display`, which matters at ~35,000 decimals per batch of lines.
fn write_decimal(out: &mut String, value: Decimal) {
    let scale = value.scale() as usize;
    let mut digits = [0u8; 40];
    let start = digits_of(&mut digits, value.mantissa().unsigned_abs());
    let digits = &digits[start..];
    if value.mantissa() < 0 {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(ascii(digits));
    } else if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.push_str(ascii(whole));
        out.push('.');
        out.push_str(ascii(fraction));
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', scale - digits.len()));
        out.push_str(ascii(digits));
    }
}

fn write_integer(out: &mut String, value: i128) {
    let mut digits = [0u8; 40];
    let start = digits_of(&mut digits, value.unsigned_abs());
    if value < 0 {
        out.push('-');
    }
    out.push_str(ascii(&digits[start..]));
}

fn ascii(digits: &[u8]) -> &str {
    std::str::from_utf8(digits).expect("ASCII digits")
}

/// Writes the decimal digits of `value` at the end of `buffer`; returns where they start.
fn digits_of(buffer: &mut [u8; 40], mut value: u128) -> usize {
    let mut start = buffer.len();
    // Most values fit in 64 bits, where division is cheap.
    while value > u128::from(u64::MAX) {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    let mut value = value as u64;
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return start;
        }
    }
}

/// A text element, always quoted so that no value can read as `NULL`, be trimmed or split:
/// inside the quotes only `"` and `\` need a backslash (commas, braces, spaces, newlines and
/// any UTF-8 stand as they are).
fn write_text_element(out: &mut String, value: &str) {
    out.reserve(value.len() + 2);
    out.push('"');
    let mut rest = value;
    while let Some(special) = rest.find(['"', '\\']) {
        out.push_str(&rest[..special]);
        out.push('\\');
        out.push_str(&rest[special..special + 1]);
        rest = &rest[special + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

/// A BYTEA element: the hex form `\x0a1b`, quoted, with its backslash escaped for the array
/// literal. For a blob column kind (element type `BYTEA`).
#[cfg_attr(not(test), allow(dead_code))]
fn write_bytea_element(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2 + 5);
    out.push_str("\"\\\\x");
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: InsertSpec = InsertSpec {
        table: "t",
        columns: &[
            ("a", ColumnKind::Int),
            ("b", ColumnKind::Text),
            ("c", ColumnKind::Text),
            ("d", ColumnKind::Decimal(2)),
        ],
        on_conflict: "ON CONFLICT (a) DO NOTHING",
    };

    const OTHER: InsertSpec = InsertSpec {
        table: "u",
        columns: &[("e", ColumnKind::Int)],
        on_conflict: "",
    };

    #[test]
    fn statement_unnests_one_typed_array_per_column() {
        assert_eq!(
            insert_sql(&SPEC, 1),
            "INSERT INTO t (a, b, c, d) SELECT unnest(CAST($1 AS BIGINT[])), unnest(CAST($2 AS TEXT[])), \
             unnest(CAST($3 AS TEXT[])), unnest(CAST($4 AS NUMERIC[])) ON CONFLICT (a) DO NOTHING"
        );
    }

    #[test]
    fn tables_combine_into_one_statement_with_parameters_in_order() {
        let mut statement = Statement::default();
        statement.add(
            &SPEC,
            &[
                Value::Int(1),
                Value::Str("x"),
                Value::NullableStr(None),
                Value::Decimal(None),
            ],
        );
        statement.add(&OTHER, &[Value::Int(2), Value::Int(3)]);
        statement.add(&OTHER, &[Value::Int(4)]);
        assert_eq!(
            statement.sql(),
            "WITH w1 AS (INSERT INTO t (a, b, c, d) SELECT unnest(CAST($1 AS BIGINT[])), \
             unnest(CAST($2 AS TEXT[])), unnest(CAST($3 AS TEXT[])), unnest(CAST($4 AS NUMERIC[])) \
             ON CONFLICT (a) DO NOTHING), w2 AS (INSERT INTO u (e) SELECT unnest(CAST($5 AS BIGINT[]))) \
             INSERT INTO u (e) SELECT unnest(CAST($6 AS BIGINT[]))"
        );
        assert_eq!(
            statement.parameters,
            ["{1}", r#"{"x"}"#, "{NULL}", "{NULL}", "{2,3}", "{4}"]
        );
        assert_eq!(statement.n_rows, 4);
    }

    #[test]
    fn numbers_are_written_as_display_writes_them() {
        let mut decimals: Vec<Decimal> = [
            "0",
            "1",
            "-1",
            "0.5",
            "-0.05",
            "21.50",
            "0.0001",
            "-3.2500",
            "123456789.123456",
            "999999999999.9999",
            "-7922816251426433759354395033.5",
            "79228162514264337593543950335",
            "0.0000000000000000000000000001",
        ]
        .iter()
        .map(|text| text.parse().unwrap())
        .collect();
        decimals.extend((0..2000_i64).map(|idx| Decimal::new(idx * 7919 - 5_000_000, (idx % 9) as u32)));
        for value in decimals {
            let mut out = String::new();
            write_decimal(&mut out, value);
            assert_eq!(out, value.to_string(), "{value:?}");
        }
        for value in [0, 1, -1, 42, i64::MIN, i64::MAX] {
            let mut out = String::new();
            write_integer(&mut out, i128::from(value));
            assert_eq!(out, value.to_string());
        }
    }

    #[test]
    fn columns_are_array_literals_with_quoted_text() {
        let cells = vec![
            Value::Int(-7),
            Value::Text("say \"hi\" \\ {a,b} 深圳".into()),
            Value::NullableStr(None),
            Value::Decimal(Some("-12.50".parse().unwrap())),
            Value::Int(0),
            Value::Str(""),
            Value::NullableStr(Some("NULL")),
            Value::Decimal(None),
        ];
        assert_eq!(
            encode_columns(&SPEC, &cells),
            [
                r#"{-7,0}"#,
                r#"{"say \"hi\" \\ {a,b} 深圳",""}"#,
                r#"{NULL,"NULL"}"#,
                r#"{-12.50,NULL}"#,
            ]
        );
    }

    #[test]
    fn bytea_elements_are_escaped_hex() {
        let mut out = String::new();
        write_bytea_element(&mut out, &[0x00, 0x0a, 0xff]);
        assert_eq!(out, r#""\\x000aff""#);
    }
}
