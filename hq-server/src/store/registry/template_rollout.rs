//! A template's rollout (模板发放, docs/operations.md): every template's newest version, and per
//! branch the newest version queued in its inbox and whether its ledger has applied it. A
//! branch has applied a delivery once the inbox position its ledger last reported
//! (`branch.inbox_seq`, recorded at every Hello and pull) reaches the delivery's entry: the rule
//! by which `status` lists the templates a branch has applied.

use crate::store::db::query::query;
use crate::store::db::value::get_u64;
use crate::store::registry::template::TemplateError;
use crate::store::Store;

/// One template's newest version and its rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSummary {
    pub name: String,
    pub version: u64,
    pub kinds: Vec<String>,
    pub n_records: u64,
    pub created_at: String,
    /// By branch code: the branches delivered a version of it.
    pub rollout: Vec<BranchRollout>,
}

/// What one branch was delivered of one template, and what its ledger has applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchRollout {
    pub branch: String,
    pub org: String,
    /// The newest version queued in the branch's inbox.
    pub version: u64,
    /// Its inbox entry (a template in parts: the last part's).
    pub inbox_seq: u64,
    pub queued_at: String,
    /// The newest delivered version the branch's ledger has reported applied; 0 when none.
    pub applied_version: u64,
    /// The inbox position the branch's ledger last reported (entries applied up to it).
    pub branch_inbox_seq: u64,
}

impl BranchRollout {
    /// The newest version delivered is applied.
    pub fn applied(&self) -> bool {
        self.branch_inbox_seq >= self.inbox_seq
    }
}

/// What a listing asks for.
#[derive(Debug, Clone, Copy, Default)]
pub struct RolloutFilter<'a> {
    /// One template only; `None` for every one.
    pub name: Option<&'a str>,
    /// The rollout of this subtree's branches; `None` for every branch.
    pub subtree: Option<&'a str>,
}

/// Templates by name (at most `limit`), each with its rollout to the branches of the filter's
/// subtree (at most `limit` rollout rows in all). A named template that does not exist is
/// refused.
pub async fn list(
    store: &Store,
    filter: RolloutFilter<'_>,
    limit: u32,
) -> Result<Vec<TemplateSummary>, TemplateError> {
    let mut templates = newest_versions(store, filter.name, limit).await?;
    if let (Some(name), true) = (filter.name, templates.is_empty()) {
        return Err(TemplateError::UnknownTemplate {
            name: name.to_owned(),
        });
    }
    for (name, rollout) in rollouts(store, filter, limit).await? {
        if let Some(template) = templates.iter_mut().find(|template| template.name == name) {
            template.rollout.push(rollout);
        }
    }
    Ok(templates)
}

/// Every template's newest version, by name, without its rollout.
async fn newest_versions(
    store: &Store,
    name: Option<&str>,
    limit: u32,
) -> Result<Vec<TemplateSummary>, TemplateError> {
    let rows = query(
        "SELECT t.name, t.version, t.kinds, t.n_records, t.created_at FROM template t \
         WHERE ($1 = '' OR t.name = $1) \
           AND t.version = (SELECT MAX(n.version) FROM template n WHERE n.name = t.name) \
         ORDER BY t.name LIMIT $2",
    )
    .bind(name.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    let mut templates = Vec::with_capacity(rows.len());
    for row in rows {
        let kinds: String = row.try_get(2)?;
        templates.push(TemplateSummary {
            name: row.try_get(0)?,
            version: get_u64(&row, 1)?,
            kinds: kinds.split('/').map(str::to_owned).collect(),
            n_records: get_u64(&row, 3)?,
            created_at: row.try_get(4)?,
            rollout: Vec::new(),
        });
    }
    Ok(templates)
}

/// (template name, rollout) per template and branch of the filter, by name and branch code.
async fn rollouts(
    store: &Store,
    filter: RolloutFilter<'_>,
    limit: u32,
) -> Result<Vec<(String, BranchRollout)>, TemplateError> {
    let rows = query(
        "SELECT n.name, b.code, b.org, n.version, n.inbox_seq, n.created_at, b.inbox_seq, \
                (SELECT COALESCE(MAX(a.version), 0) FROM template_delivery a \
                 WHERE a.branch_id = n.branch_id AND a.name = n.name AND a.inbox_seq <= b.inbox_seq) \
         FROM template_delivery n JOIN branch b ON b.id = n.branch_id \
         WHERE ($1 = '' OR n.name = $1) \
           AND ($2 = '' OR b.org = $2 OR b.org LIKE $2 || '.%') \
           AND n.version = (SELECT MAX(m.version) FROM template_delivery m \
                            WHERE m.branch_id = n.branch_id AND m.name = n.name) \
         ORDER BY n.name, b.code LIMIT $3",
    )
    .bind(filter.name.unwrap_or(""))
    .bind(filter.subtree.unwrap_or(""))
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    let mut rollouts = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(0)?;
        rollouts.push((
            name,
            BranchRollout {
                branch: row.try_get(1)?,
                org: row.try_get(2)?,
                version: get_u64(&row, 3)?,
                inbox_seq: get_u64(&row, 4)?,
                queued_at: row.try_get(5)?,
                branch_inbox_seq: get_u64(&row, 6)?,
                applied_version: get_u64(&row, 7)?,
            },
        ));
    }
    Ok(rollouts)
}
