//! The register of routed trades (table `routed`): a trade entered at both ends, a routing HQ
//! had to quarantine, a receiver's rejection, and the list
//! `hq-server admin trade list` shows. Placement itself is `routing`.

use super::counterpart::{mirror_type, Counterpart, RouteResult};
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::to_i64;
use crate::store::registry::audit::audit;
use crate::store::registry::branches::BranchRef;
use crate::store::{Store, StoreError};
use branchline_shared::{DocLink, DocRejection, DocType, Document, EntryBody};

/// A document linked to the other end's document: the trade was entered at both ends (or the
/// receiver confirmed the draft HQ routed). Never routed back; HQ notes the second end.
#[allow(clippy::too_many_arguments)]
pub(super) async fn record_second_end(
    connection: &mut Conn,
    counterparts: &[Counterpart],
    sender: &BranchRef,
    epoch: u64,
    seq: u64,
    document: &Document,
    link: &DocLink,
    now: &str,
) -> Result<RouteResult, DbError> {
    let Some(origin) = counterparts
        .iter()
        .find(|counterpart| counterpart.code == link.branch)
    else {
        let reason = format!(
            "document {} is linked to {} {} but branch {} is not registered",
            document.number, link.branch, link.number, link.branch
        );
        let routed_type = mirror_type(document.doc_type);
        return quarantine_routing(
            connection,
            sender,
            epoch,
            seq,
            document,
            None,
            routed_type,
            reason,
            now,
        )
        .await;
    };
    query(
        "UPDATE routed SET state = 'confirmed', target_number = $4, updated_at = $5 \
         WHERE source_branch_id = $1 AND source_number = $2 AND target_branch_id = $3 AND state IN ('queued', 'linked')",
    )
    .bind(origin.id)
    .bind(&link.number)
    .bind(sender.id)
    .bind(&document.number)
    .bind(now)
    .execute(&mut *connection)
    .await?;
    Ok(RouteResult::Linked)
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn upsert_routed(
    connection: &mut Conn,
    sender: &BranchRef,
    document: &Document,
    target_branch_id: Option<i64>,
    routed_type: DocType,
    state: &str,
    inbox_seq: Option<u64>,
    target_number: Option<&str>,
    reason: &str,
    now: &str,
) -> Result<(), DbError> {
    query(
        "INSERT INTO routed (source_branch_id, source_number, target_branch_id, doc_type, state, inbox_seq, \
                             target_number, reason, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (source_branch_id, source_number) DO UPDATE SET target_branch_id = excluded.target_branch_id, \
             doc_type = excluded.doc_type, state = excluded.state, inbox_seq = excluded.inbox_seq, \
             target_number = excluded.target_number, reason = excluded.reason, updated_at = excluded.updated_at",
    )
    .bind(sender.id)
    .bind(&document.number)
    .bind(target_branch_id)
    .bind(routed_type.as_str())
    .bind(state)
    .bind(inbox_seq.map(to_i64).transpose()?)
    .bind(target_number)
    .bind(reason)
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// Stores the routing of `document` in quarantine (kind `routing`, under the sender's entry)
/// and notes it in `routed`; the document itself stays applied at HQ.
#[allow(clippy::too_many_arguments)]
pub(super) async fn quarantine_routing(
    connection: &mut Conn,
    sender: &BranchRef,
    epoch: u64,
    seq: u64,
    document: &Document,
    receiver: Option<&Counterpart>,
    routed_type: DocType,
    reason: String,
    now: &str,
) -> Result<RouteResult, DbError> {
    let summary = match receiver {
        Some(receiver) => format!(
            "routing of document {} ({}) to {}",
            document.number, document.doc_type, receiver.code
        ),
        None => format!("routing of document {} ({})", document.number, document.doc_type),
    };
    query(
        "INSERT INTO quarantine (branch_id, epoch, seq, reason, summary, body, created_at, kind) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'routing') \
         ON CONFLICT (branch_id, epoch, seq) DO UPDATE SET reason = excluded.reason, summary = excluded.summary, \
             body = excluded.body, kind = excluded.kind, resolved_at = NULL",
    )
    .bind(sender.id)
    .bind(to_i64(epoch)?)
    .bind(to_i64(seq)?)
    .bind(&reason)
    .bind(summary)
    .bind(EntryBody::Document(document.clone()).to_json())
    .bind(now)
    .execute(&mut *connection)
    .await?;
    upsert_routed(
        connection,
        sender,
        document,
        receiver.map(|receiver| receiver.id),
        routed_type,
        "quarantined",
        None,
        None,
        &reason,
        now,
    )
    .await?;
    Ok(RouteResult::Quarantined { reason })
}

/// The receiver refused a routed draft: HQ shows it in `trade list` and the audit log.
pub(super) async fn record_rejection(
    connection: &mut Conn,
    counterparts: &[Counterpart],
    sender: &BranchRef,
    rejection: &DocRejection,
    now: &str,
) -> Result<(), DbError> {
    if let Some(origin) = counterparts
        .iter()
        .find(|counterpart| counterpart.code == rejection.link.branch)
    {
        query(
            "UPDATE routed SET state = 'rejected', target_number = $4, reason = $5, updated_at = $6 \
             WHERE source_branch_id = $1 AND source_number = $2 AND target_branch_id = $3",
        )
        .bind(origin.id)
        .bind(&rejection.link.number)
        .bind(sender.id)
        .bind(&rejection.number)
        .bind(&rejection.reason)
        .bind(now)
        .execute(&mut *connection)
        .await?;
    }
    let detail = format!(
        "{} rejected {} (routed from {} {}): {}",
        sender.code, rejection.number, rejection.link.branch, rejection.link.number, rejection.reason
    );
    audit(connection, sender.actor(), "routed document rejected", &detail).await
}

/// Every state a routed trade can be in, in the order a trade passes them.
pub const TRADE_STATES: [&str; 5] = ["queued", "quarantined", "linked", "confirmed", "rejected"];

/// One routed trade document as HQ tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedTrade {
    pub source_branch: String,
    pub source_number: String,
    /// The receiving branch, when HQ found one.
    pub target_branch: Option<String>,
    /// The type of the document at the receiver.
    pub doc_type: String,
    /// queued | quarantined | linked | confirmed | rejected
    pub state: String,
    pub inbox_seq: Option<u64>,
    /// The receiver's number, once it confirmed, rejected or had already entered the trade.
    pub target_number: Option<String>,
    pub reason: String,
    pub updated_at: String,
    /// When HQ first routed (or quarantined) it.
    pub routed_at: String,
}

/// Routed trades, newest last, in `state` (any for `None`), from or to a branch of `subtree`
/// (any for `None`), at most `limit`.
pub async fn list(
    store: &Store,
    subtree: Option<&str>,
    state: Option<&str>,
    limit: u32,
) -> Result<Vec<RoutedTrade>, StoreError> {
    let rows = query(
        "SELECT s.code, r.source_number, t.code, r.doc_type, r.state, r.inbox_seq, r.target_number, r.reason, \
                r.updated_at, r.created_at \
         FROM routed r JOIN branch s ON s.id = r.source_branch_id LEFT JOIN branch t ON t.id = r.target_branch_id \
         WHERE ($1 = '' OR r.state = $1) \
           AND ($3 = '' OR s.org = $3 OR s.org LIKE $3 || '.%' OR t.org = $3 OR t.org LIKE $3 || '.%') \
         ORDER BY r.created_at, s.code, r.source_number LIMIT $2",
    )
    .bind(state.unwrap_or(""))
    .bind(i64::from(limit))
    .bind(subtree.unwrap_or(""))
    .fetch_all(store.pool())
    .await?;
    let mut trades = Vec::with_capacity(rows.len());
    for row in rows {
        let inbox_seq: Option<i64> = row.try_get(5)?;
        trades.push(RoutedTrade {
            source_branch: row.try_get(0)?,
            source_number: row.try_get(1)?,
            target_branch: row.try_get(2)?,
            doc_type: row.try_get(3)?,
            state: row.try_get(4)?,
            inbox_seq: inbox_seq.map(|seq| u64::try_from(seq).unwrap_or(0)),
            target_number: row.try_get(6)?,
            reason: row.try_get(7)?,
            updated_at: row.try_get(8)?,
            routed_at: row.try_get(9)?,
        });
    }
    Ok(trades)
}
