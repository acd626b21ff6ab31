//! `transfer-agent` refusing a config it would otherwise misread: a value of the wrong type
//! (named by file, key and line), a missing `inbox_dir` (never created behind the operator's
//! back), a cron expression out of range (named by task and expression, in plain words).

use branchline_tests::agent::{agent, spawn_agent, wait_for};
use branchline_tests::ledger::seed_ledger;
use branchline_tests::process::TempDir;
use std::path::Path;
use std::time::Duration;

/// Far longer than a refusal takes; only there so that an agent that does run fails the test.
const EXIT_WAIT: Duration = Duration::from_secs(60);

/// A config for a fresh ledger in `dir` (HQ is never reached: every case fails before).
fn write_config(dir: &Path, rest: &str) -> anyhow::Result<std::path::PathBuf> {
    let ledger = dir.join("sz.db");
    if !ledger.exists() {
        drop(seed_ledger(&ledger, "SZ")?);
    }
    let path = dir.join("agent.toml");
    let head = format!(
        "ledger = {:?}\nhq = \"http://127.0.0.1:9\"\ntoken = \"t0ken-for-sz\"\n",
        ledger.display().to_string()
    );
    std::fs::write(&path, head + rest)?;
    Ok(path)
}

#[track_caller]
fn assert_one_line(stderr: &str, parts: &[&str]) {
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "expected one line, got:\n{stderr}"
    );
    for part in parts {
        assert!(stderr.contains(part), "{part:?} missing from {stderr:?}");
    }
}

#[test]
fn agent_names_the_key_of_a_config_value_of_the_wrong_type() -> anyhow::Result<()> {
    let dir = TempDir::new("agent-config-type")?;
    let config = write_config(dir.path(), "\n[limits]\nbatch_entries_max = \"many\"\n")?;
    let refused = agent(&config, &["status"])?.expect_err();
    let file = config.display().to_string();
    assert_one_line(&refused.stderr, &[&file, "limits.batch_entries_max", "line 6"]);
    Ok(())
}

#[test]
fn agent_refuses_a_missing_inbox_dir_without_creating_it() -> anyhow::Result<()> {
    let dir = TempDir::new("agent-config-inbox")?;
    let inbox = dir.join("no-such-inbox");
    let rest = format!(
        "inbox_dir = {:?}\n\n[[task]]\nname = \"push\"\ndirection = \"push\"\nevery = \"1h\"\n",
        inbox.display().to_string()
    );
    let config = write_config(dir.path(), &rest)?;
    let log = dir.join("agent.log");
    let mut child = spawn_agent(&config, &["run"], Some(&log))?;
    let exited = wait_for(EXIT_WAIT, "the agent to refuse its config", || {
        if inbox.exists() {
            anyhow::bail!("the agent created {}", inbox.display());
        }
        Ok(child.try_wait()?)
    });
    if exited.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let status = exited?;
    assert_eq!(status.code(), Some(1));
    let stderr = std::fs::read_to_string(&log)?;
    assert_one_line(
        &stderr,
        &["inbox_dir", &inbox.display().to_string(), "does not exist"],
    );
    assert!(!inbox.exists());
    Ok(())
}

#[test]
fn agent_cron_errors_name_the_task_and_say_what_is_wrong() -> anyhow::Result<()> {
    let dir = TempDir::new("agent-config-cron")?;
    for (cron, cause) in [
        ("60 * * * * *", "the seconds field allows 0 to 59, found 60"),
        ("0 0 25 * * *", "the hours field allows 0 to 23, found 25"),
        ("0 0 0 0 * *", "the day-of-month field allows 1 to 31, found 0"),
        ("0 0 0 * 1-13 *", "the month field allows 1 to 12, found 13"),
        ("0 */5 * * *", "5 fields"),
    ] {
        let rest = format!("\n[[task]]\nname = \"nightly-pull\"\ndirection = \"pull\"\ncron = {cron:?}\n");
        let config = write_config(dir.path(), &rest)?;
        let refused = agent(&config, &["run"])?.expect_err();
        assert_one_line(
            &refused.stderr,
            &["task \"nightly-pull\"", &format!("cron {cron:?}"), cause],
        );
        assert!(
            !refused.stderr.contains("must be less than"),
            "{}",
            refused.stderr
        );
    }
    Ok(())
}
