//! The branch workbench (工作台, README "The workbench"): the operator's pages in a browser
//! on the branch's own machine, over the same ledger as the command line and the transfer agent,
//! needing no network. `branch-node serve` runs it on loopback (or, with `--allow-network`,
//! behind the workbench's password); every asset is in the binary.
//! Each request opens the ledger for itself (WAL and a busy timeout let the CLI and the agent
//! work on it at once) on a blocking thread.

mod frame;
pub(crate) mod login;
mod notice;
mod pages;
mod request;
mod state;
mod words;

use axum::routing::{get, post};
use axum::Router;
use state::Workbench;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Serves the workbench of the ledger at `ledger` on `listener` until `shutdown` completes;
/// with `login`, every page asks for a session.
pub(crate) async fn serve(
    ledger: PathBuf,
    login: Option<login::Login>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(Workbench::new(ledger, login));
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The largest file the workbench takes (a documents or template file).
const UPLOAD_BYTES_MAX: usize = 512 << 20;

fn router(state: Arc<Workbench>) -> Router {
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/documents") }))
        .route(
            "/login",
            get(pages::login_page::show).post(pages::login_page::login),
        )
        .route("/logout", post(pages::login_page::logout))
        .route("/documents", get(pages::documents::list))
        .route(
            "/documents/new",
            get(pages::entry::new_form).post(pages::entry::submit),
        )
        .route("/documents/preview", post(pages::entry::preview))
        .route("/documents/import", post(pages::doc_import::import))
        .route("/documents/{number}", get(pages::documents::show))
        .route("/documents/{number}/print", get(pages::print::show))
        .route("/documents/{number}/{action}", post(pages::documents::act))
        .route("/drafts", get(pages::documents::routed_drafts))
        .route("/stock", get(pages::stock::show))
        .route("/base", get(pages::base_data::show).post(pages::base_data::add))
        .route("/sync", get(pages::sync::show))
        .route("/sync/send-now", post(pages::sync_actions::send_now))
        .route("/sync/bundle", post(pages::sync_actions::bundle))
        .route("/sync/template", post(pages::sync_actions::template))
        .route("/assets/workbench.css", get(pages::style))
        .route("/assets/workbench.js", get(pages::script))
        // A documents file is imported whole, as by `doc import`.
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_BYTES_MAX))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request::guard,
        ))
        .with_state(state)
}
