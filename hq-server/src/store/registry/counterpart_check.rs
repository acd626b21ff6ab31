//! The rules a new branch's counterparts (the customer, supplier and warehouse codes that stand
//! for it in other branches' books, by which HQ routes trade) must pass: each is HQ master data,
//! none is already another branch's counterpart, the warehouse belongs to no other branch, and a
//! customer or supplier HQ already holds documents with is adopted only when the administrator
//! says so explicitly.

use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::get_u64;
use crate::store::StoreError;
use branchline_shared::{BaseKind, BaseRecord, DocType};

#[derive(Debug, thiserror::Error)]
pub enum CounterpartError {
    #[error(
        "counterpart {kind} {code} is not in HQ's master data: import it first \
         (`hq-server admin import {kind}s FILE`)"
    )]
    NotInMasterData { kind: BaseKind, code: String },
    #[error("counterpart {kind} {code} is already branch {owner}'s counterpart {owner_kind}")]
    ClaimedByBranch {
        kind: BaseKind,
        code: String,
        owner: String,
        owner_kind: BaseKind,
    },
    #[error(
        "counterpart warehouse {code} belongs to branch {owner} (column branch of the warehouses import)"
    )]
    WarehouseOfAnotherBranch { code: String, owner: String },
    #[error(
        "counterpart {kind} {code} is in trade use: HQ holds {documents} documents with it as partner; \
         pass --adopt-existing to route its trade to branch {branch} from now on"
    )]
    InTradeUse {
        kind: BaseKind,
        code: String,
        documents: u64,
        branch: String,
    },
    #[error("warehouse {code} is branch {owner}'s counterpart warehouse: the import cannot assign it to branch {branch}")]
    CounterpartWarehouseReassigned {
        code: String,
        owner: String,
        branch: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for CounterpartError {
    fn from(error: DbError) -> CounterpartError {
        CounterpartError::Store(error.into())
    }
}

/// The counterparts a branch is to be registered with.
#[derive(Debug, Clone, Copy)]
pub struct Counterparts<'a> {
    pub branch: &'a str,
    pub customer: &'a str,
    pub supplier: &'a str,
    pub warehouse: &'a str,
}

/// A customer or supplier in trade use that the administrator adopted as a counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    pub kind: BaseKind,
    pub code: String,
    pub documents: u64,
}

/// Checks every rule inside the registering transaction; returns what was adopted (to audit).
pub(super) async fn check_counterparts(
    connection: &mut Conn,
    counterparts: Counterparts<'_>,
    adopt_existing: bool,
) -> Result<Vec<Adopted>, CounterpartError> {
    let listed = [
        (BaseKind::Customer, counterparts.customer),
        (BaseKind::Supplier, counterparts.supplier),
        (BaseKind::Warehouse, counterparts.warehouse),
    ];
    for (kind, code) in listed {
        let owner = master_branch_column(connection, kind, code).await?;
        let Some(owner) = owner else {
            return Err(CounterpartError::NotInMasterData {
                kind,
                code: code.to_owned(),
            });
        };
        check_unclaimed(connection, kind, code).await?;
        if kind == BaseKind::Warehouse && !owner.is_empty() && owner != counterparts.branch {
            return Err(CounterpartError::WarehouseOfAnotherBranch {
                code: code.to_owned(),
                owner,
            });
        }
    }
    let mut adopted = Vec::new();
    for (kind, code) in &listed[..2] {
        let documents = documents_with_partner(connection, *kind, code).await?;
        if documents == 0 {
            continue;
        }
        if !adopt_existing {
            return Err(CounterpartError::InTradeUse {
                kind: *kind,
                code: (*code).to_owned(),
                documents,
                branch: counterparts.branch.to_owned(),
            });
        }
        adopted.push(Adopted {
            kind: *kind,
            code: (*code).to_owned(),
            documents,
        });
    }
    Ok(adopted)
}

/// Refuses a warehouse import that would hand a branch's counterpart warehouse to another
/// branch (the rule `branch add` checks, kept when master data changes afterwards).
pub(super) async fn check_warehouse_import(
    connection: &mut Conn,
    warehouses: &[BaseRecord],
) -> Result<(), CounterpartError> {
    for record in warehouses.iter().filter(|record| !record.branch.is_empty()) {
        let owner: Option<String> = query("SELECT code FROM branch WHERE warehouse = $1")
            .bind(&record.code)
            .fetch_optional(&mut *connection)
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        match owner {
            Some(owner) if owner != record.branch => {
                return Err(CounterpartError::CounterpartWarehouseReassigned {
                    code: record.code.clone(),
                    owner,
                    branch: record.branch.clone(),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// The master record's `branch` column, or `None` when HQ holds no such record.
async fn master_branch_column(
    connection: &mut Conn,
    kind: BaseKind,
    code: &str,
) -> Result<Option<String>, DbError> {
    let row = query("SELECT branch FROM master_record WHERE kind = $1 AND code = $2")
        .bind(kind.as_str())
        .bind(code)
        .fetch_optional(connection)
        .await?;
    row.map(|row| row.try_get(0)).transpose()
}

/// Refuses a code some registered branch already has as any of its counterparts.
async fn check_unclaimed(connection: &mut Conn, kind: BaseKind, code: &str) -> Result<(), CounterpartError> {
    let row = query(
        "SELECT code, customer, supplier FROM branch WHERE customer = $1 OR supplier = $1 OR warehouse = $1 \
         ORDER BY code LIMIT 1",
    )
    .bind(code)
    .fetch_optional(connection)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let (customer, supplier): (String, String) = (row.try_get(1)?, row.try_get(2)?);
    let owner_kind = if customer == code {
        BaseKind::Customer
    } else if supplier == code {
        BaseKind::Supplier
    } else {
        BaseKind::Warehouse
    };
    Err(CounterpartError::ClaimedByBranch {
        kind,
        code: code.to_owned(),
        owner: row.try_get(0)?,
        owner_kind,
    })
}

/// How many documents HQ holds with `code` as their customer (sales) or supplier (purchases).
async fn documents_with_partner(
    connection: &mut Conn,
    kind: BaseKind,
    code: &str,
) -> Result<u64, StoreError> {
    let comparison = if kind == BaseKind::Supplier { "=" } else { "<>" };
    let sql = format!("SELECT COUNT(*) FROM document WHERE partner = $1 AND doc_type {comparison} $2");
    let row = query(&sql)
        .bind(code)
        .bind(DocType::PurchaseIn.as_str())
        .fetch_one(connection)
        .await?;
    Ok(get_u64(&row, 0)?)
}
