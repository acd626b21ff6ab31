//! Reports from the roll-ups equal a direct aggregation over HQ's stored lines, after random
//! document streams (red documents, routed trades, resent batches) pushed through the real gRPC
//! server, for many subtrees, groupings and date ranges — and their grand totals equal the sums
//! of what the branches sent (pair assertion), exact to the cent. SQLite, and PostgreSQL; with
//! four products, and with enough (master and branch-local) that the packed product roll-ups
//! span several blocks; and a product whose sums net to zero after a red document. The
//! pending roll-up rows' own cases are in `report_pending`; the documents come from
//! `report_streams`.

use crate::hq_support::{batch, push, wire};
use crate::report_streams::{
    catalog, push_random_streams, push_stream, random_documents, sale, setup_group, Rng, BRANCHES,
};
use branchline_shared::{parse_date, Document, EntryBody};
use branchline_tests::hq::{launch_hq, launch_hq_with, HqStoreKind};
use hq_server::store::report::consolidated;
use hq_server::store::report::query::{self, ReportQuery};
use hq_server::store::Store;
use proptest::prelude::*;

fn groupings() -> Vec<Vec<String>> {
    [
        "org",
        "org,product",
        "product",
        "org,customer",
        "org,warehouse",
        "org,day",
        "org,month",
        "month",
        "org,product,month",
        "org,product,day",
        "org,product,customer,warehouse,day,month",
    ]
    .iter()
    .map(|by| vec![by.to_string()])
    .collect()
}

/// Every report from the roll-ups equals the direct aggregation over the stored lines.
pub(crate) async fn assert_reports_match_lines(store: &Store, extra_range: (String, String)) {
    let ranges = [
        (String::new(), String::new()),
        ("2025-12-01".to_owned(), "2025-12-31".to_owned()),
        ("2025-11-25".to_owned(), "2026-01-31".to_owned()),
        ("2026-01-01".to_owned(), "2026-01-01".to_owned()),
        ("2025-01-01".to_owned(), "2025-12-31".to_owned()),
        extra_range,
    ];
    for org in ["001", "001.001", "001.002", "001.001.002"] {
        for (from, to) in &ranges {
            for by in groupings() {
                let query = ReportQuery::parse(org, from, to, &by).unwrap();
                let rolled = consolidated::sales(store, &query).await.unwrap();
                let direct = consolidated::sales_direct(store, &query).await.unwrap();
                assert_eq!(
                    rolled, direct,
                    "sales --org {org} --from {from:?} --to {to:?} --by {by:?}"
                );
            }
        }
        for (from, to) in &ranges {
            assert_product_ranking_matches_lines(store, org, from, to).await;
        }
        for by in [
            vec![],
            vec!["org,product".to_owned()],
            vec!["warehouse".to_owned()],
        ] {
            let query = ReportQuery::parse(org, "", "", &by).unwrap();
            let rolled = consolidated::inventory(store, &query).await.unwrap();
            let direct = consolidated::inventory_direct(store, &query).await.unwrap();
            assert_eq!(rolled, direct, "inventory --org {org} --by {by:?}");
        }
        // One product (the wide catalog's in blocks past the first) or one warehouse.
        for (product, warehouse) in [
            ("P001", ""),
            ("P070", ""),
            ("P150", ""),
            ("", "SZ-W"),
            ("P003", "GZ-W"),
        ] {
            let query = ReportQuery::parse(org, "", "", &[])
                .unwrap()
                .filtered(product, warehouse)
                .unwrap();
            let rolled = consolidated::inventory(store, &query).await.unwrap();
            let direct = consolidated::inventory_direct(store, &query).await.unwrap();
            assert_eq!(
                rolled, direct,
                "inventory --org {org} --product {product:?} --warehouse {warehouse:?}"
            );
        }
    }
}

/// The ranking by product (groups summed over every ledger of the subtree, not split by org)
/// equals the direct aggregation's org × product rows summed per product, ordered by amount.
async fn assert_product_ranking_matches_lines(store: &Store, org: &str, from: &str, to: &str) {
    let by_product = ReportQuery::parse(org, from, to, &["product".to_owned()]).unwrap();
    let ranked = consolidated::ranking(store, &by_product, 1_000).await.unwrap();
    let direct = consolidated::sales_direct(store, &by_product).await.unwrap();
    let mut per_product: std::collections::BTreeMap<String, hq_server::store::rollup::delta::SalesSums> =
        std::collections::BTreeMap::new();
    for row in &direct.rows {
        let product = row.key.product.as_deref().expect("grouped by product").to_owned();
        per_product.entry(product).or_default().add(row.sums);
    }
    let mut expected: Vec<query::SalesRow> = per_product
        .into_iter()
        .map(|(product, sums)| query::SalesRow {
            key: query::GroupKey {
                org: org.into(),
                branch: "".into(),
                product: Some(product.as_str().into()),
                ..query::GroupKey::default()
            },
            level: query::RowLevel::Group,
            sums,
            target: None,
            completion: None,
            growth: query::Growth::default(),
            rank: 0,
        })
        .collect();
    expected.sort_by(|a, b| b.sums.amount.cmp(&a.sums.amount).then_with(|| a.key.cmp(&b.key)));
    for (index, row) in expected.iter_mut().enumerate() {
        row.rank = index as u32 + 1;
    }
    assert_eq!(
        ranked.rows, expected,
        "rank --org {org} --from {from:?} --to {to:?} --by product"
    );
}

