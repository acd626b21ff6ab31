//! Quarantine (docs/guarantees.md): entries HQ could not apply, with their reason; an administrator lists
//! them and retries one after fixing the cause (say, importing the missing product).

use super::plan::{Known, Outcome, Plan};
use super::writes::write_plan;
use crate::store::close::register::reopen_days;
use crate::store::db::error::DbError;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text, to_i64};
use crate::store::registry::audit::{audit, Actor};
use crate::store::registry::branches::BranchRef;
use crate::store::trade::counterpart::{load_counterparts, RouteResult};
use crate::store::trade::routing::{route_document, Routable};
use crate::store::{Store, StoreError};
use branchline_shared::EntryBody;

#[derive(Debug, thiserror::Error)]
pub enum QuarantineError {
    #[error("no quarantined entry {id} (unknown or already applied)")]
    UnknownEntry { id: u64 },
    #[error("quarantined entry {id} cannot be retried: {reason}")]
    NotRetriable { id: u64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for QuarantineError {
    fn from(error: DbError) -> QuarantineError {
        QuarantineError::Store(error.into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedEntry {
    pub id: u64,
    pub branch: String,
    pub epoch: u64,
    pub seq: u64,
    pub reason: String,
    pub created_at: String,
    pub summary: String,
    /// The entry's body as stored: its JSON text, empty when it was malformed on arrival.
    pub content: String,
}

/// Entries still waiting in quarantine, of the branches of `subtree` (any for `None`), only
/// entry `id` if given, oldest first, at most `limit`.
pub async fn list(
    store: &Store,
    subtree: Option<&str>,
    id: Option<u64>,
    limit: u32,
) -> Result<Vec<QuarantinedEntry>, StoreError> {
    let rows = query(
        "SELECT q.id, b.code, q.epoch, q.seq, q.reason, q.created_at, q.summary, q.body \
         FROM quarantine q JOIN branch b ON b.id = q.branch_id \
         WHERE q.resolved_at IS NULL AND ($2 = '' OR b.org = $2 OR b.org LIKE $2 || '.%') \
         AND ($3 = 0 OR q.id = $3) ORDER BY q.id LIMIT $1",
    )
    .bind(i64::from(limit))
    .bind(subtree.unwrap_or(""))
    .bind(id.map(to_i64).transpose()?.unwrap_or(0))
    .fetch_all(store.pool())
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        entries.push(QuarantinedEntry {
            id: get_u64(&row, 0)?,
            branch: row.try_get(1)?,
            epoch: get_u64(&row, 2)?,
            seq: get_u64(&row, 3)?,
            reason: row.try_get(4)?,
            created_at: row.try_get(5)?,
            summary: row.try_get(6)?,
            content: row.try_get(7)?,
        });
    }
    Ok(entries)
}

/// The branch of unresolved quarantined entry `id`, if there is one.
pub async fn entry_branch(store: &Store, id: u64) -> Result<Option<BranchRef>, StoreError> {
    let row = query(
        "SELECT b.id, b.code, b.org FROM quarantine q JOIN branch b ON b.id = q.branch_id \
         WHERE q.id = $1 AND q.resolved_at IS NULL",
    )
    .bind(to_i64(id)?)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(BranchRef {
        id: row.try_get(0)?,
        code: row.try_get(1)?,
        org: row.try_get(2)?,
    }))
}

/// What a retry did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryOutcome {
    Applied,
    /// Still quarantined, with the current reason.
    StillQuarantined {
        reason: String,
    },
}

/// Validates quarantined entry `id` again and applies it if HQ now can.
pub async fn retry(store: &Store, by: &str, id: u64) -> Result<RetryOutcome, QuarantineError> {
    if let Some(outcome) = retry_routing(store, by, id).await? {
        return Ok(outcome);
    }
    let mut tx = store.begin_write().await?;
    // Locks the quarantined entry and its branch's state row, as ingestion does.
    let sql = format!(
        "SELECT q.branch_id, b.code, b.org, q.epoch, q.seq, q.body FROM quarantine q \
         JOIN branch b ON b.id = q.branch_id WHERE q.id = $1 AND q.resolved_at IS NULL{}",
        store.dialect().for_update()
    );
    let row = query(&sql)
        .bind(to_i64(id)?)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(QuarantineError::UnknownEntry { id })?;
    let branch = BranchRef {
        id: row.try_get(0)?,
        code: row.try_get(1)?,
        org: row.try_get(2)?,
    };
    let (epoch, seq) = (get_u64(&row, 3)?, get_u64(&row, 4)?);
    let body_json: String = row.try_get(5)?;
    if body_json.is_empty() {
        return Err(QuarantineError::NotRetriable {
            id,
            reason: "the entry was malformed when it arrived; the branch must correct and resend it"
                .to_owned(),
        });
    }
    let body: EntryBody = serde_json::from_str(&body_json).map_err(|error| StoreError::CorruptValue {
        what: "quarantined entry body",
        reason: error.to_string(),
    })?;
    let mut known = Known::load(&mut tx, store.dialect(), branch.id, &[&body]).await?;
    let mut plan = Plan::default();
    let now = now_text();
    let outcome = plan.add(&mut known, seq, &body, None);
    if let Outcome::Quarantined { reason } = outcome {
        query("UPDATE quarantine SET reason = $2 WHERE id = $1")
            .bind(to_i64(id)?)
            .bind(&reason)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(RetryOutcome::StillQuarantined { reason });
    }
    let routable = Routable::from_plan(&plan);
    store.ensure_partitions(plan.months()).await?;
    write_plan(&mut tx, store, branch.id, epoch, &plan, &now).await?;
    reopen_days(&mut tx, store.dialect(), &branch, plan.day_documents()).await?;
    query("UPDATE quarantine SET resolved_at = $2 WHERE id = $1")
        .bind(to_i64(id)?)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    crate::store::trade::routing::route(&mut tx, store.dialect(), &branch, epoch, routable, &now).await?;
    query("UPDATE entry SET outcome = $4 WHERE branch_id = $1 AND epoch = $2 AND seq = $3")
        .bind(branch.id)
        .bind(to_i64(epoch)?)
        .bind(to_i64(seq)?)
        .bind(outcome.as_str())
        .execute(&mut *tx)
        .await?;
    let detail = format!("{} epoch {epoch} seq {seq}: {}", branch.code, body.summary());
    audit(
        &mut tx,
        Actor::new(by, Some(&branch.org)),
        "quarantine retry",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(RetryOutcome::Applied)
}

/// Retries quarantined entry `id` if it is a routing (kind `routing`); `None` when it is not,
/// so the caller retries it as an ordinary entry.
async fn retry_routing(store: &Store, by: &str, id: u64) -> Result<Option<RetryOutcome>, QuarantineError> {
    let mut tx = store.begin_write().await?;
    let sql = format!(
        "SELECT q.branch_id, b.code, b.org, q.epoch, q.seq, q.body FROM quarantine q \
         JOIN branch b ON b.id = q.branch_id WHERE q.id = $1 AND q.resolved_at IS NULL AND q.kind = 'routing'{}",
        store.dialect().for_update()
    );
    let Some(row) = query(&sql).bind(to_i64(id)?).fetch_optional(&mut *tx).await? else {
        return Ok(None);
    };
    let sender = BranchRef {
        id: row.try_get(0)?,
        code: row.try_get(1)?,
        org: row.try_get(2)?,
    };
    let (epoch, seq) = (get_u64(&row, 3)?, get_u64(&row, 4)?);
    let body: String = row.try_get(5)?;
    let Ok(EntryBody::Document(document)) = serde_json::from_str::<EntryBody>(&body) else {
        return Err(StoreError::CorruptValue {
            what: "quarantined routing",
            reason: format!("entry {id} does not hold a document"),
        }
        .into());
    };
    let now = now_text();
    let counterparts = load_counterparts(&mut tx).await?;
    let batch = Routable::default();
    let result = route_document(
        &mut tx,
        store.dialect(),
        &counterparts,
        &sender,
        epoch,
        seq,
        &document,
        &batch,
        &now,
    )
    .await?;
    let outcome = match result {
        RouteResult::Quarantined { reason } => RetryOutcome::StillQuarantined { reason },
        _ => {
            query("UPDATE quarantine SET resolved_at = $2 WHERE id = $1")
                .bind(to_i64(id)?)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            let detail = format!(
                "{} epoch {epoch} seq {seq}: routing of document {}",
                sender.code, document.number
            );
            audit(
                &mut tx,
                Actor::new(by, Some(&sender.org)),
                "quarantine retry",
                &detail,
            )
            .await?;
            RetryOutcome::Applied
        }
    };
    tx.commit().await?;
    Ok(Some(outcome))
}
