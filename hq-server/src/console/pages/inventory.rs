//! 多组织库存查询表 (inventory query, `/inventory`): on-hand by organization, warehouse and
//! product for an organization subtree, narrowed to one product and/or warehouse, as
//! `hq-server report inventory` answers it (`Report/Inventory` with the filters and subtotals:
//! a subtotal after every organization's subtree, the total last), each branch's freshness
//! beside it; with 仅显示低于最低库存 ticked, only what is under its stock limit's minimum
//! (`report inventory --below-min`: the limit, shortfall and suggested order, no groupings or
//! subtotals). The query is the page's GET address; every figure is the response's string.

use super::super::ctx::Ctx;
use super::super::error::ConsoleError;
use super::super::layout::Nav;
use super::report_view::{self, Figures, ReportParams};
use crate::console::state::Console;
use axum::extract::RawQuery;
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::ReportRequest;
use maud::{html, Markup};

pub(super) fn routes() -> Router<Console> {
    Router::new().route(Nav::Inventory.path(), get(page))
}

/// The groupings an inventory takes, in `--by`'s order.
const GROUPINGS: [&str; 3] = ["org", "warehouse", "product"];

async fn page(ctx: Ctx, RawQuery(query): RawQuery) -> Result<Markup, ConsoleError> {
    let mut params = ReportParams::parse(query.as_deref())?;
    if params.by.is_empty() {
        params.by = GROUPINGS.iter().map(|by| (*by).to_owned()).collect();
    }
    let below_min = !params.other("below_min").is_empty();
    let request = ReportRequest {
        org: params.org.clone(),
        by: if below_min { Vec::new() } else { params.by.clone() },
        subtotals: !below_min,
        product: params.other("product").to_owned(),
        warehouse: params.other("warehouse").to_owned(),
        below_min,
        ..ReportRequest::default()
    };
    let figures = if below_min {
        Figures::BelowMin
    } else {
        Figures::Inventory
    };
    let response = ctx.report().inventory(ctx.request(request)).await?.into_inner();
    let lang = ctx.lang;
    let root = ctx.user.root.as_deref().unwrap_or("");
    let body = html! {
        form.filters.report-form method="get" action=(Nav::Inventory.path()) {
            label { (lang.t("组织机构（含下级）", "Organization (and below)"))
                input type="text" name="org" id="org" value=(params.org) placeholder=(root);
            }
            label { (lang.t("商品", "Product"))
                input type="text" name="product" id="product" value=(params.other("product"));
            }
            label { (lang.t("仓库", "Warehouse"))
                input type="text" name="warehouse" id="warehouse" value=(params.other("warehouse"));
            }
            (report_view::grouping_boxes(lang, &params, &GROUPINGS))
            label.check {
                input type="checkbox" name="below_min" id="below_min" value="1" checked[below_min];
                (lang.t("仅显示低于最低库存", "Below minimum stock only"))
            }
            button type="submit" id="run" { (lang.t("查询", "Run report")) }
        }
        p.muted {
            (lang.t(
                "结存为 HQ 已收到的最后一笔分录之后的数量；各分支机构的最近接收时间与积压见表中。",
                "On-hand as of the last entry HQ applied; each branch's last contact and backlog are beside it.",
            ))
        }
        (report_view::table(lang, "inventory-table", figures, &response))
    };
    Ok(ctx.page(Nav::Inventory, lang.w(Nav::Inventory.word()), body))
}
