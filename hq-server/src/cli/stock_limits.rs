//! `hq-server admin import stock-limits FILE.csv`: stock limits (安全库存) read and checked from
//! the file, then sent as one `Admin/ImportStockLimits`, which HQ applies all or none.

use super::client::{refused, Client};
use crate::stock_limit_csv::read_stock_limit_csv;
use branchline_proto::v1::{ImportStockLimitsRequest, StockLimitRow};
use branchline_shared::format_plain;
use std::path::Path;

/// Whether `kind` (as `admin import` takes it) names stock limits rather than base data.
pub(super) fn is_stock_limit_kind(kind: &str) -> bool {
    matches!(kind, "stock-limit" | "stock-limits")
}

pub(super) async fn import_stock_limits(client: &mut Client, file: &Path) -> anyhow::Result<()> {
    let lines = read_stock_limit_csv(file)?;
    let rows = lines
        .iter()
        .map(|line| {
            let (warehouse, org) = match &line.rule.scope {
                branchline_shared::LimitScope::Warehouse(code) => (code.clone(), String::new()),
                branchline_shared::LimitScope::Org(code) => (String::new(), code.clone()),
            };
            StockLimitRow {
                line: line.line,
                product: line.rule.product.clone(),
                warehouse,
                org,
                min: format_plain(line.rule.min),
                max: line.rule.max.map(format_plain).unwrap_or_default(),
            }
        })
        .collect();
    let request = ImportStockLimitsRequest {
        file: file.display().to_string(),
        rows,
    };
    let response = client
        .import_stock_limits(request)
        .await
        .map_err(refused)?
        .into_inner();
    println!(
        "{}: {} stock limits, {} created, {} updated",
        file.display(),
        lines.len(),
        response.created,
        response.updated
    );
    Ok(())
}
