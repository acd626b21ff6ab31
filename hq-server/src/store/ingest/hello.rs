//! `Hello`: a branch's contact recorded and HQ's position for the epoch it asks about, the
//! inbox floor raised to what its ledger applied, and HQ found behind the branch audited.

use super::batch::{lock_branch, Backlog, IngestError};
use crate::store::db::query::query;
use crate::store::db::value::{now_text, to_i64};
use crate::store::registry::audit::audit;
use crate::store::registry::branches::BranchRef;
use crate::store::Store;

/// What HQ holds for a branch in the epoch it asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloState {
    pub epoch: u64,
    pub applied_seq: u64,
    pub inbox_last_seq: u64,
    /// HQ's newest epoch for the branch and its high-water mark there.
    pub current_epoch: u64,
    pub current_applied_seq: u64,
}

/// What a branch's Hello says of its ledger and its transfer agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloReport<'a> {
    pub epoch: u64,
    pub backlog: Backlog,
    /// What the ledger records as acknowledged in `epoch`.
    pub acked_seq: u64,
    /// The last inbox entry the ledger applied.
    pub inbox_seq: u64,
    /// The agent's release; `None` when it does not say (an older agent), which keeps the last.
    pub agent_version: Option<&'a str>,
}

/// Records the branch's contact, reported backlog, inbox position and agent release; answers
/// HQ's high-water mark for the epoch (0 for an epoch new to HQ). An epoch older than HQ's
/// newest for the branch is refused. When the ledger reports more acknowledged than HQ holds,
/// HQ was restored from a copy or lost its last commits: the audit log says so, and the agent
/// resends.
pub async fn hello(
    store: &Store,
    branch: &BranchRef,
    report: HelloReport<'_>,
) -> Result<HelloState, IngestError> {
    let HelloReport {
        epoch,
        backlog,
        acked_seq: ledger_acked_seq,
        inbox_seq: ledger_inbox_seq,
        agent_version,
    } = report;
    if epoch == 0 {
        return Err(IngestError::ZeroEpoch);
    }
    let mut tx = store.begin_write().await?;
    let state = lock_branch(&mut tx, store, branch).await?;
    let applied_seq = state.applied_in(branch, epoch)?;
    query(
        "UPDATE branch SET last_contact = $2, backlog = $3, backlog_documents = $4, inbox_seq = $5, \
         agent_version = COALESCE($6, agent_version) WHERE id = $1",
    )
    .bind(branch.id)
    .bind(now_text())
    .bind(to_i64(backlog.entries)?)
    .bind(to_i64(backlog.documents)?)
    .bind(to_i64(ledger_inbox_seq)?)
    .bind(agent_version)
    .execute(&mut *tx)
    .await?;
    crate::store::trade::inbox_queue::raise_inbox_floor(&mut tx, branch.id, ledger_inbox_seq).await?;
    let inbox_last_seq = crate::store::trade::inbox::inbox_last_seq(&mut tx, branch.id).await?;
    if epoch == state.epoch && ledger_acked_seq > applied_seq {
        tracing::warn!(
            branch = %branch.code, epoch, hq_applied_seq = applied_seq, ledger_acked_seq,
            "HQ holds less than the branch had acknowledged; the branch resends"
        );
        let detail = format!(
            "epoch {epoch}: HQ held up to seq {applied_seq} but the ledger had acknowledged {ledger_acked_seq} \
             (HQ restored from a copy or lost its last commits); the branch resends from seq {}",
            applied_seq + 1
        );
        audit(&mut tx, branch.actor(), "hq behind branch: resend", &detail).await?;
    }
    tx.commit().await?;
    Ok(HelloState {
        epoch,
        applied_seq,
        inbox_last_seq,
        current_epoch: state.epoch,
        current_applied_seq: state.last_seq,
    })
}
