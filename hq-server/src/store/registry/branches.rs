//! The registry's organizations and branches: adding them, and finding a branch by its code or
//! token. A branch's status is `status`; HQ master data is `master`.

use super::counterpart_check::{check_counterparts, CounterpartError, Counterparts};
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::now_text;
use crate::store::registry::audit::{audit, Actor};
use crate::store::{Store, StoreError};
use branchline_shared::{
    org_parent, validate_branch_code, validate_org_code, validate_record_code, BaseError, BaseKind, CodeError,
};

/// The only accounting mode so far (独立核算作销售).
pub const MODE_INDEPENDENT_SALES: &str = "independent-sales";

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error(transparent)]
    Base(#[from] BaseError),
    #[error("organization {code} already exists")]
    OrgExists { code: String },
    #[error("parent organization {parent} of {code} does not exist")]
    ParentOrgMissing { code: String, parent: String },
    #[error("organization {code} does not exist")]
    UnknownOrg { code: String },
    #[error("branch {code} already exists")]
    BranchExists { code: String },
    #[error("branch code {code} is an account's name at HQ: the audit log could not tell them apart")]
    NameOfAccount { code: String },
    #[error("organization {org} already maps to branch {branch}")]
    OrgHasBranch { org: String, branch: String },
    #[error("unknown accounting mode {mode:?}: expected {MODE_INDEPENDENT_SALES}")]
    UnknownMode { mode: String },
    #[error("{kind} {code}: listed as a {found} record")]
    WrongKind {
        kind: BaseKind,
        code: String,
        found: BaseKind,
    },
    #[error("{kind} {code} appears twice in one import")]
    DuplicateCode { kind: BaseKind, code: String },
    #[error("{what} {code}: the name is empty or only whitespace")]
    BlankName { what: &'static str, code: String },
    #[error("{what} {code}: the name {name:?} has leading or trailing whitespace")]
    PaddedName {
        what: &'static str,
        code: String,
        name: String,
    },
    #[error(transparent)]
    Counterpart(#[from] CounterpartError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for RegistryError {
    fn from(error: DbError) -> RegistryError {
        RegistryError::Store(error.into())
    }
}

/// What identifies a branch to the services once its credential checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchRef {
    pub id: i64,
    pub code: String,
    pub org: String,
}

impl BranchRef {
    /// The branch as an audit event names it: by its code, in its organization's scope.
    pub fn actor(&self) -> Actor<'_> {
        Actor::new(&self.code, Some(&self.org))
    }
}

/// A branch to register.
#[derive(Debug, Clone)]
pub struct NewBranch {
    pub code: String,
    pub name: String,
    pub org: String,
    pub customer: String,
    pub supplier: String,
    pub warehouse: String,
    pub mode: String,
    /// Accept a counterpart customer or supplier HQ already holds documents with (audited).
    pub adopt_existing: bool,
}

/// A name as an operator means it: not blank, no stray whitespace around it.
fn validate_name(what: &'static str, code: &str, name: &str) -> Result<(), RegistryError> {
    if name.trim().is_empty() {
        return Err(RegistryError::BlankName {
            what,
            code: code.to_owned(),
        });
    }
    if name.trim() != name {
        return Err(RegistryError::PaddedName {
            what,
            code: code.to_owned(),
            name: name.to_owned(),
        });
    }
    Ok(())
}

