//! Subtotal and total rows and the inventory's product and warehouse filters, after random
//! document streams through the real gRPC server: the groups are the report's without
//! subtotals, each organization's subtotal equals the total of the same report asked for that
//! organization (pair assertion across store calls), the total sums the rows, and the roll-ups
//! equal the direct scan; a filtered inventory is the unfiltered one's matching rows; the report
//! service refuses what a report does not take.

use crate::report_streams::{push_random_streams, setup_group, Rng};
use branchline_proto::v1::ReportRequest;
use branchline_tests::hq::{launch_hq, HqStoreKind};
use branchline_tests::people::report_client;
use hq_server::store::report::consolidated;
use hq_server::store::report::query::{Report, ReportQuery, RowLevel, SalesRow, StockRow};
use hq_server::store::rollup::delta::SalesSums;
use hq_server::store::Store;
use rust_decimal::Decimal;

fn query(org: &str, from: &str, to: &str, by: &str) -> ReportQuery {
    ReportQuery::parse(org, from, to, &[by.to_owned()]).unwrap()
}

fn groups_of<R: Clone>(rows: &[R], level: impl Fn(&R) -> RowLevel) -> Vec<R> {
    rows.iter()
        .filter(|row| level(row) == RowLevel::Group)
        .cloned()
        .collect()
}

async fn assert_sales_subtotals(store: &Store, org: &str, from: &str, to: &str, by: &str) {
    let what = format!("sales --org {org} --from {from:?} --to {to:?} --by {by} --subtotals");
    let plain = consolidated::sales(store, &query(org, from, to, by))
        .await
        .unwrap();
    let asked = query(org, from, to, by).with_subtotals(true);
    let report = consolidated::sales(store, &asked).await.unwrap();
    assert_eq!(
        report,
        consolidated::sales_direct(store, &asked).await.unwrap(),
        "{what}"
    );
    assert_eq!(
        groups_of(&report.rows, |row| row.level),
        plain.rows,
        "{what}: groups"
    );
    let total = report.rows.last().expect("a total row");
    assert_eq!((total.level, &*total.key.org), (RowLevel::Total, org), "{what}");
    let mut sum = SalesSums::default();
    plain.rows.iter().for_each(|row| sum.add(row.sums));
    assert_eq!(total.sums, sum, "{what}: total");
    for subtotal in report.rows.iter().filter(|row| row.level == RowLevel::Subtotal) {
        let below = consolidated::sales(
            store,
            &query(&subtotal.key.org, from, to, by).with_subtotals(true),
        )
        .await
        .unwrap();
        let below_total = below.rows.last().unwrap();
        assert_eq!(
            subtotal.sums, below_total.sums,
            "{what}: subtotal of {} against its own report",
            subtotal.key.org
        );
        assert_eq!(
            (&*subtotal.key.branch, &subtotal.key.product, subtotal.target),
            ("", &None, None)
        );
    }
}

fn stock_total(report: &Report<StockRow>) -> Decimal {
    groups_of(&report.rows, |row| row.level)
        .iter()
        .map(|row| row.on_hand)
        .sum()
}

async fn assert_inventory_subtotals(store: &Store, org: &str, by: &str) {
    let what = format!("inventory --org {org} --by {by:?} --subtotals");
    let plain = consolidated::inventory(store, &query(org, "", "", by))
        .await
        .unwrap();
    let asked = query(org, "", "", by).with_subtotals(true);
    let report = consolidated::inventory(store, &asked).await.unwrap();
    assert_eq!(
        report,
        consolidated::inventory_direct(store, &asked).await.unwrap(),
        "{what}"
    );
    assert_eq!(
        groups_of(&report.rows, |row| row.level),
        plain.rows,
        "{what}: groups"
    );
    let total = report.rows.last().unwrap();
    assert_eq!(
        (total.level, total.on_hand),
        (RowLevel::Total, stock_total(&plain)),
        "{what}"
    );
    for subtotal in report.rows.iter().filter(|row| row.level == RowLevel::Subtotal) {
        let below = consolidated::inventory(store, &query(&subtotal.key.org, "", "", by))
            .await
            .unwrap();
        assert_eq!(
            subtotal.on_hand,
            stock_total(&below),
            "{what}: {}",
            subtotal.key.org
        );
    }
}

