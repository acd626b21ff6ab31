//! Stock (库存): on-hand per warehouse and product, as maintained by posting.

use crate::base_store::base_record_exists;
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::schema::QTY_SCALE;
use branchline_shared::{echo_prefix, from_scaled, BaseKind};
use rust_decimal::Decimal;

/// On-hand of one product in one warehouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    pub warehouse: String,
    pub product: String,
    pub on_hand: Decimal,
}

impl Ledger {
    /// Stock rows, optionally for one warehouse and/or product, ordered by warehouse, product.
    pub fn stock(
        &self,
        warehouse: Option<&str>,
        product: Option<&str>,
    ) -> Result<Vec<StockRow>, LedgerError> {
        self.check_stock_filter(warehouse, product)?;
        let mut statement = self.conn.prepare_cached(
            "SELECT warehouse, product, on_hand FROM stock
             WHERE (?1 IS NULL OR warehouse = ?1) AND (?2 IS NULL OR product = ?2)
             ORDER BY warehouse, product",
        )?;
        let rows = statement.query_map((warehouse, product), |row| {
            Ok(StockRow {
                warehouse: row.get(0)?,
                product: row.get(1)?,
                on_hand: from_scaled(row.get(2)?, QTY_SCALE).normalize(),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Refuses a filter naming no known code: an empty answer would read as "none on hand".
    pub(crate) fn check_stock_filter(
        &self,
        warehouse: Option<&str>,
        product: Option<&str>,
    ) -> Result<(), LedgerError> {
        for (kind, code) in [(BaseKind::Warehouse, warehouse), (BaseKind::Product, product)] {
            if let Some(code) = code {
                if !base_record_exists(&self.conn, kind, code)? {
                    return Err(LedgerError::UnknownFilterCode {
                        kind,
                        code: echo_prefix(code),
                    });
                }
            }
        }
        Ok(())
    }

    /// On-hand of one product in one warehouse (zero when never moved).
    pub fn on_hand(&self, warehouse: &str, product: &str) -> Result<Decimal, LedgerError> {
        let rows = self.stock(Some(warehouse), Some(product))?;
        Ok(rows.first().map_or(Decimal::ZERO, |row| row.on_hand))
    }
}
