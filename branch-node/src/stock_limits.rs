//! Stock limits (安全库存) at the branch: the limits a template brought, replaced as a whole by
//! the template's next version, and the on-hand judged by them (`stock --below-min`,
//! `--above-max`). Listed are the products with a stock row in a warehouse that has a limit,
//! and every limit of this branch's own warehouses, whose product counts zero when never moved.

use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::schema::QTY_SCALE;
use branchline_shared::{check_on_hand, from_scaled, to_scaled, WarehouseLimit};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Serialize;

/// Which rows `stock_against_limits` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitFilter {
    /// On-hand under the minimum.
    BelowMin,
    /// On-hand over the maximum.
    AboveMax,
}

/// A product in a warehouse whose on-hand is outside its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitRow {
    pub warehouse: String,
    pub product: String,
    pub on_hand: Decimal,
    pub min: Decimal,
    pub max: Option<Decimal>,
    /// `min − on hand`, under the minimum.
    pub shortfall: Option<Decimal>,
    /// `max − on hand`, under the minimum with a maximum set.
    pub suggested_order: Option<Decimal>,
    /// `on hand − max`, over the maximum.
    pub excess: Option<Decimal>,
}

/// Replaces the limits template `template` brought before with `limits`, keeping those of
/// warehouses of this branch (`branch`) or of no branch (a template file carries every
/// branch's).
pub(crate) fn replace_template_limits(
    conn: &Connection,
    branch: &str,
    template: &str,
    limits: &[WarehouseLimit],
) -> Result<(), LedgerError> {
    conn.execute("DELETE FROM stock_limit WHERE template = ?1", [template])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO stock_limit (warehouse, product, min_qty, max_qty, branch, template)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (warehouse, product) DO UPDATE SET min_qty = excluded.min_qty,
             max_qty = excluded.max_qty, branch = excluded.branch, template = excluded.template",
    )?;
    for limit in limits {
        if !limit.branch.is_empty() && limit.branch != branch {
            continue;
        }
        insert.execute((
            &limit.warehouse,
            &limit.product,
            to_scaled(limit.min, QTY_SCALE),
            limit.max.map(|max| to_scaled(max, QTY_SCALE)),
            &limit.branch,
            template,
        ))?;
    }
    Ok(())
}

impl Ledger {
    /// The products outside their limits as `filter` asks, optionally of one warehouse and/or
    /// product, ordered by warehouse, product.
    pub fn stock_against_limits(
        &self,
        filter: LimitFilter,
        warehouse: Option<&str>,
        product: Option<&str>,
    ) -> Result<Vec<LimitRow>, LedgerError> {
        self.check_stock_filter(warehouse, product)?;
        let mut statement = self.conn.prepare_cached(
            "SELECT l.warehouse, l.product, COALESCE(s.on_hand, 0), l.min_qty, l.max_qty
             FROM stock_limit l LEFT JOIN stock s ON s.warehouse = l.warehouse AND s.product = l.product
             WHERE (s.on_hand IS NOT NULL OR l.branch = ?1)
               AND (?2 IS NULL OR l.warehouse = ?2) AND (?3 IS NULL OR l.product = ?3)
             ORDER BY l.warehouse, l.product",
        )?;
        let rows = statement.query_map((&self.branch, warehouse, product), |row| {
            let decimal = |scaled: i64| from_scaled(scaled, QTY_SCALE).normalize();
            let on_hand = decimal(row.get(2)?);
            let min = decimal(row.get(3)?);
            let max = row.get::<_, Option<i64>>(4)?.map(decimal);
            let check = check_on_hand(on_hand, min, max);
            Ok(LimitRow {
                warehouse: row.get(0)?,
                product: row.get(1)?,
                on_hand,
                min,
                max,
                shortfall: check.shortfall,
                suggested_order: check.suggested_order,
                excess: check.excess,
            })
        })?;
        let mut listed = Vec::new();
        for row in rows {
            let row = row?;
            let wanted = match filter {
                LimitFilter::BelowMin => row.shortfall.is_some(),
                LimitFilter::AboveMax => row.excess.is_some(),
            };
            if wanted {
                listed.push(row);
            }
        }
        Ok(listed)
    }
}
