//! `--log-format json`: HQ and the agent write one JSON object per log line, and every event
//! of an ingested batch carries the branch, the epoch and the batch's seq range.

use branchline_tests::agent::{prepare_branch, AgentConfig};
use branchline_tests::hq::spawn_hq_process_with;
use branchline_tests::process::{command, run_command, TempDir};
use serde_json::Value;

/// Every line of `text` as a JSON object (none may be anything else).
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line:?}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_branch_and_the_batch_of_every_ingestion_event() -> anyhow::Result<()> {
    let dir = TempDir::new("logs-json")?;
    let db = format!("sqlite://{}", dir.join("hq.db").display());
    let hq = spawn_hq_process_with(&db, &["--log-format", "json"], Some("info"))?;
    let (ledger, token) = prepare_branch(&hq.url, dir.path(), "GZ", "002", 5, 3).await?;
    let config = AgentConfig::new(&ledger, &hq.url, &token).write(&dir.join("agent.toml"))?;
    let mut once = command(
        "transfer-agent",
        [
            "--config",
            &config.display().to_string(),
            "--log-format",
            "json",
            "once",
        ],
    );
    once.env("RUST_LOG", "info");
    let pushed = run_command(&mut once)?.expect_ok();

    let agent_lines = json_lines(&pushed.stderr);
    assert!(!agent_lines.is_empty(), "the agent logged nothing");
    assert!(agent_lines
        .iter()
        .all(|line| line["level"].is_string() && line["message"].is_string()));

    let hq_log = std::fs::read_to_string(hq.log())?;
    let applied: Vec<Value> = json_lines(&hq_log)
        .into_iter()
        .filter(|line| line["message"] == "batch applied")
        .collect();
    assert!(!applied.is_empty(), "no batch in HQ's log:\n{hq_log}");
    for line in &applied {
        let batch = &line["span"];
        assert_eq!(batch["name"], "batch", "{line}");
        assert_eq!(batch["branch"], "GZ", "{line}");
        assert_eq!(batch["epoch"], 1, "{line}");
        assert!(batch["first_seq"].as_u64().is_some_and(|seq| seq >= 1), "{line}");
        assert!(
            batch["last_seq"].as_u64() >= batch["first_seq"].as_u64(),
            "{line}"
        );
        assert!(line["applied"].as_u64().is_some(), "{line}");
    }
    let last = applied.iter().filter_map(|line| line["acked_seq"].as_u64()).max();
    assert!(
        last.is_some_and(|seq| seq >= 6),
        "the opening and 5 documents: {applied:?}"
    );
    Ok(())
}
