//! The writes of a validation plan (`plan`): its documents (with their register rows in
//! `document_key` and their lines), branch-local records and rejections as multi-row inserts, and
//! what its documents add to the report roll-ups; the journal and quarantine rows of a batch.

use super::plan::Plan;
use crate::store::bulk::insert::Inserts;
use crate::store::bulk::rows::{ColumnKind, InsertSpec, Value};
use crate::store::db::dialect::{AMOUNT_SCALE, PRICE_SCALE, QTY_SCALE};
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::value::to_i64;
use crate::store::rollup::delta::RollupDelta;
use branchline_shared::LineValues;

const DOCUMENT_INSERT: InsertSpec = InsertSpec {
    table: "document",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("number", ColumnKind::Text),
        ("epoch", ColumnKind::Int),
        ("seq", ColumnKind::Int),
        ("doc_type", ColumnKind::Text),
        ("doc_date", ColumnKind::Text),
        ("partner", ColumnKind::Text),
        ("warehouse", ColumnKind::Text),
        ("red_of", ColumnKind::Text),
        ("link_branch", ColumnKind::Text),
        ("link_number", ColumnKind::Text),
        ("amount", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("tax", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("total", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("checksum", ColumnKind::Text),
        ("received_at", ColumnKind::Text),
        ("to_warehouse", ColumnKind::Text),
    ],
    on_conflict: "",
};

const LINE_INSERT: InsertSpec = InsertSpec {
    table: "document_line",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("number", ColumnKind::Text),
        ("line_no", ColumnKind::Int),
        ("product", ColumnKind::Text),
        ("qty", ColumnKind::Decimal(QTY_SCALE)),
        ("price", ColumnKind::Decimal(PRICE_SCALE)),
        ("discount", ColumnKind::Decimal(QTY_SCALE)),
        ("tax_rate", ColumnKind::Decimal(QTY_SCALE)),
        ("amount", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("tax", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("total", ColumnKind::Decimal(AMOUNT_SCALE)),
        ("doc_date", ColumnKind::Text),
    ],
    on_conflict: "",
};

/// The register row of a stored document (whole on PostgreSQL, where `document` is partitioned).
const DOCUMENT_KEY_INSERT: InsertSpec = InsertSpec {
    table: "document_key",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("number", ColumnKind::Text),
        ("doc_type", ColumnKind::Text),
        ("doc_date", ColumnKind::Text),
        ("checksum", ColumnKind::Text),
    ],
    on_conflict: "",
};

const BRANCH_RECORD_UPSERT: InsertSpec = InsertSpec {
    table: "branch_record",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("kind", ColumnKind::Text),
        ("code", ColumnKind::Text),
        ("name", ColumnKind::Text),
        ("unit", ColumnKind::Text),
        ("price", ColumnKind::Decimal(PRICE_SCALE)),
        ("branch", ColumnKind::Text),
        ("updated_at", ColumnKind::Text),
    ],
    on_conflict:
        "ON CONFLICT (branch_id, kind, code) DO UPDATE SET name = excluded.name, unit = excluded.unit, \
                  price = excluded.price, branch = excluded.branch, updated_at = excluded.updated_at",
};

const REJECTION_INSERT: InsertSpec = InsertSpec {
    table: "rejection",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("epoch", ColumnKind::Int),
        ("seq", ColumnKind::Int),
        ("number", ColumnKind::Text),
        ("link_branch", ColumnKind::Text),
        ("link_number", ColumnKind::Text),
        ("reason", ColumnKind::Text),
        ("received_at", ColumnKind::Text),
    ],
    on_conflict: "",
};

/// The journal row of every entry a batch brings (applied, duplicate or quarantined).
pub(super) const ENTRY_INSERT: InsertSpec = InsertSpec {
    table: "entry",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("epoch", ColumnKind::Int),
        ("seq", ColumnKind::Int),
        ("content_hash", ColumnKind::Text),
        ("kind", ColumnKind::Text),
        ("outcome", ColumnKind::Text),
        ("received_at", ColumnKind::Text),
    ],
    on_conflict: "",
};

/// An entry HQ could not apply.
pub(super) const QUARANTINE_INSERT: InsertSpec = InsertSpec {
    table: "quarantine",
    columns: &[
        ("branch_id", ColumnKind::Int),
        ("epoch", ColumnKind::Int),
        ("seq", ColumnKind::Int),
        ("reason", ColumnKind::Text),
        ("summary", ColumnKind::Text),
        ("body", ColumnKind::Text),
        ("created_at", ColumnKind::Text),
    ],
    on_conflict: "",
};

/// Writes a plan's documents, lines, branch-local records and rejections, and adds its
/// documents to the report roll-ups.
pub(crate) async fn write_plan(
    connection: &mut Conn,
    store: &crate::store::Store,
    branch_id: i64,
    epoch: u64,
    plan: &Plan<'_>,
    now: &str,
) -> Result<(), crate::store::StoreError> {
    let mut inserts = Inserts::default();
    if let Some(rollups) = add_plan_inserts(&mut inserts, plan, branch_id, epoch, now, None)? {
        rollups.add_to(connection, store, branch_id, &mut inserts).await?;
    }
    Ok(inserts.write(connection).await?)
}

