//! A document to print: an A4 page (`?paper=a4`, the default) or a narrow till receipt
//! (`?paper=receipt`, 80 mm roll), each with its own page size and no navigation; the figures
//! as on the document page (the ledger's stored document, the shared arithmetic).

use super::refusal;
use crate::workbench::frame::Nav;
use crate::workbench::request::{lang, with_ledger};
use crate::workbench::state::Workbench;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use branchline_shared::{format_amount, format_plain};
use maud::{html, PreEscaped, DOCTYPE};
use serde::Deserialize;
use std::sync::Arc;

/// Each paper's page size and type, embedded (the printer may be offline, the page is not).
const A4_STYLE: &str = "@page { size: A4; margin: 15mm; } body { font: 12pt sans-serif; } \
    table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #555; padding: 4px 6px; } \
    td.num, th.num { text-align: right; } .no-print { margin-bottom: 12px; } @media print { .no-print { display: none; } }";
const RECEIPT_STYLE: &str =
    "@page { size: 80mm auto; margin: 3mm; } body { font: 10pt monospace; width: 72mm; } h1 { font-size: 12pt; } \
    table { width: 100%; border-collapse: collapse; } td.num, th.num { text-align: right; } \
    tr.total td { border-top: 1px dashed #000; font-weight: bold; } .no-print { margin-bottom: 8px; } \
    @media print { .no-print { display: none; } }";

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PrintQuery {
    lang: Option<String>,
    #[serde(default)]
    paper: String,
}

pub(crate) async fn show(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(query): Query<PrintQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let receipt = query.paper == "receipt";
    let found = with_ledger(&state, move |ledger| {
        Ok((ledger.branch().to_owned(), ledger.document(&number)))
    })
    .await;
    let (branch, stored) = match found {
        Ok((branch, Ok(stored))) => (branch, stored),
        Ok((branch, Err(error))) => {
            return refusal(
                lang,
                &branch,
                Nav::Documents,
                StatusCode::NOT_FOUND,
                &error.to_string(),
            )
        }
        Err(error) => {
            return refusal(
                lang,
                "",
                Nav::Documents,
                StatusCode::INTERNAL_SERVER_ERROR,
                &error.to_string(),
            )
        }
    };
    let document = &stored.document;
    let totals = document.totals();
    let title = format!("{} {}", lang.doc_type(document.doc_type), document.number);
    let page = html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(if receipt { RECEIPT_STYLE } else { A4_STYLE })) }
            }
            body class=(if receipt { "receipt" } else { "a4" }) {
                div.no-print { button type="button" id="print" onclick="window.print()" { (lang.t("打印", "Print")) } }
                h1 id="print-title" { (title) }
                p {
                    (lang.t("分支机构 ", "Branch ")) (branch) " · " (document.date.format("%Y-%m-%d"))
                    @if !document.partner.is_empty() { " · " (lang.t("往来单位 ", "Partner ")) (document.partner) }
                    " · " (lang.t("仓库 ", "Warehouse ")) (document.warehouse) " · " (lang.status(stored.status))
                }
                table id="print-lines" {
                    thead { tr {
                        th { (lang.t("商品", "Product")) } th.num { (lang.t("数量", "Qty")) } th.num { (lang.t("单价", "Price")) }
                        @if !receipt { th.num { (lang.t("金额", "Amount")) } th.num { (lang.t("税额", "Tax")) } }
                        th.num { (lang.t("价税合计", "Total")) }
                    } }
                    tbody { @for line in &document.lines {
                        @let values = line.values();
                        tr {
                            td { (line.product) } td.num { (format_plain(line.qty)) } td.num { (format_plain(line.price)) }
                            @if !receipt { td.num { (format_amount(values.amount)) } td.num { (format_amount(values.tax)) } }
                            td.num { (format_amount(values.total)) }
                        }
                    } }
                    tfoot { tr.total {
                        td colspan="3" { (lang.t("合计", "Total")) }
                        @if !receipt { td.num { (format_amount(totals.amount)) } td.num { (format_amount(totals.tax)) } }
                        td.num id="print-total" { (format_amount(totals.total)) }
                    } }
                }
            }
        }
    };
    page.into_response()
}
