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
use super::rows::{insert_rows, ColumnKind, InsertSpec, Value};
use super::Dialect;
use branchline_shared::Document;
use rust_decimal::Decimal;
use sqlx::AnyConnection;
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

/// What one batch adds to every roll-up of one branch.
#[derive(Debug, Default)]
pub(crate) struct RollupDelta {
    day: HashMap<String, SalesSums>,
    month_product: HashMap<(String, String), SalesSums>,
    year_product: HashMap<(String, String), SalesSums>,
    /// (warehouse, product) → signed quantity
    stock: HashMap<(String, String), Decimal>,
}

impl RollupDelta {
    /// Aggregates the confirmed documents HQ is about to store for one branch.
    pub(crate) fn from_documents<'a>(documents: impl IntoIterator<Item = &'a Document>) -> RollupDelta {
        let mut delta = RollupDelta::default();
        if !ROLLUPS_ENABLED.load(Ordering::Relaxed) {
            return delta;
        }
        for document in documents {
            delta.add_document(document);
        }
        delta
    }

    fn add_document(&mut self, document: &Document) {
        let sign = document.doc_type.stock_sign();
        let is_sale = document.doc_type.counts_as_sale();
        let day = document.date.format("%Y-%m-%d").to_string();
        for line in &document.lines {
            if sign != 0 {
                let key = (document.warehouse.clone(), line.product.clone());
                *self.stock.entry(key).or_default() += Decimal::from(sign) * line.qty;
            }
            if !is_sale {
                continue;
            }
            let values = line.values();
            let sums = SalesSums {
                qty: line.qty,
                amount: values.amount,
                tax: values.tax,
                total: values.total,
            };
            self.day.entry(day.clone()).or_default().add(sums);
            let month_key = (day[..7].to_owned(), line.product.clone());
            self.month_product.entry(month_key).or_default().add(sums);
            let year_key = (day[..4].to_owned(), line.product.clone());
            self.year_product.entry(year_key).or_default().add(sums);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.stock.is_empty() && self.day.is_empty()
    }

    /// Adds the delta to the stored roll-ups; call inside the ingestion transaction.
    pub(crate) async fn write(
        self,
        connection: &mut AnyConnection,
        dialect: Dialect,
        branch_id: i64,
    ) -> Result<(), sqlx::Error> {
        if self.is_empty() {
            return Ok(());
        }
        let with_sums = |mut keys: Vec<Value>, sums: SalesSums| {
            keys.extend([
                Value::Decimal(Some(sums.qty)),
                Value::Decimal(Some(sums.amount)),
                Value::Decimal(Some(sums.tax)),
                Value::Decimal(Some(sums.total)),
            ]);
            keys
        };
        let id = Value::Int(branch_id);
        let day_rows = self
            .day
            .into_iter()
            .map(|(day, sums)| with_sums(vec![id.clone(), Value::Text(day)], sums))
            .collect();
        insert_rows(connection, dialect, &DAY_UPSERT, day_rows).await?;
        let month_rows = self
            .month_product
            .into_iter()
            .map(|((month, product), sums)| {
                with_sums(vec![id.clone(), Value::Text(month), Value::Text(product)], sums)
            })
            .collect();
        insert_rows(connection, dialect, &MONTH_PRODUCT_UPSERT, month_rows).await?;
        let year_rows = self
            .year_product
            .into_iter()
            .map(|((year, product), sums)| {
                with_sums(vec![id.clone(), Value::Text(year), Value::Text(product)], sums)
            })
            .collect();
        insert_rows(connection, dialect, &YEAR_PRODUCT_UPSERT, year_rows).await?;
        let stock_rows = self
            .stock
            .into_iter()
            .map(|((warehouse, product), qty)| {
                vec![
                    id.clone(),
                    Value::Text(warehouse),
                    Value::Text(product),
                    Value::Decimal(Some(qty)),
                ]
            })
            .collect();
        insert_rows(connection, dialect, &STOCK_UPSERT, stock_rows).await?;
        Ok(())
    }
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
