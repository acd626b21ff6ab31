//! Bulk INSERT, no per-row round trips. PostgreSQL: each column of a table's rows travels as ONE
//! array-literal parameter that the server unpacks with `unnest`, and all the tables go in one
//! statement (`pg_arrays`): one cached statement and one round trip per batch, no per-value
//! binding or huge statement to plan. SQLite (in process, no
//! round trips): one prepared single-row statement per table, bound straight from the cells
//! through rusqlite on the transaction's own connection (`sqlite_native`).

use super::pg_arrays;
use super::rows::{InsertSpec, Value};
use super::sqlite_native::{self, with_native_handle, NativeHandle};
use crate::store::db::dialect::{BulkInsert, Dialect};
use sqlx::AnyConnection;

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::store::bulk::rows::{ColumnKind, Value};
    use crate::store::Store;
    use sqlx::Row;

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
            Value::Str("native"),
            Value::Str(detail),
        ]
    }

    async fn details(store: &Store) -> Vec<String> {
        sqlx::query("SELECT detail FROM audit WHERE action = 'native' ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// The native writes are part of the sqlx transaction: a rollback undoes them, a commit
    /// keeps them, and sqlx goes on using the connection afterwards.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn native_writes_belong_to_the_sqlx_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hq.db").display());
        let store = Store::open(&url, 2).await.unwrap();
        assert_eq!(store.dialect(), Dialect::Sqlite);

        let mut tx = store.begin_write().await.unwrap();
        insert_rows(
            &mut tx,
            Dialect::Sqlite,
            &AUDIT_INSERT,
            vec![audit_row("rolled back")],
        )
        .await
        .unwrap();
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE action = 'native'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(seen, 1, "sqlx sees the native write inside the transaction");
        tx.rollback().await.unwrap();
        assert!(details(&store).await.is_empty());

        let mut tx = store.begin_write().await.unwrap();
        let rows = vec![audit_row("kept 1"), audit_row("kept 2")];
        insert_rows(&mut tx, Dialect::Sqlite, &AUDIT_INSERT, rows)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(details(&store).await, ["kept 1", "kept 2"]);
        store.close().await;
    }
}
