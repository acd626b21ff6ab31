//! README, "What is guaranteed": a corrupt ledger file: bytes flipped at many positions, or the file
//! truncated. `branch-node status` and `transfer-agent once` either stop with a clear one-line
//! error (no panic) or, when the damage missed every page in use, behave exactly as with the
//! intact file; HQ never ends up holding anything but what the intact ledger holds.

use branchline_tests::agent::{agent_with, hq_totals, import_documents};
use branchline_tests::hq::{launch_hq, HqStoreKind};
use branchline_tests::ledger::{branch_node, seed_ledger, TestRng};
use branchline_tests::process::{Run, TempDir};

/// Flip positions tried (besides the SQLite header); each costs two short process runs.
const RANDOM_FLIPS: usize = 24;

/// A failed run must be a clean exit with one line on stderr, never a panic (exit code 101).
fn assert_clear_failure(run: &Run, what: &str) {
    assert_ne!(run.status.code(), Some(101), "{what}: panicked\n{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: expected one error line, got {:?}",
        run.stderr
    );
}

/// Damaged copies of a ledger file's `bytes`: (what, content, must be refused). The magic
/// string, page size and application id are checked on open, and a file cut short of its
/// schema cannot be a ledger.
fn damaged_copies(bytes: &[u8]) -> Vec<(String, Vec<u8>, bool)> {
    let mut rng = TestRng::new(7);
    let mut damaged: Vec<(String, Vec<u8>, bool)> = Vec::new();
    for position in [0, 16, 18, 28, 44, 60, 68, 96, 100, 4096, 4100] {
        let mut copy = bytes.to_vec();
        copy[position] ^= 0xff;
        let must_refuse = matches!(position, 0 | 16 | 68);
        damaged.push((format!("flip at byte {position}"), copy, must_refuse));
    }
    for _ in 0..RANDOM_FLIPS {
        let position = rng.below(bytes.len() as u64) as usize;
        let mut copy = bytes.to_vec();
        for offset in 0..8 {
            if let Some(byte) = copy.get_mut(position + offset) {
                *byte ^= 0x5a;
            }
        }
        damaged.push((format!("8 bytes flipped at {position}"), copy, false));
    }
    for length in [
        0,
        50,
        100,
        4096,
        bytes.len() / 2,
        bytes.len() - 4096,
        bytes.len() - 1,
    ] {
        let must_refuse = length <= bytes.len() / 2;
        damaged.push((
            format!("truncated to {length} bytes"),
            bytes[..length].to_vec(),
            must_refuse,
        ));
    }
    damaged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_corrupt_ledger_is_refused_and_never_pushed() {
    let hq = launch_hq(HqStoreKind::Sqlite).await;
    hq.add_org("001", "group").await.unwrap();
    let token = hq.add_branch("SZ", "001").await.unwrap();
    let work = TempDir::new("corrupt-ledger").unwrap();
    let pristine = work.join("pristine.db");
    drop(seed_ledger(&pristine, "SZ").unwrap());
    import_documents(&pristine, work.path(), "SZ", 20, 3).unwrap();
    assert!(
        !work.join("pristine.db-wal").exists()
            || std::fs::metadata(work.join("pristine.db-wal")).unwrap().len() == 0
    );
    let bytes = std::fs::read(&pristine).unwrap();

    // Baseline: an intact copy pushes everything; this is what HQ must keep holding.
    let baseline = work.join("baseline.db");
    std::fs::write(&baseline, &bytes).unwrap();
    agent_with(&baseline, hq.url(), &token, &["once", "--push"])
        .unwrap()
        .expect_ok();
    let held = hq_totals(hq.db_url(), "SZ").await.unwrap();
    assert!(held.documents > 0);

    let damaged = damaged_copies(&bytes);

    let mut n_refused = 0;
    for (case_idx, (what, content, must_refuse)) in damaged.iter().enumerate() {
        let ledger = work.join(format!("case-{case_idx}.db"));
        std::fs::write(&ledger, content).unwrap();
        let status = branch_node(&ledger, &["status", "--format", "json"]).unwrap();
        if !status.success() {
            assert_clear_failure(&status, what);
        }
        let pushed = agent_with(&ledger, hq.url(), &token, &["once", "--push"]).unwrap();
        if pushed.success() {
            // The damage missed everything the push reads: it must have sent only what HQ has.
            assert!(status.success(), "{what}: status failed but the push ran");
        } else {
            assert_clear_failure(&pushed, what);
            n_refused += 1;
        }
        if *must_refuse {
            assert!(!status.success(), "{what}: branch-node status accepted it");
            assert!(!pushed.success(), "{what}: transfer-agent once accepted it");
            assert!(
                pushed.stderr.contains(&ledger.display().to_string()),
                "{what}: the error does not name the ledger: {}",
                pushed.stderr
            );
        }
        let now = hq_totals(hq.db_url(), "SZ").await.unwrap();
        assert_eq!(now, held, "{what}: HQ's holdings changed");
    }
    eprintln!("{n_refused} of {} damaged ledgers refused", damaged.len());
    hq.shutdown().await.unwrap();
}
