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
pub(super) mod stock;
pub(super) mod sync;
pub(super) mod sync_actions;

use super::frame::{page, Nav};
use super::words::Lang;
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

/// The refusal of a posted form without this workbench's token (a page of another site, or one
/// opened before the workbench restarted).
fn stale_form(lang: Lang, nav: Nav) -> Response {
    let message = lang.t(
        "表单已过期：请重新打开本页再提交。",
        "The form is stale: open the page again and resubmit.",
    );
    refusal(lang, "", nav, StatusCode::FORBIDDEN, message)
}

/// A page that shows only why the ledger refused (`#error`), with `status`.
fn refusal(lang: Lang, branch: &str, nav: Nav, status: StatusCode, message: &str) -> Response {
    let body = html! { p.error id="error" { (message) } };
    respond(
        lang,
        false,
        status,
        page(lang, branch, nav, nav.title(lang), body),
    )
}

/// A posted file (field `file`) and the form's token (`csrf`), or why the upload is unreadable.
async fn upload(mut multipart: axum::extract::Multipart) -> Result<(String, Vec<u8>), String> {
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|error| error.to_string())? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|error| error.to_string())?,
            Some("file") => file = Some(field.bytes().await.map_err(|error| error.to_string())?.to_vec()),
            _ => {}
        }
    }
    Ok((csrf, file.unwrap_or_default()))
}
