//! A long-offline branch's backlog travels by file: `branch-node bundle export` of 200,000 outbox
//! entries writes several bundle files, each within what HQ takes in one batch; the real
//! `hq-server admin bundle import` applies them in sequence order whatever order it is given,
//! and again as a no-op — on SQLite and on PostgreSQL. The agent's watched folder takes the
//! files dropped in reverse order: a bundle whose predecessor has not arrived waits in place.

use anyhow::{ensure, Context, Result};
use branchline_tests::agent::{
    agent_status, hq_totals, ledger_positions, ledger_totals, prepare_branch, spawn_agent, terminate,
    wait_for, AgentConfig,
};
use branchline_tests::hq::{launch_hq, status, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::ledger::branch_node;
use branchline_tests::process::{run, TempDir};
use std::path::{Path, PathBuf};
use std::time::Duration;

const N_DOCS: usize = 200_000;
const LIMIT: Duration = Duration::from_secs(120);

/// `bundle export --out OUT ARGS...`; returns the files it names, one a line, in order.
fn export_bundles(ledger: &Path, out: &Path, args: &[&str]) -> Result<Vec<PathBuf>> {
    let out_text = out.display().to_string();
    let mut all = vec!["bundle", "export", "--out", out_text.as_str()];
    all.extend_from_slice(args);
    let exported = branch_node(ledger, &all)?.expect_ok();
    let files: Vec<PathBuf> = exported
        .stdout
        .lines()
        .filter_map(|line| line.rsplit_once(" to ").map(|(_, path)| PathBuf::from(path)))
        .collect();
    ensure!(
        !files.is_empty(),
        "bundle export named no file: {}",
        exported.stdout
    );
    for file in &files {
        ensure!(file.exists(), "{} was not written", file.display());
    }
    Ok(files)
}

async fn large_backlog_by_file(store: HqStoreKind) -> Result<()> {
    let dir = TempDir::new("bundle-large")?;
    let hq = launch_hq(store).await;
    let (ledger, _token) = prepare_branch(hq.url(), dir.path(), "SZ", "001", N_DOCS, 11).await?;
    let positions = ledger_positions(&ledger)?;
    assert!(positions.backlog >= N_DOCS as u64);

    let files = export_bundles(&ledger, &dir.join("sz.bundle"), &[])?;
    assert!(
        files.len() >= 4,
        "200,000 entries make several bundles: {files:?}"
    );
    assert_eq!(files[0], dir.join("sz.0001.bundle"));
    // Given newest first, HQ's command still applies them in sequence order.
    let mut import = vec![
        "admin",
        "--hq",
        hq.url(),
        "--token",
        TEST_ADMIN_TOKEN,
        "bundle",
        "import",
    ];
    let reversed: Vec<String> = files
        .iter()
        .rev()
        .map(|file| file.display().to_string())
        .collect();
    import.extend(reversed.iter().map(String::as_str));
    let imported = run("hq-server", import.clone())?.expect_ok();
    assert_eq!(
        imported.stdout.lines().count(),
        files.len(),
        "{}",
        imported.stdout
    );

    let branch_totals = ledger_totals(&ledger)?;
    assert_eq!(branch_totals.documents, N_DOCS as u64);
    assert_eq!(hq_totals(hq.db_url(), "SZ").await?, branch_totals);
    let sz = status(hq.url()).await?;
    let sz = sz
        .iter()
        .find(|branch| branch.branch == "SZ")
        .context("SZ at HQ")?;
    assert_eq!(sz.last_seq, positions.last_seq);

    // Importing the same files again is a no-op.
    let again = run("hq-server", import)?.expect_ok();
    assert!(
        again.stdout.lines().all(|line| line.contains(" 0 applied")),
        "{}",
        again.stdout
    );
    assert_eq!(hq_totals(hq.db_url(), "SZ").await?, branch_totals);
    hq.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backlog_of_200000_entries_travels_as_several_bundles_on_sqlite() -> Result<()> {
    large_backlog_by_file(HqStoreKind::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backlog_of_200000_entries_travels_as_several_bundles_on_postgres() -> Result<()> {
    let Some(store) = HqStoreKind::postgres("bundle_large").await else {
        return Ok(());
    };
    large_backlog_by_file(store).await
}

/// Drops `file` into `inbox` the way a careful writer does: a `.part` copy, then a rename.
fn drop_file(inbox: &Path, file: &Path) -> Result<()> {
    let name = file.file_name().context("file name")?;
    let part = inbox.join(format!("{}.part", name.to_string_lossy()));
    std::fs::copy(file, &part)?;
    std::fs::rename(part, inbox.join(name))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_bundles_in_reverse_order_wait_for_their_predecessors() -> Result<()> {
    let dir = TempDir::new("bundle-large-folder")?;
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "SZ", "001", 1_200, 12).await?;
    let files = export_bundles(&ledger, &dir.join("sz.bundle"), &["--max-entries", "300"])?;
    assert!(files.len() >= 4, "{files:?}");

    let inbox = dir.join("inbox");
    let mut config = AgentConfig::new(&ledger, hq.url(), &token);
    config.inbox_dir = Some(inbox.clone());
    config.limits = vec!["settle_ms = 100".into()];
    let config_path = config.write(&dir.join("agent.toml"))?;
    let mut agent_child = spawn_agent(&config_path, &["run"], Some(&dir.join("agent.log")))?;
    wait_for(LIMIT, "the agent to create its inbox folder", || {
        Ok(inbox.join("rejected").is_dir().then_some(()))
    })?;

    // The last bundle alone: it waits for the ones before it, in place, and status says so.
    let last = files.last().context("a last bundle")?;
    drop_file(&inbox, last)?;
    let error = wait_for(LIMIT, "the agent to report the waiting bundle", || {
        let state = agent_status(&ledger)?;
        Ok(state["tasks"]["inbox-folder"]["last_error"]
            .as_str()
            .map(str::to_owned))
    })?;
    let last_name = last.file_name().context("name")?.to_string_lossy().into_owned();
    assert!(error.contains(&last_name) && error.contains("waits"), "{error}");
    assert!(
        inbox.join(&last_name).exists(),
        "a bundle ahead of HQ left the folder"
    );
    assert!(!inbox.join("rejected").join(&last_name).exists());

    for file in files.iter().rev().skip(1) {
        drop_file(&inbox, file)?;
    }
    wait_for(LIMIT, "every bundle to be uploaded", || {
        let done = files.iter().all(|file| {
            inbox
                .join("done")
                .join(file.file_name().unwrap_or_default())
                .exists()
        });
        Ok(done.then_some(()))
    })?;
    assert_eq!(hq_totals(hq.db_url(), "SZ").await?, ledger_totals(&ledger)?);
    let rejected = std::fs::read_dir(inbox.join("rejected"))?.count();
    assert_eq!(rejected, 0, "no bundle was rejected");
    let exit = terminate(&mut agent_child, Duration::from_secs(20))?;
    assert!(exit.success(), "the agent did not stop cleanly: {exit}");
    hq.shutdown().await
}
