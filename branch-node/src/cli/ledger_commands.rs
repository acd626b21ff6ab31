//! Commands about the ledger as a whole and what it sends HQ: `init`, `stock` (against the
//! stock limits too), `status`,
//! `bundle export` and `epoch new`.

use super::args::Format;
use crate::bundle_export::BundleBound;
use crate::bundle_files::export_bundle_files;
use crate::ledger::Ledger;
use crate::render;
use crate::stock_limits::LimitFilter;
use std::io::Write;
use std::path::Path;

/// `init --branch CODE --name NAME [--allow-negative-stock]`.
pub(super) fn init(
    ledger_path: &Path,
    branch: &str,
    name: &str,
    allow_negative_stock: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    Ledger::create(ledger_path, branch, name, allow_negative_stock)?;
    writeln!(
        out,
        "created ledger {} for branch {branch}",
        ledger_path.display()
    )?;
    Ok(())
}

/// What `stock` asks: a warehouse and/or product, and against the stock limits or not.
pub(super) struct StockQuery<'a> {
    pub(super) warehouse: Option<&'a str>,
    pub(super) product: Option<&'a str>,
    pub(super) limits: Option<LimitFilter>,
}

/// `stock [--warehouse CODE] [--product CODE] [--below-min | --above-max]`.
pub(super) fn stock(
    ledger: &Ledger,
    asked: StockQuery<'_>,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if let Some(filter) = asked.limits {
        let rows = ledger.stock_against_limits(filter, asked.warehouse, asked.product)?;
        match format {
            Format::Json => writeln!(out, "{}", render::limit_json(&rows))?,
            Format::Table => write!(out, "{}", render::limit_table(filter, &rows))?,
        }
        return Ok(());
    }
    let rows = ledger.stock(asked.warehouse, asked.product)?;
    match format {
        Format::Json => writeln!(out, "{}", render::stock_json(&rows))?,
        Format::Table => write!(out, "{}", render::stock_table(&rows))?,
    }
    Ok(())
}

/// `status`: epoch, outbox and inbox positions.
pub(super) fn status(ledger: &Ledger, format: Format, out: &mut impl Write) -> anyhow::Result<()> {
    let status = ledger.status()?;
    match format {
        Format::Json => writeln!(out, "{}", render::status_json(&status))?,
        Format::Table => write!(out, "{}", render::status_text(&status))?,
    }
    Ok(())
}

/// `bundle export --out FILE`: the unsent outbox as one or more bundle files.
pub(super) fn export_bundle(
    ledger: &Ledger,
    file: &Path,
    max_entries: usize,
    max_bytes: usize,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let bound = BundleBound {
        entries_max: max_entries.max(1),
        bytes_max: max_bytes.max(1),
    };
    export_bundle_files(ledger, file, bound, out)
}

/// `epoch new`: the next epoch, with the old one's unacknowledged entries carried into it.
pub(super) fn new_epoch(ledger: &Ledger, out: &mut impl Write) -> anyhow::Result<()> {
    let outcome = ledger.new_epoch()?;
    for (old_number, new_number) in &outcome.renumbered {
        writeln!(out, "{old_number} → {new_number}")?;
    }
    writeln!(
        out,
        "started epoch {}: carried {} unacknowledged entries of epoch {} into it, renumbered {} documents",
        outcome.epoch,
        outcome.carried,
        outcome.previous_epoch,
        outcome.renumbered.len()
    )?;
    Ok(())
}
