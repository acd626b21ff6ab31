//! What HQ sends a branch: templates (模板发放) and routed documents (单据转换), applied exactly
//! once — the inbound high-water mark is recorded in the same transaction (docs/guarantees.md) — and
//! template files imported by hand (`template import FILE`).

use crate::base_store::{load_base_record, upsert_base_record, Origin};
use crate::doc_store::{insert_document, next_number};
use crate::error::LedgerError;
use crate::ledger::Ledger;
use crate::schema::write_tx;
use crate::stock_limits::replace_template_limits;
use crate::template_parts::{drop_staged_parts, stage_template_part};
use branchline_shared::{
    decode_container, ContainerKind, DocStatus, Document, InboxBody, InboxEntry, Template,
};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// What applying a template did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateOutcome {
    pub name: String,
    pub version: u64,
    /// False when this version, or a newer one, of the template was already applied.
    pub applied: bool,
    /// HQ-owned records inserted or updated.
    pub upserted: u64,
    /// Template records whose code is taken by a branch-local record, kept local ("product P9").
    pub kept_local: Vec<String>,
    /// The stock limits the template carried, when it carries them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock_limits: Option<u64>,
}

impl Ledger {
    /// Applies inbox entries in one transaction: skips those at or below the recorded inbox
    /// position, applies the rest in order and records the new position, which it returns.
    pub fn apply_inbox(&self, entries: &[InboxEntry]) -> Result<u64, LedgerError> {
        let tx = write_tx(&self.conn)?;
        let mut inbox_seq: u64 = tx.query_row("SELECT inbox_seq FROM ledger_info", [], |row| row.get(0))?;
        for entry in entries {
            if entry.seq <= inbox_seq {
                continue;
            }
            match &entry.body {
                InboxBody::Template(template) => apply_inbox_template(&tx, &self.branch, template)?,
                InboxBody::TemplatePart(part) => {
                    if let Some(template) = stage_template_part(&tx, part)? {
                        apply_inbox_template(&tx, &self.branch, &template)?;
                    }
                }
                InboxBody::RoutedDocument(document) => insert_routed_draft(&tx, &self.branch, document)?,
            }
            inbox_seq = entry.seq;
        }
        tx.execute("UPDATE ledger_info SET inbox_seq = ?1", [inbox_seq])?;
        tx.commit()?;
        Ok(inbox_seq)
    }

    /// Imports a template file (container kind Template, one body line holding the template
    /// JSON) like an inbox template, without touching the inbox position.
    pub fn import_template_file(&self, bytes: &[u8]) -> Result<TemplateOutcome, LedgerError> {
        let (_header, lines) = decode_container(bytes, ContainerKind::Template)?;
        let [line] = lines.as_slice() else {
            return Err(LedgerError::TemplateBody {
                reason: format!("expected exactly one template line, found {}", lines.len()),
            });
        };
        let template: Template = serde_json::from_str(line).map_err(|error| LedgerError::TemplateBody {
            reason: error.to_string(),
        })?;
        let tx = write_tx(&self.conn)?;
        let outcome = apply_template(&tx, &self.branch, &template)?;
        tx.commit()?;
        Ok(outcome)
    }
}

/// Applies a template from the inbox, warning of codes kept local.
fn apply_inbox_template(conn: &Connection, branch: &str, template: &Template) -> Result<(), LedgerError> {
    let outcome = apply_template(conn, branch, template)?;
    if !outcome.kept_local.is_empty() {
        tracing::warn!(
            template = %outcome.name,
            kept_local = ?outcome.kept_local,
            "template codes collide with branch-local records; kept the local ones"
        );
    }
    Ok(())
}

/// Upserts a template's records as HQ-owned unless an equal or newer version of the same
/// template name was applied already. Local records win over colliding template codes;
/// nothing is deleted; nothing goes to the outbox (HQ owns these records). A template with
/// stock limits replaces those its older versions brought.
fn apply_template(
    conn: &Connection,
    branch: &str,
    template: &Template,
) -> Result<TemplateOutcome, LedgerError> {
    for record in &template.records {
        record.validate().map_err(|source| LedgerError::TemplateRecord {
            name: template.name.clone(),
            kind: record.kind,
            code: record.code.clone(),
            source,
        })?;
    }
    for limit in template.stock_limits.iter().flatten() {
        limit
            .validate()
            .map_err(|source| LedgerError::TemplateStockLimit {
                name: template.name.clone(),
                warehouse: limit.warehouse.clone(),
                product: limit.product.clone(),
                source,
            })?;
    }
    let mut outcome = TemplateOutcome {
        name: template.name.clone(),
        version: template.version,
        ..TemplateOutcome::default()
    };
    let applied_version: Option<u64> = conn
        .query_row(
            "SELECT version FROM template_applied WHERE name = ?1",
            [&template.name],
            |row| row.get(0),
        )
        .optional()?;
    if applied_version.is_some_and(|applied_version| template.version <= applied_version) {
        return Ok(outcome);
    }
    for record in &template.records {
        match load_base_record(conn, record.kind, &record.code)? {
            Some((_, Origin::Local)) => outcome
                .kept_local
                .push(format!("{} {}", record.kind, record.code)),
            Some((existing, Origin::Hq)) if existing == *record => {}
            _ => {
                upsert_base_record(conn, record, Origin::Hq)?;
                outcome.upserted += 1;
            }
        }
    }
    if let Some(limits) = &template.stock_limits {
        replace_template_limits(conn, branch, &template.name, limits)?;
        outcome.stock_limits = Some(limits.len() as u64);
    }
    conn.execute(
        "INSERT INTO template_applied (name, version) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version",
        (&template.name, template.version),
    )?;
    drop_staged_parts(conn, &template.name, template.version)?;
    outcome.applied = true;
    Ok(outcome)
}

/// Stores a document HQ routed here as a draft numbered by this ledger, keeping its link.
/// A draft with the same link already present makes this a no-op (never doubled).
fn insert_routed_draft(conn: &Connection, branch: &str, routed: &Document) -> Result<(), LedgerError> {
    if let Some(link) = &routed.link {
        let exists = conn
            .prepare_cached("SELECT 1 FROM document WHERE link_branch = ?1 AND link_number = ?2")?
            .exists((&link.branch, &link.number))?;
        if exists {
            return Ok(());
        }
    }
    let mut document = routed.clone();
    document.number = next_number(conn, branch)?;
    // A routed red document points at the sender's number; here it reverses the local
    // document routed from that number.
    if let (Some(source_number), Some(link)) = (&routed.red_of, &routed.link) {
        let local_source: Option<String> = conn
            .prepare_cached("SELECT number FROM document WHERE link_branch = ?1 AND link_number = ?2")?
            .query_row((&link.branch, source_number), |row| row.get(0))
            .optional()?;
        if let Some(local_source) = local_source {
            document.red_of = Some(local_source);
        }
    }
    document.validate()?;
    let checksum = document.content_checksum();
    insert_document(conn, &document, DocStatus::Draft, &checksum)?;
    Ok(())
}
