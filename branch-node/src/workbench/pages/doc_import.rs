//! A documents JSONL file (README's format) uploaded from the documents page and imported as
//! confirmed documents, all or nothing (the same `import_documents` as `branch-node doc import`):
//! back to the list with what it did, or with the line that stopped it.

use super::{refusal, stale_form, upload};
use crate::workbench::frame::Nav;
use crate::workbench::request::{csrf_ok, lang, with_ledger};
use crate::workbench::state::Workbench;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

/// Back to the documents list with `done` shown.
fn back(done: &str) -> Response {
    let query = serde_urlencoded::to_string([("done", done)]).unwrap_or_default();
    Redirect::to(&format!("/documents?{query}")).into_response()
}

pub(crate) async fn import(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang(&headers, None);
    let (csrf, bytes) = match upload(multipart).await {
        Ok(posted) => posted,
        Err(error) => return refusal(lang, "", Nav::Documents, StatusCode::BAD_REQUEST, &error),
    };
    if !csrf_ok(&state, &csrf) {
        return stale_form(lang, Nav::Documents);
    }
    if bytes.is_empty() {
        return back(lang.t("请先选择单据文件。", "Choose a documents file first."));
    }
    match with_ledger(&state, move |ledger| ledger.import_documents(&bytes, &mut |_| {})).await {
        Ok(summary) => back(&format!(
            "{} {} {}，{} {}；{} {}",
            lang.t("已导入", "Imported"),
            summary.imported,
            lang.t("张单据", "documents"),
            summary.lines,
            lang.t("行", "lines"),
            summary.already_present,
            lang.t("张已存在", "already there")
        )),
        Err(error) => back(&error.to_string()),
    }
}