/// Queues the writes of a plan (see `write_plan`) and answers what its documents add to the
/// report roll-ups (`None` while a benchmark has them off); the caller adds that with
/// `RollupDelta::add_to` before writing. `computed` is that delta when the caller already has
/// it for exactly the plan's documents.
pub(crate) fn add_plan_inserts<'a>(
    inserts: &mut Inserts<'a>,
    plan: &'a Plan<'_>,
    branch_id: i64,
    epoch: u64,
    now: &'a str,
    computed: Option<RollupDelta<'a>>,
) -> Result<Option<RollupDelta<'a>>, DbError> {
    let epoch = to_i64(epoch)?;
    let (mut rollup_delta, computed) = match computed {
        Some(delta) => (None, Some(delta)),
        None => (RollupDelta::new_if_enabled(), None),
    };
    add_document_inserts(inserts, plan, (branch_id, epoch), now, rollup_delta.as_mut())?;
    let mut record_cells = Vec::with_capacity(plan.records.len() * BRANCH_RECORD_UPSERT.columns.len());
    for record in plan.records.values() {
        record_cells.extend([
            Value::Int(branch_id),
            Value::Str(record.kind.as_str()),
            Value::Str(&record.code),
            Value::Str(&record.name),
            Value::Str(&record.unit),
            Value::Decimal(record.price),
            Value::Str(&record.branch),
            Value::Str(now),
        ]);
    }
    inserts.add(&BRANCH_RECORD_UPSERT, record_cells);
    let mut rejection_cells = Vec::with_capacity(plan.rejections.len() * REJECTION_INSERT.columns.len());
    for (seq, rejection) in &plan.rejections {
        rejection_cells.extend([
            Value::Int(branch_id),
            Value::Int(epoch),
            Value::Int(to_i64(*seq)?),
            Value::Str(&rejection.number),
            Value::Str(&rejection.link.branch),
            Value::Str(&rejection.link.number),
            Value::Str(&rejection.reason),
            Value::Str(now),
        ]);
    }
    inserts.add(&REJECTION_INSERT, rejection_cells);
    Ok(computed.or(rollup_delta))
}

/// Queues a plan's documents and lines (see `add_plan_inserts`), adding each document to
/// `rollup_delta` if given.
fn add_document_inserts<'a>(
    inserts: &mut Inserts<'a>,
    plan: &'a Plan<'_>,
    (branch_id, epoch): (i64, i64),
    now: &'a str,
    mut rollup_delta: Option<&mut RollupDelta<'a>>,
) -> Result<(), DbError> {
    let n_lines: usize = plan
        .documents
        .iter()
        .map(|planned| planned.document.lines.len())
        .sum();
    let mut document_cells = Vec::with_capacity(plan.documents.len() * DOCUMENT_INSERT.columns.len());
    let mut line_cells = Vec::with_capacity(n_lines * LINE_INSERT.columns.len());
    let mut key_cells = Vec::with_capacity(plan.documents.len() * DOCUMENT_KEY_INSERT.columns.len());
    for planned in &plan.documents {
        let document = planned.document;
        let date = document.date.format("%Y-%m-%d").to_string();
        let line_values = &planned.facts.line_values;
        let mut totals = LineValues::default();
        for (line_idx, (line, values)) in document.lines.iter().zip(line_values).enumerate() {
            totals = totals + *values;
            line_cells.extend([
                Value::Int(branch_id),
                Value::Str(&document.number),
                Value::Int(line_idx as i64 + 1),
                Value::Str(&line.product),
                Value::Decimal(Some(line.qty)),
                Value::Decimal(Some(line.price)),
                Value::Decimal(Some(line.discount)),
                Value::Decimal(Some(line.tax_rate)),
                Value::Decimal(Some(values.amount)),
                Value::Decimal(Some(values.tax)),
                Value::Decimal(Some(values.total)),
                Value::Text(date.clone()),
            ]);
        }
        if let Some(delta) = rollup_delta.as_deref_mut() {
            delta.add_document(document, line_values);
        }
        let link = document.link.as_ref();
        document_cells.extend([
            Value::Int(branch_id),
            Value::Str(&document.number),
            Value::Int(epoch),
            Value::Int(to_i64(planned.seq)?),
            Value::Str(document.doc_type.as_str()),
            Value::Text(date.clone()),
            Value::Str(&document.partner),
            Value::Str(&document.warehouse),
            Value::NullableStr(document.red_of.as_deref()),
            Value::NullableStr(link.map(|link| link.branch.as_str())),
            Value::NullableStr(link.map(|link| link.number.as_str())),
            Value::Decimal(Some(totals.amount)),
            Value::Decimal(Some(totals.tax)),
            Value::Decimal(Some(totals.total)),
            Value::Str(&planned.facts.checksum),
            Value::Str(now),
            Value::NullableStr(Some(document.to_warehouse.as_str()).filter(|code| !code.is_empty())),
        ]);
        key_cells.extend([
            Value::Int(branch_id),
            Value::Str(&document.number),
            Value::Str(document.doc_type.as_str()),
            Value::Text(date),
            Value::Str(&planned.facts.checksum),
        ]);
    }
    inserts.add(&DOCUMENT_KEY_INSERT, key_cells);
    inserts.add(&DOCUMENT_INSERT, document_cells);
    inserts.add(&LINE_INSERT, line_cells);
    Ok(())
}
