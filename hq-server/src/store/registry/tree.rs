//! The organization tree as an administrator reads it: the organizations of a subtree (code and
//! name) and their branches, with counterparts, accounting mode and whether the branch's token
//! is revoked.

use super::credential::REVOKED_MARKER_PREFIX;
use crate::store::db::query::query;
use crate::store::{Store, StoreError};
use std::cmp::Ordering;

/// One organization of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgNode {
    pub code: String,
    pub name: String,
}

/// One branch of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchNode {
    pub code: String,
    pub name: String,
    pub org: String,
    pub customer: String,
    pub supplier: String,
    pub warehouse: String,
    pub mode: String,
    /// Its token revoked: the branch is refused until a rotate.
    pub revoked: bool,
}

/// The organizations and branches of a subtree, in tree order (a parent before its children,
/// siblings by code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgTree {
    pub orgs: Vec<OrgNode>,
    pub branches: Vec<BranchNode>,
}

/// Tree order of two organization codes: segment by segment, so `001.002` and its subtree come
/// before `001.003` whatever the database's collation.
pub fn tree_order(left: &str, right: &str) -> Ordering {
    left.split('.').cmp(right.split('.'))
}

/// The tree under `subtree` (`None`: every organization).
pub async fn org_tree(store: &Store, subtree: Option<&str>) -> Result<OrgTree, StoreError> {
    let subtree = subtree.unwrap_or("");
    let org_rows = query("SELECT code, name FROM org WHERE ($1 = '' OR code = $1 OR code LIKE $1 || '.%')")
        .bind(subtree)
        .fetch_all(store.pool())
        .await?;
    let mut orgs = Vec::with_capacity(org_rows.len());
    for row in org_rows {
        orgs.push(OrgNode {
            code: row.try_get(0)?,
            name: row.try_get(1)?,
        });
    }
    let branch_rows = query(
        "SELECT code, name, org, customer, supplier, warehouse, mode, token_sha256 FROM branch \
         WHERE ($1 = '' OR org = $1 OR org LIKE $1 || '.%')",
    )
    .bind(subtree)
    .fetch_all(store.pool())
    .await?;
    let mut branches = Vec::with_capacity(branch_rows.len());
    for row in branch_rows {
        let token_sha256: String = row.try_get(7)?;
        branches.push(BranchNode {
            code: row.try_get(0)?,
            name: row.try_get(1)?,
            org: row.try_get(2)?,
            customer: row.try_get(3)?,
            supplier: row.try_get(4)?,
            warehouse: row.try_get(5)?,
            mode: row.try_get(6)?,
            revoked: token_sha256.starts_with(REVOKED_MARKER_PREFIX),
        });
    }
    orgs.sort_by(|left, right| tree_order(&left.code, &right.code));
    branches.sort_by(|left, right| tree_order(&left.org, &right.org));
    Ok(OrgTree { orgs, branches })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_order_puts_a_subtree_before_the_next_sibling() {
        let mut codes = vec!["001.003", "001.002.001", "002", "001", "001.002", "001.0021"];
        codes.sort_by(|left, right| tree_order(left, right));
        assert_eq!(
            codes,
            ["001", "001.002", "001.002.001", "001.0021", "001.003", "002"]
        );
    }
}
