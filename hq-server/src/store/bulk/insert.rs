//! Bulk INSERT, no per-row round trips. PostgreSQL: each column of a table's rows travels as ONE
//! typed array parameter that the server unpacks with `unnest`, and all the tables go in one
//! statement (`postgres`): one cached statement and one round trip per batch, no per-value
//! binding or huge statement to plan. SQLite (in process, no round trips): one prepared
//! single-row statement per table, bound straight from the cells through the transaction's
//! rusqlite connection (`sqlite`).

use super::rows::{InsertSpec, Value};
use super::{postgres, sqlite};
use crate::store::db::error::DbError;
use crate::store::db::pool::{Conn, Driver};

/// Inserts `rows` (each with one value per column, in column order).
pub(crate) async fn insert_rows(
    connection: &mut Conn,
    spec: &InsertSpec,
    rows: Vec<Vec<Value<'_>>>,
) -> Result<(), DbError> {
    let mut inserts = Inserts::default();
    inserts.add(spec, rows.into_iter().flatten().collect());
    inserts.write(connection).await
}

/// The rows of several tables, written in the order they were added with as few trips to the
/// database as the backend allows.
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

    pub(crate) async fn write(self, connection: &mut Conn) -> Result<(), DbError> {
        if self.tables.is_empty() {
            return Ok(());
        }
        match connection.driver() {
            Driver::Sqlite(native) => native.run(|native| {
                self.tables
                    .iter()
                    .try_for_each(|(spec, cells)| sqlite::insert_cells(native, spec, cells))
            })?,
            Driver::Postgres(connection) => postgres::insert_tables(connection, &self.tables).await?,
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::bulk::rows::{ColumnKind, Value};
    use crate::store::db::dialect::Dialect;
    use crate::store::db::query::query;
    use crate::store::Store;

    /// Audit rows: a table every store has, for tests of the write paths.
    pub(crate) const AUDIT_INSERT: InsertSpec = InsertSpec {
        table: "audit",
        columns: &[
            ("at", ColumnKind::Text),
            ("actor", ColumnKind::Text),
            ("action", ColumnKind::Text),
            ("detail", ColumnKind::Text),
        ],
        on_conflict: "",
    };

    fn audit_row(detail: &str) -> Vec<Value<'_>> {
        vec![
            Value::Str("2026-01-01T00:00:00Z"),
            Value::Str("test"),
            Value::Str("bulk"),
            Value::Str(detail),
        ]
    }

    async fn details(store: &Store) -> Vec<String> {
        query("SELECT detail FROM audit WHERE action = 'bulk' ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get(0).unwrap())
            .collect()
    }

    /// The bulk writes are part of the transaction: a rollback undoes them, a commit keeps them,
    /// and statements after them on the same transaction see them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bulk_writes_belong_to_the_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hq.db").display());
        let store = Store::open(&url, 2).await.unwrap();
        assert_eq!(store.dialect(), Dialect::Sqlite);

        let mut tx = store.begin_write().await.unwrap();
        insert_rows(&mut tx, &AUDIT_INSERT, vec![audit_row("rolled back")])
            .await
            .unwrap();
        let seen: i64 = query("SELECT COUNT(*) FROM audit WHERE action = 'bulk'")
            .fetch_one(&mut *tx)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(seen, 1, "the transaction sees its bulk write");
        tx.rollback().await.unwrap();
        assert!(details(&store).await.is_empty());

        let mut tx = store.begin_write().await.unwrap();
        let rows = vec![audit_row("kept 1"), audit_row("kept 2")];
        insert_rows(&mut tx, &AUDIT_INSERT, rows).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(details(&store).await, ["kept 1", "kept 2"]);
        store.close().await;
    }
}
