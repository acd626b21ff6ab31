//! 环比 and 同比 in `hq-server report sales --by ...,month` against a served HQ on SQLite and on
//! PostgreSQL: each row's change of amount against the same group's previous month and the same
//! month a year earlier, to the cent and the percent (half away from zero); earlier months
//! outside `--from`/`--to` still counted; `null` (an empty CSV cell, an absent wire field), never
//! 0, where the earlier month has no sales for the group; per product the group is the product;
//! subtotal rows and reports not by month carry none.

use crate::hq_support::push_documents;
use crate::report_cli::{document, json_of, line, report};
use crate::report_streams::setup_group;
use branchline_proto::v1::ReportRequest;
use branchline_shared::{DocType, Document};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::people::report_client;
use serde_json::{json, Value};

fn sale(number: &str, date: &str, product: &str, qty: &str, price: &str) -> Document {
    let (doc_type, partner) = match number.starts_with("GZ") {
        true => (DocType::RetailSale, ""),
        false => (DocType::SalesOut, "C001"),
    };
    document(
        number,
        doc_type,
        date,
        partner,
        vec![line(product, qty, price, "0", "0.13")],
    )
}

/// SZ: Feb 2025 80.00, Jan 2026 200.00 (before the range), Feb 2026 100.00, Mar 2026 133.33 (of
/// P002), nothing in April, May 2026 50.00. GZ: Feb 2025 30.00, Feb 2026 3 × 4.115 = 12.35.
async fn push_months(hq: &HqHandle, tokens: &[String]) {
    let sz = vec![
        sale("SZ-1", "2025-02-10", "P001", "1", "80"),
        sale("SZ-2", "2026-01-20", "P001", "1", "200"),
        sale("SZ-3", "2026-02-05", "P001", "1", "100"),
        sale("SZ-4", "2026-03-31", "P002", "1", "133.33"),
        sale("SZ-5", "2026-05-01", "P001", "1", "50"),
    ];
    let gz = vec![
        sale("GZ-1", "2025-02-28", "P001", "1", "30"),
        sale("GZ-2", "2026-02-01", "P001", "3", "4.115"),
    ];
    for ((token, documents), code) in tokens.iter().zip([sz, gz]).zip(["SZ", "GZ"]) {
        push_documents(hq, token, code, documents).await;
    }
}

fn row(branch: &str, month: &str, figures: [&str; 4], growth: [Option<&str>; 2]) -> Value {
    let org = if branch == "SZ" {
        "001.001.001"
    } else {
        "001.001.002"
    };
    json!({"org": org, "branch": branch, "month": month, "qty": figures[0], "amount": figures[1],
           "tax": figures[2], "total": figures[3], "month_on_month": growth[0], "year_on_year": growth[1]})
}

fn sales(url: &str, args: &[&str]) -> Value {
    let mut full = vec!["sales", "--org", "001.001"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["--format", "json"]);
    json_of(report(url, &full))
}

async fn growth_case(store: HqStoreKind) {
    let hq = launch_hq(store).await;
    let tokens = setup_group(&hq).await;
    push_months(&hq, &tokens).await;
    let url = hq.url();
    let range = ["--from", "2026-02-01", "--to", "2026-05-31"];
    let by_month = sales(url, &[&range[..], &["--by", "org,month"]].concat());
    // SZ February: (100 − 200) / 200 = −50.00 % against January, outside the range;
    // (100 − 80) / 80 = 25.00 % against February 2025. March: 33.33 / 100 → 33.33 %, and no
    // March 2025. May: April had no sales, nor May 2025. GZ: no January; (12.35 − 30) / 30 =
    // −58.8333… → −58.83 %.
    assert_eq!(
        by_month["rows"],
        json!([
            row(
                "SZ",
                "2026-02",
                ["1", "100.00", "13.00", "113.00"],
                [Some("-50.00"), Some("25.00")]
            ),
            row(
                "SZ",
                "2026-03",
                ["1", "133.33", "17.33", "150.66"],
                [Some("33.33"), None]
            ),
            row("SZ", "2026-05", ["1", "50.00", "6.50", "56.50"], [None, None]),
            row(
                "GZ",
                "2026-02",
                ["3", "12.35", "1.61", "13.96"],
                [None, Some("-58.83")]
            ),
        ]),
        "sales --by org,month"
    );
    assert_the_group_is_the_product(url);
    assert_csv_cells_are_empty(url);
    assert_subtotals_and_other_groupings_carry_none(url).await;
    hq.shutdown().await.unwrap();
}

