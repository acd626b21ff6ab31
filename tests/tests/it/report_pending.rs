//! The pending tier of the report roll-ups through the real server: a branch's batches wait as
//! pending rows and the batch that reaches the fold count folds them into the blocks, and HQ
//! folds them itself when ingestion pauses; reports equal the direct aggregation over the
//! stored lines in every state. SQLite, and PostgreSQL.

use crate::hq_support::{batch, push, wire};
use crate::report_props::assert_reports_match_lines;
use crate::report_streams::{sale, setup_group, PRODUCTS};
use branchline_shared::EntryBody;
use branchline_tests::hq::{launch_hq_with, HqStoreKind};
use branchline_tests::hq_db::HqDb;

/// With a fold every 3 batches, a branch's additions wait as pending rows, one per batch, and
/// the third batch folds them into the blocks; reports equal the lines in both states.
async fn pending_fold_case(store_kind: HqStoreKind) {
    let hq = launch_hq_with(store_kind, |config| {
        config.limits.rollup_fold_batches = 3;
        // No fold while ingestion pauses for the checks below.
        config.limits.rollup_idle_fold_seconds = 3600;
    })
    .await;
    let tokens = setup_group(&hq).await;
    let store = hq.open_store().await.unwrap();
    let mut connection = HqDb::connect(hq.db_url()).await.unwrap();
    let mut client = hq.transfer(&tokens[0]).await;
    for (index, expected_rows) in [1, 2, 0, 1].into_iter().enumerate() {
        let seq = index as u64 + 1;
        let day = format!("2025-12-{:02}", 10 + index);
        let document = sale(&format!("SZ-{seq}"), &day, PRODUCTS[index % 2]);
        let ack = push(
            &mut client,
            batch("SZ", 1, vec![wire(seq, EntryBody::Document(document))]),
        )
        .await
        .expect("push");
        assert_eq!(ack.applied, 1, "{ack:?}");
        let pending_rows = connection
            .integer(
                "SELECT COUNT(*) FROM rollup_pending WHERE branch_id = (SELECT id FROM branch WHERE code = 'SZ')",
            )
            .await
            .unwrap();
        assert_eq!(pending_rows, expected_rows, "pending rows after batch {seq}");
        if expected_rows != 1 {
            assert_reports_match_lines(&store, ("2025-12-11".into(), "2025-12-12".into())).await;
        }
    }
    connection.close().await.unwrap();
    store.close().await;
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_rows_fold_every_third_batch_sqlite() {
    pending_fold_case(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_rows_fold_every_third_batch_postgres() {
    let Some(store_kind) = HqStoreKind::postgres("report_pending_fold").await else {
        return;
    };
    pending_fold_case(store_kind).await;
}

/// Pending rows left by a pause in ingestion are folded into the blocks by HQ itself.
async fn idle_fold_case(store_kind: HqStoreKind) {
    let hq = launch_hq_with(store_kind, |config| config.limits.rollup_idle_fold_seconds = 1).await;
    let tokens = setup_group(&hq).await;
    let mut connection = HqDb::connect(hq.db_url()).await.unwrap();
    let mut client = hq.transfer(&tokens[0]).await;
    let documents = [
        sale("SZ-1", "2025-12-10", "P001"),
        sale("SZ-2", "2025-12-11", "P002"),
    ];
    let entries = documents
        .into_iter()
        .enumerate()
        .map(|(index, document)| wire(index as u64 + 1, EntryBody::Document(document)))
        .collect();
    push(&mut client, batch("SZ", 1, entries)).await.expect("push");
    let mut waited = 0;
    loop {
        let pending_rows = connection
            .integer("SELECT COUNT(*) FROM rollup_pending")
            .await
            .unwrap();
        let folded = connection
            .integer("SELECT COUNT(*) FROM sales_year_block")
            .await
            .unwrap();
        if pending_rows == 0 && folded > 0 {
            break;
        }
        waited += 1;
        assert!(waited < 300, "still {pending_rows} pending rows after 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let store = hq.open_store().await.unwrap();
    assert_reports_match_lines(&store, ("2025-12-11".into(), "2025-12-12".into())).await;
    connection.close().await.unwrap();
    store.close().await;
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_rows_are_folded_when_ingestion_pauses_sqlite() {
    idle_fold_case(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_rows_are_folded_when_ingestion_pauses_postgres() {
    let Some(store_kind) = HqStoreKind::postgres("report_idle_fold").await else {
        return;
    };
    idle_fold_case(store_kind).await;
}
