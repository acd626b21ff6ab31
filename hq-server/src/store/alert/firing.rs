//! Which rule fires for which branch. A start inserts the rule's row for the branch and a clear
//! deletes it; only the replica whose statement changed the row queues the message, in the same
//! transaction, so two replicas judging the same moment send one start and one clear.

use super::outbox::{queue, Kind};
use crate::store::db::query::query;
use crate::store::registry::audit::{audit, Actor};
use crate::store::{Store, StoreError};

/// A rule firing for a branch since `started_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub rule: String,
    pub branch_id: i64,
    pub started_at: String,
}

/// Every rule firing now, for every branch.
pub async fn firing(store: &Store) -> Result<Vec<Firing>, StoreError> {
    let rows = query("SELECT rule, branch_id, started_at FROM alert_firing ORDER BY rule, branch_id")
        .fetch_all(store.pool())
        .await?;
    let mut firing = Vec::with_capacity(rows.len());
    for row in rows {
        firing.push(Firing {
            rule: row.try_get(0)?,
            branch_id: row.try_get(1)?,
            started_at: row.try_get(2)?,
        });
    }
    Ok(firing)
}

/// A rule's change for one branch, and the message it owes (JSON of `crate::alert::event`).
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub rule: &'a str,
    pub branch_id: i64,
    pub kind: Kind,
    /// When the condition started (a clear repeats its start's).
    pub started_at: &'a str,
    pub facts: &'a str,
}

/// Records `change` unless another replica already has; whether this call did.
pub async fn record(store: &Store, change: Change<'_>) -> Result<bool, StoreError> {
    let mut tx = store.begin_write().await?;
    let done = match change.kind {
        Kind::Start => {
            query(
                "INSERT INTO alert_firing (rule, branch_id, started_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (rule, branch_id) DO NOTHING",
            )
            .bind(change.rule)
            .bind(change.branch_id)
            .bind(change.started_at)
            .execute(&mut *tx)
            .await?
        }
        Kind::Clear => {
            query("DELETE FROM alert_firing WHERE rule = $1 AND branch_id = $2")
                .bind(change.rule)
                .bind(change.branch_id)
                .execute(&mut *tx)
                .await?
        }
    };
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    queue(&mut tx, change.rule, change.branch_id, change.kind, change.facts).await?;
    tx.commit().await?;
    store.after_commit();
    Ok(true)
}

/// The rules that fire for some branch or still owe a message.
pub async fn rules_in_use(store: &Store) -> Result<Vec<String>, StoreError> {
    let rows =
        query("SELECT rule FROM alert_firing UNION SELECT rule FROM alert_message WHERE state = 'pending'")
            .fetch_all(store.pool())
            .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Forgets the firing rows and the undelivered messages of a rule the config no longer has
/// (nothing is left to send them to), audited once per rule.
pub async fn forget_rule(store: &Store, rule: &str) -> Result<(), StoreError> {
    let mut tx = store.begin_write().await?;
    let dropped = query("DELETE FROM alert_firing WHERE rule = $1")
        .bind(rule)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let abandoned = query(
        "UPDATE alert_message SET state = 'abandoned', last_error = 'the rule is no longer configured', \
         claimed_until = NULL WHERE rule = $1 AND state = 'pending'",
    )
    .bind(rule)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if dropped == 0 && abandoned == 0 {
        return Ok(());
    }
    let detail = format!(
        "rule {rule} is no longer configured: {dropped} firing alert(s) dropped, {abandoned} message(s) abandoned"
    );
    audit(&mut tx, Actor::new("hq", None), "alert rule removed", &detail).await?;
    tx.commit().await?;
    store.after_commit();
    Ok(())
}
