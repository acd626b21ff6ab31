//! The branches as trading partners: each registered branch with the codes that stand for it
//! in other branches' ledgers, the mirror of a trade's document type, and what routing one
//! document came to (`RouteResult`), for routing and the register of routed trades alike.

use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use branchline_shared::DocType;

/// A registered branch and the codes that stand for it in other branches' ledgers.
#[derive(Debug, Clone)]
pub(crate) struct Counterpart {
    pub(super) id: i64,
    pub(super) code: String,
    pub(super) customer: String,
    pub(super) supplier: String,
    pub(super) warehouse: String,
}

pub(crate) async fn load_counterparts(connection: &mut Conn) -> Result<Vec<Counterpart>, DbError> {
    let rows = query("SELECT id, code, customer, supplier, warehouse FROM branch ORDER BY id")
        .fetch_all(connection)
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Counterpart {
                id: row.try_get(0)?,
                code: row.try_get(1)?,
                customer: row.try_get(2)?,
                supplier: row.try_get(3)?,
                warehouse: row.try_get(4)?,
            })
        })
        .collect()
}

/// What one applied document means for routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RouteResult {
    /// Not a trade with another branch.
    NotTrade,
    /// The second end of a trade already entered at both ends; nothing to route.
    Linked,
    /// Routed earlier (a source is routed at most once).
    AlreadyRouted,
    /// The receiver already holds a document linked to this one.
    AlreadyAtReceiver,
    Queued {
        inbox_seq: u64,
    },
    Quarantined {
        reason: String,
    },
}

pub(super) fn mirror_type(doc_type: DocType) -> DocType {
    match doc_type {
        DocType::SalesOut => DocType::PurchaseIn,
        _ => DocType::SalesOut,
    }
}