pub async fn add_org(store: &Store, by: &str, code: &str, name: &str) -> Result<(), RegistryError> {
    validate_org_code(code)?;
    validate_name("organization", code, name)?;
    let mut tx = store.begin_write().await?;
    let exists = |code: String| query("SELECT 1 FROM org WHERE code = $1").bind(code);
    if exists(code.to_owned()).fetch_optional(&mut *tx).await?.is_some() {
        return Err(RegistryError::OrgExists {
            code: code.to_owned(),
        });
    }
    if let Some(parent) = org_parent(code) {
        if exists(parent.to_owned())
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(RegistryError::ParentOrgMissing {
                code: code.to_owned(),
                parent: parent.to_owned(),
            });
        }
    }
    query("INSERT INTO org (code, name, created_at) VALUES ($1, $2, $3)")
        .bind(code)
        .bind(name)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        Actor::new(by, Some(code)),
        "org add",
        &format!("{code} {name}"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Registers a branch; returns its transfer token (HQ keeps only the token's SHA-256).
pub async fn add_branch(store: &Store, by: &str, branch: &NewBranch) -> Result<String, RegistryError> {
    validate_new_branch(branch)?;
    let mut tx = store.begin_write().await?;
    check_branch_place(&mut tx, branch).await?;
    let counterparts = Counterparts {
        branch: &branch.code,
        customer: &branch.customer,
        supplier: &branch.supplier,
        warehouse: &branch.warehouse,
    };
    let adopted = check_counterparts(&mut tx, counterparts, branch.adopt_existing).await?;
    let token = super::token::new_token();
    query(
        "INSERT INTO branch (code, name, org, mode, customer, supplier, warehouse, token_sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&branch.code)
    .bind(&branch.name)
    .bind(&branch.org)
    .bind(&branch.mode)
    .bind(&branch.customer)
    .bind(&branch.supplier)
    .bind(&branch.warehouse)
    .bind(super::token::token_sha256(&token))
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        Actor::new(by, Some(&branch.org)),
        "branch add",
        &format!("{} org {}", branch.code, branch.org),
    )
    .await?;
    for adopted in adopted {
        let detail = format!(
            "{} {} becomes branch {}'s counterpart {}; HQ held {} documents with it as partner",
            adopted.kind, adopted.code, branch.code, adopted.kind, adopted.documents
        );
        audit(
            &mut tx,
            Actor::new(by, Some(&branch.org)),
            "counterpart adopt",
            &detail,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(token)
}

/// A new branch's own fields, checked before the store is touched.
fn validate_new_branch(branch: &NewBranch) -> Result<(), RegistryError> {
    validate_branch_code(&branch.code)?;
    validate_name("branch", &branch.code, &branch.name)?;
    validate_org_code(&branch.org)?;
    validate_record_code("counterpart customer", &branch.customer)?;
    validate_record_code("counterpart supplier", &branch.supplier)?;
    validate_record_code("counterpart warehouse", &branch.warehouse)?;
    if branch.mode != MODE_INDEPENDENT_SALES {
        return Err(RegistryError::UnknownMode {
            mode: branch.mode.clone(),
        });
    }
    Ok(())
}

/// The branch's organization exists and has no branch yet, and its code is free.
async fn check_branch_place(tx: &mut Conn, branch: &NewBranch) -> Result<(), RegistryError> {
    if query("SELECT 1 FROM org WHERE code = $1")
        .bind(&branch.org)
        .fetch_optional(&mut *tx)
        .await?
        .is_none()
    {
        return Err(RegistryError::UnknownOrg {
            code: branch.org.clone(),
        });
    }
    if query("SELECT 1 FROM branch WHERE code = $1")
        .bind(&branch.code)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(RegistryError::BranchExists {
            code: branch.code.clone(),
        });
    }
    if query("SELECT 1 FROM person WHERE lower(name) = lower($1)")
        .bind(&branch.code)
        .fetch_optional(&mut *tx)
        .await?
        .is_some()
    {
        return Err(RegistryError::NameOfAccount {
            code: branch.code.clone(),
        });
    }
    if let Some(row) = query("SELECT code FROM branch WHERE org = $1")
        .bind(&branch.org)
        .fetch_optional(&mut *tx)
        .await?
    {
        return Err(RegistryError::OrgHasBranch {
            org: branch.org.clone(),
            branch: row.try_get(0)?,
        });
    }
    Ok(())
}

/// The branch holding the token with this SHA-256, if any.
pub async fn branch_by_token_hash(
    store: &Store,
    token_sha256: &str,
) -> Result<Option<BranchRef>, StoreError> {
    branch_where(store, "token_sha256", token_sha256).await
}

/// The branch with this code, if registered.
pub async fn branch_by_code(store: &Store, code: &str) -> Result<Option<BranchRef>, StoreError> {
    branch_where(store, "code", code).await
}

/// The branch whose unique `column` (a fixed name, never input) equals `value`.
async fn branch_where(
    store: &Store,
    column: &'static str,
    value: &str,
) -> Result<Option<BranchRef>, StoreError> {
    let sql = format!("SELECT id, code, org FROM branch WHERE {column} = $1");
    let row = query(&sql).bind(value).fetch_optional(store.pool()).await?;
    Ok(match row {
        None => None,
        Some(row) => Some(BranchRef {
            id: row.try_get(0)?,
            code: row.try_get(1)?,
            org: row.try_get(2)?,
        }),
    })
}
