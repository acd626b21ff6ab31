//! Commission (佣金方案) as an administrator runs it against a served HQ, on SQLite and on
//! PostgreSQL: a yearly plan paying 3% above 80% of a 1.2M target and 5% above 100% (the
//! seeds' example), marginal; a monthly plan paid whole at the reached band, exact to the cent
//! (half away from zero); a region's override on its subtree's sales; red documents with their
//! sign; each bad plan, band, assignment and period refused in one line, changing nothing; and a
//! settled period frozen, a red document after it carried into the next open period once.

use crate::hq_support::{batch, push, push_documents, wire};
use crate::report_streams::setup_group;
use branchline_shared::{parse_date, DocLine, DocType, Document, EntryBody};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::process::{run, Run};
use serde_json::Value;

fn sale(number: &str, date: &str, qty: &str, price: &str) -> Document {
    Document {
        number: number.to_owned(),
        doc_type: DocType::SalesOut,
        date: parse_date(date).unwrap(),
        partner: "C001".to_owned(),
        warehouse: format!("{}-W", number.split('-').next().unwrap()),
        to_warehouse: String::new(),
        red_of: None,
        lines: vec![DocLine {
            product: "P001".to_owned(),
            qty: qty.parse().unwrap(),
            price: price.parse().unwrap(),
            discount: Default::default(),
            tax_rate: "0.13".parse().unwrap(),
        }],
        link: None,
    }
}

fn hq_cli(url: &str, command: &str, args: &[&str]) -> Run {
    let mut full = vec![command, "--hq", url, "--token", TEST_ADMIN_TOKEN];
    full.extend_from_slice(args);
    run("hq-server", &full).expect("running hq-server")
}

/// SZ sells 1,150,000 in 2026 (550,000 of it in November; a 50,000 sale redded in June), GZ
/// sells 50,000.10 in November.
pub(crate) async fn push_sales(hq: &HqHandle, tokens: &[String]) {
    let in_june = sale("SZ-3", "2026-06-01", "500", "100");
    let streams = [
        (
            "SZ",
            vec![
                sale("SZ-1", "2026-03-10", "6000", "100"),
                sale("SZ-2", "2026-11-20", "5500", "100"),
                in_june.red_copy("SZ-4", parse_date("2026-06-02").unwrap()),
                in_june,
            ],
        ),
        ("GZ", vec![sale("GZ-1", "2026-11-05", "1", "50000.10")]),
    ];
    for ((code, documents), token) in streams.into_iter().zip(tokens) {
        push_documents(hq, token, code, documents).await;
    }
}

fn admin(url: &str, args: &[&str]) -> String {
    hq_cli(url, "admin", args).expect_ok().stdout
}

pub(crate) fn set_up_plans(url: &str) {
    for month in 1..=12 {
        admin(
            url,
            &[
                "target",
                "set",
                "001.001.001",
                &format!("2026-{month:02}"),
                "100000",
            ],
        );
    }
    admin(url, &["target", "set", "001.001.002", "2026-11", "40000"]);
    let partner = [
        "commission",
        "plan",
        "add",
        "partner-year",
        "--band",
        "80:3",
        "--band",
        "100:5",
        "--period",
        "year",
    ];
    assert!(admin(url, &partner).contains("added"));
    assert!(
        admin(url, &partner).contains("already there"),
        "the same plan again changes nothing"
    );
    let store = [
        "commission",
        "plan",
        "add",
        "store-month",
        "--band",
        "80:3",
        "--band",
        "100:5",
        "--mode",
        "whole",
    ];
    admin(url, &store);
    let region = [
        "commission",
        "plan",
        "add",
        "region",
        "--band",
        "0:0",
        "--override-rate",
        "1",
        "--override-on",
        "sales",
    ];
    admin(url, &region);
    admin(url, &["commission", "assign", "001.001.001", "partner-year"]);
    admin(url, &["commission", "assign", "001.001.002", "store-month"]);
    admin(url, &["commission", "assign", "001.001", "region"]);
}

fn figures(url: &str, org: &str, period: &str) -> Value {
    let run = hq_cli(
        url,
        "report",
        &["commission", "--org", org, "--period", period, "--format", "json"],
    )
    .expect_ok();
    serde_json::from_str(&run.stdout).unwrap_or_else(|error| panic!("{error}: {}", run.stdout))
}

