//! What the workbench's handlers share about a request: the page's language (`?lang=`, then the
//! `lang` cookie), the ledger opened on a blocking thread, the CSRF check of a posted form, and
//! the refusal of any Host that is not loopback (a page of another site that had its name
//! resolve to 127.0.0.1 could otherwise read the workbench).

use super::state::Workbench;
use super::words::Lang;
use crate::error::LedgerError;
use crate::ledger::Ledger;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The language of a request: `?lang=zh|en` when given, else the `lang` cookie, else Chinese.
pub(super) fn lang(headers: &HeaderMap, query_lang: Option<&str>) -> Lang {
    if let Some(lang) = query_lang.and_then(Lang::from_code) {
        return lang;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix("lang="))
        .find_map(Lang::from_code)
        .unwrap_or(Lang::Zh)
}

/// Runs `call` on the ledger, opened for this request on a blocking thread.
pub(super) async fn with_ledger<T: Send + 'static>(
    state: &Arc<Workbench>,
    call: impl FnOnce(&Ledger) -> Result<T, LedgerError> + Send + 'static,
) -> Result<T, LedgerError> {
    let path = state.ledger.clone();
    tokio::task::spawn_blocking(move || call(&Ledger::open(&path)?))
        .await
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()))
}

/// Whether a posted form carries this workbench's token.
pub(super) fn csrf_ok(state: &Workbench, posted: &str) -> bool {
    !posted.is_empty() && posted == state.csrf
}

/// Refuses a request whose Host is not 127.0.0.1, [::1] or localhost (with any port).
pub(super) async fn loopback_host_only(request: Request, next: Next) -> Response {
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
