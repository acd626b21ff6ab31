//! Inter-branch trade (单据转换) across a real HQ and three real ledgers, every step through the
//! real binaries: SZ's sales-out reaches GZ as a draft purchase-in (and the mirror), red
//! documents follow, repeated transfers and trades entered at both ends never double, HQ's
//! stored stock and its inventory report equal the ledgers' after the receiver confirms.

use anyhow::Result;
use branch_node::Ledger;
use branchline_shared::{DocLine, DocLink, DocType, Document};
use branchline_tests::agent::{hq_totals, ledger_totals};
use branchline_tests::group::{launch_group, linked_to, Group};
use rust_decimal::Decimal;
use serde_json::Value;

/// The group with base data distributed by template and opening stock pushed to HQ:
/// SZ holds P001 ×100 and P002 ×50, ZH holds P003 ×40.
pub(crate) async fn trading_group(label: &str) -> Result<Group> {
    let group = launch_group(label).await?;
    group.distribute_base_data("base")?;
    let opening = ["--type", "opening", "--date", "2026-01-01"];
    group.doc_add(
        "SZ",
        &[
            &opening[..],
            &[
                "--warehouse",
                "W-SZ",
                "--line",
                "P001:100@8",
                "--line",
                "P002:50@9",
            ],
        ]
        .concat(),
    )?;
    group.doc_add(
        "ZH",
        &[&opening[..], &["--warehouse", "W-ZH", "--line", "P003:40@7"]].concat(),
    )?;
    group.sync("SZ")?;
    group.sync("ZH")?;
    Ok(group)
}

fn qty(value: i64) -> Decimal {
    Decimal::from(value)
}

fn doc<'a>(docs: &'a [Value], number: &str) -> &'a Value {
    docs.iter()
        .find(|doc| doc["number"] == number)
        .unwrap_or_else(|| panic!("no document {number}"))
}

