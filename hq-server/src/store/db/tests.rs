//! The database layer against a real SQLite file: parameters, typed reads, transactions that
//! roll back when dropped (cancelled) and the pool's bound. PostgreSQL runs the same layer
//! under the integration suite, which runs every store test on both stores.

use super::error::DbError;
use super::pool::Pool;
use super::query::{execute_script, query};
use std::time::Duration;

fn open(dir: &tempfile::TempDir, max_connections: u32) -> Pool {
    let path = dir.path().join("db.sqlite");
    Pool::open_sqlite(
        &path,
        max_connections,
        "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON".to_owned(),
        "PRAGMA journal_mode = WAL",
    )
    .unwrap()
}

async fn setup(pool: &Pool) {
    let mut conn = pool.acquire().await.unwrap();
    execute_script(
        &mut conn,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n BIGINT, data BLOB); \
         CREATE TABLE u (v BIGINT)",
    )
    .await
    .unwrap();
}

async fn count(pool: &Pool) -> i64 {
    query("SELECT COUNT(*) FROM t")
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbered_parameters_bind_their_own_value_and_rows_read_typed() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(&dir, 2);
    setup(&pool).await;
    // `$2` appears before `$1`: each still binds its own value.
    let done = query("INSERT INTO t (n, name, data) VALUES ($2, $1, $3), ($2 + 1, $1, NULL)")
        .bind("x")
        .bind(41_i64)
        .bind(vec![1_u8, 2])
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 2);
    let rows = query("SELECT name, n, data FROM t WHERE name = ?1 ORDER BY n")
        .bind("x")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].try_get::<String, _>(0).unwrap(), "x");
    assert_eq!(rows[0].try_get::<i64, _>(1).unwrap(), 41);
    assert_eq!(rows[0].try_get::<Vec<u8>, _>(2).unwrap(), [1, 2]);
    assert_eq!(rows[1].try_get::<Option<Vec<u8>>, _>(2).unwrap(), None);
    assert_eq!(rows[1].try_get_u64(1).unwrap(), 42);
    let none = query("SELECT n FROM t WHERE name = $1")
        .bind(None::<String>)
        .fetch_optional(&pool)
        .await
        .unwrap();
    assert!(none.is_none());
    pool.close().await;
}

#[tokio::test]
async fn values_of_another_type_or_range_are_refused_naming_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(&dir, 1);
    setup(&pool).await;
    let row = query("SELECT 'seven' AS label, -3 AS counter, NULL AS absent")
        .fetch_one(&pool)
        .await
        .unwrap();
    let refused = |error: DbError| match error {
        DbError::BadValue { column, .. } => column,
        other => panic!("not a refusal: {other}"),
    };
    assert_eq!(refused(row.try_get::<i64, _>(0).unwrap_err()), "label");
    assert_eq!(refused(row.try_get_u64(1).unwrap_err()), "counter");
    assert_eq!(refused(row.try_get::<String, _>(2).unwrap_err()), "absent");
    assert_eq!(row.try_get::<Option<String>, _>(2).unwrap(), None);
    assert!(matches!(
        query("SELECT 1 WHERE 0").fetch_one(&pool).await,
        Err(DbError::NoRow)
    ));
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_commits_or_rolls_back_and_a_dropped_one_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(&dir, 1);
    setup(&pool).await;

    let mut tx = pool.begin_write().await.unwrap();
    query("INSERT INTO t (name) VALUES ('rolled back')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    let mut tx = pool.begin_write().await.unwrap();
    query("INSERT INTO t (name) VALUES ('dropped')")
        .execute(&mut *tx)
        .await
        .unwrap();
    drop(tx);

    let mut tx = pool.begin_write().await.unwrap();
    query("INSERT INTO t (name) VALUES ('kept')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let names: Vec<String> = query("SELECT name FROM t")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get(0).unwrap())
        .collect();
    assert_eq!(names, ["kept"]);
    pool.close().await;
}

/// A handler future dropped while it holds a transaction (its client went away) leaves no
/// write behind, and the pool's only connection is usable at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_transaction_leaves_nothing_and_frees_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(&dir, 1);
    setup(&pool).await;
    let work = async {
        let mut tx = pool.begin_write().await.unwrap();
        query("INSERT INTO t (name) VALUES ('cancelled')")
            .execute(&mut *tx)
            .await
            .unwrap();
        std::future::pending::<()>().await;
        tx.commit().await.unwrap();
    };
    assert!(tokio::time::timeout(Duration::from_millis(50), work)
        .await
        .is_err());
    assert_eq!(count(&pool).await, 0);
    let mut tx = pool.begin_write().await.unwrap();
    query("INSERT INTO u (v) VALUES (1)")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    pool.close().await;
}

/// At most `max_connections` are out at once: the next caller waits for one to come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_hands_out_at_most_its_connections() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open(&dir, 1);
    let held = pool.acquire().await.unwrap();
    let waiting = tokio::time::timeout(Duration::from_millis(50), pool.acquire()).await;
    assert!(waiting.is_err(), "a second connection while the only one is out");
    drop(held);
    drop(pool.acquire().await.unwrap());
    pool.close().await;
    assert!(matches!(pool.acquire().await, Err(DbError::PoolClosed)));
}
