//! Bulk writes on PostgreSQL: each column of a table's rows travels as ONE typed array
//! parameter (`BIGINT[]`, `TEXT[]`, `NUMERIC[]`, `BYTEA[]`, sent in sqlx's binary encoding),
//! and the statement unpacks the columns in lockstep with `unnest` in its select list:
//!
//! `INSERT INTO t (a, b) SELECT unnest(CAST($1 AS BIGINT[])), unnest(CAST($2 AS TEXT[])) ON CONFLICT ...`
//!
//! The statement text depends only on which tables are written, so each shape is prepared once
//! per connection and reused whatever the row counts. Measured against a JSON array of rows
//! (`jsonb_array_elements`, `->>` and a CAST per field): 5,000 lines cost the server about a
//! quarter less CPU; `unnest` in the FROM clause (`ROWS FROM`) costs more, as the server first
//! copies the rows into a tuple store.
//!
//! All the tables of one `rows::Inserts` (a batch's documents, lines, roll-ups and entries) go in
//! ONE statement, each table's INSERT in a data-modifying `WITH` clause: one round trip per batch
//! instead of one per table.

use super::rows::{ColumnKind, InsertSpec, Value};
use crate::store::db::error::DbError;
use rust_decimal::Decimal;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection};

/// Most rows sent in one statement; more go in several.
const ROWS_PER_STATEMENT_MAX: usize = 20_000;

/// Inserts every table's `cells` (rows one after the other, one value per column of its spec), in
/// as few statements as `ROWS_PER_STATEMENT_MAX` allows.
pub(crate) async fn insert_tables(
    connection: &mut PgConnection,
    tables: &[(&InsertSpec, Vec<Value<'_>>)],
) -> Result<(), DbError> {
    let mut statement = Statement::default();
    for (spec, cells) in tables {
        for chunk in cells.chunks(ROWS_PER_STATEMENT_MAX * spec.columns.len()) {
            let n_rows = chunk.len() / spec.columns.len();
            if statement.n_rows > 0 && statement.n_rows + n_rows > ROWS_PER_STATEMENT_MAX {
                std::mem::take(&mut statement).execute(connection).await?;
            }
            statement.add(spec, chunk)?;
        }
    }
    if statement.n_rows > 0 {
        statement.execute(connection).await?;
    }
    Ok(())
}

/// One column's values, as the array bound for it.
#[derive(Debug, PartialEq)]
enum Column<'c> {
    Int(Vec<i64>),
    Text(Vec<Option<&'c str>>),
    Decimal(Vec<Option<Decimal>>),
    Blob(Vec<&'c [u8]>),
}

/// The INSERTs of several tables (or chunks of one) combined into one statement, with the
/// arrays to bind in parameter order.
#[derive(Default)]
struct Statement<'c> {
    inserts: Vec<String>,
    columns: Vec<Column<'c>>,
    n_rows: usize,
}

impl<'c> Statement<'c> {
    fn add(&mut self, spec: &InsertSpec, cells: &'c [Value<'_>]) -> Result<(), DbError> {
        self.inserts.push(insert_sql(spec, self.columns.len() + 1));
        self.columns.extend(columns_of(spec, cells)?);
        self.n_rows += cells.len() / spec.columns.len();
        Ok(())
    }

    fn sql(&self) -> String {
        combined_sql(&self.inserts)
    }

    async fn execute(self, connection: &mut PgConnection) -> Result<(), DbError> {
        let sql = self.sql();
        let mut arguments = PgArguments::default();
        for column in self.columns {
            match column {
                Column::Int(values) => arguments.add(values),
                Column::Text(values) => arguments.add(values),
                Column::Decimal(values) => arguments.add(values),
                Column::Blob(values) => arguments.add(values),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        sqlx::query_with(&sql, arguments).execute(connection).await?;
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

/// `cells` (rows one after the other, one value per column of `spec`) as one array per column,
/// in column order; a value of another kind than its column's is refused.
fn columns_of<'c>(spec: &InsertSpec, cells: &'c [Value<'_>]) -> Result<Vec<Column<'c>>, DbError> {
    let n_columns = spec.columns.len();
    debug_assert_eq!(cells.len() % n_columns, 0);
    let n_rows = cells.len() / n_columns;
    let mut columns: Vec<Column<'c>> = spec
        .columns
        .iter()
        .map(|(_, kind)| match kind {
            ColumnKind::Int => Column::Int(Vec::with_capacity(n_rows)),
            ColumnKind::Text => Column::Text(Vec::with_capacity(n_rows)),
            ColumnKind::Decimal(_) => Column::Decimal(Vec::with_capacity(n_rows)),
            ColumnKind::Blob => Column::Blob(Vec::with_capacity(n_rows)),
        })
        .collect();
    for row in cells.chunks_exact(n_columns) {
        for ((value, (name, _)), column) in row.iter().zip(spec.columns).zip(&mut columns) {
            match (column, value) {
                (Column::Int(values), Value::Int(value)) => values.push(*value),
                (Column::Text(values), Value::Text(value)) => values.push(Some(value)),
                (Column::Text(values), Value::Str(value)) => values.push(Some(value)),
                (Column::Text(values), Value::NullableStr(value)) => values.push(*value),
                (Column::Decimal(values), Value::Decimal(value)) => values.push(*value),
                (Column::Blob(values), Value::Blob(value)) => values.push(value),
                _ => {
                    return Err(DbError::WrongKind {
                        table: spec.table,
                        column: name,
                    })
                }
            }
        }
    }
    Ok(columns)
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
        let first = [
            Value::Int(1),
            Value::Str("x"),
            Value::NullableStr(None),
            Value::Decimal(None),
        ];
        let (second, third) = ([Value::Int(2), Value::Int(3)], [Value::Int(4)]);
        let mut statement = Statement::default();
        statement.add(&SPEC, &first).unwrap();
        statement.add(&OTHER, &second).unwrap();
        statement.add(&OTHER, &third).unwrap();
        assert_eq!(
            statement.sql(),
            "WITH w1 AS (INSERT INTO t (a, b, c, d) SELECT unnest(CAST($1 AS BIGINT[])), \
             unnest(CAST($2 AS TEXT[])), unnest(CAST($3 AS TEXT[])), unnest(CAST($4 AS NUMERIC[])) \
             ON CONFLICT (a) DO NOTHING), w2 AS (INSERT INTO u (e) SELECT unnest(CAST($5 AS BIGINT[]))) \
             INSERT INTO u (e) SELECT unnest(CAST($6 AS BIGINT[]))"
        );
        assert_eq!(
            statement.columns,
            [
                Column::Int(vec![1]),
                Column::Text(vec![Some("x")]),
                Column::Text(vec![None]),
                Column::Decimal(vec![None]),
                Column::Int(vec![2, 3]),
                Column::Int(vec![4]),
            ]
        );
        assert_eq!(statement.n_rows, 4);
    }

    #[test]
    fn a_value_of_another_kind_is_refused() {
        let cells = [Value::Str("1")];
        assert!(matches!(
            columns_of(&OTHER, &cells),
            Err(DbError::WrongKind {
                table: "u",
                column: "e"
            })
        ));
    }
}