/// A filtered inventory (roll-ups and direct scan alike) is the unfiltered rows of that
/// product or warehouse; a code nobody holds has no rows.
async fn assert_inventory_filters(store: &Store, org: &str) {
    let all = consolidated::inventory(store, &query(org, "", "", ""))
        .await
        .unwrap();
    for (product, warehouse) in [
        ("P001", ""),
        ("", "SZ-W"),
        ("P002", "GZ-W"),
        ("NOPE", ""),
        ("", "NOPE"),
    ] {
        let filtered = query(org, "", "", "").filtered(product, warehouse).unwrap();
        let rolled = consolidated::inventory(store, &filtered).await.unwrap();
        let direct = consolidated::inventory_direct(store, &filtered).await.unwrap();
        assert_eq!(
            rolled, direct,
            "inventory --org {org} --product {product:?} --warehouse {warehouse:?}"
        );
        let expected: Vec<&StockRow> = all
            .rows
            .iter()
            .filter(|row| product.is_empty() || row.key.product.as_deref() == Some(product))
            .filter(|row| warehouse.is_empty() || row.key.warehouse.as_deref() == Some(warehouse))
            .collect();
        assert_eq!(
            rolled.rows.iter().collect::<Vec<_>>(),
            expected,
            "--product {product:?} --warehouse {warehouse:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtotals_equal_their_organizations_reports_and_filters_narrow_the_inventory() {
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let tokens = setup_group(&hq).await;
    push_random_streams(&hq, &tokens, &mut Rng(0x5b7_2026), 40, false).await;
    let store = hq.open_store().await.unwrap();
    for org in ["001", "001.001", "001.002"] {
        for (from, to) in [("", ""), ("2025-12-01", "2026-01-15")] {
            for by in [
                "org",
                "org,product",
                "month",
                "org,month",
                "product,customer",
                "org,warehouse,day",
            ] {
                assert_sales_subtotals(&store, org, from, to, by).await;
            }
        }
        for by in ["", "org", "warehouse,product", "product"] {
            assert_inventory_subtotals(&store, org, by).await;
        }
        assert_inventory_filters(&store, org).await;
    }
    let grouped_node = consolidated::sales(&store, &query("001", "", "", "org").with_subtotals(true))
        .await
        .unwrap();
    let levels: Vec<(RowLevel, &str)> = grouped_node
        .rows
        .iter()
        .map(|row: &SalesRow| (row.level, &*row.key.org))
        .collect();
    assert!(
        levels.contains(&(RowLevel::Subtotal, "001.001")),
        "the region without a ledger has its subtotal: {levels:?}"
    );
    store.close().await;
    assert_refusals(hq.url(), hq.admin_token()).await;
    hq.shutdown().await.unwrap();
}

/// Subtotals of a ranking, a filter outside the inventory and a bad filter code: INVALID_ARGUMENT.
async fn assert_refusals(url: &str, token: &str) {
    let mut client = report_client(url, token).await;
    let request = |subtotals: bool, product: &str| ReportRequest {
        org: "001".into(),
        by: vec!["product".into()],
        subtotals,
        product: product.into(),
        ..ReportRequest::default()
    };
    let ranking = client.ranking(request(true, "")).await.unwrap_err();
    assert_eq!(ranking.code(), tonic::Code::InvalidArgument);
    assert!(ranking.message().contains("subtotals"), "{}", ranking.message());
    let sales = client.sales(request(false, "P001")).await.unwrap_err();
    assert_eq!(sales.code(), tonic::Code::InvalidArgument);
    assert!(sales.message().contains("product filter"), "{}", sales.message());
    let bad = client.inventory(request(false, "P 1")).await.unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert!(bad.message().contains("product code"), "{}", bad.message());
    let fine = client
        .inventory(request(true, "P001"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fine.rows.last().map(|row| row.level.as_str()), Some("total"));
}
