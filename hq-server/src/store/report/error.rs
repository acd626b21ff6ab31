//! What a report can fail with: a query it refuses (`ReportError`) and a failure reading the
//! roll-ups it answers from (`ReadError`).

use crate::store::db::error::DbError;
use crate::store::rollup::packed::PackError;
use crate::store::StoreError;
use chrono::NaiveDate;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("invalid organization code {org:?}")]
    BadOrg { org: String },
    #[error("organization {org} is not registered")]
    UnknownOrg { org: String },
    #[error("unknown grouping {name:?}: expected org, product, customer, warehouse, day or month")]
    UnknownGrouping { name: String },
    #[error("grouping {name} is given twice")]
    RepeatedGrouping { name: &'static str },
    #[error("the {report} report cannot be grouped by {name}")]
    GroupingNotAllowed {
        report: &'static str,
        name: &'static str,
    },
    #[error(
        "invalid --{field} date {text:?}: expected YYYY-MM-DD from {} to {}",
        branchline_shared::DATE_MIN,
        branchline_shared::DATE_MAX
    )]
    BadDate { field: &'static str, text: String },
    #[error("--from {from} is after --to {to}")]
    EmptyRange { from: NaiveDate, to: NaiveDate },
    #[error("a ranking needs exactly one of --by product, customer, org or month")]
    BadRankingKey,
    #[error("the {report} report takes no {what}")]
    NotForReport {
        report: &'static str,
        what: &'static str,
    },
    #[error(
        "this report reads the stored document lines from {from}, and HQ retired the lines dated \
         before {before} (hq-server retire-year): ask --from {before} or later"
    )]
    Retired { from: String, before: String },
    #[error(transparent)]
    BadFilter(branchline_shared::CodeError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for ReportError {
    fn from(error: DbError) -> ReportError {
        ReportError::Store(error.into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read report rows from SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("report column {index} holds an unexpected value: {source}")]
    Cell {
        index: usize,
        source: rusqlite::types::FromSqlError,
    },
    #[error("cannot read report rows: {0}")]
    Database(#[from] DbError),
    #[error("stored sum {text:?} is not a decimal")]
    BadDecimal { text: String },
    #[error("the report reading task failed")]
    TaskFailed,
    #[error(transparent)]
    Packed(#[from] PackError),
    #[error("a report sum of product {product:?} does not fit a decimal")]
    SumOverflow { product: String },
    #[error("invalid roll-up period {text:?}")]
    BadPeriod { text: String },
    #[error("a packed roll-up block holds a product id that product_slot does not know")]
    UnknownProduct,
}
