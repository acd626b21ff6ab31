//! Stock limits (安全库存) in HQ's master data: a product's minimum and optional maximum for one
//! warehouse or one organization subtree, imported all or none (`admin import stock-limits`),
//! each refusal naming the file, line and field; and the limits resolved per warehouse, as a
//! template carries them and the inventory report judges on-hand by them.

use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::now_text;
use crate::store::registry::audit::{audit, Actor};
use crate::store::{Store, StoreError};
use branchline_shared::{
    format_plain, parse_decimal, resolve_limits, DecimalKind, LimitScope, OwnedWarehouse, StockLimitError,
    StockLimitRule, WarehouseLimit,
};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum LimitImportError {
    #[error("{file}:{line}: field {field}: {reason}")]
    Field {
        file: String,
        line: u64,
        field: &'static str,
        reason: String,
    },
    #[error("{file}: no stock limits given")]
    Empty { file: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for LimitImportError {
    fn from(error: DbError) -> LimitImportError {
        LimitImportError::Store(error.into())
    }
}

/// One limit and the line of the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitLine {
    pub line: u64,
    pub rule: StockLimitRule,
}

/// The fields of one row as written: product, warehouse, org, min, max.
#[derive(Debug, Clone, Copy)]
pub struct LimitFields<'a> {
    pub product: &'a str,
    pub warehouse: &'a str,
    pub org: &'a str,
    pub min: &'a str,
    pub max: &'a str,
}

impl LimitLine {
    /// Checks one row of `file` at `line`: a product code, exactly one of warehouse and org,
    /// `min` a decimal, `max` empty or a decimal not below it, neither negative.
    pub fn parse(file: &str, line: u64, fields: LimitFields<'_>) -> Result<LimitLine, LimitImportError> {
        let refuse = |field: &'static str, reason: String| LimitImportError::Field {
            file: file.to_owned(),
            line,
            field,
            reason,
        };
        branchline_shared::validate_record_code("product", fields.product)
            .map_err(|error| refuse("product", error.to_string()))?;
        let scope = StockLimitRule::scope_of(fields.warehouse, fields.org).map_err(|error| {
            let field = match (&error, fields.warehouse.is_empty()) {
                (StockLimitError::Code(_), false) => "warehouse",
                (StockLimitError::Code(_), true) => "org",
                _ => "warehouse/org",
            };
            refuse(field, error.to_string())
        })?;
        let decimal = |field: &'static str, text: &str| {
            parse_decimal(text, DecimalKind::Quantity).map_err(|error| refuse(field, error.to_string()))
        };
        let min = decimal("min", fields.min)?;
        let max = match fields.max {
            "" => None,
            max => Some(decimal("max", max)?),
        };
        branchline_shared::check_min_max(min, max).map_err(|error| {
            let field = match error {
                StockLimitError::Negative { what: "min", .. }
                | StockLimitError::NotAQuantity { what: "min", .. } => "min",
                _ => "max",
            };
            refuse(field, error.to_string())
        })?;
        let rule = StockLimitRule {
            product: fields.product.to_owned(),
            scope,
            min: min.normalize(),
            max: max.map(|max| max.normalize()),
        };
        Ok(LimitLine { line, rule })
    }
}

fn scope_columns(scope: &LimitScope) -> (&str, &str) {
    match scope {
        LimitScope::Warehouse(code) => (code.as_str(), ""),
        LimitScope::Org(code) => ("", code.as_str()),
    }
}

