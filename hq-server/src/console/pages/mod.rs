//! The console's pages, one module each, each adding its own routes.

mod accounts;
mod audit;
mod board;
mod commission;
mod inventory;
mod orgs;
mod quarantine;
mod report_files;
mod report_view;
mod sales;
mod sales_charts;
mod templates;
mod trades;

use crate::console::state::Console;
use axum::Router;

pub(super) fn routes() -> Router<Console> {
    Router::new()
        .merge(board::routes())
        .merge(sales::routes())
        .merge(inventory::routes())
        .merge(commission::routes())
        .merge(quarantine::routes())
        .merge(trades::routes())
        .merge(templates::routes())
        .merge(orgs::routes())
        .merge(accounts::routes())
        .merge(audit::routes())
}
