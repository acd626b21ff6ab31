//! 库存: on hand by warehouse and product (the same `Ledger::stock` as `branch-node stock`),
//! narrowed to one warehouse and/or product, or to codes containing a search text.

use super::refusal_words::say;
use super::{ledger_refusal, respond};
use crate::workbench::frame::{page, Nav};
use crate::workbench::request::{lang, with_ledger};
use crate::workbench::state::Workbench;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use branchline_shared::format_plain;
use maud::html;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StockQuery {
    lang: Option<String>,
    #[serde(default)]
    warehouse: String,
    #[serde(default)]
    product: String,
    /// Codes containing this text (either code).
    #[serde(default)]
    q: String,
}

fn given(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|text| !text.is_empty())
}

pub(crate) async fn show(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Query(query): Query<StockQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let (warehouse, product) = (given(&query.warehouse), given(&query.product));
    let found = with_ledger(&state, move |ledger| {
        let rows = ledger.stock(warehouse.as_deref(), product.as_deref());
        Ok((ledger.branch().to_owned(), rows))
    })
    .await;
    let (branch, rows) = match found {
        Ok(found) => found,
        Err(error) => return ledger_refusal(&state, lang, "", Nav::Stock, &error),
    };
    let search = query.q.trim().to_lowercase();
    let (rows, error) = match rows {
        Ok(rows) => (rows, None),
        Err(error) => (Vec::new(), Some(say(lang, &error))),
    };
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|row| {
            search.is_empty()
                || row.warehouse.to_lowercase().contains(&search)
                || row.product.to_lowercase().contains(&search)
        })
        .collect();
    let body = html! {
        form.filters method="get" action="/stock" {
            label { (lang.t("仓库", "Warehouse")) " " input type="text" name="warehouse" id="warehouse" value=(query.warehouse); }
            label { (lang.t("商品", "Product")) " " input type="text" name="product" id="product" value=(query.product); }
            label { (lang.t("查找", "Search")) " " input type="search" name="q" id="q" value=(query.q); }
            button type="submit" id="stock-submit" { (lang.t("查询", "Show")) }
        }
        @if let Some(error) = &error { p.error id="error" { (error) } }
        table.grid id="stock" {
            thead { tr {
                th { (lang.t("仓库", "Warehouse")) }
                th { (lang.t("商品", "Product")) }
                th.num { (lang.t("结存数量", "On hand")) }
            } }
            tbody {
                @for row in &rows {
                    tr data-warehouse=(row.warehouse) data-product=(row.product) {
                        td { (row.warehouse) }
                        td { (row.product) }
                        td.num.on-hand { (format_plain(row.on_hand)) }
                    }
                }
            }
        }
        @if rows.is_empty() && error.is_none() { p.empty { (lang.t("没有库存记录。", "No stock.")) } }
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    respond(
        lang,
        query.lang.is_some(),
        status,
        page(&state, lang, &branch, Nav::Stock, Nav::Stock.title(lang), body),
    )
}
