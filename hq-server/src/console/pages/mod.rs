//! The console's pages, one module each, each adding its own routes.

mod accounts;
mod audit;
mod board;
mod inventory;
mod orgs;
mod quarantine;
mod sales;
mod templates;
mod trades;

use super::ctx::Ctx;
use super::layout::Nav;
use super::Console;
use axum::Router;
use maud::{html, Markup};

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .merge(board::routes())
        .merge(sales::routes())
        .merge(inventory::routes())
        .merge(quarantine::routes())
        .merge(trades::routes())
        .merge(templates::routes())
        .merge(orgs::routes())
        .merge(accounts::routes())
        .merge(audit::routes())
}

/// A page that is not built yet (replaced by its module's owner).
fn pending(ctx: &Ctx, nav: Nav) -> Markup {
    let title = ctx.lang.w(nav.word());
    ctx.page(
        nav,
        title,
        html! { p.muted { (ctx.lang.t("此页尚在建设中。", "This page is being built.")) } },
    )
}