/// Pair assertion: the group's totals equal the sums of the confirmed sales the branches sent.
fn assert_totals_equal_sent(report: &query::Report<query::SalesRow>, sent: &[Document]) {
    let mut expected = hq_server::store::rollup::delta::SalesSums::default();
    for document in sent.iter().filter(|document| document.doc_type.counts_as_sale()) {
        for line in &document.lines {
            let values = line.values();
            expected.add(hq_server::store::rollup::delta::SalesSums {
                qty: line.qty,
                amount: values.amount,
                tax: values.tax,
                total: values.total,
            });
        }
    }
    let mut reported = hq_server::store::rollup::delta::SalesSums::default();
    for row in &report.rows {
        reported.add(row.sums);
    }
    assert_eq!(reported, expected, "report totals against what the branches sent");
}

/// Pair assertion per row: `--by org,product` over a range the planner splits into edge days,
/// a whole month and a partial one (several statements merged) lists exactly the groups of what
/// the branches sent, in key order, with their sums.
async fn assert_rows_equal_sent(store: &Store, sent: &[Document]) {
    let (from, to) = (
        parse_date("2025-11-25").unwrap(),
        parse_date("2026-01-20").unwrap(),
    );
    let org_of = |number: &str| {
        let code = number.split('-').next().unwrap();
        let (_, org) = BRANCHES.iter().find(|(branch, _)| *branch == code).unwrap();
        (org.to_string(), code.to_string())
    };
    let mut expected: std::collections::BTreeMap<(String, String, String), query::SalesRow> =
        std::collections::BTreeMap::new();
    for document in sent
        .iter()
        .filter(|document| document.doc_type.counts_as_sale() && (from..=to).contains(&document.date))
    {
        let (org, branch) = org_of(&document.number);
        for line in &document.lines {
            let key = (org.clone(), branch.clone(), line.product.clone());
            let row = expected.entry(key).or_insert_with(|| query::SalesRow {
                key: query::GroupKey {
                    org: org.as_str().into(),
                    branch: branch.as_str().into(),
                    product: Some(line.product.as_str().into()),
                    ..query::GroupKey::default()
                },
                level: query::RowLevel::Group,
                sums: Default::default(),
                target: None,
                completion: None,
                growth: query::Growth::default(),
                rank: 0,
            });
            let values = line.values();
            row.sums.add(hq_server::store::rollup::delta::SalesSums {
                qty: line.qty,
                amount: values.amount,
                tax: values.tax,
                total: values.total,
            });
        }
    }
    let query = ReportQuery::parse("001", "2025-11-25", "2026-01-20", &["org,product".to_owned()]).unwrap();
    let reported = consolidated::sales(store, &query).await.unwrap();
    let expected: Vec<query::SalesRow> = expected.into_values().collect();
    assert_eq!(
        reported.rows, expected,
        "org,product rows against what the branches sent"
    );
}

async fn run_case(store_kind: HqStoreKind, seed: u64, n_docs: usize, wide: bool) {
    let mut rng = Rng(seed | 1);
    // Reports are read with some batches' additions pending, some folded into the blocks.
    let fold_batches = 1 + rng.below(4) as u32;
    let hq = launch_hq_with(store_kind, |config| {
        config.limits.rollup_fold_batches = fold_batches
    })
    .await;
    let tokens = setup_group(&hq).await;
    let sent = push_random_streams(&hq, &tokens, &mut rng, n_docs, wide).await;
    let n_entries = n_docs + if wide { 3 } else { 0 };
    let store = hq.open_store().await.unwrap();
    let start = parse_date("2025-11-20").unwrap();
    let from = start + chrono::Days::new(rng.below(80));
    let to = from + chrono::Days::new(rng.below(40));
    let extra = (from.to_string(), to.to_string());
    assert_reports_match_lines(&store, extra).await;
    let whole = consolidated::sales(&store, &ReportQuery::parse("001", "", "", &[]).unwrap())
        .await
        .unwrap();
    assert_totals_equal_sent(&whole, &sent);
    assert_rows_equal_sent(&store, &sent).await;
    assert_eq!(whole.freshness.len(), 3, "one freshness entry per ledger");
    assert!(whole
        .freshness
        .iter()
        .all(|freshness| freshness.last_seq == n_entries as u64));
    store.close().await;
    hq.shutdown().await.unwrap();
}

