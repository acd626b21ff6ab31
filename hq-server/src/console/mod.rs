//! The HQ console: web pages served by `hq-server` beside its gRPC port, for the accounts of
//! README's "People and scopes". Every figure and every change goes through the gRPC services
//! in process (`api`), behind the same credential gate, so a page sees and may do exactly what
//! its account may over gRPC.
//!
//! `listen` accepts connections (TLS when HQ has it); `frame` wraps every response (language,
//! error pages, security headers); `login` opens and ends sessions (`session`); `ctx` is what a
//! page handler gets; `layout` the frame of a page, in the README's words (`words`, `i18n`);
//! `assets` the embedded style sheet, script and ECharts; `charts` a chart on a page; `pages`
//! the pages themselves.

pub mod api;
pub mod assets;
pub mod charts;
pub mod ctx;
pub mod error;
mod frame;
pub mod i18n;
pub mod layout;
pub mod listen;
mod login;
pub mod pages;
pub mod session;
pub mod words;

use crate::config::Limits;
use api::Api;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use branchline_proto::v1::LogoutRequest;
use session::Sessions;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// The console's state, shared by every request.
#[derive(Clone)]
pub struct Console {
    inner: Arc<Shared>,
}

struct Shared {
    api: Api,
    sessions: Sessions,
    sweep_interval: Duration,
    secure_cookies: bool,
    form_bytes_max: usize,
}

/// Most time between two sweeps of expired sessions (a shorter idle time sweeps as often).
const SWEEP_INTERVAL: Duration = Duration::from_secs(30);

impl Console {
    pub fn new(api: Api, limits: &Limits, tls: bool) -> Console {
        let idle = Duration::from_secs(limits.console_session_idle_seconds);
        Console {
            inner: Arc::new(Shared {
                api,
                sessions: Sessions::new(idle),
                sweep_interval: idle.min(SWEEP_INTERVAL),
                secure_cookies: tls,
                form_bytes_max: limits.max_message_bytes,
            }),
        }
    }

    pub fn api(&self) -> &Api {
        &self.inner.api
    }

    pub fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    /// Whether cookies are marked Secure (the console is served over TLS).
    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }

    /// The largest form or upload a page reads (HQ's `limits.max_message_bytes`).
    pub fn form_bytes_max(&self) -> usize {
        self.inner.form_bytes_max
    }

    /// Every route of the console.
    pub fn router(&self) -> Router {
        Router::new()
            .merge(login::routes())
            .merge(pages::routes())
            .merge(assets::routes())
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                frame::decorate,
            ))
            .layer(DefaultBodyLimit::max(self.form_bytes_max()))
            .with_state(self.clone())
    }

    /// Serves the console on `listener` until `shutdown` completes, ending expired sessions
    /// (their tokens revoked) as it goes.
    pub async fn serve(
        self,
        listener: TcpListener,
        tls: Option<tokio_rustls::TlsAcceptor>,
        shutdown: impl Future<Output = ()>,
    ) {
        let sweeper = tokio::spawn(sweep_sessions(self.clone()));
        listen::serve(listener, self.router(), tls, shutdown).await;
        sweeper.abort();
    }
}

/// Ends idle sessions as they expire, revoking their login tokens at HQ.
async fn sweep_sessions(console: Console) {
    let mut interval = tokio::time::interval(console.inner.sweep_interval);
    loop {
        interval.tick().await;
        for token in console.sessions().sweep() {
            let request = api::request(
                LogoutRequest {},
                Some(&token),
                std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            );
            if let Err(status) = console.api().account().logout(request).await {
                tracing::warn!(%status, "console: cannot revoke an expired session's token");
            }
        }
    }
}
