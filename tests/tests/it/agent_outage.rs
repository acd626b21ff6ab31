//! HQ outages under a running agent (`transfer-agent run`): HQ SIGKILLed mid-batch, the branch
//! imports 5,000 documents while HQ is down, the agent keeps running and says so in `status`,
//! and once HQ is back on its address the backlog drains and both ends' totals are equal.

use branchline_tests::agent::{
    agent, agent_status, hq_totals, import_documents, ledger_positions, ledger_totals, prepare_branch,
    spawn_agent, terminate, wait_for, AgentConfig, FixedHq, TaskSpec,
};
use branchline_tests::hq::status;
use branchline_tests::process::TempDir;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_rides_out_hq_outage_and_catches_up() -> anyhow::Result<()> {
    let dir = TempDir::new("agent-outage")?;
    let db_url = format!("sqlite://{}", dir.join("hq.db").display());
    let mut hq = FixedHq::start(&db_url, &dir.join("hq.log"))?;
    let hq_url = hq.url();
    let (ledger, token) = prepare_branch(&hq_url, dir.path(), "GZ", "002", 6_000, 11).await?;

    let mut config = AgentConfig::new(&ledger, &hq_url, &token);
    config.tasks = vec![TaskSpec::every("sync", "both", "1s")];
    config.limits = vec![
        "batch_entries_max = 20".into(),
        "backoff_initial_ms = 100".into(),
        "backoff_max_ms = 800".into(),
        "connect_timeout_ms = 500".into(),
        "reply_timeout_ms = 5000".into(),
    ];
    let config_path = config.write(&dir.join("agent.toml"))?;
    let mut agent_child = spawn_agent(&config_path, &["run"], Some(&dir.join("agent.log")))?;

    // HQ dies while the agent is in the middle of the backlog.
    let applied_before_kill = wait_for_hq_seq(&hq_url, "GZ", 200).await?;
    hq.kill();
    let positions = ledger_positions(&ledger)?;
    assert!(
        positions.backlog > 0,
        "HQ was killed after the backlog drained ({applied_before_kill} applied)"
    );

    // The branch keeps trading while HQ is down; the agent keeps running and reports the failure.
    import_documents(&ledger, dir.path(), "GZ", 5_000, 12)?;
    let failing = wait_for(LIMIT, "the agent to report HQ unreachable", || {
        let status = agent_status(&ledger)?;
        let failures = status["tasks"]["sync"]["consecutive_failures"]
            .as_u64()
            .unwrap_or(0);
        Ok((failures >= 2).then_some(status))
    })?;
    let reason = failing["tasks"]["sync"]["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("cannot be reached"), "{reason}");
    assert!(!reason.contains(&token), "the token leaked into status");
    assert!(
        agent_child.try_wait()?.is_none(),
        "the agent exited during the outage"
    );
    assert!(failing["backlog"].as_u64().unwrap() > 5_000);

    // HQ comes back where the agent expects it; the backlog drains.
    hq.restart()?;
    let drained_ledger = ledger.clone();
    tokio::task::spawn_blocking(move || {
        wait_for(LIMIT, "the backlog to drain after HQ returned", || {
            Ok((ledger_positions(&drained_ledger)?.backlog == 0).then_some(()))
        })
    })
    .await??;
    let exit = terminate(&mut agent_child, Duration::from_secs(20))?;
    assert!(
        exit.success(),
        "the agent did not stop cleanly on SIGTERM: {exit}"
    );

    let at_hq = status(&hq_url)
        .await?
        .into_iter()
        .find(|b| b.branch == "GZ")
        .expect("GZ at HQ");
    assert_eq!(
        (at_hq.last_seq, at_hq.backlog),
        (ledger_positions(&ledger)?.last_seq, 0)
    );
    let branch_totals = ledger_totals(&ledger)?;
    assert_eq!(branch_totals.documents, 11_000);
    assert_eq!(hq_totals(&db_url, "GZ").await?, branch_totals);
    let log = std::fs::read_to_string(dir.join("agent.log"))?;
    assert!(!log.contains(&token), "the token leaked into the agent log");
    assert!(
        log.contains("task failed") && log.contains("task succeeded"),
        "{log}"
    );
    let reconcile = agent(&config_path, &["reconcile"])?.expect_ok();
    assert!(reconcile.stdout.contains("no drift"), "{}", reconcile.stdout);
    Ok(())
}

/// Waits until HQ holds branch `branch` up to at least `seq`; returns the seq it holds.
async fn wait_for_hq_seq(hq_url: &str, branch: &str, seq: u64) -> anyhow::Result<u64> {
    let (hq_url, branch) = (hq_url.to_owned(), branch.to_owned());
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        wait_for(LIMIT, "the first pushes to land at HQ", || {
            let branches = runtime.block_on(status(&hq_url))?;
            let last_seq = branches
                .iter()
                .find(|b| b.branch == branch)
                .map_or(0, |b| b.last_seq);
            Ok((last_seq >= seq).then_some(last_seq))
        })
    })
    .await?
}
