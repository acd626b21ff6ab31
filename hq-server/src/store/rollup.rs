//! Report roll-ups (issue 6), maintained incrementally in the transaction that ingests the
//! documents: a batch's documents are aggregated in memory first, then added to the stored
//! roll-ups, so a report's cost grows with the number of groups it reads and not with the number
//! of stored lines.
//!
//! Levels written: `sales_day` (branch × day), one upsert per touched row
//! (`migrations/*/0002_reports.sql`); and, packed (`packed.rs`), the product levels
//! `sales_year_block` and `sales_month_block` (one row per branch × period × block of
//! `BLOCK_SLOTS` products) and the on-hand `stock_block` (one row per branch × warehouse × block).
//! For those the batch's delta is folded per block, the touched blocks are read, added to in Rust
//! and written back. This read-modify-write is safe
//! because a block belongs to one branch and every transaction that adds a branch's documents
//! (ingestion, quarantine retry) first locks that branch's row (`FOR UPDATE`; on SQLite the
//! whole database is one writer). There is no finer level (branch × day × product × customer ×
//! warehouse): it would hold about one row per stored line. Reports that need that detail read
//! the stored lines instead (`report.rs`).

use super::dialect::{AMOUNT_SCALE, QTY_SCALE};
use super::packed::{self, Block, PackError, SlotSums};
use super::packed_store;
use super::rows::{ColumnKind, InsertSpec, Inserts, Value};
use super::sqlite_native::NativeHandle;
use super::{Store, StoreError};
use branchline_shared::{Document, LineValues};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use sqlx::AnyConnection;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// Roll-up maintenance is on unless a benchmark switches it off to measure its cost.
static ROLLUPS_ENABLED: AtomicBool = AtomicBool::new(true);

/// Benchmarks only: turns roll-up maintenance off (or back on) for this process, to compare
/// ingestion throughput with and without it. Reports are wrong while it is off.
pub fn set_enabled_for_benchmark(enabled: bool) {
    ROLLUPS_ENABLED.store(enabled, Ordering::SeqCst);
}

/// Quantity, amount, tax and total of a group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SalesSums {
    pub qty: Decimal,
    pub amount: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
}

impl SalesSums {
    pub fn add(&mut self, other: SalesSums) {
        self.qty += other.qty;
        self.amount += other.amount;
        self.tax += other.tax;
        self.total += other.total;
    }
}

/// What one batch adds to every roll-up of one branch. Keys borrow the batch's codes (or own
/// them, for a delta computed ahead of the transaction); months and years are numbers until
/// written.
#[derive(Debug, Default, Clone)]
pub(crate) struct RollupDelta<'a> {
    day: FxHashMap<NaiveDate, SalesSums>,
    /// (month period, product), see `packed::month_period`; the year level is folded from it
    /// when written.
    month_product: FxHashMap<(i64, Cow<'a, str>), ProductSums>,
    /// (warehouse, product) → signed quantity (in `sums.qty`) and stock-moving lines
    stock: FxHashMap<(Cow<'a, str>, Cow<'a, str>), ProductSums>,
}

