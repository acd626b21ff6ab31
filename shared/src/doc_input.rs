//! The documents JSONL format (docs/formats.md): one document a line, decimals as strings.
//!
//! Parsing is exact and every error names the field; the caller adds the file and line.

use crate::decimal::{parse_decimal, DecimalError, DecimalKind};
use crate::doc_json_scan::{scan_document, RawDocument, RawLine};
use crate::document::{DocLine, DocType, Document, DocumentError, DATE_MAX, DATE_MIN};
use crate::echo::{echo_prefix, echo_prefix_max};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocInputError {
    #[error("malformed JSON: {reason}")]
    Json { reason: String },
    #[error("field {field}: {source}")]
    Decimal { field: String, source: DecimalError },
    #[error("field date: {text:?} is not a date YYYY-MM-DD from {DATE_MIN} to {DATE_MAX}")]
    Date { text: String },
    #[error("a byte-order mark (U+FEFF) at column {column}: only the very start of the file may carry one")]
    ByteOrderMark { column: usize },
    #[error(transparent)]
    Document(#[from] DocumentError),
}

/// U+FEFF, which Windows editors write at the start of a UTF-8 file.
pub const BYTE_ORDER_MARK: char = '\u{feff}';

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineInput {
    product: String,
    qty: String,
    price: String,
    #[serde(default)]
    discount: Option<String>,
    #[serde(default)]
    tax_rate: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentInput {
    number: String,
    #[serde(rename = "type")]
    doc_type: String,
    date: String,
    #[serde(default)]
    partner: Option<String>,
    warehouse: String,
    #[serde(default)]
    to_warehouse: Option<String>,
    #[serde(default)]
    red_of: Option<String>,
    lines: Vec<LineInput>,
}

/// Parses a date `YYYY-MM-DD` (exactly ten characters) from `DATE_MIN` to `DATE_MAX`.
pub fn parse_date(text: &str) -> Result<NaiveDate, DocInputError> {
    let date = parse_any_date(text)?;
    if !crate::document::date_in_range(date) {
        return Err(DocInputError::Date {
            text: echo_prefix(text),
        });
    }
    Ok(date)
}

/// `parse_date` without the range check.
fn parse_any_date(text: &str) -> Result<NaiveDate, DocInputError> {
    let date_error = || DocInputError::Date {
        text: echo_prefix(text),
    };
    if text.len() != 10 {
        return Err(date_error());
    }
    // The plain shape needs no format parser; anything else is left to chrono's.
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range].iter().try_fold(0u32, |value, &b| {
            b.is_ascii_digit().then(|| value * 10 + u32::from(b - b'0'))
        })
    };
    if bytes[4] == b'-' && bytes[7] == b'-' {
        if let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) {
            return NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(date_error);
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| date_error())
}

/// Parses one line's `PRODUCT:QTY@PRICE[:DISCOUNT[:TAXRATE]]` decimals, naming `field_prefix`.
pub fn parse_line_decimals(
    field_prefix: &str,
    qty: &str,
    price: &str,
    discount: Option<&str>,
    tax_rate: Option<&str>,
) -> Result<(Decimal, Decimal, Decimal, Decimal), DocInputError> {
    line_decimals(&|| field_prefix.to_owned(), qty, price, discount, tax_rate)
}

/// `parse_line_decimals` with the field prefix built only for an error.
fn line_decimals(
    field_prefix: &dyn Fn() -> String,
    qty: &str,
    price: &str,
    discount: Option<&str>,
    tax_rate: Option<&str>,
) -> Result<(Decimal, Decimal, Decimal, Decimal), DocInputError> {
    let field = |name: &str, text: &str, kind| {
        parse_decimal(text, kind).map_err(|source| DocInputError::Decimal {
            field: format!("{}{name}", field_prefix()),
            source,
        })
    };
    Ok((
        field("qty", qty, DecimalKind::Quantity)?,
        field("price", price, DecimalKind::Price)?,
        field("discount", discount.unwrap_or("0"), DecimalKind::Rate)?,
        field("tax_rate", tax_rate.unwrap_or("0"), DecimalKind::Rate)?,
    ))
}

