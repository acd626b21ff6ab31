//! Base-data rows (`base_record` table): reading, checking and upserting one record with its
//! origin (branch-local or HQ-owned). No outbox: the operations above decide what to send.

use crate::error::LedgerError;
use branchline_shared::{parse_decimal, BaseKind, BaseRecord, DecimalKind};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// Who owns a base-data record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Added at this branch; pushed to HQ.
    Local,
    /// Brought by an HQ template.
    Hq,
}

impl Origin {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::Hq => "hq",
        }
    }
}

/// One record and its origin, if present.
pub(crate) fn load_base_record(
    conn: &Connection,
    kind: BaseKind,
    code: &str,
) -> Result<Option<(BaseRecord, Origin)>, LedgerError> {
    let mut statement = conn.prepare_cached(
        "SELECT code, name, unit, price, branch, origin FROM base_record WHERE kind = ?1 AND code = ?2",
    )?;
    let mut rows = statement.query((kind.as_str(), code))?;
    match rows.next()? {
        Some(row) => Ok(Some(record_from_row(kind, row)?)),
        None => Ok(None),
    }
}

/// Every record of `kind`, ordered by code, with its origin.
pub(crate) fn load_base_records(
    conn: &Connection,
    kind: BaseKind,
) -> Result<Vec<(BaseRecord, Origin)>, LedgerError> {
    let mut statement = conn.prepare_cached(
        "SELECT code, name, unit, price, branch, origin FROM base_record WHERE kind = ?1 ORDER BY code",
    )?;
    let mut rows = statement.query([kind.as_str()])?;
    let mut records = Vec::new();
    while let Some(row) = rows.next()? {
        records.push(record_from_row(kind, row)?);
    }
    Ok(records)
}

/// Whether a record of `kind` with `code` exists.
pub(crate) fn base_record_exists(conn: &Connection, kind: BaseKind, code: &str) -> Result<bool, LedgerError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM base_record WHERE kind = ?1 AND code = ?2")?
        .query_row((kind.as_str(), code), |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

/// Inserts or replaces a record with the given origin.
pub(crate) fn upsert_base_record(
    conn: &Connection,
    record: &BaseRecord,
    origin: Origin,
) -> Result<(), LedgerError> {
    conn.prepare_cached(
        "INSERT INTO base_record (kind, code, name, unit, price, branch, origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (kind, code) DO UPDATE SET name = excluded.name, unit = excluded.unit,
             price = excluded.price, branch = excluded.branch, origin = excluded.origin",
    )?
    .execute((
        record.kind.as_str(),
        &record.code,
        &record.name,
        &record.unit,
        record.price.map(|price| price.to_string()),
        &record.branch,
        origin.as_str(),
    ))?;
    Ok(())
}

fn record_from_row(kind: BaseKind, row: &rusqlite::Row<'_>) -> Result<(BaseRecord, Origin), LedgerError> {
    let price: Option<String> = row.get(3)?;
    let price = price
        .map(|text| parse_decimal(&text, DecimalKind::Price))
        .transpose()
        .map_err(|error| LedgerError::StoredData {
            what: format!("price of {kind}"),
            reason: error.to_string(),
        })?;
    let origin: String = row.get(5)?;
    let record = BaseRecord {
        kind,
        code: row.get(0)?,
        name: row.get(1)?,
        unit: row.get(2)?,
        price,
        branch: row.get(4)?,
    };
    let origin = if origin == "hq" { Origin::Hq } else { Origin::Local };
    Ok((record, origin))
}
