//! Reports from a PostgreSQL hot standby (`serve --report-db`): a real primary and a real
//! standby streaming from it (`pg_basebackup -R`). Reports read there equal the same reports on
//! the primary once the standby has replayed, and carry its replay lag; a report database that
//! is SQLite, a primary (not in recovery) or unreachable is refused at start in one line; a
//! standby that stops fails reports, naming the report database, while ingestion goes on.

use crate::hq_support::{push_documents, sales_out};
use crate::report_streams::{catalog, random_documents, setup_group, Rng, BRANCHES};
use branchline_proto::v1::{ReportRequest, ReportResponse};
use branchline_tests::hq::{launch_hq, launch_hq_with, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::net::RefusingPort;
use branchline_tests::people::report_client;
use branchline_tests::postgres::{postgres_available, PgCluster};
use branchline_tests::process::{command, run_command, Run};
use std::time::{Duration, Instant};

/// A primary cluster with a fresh database, and a hot standby streaming from it.
struct Pair {
    primary: PgCluster,
    standby: PgCluster,
    /// The database on the primary (`--db`).
    db_url: String,
    /// The same database on the standby (`--report-db`).
    report_db_url: String,
}

/// `None` when PostgreSQL is absent and not required (the test then passes, skipped).
async fn pair(test: &str) -> Option<Pair> {
    if !postgres_available(test) {
        return None;
    }
    let primary = PgCluster::start(false).expect("starting the primary");
    let db_url = primary.database(test).await.expect("creating the database");
    let standby = primary.start_standby().expect("starting the standby");
    let name = db_url.rsplit('/').next().unwrap().to_owned();
    let report_db_url = standby.database_url(&name);
    Some(Pair {
        primary,
        standby,
        db_url,
        report_db_url,
    })
}

/// An HQ on the primary that reads reports on the standby.
async fn launch_on_standby(pair: &Pair) -> HqHandle {
    let report_db = pair.report_db_url.clone();
    launch_hq_with(HqStoreKind::Url(pair.db_url.clone()), |config| {
        config.report_db = Some(report_db);
    })
    .await
}

/// Each branch of the group pushes a random stream of documents; returns how many each sent.
async fn push_group(hq: &HqHandle, tokens: &[String], n_docs: usize) {
    let mut rng = Rng(0x5EED_57A4_D8B1);
    for ((code, _), token) in BRANCHES.iter().zip(tokens) {
        let documents = random_documents(&mut rng, code, n_docs, &catalog(code, false));
        push_documents(hq, token, code, documents).await;
    }
}

pub(crate) fn request(by: &[&str]) -> ReportRequest {
    ReportRequest {
        org: "001".to_owned(),
        by: by.iter().map(|column| (*column).to_owned()).collect(),
        ..ReportRequest::default()
    }
}

/// Every kind of report, each as `(name, response)`.
pub(crate) async fn every_report(url: &str) -> Result<Vec<(&'static str, ReportResponse)>, tonic::Status> {
    let mut client = report_client(url, TEST_ADMIN_TOKEN).await;
    let subtotalled = ReportRequest {
        subtotals: true,
        ..request(&["org", "month"])
    };
    let ranking = ReportRequest {
        top: 3,
        ..request(&["product"])
    };
    let below_min = ReportRequest {
        below_min: true,
        ..request(&[])
    };
    Ok(vec![
        (
            "sales by org, month",
            client.sales(subtotalled).await?.into_inner(),
        ),
        (
            "sales by product, day",
            client.sales(request(&["product", "day"])).await?.into_inner(),
        ),
        (
            "sales by customer",
            client.sales(request(&["customer"])).await?.into_inner(),
        ),
        ("ranking by product", client.ranking(ranking).await?.into_inner()),
        ("inventory", client.inventory(request(&[])).await?.into_inner()),
        (
            "inventory below min",
            client.inventory(below_min).await?.into_inner(),
        ),
        (
            "count differences",
            client
                .count_differences(request(&["product"]))
                .await?
                .into_inner(),
        ),
    ])
}

/// Waits until a report on the standby HQ says its replay is caught up; returns that report.
async fn caught_up(url: &str) -> ReportResponse {
    let mut client = report_client(url, TEST_ADMIN_TOKEN).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.sales(request(&["org"])).await {
            Ok(response) => {
                let response = response.into_inner();
                let lag = response
                    .replay_lag
                    .clone()
                    .expect("a standby's report carries its lag");
                if lag.bytes == 0 {
                    assert_eq!(lag.ms, 0, "caught up is no lag in time either");
                    return response;
                }
                assert!(Instant::now() < deadline, "the standby never caught up: {lag:?}");
            }
            // The standby has not replayed the organization yet.
            Err(status) if status.code() == tonic::Code::NotFound && Instant::now() < deadline => {}
            Err(status) => panic!("sales on the standby: {status:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `hq-server serve --db DB --report-db REPORT_DB`, expected to refuse to start.
fn refused_start(db: &str, report_db: &str) -> Run {
    let mut serve = command(
        "hq-server",
        [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--db",
            db,
            "--report-db",
            report_db,
        ],
    );
    serve
        .env("BRANCHLINE_ADMIN_TOKEN", TEST_ADMIN_TOKEN)
        .env("RUST_LOG", "warn");
    let run = run_command(&mut serve).expect("running hq-server serve");
    assert!(
        !run.success(),
        "serve started with --report-db {report_db}: {run:?}"
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "one line: {:?}", run.stderr);
    assert!(
        run.stderr.starts_with("hq-server: error: report database"),
        "{}",
        run.stderr
    );
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_on_a_standby_equal_the_primarys_and_carry_its_replay_lag() {
    let Some(pair) = pair("report_standby_equal").await else {
        return;
    };
    let hq = launch_on_standby(&pair).await;
    let primary_only = launch_hq(HqStoreKind::Url(pair.db_url.clone())).await;
    let tokens = setup_group(&hq).await;
    push_group(&hq, &tokens, 60).await;

    let caught_up = caught_up(hq.url()).await;
    let pushed: Vec<u64> = caught_up.freshness.iter().map(|row| row.last_seq).collect();
    assert_eq!(
        pushed,
        [60, 60, 60],
        "every branch's documents are on the standby"
    );

    let on_standby = every_report(hq.url()).await.expect("reports on the standby");
    let on_primary = every_report(primary_only.url())
        .await
        .expect("reports on the primary");
    for ((name, standby), (_, primary)) in on_standby.iter().zip(&on_primary) {
        assert!(standby.replay_lag.is_some(), "{name}: the standby's lag");
        assert!(primary.replay_lag.is_none(), "{name}: the primary has no lag");
        assert!(!standby.freshness.is_empty(), "{name}");
        assert_eq!(standby.rows, primary.rows, "{name}: rows");
        assert_eq!(standby.freshness, primary.freshness, "{name}: freshness");
        assert_eq!(standby.columns, primary.columns, "{name}");
    }
    assert!(!on_standby[0].1.rows.is_empty(), "the group sold something");

    // The command line shows the lag in JSON and in the table.
    let report = |format: &str| {
        let mut cli = command(
            "hq-server",
            [
                "report",
                "--hq",
                hq.url(),
                "--token",
                TEST_ADMIN_TOKEN,
                "sales",
                "--org",
                "001",
                "--format",
                format,
            ],
        );
        run_command(&mut cli).expect("hq-server report").expect_ok()
    };
    let json: serde_json::Value = serde_json::from_str(&report("json").stdout).unwrap();
    let lag = &json["replay_lag"];
    assert!(lag["bytes"].is_u64() && lag["ms"].is_u64(), "{json}");
    assert!(report("table").stdout.contains("replay lag"));
    let mut cli = command(
        "hq-server",
        [
            "report",
            "--hq",
            primary_only.url(),
            "--token",
            TEST_ADMIN_TOKEN,
            "sales",
            "--org",
            "001",
            "--format",
            "json",
        ],
    );
    let json: serde_json::Value =
        serde_json::from_str(&run_command(&mut cli).unwrap().expect_ok().stdout).unwrap();
    assert!(json["replay_lag"].is_null(), "{json}");

    hq.shutdown().await.unwrap();
    primary_only.shutdown().await.unwrap();
    drop(pair);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_db_that_is_no_standby_is_refused_in_one_line() {
    let Some(pair) = pair("report_standby_refused").await else {
        return;
    };
    // Migrated first, so that only the report database is wrong.
    launch_hq(HqStoreKind::Url(pair.db_url.clone()))
        .await
        .shutdown()
        .await
        .unwrap();

    let sqlite = refused_start(&pair.db_url, "sqlite:///tmp/reports.db");
    assert!(sqlite.stderr.contains("is not PostgreSQL"), "{}", sqlite.stderr);
    assert!(
        sqlite.stderr.contains("sqlite:///tmp/reports.db"),
        "{}",
        sqlite.stderr
    );

    let primary = refused_start(&pair.db_url, &pair.db_url);
    assert!(primary.stderr.contains("is not a standby"), "{}", primary.stderr);
    assert!(primary.stderr.contains("pg_is_in_recovery"), "{}", primary.stderr);

    let port = RefusingPort::bind().unwrap();
    let unreachable = format!("postgres://postgres:s3cret@127.0.0.1:{}/reports", port.port());
    let down = refused_start(&pair.db_url, &unreachable);
    assert!(down.stderr.contains("report database"), "{}", down.stderr);
    assert!(down.stderr.contains("cannot connect to"), "{}", down.stderr);
    assert!(
        !down.stderr.contains("s3cret"),
        "the password is masked: {}",
        down.stderr
    );

    // The standby itself is accepted.
    let hq = launch_on_standby(&pair).await;
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_standby_fails_reports_naming_it_while_ingestion_goes_on() {
    let Some(mut pair) = pair("report_standby_stopped").await else {
        return;
    };
    let hq = launch_on_standby(&pair).await;
    let tokens = setup_group(&hq).await;
    push_group(&hq, &tokens[..1], 20).await;
    caught_up(hq.url()).await;

    pair.standby.stop_server().expect("stopping the standby");
    let started = Instant::now();
    let mut client = report_client(hq.url(), TEST_ADMIN_TOKEN).await;
    let refused = client.sales(request(&["org"])).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
    let message = refused.message();
    assert!(message.starts_with("report database "), "{message}");
    assert!(message.contains(&pair.report_db_url), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "failed in {:?}",
        started.elapsed()
    );
    let refused = client.inventory(request(&[])).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");

    // Writes stay on the primary: GZ's documents are ingested and reported there.
    let documents = (1..=15)
        .map(|idx| sales_out(&format!("GZ-{idx}"), "GZ", "C001", "2"))
        .collect();
    push_documents(&hq, &tokens[1], "GZ", documents).await;
    let primary_only = launch_hq(HqStoreKind::Url(pair.db_url.clone())).await;
    let mut primary = report_client(primary_only.url(), TEST_ADMIN_TOKEN).await;
    let response = primary.sales(request(&["org"])).await.unwrap().into_inner();
    let gz = response.freshness.iter().find(|row| row.branch == "GZ").unwrap();
    assert_eq!(gz.last_seq, 15);
    hq.shutdown().await.unwrap();
    primary_only.shutdown().await.unwrap();
    drop(pair.primary);
}
