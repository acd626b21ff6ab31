//! The agent's own state for `status`: last success and last error per task, kept in a small
//! JSON file next to the ledger (`<ledger>.agent.json`), replaced atomically (temp + rename).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read agent state {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("agent state {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot write agent state {path}: {source}")]
    Unwritable { path: PathBuf, source: std::io::Error },
}

/// What the agent remembers of one task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    /// RFC 3339 time of the last run that succeeded.
    pub last_success: Option<String>,
    /// Summary of that run (entries pushed, inbox entries applied, files imported).
    pub last_success_summary: Option<String>,
    /// RFC 3339 time and one-line reason of the last failure.
    pub last_error_at: Option<String>,
    pub last_error: Option<String>,
    /// Runs since the agent state was created, successful or not.
    pub runs: u64,
    /// Failures since the last success.
    pub consecutive_failures: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentState {
    pub tasks: BTreeMap<String, TaskState>,
}

/// The state file that belongs to `ledger` (`<ledger>.agent.json`, which the workbench reads too).
pub fn state_path(ledger: &Path) -> PathBuf {
    branch_node::agent_files::agent_state_path(ledger)
}

impl AgentState {
    /// Reads the state; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<AgentState, StateError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(AgentState::default()),
            Err(source) => {
                return Err(StateError::Unreadable {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        serde_json::from_slice(&bytes).map_err(|error| StateError::Corrupt {
            path: path.to_owned(),
            reason: error.to_string(),
        })
    }

    /// Writes the whole state to a temp file beside `path`, syncs it, then renames it over.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let unwritable = |source| StateError::Unwritable {
            path: path.to_owned(),
            source,
        };
        let mut temp_name = path.file_name().unwrap_or_default().to_os_string();
        temp_name.push(format!(".tmp{}", std::process::id()));
        let temp_path = path.with_file_name(temp_name);
        let bytes = serde_json::to_vec_pretty(self).expect("agent state always serializes");
        let mut file = std::fs::File::create(&temp_path).map_err(unwritable)?;
        file.write_all(&bytes).map_err(unwritable)?;
        file.sync_all().map_err(unwritable)?;
        drop(file);
        std::fs::rename(&temp_path, path).map_err(unwritable)
    }
}

/// Applies `change` to the task's state in the file (read, modify, atomic write). Several agent
/// processes may share a ledger; the last writer wins per file, which is fine for a status view.
pub fn update_task(path: &Path, task: &str, change: impl FnOnce(&mut TaskState)) -> Result<(), StateError> {
    // Tasks of one process update the file one at a time.
    static IN_PROCESS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = IN_PROCESS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut state = AgentState::load(path)?;
    change(state.tasks.entry(task.to_owned()).or_default());
    state.save(path)
}

/// Records a successful run of `task`.
pub fn record_success(path: &Path, task: &str, summary: &str) -> Result<(), StateError> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    update_task(path, task, |state| {
        state.runs += 1;
        state.consecutive_failures = 0;
        state.last_success = Some(now);
        state.last_success_summary = Some(summary.to_owned());
    })
}

/// Records a failed run of `task` with its one-line reason.
pub fn record_failure(path: &Path, task: &str, reason: &str) -> Result<(), StateError> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    update_task(path, task, |state| {
        state.runs += 1;
        state.consecutive_failures += 1;
        state.last_error_at = Some(now);
        state.last_error = Some(reason.to_owned());
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("sz.db");
        let path = state_path(&ledger);
        assert!(path.ends_with("sz.db.agent.json"));
        assert_eq!(AgentState::load(&path).unwrap(), AgentState::default());
        record_failure(&path, "push", "hq unreachable").unwrap();
        record_success(&path, "push", "pushed 3 entries").unwrap();
        let state = AgentState::load(&path).unwrap();
        let task = &state.tasks["push"];
        assert_eq!(task.runs, 2);
        assert_eq!(task.consecutive_failures, 0);
        assert_eq!(task.last_error.as_deref(), Some("hq unreachable"));
        std::fs::write(&path, "{").unwrap();
        assert!(AgentState::load(&path)
            .unwrap_err()
            .to_string()
            .contains("corrupt"));
    }
}
