//! 录入单据: entering a document line by line. Partner, warehouse and products are picked by
//! code or name from the ledger's base data (the browser's own type-ahead over a datalist);
//! each line's amount, tax and total and the stock on hand beside it come from the server as
//! the operator types (`preview`: the same parsing and arithmetic the ledger posts with, no
//! second computation in the page's script); saved as a draft or confirmed, each refusal beside
//! the line or field it names.

use super::entry_form::{EntryForm, Spot};
use super::refusal_words::say;
use super::{ledger_refusal, stale_form};
use crate::error::LedgerError;
use crate::workbench::frame::{page, Nav};
use crate::workbench::request::{csrf_ok, lang, with_ledger};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use branchline_shared::{format_plain, BaseKind, BaseRecord, DocType, DocumentError};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The ledger's base records the form offers, per kind.
struct Choices {
    partners: Vec<BaseRecord>,
    warehouses: Vec<BaseRecord>,
    products: Vec<BaseRecord>,
}

async fn choices(
    state: &Arc<Workbench>,
    doc_type: Option<DocType>,
) -> Result<(String, Choices), LedgerError> {
    let partner_kind = if doc_type.is_some_and(DocType::partner_is_supplier) {
        BaseKind::Supplier
    } else {
        BaseKind::Customer
    };
    with_ledger(state, move |ledger| {
        let records = |kind| -> Result<Vec<BaseRecord>, LedgerError> {
            Ok(ledger
                .base_records(kind)?
                .into_iter()
                .map(|(record, _)| record)
                .collect())
        };
        Ok((
            ledger.branch().to_owned(),
            Choices {
                partners: records(partner_kind)?,
                warehouses: records(BaseKind::Warehouse)?,
                products: records(BaseKind::Product)?,
            },
        ))
    })
    .await
}

fn datalist(id: &str, records: &[BaseRecord]) -> Markup {
    html! { datalist id=(id) { @for record in records { option value=(record.code) { (record.name) } } } }
}