impl<'a> RollupDelta<'a> {
    /// An empty delta, or `None` while a benchmark has roll-up maintenance switched off.
    pub(crate) fn new_if_enabled() -> Option<RollupDelta<'a>> {
        ROLLUPS_ENABLED.load(Ordering::Relaxed).then(RollupDelta::default)
    }

    /// The same delta, owning its codes.
    pub(crate) fn into_owned(self) -> RollupDelta<'static> {
        let owned = |code: Cow<'a, str>| Cow::Owned(code.into_owned());
        RollupDelta {
            day: self.day,
            month_product: self
                .month_product
                .into_iter()
                .map(|((month, product), sums)| ((month, owned(product)), sums))
                .collect(),
            stock: self
                .stock
                .into_iter()
                .map(|((warehouse, product), sums)| ((owned(warehouse), owned(product)), sums))
                .collect(),
        }
    }

    /// Adds one confirmed document HQ is about to store; `values` are its lines' values.
    pub(crate) fn add_document(&mut self, document: &'a Document, values: &[LineValues]) {
        debug_assert_eq!(document.lines.len(), values.len());
        let sign = document.doc_type.stock_sign();
        let is_sale = document.doc_type.counts_as_sale();
        let (year, month) = (document.date.year(), document.date.month());
        let month_period = packed::month_period(year, month);
        let mut day_sums = SalesSums::default();
        for (line, values) in document.lines.iter().zip(values) {
            if sign != 0 {
                let key = (
                    Cow::Borrowed(document.warehouse.as_str()),
                    Cow::Borrowed(line.product.as_str()),
                );
                let qty = if sign > 0 { line.qty } else { -line.qty };
                self.stock.entry(key).or_default().add_line(SalesSums {
                    qty,
                    ..SalesSums::default()
                });
            }
            if !is_sale {
                continue;
            }
            let sums = SalesSums {
                qty: line.qty,
                amount: values.amount,
                tax: values.tax,
                total: values.total,
            };
            day_sums.add(sums);
            self.month_product
                .entry((month_period, Cow::Borrowed(line.product.as_str())))
                .or_default()
                .add_line(sums);
        }
        if is_sale && !document.lines.is_empty() {
            self.day.entry(document.date).or_default().add(day_sums);
        }
    }

    /// Adds the delta to the stored roll-ups: queues the day upserts, and reads, adds to and
    /// queues back the packed sales and on-hand blocks it touches (assigning ids to product and
    /// warehouse codes seen for the first time). Runs inside the ingestion transaction, which
    /// holds the branch's lock (see the module comment).
    pub(crate) async fn add_to(
        self,
        connection: &mut AnyConnection,
        native: &mut NativeHandle,
        store: &Store,
        branch_id: i64,
        inserts: &mut Inserts<'a>,
    ) -> Result<(), StoreError> {
        let dialect = store.dialect();
        let sums_cells = |sums: SalesSums| {
            [
                Value::Decimal(Some(sums.qty)),
                Value::Decimal(Some(sums.amount)),
                Value::Decimal(Some(sums.tax)),
                Value::Decimal(Some(sums.total)),
            ]
        };
        // Each table's rows go in key order, so consecutive upserts touch neighbouring b-tree
        // pages.
        let mut cells = Vec::with_capacity(self.day.len() * 6);
        for (day, sums) in sorted(self.day) {
            cells.extend([
                Value::Int(branch_id),
                Value::Text(day.format("%Y-%m-%d").to_string()),
            ]);
            cells.extend(sums_cells(sums));
        }
        inserts.add(&DAY_UPSERT, cells);
        if self.month_product.is_empty() && self.stock.is_empty() {
            return Ok(());
        }
        let mut year_product: FxHashMap<(i64, &str), ProductSums> = FxHashMap::default();
        for ((month, product), sums) in &self.month_product {
            let year = packed::year_of_month(*month);
            year_product.entry((year, product)).or_default().add(sums);
        }
        // Warehouse codes take their ids from the same dictionary as products (see `packed`).
        let mut codes: Vec<&str> = self
            .month_product
            .keys()
            .map(|(_, product)| product.as_ref())
            .chain(
                self.stock
                    .keys()
                    .flat_map(|(warehouse, product)| [warehouse.as_ref(), product.as_ref()]),
            )
            .collect();
        codes.sort_unstable();
        codes.dedup();
        let ids = packed_store::product_ids(connection, dialect, native, store.slot_cache(), &codes).await?;
        let ids: FxHashMap<&str, i64> = codes.into_iter().zip(ids).collect();
        let month_product = self
            .month_product
            .iter()
            .map(|((month, product), sums)| ((*month, product.as_ref()), *sums));
        let stock = self
            .stock
            .iter()
            .map(|((warehouse, product), sums)| ((ids[warehouse.as_ref()], product.as_ref()), *sums));
        let levels = [
            (
                &YEAR_BLOCK_UPSERT,
                pack_delta(branch_id, year_product, &ids, packed::block_key)?,
            ),
            (
                &MONTH_BLOCK_UPSERT,
                pack_delta(branch_id, month_product, &ids, packed::block_key)?,
            ),
            (
                &STOCK_BLOCK_UPSERT,
                pack_delta(branch_id, stock, &ids, packed::stock_key)?,
            ),
        ];
        let wanted: Vec<(&'static str, Vec<i64>)> = levels
            .iter()
            .map(|(spec, blocks)| (spec.table, blocks.keys().copied().collect()))
            .collect();
        let stored = packed_store::read_blocks(connection, dialect, native, &wanted).await?;
        for ((spec, blocks), mut stored) in levels.into_iter().zip(stored) {
            let mut cells = Vec::with_capacity(blocks.len() * 2);
            for (key, (first_product, delta)) in blocks {
                let mut block = match stored.remove(&key) {
                    Some(bytes) => Block::decode(&bytes, key)?,
                    None => Block::default(),
                };
                block.add(&delta, first_product)?;
                cells.extend([Value::Int(key), Value::Blob(block.encode())]);
            }
            inserts.add(spec, cells);
        }
        Ok(())
    }
}

