//! Staging the parts of a template too large for one message: each part is written in the
//! transaction that records the inbox position past it, and the version is handed back whole,
//! to be applied in that same transaction, when its last part arrives. A crash between parts
//! leaves the staged parts and the position together, so nothing is applied twice or half.

use crate::error::LedgerError;
use branchline_shared::{BaseRecord, Template, TemplatePart, TemplatePartError, WarehouseLimit};
use rusqlite::{Connection, OptionalExtension};

/// Stages `part`; returns the whole template once every part of its version is staged (and
/// drops the staged parts of that and older versions). A part of a version not newer than the
/// applied one is ignored.
pub(crate) fn stage_template_part(
    conn: &Connection,
    part: &TemplatePart,
) -> Result<Option<Template>, LedgerError> {
    part.check()?;
    let applied_version: Option<u64> = conn
        .query_row(
            "SELECT version FROM template_applied WHERE name = ?1",
            [&part.name],
            |row| row.get(0),
        )
        .optional()?;
    if applied_version.is_some_and(|applied_version| part.version <= applied_version) {
        return Ok(None);
    }
    check_part_count(conn, part)?;
    let records = serde_json::to_string(&part.records).expect("records always serialize");
    let limits = part
        .stock_limits
        .as_ref()
        .map(|limits| serde_json::to_string(limits).expect("limits always serialize"));
    conn.execute(
        "INSERT INTO template_part (name, version, part, parts, records, stock_limits)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (name, version, part) DO UPDATE SET records = excluded.records,
             stock_limits = excluded.stock_limits",
        (&part.name, part.version, part.part, part.parts, &records, &limits),
    )?;
    let n_staged: u32 = conn.query_row(
        "SELECT COUNT(*) FROM template_part WHERE name = ?1 AND version = ?2",
        (&part.name, part.version),
        |row| row.get(0),
    )?;
    if n_staged < part.parts {
        return Ok(None);
    }
    let template = staged_template(conn, &part.name, part.version)?;
    drop_staged_parts(conn, &part.name, part.version)?;
    Ok(Some(template))
}

/// Drops the staged parts of template `name` up to `version` (applied whole, or superseded).
pub(crate) fn drop_staged_parts(conn: &Connection, name: &str, version: u64) -> Result<(), LedgerError> {
    conn.execute(
        "DELETE FROM template_part WHERE name = ?1 AND version <= ?2",
        (name, version),
    )?;
    Ok(())
}

/// Refuses a part whose part count differs from an already staged part of the same version.
fn check_part_count(conn: &Connection, part: &TemplatePart) -> Result<(), LedgerError> {
    let staged_parts: Option<u32> = conn
        .query_row(
            "SELECT parts FROM template_part WHERE name = ?1 AND version = ?2 LIMIT 1",
            (&part.name, part.version),
            |row| row.get(0),
        )
        .optional()?;
    match staged_parts {
        Some(expected) if expected != part.parts => Err(TemplatePartError::CountDiffers {
            name: part.name.clone(),
            version: part.version,
            part: part.part,
            found: part.parts,
            expected,
        }
        .into()),
        _ => Ok(()),
    }
}

/// The staged parts of a version joined in part order, with the stock limits a part carried.
fn staged_template(conn: &Connection, name: &str, version: u64) -> Result<Template, LedgerError> {
    let mut statement = conn.prepare(
        "SELECT records, stock_limits FROM template_part WHERE name = ?1 AND version = ?2 ORDER BY part",
    )?;
    let mut rows = statement.query((name, version))?;
    let unreadable = |error: serde_json::Error| LedgerError::TemplateBody {
        reason: format!("staged part of template {name} version {version}: {error}"),
    };
    let mut records: Vec<BaseRecord> = Vec::new();
    let mut stock_limits: Option<Vec<WarehouseLimit>> = None;
    while let Some(row) = rows.next()? {
        let text: String = row.get(0)?;
        let part_records: Vec<BaseRecord> = serde_json::from_str(&text).map_err(unreadable)?;
        records.extend(part_records);
        if let Some(limits) = row.get::<_, Option<String>>(1)? {
            stock_limits = Some(serde_json::from_str(&limits).map_err(unreadable)?);
        }
    }
    Ok(Template {
        name: name.to_owned(),
        version,
        records,
        stock_limits,
    })
}
