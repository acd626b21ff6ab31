//! 单据: the ledger's documents, filtered by type, status, partner and date; one document with
//! its lines (amount, tax and total by the shared arithmetic the ledger posts with); and what an
//! operator does to one — confirm a draft (审核), red a confirmed one, reject a routed draft with a
//! reason — each refusal shown beside its form. 单据转换 lists the drafts other branches' trades
//! routed here.

use super::print::lines_table;
use super::refusal_words::say;
use super::{ledger_refusal, refusal, respond, stale_form, with_lang_cookie};
use crate::doc_store::StoredDocument;
use crate::documents::DocFilter;
use crate::workbench::frame::{page, Nav};
use crate::workbench::notice::Notice;
use crate::workbench::request::{csrf_ok, lang, with_ledger};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use branchline_shared::{format_amount, format_plain, parse_date, DocLine, DocStatus, DocType};
use maud::{html, Markup};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    lang: Option<String>,
    #[serde(default, rename = "type")]
    doc_type: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    partner: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// The key of what the last import did (`doc_import`), shown at the top.
    #[serde(default)]
    done: String,
}

/// The list's filter, or the one field that is not one and why.
struct Filter {
    ledger: DocFilter,
    partner: String,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
}

impl ListQuery {
    fn filter(&self) -> Result<Filter, String> {
        let doc_type = Some(self.doc_type.trim()).filter(|text| !text.is_empty());
        let status = Some(self.status.trim()).filter(|text| !text.is_empty());
        let date = |field: &str, text: &str| {
            Some(text.trim())
                .filter(|text| !text.is_empty())
                .map(|text| parse_date(text).map_err(|error| format!("{field}: {error}")))
                .transpose()
        };
        Ok(Filter {
            ledger: DocFilter {
                doc_type: doc_type
                    .map(DocType::parse)
                    .transpose()
                    .map_err(|error| format!("type: {error}"))?,
                status: status
                    .map(DocStatus::parse)
                    .transpose()
                    .map_err(|error| format!("status: {error}"))?,
            },
            partner: self.partner.trim().to_owned(),
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
        })
    }
}

impl Filter {
    fn keeps(&self, stored: &StoredDocument) -> bool {
        let document = &stored.document;
        (self.partner.is_empty() || document.partner == self.partner)
            && self.from.is_none_or(|from| document.date >= from)
            && self.to.is_none_or(|to| document.date <= to)
    }
}

/// The documents table: number (linked), type, date, partner, warehouse, status, total.
fn documents_table(lang: Lang, documents: &[StoredDocument]) -> Markup {
    html! {
        table.grid id="documents" {
            thead { tr {
                th { (lang.t("单据编号", "Number")) } th { (lang.t("类型", "Type")) }
                th { (lang.t("日期", "Date")) } th { (lang.t("往来单位", "Partner")) }
                th { (lang.t("仓库", "Warehouse")) } th { (lang.t("状态", "Status")) }
                th { (lang.t("来源", "From")) } th.num { (lang.t("价税合计", "Total")) }
            } }
            tbody {
                @for stored in documents {
                    @let document = &stored.document;
                    tr data-number=(document.number) {
                        td { a.number href={ "/documents/" (document.number) } { (document.number) } }
                        td { (lang.doc_type(document.doc_type)) }
                        td { (document.date.format("%Y-%m-%d")) }
                        td { (document.partner) }
                        td { (document.warehouse) }
                        td.status { (lang.status(stored.status)) }
                        td.link { @if let Some(link) = &document.link { (link.branch) " " (link.number) } }
                        td.num { (format_amount(document.totals().total)) }
                    }
                }
            }
        }
        @if documents.is_empty() { p.empty { (lang.t("没有单据。", "No documents.")) } }
    }
}

pub(crate) async fn list(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let filter = query.filter();
    let ledger_filter = filter.as_ref().map(|filter| filter.ledger).unwrap_or_default();
    let found = with_ledger(&state, move |ledger| {
        Ok((ledger.branch().to_owned(), ledger.documents(ledger_filter)?))
    })
    .await;
    let (branch, documents) = match found {
        Ok(found) => found,
        Err(error) => return ledger_refusal(&state, lang, "", Nav::Documents, &error),
    };
    let notice = state.notices.take(&query.done);
    let (documents, error) = match &filter {
        Ok(filter) => (
            documents
                .into_iter()
                .filter(|stored| filter.keeps(stored))
                .collect(),
            None,
        ),
        Err(error) => (Vec::new(), Some(error.clone())),
    };
    let body = html! {
        form.filters method="get" action="/documents" {
            label { (lang.t("类型", "Type")) " "
                select name="type" id="type" {
                    option value="" { (lang.t("全部", "all")) }
                    @for doc_type in DocType::ALL {
                        option value=(doc_type.as_str()) selected[query.doc_type == doc_type.as_str()] { (lang.doc_type(doc_type)) }
                    }
                }
            }
            label { (lang.t("状态", "Status")) " "
                select name="status" id="status" {
                    option value="" { (lang.t("全部", "all")) }
                    @for status in [DocStatus::Draft, DocStatus::Confirmed, DocStatus::Rejected] {
                        option value=(status.as_str()) selected[query.status == status.as_str()] { (lang.status(status)) }
                    }
                }
            }
            label { (lang.t("往来单位", "Partner")) " " input type="text" name="partner" id="partner" value=(query.partner); }
            label { (lang.t("从", "From")) " " input type="text" name="from" id="from" placeholder="YYYY-MM-DD" value=(query.from); }
            label { (lang.t("到", "To")) " " input type="text" name="to" id="to" placeholder="YYYY-MM-DD" value=(query.to); }
            button type="submit" id="documents-submit" { (lang.t("查询", "Show")) }
        }
        @if let Some(error) = &error { p.error id="error" { (error) } }
        (Notice::markup(notice.as_ref()))
        (documents_table(lang, &documents))
        form.filters method="post" action="/documents/import" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(state.csrf);
            input type="file" name="file" id="documents-file";
            button type="submit" id="import-documents" { (lang.t("导入单据文件", "Import a documents file")) }
        }
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let title = Nav::Documents.title(lang);
    respond(
        lang,
        query.lang.is_some(),
        status,
        page(&state, lang, &branch, Nav::Documents, title, body),
    )
}