/// The form with what was typed; `error` beside the field or line it names.
fn entry_form(
    lang: Lang,
    csrf: &str,
    form: &EntryForm,
    choices: &Choices,
    error: Option<&(Spot, String)>,
) -> Markup {
    let error_at = |spot: Spot| {
        error
            .filter(|(at, _)| *at == spot)
            .map(|(_, message)| message.as_str())
    };
    let beside = |spot: Spot, id: &str| {
        html! { @if let Some(message) = error_at(spot) { span.error id=(id) { (message) } } }
    };
    html! {
        form.entry id="entry" method="post" action="/documents/new" {
            input type="hidden" name="csrf" value=(csrf);
            div.filters {
                label { (lang.t("类型", "Type")) " "
                    select name="type" id="entry-type" {
                        @for doc_type in DocType::ALL {
                            option value=(doc_type.as_str()) selected[form.doc_type == doc_type.as_str()] { (lang.doc_type(doc_type)) }
                        }
                    }
                    (beside(Spot::Type, "entry-type-error"))
                }
                label { (lang.t("日期", "Date")) " " input type="text" name="date" id="entry-date" value=(form.date); (beside(Spot::Date, "entry-date-error")) }
                label { (lang.t("往来单位", "Partner")) " " input type="text" name="partner" id="entry-partner" list="partners" value=(form.partner); (beside(Spot::Partner, "entry-partner-error")) }
                label { (lang.t("仓库", "Warehouse")) " " input type="text" name="warehouse" id="entry-warehouse" list="warehouses" value=(form.warehouse); (beside(Spot::Warehouse, "entry-warehouse-error")) }
                label { (lang.t("调入仓库（调拨单）", "To warehouse (transfer)")) " " input type="text" name="to_warehouse" id="entry-to-warehouse" list="warehouses" value=(form.to_warehouse); (beside(Spot::ToWarehouse, "entry-to-warehouse-error")) }
            }
            (datalist("partners", &choices.partners)) (datalist("warehouses", &choices.warehouses)) (datalist("products", &choices.products))
            table.grid id="entry-lines" {
                thead { tr {
                    th { (lang.t("商品", "Product")) } th { (lang.t("数量", "Qty")) } th { (lang.t("单价", "Price")) }
                    th { (lang.t("折扣", "Discount")) } th { (lang.t("税率", "Tax rate")) } th.num { (lang.t("结存", "On hand")) }
                    th.num { (lang.t("金额", "Amount")) } th.num { (lang.t("税额", "Tax")) } th.num { (lang.t("价税合计", "Total")) }
                } }
                tbody {
                    @for (index, line) in form.lines.iter().enumerate() {
                        @let values = line.values().unwrap_or_default();
                        tr.entry-line id={ "line-" (index) } {
                            td { input type="text" name="product" list="products" value=(line.product); }
                            td { input type="text" name="qty" value=(line.qty); }
                            td { input type="text" name="price" value=(line.price); }
                            td { input type="text" name="discount" value=(line.discount) placeholder="0"; }
                            td { input type="text" name="tax_rate" value=(line.tax_rate) placeholder="0"; }
                            td.num.on-hand {}
                            td.num.amount { (values[0]) } td.num.tax { (values[1]) } td.num.total { (values[2]) }
                        }
                        @if let Some(message) = error_at(Spot::Line(index)) { tr.line-error { td.error colspan="9" id={ "line-" (index) "-error" } { (message) } } }
                    }
                }
            }
            div.filters {
                button type="submit" name="action" value="add-line" id="add-line" { (lang.t("添加一行", "Add a line")) }
                button type="submit" name="action" value="draft" id="save-draft" { (lang.t("保存草稿", "Save as draft")) }
                button type="submit" name="action" value="confirm" id="save-confirm" { (lang.t("保存并审核", "Save and confirm")) }
                (beside(Spot::Form, "entry-error"))
            }
        }
        script src="/assets/workbench.js" {}
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewQuery {
    lang: Option<String>,
    #[serde(default, rename = "type")]
    doc_type: String,
}

/// The page of `form`, with `error` beside what it names.
async fn entry_page(
    state: &Arc<Workbench>,
    lang: Lang,
    form: &EntryForm,
    error: Option<&(Spot, String)>,
) -> Response {
    let (branch, choices) = match choices(state, DocType::parse(&form.doc_type).ok()).await {
        Ok(found) => found,
        Err(error) => return ledger_refusal(state, lang, "", Nav::Entry, &error),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = entry_form(lang, &state.csrf, form, &choices, error);
    (
        status,
        page(state, lang, &branch, Nav::Entry, Nav::Entry.title(lang), body),
    )
        .into_response()
}

pub(crate) async fn new_form(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Query(query): Query<NewQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let doc_type = DocType::parse(&query.doc_type).unwrap_or(DocType::SalesOut);
    let form = EntryForm {
        doc_type: doc_type.as_str().into(),
        date: chrono::Local::now().date_naive().format("%Y-%m-%d").to_string(),
        lines: vec![Default::default()],
        ..EntryForm::default()
    };
    let response = entry_page(&state, lang, &form, None).await;
    match query.lang {
        Some(_) => super::with_lang_cookie(lang, response),
        None => response,
    }
}

/// Where on the form a ledger refusal belongs: the field of the code it does not know, or the
/// first line of the product it names.
fn spot_of(form: &EntryForm, error: &LedgerError) -> Spot {
    let line_of = |product: &str| {
        form.filled_lines()
            .find(|(_, line)| line.product == product)
            .map_or(Spot::Form, |(index, _)| Spot::Line(index))
    };
    let nth_line = |line: usize| {
        form.filled_lines()
            .nth(line.saturating_sub(1))
            .map_or(Spot::Form, |(index, _)| Spot::Line(index))
    };
    match error {
        LedgerError::UnknownCode { kind, code, .. } => match kind {
            BaseKind::Customer | BaseKind::Supplier => Spot::Partner,
            BaseKind::Warehouse => Spot::Warehouse,
            BaseKind::Product => line_of(code),
        },
        LedgerError::StockWouldGoNegative { product, .. } | LedgerError::CountedTwice { product, .. } => {
            line_of(product)
        }
        LedgerError::NegativeCount { line, .. } => nth_line(*line),
        LedgerError::Document(
            DocumentError::MissingDestination { .. }
            | DocumentError::SameWarehouse { .. }
            | DocumentError::UnexpectedDestination { .. },
        ) => Spot::ToWarehouse,
        LedgerError::Document(
            DocumentError::MissingPartner { .. } | DocumentError::UnexpectedPartner { .. },
        ) => Spot::Partner,
        LedgerError::Document(DocumentError::DateOutOfRange { .. }) => Spot::Date,
        LedgerError::Document(
            DocumentError::NonPositiveQuantity { line, .. }
            | DocumentError::NegativePrice { line, .. }
            | DocumentError::AmountTooLarge { line, .. },
        ) => nth_line(*line),
        _ => Spot::Form,
    }
}

pub(crate) async fn submit(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = lang(&headers, None);
    let mut form = EntryForm::from_pairs(pairs);
    if !csrf_ok(&state, &form.csrf) {
        return stale_form(&state, lang, Nav::Entry);
    }
    if form.action == "add-line" {
        form.lines.push(Default::default());
        return entry_page(&state, lang, &form, None).await;
    }
    let document = match form.document(lang) {
        Ok(document) => document,
        Err(error) => return entry_page(&state, lang, &form, Some(&error)).await,
    };
    let draft = form.action != "confirm";
    match with_ledger(&state, move |ledger| Ok(ledger.add_document(document, draft))).await {
        Ok(Ok(outcome)) => Redirect::to(&format!("/documents/{}", outcome.number())).into_response(),
        Ok(Err(error)) | Err(error) => {
            let error = (spot_of(&form, &error), say(lang, &error));
            entry_page(&state, lang, &form, Some(&error)).await
        }
    }
}

/// Each line's values and stock on hand for the form as typed, for the page's script.
pub(crate) async fn preview(
    State(state): State<Arc<Workbench>>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = EntryForm::from_pairs(pairs);
    let warehouse = form.warehouse.trim().to_owned();
    let products: Vec<String> = form.lines.iter().map(|line| line.product.clone()).collect();
    let on_hand = with_ledger(&state, move |ledger| {
        Ok(products
            .iter()
            .map(|product| {
                let known = !warehouse.is_empty() && !product.is_empty();
                known
                    .then(|| ledger.on_hand(&warehouse, product).ok())
                    .flatten()
                    .map(format_plain)
            })
            .collect::<Vec<_>>())
    })
    .await
    .unwrap_or_default();
    let lines: Vec<_> = form
        .lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let values = line.values();
            json!({ "values": values, "on_hand": on_hand.get(index).cloned().flatten() })
        })
        .collect();
    let body = json!({ "lines": lines }).to_string();
    ([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}
