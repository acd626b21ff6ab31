//! A ledger restored from an old copy, behind HQ: the documents it confirms after the restore
//! take numbers HQ already holds for other documents. The agent refuses to push and holds
//! further confirms; `epoch new` carries the unsent entries into the new epoch under fresh
//! numbers and says so; then every document the ledger confirmed reaches HQ exactly once and
//! no number at HQ has two contents. Both ways in: the copy behind HQ ("behind HQ"), and the
//! copy that wrote more entries than HQ holds over the same seqs ("contradicts").

use anyhow::Result;
use branchline_tests::agent::{agent_with, hq_totals, prepare_branch};
use branchline_tests::hq::{launch_hq, HqStoreKind};
use branchline_tests::ledger::{branch_node, product_code, seed_warehouse};
use branchline_tests::process::TempDir;
use std::path::Path;

/// Confirms an opening document numbered by the ledger; returns its number.
fn confirm_opening(ledger: &Path, branch: &str, qty: u32) -> Result<String> {
    let line = format!("{}:{qty}@2", product_code(0));
    let warehouse = seed_warehouse(branch);
    let args = [
        "doc",
        "add",
        "--type",
        "opening",
        "--warehouse",
        &warehouse,
        "--line",
        &line,
    ];
    Ok(branch_node(ledger, &args)?.expect_ok().last_line().to_owned())
}

fn copy_ledger(from: &Path, to: &Path) -> Result<()> {
    std::fs::copy(from, to)?;
    let wal = from.with_extension("db-wal");
    if wal.exists() {
        std::fs::copy(wal, to.with_extension("db-wal"))?;
    }
    Ok(())
}

/// A ledger whose epoch is held refuses to confirm, naming `epoch new`.
fn assert_confirms_held(ledger: &Path, branch: &str) -> Result<()> {
    let held = branch_node(
        ledger,
        &[
            "doc",
            "add",
            "--type",
            "opening",
            "--warehouse",
            &seed_warehouse(branch),
            "--line",
            &format!("{}:1@2", product_code(0)),
        ],
    )?
    .expect_err();
    assert!(held.stderr.contains("epoch new"), "{}", held.stderr);
    Ok(())
}

/// `extra` confirms after the restore: 1 leaves the copy behind HQ, 3 make it contradict HQ.
async fn restored_ledger(branch: &str, org: &str, extra: u32, refusal: &str) -> Result<()> {
    let dir = TempDir::new(&format!("restore-ledger-{branch}"))?;
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), branch, org, 0, 51).await?;
    let once = |ledger: &Path| agent_with(ledger, hq.url(), &token, &["once"]);
    assert_eq!(confirm_opening(&ledger, branch, 10)?, format!("{branch}-000001"));
    confirm_opening(&ledger, branch, 11)?;
    once(&ledger)?.expect_ok();
    let copy = dir.join("copy.db");
    copy_ledger(&ledger, &copy)?;
    confirm_opening(&ledger, branch, 12)?;
    confirm_opening(&ledger, branch, 13)?;
    once(&ledger)?.expect_ok();
    assert_eq!(hq_totals(hq.db_url(), branch).await?.documents, 4);

    // The restored copy confirms under numbers HQ holds for other documents.
    let mut confirmed = Vec::new();
    for qty in 0..extra {
        confirmed.push(confirm_opening(&copy, branch, 20 + qty)?);
    }
    assert_eq!(confirmed[0], format!("{branch}-000003"));
    let refused = once(&copy)?.expect_err();
    assert!(
        refused.stderr.contains(refusal) && refused.stderr.contains("epoch new"),
        "{}",
        refused.stderr
    );
    // Until `epoch new`, the ledger refuses to confirm: the next number is HQ's too.
    assert_confirms_held(&copy, branch)?;
    assert_eq!(hq_totals(hq.db_url(), branch).await?.documents, 4);

    let settled = branch_node(&copy, &["epoch", "new"])?.expect_ok();
    for (idx, number) in confirmed.iter().enumerate() {
        let line = format!("{number} → {branch}-E2-{:06}", idx + 1);
        assert!(settled.stdout.contains(&line), "{}", settled.stdout);
    }
    assert!(
        settled.stdout.contains(&format!("renumbered {extra} documents")),
        "{}",
        settled.stdout
    );
    let pushed = once(&copy)?.expect_ok();
    assert!(
        pushed.stdout.contains(&format!("applied {extra}")),
        "{}",
        pushed.stdout
    );
    assert!(hq.quarantine().await?.is_empty());

    // HQ holds the four documents of the lost history and every one the copy confirmed, once.
    assert_eq!(
        hq_totals(hq.db_url(), branch).await?.documents,
        4 + u64::from(extra)
    );
    let compared = agent_with(&copy, hq.url(), &token, &["reconcile"])?.expect_err();
    let lines: Vec<&str> = compared.stdout.lines().collect();
    assert!(!compared.stdout.contains("missing at HQ"), "{}", compared.stdout);
    assert!(!compared.stdout.contains("different:"), "{}", compared.stdout);
    let extra_at_hq = lines
        .iter()
        .filter(|line| line.starts_with("extra at HQ:"))
        .count();
    assert_eq!(extra_at_hq, 2, "{}", compared.stdout);
    // A new document afterwards goes through in the new epoch.
    assert_eq!(
        confirm_opening(&copy, branch, 30)?,
        format!("{branch}-E2-{:06}", extra + 1)
    );
    once(&copy)?.expect_ok();
    assert_eq!(
        hq_totals(hq.db_url(), branch).await?.documents,
        5 + u64::from(extra)
    );
    hq.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_restored_behind_hq_carries_its_new_documents_into_a_new_epoch() -> Result<()> {
    restored_ledger("SZ", "001", 1, "behind HQ").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_restored_contradicting_hq_carries_its_new_documents_into_a_new_epoch() -> Result<()> {
    restored_ledger("GZ", "002", 3, "contradicts").await
}