on_both_stores!(
    growth_case,
    report_growth_is_exact_against_earlier_months_sqlite,
    report_growth_is_exact_against_earlier_months_postgres
);

/// By product and month, a row is compared with its own product's months: SZ's March sale is
/// P002's first, so it has no change, while P001's February has both.
fn assert_the_group_is_the_product(url: &str) {
    let by_product = sales(
        url,
        &[
            "--from",
            "2026-02-01",
            "--to",
            "2026-03-31",
            "--by",
            "product,month",
        ],
    );
    let growth: Vec<(&Value, &Value, &Value, &Value)> = by_product["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                &row["product"],
                &row["month"],
                &row["month_on_month"],
                &row["year_on_year"],
            )
        })
        .collect();
    assert_eq!(
        growth,
        [
            (
                &json!("P001"),
                &json!("2026-02"),
                &json!("-50.00"),
                &json!("25.00")
            ),
            (&json!("P002"), &json!("2026-03"), &Value::Null, &Value::Null),
            (&json!("P001"), &json!("2026-02"), &Value::Null, &json!("-58.83")),
        ],
        "sales --by product,month"
    );
}

/// As CSV the change is the last two columns, an empty cell where there is none.
fn assert_csv_cells_are_empty(url: &str) {
    let csv = report(
        url,
        &[
            "sales",
            "--org",
            "001.001.001",
            "--from",
            "2026-03-01",
            "--to",
            "2026-05-31",
            "--by",
            "month",
            "--format",
            "csv",
        ],
    )
    .expect_ok();
    assert_eq!(
        csv.stdout,
        "org,branch,month,qty,amount,tax,total,month_on_month,year_on_year\n\
         001.001.001,SZ,2026-03,1,133.33,17.33,150.66,33.33,\n\
         001.001.001,SZ,2026-05,1,50.00,6.50,56.50,,\n"
    );
}

/// Subtotal and total rows carry no change; a report not by month (or by day) has no such
/// columns, and on the wire an absent change is absent, not "0" or "".
async fn assert_subtotals_and_other_groupings_carry_none(url: &str) {
    let subtotalled = sales(
        url,
        &[
            "--from",
            "2026-02-01",
            "--to",
            "2026-02-28",
            "--by",
            "org,month",
            "--subtotals",
        ],
    );
    for row in subtotalled["rows"].as_array().unwrap() {
        if row["level"] == "" {
            assert!(row["year_on_year"].is_string(), "February 2025 had sales: {row}");
        } else {
            assert_eq!(
                (&row["month_on_month"], &row["year_on_year"]),
                (&Value::Null, &Value::Null),
                "{row}"
            );
        }
    }
    for by in ["org", "org,day,month"] {
        let plain = sales(url, &["--by", by]);
        let first = &plain["rows"][0];
        assert!(first.get("month_on_month").is_none(), "--by {by}: {first}");
    }
    let mut client = report_client(url, TEST_ADMIN_TOKEN).await;
    let request = |by: &str| ReportRequest {
        org: "001.001".into(),
        from: "2026-02-01".into(),
        to: "2026-05-31".into(),
        by: vec![by.into()],
        ..ReportRequest::default()
    };
    let wire = client.sales(request("org,month")).await.unwrap().into_inner();
    assert!(wire.growth);
    let changes: Vec<(Option<&str>, Option<&str>)> = wire
        .rows
        .iter()
        .map(|row| (row.month_on_month.as_deref(), row.year_on_year.as_deref()))
        .collect();
    assert_eq!(
        changes,
        [
            (Some("-50.00"), Some("25.00")),
            (Some("33.33"), None),
            (None, None),
            (None, Some("-58.83"))
        ]
    );
    let by_org = client.sales(request("org")).await.unwrap().into_inner();
    assert!(!by_org.growth);
    assert!(by_org.rows.iter().all(|row| row.month_on_month.is_none()));
}