/// 单据转换: drafts that other branches' trades routed here, to confirm or reject.
pub(crate) async fn routed_drafts(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let filter = DocFilter {
        doc_type: None,
        status: Some(DocStatus::Draft),
    };
    let found = with_ledger(&state, move |ledger| {
        Ok((ledger.branch().to_owned(), ledger.documents(filter)?))
    })
    .await;
    let (branch, mut drafts) = match found {
        Ok(found) => found,
        Err(error) => return ledger_refusal(&state, lang, "", Nav::RoutedDrafts, &error),
    };
    drafts.retain(|stored| stored.document.link.is_some());
    let body = html! {
        p { (lang.t("其他分支机构的单据经总部转换而来的草稿：审核或拒绝。", "Drafts HQ made of other branches' documents: confirm or reject them.")) }
        (documents_table(lang, &drafts))
    };
    let title = Nav::RoutedDrafts.title(lang);
    respond(
        lang,
        query.lang.is_some(),
        StatusCode::OK,
        page(&state, lang, &branch, Nav::RoutedDrafts, title, body),
    )
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

/// What an operator does to one document, and which of its forms a refusal belongs beside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Confirm,
    Red,
    Reject,
}

impl Action {
    /// The action of `/documents/{number}/{action}`.
    fn from_path(segment: &str) -> Option<Action> {
        match segment {
            "confirm" => Some(Action::Confirm),
            "red" => Some(Action::Red),
            "reject" => Some(Action::Reject),
            _ => None,
        }
    }
}

pub(crate) async fn show(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let response = document_page(&state, lang, number, None).await;
    if query.lang.is_some() {
        with_lang_cookie(lang, response)
    } else {
        response
    }
}

