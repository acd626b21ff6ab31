//! Report roll-ups, maintained incrementally in the transaction that ingests the
//! documents: a batch's documents are aggregated in memory first, then added to the stored
//! roll-ups, so a report's cost grows with the number of groups it reads and not with the number
//! of stored lines.
//!
//! Levels written: `sales_day` (branch × day), one upsert per touched row
//! (`migrations/*/0001_init.sql`); and, packed (`packed.rs`), the product levels
//! `sales_year_block` and `sales_month_block` (one row per branch × period × block of
//! `BLOCK_SLOTS` products) and the on-hand `stock_block` (one row per branch × warehouse × block).
//! For those the batch's delta becomes additions by product id (`pending::PendingAdds`),
//! resolved, scaled and encoded on the decoding thread when every code already has an id
//! (`prepare`), and `fold::add_batch` keeps them as a pending row of the branch or folds the
//! branch's pending rows into the blocks. Blocks are read, merged and written back; this is safe
//! because a block belongs to one branch and every transaction that adds a branch's documents
//! (ingestion, quarantine retry) first locks that branch's row (`FOR UPDATE`; on SQLite the
//! whole database is one writer). There is no finer level (branch × day × product × customer ×
//! warehouse): it would hold about one row per stored line. Reports that need that detail read
//! the stored lines instead (`report::consolidated`).

use super::fold;
use super::packed::{PackError, SlotSums};
use super::pending::{EncodedRow, PendingAdds};
use super::slot_cache::SlotCache;
use super::{packed, packed_store};
use crate::store::bulk::insert::Inserts;
use crate::store::bulk::rows::{ColumnKind, InsertSpec, Value};
use crate::store::db::dialect::{AMOUNT_SCALE, QTY_SCALE};
use crate::store::db::pool::Conn;
use crate::store::{Store, StoreError};
use branchline_shared::{Document, LineValues};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

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

/// What one batch adds to every roll-up of one branch. Product and warehouse codes are held
/// once each and keyed by their index in `codes`; they borrow the batch's documents (or own
/// them, for a delta computed ahead of the transaction). Months and years are numbers until
/// written.
#[derive(Debug, Default, Clone)]
pub(crate) struct RollupDelta<'a> {
    day: FxHashMap<NaiveDate, SalesSums>,
    /// Every product and warehouse code of the delta, once.
    codes: Vec<Cow<'a, str>>,
    /// Index in `codes` by code, while documents are added.
    index: FxHashMap<&'a str, u32>,
    /// Indexes in `codes` in code order, once sealed (`seal`).
    order: Option<Vec<u32>>,
    /// (month period, product) → sums, see `packed::month_period`; the year level is folded
    /// from it when written.
    month_product: FxHashMap<(i64, u32), ProductSums>,
    /// (warehouse, product) → signed quantity (in `sums.qty`) and stock-moving lines
    stock: FxHashMap<(u32, u32), ProductSums>,
    /// The packed levels' additions by product id, scaled and encoded ahead of the transaction
    /// (`prepare`), when every code already had a committed id.
    prepared: Option<(PendingAdds, EncodedRow)>,
}

