//! The real `transfer-agent` binary SIGKILLed at 25+ random instants while pushing 20,000
//! documents, then one clean run: HQ holds exactly the branch's documents (count, quantity,
//! amount, tax), acknowledgements never went backwards, and reconcile finds no drift — on
//! SQLite and on PostgreSQL.

use branchline_tests::agent::{
    agent, agent_with, hq_totals, kill_now, ledger_positions, ledger_totals, prepare_branch, spawn_agent,
    AgentConfig,
};
use branchline_tests::hq::{launch_hq, HqStoreKind};
use branchline_tests::ledger::TestRng;
use branchline_tests::process::TempDir;
use std::time::Duration;

const N_DOCS: usize = 20_000;
const MIN_KILLS: u32 = 25;

async fn kill_agent_while_pushing(store: HqStoreKind, seed: u64) -> anyhow::Result<()> {
    let dir = TempDir::new("agent-kill")?;
    let hq = launch_hq(store).await;
    let (ledger, token) = prepare_branch(hq.url(), dir.path(), "SZ", "001", N_DOCS, seed).await?;
    let mut config = AgentConfig::new(&ledger, hq.url(), &token);
    config.limits = vec!["batch_entries_max = 100".into(), "batches_in_flight = 4".into()];
    let config_path = config.write(&dir.join("agent.toml"))?;

    let kill_loop_ledger = ledger.clone();
    let kills = tokio::task::spawn_blocking(move || -> anyhow::Result<u32> {
        let mut rng = TestRng::new(seed);
        let mut kills = 0;
        let mut previous_acked = 0;
        for _attempt in 0..400 {
            let mut child = spawn_agent(&config_path, &["once", "--push"], None)?;
            std::thread::sleep(Duration::from_millis(5 + rng.below(120)));
            if kill_now(&mut child)? {
                kills += 1;
            }
            // Pair assertion after every crash: the ledger opens, its ack never went backwards.
            let positions = ledger_positions(&kill_loop_ledger)?;
            assert!(
                positions.acked_seq >= previous_acked,
                "acknowledged seq went backwards"
            );
            previous_acked = positions.acked_seq;
            if kills >= MIN_KILLS && positions.backlog == 0 {
                break;
            }
            if kills >= MIN_KILLS * 3 {
                break;
            }
        }
        Ok(kills)
    })
    .await??;
    eprintln!("agent SIGKILLed {kills} times mid-run");
    assert!(
        kills >= MIN_KILLS,
        "only {kills} kills landed while the agent ran"
    );

    let clean = agent_with(&ledger, hq.url(), &token, &["once"])?.expect_ok();
    assert!(clean.stdout.contains("backlog 0"), "{}", clean.stdout);
    let positions = ledger_positions(&ledger)?;
    assert_eq!(positions.backlog, 0);

    let branch_totals = ledger_totals(&ledger)?;
    assert_eq!(branch_totals.documents, N_DOCS as u64);
    let hq_held = hq_totals(hq.db_url(), "SZ").await?;
    assert_eq!(
        hq_held, branch_totals,
        "HQ totals differ from the branch's after {kills} kills"
    );
    assert!(hq.quarantine().await?.is_empty(), "nothing should be quarantined");
    let status = hq.status().await?;
    let sz = status
        .iter()
        .find(|branch| branch.branch == "SZ")
        .expect("SZ in HQ status");
    assert_eq!(sz.last_seq, positions.last_seq);
    assert_eq!(sz.backlog, 0);

    let reconcile = agent(&config.write(&dir.join("agent.toml"))?, &["reconcile"])?.expect_ok();
    assert!(reconcile.stdout.contains("no drift"), "{}", reconcile.stdout);
    hq.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_sigkilled_25_times_while_pushing_loses_and_doubles_nothing_sqlite() -> anyhow::Result<()> {
    kill_agent_while_pushing(HqStoreKind::Sqlite, 4).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_sigkilled_25_times_while_pushing_loses_and_doubles_nothing_postgres() -> anyhow::Result<()> {
    let Some(store) = HqStoreKind::postgres("agent_kill").await else {
        return Ok(());
    };
    kill_agent_while_pushing(store, 5).await
}
