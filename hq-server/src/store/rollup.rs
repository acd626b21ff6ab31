//! Report roll-ups (issue 6), maintained incrementally in the transaction that ingests the
//! documents: a batch's documents are aggregated in memory first, then added to the stored
//! roll-ups, so a report's cost grows with the number of groups it reads and not with the number
//! of stored lines.
//!
//! Levels written: `sales_day` (branch × day) and `stock_on_hand` (branch × warehouse ×
//! product), each one upsert per touched row (`migrations/*/0002_reports.sql`); and the product
//! levels `sales_year_block` and `sales_month_block`, packed (`packed.rs`): one row per branch ×
//! period × block of `BLOCK_SLOTS` products. For those the batch's delta is folded per block, the
//! touched blocks are read, added to in Rust and written back. This read-modify-write is safe
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

/// What one batch adds to every roll-up of one branch. Keys borrow the batch's codes; months
/// and years are numbers until written.
#[derive(Debug, Default)]
pub(crate) struct RollupDelta<'a> {
    day: FxHashMap<NaiveDate, SalesSums>,
    /// (month period, product), see `packed::month_period`; the year level is folded from it
    /// when written.
    month_product: FxHashMap<(i64, &'a str), ProductSums>,
    /// (warehouse, product) → signed quantity
    stock: FxHashMap<(&'a str, &'a str), Decimal>,
}

impl<'a> RollupDelta<'a> {
    /// An empty delta, or `None` while a benchmark has roll-up maintenance switched off.
    pub(crate) fn new_if_enabled() -> Option<RollupDelta<'a>> {
        ROLLUPS_ENABLED.load(Ordering::Relaxed).then(RollupDelta::default)
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
                let key = (document.warehouse.as_str(), line.product.as_str());
                let on_hand = self.stock.entry(key).or_default();
                if sign > 0 {
                    *on_hand += line.qty;
                } else {
                    *on_hand -= line.qty;
                }
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
            let product = line.product.as_str();
            self.month_product
                .entry((month_period, product))
                .or_default()
                .add_line(sums);
        }
        if is_sale && !document.lines.is_empty() {
            self.day.entry(document.date).or_default().add(day_sums);
        }
    }

    /// Adds the delta to the stored roll-ups: queues the day and stock upserts, and reads,
    /// adds to and queues back the packed product blocks it touches (assigning ids to product
    /// codes seen for the first time). Runs inside the ingestion transaction, which holds the
    /// branch's lock (see the module comment).
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
        let mut cells = Vec::with_capacity(self.stock.len() * 4);
        for ((warehouse, product), qty) in sorted(self.stock) {
            cells.extend([
                Value::Int(branch_id),
                Value::Str(warehouse),
                Value::Str(product),
                Value::Decimal(Some(qty)),
            ]);
        }
        inserts.add(&STOCK_UPSERT, cells);
        if self.month_product.is_empty() {
            return Ok(());
        }
        let mut year_product: FxHashMap<(i64, &str), ProductSums> = FxHashMap::default();
        for ((month, product), sums) in &self.month_product {
            let year = packed::year_of_month(*month);
            year_product.entry((year, *product)).or_default().add(sums);
        }
        let mut codes: Vec<&str> = self.month_product.keys().map(|(_, product)| *product).collect();
        codes.sort_unstable();
        codes.dedup();
        let ids = packed_store::product_ids(connection, dialect, native, store.slot_cache(), &codes).await?;
        let ids: FxHashMap<&str, i64> = codes.into_iter().zip(ids).collect();
        let levels = [
            (&YEAR_BLOCK_UPSERT, pack_delta(branch_id, year_product, &ids)?),
            (
                &MONTH_BLOCK_UPSERT,
                pack_delta(branch_id, self.month_product, &ids)?,
            ),
        ];
        let wanted: Vec<(&'static str, Vec<i64>)> = levels
            .iter()
            .map(|(spec, blocks)| (spec.table, blocks.keys().copied().collect()))
            .collect();
        let stored = packed_store::read_blocks(connection, dialect, native, &wanted).await?;
        for ((spec, blocks), mut stored) in levels.into_iter().zip(stored) {
            let mut cells = Vec::with_capacity(blocks.len() * 2);
            for (key, delta) in blocks {
                let mut block = match stored.remove(&key) {
                    Some(bytes) => Block::decode(&bytes, key)?,
                    None => Block::default(),
                };
                let (_, _, block_number) = packed::split_key(key);
                block.add(&delta, block_number * packed::BLOCK_SLOTS as i64)?;
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

/// A level's delta as blocks by row key, sums scaled as stored.
fn pack_delta(
    branch_id: i64,
    delta: FxHashMap<(i64, &str), ProductSums>,
    ids: &FxHashMap<&str, i64>,
) -> Result<BTreeMap<i64, Block>, PackError> {
    let mut blocks: BTreeMap<i64, Block> = BTreeMap::new();
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
        let key = packed::block_key(branch_id, period, block)?;
        let target = &mut blocks.entry(key).or_default().slots[slot];
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

const STOCK_UPSERT: InsertSpec = InsertSpec {
    table: "stock_on_hand",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("warehouse", ColumnKind::Text),
        ("product", ColumnKind::Text),
        ("on_hand", ColumnKind::Decimal(QTY_SCALE)),
    ],
    on_conflict: "ON CONFLICT (branch_id, warehouse, product) DO UPDATE SET \
                  on_hand = stock_on_hand.on_hand + excluded.on_hand",
};
