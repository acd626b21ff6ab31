//! Reconcile (docs/guarantees.md): counts and checksums of the documents HQ holds for a branch (all
//! epochs), per document type and month, and per document, to compare against the ledger; read
//! from the register of held documents (`document_key`), which no month partition limits.

use crate::store::db::dialect::{AMOUNT_SCALE, QTY_SCALE};
use crate::store::db::query::query;
use crate::store::db::value::get_u64;
use crate::store::registry::branches::BranchRef;
use crate::store::{Store, StoreError};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub doc_type: String,
    /// YYYY-MM
    pub month: String,
    pub count: u64,
    /// Hex SHA-256 over the sorted per-document checksums joined with '\n'.
    pub checksum: String,
}

/// Per (document type, month): count and checksum, ordered by type then month.
pub async fn summary(store: &Store, branch: &BranchRef) -> Result<Vec<Bucket>, StoreError> {
    let rows =
        query("SELECT doc_type, substr(doc_date, 1, 7), checksum FROM document_key WHERE branch_id = $1")
            .bind(branch.id)
            .fetch_all(store.pool())
            .await?;
    let mut buckets: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for row in rows {
        buckets
            .entry((row.try_get(0)?, row.try_get(1)?))
            .or_default()
            .push(row.try_get(2)?);
    }
    Ok(buckets
        .into_iter()
        .map(|((doc_type, month), mut checksums)| {
            checksums.sort();
            Bucket {
                doc_type,
                month,
                count: checksums.len() as u64,
                checksum: hex::encode(Sha256::digest(checksums.join("\n").as_bytes())),
            }
        })
        .collect())
}

/// (number, checksum) of each document of one type and month, ordered by number.
pub async fn documents(
    store: &Store,
    branch: &BranchRef,
    doc_type: &str,
    month: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows = query(
        "SELECT number, checksum FROM document_key WHERE branch_id = $1 AND doc_type = $2 \
         AND substr(doc_date, 1, 7) = $3 ORDER BY number",
    )
    .bind(branch.id)
    .bind(doc_type)
    .bind(month)
    .fetch_all(store.pool())
    .await?;
    rows.into_iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}

/// Sums over every document HQ holds for a branch: what a test or an operator compares with
/// the ledger's own totals (pair assertions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub documents: u64,
    pub lines: u64,
    pub qty: Decimal,
    pub amount: Decimal,
    pub tax: Decimal,
}

pub async fn totals(store: &Store, branch: &BranchRef) -> Result<Totals, StoreError> {
    let dialect = store.dialect();
    let documents = get_u64(
        &query("SELECT COUNT(*) FROM document WHERE branch_id = $1")
            .bind(branch.id)
            .fetch_one(store.pool())
            .await?,
        0,
    )?;
    let sql = format!(
        "SELECT COUNT(*), {}, {}, {} FROM document_line WHERE branch_id = $1",
        dialect.decimal_column("COALESCE(SUM(qty), 0)"),
        dialect.decimal_column("COALESCE(SUM(amount), 0)"),
        dialect.decimal_column("COALESCE(SUM(tax), 0)"),
    );
    let row = query(&sql).bind(branch.id).fetch_one(store.pool()).await?;
    let decimal = |index, scale| {
        dialect
            .read_decimal(&row, index, scale)
            .map(Option::unwrap_or_default)
    };
    Ok(Totals {
        documents,
        lines: get_u64(&row, 0)?,
        qty: decimal(1, QTY_SCALE)?,
        amount: decimal(2, AMOUNT_SCALE)?,
        tax: decimal(3, AMOUNT_SCALE)?,
    })
}
