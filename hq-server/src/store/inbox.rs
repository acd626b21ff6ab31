//! The inbox HQ keeps per branch (SPEC 5.4): ordered entries the branch pulls after a position.
//! What fills it (templates, routed documents) is issue 5; this is the pull path.

use super::registry::BranchRef;
use super::{get_u64, now_text, to_i64, Store, StoreError};
use branchline_shared::{InboxBody, InboxEntry};
use sqlx::{AnyConnection, Row};

/// A page of the inbox after a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    pub entries: Vec<InboxEntry>,
    /// The last entry in the inbox, so the caller knows whether to pull again.
    pub last_seq: u64,
}

/// Entries with seq > `after_seq`, at most `max_entries`; records `after_seq` as the branch's
/// acknowledged inbox position.
pub async fn pull(
    store: &Store,
    branch: &BranchRef,
    after_seq: u64,
    max_entries: u32,
) -> Result<InboxPage, StoreError> {
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE branch SET inbox_seq = $2, last_contact = $3 WHERE id = $1")
        .bind(branch.id)
        .bind(to_i64(after_seq))
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    super::inbox_queue::raise_inbox_floor(&mut tx, branch.id, after_seq).await?;
    let rows =
        sqlx::query("SELECT seq, body FROM inbox WHERE branch_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
            .bind(branch.id)
            .bind(to_i64(after_seq))
            .bind(i64::from(max_entries))
            .fetch_all(&mut *tx)
            .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let body: String = row.try_get(1)?;
        let body: InboxBody = serde_json::from_str(&body).map_err(|error| StoreError::CorruptValue {
            what: "inbox entry",
            reason: error.to_string(),
        })?;
        entries.push(InboxEntry {
            seq: get_u64(&row, 0)?,
            body,
        });
    }
    let last_seq = inbox_last_seq(&mut tx, branch.id).await?;
    tx.commit().await?;
    Ok(InboxPage { entries, last_seq })
}

/// The last entry in a branch's inbox (0 when empty).
pub(crate) async fn inbox_last_seq(
    connection: &mut AnyConnection,
    branch_id: i64,
) -> Result<u64, sqlx::Error> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM inbox WHERE branch_id = $1")
        .bind(branch_id)
        .fetch_one(connection)
        .await?;
    get_u64(&row, 0)
}
