//! Around every console response: the language (`?lang=` sets the `bl_lang` cookie, else the
//! cookie, else Chinese), a failed page rendered inside the layout, and the security headers —
//! a strict Content-Security-Policy (assets from the console only, no inline script or style),
//! no framing, no caching of pages.

use super::ctx::{cookie_value, session_of};
use super::error::ConsoleError;
use super::i18n::{Lang, LANG_COOKIE};
use super::layout;
use crate::console::state::Console;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::html;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The `?lang=` of a query string.
fn asked_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == "lang")
        .and_then(|(_, value)| Lang::parse(value))
}

pub(super) async fn decorate(State(console): State<Console>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let asked = asked_lang(parts.uri.query());
    let lang = asked
        .or_else(|| cookie_value(&parts, LANG_COOKIE).as_deref().and_then(Lang::parse))
        .unwrap_or_default();
    parts.extensions.insert(lang);
    let session = session_of(&parts, &console);
    let mut response = next.run(Request::from_parts(parts, body)).await;

    if let Some(error) = response.extensions_mut().remove::<ConsoleError>() {
        let (zh, en) = error.heading();
        let user = session
            .as_ref()
            .map(|session| (&session.user, session.csrf.as_str()));
        let body = html! {
            p.error id="error" { (error.message) }
            p { a href="/" id="back" { (lang.t("返回总览", "Back to the board")) } }
        };
        let page = layout::page(lang, user, None, lang.t(zh, en), body);
        response = (error.status, page).into_response();
    }
    let headers = response.headers_mut();
    if let Some(lang) = asked {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Strict",
            lang.code()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_the_language() {
        assert_eq!(asked_lang(Some("lang=en")), Some(Lang::En));
        assert_eq!(asked_lang(Some("org=001&lang=zh")), Some(Lang::Zh));
        assert_eq!(asked_lang(Some("lang=fr")), None);
        assert_eq!(asked_lang(None), None);
    }
}
