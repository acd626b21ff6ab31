//! Bulk row inserts: one cached single-row INSERT, bound and executed once per row.
//!
//! (Multi-row `VALUES (..), (..)` statements were tried: SQLite runs them through an
//! ephemeral table, which made them slower than re-executing one prepared statement.)

use rusqlite::{CachedStatement, Connection, ToSql};

/// Binds one row's values, left to right.
pub(crate) struct RowBinder<'s, 'c> {
    statement: &'s mut CachedStatement<'c>,
    next_param_idx: usize,
}

impl RowBinder<'_, '_> {
    pub(crate) fn bind<T: ToSql>(&mut self, value: T) -> rusqlite::Result<()> {
        self.statement.raw_bind_parameter(self.next_param_idx, value)?;
        self.next_param_idx += 1;
        Ok(())
    }
}

/// Inserts `n_rows` rows into `table_columns` (`"outbox (id, epoch, ...)"`, `n_columns`
/// names); `bind_row(binder, row_idx)` binds exactly `n_columns` values of row `row_idx`.
pub(crate) fn insert_rows(
    conn: &Connection,
    table_columns: &str,
    n_columns: usize,
    n_rows: usize,
    mut bind_row: impl FnMut(&mut RowBinder<'_, '_>, usize) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    if n_rows == 0 {
        return Ok(());
    }
    let mut statement = conn.prepare_cached(&insert_sql(table_columns, n_columns))?;
    for row_idx in 0..n_rows {
        let mut binder = RowBinder {
            statement: &mut statement,
            next_param_idx: 1,
        };
        bind_row(&mut binder, row_idx)?;
        debug_assert_eq!(binder.next_param_idx, n_columns + 1);
        statement.raw_execute()?;
    }
    Ok(())
}

/// `INSERT INTO {table_columns} VALUES (?,..)` with `n_columns` parameters.
fn insert_sql(table_columns: &str, n_columns: usize) -> String {
    let mut sql = format!("INSERT INTO {table_columns} VALUES (");
    for column_idx in 0..n_columns {
        sql.push_str(if column_idx == 0 { "?" } else { ",?" });
    }
    sql.push(')');
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_every_row_in_order_whatever_the_count() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER NOT NULL, b TEXT NOT NULL)")
            .unwrap();
        for n_rows in [0, 1, 2, 3, 63, 64, 65, 200] {
            conn.execute("DELETE FROM t", []).unwrap();
            insert_rows(&conn, "t (a, b)", 2, n_rows, |binder, row_idx| {
                binder.bind(row_idx as i64)?;
                binder.bind(format!("r{row_idx}"))
            })
            .unwrap();
            let rows: Vec<(i64, String)> = conn
                .prepare("SELECT a, b FROM t ORDER BY rowid")
                .unwrap()
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let expected: Vec<(i64, String)> = (0..n_rows).map(|i| (i as i64, format!("r{i}"))).collect();
            assert_eq!(rows, expected, "{n_rows} rows");
        }
    }
}
