//! The Rust steps of the packed roll-up migrations, inside each migration's transaction. Sales
//! (SQLite 4, PostgreSQL 5): the rows of the old product levels (`sales_year_product`,
//! `sales_month_product`: one row per branch × period × product) are folded into packed blocks
//! (`packed.rs`) under the ids the SQL step gave their products. Stock (SQLite 5, PostgreSQL 6):
//! the rows of `stock_on_hand` (branch × warehouse × product) are folded into `stock_block`
//! under the ids of their warehouse and product codes. Then the old tables are dropped.
//!
//! The old rows carry no line count; each becomes a slot counting one line, which is all a
//! report asks of the count (present or not). Lines ingested later add their real count.

use super::packed;
use super::packed::{Block, PackError, SlotSums};
use crate::store::bulk::insert::Inserts;
use crate::store::bulk::rows::{ColumnKind, InsertSpec, Value};
use crate::store::db::dialect::{Dialect, Repack, AMOUNT_SCALE, QTY_SCALE};
use crate::store::StoreError;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// One old level and the packed table that replaces it.
struct Level {
    old: &'static str,
    period: &'static str,
    new: &'static InsertSpec,
    /// The period number of the old table's text (`YYYY` or `YYYY-MM`), `None` when malformed.
    parse: fn(&str) -> Option<i64>,
}

const YEAR_BLOCK_INSERT: InsertSpec = InsertSpec {
    table: "sales_year_block",
    columns: &[("key", ColumnKind::Int), ("sums", ColumnKind::Blob)],
    on_conflict: "",
};

const MONTH_BLOCK_INSERT: InsertSpec = InsertSpec {
    table: "sales_month_block",
    ..YEAR_BLOCK_INSERT
};

fn parse_year(text: &str) -> Option<i64> {
    (text.len() == 4).then(|| text.parse().ok()).flatten()
}

fn parse_month(text: &str) -> Option<i64> {
    let (year, month) = text.split_once('-')?;
    let (year, month): (i32, u32) = (year.parse().ok()?, month.parse().ok()?);
    (year >= 0 && (1..=12).contains(&month)).then(|| packed::month_period(year, month))
}

const LEVELS: [Level; 2] = [
    Level {
        old: "sales_year_product",
        period: "year",
        new: &YEAR_BLOCK_INSERT,
        parse: parse_year,
    },
    Level {
        old: "sales_month_product",
        period: "month",
        new: &MONTH_BLOCK_INSERT,
        parse: parse_month,
    },
];

/// Repacks the old rows `repack` names, branch by branch, and drops their tables.
pub(crate) async fn repack(
    connection: &mut AnyConnection,
    dialect: Dialect,
    repack: Repack,
) -> Result<(), StoreError> {
    match repack {
        Repack::Sales => repack_sales(connection, dialect).await,
        Repack::Stock => repack_stock(connection, dialect).await,
    }
}

async fn repack_sales(connection: &mut AnyConnection, dialect: Dialect) -> Result<(), StoreError> {
    let branches: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT branch_id FROM sales_year_product \
         UNION SELECT DISTINCT branch_id FROM sales_month_product",
    )
    .fetch_all(&mut *connection)
    .await?;
    for level in &LEVELS {
        for branch in &branches {
            repack_branch(connection, dialect, level, *branch).await?;
        }
    }
    for level in &LEVELS {
        sqlx::query(&format!("DROP TABLE {}", level.old))
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

const STOCK_BLOCK_INSERT: InsertSpec = InsertSpec {
    table: "stock_block",
    ..YEAR_BLOCK_INSERT
};

/// Folds every `stock_on_hand` row into `stock_block` and drops the old table.
async fn repack_stock(connection: &mut AnyConnection, dialect: Dialect) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT o.branch_id, w.id, p.id, {on_hand} FROM stock_on_hand o \
         JOIN product_slot w ON w.code = o.warehouse JOIN product_slot p ON p.code = o.product",
        on_hand = dialect.decimal_column("o.on_hand"),
    );
    let rows = sqlx::query(&sql).fetch_all(&mut *connection).await?;
    let mut blocks: BTreeMap<i64, Block> = BTreeMap::new();
    for row in rows {
        let (branch, warehouse, product): (i64, i64, i64) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        let on_hand = dialect.read_decimal(&row, 3, QTY_SCALE)?.unwrap_or_default();
        let qty = super::delta::checked_scaled(on_hand, QTY_SCALE).ok_or(PackError::Overflow {
            what: "quantity",
            product,
        })?;
        let (block, slot) = packed::block_of(product);
        let key = packed::stock_key(branch, warehouse, block)?;
        blocks.entry(key).or_default().slots[slot] = SlotSums {
            qty,
            lines: 1,
            ..SlotSums::default()
        };
    }
    write_blocks(connection, dialect, &STOCK_BLOCK_INSERT, blocks).await?;
    sqlx::query("DROP TABLE stock_on_hand")
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// Inserts packed blocks by key.
async fn write_blocks(
    connection: &mut AnyConnection,
    dialect: Dialect,
    spec: &'static InsertSpec,
    blocks: BTreeMap<i64, Block>,
) -> Result<(), StoreError> {
    let mut cells = Vec::with_capacity(blocks.len() * 2);
    for (key, block) in blocks {
        cells.extend([Value::Int(key), Value::Blob(block.encode())]);
    }
    let mut inserts = Inserts::default();
    inserts.add(spec, cells);
    inserts.write(connection, dialect).await?;
    Ok(())
}

async fn repack_branch(
    connection: &mut AnyConnection,
    dialect: Dialect,
    level: &Level,
    branch: i64,
) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT o.{period}, s.id, {qty}, {amount}, {tax} FROM {old} o \
         JOIN product_slot s ON s.code = o.product WHERE o.branch_id = $1",
        period = level.period,
        old = level.old,
        qty = dialect.decimal_column("o.qty"),
        amount = dialect.decimal_column("o.amount"),
        tax = dialect.decimal_column("o.tax"),
    );
    let rows = sqlx::query(&sql).bind(branch).fetch_all(&mut *connection).await?;
    let mut blocks: BTreeMap<i64, Block> = BTreeMap::new();
    for row in rows {
        let period_text: String = row.try_get(0)?;
        let period = (level.parse)(&period_text).ok_or_else(|| StoreError::CorruptValue {
            what: "roll-up period",
            reason: format!("{} row of branch {branch} has period {period_text:?}", level.old),
        })?;
        let id: i64 = row.try_get(1)?;
        let mut sums = [0_i64; 3];
        for (index, (sum, scale)) in sums
            .iter_mut()
            .zip([QTY_SCALE, AMOUNT_SCALE, AMOUNT_SCALE])
            .enumerate()
        {
            let value = dialect.read_decimal(&row, index + 2, scale)?.unwrap_or_default();
            *sum = super::delta::checked_scaled(value, scale).ok_or(PackError::Overflow {
                what: "sum",
                product: id,
            })?;
        }
        let (block, slot) = packed::block_of(id);
        let key = packed::block_key(branch, period, block)?;
        blocks.entry(key).or_default().slots[slot] = SlotSums {
            qty: sums[0],
            amount: sums[1],
            tax: sums[2],
            lines: 1,
        };
    }
    write_blocks(connection, dialect, level.new, blocks).await
}
