//! The sync page's buttons: "send now" (writes the request a running transfer agent takes,
//! `agent_files::send_now_path`), the unsent outbox downloaded as a bundle file for HQ (the same
//! `export_bundle` as `branch-node bundle export`), and a template file from HQ imported (the
//! same `import_template_file` as `branch-node template import`). Each posted form carries the
//! workbench's token; each outcome returns to the sync page in plain words.

use super::{refusal, stale_form, upload};
use crate::agent_files::send_now_path;
use crate::workbench::frame::Nav;
use crate::workbench::request::{csrf_ok, lang, with_ledger};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use axum::extract::{Form, Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use serde::Deserialize;
use std::sync::Arc;

/// The three forms, and the last one's outcome (`done`, from the query) above them.
pub(super) fn buttons(lang: Lang, csrf: &str, done: &str) -> Markup {
    html! {
        h2 { (lang.t("操作", "Actions")) }
        @if !done.is_empty() { p.notice id="done" { (done) } }
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

#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// Back to the sync page with `done` shown.
fn back(done: &str) -> Response {
    let query = serde_urlencoded::to_string([("done", done)]).unwrap_or_default();
    Redirect::to(&format!("/sync?{query}")).into_response()
}

pub(crate) async fn send_now(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let lang = lang(&headers, None);
    if !csrf_ok(&state, &form.csrf) {
        return stale_form(lang, Nav::Sync);
    }
    let requested_at = chrono::Utc::now().to_rfc3339();
    match std::fs::write(send_now_path(&state.ledger), requested_at) {
        Ok(()) => back(lang.t(
            "已请传输代理立即发送；它正在运行时，几秒内就会发送。",
            "The transfer agent is asked to send now; if it is running, it does so within seconds.",
        )),
        Err(error) => refusal(
            lang,
            "",
            Nav::Sync,
            StatusCode::INTERNAL_SERVER_ERROR,
            &error.to_string(),
        ),
    }
}

pub(crate) async fn bundle(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let lang = lang(&headers, None);
    if !csrf_ok(&state, &form.csrf) {
        return stale_form(lang, Nav::Sync);
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
            lang,
            "",
            Nav::Sync,
            StatusCode::UNPROCESSABLE_ENTITY,
            &error.to_string(),
        ),
    }
}

pub(crate) async fn template(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang(&headers, None);
    let (csrf, bytes) = match upload(multipart).await {
        Ok(posted) => posted,
        Err(error) => return refusal(lang, "", Nav::Sync, StatusCode::BAD_REQUEST, &error),
    };
    if !csrf_ok(&state, &csrf) {
        return stale_form(lang, Nav::Sync);
    }
    if bytes.is_empty() {
        return back(lang.t("请先选择模板文件。", "Choose a template file first."));
    }
    match with_ledger(&state, move |ledger| ledger.import_template_file(&bytes)).await {
        Ok(outcome) if outcome.applied => back(&format!(
            "{} {} v{}: {} {}",
            lang.t("已应用模板", "Applied template"),
            outcome.name,
            outcome.version,
            outcome.upserted,
            lang.t("条记录已更新", "records updated")
        )),
        Ok(outcome) => back(&format!(
            "{} {} v{} {}",
            lang.t("模板", "Template"),
            outcome.name,
            outcome.version,
            lang.t(
                "不比已应用的新，未作更改",
                "is not newer than the applied one; nothing changed"
            )
        )),
        Err(error) => back(&error.to_string()),
    }
}
