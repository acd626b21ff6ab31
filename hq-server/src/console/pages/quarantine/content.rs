//! A quarantined entry's content as the page shows it: a document with its header and lines, a
//! base record or a rejection read from the JSON HQ holds, and that JSON itself, indented. An
//! entry that was malformed on arrival has no content HQ could read.

use super::super::super::i18n::Lang;
use super::super::super::words;
use branchline_shared::{BaseRecord, DocRejection, Document, EntryBody};
use maud::{html, Markup};

pub(super) fn content(lang: Lang, json: &str) -> Markup {
    if json.is_empty() {
        return html! {
            p.muted.no-content {
                (lang.t(
                    "条目到达时格式错误，总部无法读取其内容：须由分支机构更正后重发。",
                    "The entry was malformed when it arrived, so HQ holds no content: the branch must correct and resend it.",
                ))
            }
        };
    }
    let read = serde_json::from_str::<EntryBody>(json).ok();
    let indented = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| json.to_owned());
    html! {
        @match &read {
            Some(EntryBody::Document(document)) => (document_view(lang, document)),
            Some(EntryBody::BaseRecord(record)) => (record_view(lang, record)),
            Some(EntryBody::Rejection(rejection)) => (rejection_view(lang, rejection)),
            None => {}
        }
        details.json {
            summary { "JSON" }
            pre.entry-json { (indented) }
        }
    }
}

fn document_view(lang: Lang, document: &Document) -> Markup {
    html! {
        dl.facts {
            dt { (lang.w(words::DOCUMENT)) } dd.doc-number { (document.number) " (" (document.doc_type.as_str()) ")" }
            dt { (lang.t("日期", "Date")) } dd { (document.date.to_string()) }
            @if !document.partner.is_empty() {
                dt { (lang.t("往来单位", "Partner")) } dd { (document.partner) }
            }
            dt { (lang.t("仓库", "Warehouse")) } dd { (document.warehouse) }
            @if let Some(red_of) = &document.red_of {
                dt { (lang.t("红字冲销", "Red document of")) } dd { (red_of) }
            }
            @if let Some(link) = &document.link {
                dt { (lang.t("关联单据", "Linked to")) } dd { (link.branch) " " (link.number) }
            }
        }
        table.grid.lines {
            thead {
                tr {
                    th { (lang.t("商品", "Product")) }
                    th.num { (lang.t("数量", "Qty")) }
                    th.num { (lang.t("单价", "Price")) }
                    th.num { (lang.t("折扣", "Discount")) }
                    th.num { (lang.t("税率", "Tax rate")) }
                }
            }
            tbody {
                @for line in &document.lines {
                    tr {
                        td.product { (line.product) }
                        td.num { (line.qty.to_string()) }
                        td.num { (line.price.to_string()) }
                        td.num { (line.discount.to_string()) }
                        td.num { (line.tax_rate.to_string()) }
                    }
                }
            }
        }
    }
}

fn record_view(lang: Lang, record: &BaseRecord) -> Markup {
    html! {
        dl.facts {
            dt { (lang.w(words::BASE_DATA)) } dd { (record.kind.as_str()) " " (record.code) }
            dt { (lang.t("名称", "Name")) } dd { (record.name) }
            @if !record.unit.is_empty() {
                dt { (lang.t("单位", "Unit")) } dd { (record.unit) }
            }
            @if let Some(price) = record.price {
                dt { (lang.t("单价", "Price")) } dd { (price.to_string()) }
            }
            @if !record.branch.is_empty() {
                dt { (lang.w(words::BRANCH)) } dd { (record.branch) }
            }
        }
    }
}

fn rejection_view(lang: Lang, rejection: &DocRejection) -> Markup {
    html! {
        dl.facts {
            dt { (lang.t("拒绝的草稿", "Rejected draft")) } dd { (rejection.number) }
            dt { (lang.t("转自", "Routed from")) } dd { (rejection.link.branch) " " (rejection.link.number) }
            dt { (lang.t("原因", "Reason")) } dd { (rejection.reason) }
        }
    }
}
