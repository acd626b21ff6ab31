//! The inbox HQ keeps per branch (docs/guarantees.md): ordered entries the branch pulls after a position.
//! What fills it (templates, routed documents) is `inbox_queue`; this is the pull path.

use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text, to_i64};
use crate::store::registry::branches::BranchRef;
use crate::store::{Store, StoreError};
use branchline_shared::{InboxBody, InboxEntry};

/// A page of the inbox after a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    pub entries: Vec<InboxEntry>,
    /// The last entry in the inbox, so the caller knows whether to pull again.
    pub last_seq: u64,
}

/// How much one pull returns: at most `max_entries` entries and, past the first entry, at most
/// `max_bytes` bytes of entry bodies, so a page stays within a message however large its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageBound {
    pub max_entries: u32,
    pub max_bytes: usize,
}

/// Entries with seq > `after_seq` within `bound`; records `after_seq` as the branch's
/// acknowledged inbox position.
pub async fn pull(
    store: &Store,
    branch: &BranchRef,
    after_seq: u64,
    bound: PageBound,
) -> Result<InboxPage, StoreError> {
    let mut tx = store.begin_write().await?;
    query("UPDATE branch SET inbox_seq = $2, last_contact = $3 WHERE id = $1")
        .bind(branch.id)
        .bind(to_i64(after_seq)?)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    super::inbox_queue::raise_inbox_floor(&mut tx, branch.id, after_seq).await?;
    let entries = read_page(&mut tx, branch.id, after_seq, bound).await?;
    if let Some(last) = entries.last() {
        super::inbox_queue::mark_offered(&mut tx, branch.id, after_seq, last.seq).await?;
    }
    let last_seq = inbox_last_seq(&mut tx, branch.id).await?;
    tx.commit().await?;
    Ok(InboxPage { entries, last_seq })
}

/// Reads entries in seq order, row by row, until the page is full by count or by bytes.
async fn read_page(
    connection: &mut Conn,
    branch_id: i64,
    after_seq: u64,
    bound: PageBound,
) -> Result<Vec<InboxEntry>, StoreError> {
    let rows = query("SELECT seq, body FROM inbox WHERE branch_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .bind(branch_id)
        .bind(to_i64(after_seq)?)
        .bind(i64::from(bound.max_entries))
        .fetch_all(connection)
        .await?;
    let mut entries = Vec::new();
    let mut page_bytes = 0usize;
    for row in rows {
        let body: String = row.try_get(1)?;
        if !entries.is_empty() && page_bytes + body.len() > bound.max_bytes {
            break;
        }
        page_bytes += body.len();
        let body: InboxBody = serde_json::from_str(&body).map_err(|error| StoreError::CorruptValue {
            what: "inbox entry",
            reason: error.to_string(),
        })?;
        entries.push(InboxEntry {
            seq: get_u64(&row, 0)?,
            body,
        });
    }
    Ok(entries)
}

/// The last entry in a branch's inbox (0 when empty).
pub(crate) async fn inbox_last_seq(connection: &mut Conn, branch_id: i64) -> Result<u64, DbError> {
    let row = query("SELECT COALESCE(MAX(seq), 0) FROM inbox WHERE branch_id = $1")
        .bind(branch_id)
        .fetch_one(connection)
        .await?;
    get_u64(&row, 0)
}
