//! Base-data and template commands: `product add`, `customer add`, `supplier add`,
//! `warehouse add` and `template import FILE`.

use crate::ledger::Ledger;
use crate::AddOutcome;
use anyhow::Context;
use branchline_shared::{parse_decimal, BaseKind, BaseRecord, DecimalKind};
use std::io::Write;
use std::path::Path;

/// The record of `product add CODE --name NAME [--unit UNIT] [--price PRICE]`, checked before
/// the ledger is opened.
pub(super) fn product_record(
    code: &str,
    name: &str,
    unit: String,
    price: Option<String>,
) -> anyhow::Result<BaseRecord> {
    let mut record = BaseRecord::new(BaseKind::Product, code, name);
    record.unit = unit;
    record.price = price
        .map(|price| parse_decimal(&price, DecimalKind::Price))
        .transpose()
        .with_context(|| format!("product {code}: --price"))?;
    Ok(record)
}

/// `product add`, `customer add`, `supplier add`, `warehouse add`.
pub(super) fn add_record(ledger: &Ledger, record: BaseRecord, out: &mut impl Write) -> anyhow::Result<()> {
    match ledger.add_base_record(&record)? {
        AddOutcome::Added { seq } => {
            writeln!(out, "added {} {} (outbox seq {seq})", record.kind, record.code)?
        }
        AddOutcome::AlreadyPresent => writeln!(
            out,
            "{} {} already present; nothing changed",
            record.kind, record.code
        )?,
    }
    Ok(())
}

/// `template import FILE`: a template file applied like one from HQ's inbox. The file is read
/// before the ledger is opened.
pub(super) fn import_template(ledger_path: &Path, file: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let outcome = Ledger::open(ledger_path)?
        .import_template_file(&bytes)
        .with_context(|| file.display().to_string())?;
    if outcome.applied {
        let limits = match outcome.stock_limits {
            Some(n_limits) => format!(", {n_limits} stock limits"),
            None => String::new(),
        };
        writeln!(
            out,
            "applied template {} version {}: {} records updated{limits}",
            outcome.name, outcome.version, outcome.upserted
        )?;
    } else {
        writeln!(
            out,
            "template {} version {} is not newer than the applied one; nothing changed",
            outcome.name, outcome.version
        )?;
    }
    for kept in &outcome.kept_local {
        writeln!(out, "kept branch-local {kept} (the template has the same code)")?;
    }
    Ok(())
}
