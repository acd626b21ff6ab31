//! Retiring a year (`hq-server retire-year`, docs/operations.md): on PostgreSQL the year's month
//! partitions are detached and kept as tables; reports from the roll-ups still count the year,
//! reports of the stored lines that reach into it are refused naming the retired date, later
//! ones are unchanged; a resend of a retired document is a duplicate and a new one dated in the
//! retired year is quarantined; reconcile still counts the retired documents. A year not over,
//! a year retired already and an SQLite store are refused in one line, changing nothing.

use crate::hq_support::{batch, counts, push, sales_out, wire};
use crate::report_standby::request;
use crate::report_streams::setup_group;
use branchline_proto::v1::{ReconcileSummaryRequest, ReportRequest};
use branchline_proto::PROTOCOL_VERSION;
use branchline_shared::{parse_date, Document, EntryBody};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::hq_db::HqDb;
use branchline_tests::people::report_client;
use branchline_tests::process::{command, run_command, Run};
use chrono::Datelike;

/// SZ's sales-out `number` dated `date`.
fn sale(number: &str, date: &str) -> Document {
    let mut document = sales_out(number, "SZ", "C001", "2");
    document.date = parse_date(date).unwrap();
    document
}

fn retire_year(db_url: &str, year: &str) -> Run {
    let mut retire = command("hq-server", ["retire-year", year, "--db", db_url]);
    retire.env("RUST_LOG", "warn");
    run_command(&mut retire).expect("running hq-server retire-year")
}

/// `run` failed with one line on stderr containing `expected`.
fn refused(run: &Run, expected: &str) {
    assert!(!run.success(), "{run:?}");
    assert_eq!(run.stderr.trim().lines().count(), 1, "one line: {:?}", run.stderr);
    assert!(run.stderr.contains(expected), "{}", run.stderr);
}

async fn sales(hq: &HqHandle, query: ReportRequest) -> Result<Vec<String>, tonic::Status> {
    let mut client = report_client(hq.url(), TEST_ADMIN_TOKEN).await;
    let report = client.sales(query).await?.into_inner();
    Ok(report.rows.iter().map(|row| format!("{row:?}")).collect())
}

fn from_2025(by: &[&str]) -> ReportRequest {
    ReportRequest {
        from: "2025-01-01".into(),
        ..request(by)
    }
}

/// 2024's partitions are out of the partitioned tables, kept as tables of their own.
async fn assert_detached_and_kept(db_url: &str) {
    let mut db = HqDb::connect(db_url).await.unwrap();
    let attached = "SELECT COUNT(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
                    WHERE c.relname LIKE 'document%2024%'";
    assert_eq!(db.integer(attached).await.unwrap(), 0);
    let kept = "SELECT COUNT(*) FROM document_line_2024_03";
    assert_eq!(db.integer(kept).await.unwrap(), 2, "the detached lines are kept");
    let attached_2025 = "SELECT COUNT(*) FROM document WHERE doc_date >= '2025-01-01'";
    assert_eq!(db.integer(attached_2025).await.unwrap(), 2);
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_year_leaves_the_reports_of_the_lines_and_stays_held() {
    let Some(store) = HqStoreKind::postgres("history_retire").await else {
        return;
    };
    let hq = launch_hq(store).await;
    let tokens = setup_group(&hq).await;
    let documents = [
        sale("SZ-1", "2024-03-05"),
        sale("SZ-2", "2024-12-31"),
        sale("SZ-3", "2025-01-02"),
        sale("SZ-4", "2025-06-01"),
    ];
    let entries = |range: std::ops::Range<usize>| {
        range
            .map(|idx| wire(idx as u64 + 1, EntryBody::Document(documents[idx].clone())))
            .collect::<Vec<_>>()
    };
    let mut client = hq.transfer(&tokens[0]).await;
    push(&mut client, batch("SZ", 1, entries(0..4))).await.unwrap();
    let by_month = sales(&hq, request(&["org", "month"])).await.unwrap();
    let customers_2025 = sales(&hq, from_2025(&["customer"])).await.unwrap();
    let reconcile = ReconcileSummaryRequest {
        protocol_version: PROTOCOL_VERSION,
        epoch: 1,
        branch: "SZ".into(),
    };
    let buckets = client
        .reconcile_summary(reconcile.clone())
        .await
        .unwrap()
        .into_inner();

    let this_year = chrono::Utc::now().year().to_string();
    refused(
        &retire_year(hq.db_url(), &this_year),
        &format!("year {this_year} is not over"),
    );
    let run = retire_year(hq.db_url(), "2024");
    assert!(run.success(), "{run:?}");
    assert!(
        run.stdout.starts_with(
            "retired 2024 and earlier: 4 month partitions detached (2 documents, 4 lines); \
             documents dated before 2025-01-01 are quarantined from now on"
        ),
        "{}",
        run.stdout
    );
    refused(&retire_year(hq.db_url(), "2023"), "year 2023 is already retired");

    assert_detached_and_kept(hq.db_url()).await;

    // The roll-ups still count 2024; the lines of 2025 report as before; lines of 2024 refused.
    assert_eq!(sales(&hq, request(&["org", "month"])).await.unwrap(), by_month);
    assert_eq!(
        sales(&hq, from_2025(&["customer"])).await.unwrap(),
        customers_2025
    );
    let refusal = sales(&hq, request(&["customer"])).await.unwrap_err();
    assert_eq!(refusal.code(), tonic::Code::InvalidArgument);
    assert!(
        refusal
            .message()
            .contains("retired the lines dated before 2025-01-01"),
        "{}",
        refusal.message()
    );

    // HQ still holds what it retired: a resend is a duplicate, reconcile counts it.
    let ack = push(&mut client, batch("SZ", 1, entries(0..2))).await.unwrap();
    assert_eq!(counts(&ack), (0, 2, 0, 4));
    let after = client.reconcile_summary(reconcile).await.unwrap().into_inner();
    assert_eq!(after.buckets, buckets.buckets, "reconcile buckets");
    // A document of the retired year HQ never held is quarantined, the channel goes on.
    let late = wire(5, EntryBody::Document(sale("SZ-5", "2024-07-01")));
    let next = wire(6, EntryBody::Document(sale("SZ-6", "2025-07-01")));
    let ack = push(&mut client, batch("SZ", 1, vec![late, next])).await.unwrap();
    assert_eq!(counts(&ack), (1, 0, 1, 6));
    let quarantined = hq.quarantine().await.unwrap();
    assert_eq!(quarantined.len(), 1);
    assert!(
        quarantined[0]
            .reason
            .contains("document SZ-5 is dated 2024-07-01, before 2025-01-01"),
        "{}",
        quarantined[0].reason
    );
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retiring_a_year_of_an_sqlite_store_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hq.db");
    let run = retire_year(&format!("sqlite://{}", path.display()), "2024");
    refused(&run, "retire-year needs a PostgreSQL store");
    assert!(!path.exists(), "no store was created");
    let run = retire_year("postgres://127.0.0.1:1/hq", "1899");
    assert!(!run.success(), "{run:?}");
    assert!(run.stderr.contains("1900..=9999"), "{}", run.stderr);
}