impl<'a> RollupDelta<'a> {
    /// An empty delta, or `None` while a benchmark has roll-up maintenance switched off.
    pub(crate) fn new_if_enabled() -> Option<RollupDelta<'a>> {
        crate::bench_switches::rollups().then(RollupDelta::default)
    }

    /// The same delta, sealed and owning its codes: no document can be added any more.
    pub(crate) fn into_owned(mut self) -> RollupDelta<'static> {
        self.seal();
        RollupDelta {
            day: self.day,
            codes: self
                .codes
                .into_iter()
                .map(|code| Cow::Owned(code.into_owned()))
                .collect(),
            index: FxHashMap::default(),
            order: self.order,
            month_product: self.month_product,
            stock: self.stock,
            prepared: None,
        }
    }

    /// Computes the packed levels' additions ahead of the transaction, if every code has a
    /// committed id in `cache` (ids never change once committed) and the sums fit; otherwise
    /// `add_to` does it. Their keys are checked here as for branch 0, and the branch id by
    /// `add_to`.
    pub(crate) fn prepare(&mut self, cache: &SlotCache) {
        let ids = cache.committed_ids(self.codes.iter().map(|code| code.as_ref()));
        if let Some(Ok(adds)) = ids.map(|ids| self.packed_adds(&ids, 0)) {
            let encoded = adds.encode();
            self.prepared = Some((adds, encoded));
        }
    }

    /// The packed levels' additions with `ids` (by index in `codes`), keys checked for `branch_id`.
    fn packed_adds(&self, ids: &[i64], branch_id: i64) -> Result<PendingAdds, PackError> {
        let mut adds = PendingAdds::default();
        adds.sales.reserve(self.month_product.len());
        for ((period, product), sums) in &self.month_product {
            let id = ids[*product as usize];
            // Keys are checked with the batch that brings them, not when it is folded.
            packed::block_key(branch_id, *period, packed::block_of(id).0)?;
            adds.sales.push((*period, id, sums.scaled(id)?));
        }
        adds.stock.reserve(self.stock.len());
        for ((warehouse, product), sums) in &self.stock {
            let (warehouse, id) = (ids[*warehouse as usize], ids[*product as usize]);
            packed::stock_key(branch_id, warehouse, packed::block_of(id).0)?;
            adds.stock.push((warehouse, id, sums.scaled(id)?));
        }
        adds.sort_by_product();
        Ok(adds)
    }

    /// Puts the codes in order, once, ahead of looking up their ids (see `add_to`).
    fn seal(&mut self) {
        if self.order.is_none() {
            let mut order: Vec<u32> = (0..self.codes.len() as u32).collect();
            order
                .sort_unstable_by(|left, right| self.codes[*left as usize].cmp(&self.codes[*right as usize]));
            self.order = Some(order);
        }
    }

    /// The index of `code` in `codes`, adding it if new.
    fn code_index(&mut self, code: &'a str) -> u32 {
        let codes = &mut self.codes;
        *self.index.entry(code).or_insert_with(|| {
            codes.push(Cow::Borrowed(code));
            codes.len() as u32 - 1
        })
    }

    /// Adds one confirmed document HQ is about to store; `values` are its lines' values.
    pub(crate) fn add_document(&mut self, document: &'a Document, values: &[LineValues]) {
        debug_assert_eq!(document.lines.len(), values.len());
        debug_assert!(self.order.is_none(), "a document added to a sealed delta");
        let moves = document.stock_moves();
        let is_sale = document.doc_type.counts_as_sale();
        if moves.is_empty() && !is_sale {
            return;
        }
        let (year, month) = (document.date.year(), document.date.month());
        let month_period = packed::month_period(year, month);
        let warehouses: Vec<(u32, i64)> = moves
            .iter()
            .map(|(warehouse, sign)| (self.code_index(warehouse), *sign))
            .collect();
        let mut day_sums = SalesSums::default();
        for (line, values) in document.lines.iter().zip(values) {
            let product = self.code_index(&line.product);
            for &(warehouse, sign) in &warehouses {
                let qty = if sign > 0 { line.qty } else { -line.qty };
                self.stock
                    .entry((warehouse, product))
                    .or_default()
                    .add_line(SalesSums {
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
                .entry((month_period, product))
                .or_default()
                .add_line(sums);
        }
        if is_sale && !document.lines.is_empty() {
            self.day.entry(document.date).or_default().add(day_sums);
        }
    }

    /// Adds the delta to the stored roll-ups: queues the day upserts, and hands the packed
    /// levels' additions (prepared, or computed now, assigning ids to product and warehouse
    /// codes seen for the first time) to `fold::add_batch`. Runs inside the ingestion
    /// transaction, which holds the branch's lock (see the module comment).
    pub(crate) async fn add_to(
        mut self,
        connection: &mut Conn,
        store: &Store,
        branch_id: i64,
        inserts: &mut Inserts<'a>,
    ) -> Result<(), StoreError> {
        self.seal();
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
        let days = sorted(std::mem::take(&mut self.day));
        let mut months: Vec<(String, SalesSums)> = Vec::new();
        let mut cells = Vec::with_capacity(days.len() * 6);
        for (day, sums) in days {
            let month = day.format("%Y-%m").to_string();
            match months.last_mut() {
                Some((last, month_sums)) if *last == month => month_sums.add(sums),
                _ => months.push((month, sums)),
            }
            cells.extend([
                Value::Int(branch_id),
                Value::Text(day.format("%Y-%m-%d").to_string()),
            ]);
            cells.extend(sums_cells(sums));
        }
        inserts.add(&DAY_UPSERT, cells);
        let mut cells = Vec::with_capacity(months.len() * 6);
        for (month, sums) in months {
            cells.extend([Value::Int(branch_id), Value::Text(month)]);
            cells.extend(sums_cells(sums));
        }
        inserts.add(&MONTH_UPSERT, cells);
        if self.month_product.is_empty() && self.stock.is_empty() {
            return Ok(());
        }
        if let Some((adds, encoded)) = self.prepared {
            if !adds.sales.is_empty() {
                packed::block_key(branch_id, 0, 0)?;
            }
            if !adds.stock.is_empty() {
                packed::stock_key(branch_id, 0, 0)?;
            }
            return fold::add_batch(connection, store, branch_id, adds, Some(encoded), inserts).await;
        }
        // Warehouse codes take their ids from the same dictionary as products (see `packed`).
        let order = self.order.as_deref().unwrap_or_default();
        let in_order: Vec<&str> = order
            .iter()
            .map(|index| self.codes[*index as usize].as_ref())
            .collect();
        let found = packed_store::product_ids(connection, store.slot_cache(), &in_order).await?;
        let mut ids = vec![0; self.codes.len()];
        for (index, id) in order.iter().zip(found) {
            ids[*index as usize] = id;
        }
        let adds = self.packed_adds(&ids, branch_id)?;
        fold::add_batch(connection, store, branch_id, adds, None, inserts).await
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

    /// The sums scaled as stored; `product` names the slot in an overflow error.
    fn scaled(&self, product: i64) -> Result<SlotSums, PackError> {
        let overflow = |what| PackError::Overflow { what, product };
        Ok(SlotSums {
            qty: checked_scaled(self.sums.qty, QTY_SCALE).ok_or_else(|| overflow("quantity"))?,
            amount: checked_scaled(self.sums.amount, AMOUNT_SCALE).ok_or_else(|| overflow("amount"))?,
            tax: checked_scaled(self.sums.tax, AMOUNT_SCALE).ok_or_else(|| overflow("tax"))?,
            lines: self.lines,
        })
    }
}

/// `value × 10^scale` as an i64, `None` when it does not fit.
fn checked_scaled(value: Decimal, scale: u32) -> Option<i64> {
    if let Some(shift) = scale.checked_sub(value.scale()) {
        // Exact: a mantissa that does not fit makes a scaled value that does not either.
        let mantissa = i64::try_from(value.mantissa()).ok()?;
        return mantissa.checked_mul(10_i64.checked_pow(shift)?);
    }
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

const MONTH_UPSERT: InsertSpec = InsertSpec {
    table: "sales_month",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("month", ColumnKind::Text),
        ("qty", ColumnKind::Decimal(QTY_SCALE)),
        ("amount", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("tax", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("total", ColumnKind::Decimal(AMOUNT_SCALE)),
    ],
    on_conflict: "ON CONFLICT (branch_id, month) DO UPDATE SET \
                  qty = sales_month.qty + excluded.qty, amount = sales_month.amount + excluded.amount, \
                  tax = sales_month.tax + excluded.tax, total = sales_month.total + excluded.total",
};
