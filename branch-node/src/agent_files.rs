//! The files beside a ledger that the transfer agent and the workbench share: the agent's state
//! (`<ledger>.agent.json`, written by the agent, read by `transfer-agent status` and the
//! workbench) and the send-now request (`<ledger>.send-now`, written by the workbench's button,
//! taken by a running agent, which then runs its tasks at once).

use std::path::{Path, PathBuf};

fn beside(ledger: &Path, suffix: &str) -> PathBuf {
    let mut name = ledger.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    ledger.with_file_name(name)
}

/// The transfer agent's state file of `ledger`.
pub fn agent_state_path(ledger: &Path) -> PathBuf {
    beside(ledger, ".agent.json")
}

/// The send-now request file of `ledger`.
pub fn send_now_path(ledger: &Path) -> PathBuf {
    beside(ledger, ".send-now")
}
