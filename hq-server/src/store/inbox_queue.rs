//! Filling a branch's inbox at HQ (docs/guarantees.md): templates and routed documents are appended in
//! order, inside the caller's transaction, with the next sequence number of that inbox.

use super::{get_u64, to_i64};
use branchline_shared::InboxBody;
use sqlx::AnyConnection;

/// Appends `body` to the inbox of `branch_id`; returns its sequence number, above both the
/// inbox's last entry and the branch's floor (the highest seq its ledger reported applied: after
/// HQ is restored from a copy the inbox may end below it). Two writers racing
/// for the same number (replicas on one PostgreSQL database) do not fail: the second one's
/// insert waits for the first to commit, inserts nothing, and takes the next number. A number
/// is therefore only taken once every lower number is committed, so a branch that has pulled
/// up to `n` never finds an entry below `n` appear later.
pub(crate) async fn append_inbox(
    connection: &mut AnyConnection,
    branch_id: i64,
    body: &InboxBody,
    now: &str,
) -> Result<u64, sqlx::Error> {
    let body = serde_json::to_string(body).expect("inbox entries always serialize");
    loop {
        let last = get_u64(
            &sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM inbox WHERE branch_id = $1")
                .bind(branch_id)
                .fetch_one(&mut *connection)
                .await?,
            0,
        )?;
        let seq = last.max(inbox_floor(connection, branch_id).await?) + 1;
        let inserted = sqlx::query(
            "INSERT INTO inbox (branch_id, seq, body, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (branch_id, seq) DO NOTHING",
        )
        .bind(branch_id)
        .bind(to_i64(seq))
        .bind(&body)
        .bind(now)
        .execute(&mut *connection)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(seq);
        }
    }
}

/// The highest inbox seq the branch's ledger has reported applied.
async fn inbox_floor(connection: &mut AnyConnection, branch_id: i64) -> Result<u64, sqlx::Error> {
    let row = sqlx::query("SELECT inbox_floor FROM branch WHERE id = $1")
        .bind(branch_id)
        .fetch_one(connection)
        .await?;
    get_u64(&row, 0)
}

/// Raises the branch's floor to `applied_seq`, what its ledger reports applied (never lowers it).
pub(crate) async fn raise_inbox_floor(
    connection: &mut AnyConnection,
    branch_id: i64,
    applied_seq: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE branch SET inbox_floor = $2 WHERE id = $1 AND inbox_floor < $2")
        .bind(branch_id)
        .bind(to_i64(applied_seq))
        .execute(connection)
        .await?;
    Ok(())
}
