//! A document to print: an A4 page (`?paper=a4`, the default) or a narrow till receipt
//! (`?paper=receipt`, 80 mm roll), each with its own page size and no navigation; the figures
//! as on the document page (the ledger's stored document, the shared arithmetic, one table).

use super::ledger_refusal;
use crate::workbench::frame::Nav;
use crate::workbench::request::{lang, with_ledger};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use branchline_shared::{format_amount, format_plain, Document};
use maud::{html, Markup, PreEscaped, DOCTYPE};
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
        Ok((branch, Err(error))) => return ledger_refusal(&state, lang, &branch, Nav::Documents, &error),
        Err(error) => return ledger_refusal(&state, lang, "", Nav::Documents, &error),
    };
    let document = &stored.document;
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
                (lines_table(lang, document, receipt))
            }
        }
    };
    page.into_response()
}

/// A document's lines with their amount, tax and total and the document's totals (`#lines`,
/// `#doc-total`); `narrow` (a till receipt) keeps product, quantity, price and total.
pub(super) fn lines_table(lang: Lang, document: &Document, narrow: bool) -> Markup {
    let totals = document.totals();
    let wide = !narrow;
    html! {
        table.grid id="lines" {
            thead { tr {
                th { (lang.t("商品", "Product")) } th.num { (lang.t("数量", "Qty")) } th.num { (lang.t("单价", "Price")) }
                @if wide {
                    th.num { (lang.t("折扣", "Discount")) } th.num { (lang.t("税率", "Tax rate")) }
                    th.num { (lang.t("金额", "Amount")) } th.num { (lang.t("税额", "Tax")) }
                }
                th.num { (lang.t("价税合计", "Total")) }
            } }
            tbody {
                @for line in &document.lines {
                    @let values = line.values();
                    tr {
                        td { (line.product) } td.num { (format_plain(line.qty)) } td.num { (format_plain(line.price)) }
                        @if wide {
                            td.num { (format_plain(line.discount)) } td.num { (format_plain(line.tax_rate)) }
                            td.num { (format_amount(values.amount)) } td.num { (format_amount(values.tax)) }
                        }
                        td.num { (format_amount(values.total)) }
                    }
                }
            }
            tfoot { tr.total {
                td colspan=(if wide { 5 } else { 3 }) { (lang.t("合计", "Total")) }
                @if wide { td.num { (format_amount(totals.amount)) } td.num { (format_amount(totals.tax)) } }
                td.num id="doc-total" { (format_amount(totals.total)) }
            } }
        }
    }
}
