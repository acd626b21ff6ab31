//! Bundle files dropped into the agent's watched `inbox_dir` go to HQ: while HQ is down the file
//! stays in place and `status` says why; once HQ is back it is uploaded and applied, a repeat
//! drop is acknowledged as already held, and an altered bundle or another branch's bundle is
//! moved to `rejected/` with its reason.

use branchline_tests::agent::{
    agent_status, ledger_positions, prepare_branch, spawn_agent, terminate, wait_for, AgentConfig, FixedHq,
};
use branchline_tests::hq::status;
use branchline_tests::ledger::branch_node;
use branchline_tests::process::TempDir;
use std::path::Path;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

fn export_bundle(ledger: &Path, out: &Path) -> anyhow::Result<()> {
    branch_node(ledger, &["bundle", "export", "--out", &out.display().to_string()])?.expect_ok();
    Ok(())
}

/// Drops `bytes` as `name` the way a careful writer does: a `.part` file, then a rename.
fn drop_file(inbox: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let part = inbox.join(format!("{name}.part"));
    std::fs::write(&part, bytes)?;
    std::fs::rename(part, inbox.join(name))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_bundles_are_uploaded_once_hq_is_reachable() -> anyhow::Result<()> {
    let dir = TempDir::new("agent-bundle-folder")?;
    let db_url = format!("sqlite://{}", dir.join("hq.db").display());
    let mut hq = FixedHq::start(&db_url, &dir.join("hq.log"))?;
    let hq_url = hq.url();
    let (ledger, token) = prepare_branch(&hq_url, dir.path(), "SZ", "001", 40, 5).await?;
    let (foreign_ledger, _) = prepare_branch(&hq_url, dir.path(), "XM", "002", 5, 6).await?;
    let bundle = exported_bundle(&ledger, &dir.join("sz.bundle"))?;
    let foreign_bundle = exported_bundle(&foreign_ledger, &dir.join("xm.bundle"))?;
    hq.kill();

    let inbox = dir.join("inbox");
    let mut config = AgentConfig::new(&ledger, &hq_url, &token);
    config.inbox_dir = Some(inbox.clone());
    config.limits = vec!["settle_ms = 100".into(), "connect_timeout_ms = 500".into()];
    let config_path = config.write(&dir.join("agent.toml"))?;
    let mut agent_child = spawn_agent(&config_path, &["run"], Some(&dir.join("agent.log")))?;
    wait_for(LIMIT, "the agent to create its inbox folder", || {
        Ok(inbox.join("rejected").is_dir().then_some(()))
    })?;

    // HQ is down: the bundle waits in the folder and the agent says why.
    drop_file(&inbox, "sz.bundle", &bundle)?;
    let error = wait_for(LIMIT, "the agent to report the pending upload", || {
        let state = agent_status(&ledger)?;
        Ok(state["tasks"]["inbox-folder"]["last_error"]
            .as_str()
            .map(str::to_owned))
    })?;
    assert!(
        error.contains("not uploaded yet") && error.contains("sz.bundle"),
        "{error}"
    );
    assert!(
        inbox.join("sz.bundle").exists(),
        "a bundle was moved while HQ was down"
    );

    hq.restart()?;
    wait_for(LIMIT, "the bundle to be uploaded", || {
        Ok(inbox.join("done/sz.bundle").exists().then_some(()))
    })?;
    let last_seq = ledger_positions(&ledger)?.last_seq;
    let branches = status(&hq_url).await?;
    let sz = branches.iter().find(|b| b.branch == "SZ").expect("SZ at HQ");
    assert_eq!(sz.last_seq, last_seq, "HQ does not hold the whole bundle");

    // The same bundle again, an altered copy, and another branch's bundle.
    drop_again_altered_and_foreign(&inbox, &bundle, &foreign_bundle)?;
    let branches = status(&hq_url).await?;
    let seq_of = |code: &str| {
        branches
            .iter()
            .find(|b| b.branch == code)
            .map_or(0, |b| b.last_seq)
    };
    assert_eq!(seq_of("SZ"), last_seq, "a repeated bundle changed HQ");
    assert_eq!(
        seq_of("XM"),
        0,
        "another branch's bundle was applied through SZ's agent"
    );

    let exit = terminate(&mut agent_child, Duration::from_secs(20))?;
    assert!(exit.success(), "the agent did not stop cleanly: {exit}");
    Ok(())
}

/// `ledger`'s unacknowledged outbox exported as a bundle file at `path`, read back.
fn exported_bundle(ledger: &Path, path: &Path) -> anyhow::Result<Vec<u8>> {
    export_bundle(ledger, path)?;
    Ok(std::fs::read(path)?)
}

/// Drops `bundle` again, an altered copy and another branch's bundle, and waits until the
/// agent has taken all three: the first done, the other two rejected with their reasons.
fn drop_again_altered_and_foreign(inbox: &Path, bundle: &[u8], foreign_bundle: &[u8]) -> anyhow::Result<()> {
    let mut altered = bundle.to_vec();
    let last = altered.len() - 2;
    altered[last] ^= 0x01;
    drop_file(inbox, "again.bundle", bundle)?;
    drop_file(inbox, "altered.bundle", &altered)?;
    drop_file(inbox, "xm.bundle", foreign_bundle)?;
    wait_for(LIMIT, "the three dropped files to be taken", || {
        let taken = [
            "done/again.bundle",
            "rejected/altered.bundle.reason",
            "rejected/xm.bundle.reason",
        ]
        .iter()
        .all(|name| inbox.join(name).exists());
        Ok(taken.then_some(()))
    })?;
    let altered_reason = std::fs::read_to_string(inbox.join("rejected/altered.bundle.reason"))?;
    assert!(
        altered_reason.contains("altered.bundle") && altered_reason.contains("checksum"),
        "{altered_reason}"
    );
    let foreign_reason = std::fs::read_to_string(inbox.join("rejected/xm.bundle.reason"))?;
    assert!(
        foreign_reason.contains("xm.bundle") && foreign_reason.contains("denied"),
        "{foreign_reason}"
    );
    Ok(())
}
