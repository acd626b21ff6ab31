//! Inter-branch trade HQ cannot place goes to quarantine with its reason (and can be retried
//! once the cause is fixed); a receiver's rejection of a routed draft shows at HQ.

use anyhow::Result;
use branch_node::Ledger;
use branchline_proto::v1::QuarantinedEntry;
use branchline_shared::{BaseKind, BaseRecord, DocLine, DocLink, DocType, Document};
use branchline_tests::group::{linked_to, Group};
use rust_decimal::Decimal;

use crate::trade_routing::trading_group;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplaceable_trade_is_quarantined_retried_and_rejection_shows_at_hq() -> Result<()> {
    let group = trading_group("trade-quarantine").await?;
    // A product only SZ knows (branch-local): GZ cannot take it.
    group
        .node("SZ", &["product", "add", "PL01", "--name", "深圳本地商品"])?
        .expect_ok();
    group.doc_add(
        "SZ",
        &["--type", "opening", "--warehouse", "W-SZ", "--line", "PL01:10@3"],
    )?;
    let sale = group.doc_add(
        "SZ",
        &[
            "--type",
            "sales-out",
            "--partner",
            "C-GZ",
            "--warehouse",
            "W-SZ",
            "--line",
            "PL01:2@5",
            "--line",
            "P001:1@12",
        ],
    )?;
    group.sync("SZ")?;
    let quarantined = assert_quarantined_as_unknown_at_gz(&group, &sale).await?;
    // SZ's sale itself is applied at HQ: it counts for SZ.
    assert_eq!(group.hq_on_hand("SZ", "PL01").await?, Decimal::from(8));
    group.sync("GZ")?;
    assert_eq!(
        linked_to(&group.docs("GZ")?, "SZ", &sale).len(),
        0,
        "nothing reached GZ yet"
    );

    // Still unplaceable: the retry says why. Then HQ adopts the product and the retry routes it.
    let id = quarantined[0].id.to_string();
    let still = group.admin(&["quarantine", "retry", &id])?.expect_err();
    assert!(
        still.stderr.contains("product PL01 is unknown at GZ"),
        "{}",
        still.stderr
    );
    group
        .hq
        .import(
            BaseKind::Product,
            &[BaseRecord::new(BaseKind::Product, "PL01", "本地商品")],
        )
        .await?;
    group.admin(&["quarantine", "retry", &id])?.expect_ok();
    assert!(group.hq.quarantine().await?.is_empty());
    group.sync("GZ")?;
    let gz_docs = group.docs("GZ")?;
    let routed = linked_to(&gz_docs, "SZ", &sale);
    assert_eq!(routed.len(), 1, "{gz_docs:?}");

    // GZ does not carry PL01 and refuses the draft; HQ shows the rejection.
    let number = routed[0]["number"].as_str().unwrap().to_owned();
    assert_draft_rejection_shows_at_hq(&group, &number)?;

    // A document linked to a branch HQ does not know cannot be placed either.
    assert_link_to_unknown_branch_quarantined(&group).await?;
    Ok(())
}

/// SZ's sale of a product GZ does not know is quarantined, with its reason, in HQ's list, its
/// status and the trade register.
async fn assert_quarantined_as_unknown_at_gz(group: &Group, sale: &str) -> Result<Vec<QuarantinedEntry>> {
    let quarantined = group.hq.quarantine().await?;
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert_eq!(quarantined[0].branch, "SZ");
    assert_eq!(
        quarantined[0].summary,
        format!("routing of document {sale} (sales-out) to GZ")
    );
    assert!(
        quarantined[0].reason.contains("product PL01 is unknown at GZ"),
        "{}",
        quarantined[0].reason
    );
    let sz_status = group
        .hq
        .status()
        .await?
        .into_iter()
        .find(|status| status.branch == "SZ")
        .unwrap();
    assert_eq!(sz_status.quarantined, 1, "status shows it");
    let listed = group.admin(&["quarantine", "list"])?.expect_ok();
    assert!(
        listed.stdout.contains("product PL01 is unknown at GZ"),
        "{}",
        listed.stdout
    );
    let trades = group.trades()?;
    assert_eq!(
        (trades.len(), trades[0]["state"].as_str()),
        (1, Some("quarantined"))
    );
    let unknown = group
        .admin(&["trade", "list", "--state", "shipped"])?
        .expect_err();
    assert!(
        unknown.stderr.contains("trade state \"shipped\"") && unknown.stderr.lines().count() == 1,
        "{}",
        unknown.stderr
    );
    Ok(quarantined)
}

/// GZ cannot confirm the routed draft `number` and rejects it; HQ's trade register and audit
/// show the rejection, and GZ's stock is untouched.
fn assert_draft_rejection_shows_at_hq(group: &Group, number: &str) -> Result<()> {
    let refused = group.node("GZ", &["doc", "confirm", number])?.expect_err();
    assert!(refused.stderr.contains("PL01"), "{}", refused.stderr);
    group
        .node(
            "GZ",
            &["doc", "reject", number, "--reason", "PL01 not carried here"],
        )?
        .expect_ok();
    group.sync("GZ")?;
    let rejected = &group.trades()?[0];
    assert_eq!(rejected["state"], "rejected");
    assert_eq!(rejected["target_number"], number);
    assert_eq!(rejected["reason"], "PL01 not carried here");
    let (routed_at, updated_at) = (rejected["routed_at"].as_str(), rejected["updated_at"].as_str());
    assert!(
        routed_at.is_some_and(|at| !at.is_empty() && Some(at) <= updated_at),
        "{rejected}"
    );
    let audit = group.admin(&["audit"])?.expect_ok();
    assert!(
        audit.stdout.contains("routed document rejected"),
        "{}",
        audit.stdout
    );
    assert_eq!(group.on_hand("GZ", "W-GZ", "P001")?, Decimal::ZERO);
    Ok(())
}

/// A document linked to a branch HQ does not know is quarantined naming that branch.
async fn assert_link_to_unknown_branch_quarantined(group: &Group) -> Result<()> {
    let linked_to_unknown = Document {
        number: "SZ-ODD-1".to_owned(),
        doc_type: DocType::SalesOut,
        date: chrono::NaiveDate::from_ymd_opt(2026, 1, 9).unwrap(),
        partner: "C001".to_owned(),
        warehouse: "W-SZ".to_owned(),
        to_warehouse: String::new(),
        red_of: None,
        lines: vec![DocLine {
            product: "P001".to_owned(),
            qty: Decimal::ONE,
            price: Decimal::from(12),
            discount: Decimal::ZERO,
            tax_rate: Decimal::ZERO,
        }],
        link: Some(DocLink {
            branch: "XX".to_owned(),
            number: "XX-1".to_owned(),
        }),
    };
    Ledger::open(&group.member("SZ").ledger)?.add_document(linked_to_unknown, false)?;
    group.sync("SZ")?;
    let quarantined = group.hq.quarantine().await?;
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    assert!(
        quarantined[0].reason.contains("branch XX is not registered"),
        "{}",
        quarantined[0].reason
    );
    Ok(())
}
