//! A template of 200,000 products (a big group's catalogue) through a real HQ and the real
//! `hq-server admin`, `transfer-agent` and `branch-node` binaries: pulled by network in parts
//! and pages of bounded size, applied once and whole, the agent SIGKILLed between parts, and the
//! same template exported and imported by file — on SQLite and on PostgreSQL.

use anyhow::{ensure, Context, Result};
use branch_node::Ledger;
use branchline_shared::{BaseKind, BaseRecord};
use branchline_tests::agent::{agent_with, kill_now, ledger_positions, spawn_agent, wait_for, AgentConfig};
use branchline_tests::hq::{launch_hq, HqHandle, HqStoreKind, TEST_ADMIN_TOKEN};
use branchline_tests::ledger::branch_node;
use branchline_tests::process::{run, Run, TempDir};
use rust_decimal::Decimal;
use std::path::Path;
use std::time::Duration;

const N_PRODUCTS: usize = 200_000;

fn catalogue() -> Vec<BaseRecord> {
    (0..N_PRODUCTS)
        .map(|product_idx| {
            let code = format!("P{product_idx:06}");
            let mut record = BaseRecord::new(
                BaseKind::Product,
                &code,
                &format!("集团统一商品 {code} 标准装 每箱二十四瓶"),
            );
            record.unit = "箱".to_owned();
            record.price = Some(Decimal::new(1_000 + (product_idx % 9_000) as i64, 2));
            record
        })
        .collect()
}

fn admin(hq: &HqHandle, args: &[&str]) -> Result<Run> {
    let mut all = vec!["admin", "--hq", hq.url(), "--token", TEST_ADMIN_TOKEN];
    all.extend_from_slice(args);
    run("hq-server", all)
}

fn n_products(ledger: &Path) -> Result<usize> {
    Ok(Ledger::open(ledger)?.base_records(BaseKind::Product)?.len())
}

fn init_ledger(ledger: &Path, code: &str) -> Result<()> {
    branch_node(ledger, &["init", "--branch", code, "--name", code])?.expect_ok();
    Ok(())
}

/// Pulls with the agent SIGKILLed once the ledger has taken some parts but not the last one;
/// returns whether a kill landed between parts.
fn pull_killed_between_parts(ledger: &Path, config: &Path, inbox_last_seq: u64) -> Result<bool> {
    let start_seq = ledger_positions(ledger)?.inbox_seq;
    let mut child = spawn_agent(config, &["once", "--pull"], None)?;
    let seen = wait_for(
        Duration::from_secs(300),
        "the ledger to take a first part",
        || {
            let inbox_seq = ledger_positions(ledger)?.inbox_seq;
            Ok((inbox_seq > start_seq).then_some(inbox_seq))
        },
    )?;
    let killed = kill_now(&mut child)?;
    let after = ledger_positions(ledger)?.inbox_seq;
    Ok(killed && seen < inbox_last_seq && after < inbox_last_seq)
}

/// The template exported to a file and imported into a new ledger, once: a second import
/// changes nothing.
fn template_by_file(hq: &HqHandle, dir: &Path) -> Result<()> {
    let file = dir.join("base.template");
    admin(
        hq,
        &[
            "template",
            "export",
            "base",
            "--out",
            file.to_str().context("path")?,
        ],
    )?
    .expect_ok();
    let zh = dir.join("zh.db");
    init_ledger(&zh, "ZH")?;
    let imported = branch_node(&zh, &["template", "import", file.to_str().context("path")?])?.expect_ok();
    assert!(
        imported.stdout.contains(&format!(
            "applied template base version 1: {N_PRODUCTS} records updated"
        )),
        "{}",
        imported.stdout
    );
    assert_eq!(n_products(&zh)?, N_PRODUCTS);
    let repeated = branch_node(&zh, &["template", "import", file.to_str().context("path")?])?.expect_ok();
    assert!(repeated.stdout.contains("nothing changed"), "{}", repeated.stdout);
    Ok(())
}

async fn large_template(store: HqStoreKind) -> Result<()> {
    let dir = TempDir::new("template-large")?;
    let hq = launch_hq(store).await;
    hq.add_org("001", "集团").await?;
    hq.add_org("001.001", "深圳").await?;
    hq.add_org("001.002", "广州").await?;
    let sz_token = hq.add_branch("SZ", "001.001").await?;
    let gz_token = hq.add_branch("GZ", "001.002").await?;
    hq.import(BaseKind::Product, &catalogue()).await?;
    admin(&hq, &["template", "create", "base", "--kinds", "product"])?.expect_ok();
    admin(&hq, &["template", "publish", "base", "--to", "001"])?.expect_ok();

    // By network: the pull succeeds and the ledger holds the whole catalogue.
    let sz = dir.join("sz.db");
    init_ledger(&sz, "SZ")?;
    let pulled = agent_with(&sz, hq.url(), &sz_token, &["once", "--pull"])?;
    ensure!(
        pulled.success(),
        "pull of the large template failed: {}",
        pulled.stderr
    );
    assert_eq!(n_products(&sz)?, N_PRODUCTS);
    let sz_status = hq.status().await?;
    let inbox_last_seq = sz_status
        .iter()
        .find(|branch| branch.branch == "SZ")
        .context("SZ in HQ status")?
        .inbox_last_seq;
    assert!(
        inbox_last_seq > 1,
        "a template this large travels in several parts"
    );
    assert_eq!(ledger_positions(&sz)?.inbox_seq, inbox_last_seq);

    // A second pull applies nothing twice.
    let again = agent_with(&sz, hq.url(), &sz_token, &["once", "--pull"])?.expect_ok();
    assert!(
        again.stdout.contains("pulled 0 inbox entries"),
        "{}",
        again.stdout
    );
    assert_eq!(ledger_positions(&sz)?.inbox_seq, inbox_last_seq);
    assert_eq!(n_products(&sz)?, N_PRODUCTS);

    // SIGKILL between parts: the ledger holds none of the version, then a later pull completes.
    let gz = dir.join("gz.db");
    init_ledger(&gz, "GZ")?;
    let mut config = AgentConfig::new(&gz, hq.url(), &gz_token);
    config.limits = vec!["pull_entries_max = 1".into()];
    let config_path = config.write(&dir.join("gz-agent.toml"))?;
    let gz_path = gz.clone();
    let landed = tokio::task::spawn_blocking(move || {
        pull_killed_between_parts(&gz_path, &config_path, inbox_last_seq)
    })
    .await??;
    assert!(landed, "the kill landed between two parts");
    assert_eq!(n_products(&gz)?, 0, "a template is applied whole or not at all");
    agent_with(&gz, hq.url(), &gz_token, &["once", "--pull"])?.expect_ok();
    assert_eq!(n_products(&gz)?, N_PRODUCTS);
    assert_eq!(ledger_positions(&gz)?.inbox_seq, inbox_last_seq);

    // By file: the same template exported and imported, once.
    template_by_file(&hq, dir.path())?;
    hq.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_of_200000_products_travels_in_parts_on_sqlite() -> Result<()> {
    large_template(HqStoreKind::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_of_200000_products_travels_in_parts_on_postgres() -> Result<()> {
    let Some(store) = HqStoreKind::postgres("template_large").await else {
        return Ok(());
    };
    large_template(store).await
}
