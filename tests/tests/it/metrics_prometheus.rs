//! A real Prometheus server scrapes a real `hq-server serve --metrics-listen` and a real
//! `transfer-agent run` with `metrics_listen`: both expositions parse (every target up, no
//! scrape error), the figures are what happened (the branch's last seq, the agent's pushes and
//! backlog, a refusal by code, a report's latency), the shipped alert rules load and evaluate
//! without error (and pass `promtool check rules`), and every query of the Grafana dashboard is
//! one Prometheus accepts.

use branchline_tests::agent::{kill_now, prepare_branch, spawn_agent_with_metrics, AgentConfig, TaskSpec};
use branchline_tests::hq::spawn_hq_process_with;
use branchline_tests::process::{run, TempDir};
use branchline_tests::prometheus::{check_rules, prometheus_available, Prometheus, Target};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn deploy_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy").join(name)
}

/// `http://HOST:PORT/metrics` as Prometheus's `HOST:PORT` target.
fn target_address(metrics_url: &str) -> String {
    let address = metrics_url.trim_start_matches("http://");
    address.trim_end_matches("/metrics").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_hq_and_an_agent_and_loads_the_alert_rules() -> anyhow::Result<()> {
    if !prometheus_available() {
        return Ok(());
    }
    let rules = deploy_file("prometheus/alerts.yml");
    check_rules(&rules)?;
    let dir = TempDir::new("metrics-prometheus")?;
    let hq = spawn_hq_process_with(
        &format!("sqlite://{}", dir.join("hq.db").display()),
        &["--metrics-listen", "127.0.0.1:0"],
        None,
    )?;
    let hq_metrics = target_address(hq.metrics_url.as_deref().expect("HQ serves /metrics"));
    let (ledger, token) = prepare_branch(&hq.url, dir.path(), "GZ", "002", 20, 7).await?;
    let mut config = AgentConfig::new(&ledger, &hq.url, &token);
    config.tasks = vec![TaskSpec::every("sync", "both", "1s")];
    config.metrics_listen = Some("127.0.0.1:0".into());
    let config_path = config.write(&dir.join("agent.toml"))?;
    let (mut agent, agent_url) = spawn_agent_with_metrics(&config_path, &dir.join("agent.log"))?;
    let agent_metrics = target_address(&agent_url);

    let targets = [
        Target {
            job: "branchline-hq",
            address: &hq_metrics,
        },
        Target {
            job: "branchline-agent",
            address: &agent_metrics,
        },
    ];
    let prometheus = Prometheus::start(&targets, &rules).await?;
    let scraped = prometheus.wait_until_scraped().await?;
    assert_eq!(scraped.len(), 2, "{scraped:?}");

    pushes_are_seen_at_both_ends(&prometheus).await?;
    refusals_and_reports_are_counted(&prometheus, &hq.url).await?;
    alert_rules_evaluate(&prometheus).await?;
    dashboard_queries_run(&prometheus).await?;
    kill_now(&mut agent)?;
    Ok(())
}

/// What the agent pushed is at HQ, and both ends say so.
async fn pushes_are_seen_at_both_ends(prometheus: &Prometheus) -> anyhow::Result<()> {
    let seq = prometheus
        .wait_for_value(
            "branchline_hq_branch_last_seq{branch=\"GZ\",org=\"001.002\"}",
            |seq| seq >= 21.0,
        )
        .await?;
    prometheus
        .wait_for_value("branchline_agent_backlog_entries{branch=\"GZ\"}", |backlog| {
            backlog == 0.0
        })
        .await?;
    prometheus
        .wait_for_value("branchline_agent_pushed_entries_total{task=\"sync\"}", |pushed| {
            pushed >= seq
        })
        .await?;
    prometheus
        .wait_for_value(
            "branchline_agent_task_last_success_timestamp_seconds{task=\"sync\"}",
            |at| at > 0.0,
        )
        .await?;
    prometheus
        .wait_for_value(
            "branchline_agent_task_consecutive_failures{task=\"sync\"}",
            |failures| failures == 0.0,
        )
        .await?;
    prometheus
        .wait_for_value("branchline_hq_ingested_lines_total", |lines| lines >= 20.0)
        .await?;
    prometheus
        .wait_for_value("branchline_hq_batch_duration_seconds_count", |batches| {
            batches >= 1.0
        })
        .await?;
    prometheus
        .wait_for_value("branchline_hq_branch_contact_age_seconds{branch=\"GZ\"}", |age| {
            age < 60.0
        })
        .await?;

    Ok(())
}

/// A refused call is counted by its code, a report by its kind.
async fn refusals_and_reports_are_counted(prometheus: &Prometheus, hq_url: &str) -> anyhow::Result<()> {
    let refused = run(
        "hq-server",
        [
            "admin",
            "--hq",
            hq_url,
            "--token",
            "not-a-token-anyone-has",
            "status",
        ],
    )?;
    assert!(!refused.success(), "a wrong token was accepted");
    prometheus
        .wait_for_value(
            "branchline_hq_refusals_total{code=\"Unauthenticated\"}",
            |count| count >= 1.0,
        )
        .await?;
    let admin_token = branchline_tests::hq::TEST_ADMIN_TOKEN;
    run(
        "hq-server",
        [
            "report",
            "--hq",
            hq_url,
            "--token",
            admin_token,
            "sales",
            "--org",
            "001",
        ],
    )?
    .expect_ok();
    prometheus
        .wait_for_value(
            "branchline_hq_report_duration_seconds_count{kind=\"sales\"}",
            |count| count >= 1.0,
        )
        .await?;

    Ok(())
}

/// The alert rules are loaded and evaluate cleanly against these series.
async fn alert_rules_evaluate(prometheus: &Prometheus) -> anyhow::Result<()> {
    let rules_loaded = loop {
        let loaded = prometheus.rules().await?;
        if !loaded.is_empty()
            && loaded
                .iter()
                .all(|rule| rule["lastEvaluation"] != "0001-01-01T00:00:00Z")
        {
            break loaded;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(rules_loaded.len(), 13, "{rules_loaded:?}");
    for rule in &rules_loaded {
        assert_eq!(rule["health"], "ok", "{rule}");
    }

    Ok(())
}

/// Every query of the dashboard is valid PromQL over these series.
async fn dashboard_queries_run(prometheus: &Prometheus) -> anyhow::Result<()> {
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(deploy_file("grafana/branchline.json"))?)?;
    let exprs: Vec<&str> = dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|panel| panel["targets"].as_array().into_iter().flatten())
        .filter_map(|target| target["expr"].as_str())
        .collect();
    assert!(exprs.len() >= 10, "{exprs:?}");
    for expr in exprs {
        prometheus.query(expr).await?;
    }
    Ok(())
}

/// A `metrics_listen` that is no address is refused before anything starts: by HQ before its
/// store is created, by the agent before its first transfer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_metrics_listen_is_refused_in_one_line() -> anyhow::Result<()> {
    let dir = TempDir::new("metrics-bad-listen")?;
    let db = format!("sqlite://{}", dir.join("hq.db").display());
    let bad = std::process::Command::new(branchline_tests::process::binary("hq-server"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "nowhere",
            "--db",
            &db,
        ])
        .env("BRANCHLINE_ADMIN_TOKEN", branchline_tests::hq::TEST_ADMIN_TOKEN)
        .output()?;
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("invalid metrics_listen address \"nowhere\": expected HOST:PORT"),
        "{stderr}"
    );
    assert!(!dir.join("hq.db").exists(), "nothing was created");

    let hq = spawn_hq_process_with(&db, &[], None)?;
    let (ledger, token) = prepare_branch(&hq.url, dir.path(), "GZ", "002", 3, 7).await?;
    let mut config = AgentConfig::new(&ledger, &hq.url, &token);
    config.tasks = vec![TaskSpec::every("sync", "both", "1s")];
    config.metrics_listen = Some("nowhere".into());
    let config_path = config.write(&dir.join("agent.toml"))?;
    let refused = run(
        "transfer-agent",
        ["--config", &config_path.display().to_string(), "run"],
    )?;
    assert!(!refused.success());
    let stderr = refused.stderr.trim();
    assert!(
        stderr.contains("cannot listen on nowhere (metrics_listen)") && stderr.lines().count() == 1,
        "{stderr}"
    );
    let positions = branchline_tests::agent::ledger_positions(&ledger)?;
    assert_eq!(positions.acked_seq, 0, "nothing was pushed");
    Ok(())
}