/// Creates or updates the limits of `lines`, read from `file`, in one transaction: every
/// product, warehouse and organization must be known to HQ, and no product and scope may be
/// given twice; otherwise nothing changes. Returns (created, updated).
pub async fn import_limits(
    store: &Store,
    by: &str,
    file: &str,
    lines: &[LimitLine],
) -> Result<(u64, u64), LimitImportError> {
    if lines.is_empty() {
        return Err(LimitImportError::Empty {
            file: file.to_owned(),
        });
    }
    let mut first_line_of: HashMap<(&str, &LimitScope), u64> = HashMap::new();
    for line in lines {
        let key = (line.rule.product.as_str(), &line.rule.scope);
        if let Some(first) = first_line_of.insert(key, line.line) {
            return Err(LimitImportError::Field {
                file: file.to_owned(),
                line: line.line,
                field: "product",
                reason: format!(
                    "{} is limited twice in the same place (first at line {first})",
                    line.rule.product
                ),
            });
        }
    }
    let mut tx = store.begin_write().await?;
    let now = now_text();
    let mut created = 0;
    for line in lines {
        check_known(&mut tx, file, line).await?;
        let (warehouse, org) = scope_columns(&line.rule.scope);
        let existed = query("SELECT 1 FROM stock_limit WHERE product = $1 AND warehouse = $2 AND org = $3")
            .bind(line.rule.product.as_str())
            .bind(warehouse)
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        created += u64::from(!existed);
        query(
            "INSERT INTO stock_limit (product, warehouse, org, min_qty, max_qty, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (product, warehouse, org) DO UPDATE SET \
             min_qty = excluded.min_qty, max_qty = excluded.max_qty, updated_at = excluded.updated_at",
        )
        .bind(line.rule.product.as_str())
        .bind(warehouse)
        .bind(org)
        .bind(format_plain(line.rule.min))
        .bind(line.rule.max.map(format_plain))
        .bind(now.as_str())
        .execute(&mut *tx)
        .await?;
    }
    let total = lines.len() as u64;
    let detail = format!("{total} stock limits from {file}");
    audit(&mut tx, Actor::new(by, None), "stock-limit import", &detail).await?;
    tx.commit().await?;
    Ok((created, total - created))
}

/// Refuses a line naming a product, warehouse or organization HQ does not hold.
async fn check_known(connection: &mut Conn, file: &str, line: &LimitLine) -> Result<(), LimitImportError> {
    let (warehouse, org) = scope_columns(&line.rule.scope);
    let checks = [
        ("product", "product", line.rule.product.as_str()),
        ("warehouse", "warehouse", warehouse),
        ("org", "organization", org),
    ];
    for (field, what, code) in checks {
        if code.is_empty() {
            continue;
        }
        let known = match field {
            "org" => query("SELECT 1 FROM org WHERE code = $1").bind(code),
            kind => query("SELECT 1 FROM master_record WHERE kind = $1 AND code = $2")
                .bind(kind)
                .bind(code),
        }
        .fetch_optional(&mut *connection)
        .await?
        .is_some();
        if !known {
            return Err(LimitImportError::Field {
                file: file.to_owned(),
                line: line.line,
                field,
                reason: format!("unknown {what} {code}"),
            });
        }
    }
    Ok(())
}

fn stored_decimal(text: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(text).map_err(|error| StoreError::CorruptValue {
        what: "stock limit",
        reason: error.to_string(),
    })
}

/// Every stock limit HQ holds, by product and scope.
async fn limit_rules(connection: &mut Conn) -> Result<Vec<StockLimitRule>, StoreError> {
    let rows = query(
        "SELECT product, warehouse, org, min_qty, max_qty FROM stock_limit ORDER BY product, warehouse, org",
    )
    .fetch_all(&mut *connection)
    .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for row in rows {
        let (warehouse, org): (String, String) = (row.try_get(1)?, row.try_get(2)?);
        let max: Option<String> = row.try_get(4)?;
        rules.push(StockLimitRule {
            product: row.try_get(0)?,
            scope: match warehouse.is_empty() {
                true => LimitScope::Org(org),
                false => LimitScope::Warehouse(warehouse),
            },
            min: stored_decimal(&row.try_get::<String, _>(3)?)?,
            max: max.as_deref().map(stored_decimal).transpose()?,
        });
    }
    Ok(rules)
}

/// Every warehouse of HQ's master data with its owning branch and that branch's organization
/// (empty when it has none, or names a branch not registered).
async fn owned_warehouses(connection: &mut Conn) -> Result<Vec<OwnedWarehouse>, StoreError> {
    let rows = query(
        "SELECT m.code, m.branch, COALESCE(b.org, '') FROM master_record m \
         LEFT JOIN branch b ON b.code = m.branch WHERE m.kind = 'warehouse' ORDER BY m.code",
    )
    .fetch_all(&mut *connection)
    .await?;
    let mut warehouses = Vec::with_capacity(rows.len());
    for row in rows {
        warehouses.push(OwnedWarehouse {
            code: row.try_get(0)?,
            branch: row.try_get(1)?,
            org: row.try_get(2)?,
        });
    }
    Ok(warehouses)
}

/// HQ's stock limits resolved to one per warehouse and product (`resolve_limits`).
pub(crate) async fn warehouse_limits(connection: &mut Conn) -> Result<Vec<WarehouseLimit>, StoreError> {
    let rules = limit_rules(connection).await?;
    let warehouses = owned_warehouses(connection).await?;
    Ok(resolve_limits(&rules, &warehouses))
}
