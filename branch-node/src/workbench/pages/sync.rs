//! 同步: where the ledger stands with HQ, in plain words — what waits to be sent (entries and
//! documents), what HQ has acknowledged, the inbox applied, and any hold or rewind HQ caused
//! (the same `Ledger::status` as `branch-node status`).

use super::{refusal, respond};
use crate::hq_position::status_notes;
use crate::workbench::frame::{page, Nav};
use crate::workbench::request::{lang, with_ledger};
use crate::workbench::state::Workbench;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

pub(crate) async fn show(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let status = match with_ledger(&state, |ledger| ledger.status()).await {
        Ok(status) => status,
        Err(error) => {
            return refusal(
                lang,
                "",
                Nav::Sync,
                StatusCode::INTERNAL_SERVER_ERROR,
                &error.to_string(),
            )
        }
    };
    let notes = status_notes(status.hq_rewind.as_ref(), status.hold.as_ref());
    let summary = if status.backlog == 0 {
        lang.t(
            "全部已发送到总部，总部已确认。",
            "Everything is sent to HQ and acknowledged.",
        )
        .to_owned()
    } else {
        match lang {
            super::super::words::Lang::Zh => format!(
                "有 {} 个条目（其中单据 {} 张）等待发送到总部；传输代理联网后会自动发送。",
                status.backlog, status.backlog_documents
            ),
            super::super::words::Lang::En => format!(
                "{} entries ({} documents) wait to be sent to HQ; the transfer agent sends them once it reaches HQ.",
                status.backlog, status.backlog_documents
            ),
        }
    };
    let body = html! {
        p id="sync-summary" { (summary) }
        dl.facts id="sync" {
            dt { (lang.t("积压（条目）", "Backlog (entries)")) } dd id="backlog" { (status.backlog) }
            dt { (lang.t("积压（单据）", "Backlog (documents)")) } dd id="backlog-documents" { (status.backlog_documents) }
            dt { (lang.t("最后序号", "Last seq")) } dd id="last-seq" { (status.last_seq) }
            dt { (lang.t("总部已确认到", "Acknowledged by HQ up to")) } dd id="acked-seq" { (status.acked_seq) }
            dt { (lang.t("纪元", "Epoch")) } dd { (status.epoch) }
            dt { (lang.t("已应用的收件序号", "Inbox applied up to")) } dd id="inbox-seq" { (status.inbox_seq) }
        }
        @for note in &notes { p.error.note { (note) } }
    };
    let title = Nav::Sync.title(lang);
    respond(
        lang,
        query.lang.is_some(),
        StatusCode::OK,
        page(lang, &status.branch, Nav::Sync, title, body),
    )
}
