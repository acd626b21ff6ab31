//! A ledger file the operator may only read: read commands work on it, and a write is refused
//! naming the file and saying it is read-only, changing nothing.

use branchline_tests::ledger::{seed_ledger, snapshot};
use branchline_tests::process::{command, run_command, Run, TempDir};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;

/// The unprivileged user the binary runs as when the test runs as root (for whom file modes
/// do not stop writes).
const NOBODY: u32 = 65534;

fn branch_node_unprivileged(ledger: &Path, args: &[&str]) -> Run {
    let mut all_args = vec!["--ledger", ledger.to_str().unwrap()];
    all_args.extend_from_slice(args);
    let mut command = command("branch-node", all_args);
    if running_as_root() {
        command.uid(NOBODY).gid(NOBODY);
    }
    run_command(&mut command).unwrap()
}

/// Whether this test process runs as root: `/proc/self` belongs to the process's user.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

#[test]
fn a_read_only_ledger_answers_reads_and_names_itself_on_a_write() {
    read_only_case(0o777);
}

#[test]
fn a_ledger_in_a_read_only_folder_answers_reads_and_names_itself_on_a_write() {
    read_only_case(0o555);
}

/// A read-only ledger file in a folder with `folder_mode`.
fn read_only_case(folder_mode: u32) {
    let dir = TempDir::new("ledger-read-only").unwrap();
    let ledger = dir.join("sz.db");
    drop(seed_ledger(&ledger, "SZ").unwrap());
    let opening = [
        "doc",
        "add",
        "--type",
        "opening",
        "--number",
        "SZ-1",
        "--warehouse",
        "SZ-W",
        "--line",
        "P0001:5@1",
    ];
    branchline_tests::ledger::branch_node(&ledger, &opening)
        .unwrap()
        .expect_ok();
    std::fs::set_permissions(&ledger, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(folder_mode)).unwrap();
    let before = snapshot(&ledger).unwrap();

    for read in [
        &["stock"][..],
        &["doc", "list"],
        &["status"],
        &["doc", "show", "SZ-1"],
    ] {
        let run = branch_node_unprivileged(&ledger, read);
        assert!(run.success(), "{read:?} on a read-only ledger: {}", run.stderr);
    }
    let shown = branch_node_unprivileged(&ledger, &["doc", "show", "SZ-1"]);
    assert!(shown.stdout.contains("SZ-1"), "{}", shown.stdout);

    let write = [
        "doc",
        "add",
        "--type",
        "opening",
        "--warehouse",
        "SZ-W",
        "--line",
        "P0001:1@1",
    ];
    let run = branch_node_unprivileged(&ledger, &write).expect_err();
    let stderr = run.stderr.trim_end();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&ledger.display().to_string()) && stderr.contains("read-only"),
        "{stderr}"
    );
    assert_eq!(snapshot(&ledger).unwrap(), before);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}
