//! Reading the packed on-hand (`stock_block`, see `rollup::packed`) for the inventory report: each
//! asked branch's blocks and pending rows (`rollup::pending`) are decoded in Rust, warehouse and
//! product ids turned into codes through `product_slot`, and every quantity summed into the
//! report's groups (any combination of org, warehouse and product), of one product and/or
//! warehouse when a filter names them.

use super::error::ReadError;
use super::groups::{slot, Groups, Key};
use super::query::GroupBy;
use crate::store::db::dialect::QTY_SCALE;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::row::Row;
use crate::store::rollup::packed::BLOCK_SLOTS;
use crate::store::rollup::pending::Part;
use crate::store::rollup::{packed, pending};
use crate::store::Store;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

/// The one product and/or warehouse (codes) whose on-hand is read; `None` for all.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StockFilter<'a> {
    pub(super) product: Option<&'a str>,
    pub(super) warehouse: Option<&'a str>,
}

/// Adds the on-hand of `branches` (store ids) passing `filter` to `groups`, which group by
/// org, warehouse or product only.
pub(super) async fn read_stock_blocks(
    store: &Store,
    branches: &[i64],
    filter: StockFilter<'_>,
    mut groups: Groups,
) -> Result<Groups, ReadError> {
    let mut connection = store.pool().acquire().await?;
    let codes = slot_codes(&mut connection).await?;
    // A filter's code as a slot id; a code never seen has no on-hand anywhere.
    let id_of = |code: Option<&str>| {
        code.map(|code| codes.iter().find(|(_, known)| *known == code).map(|(id, _)| *id))
    };
    let (product_only, warehouse_only) = (id_of(filter.product), id_of(filter.warehouse));
    if matches!(product_only, Some(None)) || matches!(warehouse_only, Some(None)) {
        return Ok(groups);
    }
    let passes = |warehouse_id: i64, product_id: i64| {
        product_only.is_none_or(|id| id == Some(product_id))
            && warehouse_only.is_none_or(|id| id == Some(warehouse_id))
    };
    let by = groups.by().to_vec();
    let grouped = |grouping| by.contains(&grouping).then(|| slot(grouping));
    let (org, warehouse, product) = (
        grouped(GroupBy::Org),
        grouped(GroupBy::Warehouse),
        grouped(GroupBy::Product),
    );
    let mut sums: FxHashMap<Key, i128> = FxHashMap::default();
    let mut present = Vec::with_capacity(BLOCK_SLOTS);
    // A filter's product or warehouse narrows the blocks read to the ones that can hold it.
    let block = product_only.flatten().map(|id| packed::block_of(id).0);
    let blocks_sql = match block {
        Some(_) => {
            "SELECT key, sums FROM stock_block WHERE key >= $1 AND key <= $2 AND (key & $4) = $5 \
                    UNION ALL SELECT NULL, stock FROM rollup_pending WHERE branch_id = $3"
        }
        None => {
            "SELECT key, sums FROM stock_block WHERE key >= $1 AND key <= $2 \
                 UNION ALL SELECT NULL, stock FROM rollup_pending WHERE branch_id = $3"
        }
    };
    for branch in branches {
        let Some((first, last)) = packed::stock_key_range(*branch, warehouse_only.flatten()) else {
            continue;
        };
        // The blocks and the pending rows (key NULL) from one snapshot.
        let mut rows = query(blocks_sql).bind(first).bind(last).bind(*branch);
        if let Some(block) = block {
            rows = rows.bind(packed::stock_key_block_mask()).bind(block);
        }
        let rows = rows.fetch_all(&mut connection).await?;
        let mut key: Key = [0; 6];
        if let Some(org) = org {
            key[org] = groups.ledger_of(*branch);
        }
        let mut add = |warehouse_id: i64, product_id: i64, qty: i64| -> Result<(), ReadError> {
            let mut code_of = |slot: usize, id: i64| -> Result<(), ReadError> {
                let code = codes.get(&id).ok_or(ReadError::UnknownProduct)?;
                key[slot] = groups.intern(code) + 1;
                Ok(())
            };
            if let Some(warehouse) = warehouse {
                code_of(warehouse, warehouse_id)?;
            }
            if let Some(product) = product {
                code_of(product, product_id)?;
            }
            *sums.entry(key).or_default() += i128::from(qty);
            Ok(())
        };
        for row in rows {
            present.clear();
            stock_of_row(&row, *branch, &mut present)?;
            for (warehouse_id, product_id, qty) in &present {
                if passes(*warehouse_id, *product_id) {
                    add(*warehouse_id, *product_id, *qty)?;
                }
            }
        }
    }
    add_on_hand(groups, sums)
}

/// The summed quantities (scaled) as the groups of one statement.
fn add_on_hand(mut groups: Groups, sums: FxHashMap<Key, i128>) -> Result<Groups, ReadError> {
    groups.begin_statement();
    groups.reserve(sums.len());
    for (key, qty) in sums {
        let on_hand =
            Decimal::try_from_i128_with_scale(qty, QTY_SCALE).map_err(|_| ReadError::SumOverflow {
                product: "(on-hand)".to_owned(),
            })?;
        groups.add_group(key, &[on_hand]);
    }
    Ok(groups)
}

/// Every product slot's code, by id.
async fn slot_codes(connection: &mut Conn) -> Result<FxHashMap<i64, String>, ReadError> {
    let mut codes: FxHashMap<i64, String> = FxHashMap::default();
    for row in query("SELECT id, code FROM product_slot")
        .fetch_all(&mut *connection)
        .await?
    {
        codes.insert(row.try_get(0)?, row.try_get(1)?);
    }
    Ok(codes)
}

/// The (warehouse id, product id, quantity) of each present slot of a `stock_block` row, or of
/// each on-hand addition of a pending row of `branch` (key NULL), appended to `present`.
fn stock_of_row(row: &Row, branch: i64, present: &mut Vec<(i64, i64, i64)>) -> Result<(), ReadError> {
    let bytes: Vec<u8> = row.try_get(1)?;
    match row.try_get::<Option<i64>, _>(0)? {
        Some(row_key) => {
            let (_, warehouse_id, block) = packed::split_stock_key(row_key);
            let first = block * BLOCK_SLOTS as i64;
            packed::for_each_slot(&bytes, row_key, |index, slot_sums| {
                present.push((warehouse_id, first + index as i64, slot_sums.qty))
            })?;
        }
        None => pending::for_each_add(
            Part::Stock,
            branch,
            &bytes,
            |warehouse_id, product_id, slot_sums| present.push((warehouse_id, product_id, slot_sums.qty)),
        )?,
    }
    Ok(())
}
