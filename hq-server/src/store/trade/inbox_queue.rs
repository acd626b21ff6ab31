//! Filling a branch's inbox at HQ (docs/guarantees.md): templates and routed documents are appended in
//! order, inside the caller's transaction, with the next sequence number of that inbox.

use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, to_i64};
use branchline_shared::InboxBody;

/// Appends `body` to the inbox of `branch_id`; returns its sequence number, above both the
/// inbox's last entry and the branch's floor (the highest seq its ledger reported applied: after
/// HQ is restored from a copy the inbox may end below it). Two writers racing
/// for the same number (replicas on one PostgreSQL database) do not fail: the second one's
/// insert waits for the first to commit, inserts nothing, and takes the next number. A number
/// is therefore only taken once every lower number is committed, so a branch that has pulled
/// up to `n` never finds an entry below `n` appear later.
pub(crate) async fn append_inbox(
    connection: &mut Conn,
    branch_id: i64,
    body: &InboxBody,
    now: &str,
) -> Result<u64, DbError> {
    let body = serde_json::to_string(body).expect("inbox entries always serialize");
    append_inbox_json(connection, branch_id, &body, now).await
}

/// `append_inbox` of a body already serialized; the entry is not yet offered to the branch.
async fn append_inbox_json(
    connection: &mut Conn,
    branch_id: i64,
    body: &str,
    created_at: &str,
) -> Result<u64, DbError> {
    loop {
        let last = get_u64(
            &query("SELECT COALESCE(MAX(seq), 0) FROM inbox WHERE branch_id = $1")
                .bind(branch_id)
                .fetch_one(&mut *connection)
                .await?,
            0,
        )?;
        let seq = last.max(inbox_floor(connection, branch_id).await?) + 1;
        let inserted = query(
            "INSERT INTO inbox (branch_id, seq, body, created_at, offered) VALUES ($1, $2, $3, $4, 0) \
             ON CONFLICT (branch_id, seq) DO NOTHING",
        )
        .bind(branch_id)
        .bind(to_i64(seq)?)
        .bind(body)
        .bind(created_at)
        .execute(&mut *connection)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(seq);
        }
    }
}

/// Records that a pull handed the branch its entries in `(after_seq, last_seq]`.
pub(crate) async fn mark_offered(
    connection: &mut Conn,
    branch_id: i64,
    after_seq: u64,
    last_seq: u64,
) -> Result<(), DbError> {
    query("UPDATE inbox SET offered = 1 WHERE branch_id = $1 AND seq > $2 AND seq <= $3 AND offered = 0")
        .bind(branch_id)
        .bind(to_i64(after_seq)?)
        .bind(to_i64(last_seq)?)
        .execute(connection)
        .await?;
    Ok(())
}

/// The highest inbox seq the branch's ledger has reported applied.
async fn inbox_floor(connection: &mut Conn, branch_id: i64) -> Result<u64, DbError> {
    let row = query("SELECT inbox_floor FROM branch WHERE id = $1")
        .bind(branch_id)
        .fetch_one(connection)
        .await?;
    get_u64(&row, 0)
}

/// Raises the branch's floor to `applied_seq`, what its ledger reports applied (never lowers it),
/// and moves every entry numbered at or below it that no pull has offered yet above it, in order:
/// after HQ is restored from a copy, entries appended before the branch reported would otherwise
/// take numbers the ledger has already applied, and be skipped. An entry never offered cannot
/// have been applied, so moving it loses and doubles nothing (one offered before the copy was
/// taken but after it may arrive again, which the ledger recognises: a routed draft by its link,
/// a template by its version).
pub(crate) async fn raise_inbox_floor(
    connection: &mut Conn,
    branch_id: i64,
    applied_seq: u64,
) -> Result<(), DbError> {
    query("UPDATE branch SET inbox_floor = $2 WHERE id = $1 AND inbox_floor < $2")
        .bind(branch_id)
        .bind(to_i64(applied_seq)?)
        .execute(&mut *connection)
        .await?;
    let unoffered = query(
        "SELECT seq, body, created_at FROM inbox WHERE branch_id = $1 AND seq <= $2 AND offered = 0 ORDER BY seq",
    )
    .bind(branch_id)
    .bind(to_i64(applied_seq)?)
    .fetch_all(&mut *connection)
    .await?;
    for row in unoffered {
        let (seq, body, created_at): (i64, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        query("DELETE FROM inbox WHERE branch_id = $1 AND seq = $2")
            .bind(branch_id)
            .bind(seq)
            .execute(&mut *connection)
            .await?;
        let moved_to = append_inbox_json(connection, branch_id, &body, &created_at).await?;
        // What names the entry by its number follows it: the trade register, template rollout.
        for table in ["routed", "template_delivery"] {
            let branch_column = if table == "routed" {
                "target_branch_id"
            } else {
                "branch_id"
            };
            query(&format!(
                "UPDATE {table} SET inbox_seq = $3 WHERE {branch_column} = $1 AND inbox_seq = $2"
            ))
            .bind(branch_id)
            .bind(seq)
            .bind(to_i64(moved_to)?)
            .execute(&mut *connection)
            .await?;
        }
        tracing::warn!(
            branch_id,
            from_seq = seq,
            to_seq = moved_to,
            "inbox entry renumbered above what the ledger applied"
        );
    }
    Ok(())
}
