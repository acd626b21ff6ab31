//! HQ's store restored from a copy taken before the last pushes (the same state as HQ losing
//! its last commits to a power loss under `synchronous=NORMAL`): the agent finds HQ behind its
//! acknowledged position, lowers it to HQ's, says so (status, HQ audit) and resends, so HQ ends
//! equal to the branch and a new document goes through afterwards. On SQLite and PostgreSQL.

use anyhow::{Context, Result};
use branchline_tests::agent::{
    agent_status, agent_with, hq_totals, import_documents, ledger_totals, prepare_branch,
};
use branchline_tests::hq::{launch_hq, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::process::{run, TempDir};
use std::path::Path;

/// A copy of HQ's store taken while HQ is stopped; returns the copy's URL.
async fn copy_store(db_url: &str, dir: &Path) -> Result<String> {
    if let Some(path) = db_url.strip_prefix("sqlite://") {
        let copy = dir.join("hq-copy.db");
        std::fs::copy(path, &copy).context("copying the HQ file")?;
        for suffix in ["-wal", "-shm"] {
            let from = format!("{path}{suffix}");
            if Path::new(&from).exists() {
                std::fs::copy(&from, format!("{}{suffix}", copy.display()))?;
            }
        }
        return Ok(format!("sqlite://{}", copy.display()));
    }
    use sqlx::Connection;
    let (cluster, name) = db_url.rsplit_once('/').context("database name in the URL")?;
    let copy_name = format!("{name}_copy");
    let mut connection = sqlx::PgConnection::connect(&format!("{cluster}/postgres")).await?;
    let terminate = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    );
    sqlx::Executor::execute(&mut connection, terminate.as_str()).await?;
    let create = format!("CREATE DATABASE {copy_name} TEMPLATE {name}");
    sqlx::Executor::execute(&mut connection, create.as_str())
        .await
        .context("copying the HQ database")?;
    connection.close().await.ok();
    Ok(format!("{cluster}/{copy_name}"))
}

async fn hq_restored_from_a_copy(store_url: String, dir: &TempDir) -> Result<()> {
    let hq = launch_hq(HqStoreKind::Url(store_url.clone())).await;
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "SZ", "001", 1000, 41).await?;
    agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    hq.shutdown().await?;
    let copy_url = copy_store(&store_url, dir.path()).await?;

    let hq = launch_hq(HqStoreKind::Url(store_url.clone())).await;
    import_documents(&ledger, dir.path(), "SZ", 200, 42)?;
    agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    assert_eq!(hq_totals(&store_url, "SZ").await?.documents, 1200);
    hq.shutdown().await?;

    // HQ comes back from the copy: it holds the first 1,000 documents only.
    let hq = launch_hq(HqStoreKind::Url(copy_url.clone())).await;
    assert_eq!(hq_totals(&copy_url, "SZ").await?.documents, 1000);
    let resent = agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    assert!(!resent.stdout.contains("pushed 0 entries"), "{}", resent.stdout);
    assert_eq!(hq_totals(&copy_url, "SZ").await?, ledger_totals(&ledger)?);
    let clean = agent_with(&ledger, hq.url(), &token, &["reconcile"])?.expect_ok();
    assert!(clean.stdout.contains("no drift"), "{}", clean.stdout);

    let status = agent_status(&ledger)?;
    let rewind = &status["hq_rewind"];
    assert!(
        rewind["hq_applied_seq"].as_u64() < rewind["ledger_acked_seq"].as_u64(),
        "{status}"
    );
    assert_eq!(status["backlog"], 0, "{status}");
    let mut table = std::process::Command::new(branchline_tests::process::binary("branch-node"));
    let table = table
        .args(["--ledger", &ledger.display().to_string(), "status"])
        .output()?;
    assert!(String::from_utf8_lossy(&table.stdout).contains("HQ was behind: resent from seq"));
    let audit = run(
        "hq-server",
        ["admin", "--hq", hq.url(), "--token", TEST_ADMIN_TOKEN, "audit"],
    )?
    .expect_ok();
    assert!(
        audit.stdout.contains("hq behind branch: resend"),
        "{}",
        audit.stdout
    );

    // A new document afterwards goes through (no "gap").
    import_documents(&ledger, dir.path(), "SZ", 1, 43)?;
    agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    assert_eq!(hq_totals(&copy_url, "SZ").await?, ledger_totals(&ledger)?);
    assert_eq!(hq_totals(&copy_url, "SZ").await?.documents, 1201);
    hq.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_restored_from_a_copy_on_sqlite() -> Result<()> {
    let dir = TempDir::new("restore-hq-sqlite")?;
    let url = format!("sqlite://{}", dir.join("hq.db").display());
    hq_restored_from_a_copy(url, &dir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_restored_from_a_copy_on_postgres() -> Result<()> {
    let Some(HqStoreKind::Url(url)) = HqStoreKind::postgres("restore_hq").await else {
        return Ok(());
    };
    let dir = TempDir::new("restore-hq-postgres")?;
    hq_restored_from_a_copy(url, &dir).await
}

/// HQ restored to before the ledger's last `epoch new`: the older epoch's tail HQ lost is
/// resent before the current epoch, which would close the older one for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_restored_to_before_the_ledgers_newest_epoch_gets_the_older_tail_first() -> Result<()> {
    let dir = TempDir::new("restore-hq-older-epoch")?;
    let store_url = format!("sqlite://{}", dir.join("hq.db").display());
    let hq = launch_hq(HqStoreKind::Url(store_url.clone())).await;
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "SZ", "001", 100, 51).await?;
    agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    hq.shutdown().await?;
    let copy_url = copy_store(&store_url, dir.path()).await?;

    let hq = launch_hq(HqStoreKind::Url(store_url.clone())).await;
    import_documents(&ledger, dir.path(), "SZ", 50, 52)?;
    agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    branchline_tests::ledger::branch_node(&ledger, &["epoch", "new"])?.expect_ok();
    import_documents(&ledger, dir.path(), "SZ", 30, 53)?;
    agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    assert_eq!(hq_totals(&store_url, "SZ").await?, ledger_totals(&ledger)?);
    hq.shutdown().await?;

    // HQ comes back from the copy: epoch 1's first 100 documents only, and no epoch 2.
    let hq = launch_hq(HqStoreKind::Url(copy_url.clone())).await;
    agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    let at_hq = hq_totals(&copy_url, "SZ").await?;
    assert_eq!(at_hq.documents, 180, "epoch 1's tail and epoch 2 both reached HQ");
    assert_eq!(at_hq, ledger_totals(&ledger)?);
    let clean = agent_with(&ledger, hq.url(), &token, &["reconcile"])?.expect_ok();
    assert!(clean.stdout.contains("no drift"), "{}", clean.stdout);
    hq.shutdown().await?;
    Ok(())
}