/// Parses and validates one JSONL line into a document.
///
/// Lines of the common shape are read in place (`doc_json_scan`); any other line goes through
/// serde, whose messages name what is wrong. Both give the same document for the same line.
pub fn parse_document_json(text: &str) -> Result<Document, DocInputError> {
    if let Some(raw) = scan_document(text) {
        return build_document(&raw);
    }
    parse_with_serde(text)
}

/// `parse_document_json` through serde alone.
fn parse_with_serde(text: &str) -> Result<Document, DocInputError> {
    let input: DocumentInput = serde_json::from_str(text).map_err(|error| json_error(text, &error))?;
    build_document(&RawDocument {
        number: &input.number,
        doc_type: &input.doc_type,
        date: &input.date,
        partner: input.partner.as_deref(),
        warehouse: &input.warehouse,
        to_warehouse: input.to_warehouse.as_deref(),
        red_of: input.red_of.as_deref(),
        lines: input
            .lines
            .iter()
            .map(|line| RawLine {
                product: &line.product,
                qty: &line.qty,
                price: &line.price,
                discount: line.discount.as_deref(),
                tax_rate: line.tax_rate.as_deref(),
            })
            .collect(),
    })
}

/// serde's refusal of `text`, or, when serde stopped at a byte-order mark, that: editors write
/// one at the start of a file, where the importer skips it, but nowhere else is it valid JSON.
fn json_error(text: &str, error: &serde_json::Error) -> DocInputError {
    if let Some(bom_idx) = text.find(BYTE_ORDER_MARK) {
        let leads_the_line = text[..bom_idx].trim().is_empty();
        let stopped_there = (bom_idx + 1..=bom_idx + BYTE_ORDER_MARK.len_utf8()).contains(&error.column());
        if error.line() == 1 && (leads_the_line || stopped_there) {
            return DocInputError::ByteOrderMark {
                column: text[..bom_idx].chars().count() + 1,
            };
        }
    }
    DocInputError::Json {
        reason: json_reason(error),
    }
}

/// serde's message for `error`, any input it quotes cut to a short prefix, with the column.
fn json_reason(error: &serde_json::Error) -> String {
    const JSON_REASON_CHARS_MAX: usize = 160;
    let message = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = message.strip_suffix(&position).unwrap_or(&message);
    format!("{}{position}", echo_prefix_max(message, JSON_REASON_CHARS_MAX))
}

