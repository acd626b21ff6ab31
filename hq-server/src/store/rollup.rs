//! Report roll-ups (issue 6), maintained incrementally in the transaction that ingests the
//! documents: a batch's documents are aggregated in memory first, then written as one multi-row
//! `INSERT ... ON CONFLICT DO UPDATE SET x = x + excluded.x` per roll-up table, so a report's cost
//! grows with the number of groups it reads and not with the number of stored lines.
//!
//! Levels written (schema in `migrations/*/0002_reports.sql`): `sales_day` (branch × day),
//! `sales_month_product`, `sales_year_product`, and `stock_on_hand` (branch × warehouse × product).
//! There is no finer level (branch × day × product × customer × warehouse): it would hold about
//! one row per stored line, so keeping it up to date would cost as much as storing the lines
//! again. Reports that need that detail read the stored lines instead (`report.rs`).

use super::dialect::{AMOUNT_SCALE, QTY_SCALE};
use super::rows::{ColumnKind, InsertSpec, Inserts, Value};
use branchline_shared::{Document, LineValues};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::collections::HashMap;
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
    day: HashMap<NaiveDate, SalesSums>,
    /// (year × 100 + month, product)
    month_product: HashMap<(i32, &'a str), SalesSums>,
    year_product: HashMap<(i32, &'a str), SalesSums>,
    /// (warehouse, product) → signed quantity
    stock: HashMap<(&'a str, &'a str), Decimal>,
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
        let (year, month) = (document.date.year(), document.date.month() as i32);
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
            let month_key = (year * 100 + month, line.product.as_str());
            self.month_product.entry(month_key).or_default().add(sums);
            self.year_product
                .entry((year, line.product.as_str()))
                .or_default()
                .add(sums);
        }
        if is_sale && !document.lines.is_empty() {
            self.day.entry(document.date).or_default().add(day_sums);
        }
    }

    /// Queues the upserts that add the delta to the stored roll-ups (to be written inside the
    /// ingestion transaction).
    pub(crate) fn add_upserts(self, inserts: &mut Inserts<'a>, branch_id: i64) {
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
        let mut cells = Vec::with_capacity(self.month_product.len() * 7);
        for ((month, product), sums) in sorted(self.month_product) {
            let month = format!("{:04}-{:02}", month / 100, month % 100);
            cells.extend([Value::Int(branch_id), Value::Text(month), Value::Str(product)]);
            cells.extend(sums_cells(sums));
        }
        inserts.add(&MONTH_PRODUCT_UPSERT, cells);
        let mut cells = Vec::with_capacity(self.year_product.len() * 7);
        for ((year, product), sums) in sorted(self.year_product) {
            cells.extend([
                Value::Int(branch_id),
                Value::Text(format!("{year:04}")),
                Value::Str(product),
            ]);
            cells.extend(sums_cells(sums));
        }
        inserts.add(&YEAR_PRODUCT_UPSERT, cells);
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
    }
}

fn sorted<K: Ord, V>(map: HashMap<K, V>) -> Vec<(K, V)> {
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

const MONTH_PRODUCT_UPSERT: InsertSpec = InsertSpec {
    table: "sales_month_product",
    columns: &[("branch_id", ColumnKind::Int), ("month", ColumnKind::Text), ("product", ColumnKind::Text), ("qty", ColumnKind::Decimal(QTY_SCALE)), ("amount", ColumnKind::Decimal(AMOUNT_SCALE)), ("tax", ColumnKind::Decimal(AMOUNT_SCALE)), ("total", ColumnKind::Decimal(AMOUNT_SCALE))],
    on_conflict: "ON CONFLICT (branch_id, month, product) DO UPDATE SET \
                  qty = sales_month_product.qty + excluded.qty, \
                  amount = sales_month_product.amount + excluded.amount, \
                  tax = sales_month_product.tax + excluded.tax, total = sales_month_product.total + excluded.total",
};

const YEAR_PRODUCT_UPSERT: InsertSpec = InsertSpec {
    table: "sales_year_product",
    columns: &[("branch_id", ColumnKind::Int), ("year", ColumnKind::Text), ("product", ColumnKind::Text), ("qty", ColumnKind::Decimal(QTY_SCALE)), ("amount", ColumnKind::Decimal(AMOUNT_SCALE)), ("tax", ColumnKind::Decimal(AMOUNT_SCALE)), ("total", ColumnKind::Decimal(AMOUNT_SCALE))],
    on_conflict: "ON CONFLICT (branch_id, year, product) DO UPDATE SET \
                  qty = sales_year_product.qty + excluded.qty, \
                  amount = sales_year_product.amount + excluded.amount, \
                  tax = sales_year_product.tax + excluded.tax, total = sales_year_product.total + excluded.total",
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
