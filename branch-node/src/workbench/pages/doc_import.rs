//! A documents JSONL file (README's format) uploaded from the documents page and imported as
//! confirmed documents, all or nothing (the same `import_documents` as `branch-node doc import`):
//! back to the list with what it did, or with the line that stopped it.

use super::posted_file;
use super::refusal_words::say;
use crate::workbench::frame::Nav;
use crate::workbench::notice::Notice;
use crate::workbench::request::{lang, with_ledger};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use axum::extract::{Multipart, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::Arc;

pub(crate) async fn import(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang(&headers, None);
    let bytes = match posted_file(&state, lang, Nav::Documents, multipart).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            let choose = lang.t("请先选择单据文件。", "Choose a documents file first.");
            return state
                .notices
                .redirect("/documents", Notice::Refused(choose.into()));
        }
        Err(refused) => return refused,
    };
    let notice = match with_ledger(&state, move |ledger| ledger.import_documents(&bytes, &mut |_| {})).await {
        Ok(summary) => Notice::Done(match lang {
            Lang::Zh => format!(
                "已导入 {} 张单据，{} 行；{} 张已存在",
                summary.imported, summary.lines, summary.already_present
            ),
            Lang::En => format!(
                "Imported {} documents, {} lines; {} already there",
                summary.imported, summary.lines, summary.already_present
            ),
        }),
        Err(error) => Notice::Refused(say(lang, &error)),
    };
    state.notices.redirect("/documents", notice)
}
