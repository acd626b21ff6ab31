//! `Hello`: a branch's contact recorded and HQ's position for the epoch it asks about, the
//! inbox floor raised to what its ledger applied, and HQ found behind the branch audited.

use super::batch::{lock_branch, IngestError};
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

/// Records the branch's contact and reported backlog; answers HQ's high-water mark for `epoch`
/// (0 for an epoch new to HQ). An epoch older than HQ's newest for the branch is refused.
/// When the ledger reports more acknowledged (`ledger_acked_seq`) than HQ holds, HQ was
/// restored from a copy or lost its last commits: the audit log says so, and the agent resends.
pub async fn hello(
    store: &Store,
    branch: &BranchRef,
    epoch: u64,
    backlog: u64,
    ledger_acked_seq: u64,
    ledger_inbox_seq: u64,
) -> Result<HelloState, IngestError> {
    if epoch == 0 {
        return Err(IngestError::ZeroEpoch);
    }
    let mut tx = store.begin_write().await?;
    let state = lock_branch(&mut tx, store, branch).await?;
    let applied_seq = state.applied_in(branch, epoch)?;
    query("UPDATE branch SET last_contact = $2, backlog = $3 WHERE id = $1")
        .bind(branch.id)
        .bind(now_text())
        .bind(to_i64(backlog)?)
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
