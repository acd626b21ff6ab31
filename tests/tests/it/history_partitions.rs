//! HQ's document history by month (docs/operations.md, "History by month"): a store written before
//! it (today's unpartitioned `document` and `document_line`, made by their own migrations' text)
//! is migrated with every report, reconcile bucket and exactly-once answer unchanged, on both
//! stores; on PostgreSQL a report over a date range and the ingestion of that range's documents
//! go on while another session holds an exclusive lock on another month's partitions, which an
//! all-time report waits for.

use crate::hq_support::{batch, counts, push, push_documents, sales_out, wire};
use crate::report_standby::{every_report, request};
use crate::report_streams::{catalog, random_documents, setup_group, Rng, BRANCHES};
use branchline_proto::v1::{ReconcileBucket, ReconcileSummaryRequest, ReportRequest};
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{Document, EntryBody};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::hq_db::HqDb;
use branchline_tests::people::report_client;
use std::time::{Duration, Instant};

/// Documents per branch, dated 2025-11-20 to 2026-02-08 (four months).
const DOCS: usize = 60;

/// Today's tables as the migrations before the monthly history made them.
fn unpartitioned_tables(postgres: bool) -> Vec<String> {
    let (init, transfer) = if postgres {
        (
            include_str!("../../../hq-server/migrations/postgres/0001_init.sql"),
            include_str!("../../../hq-server/migrations/postgres/0008_transfer.sql"),
        )
    } else {
        (
            include_str!("../../../hq-server/migrations/sqlite/0001_init.sql"),
            include_str!("../../../hq-server/migrations/sqlite/0008_transfer.sql"),
        )
    };
    let table = |name: &str| {
        let start = init
            .find(&format!("CREATE TABLE {name} ("))
            .expect("the table in 0001");
        let end = start + init[start..].find(';').expect("its end") + 1;
        init[start..end].to_owned()
    };
    let add_column = transfer
        .lines()
        .find(|line| line.starts_with("ALTER TABLE document ADD COLUMN to_warehouse"))
        .expect("0008's column")
        .to_owned();
    vec![table("document"), table("document_line"), add_column]
}

/// Turns a migrated store back into what the build before the monthly history left: the
/// documents and lines in today's tables, no register, migration 10 not recorded.
async fn unmigrate(db_url: &str) {
    let postgres = db_url.starts_with("postgres");
    let mut db = HqDb::connect(db_url).await.unwrap();
    for table in ["document", "document_line"] {
        db.execute(&format!("ALTER TABLE {table} RENAME TO {table}_new"))
            .await
            .unwrap();
        if postgres {
            db.execute(&format!(
                "ALTER TABLE {table}_new RENAME CONSTRAINT {table}_pkey TO {table}_new_pkey"
            ))
            .await
            .unwrap();
        }
    }
    for statement in unpartitioned_tables(postgres) {
        db.execute(&statement).await.unwrap();
    }
    let statements = [
        "INSERT INTO document SELECT branch_id, number, epoch, seq, doc_type, doc_date, partner, warehouse, \
         red_of, link_branch, link_number, amount, tax, total, checksum, received_at, to_warehouse FROM document_new",
        "INSERT INTO document_line SELECT branch_id, number, line_no, product, qty, price, discount, tax_rate, \
         amount, tax, total FROM document_line_new",
        "DROP TABLE document_line_new",
        "DROP TABLE document_new",
        "DROP TABLE document_key",
        "DROP TABLE retirement",
        "DELETE FROM schema_migrations WHERE version = 10",
    ];
    for statement in statements {
        db.execute(statement).await.unwrap();
    }
    db.close().await.unwrap();
}

/// Each branch's documents, pushed as its entries 1..=DOCS.
async fn push_group(hq: &HqHandle, tokens: &[String]) -> Vec<Vec<Document>> {
    let mut rng = Rng(0x5EED_57A4_D8B1);
    let mut sent = Vec::new();
    for ((code, _), token) in BRANCHES.iter().zip(tokens) {
        let documents = random_documents(&mut rng, code, DOCS, &catalog(code, false));
        push_documents(hq, token, code, documents.clone()).await;
        sent.push(documents);
    }
    sent
}

/// Each branch's reconcile buckets at HQ.
async fn buckets(hq: &HqHandle, tokens: &[String]) -> Vec<Vec<ReconcileBucket>> {
    let mut all = Vec::new();
    for ((code, _), token) in BRANCHES.iter().zip(tokens) {
        let request = ReconcileSummaryRequest {
            protocol_version: PROTOCOL_VERSION,
            epoch: 1,
            branch: (*code).to_owned(),
        };
        let summary = hq.transfer(token).await.reconcile_summary(request).await.unwrap();
        all.push(summary.into_inner().buckets);
    }
    all
}

