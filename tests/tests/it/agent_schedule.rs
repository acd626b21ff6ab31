//! `transfer-agent run` on its schedule: a push task with `every = "1s"` and a window around
//! now fires repeatedly (HQ status follows the ledger), a task whose window excludes now stays
//! idle, a pull task runs beside them, and the watched inbox folder imports a template file
//! (written as `.part`, then renamed) and rejects a broken one with a reason file. SIGTERM
//! stops it cleanly.

use branchline_shared::{encode_container, BaseKind, BaseRecord, ContainerHeader, ContainerKind, Template};
use branchline_tests::agent::{
    agent_status, import_documents, ledger_positions, prepare_branch, spawn_agent, terminate, wait_for,
    AgentConfig, TaskSpec,
};
use branchline_tests::hq::{launch_hq, status, HqStoreKind};
use branchline_tests::process::TempDir;
use chrono::{Duration as Hours, Local};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

fn window(from_hours: i64, to_hours: i64) -> String {
    let now = Local::now();
    let at = |hours| (now + Hours::hours(hours)).format("%H:%M").to_string();
    format!("{}-{}", at(from_hours), at(to_hours))
}

fn template_file() -> Vec<u8> {
    let mut product = BaseRecord::new(BaseKind::Product, "HQ-P1", "product from HQ");
    product.unit = "pcs".into();
    let template = Template {
        name: "catalog".into(),
        version: 3,
        records: vec![product],
        stock_limits: None,
    };
    let header = ContainerHeader {
        format: ContainerKind::Template,
        format_version: 0,
        source: "HQ".into(),
        epoch: None,
        first_seq: None,
        last_seq: None,
        template_name: Some("catalog".into()),
        template_version: Some(3),
        entries: 0,
        body_sha256: String::new(),
    };
    encode_container(header, &[serde_json::to_string(&template).unwrap()])
}

/// Waits (blocking) until HQ's last applied seq for `branch` reaches `seq`.
fn wait_for_hq_seq(url: &str, branch: &str, seq: u64) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    wait_for(LIMIT, "HQ to apply the scheduled pushes", || {
        let branches = runtime.block_on(status(url))?;
        let last_seq = branches
            .iter()
            .find(|b| b.branch == branch)
            .map_or(0, |b| b.last_seq);
        Ok((last_seq >= seq).then_some(()))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_tasks_fire_windows_hold_and_inbox_folder_imports() -> anyhow::Result<()> {
    let dir = TempDir::new("agent-schedule")?;
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "FS", "004", 200, 31).await?;
    let inbox = dir.join("inbox");
    let mut config = AgentConfig::new(&ledger, hq.url(), &token);
    config.inbox_dir = Some(inbox.clone());
    config.tasks = vec![
        TaskSpec::every("push-day", "push", "1s").with_window(&window(-1, 1)),
        TaskSpec::every("push-night", "push", "1s").with_window(&window(2, 3)),
        TaskSpec::every("pull", "pull", "1s"),
    ];
    config.limits = vec!["settle_ms = 100".into()];
    let config_path = config.write(&dir.join("agent.toml"))?;
    let mut agent_child = spawn_agent(&config_path, &["run"], Some(&dir.join("agent.log")))?;

    let url = hq.url().to_owned();
    let first_last_seq = ledger_positions(&ledger)?.last_seq;
    let (url_1, ledger_1, dir_1) = (url.clone(), ledger.clone(), dir.path().to_owned());
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        wait_for_hq_seq(&url_1, "FS", first_last_seq)?;
        // New documents while the agent runs: the next firings push them too.
        import_documents(&ledger_1, &dir_1, "FS", 30, 32)?;
        let second_last_seq = ledger_positions(&ledger_1)?.last_seq;
        wait_for_hq_seq(&url_1, "FS", second_last_seq)
    })
    .await??;

    // Template files dropped into the watched folder: a half-written `.part` is left alone until
    // renamed, a broken file is rejected with its reason.
    std::fs::write(inbox.join("catalog.tpl.part"), &template_file()[..20])?;
    std::fs::write(inbox.join("broken.tpl"), b"not a template\n")?;
    std::thread::sleep(Duration::from_millis(400));
    assert!(inbox.join("catalog.tpl.part").exists(), "a .part file was taken");
    std::fs::write(inbox.join("catalog.tpl.part"), template_file())?;
    std::fs::rename(inbox.join("catalog.tpl.part"), inbox.join("catalog.tpl"))?;
    wait_for(LIMIT, "the inbox folder to process both files", || {
        Ok(
            (inbox.join("done/catalog.tpl").exists() && inbox.join("rejected/broken.tpl.reason").exists())
                .then_some(()),
        )
    })?;
    let reason = std::fs::read_to_string(inbox.join("rejected/broken.tpl.reason"))?;
    assert!(reason.contains("broken.tpl"), "{reason}");
    assert!(!inbox.join("broken.tpl").exists() && !inbox.join("catalog.tpl").exists());

    let status_json = wait_for(LIMIT, "three scheduled runs of each open task", || {
        let status = agent_status(&ledger)?;
        let runs = |task: &str| status["tasks"][task]["runs"].as_u64().unwrap_or(0);
        Ok((runs("push-day") >= 3 && runs("pull") >= 3).then_some(status))
    })?;
    assert!(
        status_json["tasks"]["push-night"].is_null(),
        "a task ran outside its window: {status_json}"
    );
    assert!(status_json["tasks"]["push-day"]["last_success"].is_string());
    assert_eq!(status_json["backlog"].as_u64(), Some(0));

    let exit = terminate(&mut agent_child, Duration::from_secs(20))?;
    assert!(exit.success(), "the agent did not stop cleanly: {exit}");
    let reconcile = branchline_tests::agent::agent(&config_path, &["reconcile"])?.expect_ok();
    assert!(reconcile.stdout.contains("no drift"), "{}", reconcile.stdout);
    let products = branch_node::Ledger::open(&ledger)?.base_records(BaseKind::Product)?;
    assert!(
        products.iter().any(|(record, _)| record.code == "HQ-P1"),
        "the template was not applied"
    );
    hq.shutdown().await?;
    Ok(())
}