/// The document a JSONL line's fields describe, checked.
fn build_document(raw: &RawDocument<'_>) -> Result<Document, DocInputError> {
    let mut lines = Vec::with_capacity(raw.lines.len());
    for (line_idx, line) in raw.lines.iter().enumerate() {
        let (qty, price, discount, tax_rate) = line_decimals(
            &|| format!("lines[{line_idx}]."),
            line.qty,
            line.price,
            line.discount,
            line.tax_rate,
        )?;
        lines.push(DocLine {
            product: line.product.to_owned(),
            qty,
            price,
            discount,
            tax_rate,
        });
    }
    let document = Document {
        number: raw.number.to_owned(),
        doc_type: DocType::parse(raw.doc_type)?,
        date: parse_date(raw.date)?,
        partner: raw.partner.unwrap_or_default().to_owned(),
        warehouse: raw.warehouse.to_owned(),
        to_warehouse: raw.to_warehouse.unwrap_or_default().to_owned(),
        red_of: raw.red_of.map(str::to_owned),
        lines,
        link: None,
    };
    document.validate()?;
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE_LINE: &str = r#"{"number":"SZ-1","type":"sales-out","date":"2026-01-05","partner":"C001","warehouse":"SZ-W","lines":[{"product":"P001","qty":"17","price":"21.50","discount":"0.04","tax_rate":"0.13"}]}"#;

    #[test]
    fn parses_the_spec_example() {
        let doc = parse_document_json(SAMPLE_LINE).unwrap();
        assert_eq!(doc.number, "SZ-1");
        assert_eq!(doc.totals().amount.to_string(), "350.88");
    }

    #[test]
    fn errors_name_the_field() {
        let bad = SAMPLE_LINE.replace(r#""qty":"17""#, r#""qty":"1e3""#);
        let error = parse_document_json(&bad).unwrap_err().to_string();
        assert!(
            error.starts_with("field lines[0].qty: malformed quantity"),
            "{error}"
        );
        let bad = SAMPLE_LINE.replace("2026-01-05", "2026-13-05");
        assert!(parse_document_json(&bad)
            .unwrap_err()
            .to_string()
            .contains("field date"));
        let bad = SAMPLE_LINE.replace(r#""qty":"17""#, r#""qty":"17","qty":"18""#);
        assert!(parse_document_json(&bad)
            .unwrap_err()
            .to_string()
            .contains("duplicate field `qty`"));
        let bad = SAMPLE_LINE.replace(r#""qty":"17""#, r#""qty":17"#);
        assert!(parse_document_json(&bad)
            .unwrap_err()
            .to_string()
            .starts_with("malformed JSON"));
    }

    fn json_line(fields: &[(&str, String)], lines: &[Vec<(&str, String)>], space: &str) -> String {
        let object = |fields: &[(&str, String)]| {
            let pairs: Vec<String> = fields
                .iter()
                .map(|(key, value)| format!("{space}\"{key}\"{space}:{space}{value}{space}"))
                .collect();
            format!("{{{}}}", pairs.join(","))
        };
        let lines: Vec<String> = lines.iter().map(|line| object(line)).collect();
        let mut fields = fields.to_vec();
        fields.push(("lines", format!("[{}]", lines.join(","))));
        format!("{space}{}{space}", object(&fields))
    }

    proptest::proptest! {
        /// The in-place scanner and serde agree on every line, well-formed or not.
        #[test]
        fn scanner_and_serde_agree(
            number in "\"(SZ-[0-9]{1,3}|sz 1|)\"|null|7",
            doc_type in "\"(sales-out|opening|retail-sale|purchase-in|sales-order|transfer|stock-count|bogus)\"",
            date in "\"2026-(0[1-9]|1[0-3])-(0[1-9]|[12][0-9]|3[01])\"|\"26-1-5\"",
            partner in proptest::option::of("\"(C001|S001|)\"|null"),
            red_of in proptest::option::of("\"SZ-[0-9]\"|null"),
            to_warehouse in proptest::option::of("\"(SZ-W|SZ-W2|)\"|null"),
            values in proptest::collection::vec(
                ("\"(P001|p 1)\"", "\"-?[0-9]{1,3}(\\.[0-9]{0,7})?\"|1e3", "\"[0-9]{1,2}\\.[0-9]{0,2}0?\"",
                 proptest::option::of("\"0\\.[0-9]{1,5}\"|null"), proptest::option::of("\"0\\.1[03]\"|\"1\"")),
                0..3),
            reorder in proptest::bool::ANY,
            extra in proptest::option::of("\"(number|lines|colour)\""),
            space in "[ \t]{0,1}",
        ) {
            let mut fields = vec![("number", number), ("type", doc_type), ("date", date), ("warehouse", "\"SZ-W\"".to_owned())];
            if let Some(partner) = partner { fields.push(("partner", partner)); }
            if let Some(red_of) = red_of { fields.push(("red_of", red_of)); }
            if let Some(to_warehouse) = to_warehouse { fields.push(("to_warehouse", to_warehouse)); }
            if let Some(extra) = &extra { fields.push((extra.trim_matches('"'), "\"x\"".to_owned())); }
            if reorder { fields.reverse(); }
            let lines: Vec<Vec<(&str, String)>> = values
                .into_iter()
                .map(|(product, qty, price, discount, tax_rate)| {
                    let mut line = vec![("product", product), ("qty", qty), ("price", price)];
                    if let Some(discount) = discount { line.push(("discount", discount)); }
                    if let Some(tax_rate) = tax_rate { line.push(("tax_rate", tax_rate)); }
                    if reorder { line.reverse(); }
                    line
                })
                .collect();
            let text = json_line(&fields, &lines, &space);
            proptest::prop_assert_eq!(parse_document_json(&text), parse_with_serde(&text), "{}", text);
        }

        /// The plain-shape date parser and chrono's agree.
        #[test]
        fn dates_parse_as_chrono_does(text in "[0-9+-]{1}[0-9]{3}-[0-9]{2}-[0-9]{2}|[0-9 +-]{10}") {
            let by_chrono = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .ok()
                .filter(|date| crate::document::date_in_range(*date));
            proptest::prop_assert_eq!(parse_date(&text).ok(), by_chrono, "{}", text);
        }
    }
}
