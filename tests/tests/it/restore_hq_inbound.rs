//! The inbound direction after HQ is restored from a copy: a branch's ledger has applied inbox
//! entries the copy no longer holds, so HQ must number new entries above what the ledger
//! reports applied (or the ledger skips them as applied), and a trade routed before the
//! restore is neither lost nor doubled when the sender resends it.

use crate::trade_routing::trading_group;
use anyhow::{Context, Result};
use branchline_tests::group::linked_to;
use branchline_tests::hq::{launch_hq, HqStoreKind};

/// A consistent copy of the running HQ's SQLite store (`VACUUM INTO`); returns its URL.
async fn copy_running_store(db_url: &str, copy: &std::path::Path) -> Result<String> {
    let mut connection = branchline_tests::hq_db::HqDb::connect(db_url).await?;
    let vacuum = format!("VACUUM INTO '{}'", copy.display());
    connection
        .execute(&vacuum)
        .await
        .context("copying the HQ store")?;
    connection.close().await?;
    Ok(format!("sqlite://{}", copy.display()))
}

fn sale(group: &branchline_tests::group::Group, date: &str, line: &str) -> Result<String> {
    group.doc_add(
        "SZ",
        &[
            "--type",
            "sales-out",
            "--date",
            date,
            "--partner",
            "C-GZ",
            "--warehouse",
            "W-SZ",
            "--line",
            line,
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_restored_from_a_copy_keeps_routing_to_the_receiver_once() -> Result<()> {
    let mut group = trading_group("restore-hq-inbound").await?;
    group.sync("GZ")?;
    let copy_url = copy_running_store(group.hq.db_url(), &group.dir.join("hq-copy.db")).await?;

    // After the copy: SZ sells to GZ, GZ applies the routed draft (an inbox seq the copy lacks).
    let first = sale(&group, "2026-01-05", "P001:10@12")?;
    group.sync("SZ")?;
    group.sync("GZ")?;
    assert_eq!(linked_to(&group.docs("GZ")?, "SZ", &first).len(), 1);
    // And a template GZ applies: an inbox entry no resend brings back.
    let template = ["template", "create", "later", "--kinds", "product"];
    group.admin(&template)?.expect_ok();
    group
        .admin(&["template", "publish", "later", "--to", "001.002"])?
        .expect_ok();
    group.sync("GZ")?;

    // HQ comes back from the copy. GZ reports first, then SZ resends its sale.
    let restored = launch_hq(HqStoreKind::Url(copy_url)).await;
    std::mem::replace(&mut group.hq, restored).shutdown().await?;
    group.sync("GZ")?;
    group.sync("SZ")?;
    group.sync("GZ")?;
    let gz_docs = group.docs("GZ")?;
    assert_eq!(
        linked_to(&gz_docs, "SZ", &first).len(),
        1,
        "routed again, not doubled: {gz_docs:?}"
    );

    // A sale after the restore reaches GZ: its inbox entry is numbered above what GZ applied.
    let second = sale(&group, "2026-01-06", "P002:2@20")?;
    group.sync("SZ")?;
    group.sync("GZ")?;
    let gz_docs = group.docs("GZ")?;
    assert_eq!(linked_to(&gz_docs, "SZ", &second).len(), 1, "{gz_docs:?}");
    let trades = group.trades()?;
    for number in [&first, &second] {
        let found = trades
            .iter()
            .filter(|trade| trade["source_number"] == number.as_str())
            .count();
        assert_eq!(found, 1, "one trade for {number}: {trades:?}");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_routed_before_the_receiver_reports_after_a_restore_are_not_skipped() -> Result<()> {
    let mut group = trading_group("restore-hq-inbound-first").await?;
    group.sync("GZ")?;
    let copy_url = copy_running_store(group.hq.db_url(), &group.dir.join("hq-copy.db")).await?;
    let first = sale(&group, "2026-01-05", "P001:10@12")?;
    group.sync("SZ")?;
    group.sync("GZ")?;
    // GZ also applies a template the copy lacks: its inbox position is two past the copy's.
    group
        .admin(&["template", "create", "later", "--kinds", "product"])?
        .expect_ok();
    group
        .admin(&["template", "publish", "later", "--to", "001.002"])?
        .expect_ok();
    group.sync("GZ")?;

    // HQ comes back from the copy; SZ resends and sells again before GZ says a word, so HQ
    // numbers both routed drafts from the copy's end, at or below what GZ already applied.
    let restored = launch_hq(HqStoreKind::Url(copy_url)).await;
    std::mem::replace(&mut group.hq, restored).shutdown().await?;
    group.sync("SZ")?;
    let second = sale(&group, "2026-01-06", "P002:2@20")?;
    group.sync("SZ")?;
    group.sync("GZ")?;
    group.sync("GZ")?;
    let gz_docs = group.docs("GZ")?;
    assert_eq!(
        linked_to(&gz_docs, "SZ", &first).len(),
        1,
        "not doubled: {gz_docs:?}"
    );
    assert_eq!(
        linked_to(&gz_docs, "SZ", &second).len(),
        1,
        "not skipped: {gz_docs:?}"
    );
    Ok(())
}
