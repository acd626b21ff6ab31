//! The `transfer-agent` command line on bad input: a broken config, an unreachable HQ, a wrong
//! token, a missing ledger — each a one-line error on stderr, exit 1, nothing changed — and
//! `status --format json` on a fresh ledger.

use branchline_tests::agent::{agent, agent_status, agent_with, ledger_positions, prepare_branch};
use branchline_tests::hq::{launch_hq, HqStoreKind};
use branchline_tests::net::RefusingPort;
use branchline_tests::process::TempDir;

#[track_caller]
fn assert_one_line(stderr: &str, needle: &str) {
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "expected one line, got:\n{stderr}"
    );
    assert!(stderr.contains(needle), "expected {needle:?} in {stderr:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_refuses_bad_input_with_one_line() -> anyhow::Result<()> {
    let dir = TempDir::new("agent-cli")?;
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "DG", "005", 20, 41).await?;
    let before = ledger_positions(&ledger)?;

    let status = agent_status(&ledger)?;
    assert_eq!(status["branch"], "DG");
    assert_eq!(status["backlog"].as_u64(), Some(before.backlog));
    assert!(status["backlog_documents"].as_u64().unwrap() >= 20);

    let bad_config = dir.join("bad.toml");
    std::fs::write(
        &bad_config,
        "ledger = \"x.db\"\n\n[[task]]\nname = \"t\"\ndirection = \"sideways\"\nevery = \"1s\"\n",
    )?;
    let refused = agent(&bad_config, &["run"])?.expect_err();
    assert_one_line(&refused.stderr, "line 5");

    let refusing = RefusingPort::bind()?;
    let unreachable = format!("http://{}", refusing.address());
    let down = agent_with(&ledger, &unreachable, &token, &["once"])?.expect_err();
    assert_one_line(&down.stderr, "cannot be reached");

    let wrong = agent_with(&ledger, hq.url(), "not-the-token", &["once"])?.expect_err();
    assert_one_line(&wrong.stderr, "credential");
    assert!(!wrong.stderr.contains(&token));

    let missing = agent_with(&dir.join("missing.db"), hq.url(), &token, &["once"])?.expect_err();
    assert_one_line(&missing.stderr, "missing.db");
    assert!(std::fs::read_dir(dir.path())?.all(|item| !item
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("missing")));

    assert_eq!(
        ledger_positions(&ledger)?,
        before,
        "a refused run changed the ledger"
    );
    let status = agent_status(&ledger)?;
    assert!(status["tasks"]["once"]["last_error"].is_string(), "{status}");
    hq.shutdown().await?;
    Ok(())
}
