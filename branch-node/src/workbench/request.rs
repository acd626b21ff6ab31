//! What the workbench's handlers share about a request: the page's language (`?lang=`, then the
//! `lang` cookie), the ledger opened on a blocking thread, the CSRF check of a posted form, and
//! the refusal of any Host that is not loopback (a page of another site that had its name
//! resolve to 127.0.0.1 could otherwise read the workbench), or, served beyond this machine, the
//! session every page asks for.

use super::login::SESSION_COOKIE;
use super::state::Workbench;
use super::words::Lang;
use crate::error::LedgerError;
use crate::ledger::Ledger;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;

/// The language of a request: `?lang=zh|en` when given, else the `lang` cookie, else Chinese.
pub(super) fn lang(headers: &HeaderMap, query_lang: Option<&str>) -> Lang {
    if let Some(lang) = query_lang.and_then(Lang::from_code) {
        return lang;
    }
    cookie(headers, "lang")
        .and_then(Lang::from_code)
        .unwrap_or(Lang::Zh)
}

/// Runs `call` on the ledger on a blocking thread, with a handle kept from earlier requests
/// when there is one.
pub(super) async fn with_ledger<T: Send + 'static>(
    state: &Arc<Workbench>,
    call: impl FnOnce(&Ledger) -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, LedgerError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let ledger = state.take_ledger()?;
        let answer = call(&ledger.0);
        state.give_back(ledger);
        answer
    })
    .await
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()))
}

/// Whether a posted form carries this workbench's token.
pub(super) fn csrf_ok(state: &Workbench, posted: &str) -> bool {
    !posted.is_empty() && posted == state.csrf
}

/// The value of cookie `name`, if the request has it.
pub(super) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

/// On loopback, refuses a request whose Host is not 127.0.0.1, [::1] or localhost (with any
/// port); served beyond this machine, sends a request without a live session to the login page
/// (but for the login page and the assets).
pub(super) async fn guard(State(state): State<Arc<Workbench>>, request: Request, next: Next) -> Response {
    let Some(login) = &state.login else {
        return loopback_host_only(request, next).await;
    };
    let path = request.uri().path();
    let open = path == "/login" || path.starts_with("/assets/");
    let session = cookie(request.headers(), SESSION_COOKIE).is_some_and(|token| login.check(token));
    if open || session {
        next.run(request).await
    } else {
        Redirect::to("/login").into_response()
    }
}

async fn loopback_host_only(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("");
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    if matches!(name, "127.0.0.1" | "[::1]" | "localhost") {
        next.run(request).await
    } else {
        let refusal = format!("the workbench answers on loopback only, not for host {host:?}");
        (StatusCode::MISDIRECTED_REQUEST, refusal).into_response()
    }
}
