//! A document's canonical JSON written by hand, byte-for-byte what serde writes
//! (`Document::canonical_json`, `EntryBody::to_json`, `Document::content_checksum`), for the
//! bulk paths where serde's per-field work and decimal-to-string allocations dominate.

use crate::document::{DocLine, Document};
use chrono::Datelike;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// What `EntryBody::Document` puts in front of the document's fields.
const DOCUMENT_ENTRY_PREFIX: &str = r#"{"entry":"document","#;

/// `document.canonical_json()`, without serde.
pub fn document_canonical_json(document: &Document) -> String {
    let mut json = String::with_capacity(json_capacity(document));
    json.push('{');
    write_fields(&mut json, document, DecimalForm::AsWritten);
    json
}

/// `EntryBody::Document(document.clone()).to_json()` and `document.content_checksum()`, from one
/// pass over the document (two when some decimal carries trailing zeros), without serde.
pub fn document_entry_json_and_checksum(document: &Document) -> (String, String) {
    let mut entry_json = String::with_capacity(DOCUMENT_ENTRY_PREFIX.len() + json_capacity(document));
    entry_json.push_str(DOCUMENT_ENTRY_PREFIX);
    write_fields(&mut entry_json, document, DecimalForm::AsWritten);
    let mut hasher = Sha256::new();
    hasher.update(b"{");
    if all_decimals_normalized(document) {
        hasher.update(&entry_json.as_bytes()[DOCUMENT_ENTRY_PREFIX.len()..]);
    } else {
        let mut normalized_fields = String::with_capacity(entry_json.len());
        write_fields(&mut normalized_fields, document, DecimalForm::Normalized);
        hasher.update(normalized_fields.as_bytes());
    }
    (entry_json, hex::encode(hasher.finalize()))
}

/// How decimals are written: as held, or with trailing zeros stripped (`Decimal::normalize`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum DecimalForm {
    AsWritten,
    Normalized,
}

fn json_capacity(document: &Document) -> usize {
    112 + document.number.len()
        + document.warehouse.len()
        + document.to_warehouse.len()
        + document.partner.len()
        + 96 * document.lines.len()
}