/// Document `number` with its lines and forms; `refused` puts a refusal beside its form.
async fn document_page(
    state: &Arc<Workbench>,
    lang: Lang,
    number: String,
    refused: Option<(Action, String)>,
) -> Response {
    let found = with_ledger(state, move |ledger| {
        let stored = ledger
            .document(&number)
            .and_then(|stored| Ok((stored, ledger.counted(&number)?)));
        Ok((ledger.branch().to_owned(), stored))
    })
    .await;
    let (branch, stored) = match found {
        Ok(found) => found,
        Err(error) => return ledger_refusal(state, lang, "", Nav::Documents, &error),
    };
    let (stored, counted) = match stored {
        Ok(stored) => stored,
        Err(error) => return ledger_refusal(state, lang, &branch, Nav::Documents, &error),
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = format!(
        "{} {}",
        lang.doc_type(stored.document.doc_type),
        stored.document.number
    );
    let body = html! {
        (document_head(lang, &stored)) (lines_table(lang, &stored.document, false))
        @if let Some(counted) = counted { (counted_table(lang, &counted)) }
        (actions(lang, &state.csrf, &stored, refused.as_ref()))
    };
    (status, page(state, lang, &branch, Nav::Documents, &title, body)).into_response()
}

/// What a confirmed stock count counted, product by product (its lines above are the
/// differences it posted: 盘盈 positive, 盘亏 negative).
fn counted_table(lang: Lang, counted: &[DocLine]) -> Markup {
    html! {
        p { (lang.t("上表数量为盘点差异（盘盈为正，盘亏为负）；盘点数量如下。", "The quantities above are the differences posted (gains positive, losses negative); what was counted:")) }
        table.grid id="counted" {
            thead { tr { th { (lang.t("商品", "Product")) } th.num { (lang.t("盘点数量", "Counted")) } } }
            tbody { @for line in counted { tr { td { (line.product) } td.num { (format_plain(line.qty)) } } } }
        }
    }
}

fn document_head(lang: Lang, stored: &StoredDocument) -> Markup {
    let document = &stored.document;
    html! {
        dl.facts id="document" {
            dt { (lang.t("状态", "Status")) } dd id="doc-status" { (lang.status(stored.status)) }
            dt { (lang.t("日期", "Date")) } dd { (document.date.format("%Y-%m-%d")) }
            dt { (lang.t("往来单位", "Partner")) } dd { (document.partner) }
            dt { (lang.t("仓库", "Warehouse")) } dd { (document.warehouse) }
            @if !document.to_warehouse.is_empty() { dt { (lang.t("调入仓库", "To warehouse")) } dd id="doc-to-warehouse" { (document.to_warehouse) } }
            @if let Some(red_of) = &document.red_of { dt { (lang.t("红字冲销", "Red of")) } dd { (red_of) } }
            @if let Some(link) = &document.link { dt { (lang.t("来源", "From")) } dd id="doc-link" { (link.branch) " " (link.number) } }
            @if let Some(reason) = &stored.reason { dt { (lang.t("拒绝原因", "Rejected because")) } dd { (reason) } }
        }
    }
}

/// The forms the document's state allows, each with its refusal when it was just refused.
fn actions(lang: Lang, csrf: &str, stored: &StoredDocument, refused: Option<&(Action, String)>) -> Markup {
    let number = &stored.document.number;
    let error = |action: Action| {
        refused
            .filter(|(refused, _)| *refused == action)
            .map(|(_, message)| message.as_str())
    };
    let today = chrono::Local::now().date_naive().format("%Y-%m-%d").to_string();
    html! {
        p.print {
            a href={ "/documents/" (number) "/print?paper=a4" } id="print-a4" { (lang.t("打印（A4）", "Print (A4)")) }
            " · "
            a href={ "/documents/" (number) "/print?paper=receipt" } id="print-receipt" { (lang.t("打印小票", "Print a receipt")) }
        }
        @if stored.status == DocStatus::Draft {
            form.filters.action method="post" action={ "/documents/" (number) "/confirm" } {
                input type="hidden" name="csrf" value=(csrf);
                button type="submit" id="confirm" { (lang.t("审核", "Confirm")) }
                @if let Some(message) = error(Action::Confirm) { span.error id="confirm-error" { (message) } }
            }
        }
        @if stored.status == DocStatus::Draft && stored.document.link.is_some() {
            form.filters.action method="post" action={ "/documents/" (number) "/reject" } {
                input type="hidden" name="csrf" value=(csrf);
                label { (lang.t("拒绝原因", "Reason")) " " input type="text" name="reason" id="reason"; }
                button type="submit" id="reject" { (lang.t("拒绝", "Reject")) }
                @if let Some(message) = error(Action::Reject) { span.error id="reject-error" { (message) } }
            }
        }
        @if stored.status == DocStatus::Confirmed && stored.document.red_of.is_none() && stored.document.doc_type.takes_red() {
            form.filters.action method="post" action={ "/documents/" (number) "/red" } {
                input type="hidden" name="csrf" value=(csrf);
                label { (lang.t("红字日期", "Red date")) " " input type="text" name="date" id="red-date" value=(today); }
                button type="submit" id="red" { (lang.t("红字冲销", "Red")) }
                @if let Some(message) = error(Action::Red) { span.error id="red-error" { (message) } }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    reason: String,
}

/// Runs the action the path names (`confirm`, `red`, `reject`) on document `number` from a
/// posted form: to the resulting document when done, else the page again with the refusal
/// beside the form.
pub(crate) async fn act(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Path((number, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let lang = lang(&headers, None);
    let Some(action) = Action::from_path(&action) else {
        let unknown = format!("{}: {action}", lang.t("没有这个操作", "no such action"));
        return refusal(&state, lang, "", Nav::Documents, StatusCode::NOT_FOUND, &unknown);
    };
    if !csrf_ok(&state, &form.csrf) {
        return stale_form(&state, lang, Nav::Documents);
    }
    let red_date = match parse_date(form.date.trim()) {
        Ok(date) => date,
        Err(error) if action == Action::Red => {
            let message = format!("{}: {error}", lang.t("红字日期", "Red date"));
            return document_page(&state, lang, number, Some((action, message))).await;
        }
        // Only a red takes a date.
        Err(_) => chrono::NaiveDate::MIN,
    };
    let target = number.clone();
    let done = with_ledger(&state, move |ledger| {
        let done = match action {
            Action::Confirm => ledger.confirm_document(&target).map(|_| target),
            Action::Reject => ledger.reject_document(&target, &form.reason).map(|_| target),
            Action::Red => ledger
                .red_document(&target, None, red_date)
                .map(|outcome| outcome.number().to_owned()),
        };
        Ok(done.map_err(|error| say(lang, &error)))
    })
    .await;
    match done {
        Ok(Ok(shown)) => Redirect::to(&format!("/documents/{shown}")).into_response(),
        Ok(Err(message)) => document_page(&state, lang, number, Some((action, message))).await,
        Err(error) => ledger_refusal(&state, lang, "", Nav::Documents, &error),
    }
}
