//! The trades page (being built).

use super::super::ctx::Ctx;
use super::super::layout::Nav;
use crate::console::state::Console;
use axum::routing::get;
use axum::Router;

pub(super) fn routes() -> Router<Console> {
    Router::new().route(
        Nav::Trades.path(),
        get(|ctx: Ctx| async move { super::pending::pending(&ctx, Nav::Trades) }),
    )
}