/// Writes everything after the opening `{` of the document's JSON, closing `}` included, in
/// the field order of `Document`'s serde derive.
fn write_fields(out: &mut String, document: &Document, form: DecimalForm) {
    out.push_str(r#""number":"#);
    write_str(out, &document.number);
    out.push_str(r#","type":""#);
    out.push_str(document.doc_type.as_str());
    out.push_str(r#"","date":"#);
    let year = document.date.year();
    if (0..=9999).contains(&year) {
        let _ = write!(
            out,
            "\"{year:04}-{:02}-{:02}\"",
            document.date.month(),
            document.date.day()
        );
    } else {
        out.push_str(&serde_json::to_string(&document.date).expect("dates always serialize"));
    }
    if !document.partner.is_empty() {
        out.push_str(r#","partner":"#);
        write_str(out, &document.partner);
    }
    out.push_str(r#","warehouse":"#);
    write_str(out, &document.warehouse);
    if !document.to_warehouse.is_empty() {
        out.push_str(r#","to_warehouse":"#);
        write_str(out, &document.to_warehouse);
    }
    if let Some(red_of) = &document.red_of {
        out.push_str(r#","red_of":"#);
        write_str(out, red_of);
    }
    out.push_str(r#","lines":["#);
    for (line_idx, line) in document.lines.iter().enumerate() {
        if line_idx > 0 {
            out.push(',');
        }
        write_line(out, line, form);
    }
    out.push(']');
    if let Some(link) = &document.link {
        out.push_str(r#","link":{"branch":"#);
        write_str(out, &link.branch);
        out.push_str(r#","number":"#);
        write_str(out, &link.number);
        out.push('}');
    }
    out.push('}');
}

fn write_line(out: &mut String, line: &DocLine, form: DecimalForm) {
    out.push_str(r#"{"product":"#);
    write_str(out, &line.product);
    for (key, value) in [
        (r#","qty":""#, line.qty),
        (r#"","price":""#, line.price),
        (r#"","discount":""#, line.discount),
        (r#"","tax_rate":""#, line.tax_rate),
    ] {
        out.push_str(key);
        match form {
            DecimalForm::AsWritten => write_decimal(out, value),
            DecimalForm::Normalized => write_decimal(out, value.normalize()),
        }
    }
    out.push_str("\"}");
}

/// A JSON string as serde_json writes it: verbatim unless a character needs escaping.
fn write_str(out: &mut String, text: &str) {
    let needs_escape = text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    if needs_escape {
        out.push_str(&serde_json::to_string(text).expect("strings always serialize"));
    } else {
        out.push('"');
        out.push_str(text);
        out.push('"');
    }
}

/// A decimal as `Decimal`'s serde/Display form writes it: `-` for any negative value (negative
/// zero included), the digits with the point `scale` places from the right, and at least one
/// digit before the point.
fn write_decimal(out: &mut String, value: Decimal) {
    let scale = value.scale() as usize;
    let magnitude = value.mantissa().unsigned_abs();
    // 29 significant digits at most, plus room for leading zeros up to the scale (≤ 28).
    let mut digits = [0u8; 40];
    let mut n_digits = 0;
    // Dividing a u64 is much cheaper than a u128, and nearly every value fits one.
    match u64::try_from(magnitude) {
        Ok(mut small) => {
            while small > 0 {
                digits[n_digits] = b'0' + (small % 10) as u8;
                small /= 10;
                n_digits += 1;
            }
        }
        Err(_) => {
            let mut big = magnitude;
            while big > 0 {
                digits[n_digits] = b'0' + (big % 10) as u8;
                big /= 10;
                n_digits += 1;
            }
        }
    }
    while n_digits < scale + 1 {
        digits[n_digits] = b'0';
        n_digits += 1;
    }
    if value.is_sign_negative() {
        out.push('-');
    }
    for digit_idx in (0..n_digits).rev() {
        out.push(digits[digit_idx] as char);
        if digit_idx == scale && scale > 0 {
            out.push('.');
        }
    }
}

/// Whether every decimal of the document is written the same normalized (no trailing zeros,
/// no negative zero), so its canonical JSON is also its checksum JSON.
fn all_decimals_normalized(document: &Document) -> bool {
    let normalized = |value: Decimal| {
        if value.is_zero() {
            value.scale() == 0 && !value.is_sign_negative()
        } else {
            value.scale() == 0 || value.mantissa() % 10 != 0
        }
    };
    document.lines.iter().all(|line| {
        normalized(line.qty)
            && normalized(line.price)
            && normalized(line.discount)
            && normalized(line.tax_rate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{DocLink, DocType};
    use crate::entry::EntryBody;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i64>(), 0u32..=8, any::<bool>(), any::<bool>()).prop_map(
            |(mantissa, scale, negative, zero)| {
                let mut value = Decimal::new(if zero { 0 } else { mantissa % 1_000_000_000_000 }, scale);
                value.set_sign_negative(negative);
                value
            },
        )
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Z0-9][A-Z0-9_-]{0,15}",
            any::<String>(),
            Just("a\"b\\c\nd\u{1}é".to_owned())
        ]
    }

    fn document() -> impl Strategy<Value = Document> {
        let line = (text(), decimal(), decimal(), decimal(), decimal()).prop_map(
            |(product, qty, price, discount, tax_rate)| DocLine {
                product,
                qty,
                price,
                discount,
                tax_rate,
            },
        );
        (
            (
                text(),
                0usize..DocType::ALL.len(),
                -10_000i32..12_000,
                1u32..=12,
                1u32..=28,
            ),
            (
                prop_oneof![Just(String::new()), text()],
                text(),
                prop_oneof![Just(String::new()), text()],
                proptest::option::of(text()),
            ),
            proptest::collection::vec(line, 0..4),
            proptest::option::of((text(), text())),
        )
            .prop_map(
                |(
                    (number, type_idx, year, month, day),
                    (partner, warehouse, to_warehouse, red_of),
                    lines,
                    link,
                )| {
                    Document {
                        number,
                        doc_type: DocType::ALL[type_idx],
                        date: NaiveDate::from_ymd_opt(year, month, day).expect("day ≤ 28"),
                        partner,
                        warehouse,
                        to_warehouse,
                        red_of,
                        lines,
                        link: link.map(|(branch, number)| DocLink { branch, number }),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn writes_what_serde_writes(document in document()) {
            prop_assert_eq!(document_canonical_json(&document), document.canonical_json());
            let (entry_json, checksum) = document_entry_json_and_checksum(&document);
            prop_assert_eq!(entry_json, EntryBody::Document(document.clone()).to_json());
            prop_assert_eq!(checksum, document.content_checksum());
        }
    }

    #[test]
    fn decimals_match_display_at_the_edges() {
        for text in [
            "0",
            "-0",
            "0.00",
            "-0.00",
            "0.05",
            "-0.5",
            "21.50",
            "1000000000",
            "-17",
            "0.000001",
            "79228162514264337593543950335",
            "-0.0000000000000000000000000001",
        ] {
            let value: Decimal = text.parse().unwrap();
            let mut out = String::new();
            write_decimal(&mut out, value);
            assert_eq!(
                out,
                serde_json::to_value(value).unwrap().as_str().unwrap(),
                "{text}"
            );
        }
    }
}
