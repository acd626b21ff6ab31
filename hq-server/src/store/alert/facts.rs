//! The figures of every branch an alert rule is judged on, read in two queries per check.

use crate::store::db::query::query;
use crate::store::db::value::get_u64;
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// One branch as the alert rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchFacts {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub org: String,
    /// When the branch was registered: a branch that never called is silent since then.
    pub created_at: String,
    pub last_contact: Option<String>,
    pub backlog: u64,
    pub quarantined: u64,
    pub conflicts: u64,
    pub last_conflict_at: Option<String>,
    /// Template versions queued in the branch's inbox and not yet acknowledged, oldest first.
    pub unapplied: Vec<Unapplied>,
}

/// A template version the branch has been sent and has not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unapplied {
    pub template: String,
    pub version: u64,
    pub queued_at: String,
}

/// Every branch, in code order.
pub async fn branch_facts(store: &Store) -> Result<Vec<BranchFacts>, StoreError> {
    let rows = query(
        "SELECT b.id, b.code, b.name, b.org, b.created_at, b.last_contact, b.backlog, \
                (SELECT COUNT(*) FROM quarantine q WHERE q.branch_id = b.id AND q.resolved_at IS NULL), \
                b.conflicts, b.last_conflict_at \
         FROM branch b ORDER BY b.code",
    )
    .fetch_all(store.pool())
    .await?;
    let mut unapplied = unapplied_templates(store).await?;
    let mut facts = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get(0)?;
        facts.push(BranchFacts {
            id,
            code: row.try_get(1)?,
            name: row.try_get(2)?,
            org: row.try_get(3)?,
            created_at: row.try_get(4)?,
            last_contact: row.try_get(5)?,
            backlog: get_u64(&row, 6)?,
            quarantined: get_u64(&row, 7)?,
            conflicts: get_u64(&row, 8)?,
            last_conflict_at: row.try_get(9)?,
            unapplied: unapplied.remove(&id).unwrap_or_default(),
        });
    }
    Ok(facts)
}

/// Per branch id, the template deliveries above its acknowledged inbox position, oldest first.
async fn unapplied_templates(store: &Store) -> Result<HashMap<i64, Vec<Unapplied>>, StoreError> {
    let rows = query(
        "SELECT d.branch_id, d.name, d.version, d.created_at FROM template_delivery d \
         JOIN branch b ON b.id = d.branch_id WHERE d.inbox_seq > b.inbox_seq \
         ORDER BY d.created_at, d.name",
    )
    .fetch_all(store.pool())
    .await?;
    let mut unapplied: HashMap<i64, Vec<Unapplied>> = HashMap::new();
    for row in rows {
        unapplied.entry(row.try_get(0)?).or_default().push(Unapplied {
            template: row.try_get(1)?,
            version: get_u64(&row, 2)?,
            queued_at: row.try_get(3)?,
        });
    }
    Ok(unapplied)
}