async fn migration_keeps_the_history(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    let tokens = setup_group(&hq).await;
    let sent = push_group(&hq, &tokens).await;
    let reports = every_report(hq.url()).await.unwrap();
    let buckets_before = buckets(&hq, &tokens).await;
    let db_url = hq.db_url().to_owned();
    hq.shutdown().await.unwrap();

    unmigrate(&db_url).await;
    let hq = launch_hq(HqStoreKind::Url(db_url.clone())).await;
    let after = every_report(hq.url()).await.unwrap();
    for ((name, before), (_, after)) in reports.iter().zip(&after) {
        assert_eq!(before.rows, after.rows, "{name}: rows");
        assert_eq!(before.freshness, after.freshness, "{name}: freshness");
    }
    assert!(!after[0].1.rows.is_empty(), "the group sold something");
    assert_eq!(buckets(&hq, &tokens).await, buckets_before, "reconcile buckets");

    let mut db = HqDb::connect(&db_url).await.unwrap();
    let held = "SELECT COUNT(*) FROM document_key";
    assert_eq!(db.integer(held).await.unwrap(), (DOCS * BRANCHES.len()) as i64);
    let unset = "SELECT COUNT(*) FROM document_line WHERE doc_date = ''";
    assert_eq!(db.integer(unset).await.unwrap(), 0, "every line has its date");
    if db_url.starts_with("postgres") {
        let partitions = "SELECT COUNT(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                          WHERE c.relname ~ '^document(_line)?_20[0-9]{2}_[0-9]{2}$'";
        assert_eq!(
            db.integer(partitions).await.unwrap(),
            2 * 4,
            "four months, two tables"
        );
    }

    // What HQ held before is known after: the same entries again are duplicates.
    let (code, token) = (BRANCHES[0].0, &tokens[0]);
    let mut client = hq.transfer(token).await;
    let again: Vec<_> = sent[0]
        .iter()
        .enumerate()
        .map(|(idx, document)| wire(idx as u64 + 1, EntryBody::Document(document.clone())))
        .collect();
    let ack = push(&mut client, batch(code, 1, again)).await.unwrap();
    assert_eq!(
        counts(&ack),
        (0, DOCS as u32, 0, DOCS as u64),
        "resent: duplicates"
    );
    // A document of a month never seen before is stored in that month.
    let mut march = sent[0][0].clone();
    march.number = format!("{code}-MARCH");
    march.date = branchline_shared::parse_date("2026-03-02").unwrap();
    march.red_of = None;
    let entry = wire(DOCS as u64 + 1, EntryBody::Document(march));
    let ack = push(&mut client, batch(code, 1, vec![entry])).await.unwrap();
    assert_eq!(counts(&ack), (1, 0, 0, DOCS as u64 + 1), "the March document");
    let march_lines = "SELECT COUNT(*) FROM document_line WHERE doc_date = '2026-03-02'";
    assert!(db.integer(march_lines).await.unwrap() > 0);
    if db_url.starts_with("postgres") {
        let attached =
            "SELECT COUNT(*) FROM pg_class WHERE relname IN ('document_2026_03', 'document_line_2026_03')";
        assert_eq!(db.integer(attached).await.unwrap(), 2, "March's partitions");
    }
    db.close().await.unwrap();
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_from_unpartitioned_tables_keeps_the_history_on_sqlite() {
    // A file of the test's own: an HQ's own SQLite file goes with it when it stops.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hq.db").display());
    migration_keeps_the_history(HqStoreKind::Url(url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_from_unpartitioned_tables_keeps_the_history_on_postgres() {
    let Some(store) = HqStoreKind::postgres("history_migration").await else {
        return;
    };
    migration_keeps_the_history(store).await;
}

/// Waits (up to a minute, so that a blocked call fails the test instead of hanging it) for `call`.
async fn within_a_minute<T>(what: &str, call: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), call)
        .await
        .unwrap_or_else(|_| panic!("{what} waited on another month's partitions"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_months_reports_and_documents_never_touch_another_month() {
    let Some(store) = HqStoreKind::postgres("history_months").await else {
        return;
    };
    let hq = launch_hq(store).await;
    let tokens = setup_group(&hq).await;
    push_group(&hq, &tokens).await;

    // Another session holds November 2025's partitions exclusively: no reader, no writer.
    let mut holder = HqDb::connect(hq.db_url()).await.unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("LOCK TABLE document_2025_11, document_line_2025_11 IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();

    let january = |by: &[&str]| ReportRequest {
        from: "2026-01-01".into(),
        to: "2026-01-31".into(),
        ..request(by)
    };
    let mut reports = report_client(hq.url(), TEST_ADMIN_TOKEN).await;
    for by in [
        &["customer"][..],
        &["product", "day"],
        &["warehouse"],
        &["org", "month"],
    ] {
        let report = within_a_minute("a January report", reports.sales(january(by))).await;
        assert!(!report.unwrap().into_inner().rows.is_empty(), "{by:?}");
    }
    let counts_report = reports.count_differences(january(&["product"]));
    within_a_minute("January's count differences", counts_report)
        .await
        .unwrap();
    let (code, token) = (BRANCHES[1].0, &tokens[1]);
    let mut january_sale = sales_out(&format!("{code}-JAN"), code, "C001", "2");
    january_sale.date = branchline_shared::parse_date("2026-01-15").unwrap();
    let mut client = hq.transfer(token).await;
    let entry = wire(DOCS as u64 + 1, EntryBody::Document(january_sale));
    let ack = within_a_minute(
        "a January document",
        push(&mut client, batch(code, 1, vec![entry])),
    )
    .await;
    assert_eq!(counts(&ack.unwrap()), (1, 0, 0, DOCS as u64 + 1));

    // The control: a report over every date does wait for November's partitions.
    let url = hq.url().to_owned();
    let all_time = tokio::spawn(async move {
        let mut reports = report_client(&url, TEST_ADMIN_TOKEN).await;
        reports.sales(request(&["customer"])).await
    });
    let mut watcher = HqDb::connect(hq.db_url()).await.unwrap();
    let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()";
    let deadline = Instant::now() + Duration::from_secs(60);
    while watcher.integer(waiting).await.unwrap() == 0 {
        assert!(
            Instant::now() < deadline,
            "the all-time report never waited on November"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    holder.execute("ROLLBACK").await.unwrap();
    let all_time = all_time.await.unwrap().unwrap().into_inner();
    assert!(!all_time.rows.is_empty());
    holder.close().await.unwrap();
    watcher.close().await.unwrap();
    hq.shutdown().await.unwrap();
}
