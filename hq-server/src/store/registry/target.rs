//! Monthly sales targets per organization (`hq-server admin target set ORGCODE YYYY-MM AMOUNT`),
//! shown with their completion in the sales report when it is grouped by org and month.

use crate::store::bulk::insert::insert_rows;
use crate::store::bulk::rows::{ColumnKind, InsertSpec, Value};
use crate::store::db::dialect::AMOUNT_SCALE;
use crate::store::db::error::DbError;
use crate::store::db::query::query;
use crate::store::db::value::now_text;
use crate::store::registry::audit::{audit, Actor};
use crate::store::{Store, StoreError};
use branchline_shared::{format_amount, parse_decimal, DecimalKind};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("organization {org} is not registered")]
    UnknownOrg { org: String },
    #[error(
        "invalid month {text:?}: expected YYYY-MM from {} to {}",
        branchline_shared::DATE_MIN.format("%Y-%m"),
        branchline_shared::DATE_MAX.format("%Y-%m")
    )]
    BadMonth { text: String },
    #[error("invalid target amount {text:?}: {reason}")]
    BadAmount { text: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for TargetError {
    fn from(error: DbError) -> TargetError {
        TargetError::Store(error.into())
    }
}

/// Sets (or replaces) the sales target of `org` for `month`; audited.
pub async fn set_target(
    store: &Store,
    by: &str,
    org: &str,
    month: &str,
    amount: &str,
) -> Result<(), TargetError> {
    let valid_month = month.len() == 7
        && chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_ok_and(|date| {
            date.format("%Y-%m").to_string() == month && branchline_shared::date_in_range(date)
        });
    if !valid_month {
        return Err(TargetError::BadMonth {
            text: branchline_shared::echo_prefix(month),
        });
    }
    let bad_amount = |reason: String| TargetError::BadAmount {
        text: amount.to_owned(),
        reason,
    };
    let value = parse_decimal(amount, DecimalKind::Amount).map_err(|error| bad_amount(error.to_string()))?;
    if value.is_sign_negative() {
        return Err(bad_amount("a target cannot be negative".to_owned()));
    }
    let mut tx = store.begin_write().await?;
    let known = query("SELECT 1 FROM org WHERE code = $1")
        .bind(org)
        .fetch_optional(&mut *tx)
        .await?;
    if known.is_none() {
        return Err(TargetError::UnknownOrg { org: org.to_owned() });
    }
    let row = vec![
        Value::Text(org.to_owned()),
        Value::Text(month.to_owned()),
        Value::Decimal(Some(value)),
        Value::Text(now_text()),
    ];
    insert_rows(&mut tx, &TARGET_UPSERT, vec![row]).await?;
    let detail = format!("{org} {month}: {}", format_amount(value));
    audit(&mut tx, Actor::new(by, Some(org)), "target set", &detail).await?;
    tx.commit().await?;
    Ok(())
}

const TARGET_UPSERT: InsertSpec = InsertSpec {
    table: "sales_target",
    columns: &[
        ("org", ColumnKind::Text),
        ("month", ColumnKind::Text),
        ("amount", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("updated_at", ColumnKind::Text),
    ],
    on_conflict:
        "ON CONFLICT (org, month) DO UPDATE SET amount = excluded.amount, updated_at = excluded.updated_at",
};

/// Every target, by (org, month).
pub(crate) async fn targets(store: &Store) -> Result<BTreeMap<(String, String), Decimal>, StoreError> {
    let dialect = store.dialect();
    let sql = format!(
        "SELECT org, month, {} FROM sales_target",
        dialect.decimal_column("amount")
    );
    let mut targets = BTreeMap::new();
    for row in query(&sql).fetch_all(store.pool()).await? {
        let amount = dialect.read_decimal(&row, 2, AMOUNT_SCALE)?.unwrap_or_default();
        targets.insert((row.try_get(0)?, row.try_get(1)?), amount);
    }
    Ok(targets)
}