/// A sale and its red document in the same year: the product's sums net to zero, and it is
/// still a group of every product report, as in the direct aggregation over the lines.
async fn zero_sum_case(store_kind: HqStoreKind) {
    let hq = launch_hq(store_kind).await;
    let tokens = setup_group(&hq).await;
    let first = sale("SZ-1", "2025-12-05", "P003");
    let documents = vec![
        first.clone(),
        sale("SZ-2", "2025-12-05", "P001"),
        first.red_copy("SZ-3", parse_date("2025-12-20").unwrap()),
    ];
    let bodies = documents.into_iter().map(EntryBody::Document).collect();
    push_stream(&hq, "SZ", &tokens[0], bodies, &mut Rng(7)).await;
    let store = hq.open_store().await.unwrap();
    let ranges = [
        ("", ""),
        ("2025-01-01", "2025-12-31"),
        ("2025-12-01", "2025-12-31"),
    ];
    for (from, to) in ranges {
        for by in ["org,product", "product", "org,product,month"] {
            let query = ReportQuery::parse("001", from, to, &[by.to_owned()]).unwrap();
            let rolled = consolidated::sales(&store, &query).await.unwrap();
            assert_eq!(
                rolled,
                consolidated::sales_direct(&store, &query).await.unwrap(),
                "--from {from:?} --to {to:?} --by {by}"
            );
            let zero = rolled
                .rows
                .iter()
                .find(|row| row.key.product.as_deref() == Some("P003"))
                .unwrap_or_else(|| panic!("no P003 group for --by {by} --from {from:?}"));
            assert_eq!(zero.sums, Default::default(), "P003 nets to zero");
        }
    }
    store.close().await;
    hq.shutdown().await.unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn report_rollups_equal_direct_aggregation_sqlite(seed in any::<u64>()) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(run_case(HqStoreKind::Sqlite, seed, 30, false));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    /// 150 master products and each branch's own: product ids cross block boundaries.
    #[test]
    fn report_rollups_across_blocks_equal_direct_aggregation_sqlite(seed in any::<u64>()) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(run_case(HqStoreKind::Sqlite, seed, 60, true));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_rollups_equal_direct_aggregation_postgres() {
    let Some(store_kind) = HqStoreKind::postgres("report_props").await else {
        return;
    };
    run_case(store_kind, 0x5eed_2026, 30, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_rollups_across_blocks_equal_direct_aggregation_postgres() {
    let Some(store_kind) = HqStoreKind::postgres("report_props_wide").await else {
        return;
    };
    run_case(store_kind, 0x5eed_2027, 60, true).await;
}

/// A batch whose middle document is quarantined (an unknown product): HQ computes a batch's
/// roll-up delta ahead of its transaction, and must not add that document's share to the
/// roll-ups, as the direct aggregation over the stored lines does not see it.
async fn partly_quarantined_batch_case(store_kind: HqStoreKind) {
    let mut rng = Rng(0x9a27_2026);
    let hq = launch_hq(store_kind).await;
    let tokens = setup_group(&hq).await;
    let mut documents = random_documents(&mut rng, "GZ", 3, &catalog("GZ", false));
    documents[1].lines[0].product = "NO-SUCH-PRODUCT".into();
    let entries = documents
        .into_iter()
        .enumerate()
        .map(|(idx, document)| wire(idx as u64 + 1, EntryBody::Document(document)))
        .collect();
    let mut client = hq.transfer(&tokens[1]).await;
    let ack = push(&mut client, batch("GZ", 1, entries)).await.expect("push");
    assert_eq!((ack.applied, ack.quarantined), (2, 1), "{ack:?}");
    let store = hq.open_store().await.unwrap();
    assert_reports_match_lines(&store, ("2025-11-01".into(), "2026-03-01".into())).await;
    store.close().await;
    hq.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partly_quarantined_batch_rolls_up_only_what_is_applied_sqlite() {
    partly_quarantined_batch_case(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partly_quarantined_batch_rolls_up_only_what_is_applied_postgres() {
    let Some(store_kind) = HqStoreKind::postgres("report_partly_quarantined").await else {
        return;
    };
    partly_quarantined_batch_case(store_kind).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_sum_product_group_after_red_sqlite() {
    zero_sum_case(HqStoreKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_sum_product_group_after_red_postgres() {
    let Some(store_kind) = HqStoreKind::postgres("report_zero_sum").await else {
        return;
    };
    zero_sum_case(store_kind).await;
}
