//! Upgrading an HQ store that holds data to the packed product roll-ups (SQLite schema 4,
//! PostgreSQL 5) and the packed on-hand (SQLite 5, PostgreSQL 6): the store is taken back to the
//! schema before both (the product levels and the on-hand rebuilt from its lines exactly as
//! migration 2 builds them, the packed tables dropped), opened again, and every report must then
//! equal the direct aggregation over the stored lines — also after more documents are ingested
//! on top of the repacked blocks. The pending roll-up rows (SQLite 6, PostgreSQL 7) are dropped
//! with the blocks and come back empty. SQLite, and PostgreSQL.

use crate::report_props::assert_reports_match_lines;
use crate::report_streams::{push_random_streams, random_documents, setup_group, Rng};
use branchline_shared::{EntryBody, OutboxEntry};
use branchline_tests::hq::{branch_ref, launch_hq, HqStoreKind};
use hq_server::store::db::dialect::Dialect;
use hq_server::store::ingest::batch::{self, Incoming, IngestBatch};
use hq_server::store::Store;
use sqlx::Connection;

/// The statements of migration 2 that create and fill the old product levels and on-hand.
fn old_product_levels(dialect: Dialect) -> Vec<String> {
    let dir = match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    };
    let path = format!(
        "{}/../hq-server/migrations/{dir}/0002_reports.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    let sql = std::fs::read_to_string(&path).expect("reading migration 2");
    // Comment lines first: they may hold semicolons and name other tables.
    let sql: Vec<&str> = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect();
    let statements: Vec<String> = sql
        .join("\n")
        .split(';')
        .filter(|statement| {
            ["sales_year_product", "sales_month_product", "stock_on_hand"]
                .iter()
                .any(|table| statement.contains(table))
        })
        .map(str::to_owned)
        .collect();
    assert_eq!(
        statements.len(),
        6,
        "three CREATE TABLE and three back-fills in {path}"
    );
    statements
}

async fn upgrade_case(store_kind: HqStoreKind) {
    let mut rng = Rng(0x01d_5eed);
    let hq = launch_hq(store_kind).await;
    let tokens = setup_group(&hq).await;
    push_random_streams(&hq, &tokens, &mut rng, 40, true).await;
    let url = hq.db_url().to_owned();
    let dialect = Dialect::from_url(&url).unwrap();
    let packed_version = match dialect {
        Dialect::Sqlite => 4,
        Dialect::Postgres => 5,
    };

    // Back to the schema before the packed roll-ups, holding the same data.
    downgrade_to_unpacked(&url, dialect, packed_version).await;

    let store = Store::open(&url, 2).await.expect("upgrading the store");
    assert_repacked(&url, packed_version).await;
    let whole_range = ("2025-11-01".to_owned(), "2026-03-01".to_owned());
    assert_reports_match_lines(&store, whole_range.clone()).await;

    // Ingestion goes on adding to the repacked blocks (and to products new to the store).
    let branch = branch_ref(&store, "GZ").await.unwrap();
    let mut products: Vec<String> = (1..=150).map(|idx| format!("P{idx:03}")).collect();
    products.extend(["GZ-L1".to_owned(), "GZ-L2".to_owned()]);
    // Numbered after what GZ sent before; red documents follow their source's new number.
    let renumber = |number: &str| format!("GZ-{}", 1000 + number["GZ-".len()..].parse::<u64>().unwrap());
    let documents = random_documents(&mut rng, "GZ", 30, &products);
    let first_seq = 3 + 40 + 1;
    let entries = documents
        .into_iter()
        .enumerate()
        .map(|(idx, mut document)| {
            document.number = renumber(&document.number);
            document.red_of = document.red_of.as_deref().map(renumber);
            Incoming::from_entry(OutboxEntry {
                seq: first_seq + idx as u64,
                body: EntryBody::Document(document),
            })
        })
        .collect();
    let batch = IngestBatch::new(1, None, entries);
    let ack = batch::ingest(&store, &branch, batch).await.unwrap();
    assert_eq!((ack.applied, ack.quarantined), (30, 0), "{ack:?}");
    assert_reports_match_lines(&store, whole_range).await;
    store.close().await;
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_repacks_product_rollups_sqlite() {
    upgrade_case(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_repacks_product_rollups_postgres() {
    let Some(store_kind) = HqStoreKind::postgres("report_upgrade").await else {
        return;
    };
    upgrade_case(store_kind).await;
}

/// Takes the store back to the schema before the packed roll-ups (the old per-product levels
/// back-filled, the packed tables and later columns dropped), holding the same data.
async fn downgrade_to_unpacked(url: &str, dialect: Dialect, packed_version: i64) {
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(url).await.unwrap();
    let mut downgrade = old_product_levels(dialect);
    downgrade.extend(
        [
            "sales_year_block",
            "sales_month_block",
            "stock_block",
            "product_slot",
            "rollup_pending",
        ]
        .map(|table| format!("DROP TABLE {table}")),
    );
    downgrade.push("ALTER TABLE branch DROP COLUMN inbox_floor".to_owned());
    downgrade.push("DROP INDEX inbox_unoffered".to_owned());
    downgrade.push("ALTER TABLE inbox DROP COLUMN offered".to_owned());
    downgrade.push(format!(
        "DELETE FROM schema_migrations WHERE version >= {packed_version}"
    ));
    for statement in &downgrade {
        sqlx::query(statement)
            .execute(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
    let old_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sales_year_product")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert!(
        old_rows > 100,
        "the old year level holds the data ({old_rows} rows)"
    );
    connection.close().await.unwrap();
}

/// After the upgrade: the old tables dropped, the on-hand and products repacked, every later
/// migration applied.
async fn assert_repacked(url: &str, packed_version: i64) {
    let mut connection = sqlx::AnyConnection::connect(url).await.unwrap();
    for old in ["sales_year_product", "stock_on_hand"] {
        let gone = sqlx::query(&format!("SELECT 1 FROM {old}"))
            .fetch_optional(&mut connection)
            .await;
        assert!(gone.is_err(), "{old} is dropped");
    }
    let stock_blocks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stock_block")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert!(
        stock_blocks > 3,
        "the on-hand is repacked ({stock_blocks} blocks)"
    );
    let slots: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM product_slot")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert!(slots > 64, "product ids span more than one block ({slots})");
    let version: i64 = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(
        version,
        packed_version + 3,
        "both packing migrations, the pending roll-ups and the inbox floor applied"
    );
    connection.close().await.unwrap();
}
