//! `transfer-agent status`: the ledger's positions and backlog (entries and documents) with
//! the last success and last error of each task, as a table or one JSON document.

use crate::ledger_access::open_lean;
use crate::state::{state_path, AgentState, StateError, TaskState};
use branch_node::{LedgerError, LedgerStatus};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("ledger {ledger}: {source}")]
    Ledger {
        ledger: PathBuf,
        source: Box<LedgerError>,
    },
    #[error(transparent)]
    State(#[from] StateError),
}

/// The ledger's positions (flattened into the JSON) and the agent's per-task state.
#[derive(Debug, Clone, Serialize)]
pub struct AgentStatus {
    pub ledger: String,
    #[serde(flatten)]
    pub positions: LedgerStatus,
    pub tasks: BTreeMap<String, TaskState>,
}

pub fn read_status(ledger_path: &Path) -> Result<AgentStatus, StatusError> {
    let ledger_error = |source| StatusError::Ledger {
        ledger: ledger_path.to_owned(),
        source: Box::new(source),
    };
    let ledger = open_lean(ledger_path).map_err(|source| StatusError::Ledger {
        ledger: ledger_path.to_owned(),
        source,
    })?;
    let positions = ledger.status().map_err(ledger_error)?;
    let state = AgentState::load(&state_path(ledger_path))?;
    Ok(AgentStatus {
        ledger: ledger_path.display().to_string(),
        positions,
        tasks: state.tasks,
    })
}

pub fn render_json(status: &AgentStatus) -> String {
    serde_json::to_string(status).expect("status always serializes")
}

pub fn render_table(status: &AgentStatus) -> String {
    let mut out = String::new();
    let positions = &status.positions;
    let rows = [
        ("ledger", status.ledger.clone()),
        ("branch", positions.branch.clone()),
        ("epoch", positions.epoch.to_string()),
        ("last seq", positions.last_seq.to_string()),
        ("acknowledged seq", positions.acked_seq.to_string()),
        (
            "backlog",
            format!(
                "{} entries ({} documents)",
                positions.backlog, positions.backlog_documents
            ),
        ),
        ("inbox position", positions.inbox_seq.to_string()),
    ];
    for (label, value) in rows {
        out.push_str(&format!("{label:<18} {value}\n"));
    }
    for note in branch_node::status_notes(positions.hq_rewind.as_ref(), positions.hold.as_ref()) {
        out.push_str(&format!("{note}\n"));
    }
    if status.tasks.is_empty() {
        out.push_str("tasks              none has run yet\n");
        return out;
    }
    out.push_str(&format!(
        "\n{:<20} {:>6} {:<22} {:<22} {}\n",
        "task", "runs", "last success", "last error at", "last error"
    ));
    let dash = "-".to_owned();
    for (name, task) in &status.tasks {
        out.push_str(&format!(
            "{:<20} {:>6} {:<22} {:<22} {}\n",
            name,
            task.runs,
            task.last_success.as_ref().unwrap_or(&dash),
            task.last_error_at.as_ref().unwrap_or(&dash),
            task.last_error.as_ref().unwrap_or(&dash),
        ));
    }
    out
}
