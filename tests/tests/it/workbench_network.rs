//! The workbench beside a running transfer agent and beyond this machine: "send now" makes an
//! agent whose schedule is an hour away push the document just entered at once (a real HQ and
//! agent); served to other machines only with `--allow-network` and a password set, then every
//! page asks for it. Screenshots kept; no page logs a JavaScript error.

use branchline_tests::agent::{
    import_documents, kill_now, prepare_branch, spawn_agent, AgentConfig, TaskSpec,
};
use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::console_http::ConsoleHttp;
use branchline_tests::hq::{spawn_hq_process, status};
use branchline_tests::process::TempDir;
use branchline_tests::workbench::Workbench;
use std::time::{Duration, Instant};

/// An agent whose next run is an hour away pushes the document entered since, at once, when
/// the workbench's "send now" is pressed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbench_send_now_makes_a_running_agent_push_at_once() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let dir = TempDir::new("workbench-send-now")?;
    let hq = spawn_hq_process(&format!("sqlite://{}", dir.join("hq.db").display()))?;
    let (ledger, token) = prepare_branch(&hq.url, dir.path(), "GZ", "003", 2, 5).await?;
    let mut config = AgentConfig::new(&ledger, &hq.url, &token);
    config.tasks = vec![TaskSpec::every("sync", "both", "1h")];
    let config_path = config.write(&dir.join("agent.toml"))?;
    let mut agent = spawn_agent(&config_path, &["run"], Some(&dir.join("agent.log")))?;
    let pushed = |seq: u64| {
        let url = hq.url.clone();
        async move { status(&url).await.map(|branches| branches[0].last_seq >= seq) }
    };
    let state_file = branch_node::agent_files::agent_state_path(&ledger);
    let started = Instant::now();
    let first_run_done = || {
        let state = std::fs::read(&state_file).unwrap_or_default();
        let state: serde_json::Value = serde_json::from_slice(&state).unwrap_or_default();
        state["tasks"]["sync"]["last_success"].is_string()
    };
    while !first_run_done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the agent's first run never succeeded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = status(&hq.url).await?[0].last_seq;
    import_documents(&ledger, dir.path(), "GZ", 1, 6)?;

    let workbench = Workbench::start(&ledger)?;
    let browser = Browser::start().await?;
    browser.goto(&format!("{}/sync", workbench.url)).await?;
    assert_eq!(browser.text("#backlog-documents").await?, "1");
    assert!(
        !browser.texts("#agent-tasks tr[data-task=sync]").await?.is_empty(),
        "the agent's task is shown"
    );
    browser.submit("#send-now").await?;
    assert!(browser.text("#done").await?.contains("立即发送"));
    let asked = Instant::now();
    while !pushed(before + 1).await? {
        assert!(
            asked.elapsed() < Duration::from_secs(60),
            "send now did not make the agent push"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // HQ applies before the agent records HQ's acknowledgement in the ledger.
    loop {
        browser.goto(&format!("{}/sync", workbench.url)).await?;
        if browser.text("#backlog-documents").await? == "0" {
            break;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(60),
            "the ledger never recorded HQ's ack"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser.screenshot("workbench-sync-sent").await?;
    browser.close().await?;
    kill_now(&mut agent)?;
    Ok(())
}

/// `branch-node --ledger LEDGER user password` with `password` on stdin.
fn set_password(ledger: &std::path::Path, password: &str) -> anyhow::Result<std::process::Output> {
    use std::io::Write;
    let mut child = std::process::Command::new(branchline_tests::process::binary("branch-node"))
        .arg("--ledger")
        .arg(ledger)
        .args(["user", "password"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())?;
    Ok(child.wait_with_output()?)
}

/// Served to other machines only with --allow-network and a password set; then every page asks
/// for it: the wrong one refused, the right one opens the pages, logout closes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbench_on_the_network_asks_for_its_password() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let dir = TempDir::new("workbench-network")?;
    let ledger = dir.join("gz.db");
    branchline_tests::ledger::branch_node(&ledger, &["init", "--branch", "GZ", "--name", "广州"])?
        .expect_ok();
    let refused = Workbench::start_with(&ledger, &["--listen", "0.0.0.0:0"])
        .err()
        .expect("refused")
        .to_string();
    assert!(refused.contains("--allow-network"), "{refused}");
    let no_password = Workbench::start_with(&ledger, &["--listen", "0.0.0.0:0", "--allow-network"])
        .err()
        .expect("refused");
    assert!(no_password.to_string().contains("user password"), "{no_password}");
    let short = set_password(&ledger, "short")?;
    assert!(!short.status.success() && String::from_utf8_lossy(&short.stderr).contains("at least 8"));
    assert!(set_password(&ledger, "workbench-pass-1")?.status.success());

    let workbench = Workbench::start_with(&ledger, &["--listen", "0.0.0.0:0", "--allow-network"])?;
    let port = workbench.url.rsplit(':').next().expect("a port").to_owned();
    let url = format!("http://127.0.0.1:{port}");
    let browser = Browser::start().await?;
    browser.goto(&format!("{url}/stock")).await?;
    assert!(
        browser.client().current_url().await?.path().ends_with("/login"),
        "sent to the login page"
    );
    browser.fill("#password", "wrong-password").await?;
    browser.submit("#login").await?;
    assert!(!browser.text("#login-error").await?.is_empty());
    browser.screenshot("workbench-login-refused").await?;
    browser.fill("#password", "workbench-pass-1").await?;
    browser.submit("#login").await?;
    assert_eq!(browser.text("h1").await?, "单据");
    let mut http = ConsoleHttp::new(&url);
    assert_eq!(http.get("/stock").await?.status, 303, "no session, no page");
    browser.screenshot("workbench-signed-in").await?;
    browser.submit("#logout").await?;
    assert!(browser.client().current_url().await?.path().ends_with("/login"));
    browser.goto(&format!("{url}/stock")).await?;
    assert!(
        browser.client().current_url().await?.path().ends_with("/login"),
        "logged out: the pages ask for the password again"
    );
    browser.close().await?;
    Ok(())
}
