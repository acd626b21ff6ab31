//! Hello, and the check every push, pull and reconcile makes right after it: HQ must answer for
//! the ledger's own branch. A token of another branch stops the run before anything is sent,
//! pulled or compared, so nothing of one branch is filed as another's.

use crate::client::{ClientError, Hq};
use branch_node::LedgerStatus;
use branchline_proto::v1::{HelloRequest, HelloResponse};
use branchline_proto::PROTOCOL_VERSION;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum GreetingError {
    #[error(transparent)]
    Hq(#[from] ClientError),
    #[error(
        "ledger {} is branch {ledger_branch}'s but HQ knows this token as branch {hq_branch}'s; \
         nothing was sent or applied",
        ledger.display()
    )]
    WrongBranch {
        ledger: PathBuf,
        ledger_branch: String,
        hq_branch: String,
    },
    #[error("ledger {} is branch {ledger_branch}'s and HQ denied it: {message}; nothing was sent or applied", ledger.display())]
    Denied {
        ledger: PathBuf,
        ledger_branch: String,
        message: String,
    },
}

impl GreetingError {
    /// HQ down or slow, worth a quiet retry; a wrong branch never is.
    pub fn is_transient(&self) -> bool {
        matches!(self, GreetingError::Hq(error) if error.is_transient())
    }
}

/// This agent's release, as Hello reports it to HQ (shown in `hq-server admin status`).
pub const AGENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Introduces the ledger to HQ (also how HQ learns the branch's backlog and the agent's release).
pub async fn hello(hq: &Hq, status: &LedgerStatus) -> Result<HelloResponse, ClientError> {
    let mut client = hq.client.clone();
    let request = HelloRequest {
        protocol_version: PROTOCOL_VERSION,
        epoch: status.epoch,
        last_seq: status.last_seq,
        backlog: status.backlog,
        inbox_seq: status.inbox_seq,
        branch: status.branch.clone(),
        acked_seq: status.acked_seq,
        agent_version: AGENT_VERSION.to_owned(),
        backlog_documents: status.backlog_documents,
    };
    hq.unary("hello", client.hello(request)).await
}

/// Says Hello for the ledger at `ledger` and checks that HQ answers for its branch.
pub async fn greet(hq: &Hq, ledger: &Path, status: &LedgerStatus) -> Result<HelloResponse, GreetingError> {
    let greeting = hello(hq, status).await.map_err(|error| match error {
        ClientError::PermissionDenied { message, .. } => GreetingError::Denied {
            ledger: ledger.to_owned(),
            ledger_branch: status.branch.clone(),
            message,
        },
        error => GreetingError::Hq(error),
    })?;
    check_hq_branch(ledger, status, &greeting)?;
    Ok(greeting)
}

/// The branch HQ names for the token must be the ledger's own.
pub fn check_hq_branch(
    ledger: &Path,
    status: &LedgerStatus,
    greeting: &HelloResponse,
) -> Result<(), GreetingError> {
    if greeting.branch == status.branch {
        return Ok(());
    }
    Err(GreetingError::WrongBranch {
        ledger: ledger.to_owned(),
        ledger_branch: status.branch.clone(),
        hq_branch: greeting.branch.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_branchs_answer_names_both_branches_and_the_ledger() {
        let status = LedgerStatus {
            branch: "SZ".into(),
            epoch: 1,
            last_seq: 0,
            acked_seq: 0,
            backlog: 0,
            backlog_documents: 0,
            inbox_seq: 0,
            hq_rewind: None,
            hold: None,
        };
        let mut greeting = HelloResponse {
            branch: "SZ".into(),
            ..HelloResponse::default()
        };
        check_hq_branch(Path::new("sz.db"), &status, &greeting).expect("own branch");
        greeting.branch = "GZ".into();
        let refused = check_hq_branch(Path::new("sz.db"), &status, &greeting).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "ledger sz.db is branch SZ's but HQ knows this token as branch GZ's; nothing was sent or applied"
        );
        assert!(!refused.is_transient());
    }
}
