//! The deploy scripts find the binaries where cargo put them: `deploy/bin-dir.sh` (which
//! `demo.sh` runs) follows `CARGO_TARGET_DIR` and the workspace's own `target/` otherwise.

use branchline_tests::process::{run_command, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

fn bin_dir(target_dir: Option<&Path>) -> anyhow::Result<String> {
    let root = workspace_root();
    let mut command = Command::new("bash");
    command.arg(root.join("deploy/bin-dir.sh")).current_dir(&root);
    match target_dir {
        Some(dir) => command.env("CARGO_TARGET_DIR", dir),
        None => command.env_remove("CARGO_TARGET_DIR"),
    };
    Ok(run_command(&mut command)?.expect_ok().last_line().to_owned())
}

#[test]
fn demo_finds_the_binaries_where_cargo_puts_them() -> anyhow::Result<()> {
    let elsewhere = TempDir::new("deploy-target")?;
    assert_eq!(
        bin_dir(Some(elsewhere.path()))?,
        elsewhere.join("debug").display().to_string()
    );
    let default = bin_dir(None)?;
    assert!(default.ends_with("/debug"), "{default}");
    for script in ["deploy/demo.sh", "deploy/check-demo.sh"] {
        let text = std::fs::read_to_string(workspace_root().join(script))?;
        assert!(
            !text.contains("target/debug"),
            "{script} still assumes target/debug"
        );
    }
    assert!(std::fs::read_to_string(workspace_root().join("deploy/demo.sh"))?.contains("deploy/bin-dir.sh"));
    Ok(())
}
