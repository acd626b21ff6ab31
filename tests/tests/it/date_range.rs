//! Dates are bounded to 1900-01-01 ..= 9999-12-31 wherever they enter (a document's date on the
//! command line, in a JSONL file and on the wire; report bounds; target months), and a report
//! without --from/--to covers that whole range, so HQ's totals equal what the branch sent.

use crate::hq_support::{batch, push, wire};
use crate::report_streams::setup_group;
use branchline_shared::{DocLine, DocType, Document, EntryBody};
use branchline_tests::hq::{launch_hq, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::ledger::{branch_node, seed_ledger, snapshot};
use branchline_tests::process::{run, TempDir};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const OUT_OF_RANGE: [&str; 3] = ["0000-01-01", "1899-12-31", "10000-01-01"];
const RANGE: &str = "from 1900-01-01 to 9999-12-31";

#[test]
fn the_branch_refuses_dates_outside_the_range_on_the_command_line_and_in_a_file() {
    let dir = TempDir::new("date-range-branch").unwrap();
    let ledger = dir.join("sz.db");
    drop(seed_ledger(&ledger, "SZ").unwrap());
    let before = snapshot(&ledger).unwrap();
    for date in OUT_OF_RANGE {
        let add = [
            "doc",
            "add",
            "--type",
            "opening",
            "--warehouse",
            "SZ-W",
            "--line",
            "P0001:1@1",
            "--date",
            date,
        ];
        let run = branch_node(&ledger, &add).unwrap().expect_err();
        assert!(
            run.stderr.contains("--date") && run.stderr.contains(RANGE),
            "{date}: {}",
            run.stderr
        );
        let file = dir.join("docs.jsonl");
        let line = format!(
            r#"{{"number":"SZ-1","type":"opening","date":"{date}","warehouse":"SZ-W","lines":[{{"product":"P0001","qty":"1","price":"1"}}]}}"#
        );
        std::fs::write(&file, format!("{line}\n")).unwrap();
        let run = branch_node(&ledger, &["doc", "import", file.to_str().unwrap()])
            .unwrap()
            .expect_err();
        assert!(
            run.stderr.contains("line 1: field date") && run.stderr.contains(RANGE),
            "{date}: {}",
            run.stderr
        );
    }
    assert_eq!(snapshot(&ledger).unwrap(), before);
    for date in ["1900-01-01", "9999-12-31"] {
        let add = [
            "doc",
            "add",
            "--type",
            "opening",
            "--warehouse",
            "SZ-W",
            "--line",
            "P0001:1@1",
            "--date",
            date,
        ];
        branch_node(&ledger, &add).unwrap().expect_ok();
    }
}

fn sale(number: &str, date: NaiveDate) -> Document {
    Document {
        number: number.to_owned(),
        doc_type: DocType::SalesOut,
        date,
        partner: "C001".to_owned(),
        warehouse: "SZ-W".to_owned(),
        to_warehouse: String::new(),
        red_of: None,
        lines: vec![DocLine {
            product: "P001".to_owned(),
            qty: Decimal::new(3, 0),
            price: Decimal::new(1050, 2),
            discount: Decimal::ZERO,
            tax_rate: Decimal::new(13, 2),
        }],
        link: None,
    }
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

async fn hq_case(store_kind: HqStoreKind) {
    let hq = launch_hq(store_kind).await;
    let tokens = setup_group(&hq).await;
    let url = hq.url().to_owned();
    let kept = [sale("SZ-1", ymd(1900, 1, 1)), sale("SZ-2", ymd(9999, 12, 31))];
    let sent_total: Decimal = kept.iter().map(|document| document.totals().total).sum();
    let refused = [sale("SZ-3", ymd(0, 1, 1)), sale("SZ-4", ymd(1899, 12, 31))];
    let entries = kept
        .iter()
        .chain(&refused)
        .enumerate()
        .map(|(idx, document)| wire(idx as u64 + 1, EntryBody::Document(document.clone())))
        .collect();
    let mut client = hq.transfer(&tokens[0]).await;
    let ack = push(&mut client, batch("SZ", 1, entries)).await.expect("push");
    assert_eq!(
        ack.quarantined, 2,
        "documents dated outside the range are not applied"
    );
    let quarantine = hq.quarantine().await.unwrap();
    assert!(
        quarantine
            .iter()
            .all(|entry| format!("{entry:?}").contains(RANGE)),
        "{quarantine:?}"
    );

    let report = |args: &[&str]| {
        let mut full = vec![
            "report",
            "--hq",
            &url,
            "--token",
            TEST_ADMIN_TOKEN,
            "sales",
            "--org",
            "001",
        ];
        full.extend_from_slice(args);
        run("hq-server", &full).unwrap()
    };
    let json: serde_json::Value =
        serde_json::from_str(&report(&["--format", "json"]).expect_ok().stdout).unwrap();
    let hq_total: Decimal = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["total"].as_str().unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(
        hq_total, sent_total,
        "HQ's report without a range equals what the branch sent"
    );
    for date in OUT_OF_RANGE {
        for flag in ["--from", "--to"] {
            let run = report(&[flag, date]).expect_err();
            assert!(
                run.stderr.contains(flag) && run.stderr.contains(RANGE),
                "{flag} {date}: {}",
                run.stderr
            );
        }
    }
    assert_targets_out_of_range_refused(&url);
}

/// `admin target set` refuses a month outside 1900-01 to 9999-12, naming it.
fn assert_targets_out_of_range_refused(url: &str) {
    for month in ["0000-01", "1899-12", "10000-01"] {
        let target = [
            "admin",
            "--hq",
            url,
            "--token",
            TEST_ADMIN_TOKEN,
            "target",
            "set",
            "001",
            month,
            "1",
        ];
        let run = run("hq-server", target).unwrap().expect_err();
        assert!(
            run.stderr.contains(month) && run.stderr.contains("from 1900-01 to 9999-12"),
            "{month}: {}",
            run.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_refuses_dates_outside_the_range_and_reports_the_whole_range_sqlite() {
    hq_case(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_refuses_dates_outside_the_range_and_reports_the_whole_range_postgres() {
    let Some(store_kind) = HqStoreKind::postgres("date_range").await else {
        return;
    };
    hq_case(store_kind).await;
}

#[test]
fn a_ledger_holding_a_date_from_before_the_range_stays_readable() {
    let dir = TempDir::new("date-range-stored").unwrap();
    let ledger = dir.join("sz.db");
    drop(seed_ledger(&ledger, "SZ").unwrap());
    let add = [
        "doc",
        "add",
        "--type",
        "opening",
        "--number",
        "SZ-1",
        "--warehouse",
        "SZ-W",
        "--line",
        "P0001:1@1",
    ];
    branch_node(&ledger, &add).unwrap().expect_ok();
    // A ledger written before dates were bounded.
    let conn = rusqlite::Connection::open(&ledger).unwrap();
    conn.execute(
        "UPDATE document SET date = '0000-01-01' WHERE number = 'SZ-1'",
        [],
    )
    .unwrap();
    drop(conn);
    let shown = branch_node(&ledger, &["doc", "show", "SZ-1"])
        .unwrap()
        .expect_ok();
    assert!(shown.stdout.contains("0000-01-01"), "{}", shown.stdout);
    branch_node(&ledger, &["doc", "list"]).unwrap().expect_ok();
}
