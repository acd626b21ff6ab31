//! Outbox entries of confirmed documents stored as references to the document's rows.
//!
//! A confirmed document is immutable, and its `document` row holds every value of its
//! outbox entry except the decimals' written scales ("21.50" and "21.5" are one scaled integer,
//! but the entry, and so HQ's content hash, keeps the difference). So the outbox body of such an
//! entry is a short JSON reference, `{"ref":ROW_ID,"number":"SZ-1","scales":"0220"}` — four
//! scale digits (qty, price, discount, tax rate) per line — instead of a second copy of the
//! document. Reading rebuilds `EntryBody::Document` exactly. A document whose entry could not be
//! rebuilt exactly (a negative zero, more places than the stored scale, an unusual number)
//! keeps the full JSON body. Both forms can sit in one outbox.

use crate::doc_store::load_document;
use crate::error::LedgerError;
use crate::schema::{PRICE_SCALE, QTY_SCALE, RATE_SCALE};
use branchline_shared::{document_canonical_json, DocStatus, Document, EntryBody};
use chrono::Datelike;
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde::Deserialize;

/// How every reference body starts; full entry bodies start with `{"entry":`.
const REF_PREFIX: &str = r#"{"ref":"#;

/// The scale digits of each line of `document` (qty, price, discount, tax rate), when its entry
/// can be rebuilt exactly from its stored rows; `None` when it must keep its full JSON.
pub(crate) fn line_scales(document: &Document) -> Option<String> {
    let plain_number = document
        .number
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plain_number || !(0..=9999).contains(&document.date.year()) {
        return None;
    }
    let mut scales = String::with_capacity(4 * document.lines.len());
    for line in &document.lines {
        for (value, stored_scale) in [
            (line.qty, QTY_SCALE),
            (line.price, PRICE_SCALE),
            (line.discount, RATE_SCALE),
            (line.tax_rate, RATE_SCALE),
        ] {
            let negative_zero = value.is_zero() && value.is_sign_negative();
            if negative_zero || value.scale() > stored_scale {
                return None;
            }
            scales.push(char::from(b'0' + value.scale() as u8));
        }
    }
    Some(scales)
}

/// The outbox body referring to confirmed document row `doc_id` (see `line_scales`).
pub(crate) fn ref_body(doc_id: i64, document: &Document, scales: &str) -> String {
    format!(
        r#"{REF_PREFIX}{doc_id},"number":"{}","scales":"{scales}"}}"#,
        document.number
    )
}

