//! Outbox atomicity under SIGKILL: a real `branch-node doc import` child killed at random
//! instants leaves either the whole file or nothing, a gapless outbox and an intact file.
//!
//! `BRANCHLINE_KILLS=N` sets the number of kills (default 12); `BRANCHLINE_SEED` the seed.

use branch_node::Ledger;
use branchline_tests::ledger::{
    assert_integrity, assert_outbox_gapless, assert_stock_matches_documents, seed_ledger,
    write_documents_jsonl, TestRng,
};
use branchline_tests::process::{command, TempDir};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

const DOCS_PER_FILE: usize = 800;
const LINES_PER_DOC: usize = 5;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Documents of the file generated with `seed` that the ledger holds.
fn documents_of_file(ledger: &Path, seed: u64) -> u64 {
    let conn = rusqlite::Connection::open(ledger).unwrap();
    conn.query_row(
        "SELECT count(*) FROM document WHERE number LIKE ?1",
        [format!("SZ-{seed}-%")],
        |row| row.get(0),
    )
    .unwrap()
}

fn import_command(ledger: &Path, file: &Path) -> std::process::Command {
    let mut import = command(
        "branch-node",
        [
            "--ledger".as_ref(),
            ledger.as_os_str(),
            "doc".as_ref(),
            "import".as_ref(),
            file.as_os_str(),
        ],
    );
    import.stdout(Stdio::null()).stderr(Stdio::null());
    import
}

#[test]
fn a_killed_import_leaves_all_or_nothing() {
    let dir = TempDir::new("ledger-kill").unwrap();
    let ledger_path = dir.join("sz.db");
    drop(seed_ledger(&ledger_path, "SZ").unwrap());
    let seed = env_u64("BRANCHLINE_SEED", 20_260_105);
    let n_kills = env_u64("BRANCHLINE_KILLS", 12);
    let mut rng = TestRng::new(seed);
    eprintln!("ledger_kill: seed {seed}, {n_kills} kills");

    // One complete import sets the scale of the random kill instants.
    let calibration = dir.join("calibration.jsonl");
    write_documents_jsonl(&calibration, "SZ", DOCS_PER_FILE, LINES_PER_DOC, 1).unwrap();
    let started = Instant::now();
    assert!(import_command(&ledger_path, &calibration)
        .status()
        .unwrap()
        .success());
    let full_import = started.elapsed();
    assert_eq!(documents_of_file(&ledger_path, 1), DOCS_PER_FILE as u64);

    let (mut n_nothing, mut n_whole) = (0, 0);
    for kill_idx in 0..n_kills {
        let file_seed = 100 + kill_idx;
        let file = dir.join(format!("docs-{file_seed}.jsonl"));
        write_documents_jsonl(&file, "SZ", DOCS_PER_FILE, LINES_PER_DOC, file_seed).unwrap();
        let status_before = Ledger::open(&ledger_path).unwrap().status().unwrap();

        let mut child = import_command(&ledger_path, &file).spawn().unwrap();
        let delay_us = rng.below(full_import.as_micros() as u64 * 13 / 10 + 1);
        std::thread::sleep(Duration::from_micros(delay_us));
        child.kill().unwrap(); // SIGKILL
        let exit = child.wait().unwrap();

        let ledger = Ledger::open(&ledger_path).unwrap();
        let status_after = ledger.status().unwrap();
        let held = documents_of_file(&ledger_path, file_seed);
        let context = format!("kill {kill_idx} after {delay_us}µs ({exit:?})");
        match held {
            0 => {
                n_nothing += 1;
                assert_eq!(
                    status_after, status_before,
                    "{context}: nothing imported, nothing sent"
                );
            }
            n if n == DOCS_PER_FILE as u64 => {
                n_whole += 1;
                assert_eq!(status_after.last_seq, status_before.last_seq + n, "{context}");
            }
            partial => panic!("{context}: {partial} of {DOCS_PER_FILE} documents imported"),
        }
        assert_outbox_gapless(&ledger_path).unwrap_or_else(|error| panic!("{context}: {error}"));
        assert_stock_matches_documents(&ledger_path).unwrap_or_else(|error| panic!("{context}: {error}"));
        assert_integrity(&ledger_path).unwrap_or_else(|error| panic!("{context}: {error}"));

        // Every other time, finish the job: the retry imports exactly what is missing.
        if kill_idx % 2 == 0 {
            drop(ledger);
            assert!(import_command(&ledger_path, &file).status().unwrap().success());
            assert_eq!(documents_of_file(&ledger_path, file_seed), DOCS_PER_FILE as u64);
            assert_outbox_gapless(&ledger_path).unwrap();
        }
    }
    eprintln!("ledger_kill: {n_nothing} kills left nothing, {n_whole} left the whole file");
}
