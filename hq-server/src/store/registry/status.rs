//! Each branch's status as HQ knows it (`admin status`, the console's board): positions,
//! freshness, backlog, quarantine, conflicts, what its agent reported of itself and which
//! template versions it has applied. Health is judged from this by `crate::health`.

use crate::store::db::query::query;
use crate::store::db::value::get_u64;
use crate::store::{Store, StoreError};
use std::collections::HashMap;

/// What HQ knows of one branch's freshness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchStatus {
    pub branch: String,
    pub name: String,
    pub org: String,
    pub epoch: u64,
    pub last_seq: u64,
    pub received_at: Option<String>,
    pub last_contact: Option<String>,
    pub backlog: u64,
    pub backlog_documents: u64,
    pub quarantined: u64,
    pub conflicts: u64,
    pub inbox_seq: u64,
    pub inbox_last_seq: u64,
    /// As the branch's transfer agent last reported it in Hello.
    pub agent_version: Option<String>,
    /// Per template name (in name order), the newest version the branch has applied.
    pub templates: Vec<AppliedTemplate>,
    /// The latest business day whose daily close stands (`YYYY-MM-DD`).
    pub last_closed_day: Option<String>,
}

/// The newest version of a template whose inbox delivery the branch has acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedTemplate {
    pub name: String,
    pub version: u64,
}

/// The subtree condition on `b.org` both queries share; `$1` is the subtree or ''.
const IN_SUBTREE: &str = "($1 = '' OR b.org = $1 OR b.org LIKE $1 || '.%')";

/// Every branch of `subtree` (all without one), ordered by branch code.
pub async fn status(store: &Store, subtree: Option<&str>) -> Result<Vec<BranchStatus>, StoreError> {
    let subtree = subtree.unwrap_or("");
    let sql = format!(
        "SELECT b.id, b.code, b.name, b.org, b.epoch, b.last_seq, b.received_at, b.last_contact, \
                b.backlog, b.backlog_documents, \
                (SELECT COUNT(*) FROM quarantine q WHERE q.branch_id = b.id AND q.resolved_at IS NULL), \
                b.conflicts, b.inbox_seq, \
                (SELECT COALESCE(MAX(i.seq), 0) FROM inbox i WHERE i.branch_id = b.id), \
                b.agent_version, \
                (SELECT MAX(c.day) FROM day_close c WHERE c.branch_id = b.id AND c.state = 'closed') \
         FROM branch b WHERE {IN_SUBTREE} ORDER BY b.code"
    );
    let rows = query(&sql).bind(subtree).fetch_all(store.pool()).await?;
    let mut templates = applied_templates(store, subtree).await?;
    let mut statuses = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get(0)?;
        statuses.push(BranchStatus {
            branch: row.try_get(1)?,
            name: row.try_get(2)?,
            org: row.try_get(3)?,
            epoch: get_u64(&row, 4)?,
            last_seq: get_u64(&row, 5)?,
            received_at: row.try_get(6)?,
            last_contact: row.try_get(7)?,
            backlog: get_u64(&row, 8)?,
            backlog_documents: get_u64(&row, 9)?,
            quarantined: get_u64(&row, 10)?,
            conflicts: get_u64(&row, 11)?,
            inbox_seq: get_u64(&row, 12)?,
            inbox_last_seq: get_u64(&row, 13)?,
            agent_version: row.try_get(14)?,
            templates: templates.remove(&id).unwrap_or_default(),
            last_closed_day: row.try_get(15)?,
        });
    }
    Ok(statuses)
}

/// Per branch id of `subtree`, each template's newest version delivered at or below the
/// branch's acknowledged inbox position (a template in parts counts from its last part).
async fn applied_templates(
    store: &Store,
    subtree: &str,
) -> Result<HashMap<i64, Vec<AppliedTemplate>>, StoreError> {
    let sql = format!(
        "SELECT d.branch_id, d.name, MAX(d.version) FROM template_delivery d \
         JOIN branch b ON b.id = d.branch_id \
         WHERE d.inbox_seq <= b.inbox_seq AND {IN_SUBTREE} \
         GROUP BY d.branch_id, d.name ORDER BY d.branch_id, d.name"
    );
    let rows = query(&sql).bind(subtree).fetch_all(store.pool()).await?;
    let mut applied: HashMap<i64, Vec<AppliedTemplate>> = HashMap::new();
    for row in rows {
        applied.entry(row.try_get(0)?).or_default().push(AppliedTemplate {
            name: row.try_get(1)?,
            version: get_u64(&row, 2)?,
        });
    }
    Ok(applied)
}