/// The sums one batch adds to one product in one period, with how many lines they fold.
#[derive(Debug, Clone, Copy, Default)]
struct ProductSums {
    sums: SalesSums,
    lines: i64,
}

impl ProductSums {
    fn add_line(&mut self, sums: SalesSums) {
        self.sums.add(sums);
        self.lines += 1;
    }

    fn add(&mut self, other: &ProductSums) {
        self.sums.add(other.sums);
        self.lines += other.lines;
    }
}

/// A level's delta as blocks by row key (`key` of branch, period or warehouse id, and block),
/// each with the id of its first product; sums scaled as stored.
fn pack_delta<'k>(
    branch_id: i64,
    delta: impl IntoIterator<Item = ((i64, &'k str), ProductSums)>,
    ids: &FxHashMap<&str, i64>,
    key: fn(i64, i64, i64) -> Result<i64, PackError>,
) -> Result<BTreeMap<i64, (i64, Block)>, PackError> {
    let mut blocks: BTreeMap<i64, (i64, Block)> = BTreeMap::new();
    for ((period, product), sums) in delta {
        let id = *ids.get(product).expect("every product of the delta has an id");
        let (block, slot) = packed::block_of(id);
        let overflow = |what| PackError::Overflow { what, product: id };
        let scaled = SlotSums {
            qty: checked_scaled(sums.sums.qty, QTY_SCALE).ok_or_else(|| overflow("quantity"))?,
            amount: checked_scaled(sums.sums.amount, AMOUNT_SCALE).ok_or_else(|| overflow("amount"))?,
            tax: checked_scaled(sums.sums.tax, AMOUNT_SCALE).ok_or_else(|| overflow("tax"))?,
            lines: sums.lines,
        };
        let first_product = block * packed::BLOCK_SLOTS as i64;
        let (_, stored) = blocks
            .entry(key(branch_id, period, block)?)
            .or_insert_with(|| (first_product, Block::default()));
        let target = &mut stored.slots[slot];
        *target = target.checked_add(scaled, id)?;
    }
    Ok(blocks)
}

/// `value × 10^scale` as an i64, `None` when it does not fit.
pub(super) fn checked_scaled(value: Decimal, scale: u32) -> Option<i64> {
    let mut value = value;
    value.rescale(scale);
    if value.scale() != scale {
        return None;
    }
    i64::try_from(value.mantissa()).ok()
}

fn sorted<K: Ord, V>(map: FxHashMap<K, V>) -> Vec<(K, V)> {
    let mut entries: Vec<(K, V)> = map.into_iter().collect();
    entries.sort_unstable_by(|(left, _), (right, _)| left.cmp(right));
    entries
}

const DAY_UPSERT: InsertSpec = InsertSpec {
    table: "sales_day",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("day", ColumnKind::Text),
        ("qty", ColumnKind::Decimal(QTY_SCALE)),
        ("amount", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("tax", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("total", ColumnKind::Decimal(AMOUNT_SCALE)),
    ],
    on_conflict: "ON CONFLICT (branch_id, day) DO UPDATE SET \
                  qty = sales_day.qty + excluded.qty, amount = sales_day.amount + excluded.amount, \
                  tax = sales_day.tax + excluded.tax, total = sales_day.total + excluded.total",
};

/// A packed block written back whole (read, added to and re-encoded in `add_to`).
const YEAR_BLOCK_UPSERT: InsertSpec = InsertSpec {
    table: "sales_year_block",
    columns: &[("key", ColumnKind::Int), ("sums", ColumnKind::Blob)],
    on_conflict: "ON CONFLICT (key) DO UPDATE SET sums = excluded.sums",
};

const MONTH_BLOCK_UPSERT: InsertSpec = InsertSpec {
    table: "sales_month_block",
    ..YEAR_BLOCK_UPSERT
};

const STOCK_BLOCK_UPSERT: InsertSpec = InsertSpec {
    table: "stock_block",
    ..YEAR_BLOCK_UPSERT
};
