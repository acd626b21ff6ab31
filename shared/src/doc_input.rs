//! The documents JSONL format (SPEC 7 "Files"): one document a line, decimals as strings.
//!
//! Parsing is exact and every error names the field; the caller adds the file and line.

use crate::decimal::{parse_decimal, DecimalError, DecimalKind};
use crate::document::{DocLine, DocType, Document, DocumentError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocInputError {
    #[error("malformed JSON: {reason}")]
    Json { reason: String },
    #[error("field {field}: {source}")]
    Decimal { field: String, source: DecimalError },
    #[error("field date: {text:?} is not a date YYYY-MM-DD")]
    Date { text: String },
    #[error(transparent)]
    Document(#[from] DocumentError),
}

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
    red_of: Option<String>,
    lines: Vec<LineInput>,
}

/// Parses a date `YYYY-MM-DD` (exactly ten characters).
pub fn parse_date(text: &str) -> Result<NaiveDate, DocInputError> {
    let date_error = || DocInputError::Date {
        text: text.to_owned(),
    };
    if text.len() != 10 {
        return Err(date_error());
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
    let field = |name: &str, text: &str, kind| {
        parse_decimal(text, kind).map_err(|source| DocInputError::Decimal {
            field: format!("{field_prefix}{name}"),
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
pub fn parse_document_json(text: &str) -> Result<Document, DocInputError> {
    let input: DocumentInput = serde_json::from_str(text).map_err(|error| DocInputError::Json {
        reason: error.to_string(),
    })?;
    let mut lines = Vec::with_capacity(input.lines.len());
    for (line_idx, line) in input.lines.iter().enumerate() {
        let (qty, price, discount, tax_rate) = parse_line_decimals(
            &format!("lines[{line_idx}]."),
            &line.qty,
            &line.price,
            line.discount.as_deref(),
            line.tax_rate.as_deref(),
        )?;
        lines.push(DocLine {
            product: line.product.clone(),
            qty,
            price,
            discount,
            tax_rate,
        });
    }
    let document = Document {
        number: input.number,
        doc_type: DocType::parse(&input.doc_type)?,
        date: parse_date(&input.date)?,
        partner: input.partner.unwrap_or_default(),
        warehouse: input.warehouse,
        red_of: input.red_of,
        lines,
        link: None,
    };
    document.validate()?;
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_LINE: &str = r#"{"number":"SZ-1","type":"sales-out","date":"2026-01-05","partner":"C001","warehouse":"SZ-W","lines":[{"product":"P001","qty":"17","price":"21.50","discount":"0.04","tax_rate":"0.13"}]}"#;

    #[test]
    fn parses_the_spec_example() {
        let doc = parse_document_json(SPEC_LINE).unwrap();
        assert_eq!(doc.number, "SZ-1");
        assert_eq!(doc.totals().amount.to_string(), "350.88");
    }

    #[test]
    fn errors_name_the_field() {
        let bad = SPEC_LINE.replace(r#""qty":"17""#, r#""qty":"1e3""#);
        let error = parse_document_json(&bad).unwrap_err().to_string();
        assert!(
            error.starts_with("field lines[0].qty: malformed quantity"),
            "{error}"
        );
        let bad = SPEC_LINE.replace("2026-01-05", "2026-13-05");
        assert!(parse_document_json(&bad)
            .unwrap_err()
            .to_string()
            .contains("field date"));
        let bad = SPEC_LINE.replace(r#""qty":"17""#, r#""qty":17"#);
        assert!(parse_document_json(&bad)
            .unwrap_err()
            .to_string()
            .starts_with("malformed JSON"));
    }
}
