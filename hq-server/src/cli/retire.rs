//! `hq-server retire-year YEAR [--db URL] [--config FILE]` (docs/operations.md, "Retiring a
//! year"): run at HQ against the store itself, as `serve` is, since it detaches tables; a
//! PostgreSQL store only.

use crate::config::ServeConfig;
use crate::store::db::dialect::Dialect;
use crate::store::history::retire::{retire_year, RetireError};
use crate::store::Store;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub(super) struct RetireArgs {
    /// The last year retired: its documents and lines, and every earlier year's, leave the
    /// month partitions reports read.
    #[arg(value_parser = clap::value_parser!(i32).range(1900..=9999))]
    year: i32,
    /// TOML config file whose `db` is the store (as for serve).
    #[arg(long)]
    config: Option<PathBuf>,
    /// postgres://... of the store (default: the config's `db`).
    #[arg(long)]
    db: Option<String>,
}

pub(super) async fn run(args: RetireArgs) -> anyhow::Result<()> {
    let mut config = ServeConfig::load(args.config.as_deref())?;
    if let Some(db) = args.db {
        config.db = db;
    }
    // Refused before opening: opening an SQLite path that does not exist would create a store.
    if Dialect::from_url(&config.db) == Some(Dialect::Sqlite) {
        return Err(RetireError::Sqlite.into());
    }
    let store = Store::open(&config.db, 2).await?;
    let today = chrono::Utc::now().date_naive();
    let retired = retire_year(&store, args.year, today).await;
    store.close().await;
    let retired = retired?;
    println!(
        "retired {} and earlier: {} month partitions detached ({} documents, {} lines); \
         documents dated before {} are quarantined from now on",
        args.year,
        retired.partitions.len(),
        retired.documents,
        retired.lines,
        retired.before
    );
    if !retired.partitions.is_empty() {
        println!(
            "detached tables, kept in the database: {}",
            retired.partitions.join(", ")
        );
    }
    Ok(())
}