/// The one trade HQ tracks for source (branch, number).
fn trade(group: &Group, branch: &str, number: &str) -> Result<Value> {
    let trades = group.trades()?;
    let found: Vec<&Value> = trades
        .iter()
        .filter(|trade| trade["source_branch"] == branch && trade["source_number"] == number)
        .collect();
    assert_eq!(found.len(), 1, "one trade for {branch} {number}: {trades:?}");
    Ok(found[0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sales_out_reaches_the_counterpart_as_a_draft_purchase_in() -> Result<()> {
    let group = trading_group("trade-sales-out").await?;
    let sale = group.doc_add(
        "SZ",
        &[
            "--type",
            "sales-out",
            "--date",
            "2026-01-05",
            "--partner",
            "C-GZ",
            "--warehouse",
            "W-SZ",
            "--line",
            "P001:10@12.5:0.05:0.13",
            "--line",
            "P002:3@20.123456:0:0.09",
        ],
    )?;
    group.sync("SZ")?;
    group.sync("GZ")?;
    let gz_docs = group.docs("GZ")?;
    let routed = linked_to(&gz_docs, "SZ", &sale);
    assert_eq!(routed.len(), 1, "{gz_docs:?}");
    let routed = routed[0].clone();
    let source = doc(&group.docs("SZ")?, &sale).clone();
    assert_eq!(routed["type"], "purchase-in");
    assert_eq!(routed["status"], "draft");
    assert_eq!(routed["partner"], "S-SZ", "supplier = SZ's counterpart supplier");
    assert_eq!(
        routed["warehouse"], "W-GZ",
        "warehouse = GZ's counterpart warehouse"
    );
    assert_eq!(routed["date"], source["date"]);
    assert_eq!(
        routed["lines"], source["lines"],
        "same products, quantities, prices, discounts, tax rates"
    );
    assert_eq!(routed["total"], source["total"]);
    assert_eq!(trade(&group, "SZ", &sale)?["state"], "queued");

    let number = routed["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("GZ-"), "numbered by GZ's ledger: {number}");
    assert_eq!(
        group.on_hand("GZ", "W-GZ", "P001")?,
        qty(0),
        "a draft moves no stock"
    );
    group.node("GZ", &["doc", "confirm", &number])?.expect_ok();
    assert_eq!(group.on_hand("GZ", "W-GZ", "P001")?, qty(10));
    assert_eq!(group.on_hand("GZ", "W-GZ", "P002")?, qty(3));
    group.sync("GZ")?;
    group.sync("SZ")?;

    // GZ's confirmed purchase-in is linked to SZ's sale: it is not routed back.
    assert!(
        group.docs("SZ")?.iter().all(|doc| doc["link"].is_null()),
        "nothing routed back to SZ"
    );
    let confirmed = trade(&group, "SZ", &sale)?;
    assert_eq!(
        (confirmed["state"].as_str(), confirmed["target_number"].as_str()),
        (Some("confirmed"), Some(number.as_str()))
    );
    assert_eq!(group.trades()?.len(), 1);

    // HQ's stored stock and HQ's inventory report (多组织库存查询表) both equal the ledgers'.
    let expected = [
        ("GZ", "W-GZ", "P001", 10),
        ("GZ", "W-GZ", "P002", 3),
        ("SZ", "W-SZ", "P001", 90),
        ("SZ", "W-SZ", "P002", 47),
    ];
    assert_stock_equal_at_both_ends(&group, &expected, &["SZ", "GZ"]).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_in_mirror_reaches_the_supplier_and_returns_follow() -> Result<()> {
    let group = trading_group("trade-mirror").await?;
    let purchase = group.doc_add(
        "GZ",
        &[
            "--type",
            "purchase-in",
            "--date",
            "2026-01-06",
            "--partner",
            "S-ZH",
            "--warehouse",
            "W-GZ",
            "--line",
            "P003:5@7.5:0:0.13",
        ],
    )?;
    group.sync("GZ")?;
    group.sync("ZH")?;
    let zh_docs = group.docs("ZH")?;
    let routed = linked_to(&zh_docs, "GZ", &purchase);
    assert_eq!(routed.len(), 1, "{zh_docs:?}");
    assert_eq!(routed[0]["type"], "sales-out");
    assert_eq!(
        routed[0]["partner"], "C-GZ",
        "customer = GZ's counterpart customer"
    );
    assert_eq!(routed[0]["warehouse"], "W-ZH");
    assert_eq!(routed[0]["lines"], doc(&group.docs("GZ")?, &purchase)["lines"]);
    let zh_number = routed[0]["number"].as_str().unwrap().to_owned();
    group.node("ZH", &["doc", "confirm", &zh_number])?.expect_ok();
    assert_eq!(group.on_hand("ZH", "W-ZH", "P003")?, qty(35));
    group.sync("ZH")?;
    group.sync("GZ")?;
    assert_eq!(
        linked_to(&group.docs("GZ")?, "ZH", &zh_number).len(),
        0,
        "not routed back to GZ"
    );
    assert_eq!(trade(&group, "GZ", &purchase)?["state"], "confirmed");

    // GZ returns the goods: a red purchase-in (itself unlinked) reaches ZH as a red sales-out
    // reversing ZH's own document, which HQ resolves through the link it holds.
    let red = group
        .node("GZ", &["doc", "red", &purchase])?
        .expect_ok()
        .last_line()
        .to_owned();
    group.sync("GZ")?;
    group.sync("ZH")?;
    let zh_docs = group.docs("ZH")?;
    let routed_red = linked_to(&zh_docs, "GZ", &red);
    assert_eq!(routed_red.len(), 1, "{zh_docs:?}");
    assert_eq!(routed_red[0]["type"], "sales-out");
    assert_eq!(routed_red[0]["red_of"], zh_number.as_str());
    assert_eq!(routed_red[0]["lines"][0]["qty"], "-5");
    let zh_red = routed_red[0]["number"].as_str().unwrap().to_owned();
    group.node("ZH", &["doc", "confirm", &zh_red])?.expect_ok();
    assert_eq!(group.on_hand("ZH", "W-ZH", "P003")?, qty(40));
    assert_eq!(group.on_hand("GZ", "W-GZ", "P003")?, qty(0));
    group.sync("ZH")?;
    for (code, expected) in [("ZH", 40), ("GZ", 0)] {
        assert_eq!(
            group.hq_on_hand(code, "P003").await?,
            qty(expected),
            "{code} at HQ"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_sales_out_propagates_as_a_red_purchase_in() -> Result<()> {
    let group = trading_group("trade-red").await?;
    let sale = group.doc_add(
        "SZ",
        &[
            "--type",
            "sales-out",
            "--date",
            "2026-01-05",
            "--partner",
            "C-GZ",
            "--warehouse",
            "W-SZ",
            "--line",
            "P001:10@12.5",
        ],
    )?;
    group.sync("SZ")?;
    group.sync("GZ")?;
    let gz_number = linked_to(&group.docs("GZ")?, "SZ", &sale)[0]["number"]
        .as_str()
        .unwrap()
        .to_owned();
    group.node("GZ", &["doc", "confirm", &gz_number])?.expect_ok();

    let red = group
        .node("SZ", &["doc", "red", &sale])?
        .expect_ok()
        .last_line()
        .to_owned();
    assert_eq!(group.on_hand("SZ", "W-SZ", "P001")?, qty(100));
    group.sync("SZ")?;
    group.sync("GZ")?;
    let gz_docs = group.docs("GZ")?;
    let routed_red = linked_to(&gz_docs, "SZ", &red);
    assert_eq!(routed_red.len(), 1, "{gz_docs:?}");
    assert_eq!(routed_red[0]["type"], "purchase-in");
    assert_eq!(routed_red[0]["status"], "draft");
    assert_eq!(
        routed_red[0]["red_of"],
        gz_number.as_str(),
        "reverses GZ's own document"
    );
    assert_eq!(routed_red[0]["lines"][0]["qty"], "-10");
    let gz_red = routed_red[0]["number"].as_str().unwrap().to_owned();
    group.node("GZ", &["doc", "confirm", &gz_red])?.expect_ok();
    assert_eq!(group.on_hand("GZ", "W-GZ", "P001")?, qty(0));
    group.sync("GZ")?;
    group.sync("SZ")?;
    assert!(
        group.docs("SZ")?.iter().all(|doc| doc["link"].is_null()),
        "nothing routed back to SZ"
    );
    assert_eq!(trade(&group, "SZ", &red)?["state"], "confirmed");
    for code in ["SZ", "GZ"] {
        assert_eq!(
            hq_totals(group.hq.db_url(), code).await?,
            ledger_totals(&group.member(code).ledger)?,
            "{code}"
        );
    }
    assert_eq!(group.hq_on_hand("GZ", "P001").await?, qty(0));
    assert_eq!(group.hq_on_hand("SZ", "P001").await?, qty(100));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_transfers_and_trades_entered_at_both_ends_never_double() -> Result<()> {
    let group = trading_group("trade-repeat").await?;
    let sale = group.doc_add(
        "SZ",
        &[
            "--type",
            "sales-out",
            "--date",
            "2026-01-05",
            "--partner",
            "C-GZ",
            "--warehouse",
            "W-SZ",
            "--line",
            "P002:4@15",
        ],
    )?;
    // The same entries reach HQ by file and by network, and both ends sync again and again.
    let bundle = group.dir.join("sz.bundle");
    group
        .node("SZ", &["bundle", "export", "--out", bundle.to_str().unwrap()])?
        .expect_ok();
    group.sync("SZ")?;
    group
        .admin(&["bundle", "import", bundle.to_str().unwrap()])?
        .expect_ok();
    for _ in 0..3 {
        group.sync("SZ")?;
        group.sync("GZ")?;
    }
    assert_eq!(linked_to(&group.docs("GZ")?, "SZ", &sale).len(), 1);
    assert_eq!(group.trades()?.len(), 1);
    let gz_status = group
        .hq
        .status()
        .await?
        .into_iter()
        .find(|status| status.branch == "GZ")
        .unwrap();
    assert_eq!(
        gz_status.inbox_last_seq, 2,
        "one template and one routed document in GZ's inbox"
    );

    // ZH sells to SZ; SZ enters the purchase-in itself, linked to ZH's document, and syncs first.
    assert_trade_entered_at_both_ends_is_linked_once(&group).await?;
    for code in ["SZ", "GZ", "ZH"] {
        assert_eq!(
            hq_totals(group.hq.db_url(), code).await?,
            ledger_totals(&group.member(code).ledger)?,
            "{code}"
        );
    }
    Ok(())
}

/// Pair assertion: each (branch, warehouse, product, on-hand) holds in the ledger, in HQ's
/// stored stock and in HQ's inventory report, and HQ's totals of each of `branches` equal the
/// ledger's.
async fn assert_stock_equal_at_both_ends(
    group: &Group,
    expected: &[(&str, &str, &str, i64)],
    branches: &[&str],
) -> Result<()> {
    for &(code, warehouse, product, expected) in expected {
        assert_eq!(
            group.on_hand(code, warehouse, product)?,
            qty(expected),
            "{code} {product} in the ledger"
        );
        assert_eq!(
            group.hq_on_hand(code, product).await?,
            qty(expected),
            "{code} {product} at HQ"
        );
        assert_eq!(
            group.report_on_hand(code, warehouse, product)?,
            qty(expected),
            "{code} {product} in HQ's inventory report"
        );
    }
    for &code in branches {
        assert_eq!(
            hq_totals(group.hq.db_url(), code).await?,
            ledger_totals(&group.member(code).ledger)?,
            "{code}"
        );
    }
    Ok(())
}

/// ZH sells to SZ and SZ enters the purchase-in itself, linked to ZH's document, syncing
/// first: HQ links the two (never a second, routed draft), and SZ's stock counts it once.
async fn assert_trade_entered_at_both_ends_is_linked_once(group: &Group) -> Result<()> {
    let zh_sale = group.doc_add(
        "ZH",
        &[
            "--type",
            "sales-out",
            "--date",
            "2026-01-07",
            "--partner",
            "C-SZ",
            "--warehouse",
            "W-ZH",
            "--line",
            "P003:2@9",
        ],
    )?;
    let by_hand = Document {
        number: "SZ-HAND-1".to_owned(),
        doc_type: DocType::PurchaseIn,
        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 7).unwrap(),
        partner: "S-ZH".to_owned(),
        warehouse: "W-SZ".to_owned(),
        to_warehouse: String::new(),
        red_of: None,
        lines: vec![DocLine {
            product: "P003".to_owned(),
            qty: qty(2),
            price: qty(9),
            discount: Decimal::ZERO,
            tax_rate: Decimal::ZERO,
        }],
        link: Some(DocLink {
            branch: "ZH".to_owned(),
            number: zh_sale.clone(),
        }),
    };
    Ledger::open(&group.member("SZ").ledger)?.add_document(by_hand, false)?;
    group.sync("SZ")?;
    group.sync("ZH")?;
    group.sync("SZ")?;
    group.sync("ZH")?;
    let sz_docs = group.docs("SZ")?;
    let linked = linked_to(&sz_docs, "ZH", &zh_sale);
    assert_eq!(
        linked.len(),
        1,
        "entered at both ends, never doubled: {sz_docs:?}"
    );
    assert_eq!(linked[0]["number"], "SZ-HAND-1");
    assert_eq!(
        linked_to(&group.docs("ZH")?, "SZ", "SZ-HAND-1").len(),
        0,
        "not routed back to ZH"
    );
    let both_ends = trade(group, "ZH", &zh_sale)?;
    assert_eq!(
        (both_ends["state"].as_str(), both_ends["target_number"].as_str()),
        (Some("linked"), Some("SZ-HAND-1"))
    );
    assert_eq!(group.on_hand("SZ", "W-SZ", "P003")?, qty(2));
    assert_eq!(group.hq_on_hand("SZ", "P003").await?, qty(2));
    Ok(())
}