fn assert_figures(url: &str) {
    let year = figures(url, "001", "2026");
    assert_eq!(
        (year["from"].as_str(), year["to"].as_str()),
        (Some("2026-01-01"), Some("2026-12-31"))
    );
    let rows = year["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "only the yearly plan's organization: {year}");
    let sz = &rows[0];
    assert_eq!(sz["org"], "001.001.001");
    assert_eq!(sz["sales"], "1150000.00", "the redded June sale nets to nothing");
    assert_eq!(sz["target"], "1200000.00");
    assert_eq!(sz["completion"], "95.83");
    assert_eq!(
        sz["bands"][0]["base"], "190000.00",
        "3% on the part above 960,000"
    );
    assert_eq!(sz["bands"][1]["base"], "0.00");
    assert_eq!(sz["commission"], "5700.00");
    assert_eq!(sz["override"], Value::Null);

    let november = figures(url, "001", "2026-11");
    let rows = november["rows"].as_array().unwrap();
    let orgs: Vec<&str> = rows.iter().map(|row| row["org"].as_str().unwrap()).collect();
    assert_eq!(orgs, ["001.001", "001.001.002"]);
    let (region, gz) = (&rows[0], &rows[1]);
    assert_eq!(region["sales"], "0.00");
    assert_eq!(region["target"], Value::Null, "no target set: empty, not zero");
    assert_eq!(region["commission"], "0.00");
    assert_eq!(
        region["override_base"], "600000.10",
        "SZ's 550,000 and GZ's 50,000.10"
    );
    assert_eq!(region["override"], "6000.00");
    assert_eq!(region["payable"], "6000.00");
    assert_eq!(gz["completion"], "125.00");
    assert_eq!(
        gz["bands"][1]["base"], "50000.10",
        "whole: the reached band on all sales"
    );
    assert_eq!(
        gz["commission"], "2500.01",
        "2,500.005 rounds half away from zero"
    );
    let below = figures(url, "001.001.002", "2026-11");
    assert_eq!(
        below["rows"].as_array().map(Vec::len),
        Some(1),
        "a subtree shows its own only"
    );
    let csv = hq_cli(
        url,
        "report",
        &[
            "commission",
            "--org",
            "001",
            "--period",
            "2026-11",
            "--format",
            "csv",
        ],
    )
    .expect_ok();
    assert!(csv
        .stdout
        .starts_with("org,plan,sales,target,completion,bands,commission"));
}

fn assert_refusals(url: &str) {
    let plans_before = admin(url, &["commission", "plan", "list", "--json"]);
    let refused = |command: &str, args: &[&str], needle: &str| {
        let run = hq_cli(url, command, args).expect_err();
        let line = run.stderr.trim();
        assert!(line.contains(needle) && !line.contains('\n'), "{args:?}: {line}");
    };
    refused(
        "admin",
        &["commission", "plan", "add", "bad", "--band", "80"],
        "expected FROM:RATE",
    );
    refused(
        "admin",
        &[
            "commission",
            "plan",
            "add",
            "bad",
            "--band",
            "100:5",
            "--band",
            "80:3",
        ],
        "80% follows 100%",
    );
    refused(
        "admin",
        &[
            "commission",
            "plan",
            "add",
            "bad",
            "--band",
            "80:3",
            "--period",
            "week",
        ],
        "month, quarter or year",
    );
    refused(
        "admin",
        &["commission", "plan", "add", "partner-year", "--band", "80:4"],
        "already exists",
    );
    refused(
        "admin",
        &["commission", "assign", "001.001.001", "nobody"],
        "plan nobody does not exist",
    );
    refused(
        "admin",
        &["commission", "assign", "009", "region"],
        "organization 009 is not registered",
    );
    refused(
        "report",
        &["commission", "--org", "001", "--period", "2026-13"],
        "expected YYYY-MM, YYYY-Qn or YYYY",
    );
    assert_eq!(
        admin(url, &["commission", "plan", "list", "--json"]),
        plans_before,
        "nothing changed"
    );
}

/// November settled (佣金结算单); GZ's sale redded afterwards: November's statement stays as
/// settled, December carries the change once, and January carries nothing more.
async fn assert_settlement(hq: &HqHandle, gz_token: &str, url: &str) {
    let settle = |period: &str| {
        let args = [
            "commission",
            "settle",
            "--period",
            period,
            "--org",
            "001",
            "--format",
            "json",
        ];
        serde_json::from_str::<Value>(&admin(url, &args)).unwrap()
    };
    let november = settle("2026-11");
    let rows = november["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|row| row["settled_at"].is_string()), "{november}");
    assert_eq!(
        (rows[1]["org"].as_str(), rows[1]["total"].as_str()),
        (Some("001.001.002"), Some("2500.01"))
    );
    let again = hq_cli(
        url,
        "admin",
        &["commission", "settle", "--period", "2026-11", "--org", "001"],
    )
    .expect_err();
    assert!(again.stderr.contains("already settled"), "{}", again.stderr);

    let late_red =
        sale("GZ-1", "2026-11-05", "1", "50000.10").red_copy("GZ-2", parse_date("2026-11-06").unwrap());
    let mut client = hq.transfer(gz_token).await;
    let entry = wire(2, EntryBody::Document(late_red));
    assert_eq!(
        push(&mut client, batch("GZ", 1, vec![entry]))
            .await
            .expect("push")
            .quarantined,
        0
    );

    let kept = figures(url, "001", "2026-11");
    assert_eq!(
        kept["rows"][1]["commission"], "2500.01",
        "a settled period is never rewritten"
    );
    assert_eq!(kept["rows"][0]["override"], "6000.00");
    let december = figures(url, "001", "2026-12");
    let rows = december["rows"].as_array().unwrap();
    assert_eq!(
        rows[0]["adjustment"], "-500.00",
        "the region's override on 550,000.00 now"
    );
    assert_eq!(rows[1]["adjustment"], "-2500.01", "GZ's redded sale");
    assert_eq!(rows[1]["total"], "-2500.01");
    assert!(rows[1]["settled_at"].is_null());
    settle("2026-12");
    let january = figures(url, "001", "2027-01");
    let carried: Vec<&str> = january["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["adjustment"].as_str().unwrap())
        .collect();
    assert_eq!(carried, ["0.00", "0.00"], "each change is carried once");
}

async fn commission_on(kind: HqStoreKind) {
    let hq = launch_hq(kind).await;
    let tokens = setup_group(&hq).await;
    push_sales(&hq, &tokens).await;
    let url = hq.url().to_owned();
    set_up_plans(&url);
    assert_figures(&url);
    assert_refusals(&url);
    assert_settlement(&hq, &tokens[1], &url).await;
    let listed = admin(&url, &["commission", "plan", "list"]);
    assert!(
        listed.contains("region") && listed.contains("1% of sales"),
        "{listed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commission_pays_by_target_completion_on_sqlite() {
    commission_on(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commission_pays_by_target_completion_on_postgres() {
    let Some(kind) = HqStoreKind::postgres("commission").await else {
        return;
    };
    commission_on(kind).await;
}
