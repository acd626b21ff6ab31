//! Output of the `branch-node` commands: the JSON shapes of README and plain tables.
//!
//! Amounts, tax and totals carry exactly two places; quantities and prices no trailing zeros.

use crate::doc_store::StoredDocument;
use crate::hq_position::status_notes;
use crate::ledger_status::LedgerStatus;
use crate::stock::StockRow;
use branchline_shared::{format_amount, format_plain, DocLine};
use serde_json::{json, Value};

/// A document as `doc list`/`doc show --format json` print it.
/// `counted`: what a confirmed stock count counted, line by line (its lines' `qty` is then the
/// difference it posted).
pub(crate) fn document_json(stored: &StoredDocument, counted: Option<&[DocLine]>) -> Value {
    let document = &stored.document;
    let totals = document.totals();
    let lines: Vec<Value> = document
        .lines
        .iter()
        .enumerate()
        .map(|(line_idx, line)| {
            let values = line.values();
            let mut line_json = json!({
                "product": line.product,
                "qty": format_plain(line.qty),
                "price": format_plain(line.price),
                "discount": format_plain(line.discount),
                "tax_rate": format_plain(line.tax_rate),
                "amount": format_amount(values.amount),
                "tax": format_amount(values.tax),
                "total": format_amount(values.total),
            });
            if let Some(counted) = counted.and_then(|counted| counted.get(line_idx)) {
                line_json["counted"] = json!(format_plain(counted.qty));
            }
            line_json
        })
        .collect();
    let mut value = json!({
        "number": document.number,
        "type": document.doc_type.as_str(),
        "status": stored.status.as_str(),
        "date": document.date.format("%Y-%m-%d").to_string(),
        "partner": document.partner,
        "warehouse": document.warehouse,
        "red_of": document.red_of,
        "amount": format_amount(totals.amount),
        "tax": format_amount(totals.tax),
        "total": format_amount(totals.total),
        "lines": lines,
    });
    if !document.to_warehouse.is_empty() {
        value["to_warehouse"] = json!(document.to_warehouse);
    }
    if let Some(link) = &document.link {
        value["link"] = json!({"branch": link.branch, "number": link.number});
    }
    if let Some(reason) = &stored.reason {
        value["reason"] = json!(reason);
    }
    value
}

pub(crate) fn documents_json(documents: &[StoredDocument]) -> Value {
    let docs: Vec<Value> = documents
        .iter()
        .map(|stored| document_json(stored, None))
        .collect();
    json!({ "docs": docs })
}

pub(crate) fn stock_json(rows: &[StockRow]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|row| json!({"warehouse": row.warehouse, "product": row.product, "on_hand": format_plain(row.on_hand)}))
        .collect();
    json!({ "rows": rows })
}

pub(crate) fn status_json(status: &LedgerStatus) -> Value {
    serde_json::to_value(status).expect("status always serializes")
}

pub(crate) fn documents_table(documents: &[StoredDocument]) -> String {
    let header = [
        "number",
        "type",
        "status",
        "date",
        "partner",
        "warehouse",
        "red_of",
        "lines",
        "amount",
        "tax",
        "total",
    ];
    let rows = documents
        .iter()
        .map(|stored| {
            let document = &stored.document;
            let totals = document.totals();
            vec![
                document.number.clone(),
                document.doc_type.as_str().to_owned(),
                stored.status.as_str().to_owned(),
                document.date.format("%Y-%m-%d").to_string(),
                document.partner.clone(),
                document.warehouse.clone(),
                document.red_of.clone().unwrap_or_default(),
                document.lines.len().to_string(),
                format_amount(totals.amount),
                format_amount(totals.tax),
                format_amount(totals.total),
            ]
        })
        .collect::<Vec<_>>();
    table(&header, &rows)
}

/// One document with its lines, for `doc show`.
pub(crate) fn document_text(stored: &StoredDocument, counted: Option<&[DocLine]>) -> String {
    let document = &stored.document;
    let totals = document.totals();
    let mut text = format!(
        "{} {} ({})\ndate {}  warehouse {}",
        document.doc_type,
        document.number,
        stored.status.as_str(),
        document.date.format("%Y-%m-%d"),
        document.warehouse,
    );
    if !document.to_warehouse.is_empty() {
        text += &format!("  to warehouse {}", document.to_warehouse);
    }
    if !document.partner.is_empty() {
        text += &format!("  partner {}", document.partner);
    }
    if let Some(red_of) = &document.red_of {
        text += &format!("  red of {red_of}");
    }
    if let Some(link) = &document.link {
        text += &format!("  linked to {} {}", link.branch, link.number);
    }
    if let Some(reason) = &stored.reason {
        text += &format!("\nrejected: {reason}");
    }
    text.push('\n');
    let mut header = vec![
        "#", "product", "qty", "price", "discount", "tax_rate", "amount", "tax", "total",
    ];
    if counted.is_some() {
        header[2] = "difference";
        header.insert(2, "counted");
    }
    let rows = document
        .lines
        .iter()
        .enumerate()
        .map(|(line_idx, line)| {
            let values = line.values();
            let counted = counted.and_then(|counted| counted.get(line_idx));
            vec![(line_idx + 1).to_string(), line.product.clone()]
                .into_iter()
                .chain(counted.map(|counted| format_plain(counted.qty)))
                .chain([
                    format_plain(line.qty),
                    format_plain(line.price),
                    format_plain(line.discount),
                    format_plain(line.tax_rate),
                    format_amount(values.amount),
                    format_amount(values.tax),
                    format_amount(values.total),
                ])
                .collect()
        })
        .collect::<Vec<_>>();
    text += &table(&header, &rows);
    text += &format!(
        "total amount {}  tax {}  total {}\n",
        format_amount(totals.amount),
        format_amount(totals.tax),
        format_amount(totals.total)
    );
    text
}

pub(crate) fn stock_table(rows: &[StockRow]) -> String {
    let rows = rows
        .iter()
        .map(|row| {
            vec![
                row.warehouse.clone(),
                row.product.clone(),
                format_plain(row.on_hand),
            ]
        })
        .collect::<Vec<_>>();
    table(&["warehouse", "product", "on_hand"], &rows)
}

pub(crate) fn status_text(status: &LedgerStatus) -> String {
    let mut text = format!(
        "branch {}\nepoch {}\nlast seq {}\nacknowledged seq {}\nbacklog {} entries ({} documents)\ninbox seq {}\n",
        status.branch,
        status.epoch,
        status.last_seq,
        status.acked_seq,
        status.backlog,
        status.backlog_documents,
        status.inbox_seq
    );
    for note in status_notes(status.hq_rewind.as_ref(), status.hold.as_ref()) {
        text.push_str(&note);
        text.push('\n');
    }
    text
}

/// Left-aligned columns separated by two spaces.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|title| title.chars().count()).collect();
    for row in rows {
        for (cell_idx, cell) in row.iter().enumerate() {
            widths[cell_idx] = widths[cell_idx].max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut write_row = |cells: &mut dyn Iterator<Item = &str>| {
        let line: Vec<String> = cells
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}", width = *width))
            .collect();
        text += line.join("  ").trim_end();
        text.push('\n');
    };
    write_row(&mut header.iter().copied());
    for row in rows {
        write_row(&mut row.iter().map(String::as_str));
    }
    text
}
