//! The workbench, the command line and a bulk import on one ledger at once: a confirm from the
//! browser and one from `branch-node doc confirm` made while another program holds the ledger's
//! write lock longer than SQLite's usual few seconds both wait it out and succeed (no "database
//! is locked" reaches the operator); a sale entered in the browser while a real `doc import` of a
//! large file runs is confirmed, the import completes, and the ledger's stock and outbox agree
//! with its documents afterwards.

use branchline_tests::browser::{browser_available, Browser};
use branchline_tests::ledger::{
    assert_outbox_gapless, assert_stock_matches_documents, branch_node, seed_ledger, write_documents_jsonl,
};
use branchline_tests::process::{command, TempDir};
use branchline_tests::workbench::Workbench;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// Longer than the 5 s a ledger writer used to wait before "database is locked".
const HOLD: Duration = Duration::from_secs(8);

/// A draft sale of one P0001 at GZ (stocked by an opening document), its number.
fn draft_sale(ledger: &Path) -> anyhow::Result<String> {
    let args = [
        "doc",
        "add",
        "--type",
        "sales-out",
        "--date",
        "2026-03-02",
        "--partner",
        "C001",
        "--warehouse",
        "GZ-W",
        "--line",
        "P0001:1@10",
        "--draft",
    ];
    Ok(branch_node(ledger, &args)?.expect_ok().last_line().to_owned())
}

/// Holds the ledger's write lock (a real second SQLite connection, as another program would)
/// for `HOLD`, telling `held` once it has it.
fn hold_write_lock(ledger: &Path, held: mpsc::Sender<()>) -> std::thread::JoinHandle<anyhow::Result<()>> {
    let ledger = ledger.to_owned();
    std::thread::spawn(move || {
        let connection = rusqlite::Connection::open(&ledger)?;
        connection.execute_batch("BEGIN IMMEDIATE")?;
        held.send(())?;
        std::thread::sleep(HOLD);
        connection.execute_batch("COMMIT")?;
        Ok(())
    })
}

async fn status_of(browser: &Browser, url: &str, number: &str) -> anyhow::Result<String> {
    browser.goto(&format!("{url}/documents/{number}")).await?;
    browser.text("#doc-status").await
}

/// A real `doc import` of 40,000 documents runs while the browser confirms a sale: both done,
/// and the ledger's stock and outbox agree with its documents.
async fn a_sale_confirmed_beside_a_bulk_import(
    browser: &Browser,
    url: &str,
    ledger: &Path,
    dir: &Path,
) -> anyhow::Result<()> {
    let file = dir.join("bulk.jsonl");
    write_documents_jsonl(&file, "GZ", 40_000, 5, 7)?;
    let import = command(
        "branch-node",
        [
            "--ledger".as_ref(),
            ledger.as_os_str(),
            "doc".as_ref(),
            "import".as_ref(),
            file.as_os_str(),
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()?;
    let during = draft_sale(ledger)?;
    assert_eq!(status_of(browser, url, &during).await?, "草稿");
    browser.submit("#confirm").await?;
    assert_eq!(
        browser.text("#doc-status").await?,
        "已审核",
        "confirmed beside the import"
    );
    browser.screenshot("workbench-confirmed-beside-an-import").await?;
    let imported = import.wait_with_output()?;
    assert!(
        imported.status.success(),
        "the import completed: {}",
        String::from_utf8_lossy(&imported.stderr)
    );
    assert_stock_matches_documents(ledger)?;
    assert_outbox_gapless(ledger)?;
    let listed = branch_node(ledger, &["doc", "list", "--format", "json"])?.expect_ok();
    let listed: serde_json::Value = serde_json::from_str(&listed.stdout)?;
    assert_eq!(listed["docs"].as_array().map(Vec::len), Some(40_000 + 4));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_wait_out_another_writer_and_a_bulk_import() -> anyhow::Result<()> {
    if !browser_available() {
        return Ok(());
    }
    let dir = TempDir::new("workbench-concurrency")?;
    let ledger = dir.join("gz.db");
    drop(seed_ledger(&ledger, "GZ")?);
    let opening = [
        "doc",
        "add",
        "--type",
        "opening",
        "--date",
        "2026-03-01",
        "--warehouse",
        "GZ-W",
        "--line",
        "P0001:100@1",
    ];
    branch_node(&ledger, &opening)?.expect_ok();
    let (from_browser, from_cli) = (draft_sale(&ledger)?, draft_sale(&ledger)?);
    let workbench = Workbench::start(&ledger)?;
    let browser = Browser::start().await?;
    assert_eq!(status_of(&browser, &workbench.url, &from_browser).await?, "草稿");

    let (held_tx, held) = mpsc::channel();
    let holder = hold_write_lock(&ledger, held_tx);
    held.recv()?;
    let cli = {
        let ledger = ledger.clone();
        let number = from_cli.clone();
        std::thread::spawn(move || branch_node(&ledger, &["doc", "confirm", &number]))
    };
    browser.submit("#confirm").await?;
    assert_eq!(
        browser.text("#doc-status").await?,
        "已审核",
        "the browser's confirm waited for the lock: {:?}",
        browser.text("main").await?
    );
    let cli = cli.join().expect("the CLI thread")?;
    assert!(
        cli.success(),
        "the CLI's confirm waited for the lock: {}",
        cli.stderr
    );
    holder.join().expect("the holder thread")?;
    assert_eq!(status_of(&browser, &workbench.url, &from_cli).await?, "已审核");

    a_sale_confirmed_beside_a_bulk_import(&browser, &workbench.url, &ledger, dir.path()).await?;
    browser.close().await?;
    workbench.terminate()?;
    Ok(())
}
