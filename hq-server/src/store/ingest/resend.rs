//! Resends: entries a branch sends again at or below HQ's high-water mark are duplicates when
//! they equal what HQ holds, and a conflict otherwise (a ledger restored from an old backup) —
//! refused, counted in the branch's status and audited.

use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text, to_i64};
use crate::store::registry::audit::audit;
use crate::store::registry::branches::BranchRef;
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// The first of `held` (sequence number and content hash, in order) whose content differs from
/// what HQ holds in `epoch`; `None` when every one is a duplicate.
pub(super) async fn first_conflict(
    connection: &mut Conn,
    branch: &BranchRef,
    epoch: u64,
    held: &[(u64, &str)],
) -> Result<Option<u64>, DbError> {
    let (Some(first), Some(last)) = (held.first(), held.last()) else {
        return Ok(None);
    };
    let rows = query(
        "SELECT seq, content_hash FROM entry WHERE branch_id = $1 AND epoch = $2 AND seq >= $3 AND seq <= $4",
    )
    .bind(branch.id)
    .bind(to_i64(epoch)?)
    .bind(to_i64(first.0)?)
    .bind(to_i64(last.0)?)
    .fetch_all(connection)
    .await?;
    let mut stored = HashMap::with_capacity(rows.len());
    for row in rows {
        stored.insert(get_u64(&row, 0)?, row.try_get::<String, _>(1)?);
    }
    let conflict = held
        .iter()
        .find(|(seq, hash)| stored.get(seq).map(String::as_str) != Some(*hash));
    Ok(conflict.map(|(seq, _)| *seq))
}

/// Counts a refused conflicting resend in the branch's status and audits it, in a transaction
/// of its own (the batch's was rolled back).
pub(super) async fn record_conflict(
    store: &Store,
    branch: &BranchRef,
    epoch: u64,
    seq: u64,
) -> Result<(), StoreError> {
    tracing::error!(branch = %branch.code, epoch, seq, "conflicting resend refused");
    let mut tx = store.begin_write().await?;
    query(
        "UPDATE branch SET conflicts = conflicts + 1, last_contact = $2, last_conflict_at = $2 \
         WHERE id = $1",
    )
    .bind(branch.id)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    let detail = format!("epoch {epoch} seq {seq}: resent with different content");
    audit(&mut tx, branch.actor(), "refused: conflicting resend", &detail).await?;
    tx.commit().await?;
    Ok(())
}
