//! The workbench's pages (one module each) and what they share: the style sheet (the HQ
//! console's own, so both look alike), the language cookie, and the ledger's refusals shown
//! as a page.

pub(super) mod base_data;
pub(super) mod doc_import;
pub(super) mod documents;
pub(super) mod entry;
mod entry_form;
pub(super) mod login_page;
pub(super) mod print;
mod refusal_words;
pub(super) mod stock;
pub(super) mod sync;
pub(super) mod sync_actions;

use super::frame::{page, Nav};
use super::request::csrf_ok;
use super::state::Workbench;
use super::words::Lang;
use crate::error::LedgerError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};

/// The HQ console's style sheet, shared so that the two look and read alike.
const STYLE: &str = include_str!("../../../../hq-server/assets/console.css");

/// The entry form's script (live figures from the server, keyboard entry).
const SCRIPT: &str = include_str!("../../../assets/workbench.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn style() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}

pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `markup` as the answer, keeping the language the query chose (`chosen`) in a cookie.
fn respond(lang: Lang, chosen: bool, status: StatusCode, markup: Markup) -> Response {
    let response = (status, markup).into_response();
    if chosen {
        with_lang_cookie(lang, response)
    } else {
        response
    }
}

/// `response` setting the `lang` cookie, so that the next pages keep the language.
fn with_lang_cookie(lang: Lang, mut response: Response) -> Response {
    let cookie = format!("lang={}; Path=/; SameSite=Strict; HttpOnly", lang.code());
    if let Ok(value) = cookie.parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The page of a ledger that refused a request (a busy or unreadable ledger, a missing
/// document), in the page's language.
fn ledger_refusal(state: &Workbench, lang: Lang, branch: &str, nav: Nav, error: &LedgerError) -> Response {
    let status = match error {
        LedgerError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        LedgerError::DocumentNotFound { .. } => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refusal(state, lang, branch, nav, status, &refusal_words::say(lang, error))
}

/// A posted form that carries only the workbench's token.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// The refusal of a posted form without this workbench's token (a page of another site, or one
/// opened before the workbench restarted).
fn stale_form(state: &Workbench, lang: Lang, nav: Nav) -> Response {
    let message = lang.t(
        "表单已过期：请重新打开本页再提交。",
        "The form is stale: open the page again and resubmit.",
    );
    refusal(state, lang, "", nav, StatusCode::FORBIDDEN, message)
}

/// A page that shows only why the ledger refused (`#error`), with `status`.
fn refusal(
    state: &Workbench,
    lang: Lang,
    branch: &str,
    nav: Nav,
    status: StatusCode,
    message: &str,
) -> Response {
    let body = html! { p.error id="error" { (message) } };
    respond(
        lang,
        false,
        status,
        page(state, lang, branch, nav, nav.title(lang), body),
    )
}

/// The file a page's upload form posted (field `file`, with the form's token `csrf`), or the
/// page's refusal: an unreadable upload (400) or a stale form (403). An empty file is `None`.
async fn posted_file(
    state: &Workbench,
    lang: Lang,
    nav: Nav,
    mut multipart: axum::extract::Multipart,
) -> Result<Option<Vec<u8>>, Response> {
    let unreadable = |error: axum::extract::multipart::MultipartError| {
        refusal(state, lang, "", nav, StatusCode::BAD_REQUEST, &error.to_string())
    };
    let (mut csrf, mut file) = (String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(unreadable)?,
            Some("file") => file = field.bytes().await.map_err(unreadable)?.to_vec(),
            _ => {}
        }
    }
    if !csrf_ok(state, &csrf) {
        return Err(stale_form(state, lang, nav));
    }
    Ok(Some(file).filter(|file| !file.is_empty()))
}
