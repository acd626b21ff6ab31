//! 库存预警 at HQ (`report inventory --below-min`): HQ's consolidated on-hand per branch,
//! warehouse and product judged by HQ's stock limits resolved per warehouse, the same limits a
//! template sends each branch: a row with a limit whose warehouse is the branch's own or of no
//! branch, and every limit of a branch's own warehouses where it holds no on-hand (zero), as
//! `branch-node stock --below-min` lists them. Only what is under its minimum is answered.

use super::consolidated::inventory;
use super::error::ReportError;
use super::query::{GroupBy, GroupKey, Report, ReportQuery, RowLevel, StockRow};
use crate::store::registry::stock_limit::warehouse_limits;
use crate::store::Store;
use branchline_shared::{check_on_hand, WarehouseLimit};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A branch's product in a warehouse under its minimum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStockRow {
    pub key: GroupKey,
    pub on_hand: Decimal,
    pub min: Decimal,
    pub max: Option<Decimal>,
    /// `min − on hand`.
    pub shortfall: Decimal,
    /// `max − on hand`, where a max is set.
    pub suggested_order: Option<Decimal>,
}

/// Refuses what the below-minimum listing does not take: groupings and subtotals (its rows are
/// always one per branch, warehouse and product).
fn check_query(query: &ReportQuery) -> Result<ReportQuery, ReportError> {
    let refused = |what| {
        Err(ReportError::NotForReport {
            report: "inventory --below-min",
            what,
        })
    };
    if !query.by.is_empty() {
        return refused("grouping");
    }
    if query.subtotals {
        return refused("subtotals");
    }
    let mut query = query.clone();
    query.by = vec![GroupBy::Org, GroupBy::Warehouse, GroupBy::Product];
    Ok(query)
}

/// Key of a judged on-hand: organization, branch, warehouse, product.
type Place = (Arc<str>, Arc<str>, Arc<str>, Arc<str>);

/// Each on-hand a limit applies to, with that limit: every limit of a branch's own warehouses
/// at zero, then the inventory's rows.
fn on_hand_by_limit<'a>(
    query: &ReportQuery,
    on_hand: &Report<StockRow>,
    limits: &'a [WarehouseLimit],
) -> BTreeMap<Place, (Decimal, &'a WarehouseLimit)> {
    let wanted = |limit: &WarehouseLimit| {
        query.product.as_deref().is_none_or(|code| code == limit.product)
            && query
                .warehouse
                .as_deref()
                .is_none_or(|code| code == limit.warehouse)
    };
    let limit_of: HashMap<(&str, &str), &WarehouseLimit> = limits
        .iter()
        .map(|limit| ((limit.warehouse.as_str(), limit.product.as_str()), limit))
        .collect();
    // (org, branch, warehouse, product) → on-hand, every limit of a branch's own warehouses
    // counting zero until a row says otherwise.
    let mut judged: BTreeMap<Place, (Decimal, &WarehouseLimit)> = BTreeMap::new();
    for freshness in &on_hand.freshness {
        for limit in limits
            .iter()
            .filter(|limit| limit.branch == freshness.branch && wanted(limit))
        {
            let key = (
                Arc::from(freshness.org.as_str()),
                Arc::from(freshness.branch.as_str()),
                Arc::from(limit.warehouse.as_str()),
                Arc::from(limit.product.as_str()),
            );
            judged.insert(key, (Decimal::ZERO, limit));
        }
    }
    for row in on_hand.rows.iter().filter(|row| row.level == RowLevel::Group) {
        let (Some(warehouse), Some(product)) = (&row.key.warehouse, &row.key.product) else {
            continue;
        };
        let Some(&limit) = limit_of.get(&(&**warehouse, &**product)) else {
            continue;
        };
        if !limit.branch.is_empty() && *limit.branch != *row.key.branch {
            continue;
        }
        let key = (
            row.key.org.clone(),
            row.key.branch.clone(),
            warehouse.clone(),
            product.clone(),
        );
        judged.insert(key, (row.on_hand, limit));
    }
    judged
}

/// Every branch's product and warehouse of the query's subtree (and filters) under its minimum,
/// ordered by organization, branch, warehouse and product, with each ledger's freshness.
pub async fn below_min(store: &Store, query: &ReportQuery) -> Result<Report<LowStockRow>, ReportError> {
    let query = check_query(query)?;
    let on_hand = inventory(store, &query).await?;
    let limits = {
        let mut connection = store.pool().acquire().await?;
        warehouse_limits(&mut connection).await?
    };
    let judged = on_hand_by_limit(&query, &on_hand, &limits);
    let rows = judged
        .into_iter()
        .filter_map(|((org, branch, warehouse, product), (on_hand, limit))| {
            let check = check_on_hand(on_hand, limit.min, limit.max);
            Some(LowStockRow {
                key: GroupKey {
                    org,
                    branch,
                    warehouse: Some(warehouse),
                    product: Some(product),
                    ..GroupKey::default()
                },
                on_hand,
                min: limit.min,
                max: limit.max,
                shortfall: check.shortfall?,
                suggested_order: check.suggested_order,
            })
        })
        .collect();
    Ok(Report {
        by: query.by,
        rows,
        freshness: on_hand.freshness,
        growth: false,
    })
}