/// Whether an outbox body is a reference rather than a full entry.
pub(crate) fn is_ref_body(body: &str) -> bool {
    body.starts_with(REF_PREFIX)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentRef {
    #[serde(rename = "ref")]
    doc_id: i64,
    number: String,
    scales: String,
}

/// Rebuilds the entry a reference body stands for, byte-for-byte as it was written.
pub(crate) fn load_ref_entry(conn: &Connection, body: &str) -> Result<EntryBody, LedgerError> {
    let broken = |reason: String| LedgerError::StoredData {
        what: format!("outbox reference {body}"),
        reason,
    };
    let reference: DocumentRef = serde_json::from_str(body).map_err(|error| broken(error.to_string()))?;
    let stored = load_document(conn, reference.doc_id)?;
    let mut document = stored.document;
    if document.number != reference.number || stored.status != DocStatus::Confirmed {
        return Err(broken(format!(
            "row {} holds {} ({})",
            reference.doc_id,
            document.number,
            stored.status.as_str()
        )));
    }
    let scales = reference.scales.as_bytes();
    if scales.len() != 4 * document.lines.len() || !scales.iter().all(u8::is_ascii_digit) {
        return Err(broken(format!("{} lines in the ledger", document.lines.len())));
    }
    for (line, line_scales) in document.lines.iter_mut().zip(scales.chunks(4)) {
        for (value, scale) in [
            &mut line.qty,
            &mut line.price,
            &mut line.discount,
            &mut line.tax_rate,
        ]
        .into_iter()
        .zip(line_scales)
        {
            *value = with_scale(*value, u32::from(scale - b'0'));
        }
    }
    Ok(EntryBody::Document(document))
}

/// The length of `entry.to_json()`, without serde for a document.
pub(crate) fn entry_json_len(entry: &EntryBody) -> usize {
    match entry {
        EntryBody::Document(document) => {
            // `{"entry":"document",` replaces the document JSON's opening `{`.
            r#"{"entry":"document","#.len() + document_canonical_json(document).len() - 1
        }
        other => other.to_json().len(),
    }
}

/// `value` (normalized, as loaded) written with `scale` places again.
fn with_scale(value: Decimal, scale: u32) -> Decimal {
    let mut rescaled = value;
    rescaled.rescale(scale);
    rescaled
}

/// Debug builds check that `body` gives back exactly the entry `entry_json` (the document's rows
/// must already be written).
#[cfg(debug_assertions)]
pub(crate) fn debug_assert_rebuilds(conn: &Connection, body: &str, entry_json: &str) {
    if is_ref_body(body) {
        let rebuilt = load_ref_entry(conn, body).expect("a reference just written loads");
        assert_eq!(rebuilt.to_json(), entry_json, "outbox reference {body}");
    }
}

#[cfg(test)]
mod tests {
    use crate::ledger::Ledger;
    use branchline_shared::{parse_document_json, BaseKind, BaseRecord, EntryBody};

    const LINES: [&str; 3] = [
        r#"{"number":"SZ-1","type":"opening","date":"2026-01-05","warehouse":"W","lines":[{"product":"P1","qty":"100.50","price":"10.00"}]}"#,
        r#"{"number":"SZ-2","type":"sales-out","date":"2026-01-06","partner":"C1","warehouse":"W","lines":[{"product":"P1","qty":"1.0","price":"21.50","discount":"0.00","tax_rate":"0.13"},{"product":"P1","qty":"2","price":"0","discount":"0.1","tax_rate":"0"}]}"#,
        r#"{"number":"SZ-3","type":"sales-out","date":"2026-01-07","partner":"C1","warehouse":"W","lines":[{"product":"P1","qty":"1","price":"5","discount":"0.00"}]}"#,
    ];

    #[test]
    fn entries_come_back_as_written_whichever_form_they_are_stored_in() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::create(&dir.path().join("ledger.db"), "SZ", "test", false).unwrap();
        for (kind, code) in [
            (BaseKind::Warehouse, "W"),
            (BaseKind::Product, "P1"),
            (BaseKind::Customer, "C1"),
        ] {
            ledger.add_base_record(&BaseRecord::new(kind, code, "x")).unwrap();
        }
        ledger
            .import_documents(LINES[..2].join("\n").as_bytes(), &mut |_| {})
            .unwrap();
        // A negative zero (only the library can make one) has no scaled integer of its own.
        let mut negative_zero = parse_document_json(LINES[2]).unwrap();
        negative_zero.lines[0].discount.set_sign_negative(true);
        ledger.add_document(negative_zero.clone(), false).unwrap();
        let entries = ledger.outbox_after(0, 100, usize::MAX).unwrap();
        let documents: Vec<String> = entries
            .iter()
            .filter(|entry| matches!(entry.body, EntryBody::Document(_)))
            .map(|entry| entry.body.to_json())
            .collect();
        let mut expected: Vec<String> = LINES[..2]
            .iter()
            .map(|line| EntryBody::Document(parse_document_json(line).unwrap()).to_json())
            .collect();
        let negative_zero_json = EntryBody::Document(negative_zero).to_json();
        assert!(
            negative_zero_json.contains(r#""discount":"-0.00""#),
            "{negative_zero_json}"
        );
        // Read back through its JSON, as every full-JSON entry always was.
        let reparsed: EntryBody = serde_json::from_str(&negative_zero_json).unwrap();
        expected.push(reparsed.to_json());
        assert_eq!(documents, expected);
        for entry in &entries {
            assert_eq!(super::entry_json_len(&entry.body), entry.body.to_json().len());
        }
        assert!(documents[1].contains(r#""qty":"1.0","price":"21.50","discount":"0.00""#));
        let bodies: Vec<String> = ledger
            .conn
            .prepare("SELECT body FROM outbox WHERE is_document = 1 ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(super::is_ref_body(&bodies[0]) && super::is_ref_body(&bodies[1]));
        assert_eq!(bodies[2], negative_zero_json);
        drop(ledger);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
