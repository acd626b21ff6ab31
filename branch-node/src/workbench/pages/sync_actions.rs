//! The sync page's buttons: "send now" (writes the request a running transfer agent takes,
//! `agent_files::send_now_path`), the unsent outbox downloaded as a bundle file for HQ (the same
//! `export_bundle` as `branch-node bundle export`), and a template file from HQ imported (the
//! same `import_template_file` as `branch-node template import`). Each posted form carries the
//! workbench's token; each outcome returns to the sync page in plain words.

use super::refusal_words::say;
use super::{posted_file, refusal, stale_form, TokenForm};
use crate::agent_files::send_now_path;
use crate::workbench::frame::Nav;
use crate::workbench::notice::Notice;
use crate::workbench::request::{csrf_ok, lang, with_ledger};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use axum::extract::{Form, Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use std::sync::Arc;

/// The three forms, and the last one's outcome above them.
pub(super) fn buttons(lang: Lang, csrf: &str, notice: Option<&Notice>) -> Markup {
    html! {
        h2 { (lang.t("操作", "Actions")) }
        (Notice::markup(notice))
        form.filters method="post" action="/sync/send-now" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" id="send-now" { (lang.t("立即发送", "Send now")) }
            span.hint { (lang.t("请传输代理立即发送和接收", "asks the running transfer agent to push and pull at once")) }
        }
        form.filters method="post" action="/sync/bundle" {
            input type="hidden" name="csrf" value=(csrf);
            button type="submit" id="export-bundle" { (lang.t("导出数据包", "Export a bundle")) }
            span.hint { (lang.t("未发送的条目存为文件，交总部导入", "the unsent entries as a file for HQ to import")) }
        }
        form.filters method="post" action="/sync/template" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(csrf);
            input type="file" name="file" id="template-file";
            button type="submit" id="import-template" { (lang.t("导入模板文件", "Import a template file")) }
        }
    }
}

pub(crate) async fn send_now(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let lang = lang(&headers, None);
    if !csrf_ok(&state, &form.csrf) {
        return stale_form(&state, lang, Nav::Sync);
    }
    let requested_at = chrono::Utc::now().to_rfc3339();
    match std::fs::write(send_now_path(&state.ledger), requested_at) {
        Ok(()) => {
            let asked = lang.t(
                "已请传输代理立即发送；它正在运行时，几秒内就会发送。",
                "The transfer agent is asked to send now; if it is running, it does so within seconds.",
            );
            state.notices.redirect("/sync", Notice::Done(asked.into()))
        }
        Err(error) => {
            let message = format!("{}: {error}", send_now_path(&state.ledger).display());
            refusal(
                &state,
                lang,
                "",
                Nav::Sync,
                StatusCode::INTERNAL_SERVER_ERROR,
                &message,
            )
        }
    }
}

pub(crate) async fn bundle(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let lang = lang(&headers, None);
    if !csrf_ok(&state, &form.csrf) {
        return stale_form(&state, lang, Nav::Sync);
    }
    match with_ledger(&state, |ledger| {
        Ok((ledger.branch().to_owned(), ledger.export_bundle()?))
    })
    .await
    {
        Ok((branch, bytes)) => {
            let name = format!("{branch}-{}.bundle", chrono::Local::now().format("%Y%m%d-%H%M%S"));
            let disposition = format!("attachment; filename=\"{name}\"");
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
        Err(error) => refusal(
            &state,
            lang,
            "",
            Nav::Sync,
            StatusCode::UNPROCESSABLE_ENTITY,
            &say(lang, &error),
        ),
    }
}

pub(crate) async fn template(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang(&headers, None);
    let bytes = match posted_file(&state, lang, Nav::Sync, multipart).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            let choose = lang.t("请先选择模板文件。", "Choose a template file first.");
            return state.notices.redirect("/sync", Notice::Refused(choose.into()));
        }
        Err(refused) => return refused,
    };
    let notice = match with_ledger(&state, move |ledger| ledger.import_template_file(&bytes)).await {
        Ok(outcome) => Notice::Done(match (lang, outcome.applied) {
            (Lang::Zh, true) => format!(
                "已应用模板 {} v{}：{} 条记录已更新",
                outcome.name, outcome.version, outcome.upserted
            ),
            (Lang::En, true) => format!(
                "Applied template {} v{}: {} records updated",
                outcome.name, outcome.version, outcome.upserted
            ),
            (Lang::Zh, false) => format!(
                "模板 {} v{} 不比已应用的新，未作更改",
                outcome.name, outcome.version
            ),
            (Lang::En, false) => format!(
                "Template {} v{} is not newer than the applied one; nothing changed",
                outcome.name, outcome.version
            ),
        }),
        Err(error) => Notice::Refused(say(lang, &error)),
    };
    state.notices.redirect("/sync", notice)
}
