//! 基础资料: the ledger's products, customers, suppliers and warehouses, HQ's (from templates)
//! and this branch's own, and a branch-local record added (the same `add_base_record` as
//! `branch-node product add` and the others: pushed to HQ with the next transfer).

use super::refusal_words::say;
use super::{ledger_refusal, stale_form};
use crate::base_store::Origin;
use crate::workbench::frame::{page, Nav};
use crate::workbench::notice::Notice;
use crate::workbench::request::{csrf_ok, lang, with_ledger};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use crate::AddOutcome;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use branchline_shared::{format_plain, parse_decimal, BaseKind, BaseRecord, DecimalKind};
use maud::html;
use serde::Deserialize;
use std::sync::Arc;

const KINDS: [BaseKind; 4] = [
    BaseKind::Product,
    BaseKind::Customer,
    BaseKind::Supplier,
    BaseKind::Warehouse,
];

fn kind_word(lang: Lang, kind: BaseKind) -> &'static str {
    match kind {
        BaseKind::Product => lang.t("商品", "Products"),
        BaseKind::Customer => lang.t("客户", "Customers"),
        BaseKind::Supplier => lang.t("供应商", "Suppliers"),
        BaseKind::Warehouse => lang.t("仓库", "Warehouses"),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct BaseQuery {
    lang: Option<String>,
    #[serde(default)]
    kind: String,
    /// The key of what the last add did, shown at the top.
    #[serde(default)]
    done: String,
}

/// The page of `kind`'s records, with `error` beside the add form.
async fn base_page(
    state: &Arc<Workbench>,
    lang: Lang,
    kind: BaseKind,
    notice: Option<Notice>,
    error: Option<&str>,
) -> Response {
    let found = with_ledger(state, move |ledger| {
        Ok((ledger.branch().to_owned(), ledger.base_records(kind)?))
    })
    .await;
    let (branch, records) = match found {
        Ok(found) => found,
        Err(error) => return ledger_refusal(state, lang, "", Nav::BaseData, &error),
    };
    let body = html! {
        form.filters method="get" action="/base" {
            label { (lang.t("类别", "Kind")) " "
                select name="kind" id="kind" {
                    @for each in KINDS { option value=(each.as_str()) selected[each == kind] { (kind_word(lang, each)) } }
                }
            }
            button type="submit" id="kind-submit" { (lang.t("查看", "Show")) }
        }
        (Notice::markup(notice.as_ref()))
        form.filters method="post" action="/base" {
            input type="hidden" name="csrf" value=(state.csrf);
            input type="hidden" name="kind" value=(kind.as_str());
            label { (lang.t("编码", "Code")) " " input type="text" name="code" id="base-code"; }
            label { (lang.t("名称", "Name")) " " input type="text" name="name" id="base-name"; }
            @if kind == BaseKind::Product {
                label { (lang.t("单位", "Unit")) " " input type="text" name="unit" id="base-unit"; }
                label { (lang.t("单价", "Price")) " " input type="text" name="price" id="base-price"; }
            }
            button type="submit" id="base-add" { (lang.t("新增本地资料", "Add a local record")) }
            @if let Some(error) = error { span.error id="base-error" { (error) } }
        }
        table.grid id="base-records" {
            thead { tr {
                th { (lang.t("编码", "Code")) } th { (lang.t("名称", "Name")) }
                @if kind == BaseKind::Product { th { (lang.t("单位", "Unit")) } th.num { (lang.t("单价", "Price")) } }
                th { (lang.t("来源", "Origin")) }
            } }
            tbody { @for (record, origin) in &records { tr data-code=(record.code) {
                td { (record.code) } td { (record.name) }
                @if kind == BaseKind::Product {
                    td { (record.unit) } td.num { (record.price.map(format_plain).unwrap_or_default()) }
                }
                td.origin { @match origin { Origin::Local => (lang.t("本地", "local")), Origin::Hq => (lang.t("总部", "HQ")) } }
            } } }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = Nav::BaseData.title(lang);
    (status, page(state, lang, &branch, Nav::BaseData, title, body)).into_response()
}

pub(crate) async fn show(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Query(query): Query<BaseQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let kind = BaseKind::parse(&query.kind).unwrap_or(BaseKind::Product);
    let notice = state.notices.take(&query.done);
    let response = base_page(&state, lang, kind, notice, None).await;
    match query.lang {
        Some(_) => super::with_lang_cookie(lang, response),
        None => response,
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    price: String,
}

impl AddForm {
    fn record(&self, kind: BaseKind) -> Result<BaseRecord, String> {
        let mut record = BaseRecord::new(kind, self.code.trim(), self.name.trim());
        record.unit = self.unit.trim().to_owned();
        let price = Some(self.price.trim()).filter(|price| !price.is_empty());
        record.price = price
            .map(|price| parse_decimal(price, DecimalKind::Price))
            .transpose()
            .map_err(|error| format!("price: {error}"))?;
        Ok(record)
    }
}

pub(crate) async fn add(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Response {
    let lang = lang(&headers, None);
    if !csrf_ok(&state, &form.csrf) {
        return stale_form(&state, lang, Nav::BaseData);
    }
    let kind = BaseKind::parse(&form.kind).unwrap_or(BaseKind::Product);
    let record = match form.record(kind) {
        Ok(record) => record,
        Err(error) => return base_page(&state, lang, kind, None, Some(&error)).await,
    };
    let code = record.code.clone();
    match with_ledger(&state, move |ledger| ledger.add_base_record(&record)).await {
        Ok(outcome) => {
            let done = match outcome {
                AddOutcome::Added { .. } => format!("{} {code}", lang.t("已新增", "Added")),
                AddOutcome::AlreadyPresent => format!(
                    "{code} {}",
                    lang.t("已存在，未作更改", "is already there; nothing changed")
                ),
            };
            let path = format!("/base?kind={}", kind.as_str());
            state.notices.redirect(&path, Notice::Done(done))
        }
        Err(error) => base_page(&state, lang, kind, None, Some(&say(lang, &error))).await,
    }
}
