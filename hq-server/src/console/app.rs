//! The console as a server: every route behind the frame, served on a listener until shutdown,
//! with the sweep that ends idle sessions and revokes their login tokens.

use super::state::Console;
use super::{api, assets, frame, listen, login, pages};
use axum::extract::DefaultBodyLimit;
use axum::Router;
use branchline_proto::v1::LogoutRequest;
use std::future::Future;
use tokio::net::TcpListener;

/// Every route of the console.
pub fn router(console: &Console) -> Router {
    Router::new()
        .merge(login::routes())
        .merge(pages::routes())
        .merge(assets::routes())
        .layer(axum::middleware::from_fn_with_state(
            console.clone(),
            frame::decorate,
        ))
        .layer(DefaultBodyLimit::max(console.form_bytes_max()))
        .with_state(console.clone())
}

/// Serves the console on `listener` until `shutdown` completes, ending expired sessions
/// (their tokens revoked) as it goes.
pub async fn serve(
    console: Console,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let sweeper = tokio::spawn(sweep_sessions(console.clone()));
    listen::serve(listener, router(&console), tls, shutdown).await;
    sweeper.abort();
}

/// Ends idle sessions as they expire, revoking their login tokens at HQ.
async fn sweep_sessions(console: Console) {
    let mut interval = tokio::time::interval(console.sweep_interval());
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
