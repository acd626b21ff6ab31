//! Ledger files restored from copies, and HQ altered behind the system's back:
//! - a copy taken before the last acknowledgement: the resend is recognised as duplicates, no
//!   error, HQ totals unchanged, reconcile clean;
//! - a copy that is behind HQ: the agent stops with a clear error naming `epoch new`; after
//!   `branch-node epoch new` pushing resumes, and reconcile lists the documents the copy lost;
//! - a copy whose history contradicts HQ's (same seqs, other documents): refused, exit 1;
//! - HQ's copy altered directly: reconcile prints each drift and exits 1.

use branchline_tests::agent::{agent_with, hq_totals, import_documents, ledger_positions, prepare_branch};
use branchline_tests::hq::{launch_hq, HqStoreKind};
use branchline_tests::ledger::branch_node;
use branchline_tests::process::TempDir;
use std::path::Path;

/// Copies a ledger file (its writers have exited, so the WAL is checkpointed; copy it anyway).
fn copy_ledger(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)?;
    let wal = |path: &Path| path.with_extension("db-wal");
    let _ = std::fs::remove_file(wal(to));
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to))?;
    }
    Ok(())
}

fn lines_starting_with(text: &str, prefix: &str) -> usize {
    text.lines().filter(|line| line.starts_with(prefix)).count()
}

/// Alters HQ's SQLite store directly: deletes document ZH-21-0000005, falsifies the checksum
/// of ZH-21-0000007.
fn tamper_with_hq(hq_db: &str) -> anyhow::Result<()> {
    let connection = rusqlite::Connection::open(hq_db)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    connection.execute("DELETE FROM document_line WHERE number = 'ZH-21-0000005'", [])?;
    // Each table with its register row (`document_key`), which reconcile reads.
    for table in ["document", "document_key"] {
        connection.execute(&format!("DELETE FROM {table} WHERE number = 'ZH-21-0000005'"), [])?;
        connection.execute(
            &format!("UPDATE {table} SET checksum = 'tampered' WHERE number = 'ZH-21-0000007'"),
            [],
        )?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restored_ledgers_and_tampered_hq() -> anyhow::Result<()> {
    let dir = TempDir::new("agent-restore")?;
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "ZH", "003", 300, 21).await?;
    let once = |ledger: &Path, args: &[&str]| agent_with(ledger, hq.url(), &token, args);

    once(&ledger, &["once"])?.expect_ok();
    let before_more = dir.join("before-more.db");
    copy_ledger(&ledger, &before_more)?;
    import_documents(&ledger, dir.path(), "ZH", 100, 22)?;
    let before_ack = dir.join("before-ack.db");
    copy_ledger(&ledger, &before_ack)?;
    once(&ledger, &["once"])?.expect_ok();
    let hq_after_push = hq_totals(hq.db_url(), "ZH").await?;
    assert_eq!(hq_after_push.documents, 400);

    // 1. Restored from a copy taken before the last acknowledgement: the resend is harmless.
    let restored = dir.join("restored.db");
    copy_ledger(&before_ack, &restored)?;
    assert_eq!(ledger_positions(&restored)?.backlog, 100);
    // A pull-only run still tells HQ the branch's backlog (docs/guarantees.md).
    once(&restored, &["once", "--pull"])?.expect_ok();
    let reported = hq
        .status()
        .await?
        .into_iter()
        .find(|branch| branch.branch == "ZH");
    assert_eq!(reported.expect("ZH at HQ").backlog, 100);
    let resend = once(&restored, &["once", "--push"])?.expect_ok();
    assert!(
        resend.stdout.contains("applied 0, duplicates 100"),
        "{}",
        resend.stdout
    );
    assert_eq!(ledger_positions(&restored)?.backlog, 0);
    assert_eq!(hq_totals(hq.db_url(), "ZH").await?, hq_after_push);
    let clean = once(&restored, &["reconcile"])?.expect_ok();
    assert!(clean.stdout.contains("no drift"), "{}", clean.stdout);

    // 2. A copy behind HQ: stop with a clear error, change nothing; `epoch new` gets it going.
    let behind = dir.join("behind.db");
    copy_ledger(&before_more, &behind)?;
    let refused = once(&behind, &["once", "--push"])?.expect_err();
    assert!(
        refused.stderr.contains("behind HQ") && refused.stderr.contains("epoch new"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stderr.trim().lines().count(), 1, "{}", refused.stderr);
    assert_eq!(hq_totals(hq.db_url(), "ZH").await?, hq_after_push);

    // 3. The same copy writing other documents under the seqs HQ holds: a conflict, exit 1.
    let contradicting = dir.join("contradicting.db");
    // (From the copy itself: `behind` now refuses to confirm until `epoch new`.)
    copy_ledger(&before_more, &contradicting)?;
    import_documents(&contradicting, dir.path(), "ZH", 100, 23)?;
    let conflict = once(&contradicting, &["once", "--push"])?.expect_err();
    assert!(conflict.stderr.contains("contradicts"), "{}", conflict.stderr);
    assert_eq!(hq_totals(hq.db_url(), "ZH").await?, hq_after_push);

    branch_node(&behind, &["epoch", "new"])?.expect_ok();
    import_documents(&behind, dir.path(), "ZH", 50, 24)?;
    let resumed = once(&behind, &["once"])?.expect_ok();
    assert!(resumed.stdout.contains("epoch 2"), "{}", resumed.stdout);
    assert_eq!(hq_totals(hq.db_url(), "ZH").await?.documents, 450);
    // The restored copy lost the 100 documents HQ received from the original: reconcile says so.
    let lost = once(&behind, &["reconcile"])?.expect_err();
    let extra = lines_starting_with(&lost.stdout, "extra at HQ: ZH-22-");
    assert_eq!(extra, 100, "{}", lost.stdout);

    // 4. HQ's copy altered behind the system's back: every drift is listed.
    tamper_with_hq(hq.db_url().trim_start_matches("sqlite://"))?;
    let drift = once(&ledger, &["reconcile"])?.expect_err();
    assert!(
        drift.stdout.contains("missing at HQ: ZH-21-0000005 ("),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("different: ZH-21-0000007 ("),
        "{}",
        drift.stdout
    );
    // What the lost-copy ledger pushed in epoch 2 is extra from the original ledger's view.
    let extra_e2 = drift
        .stdout
        .lines()
        .filter(|line| line.starts_with("extra at HQ: ZH-24-"))
        .count();
    assert_eq!(extra_e2, 50, "{}", drift.stdout);
    hq.shutdown().await?;
    Ok(())
}
