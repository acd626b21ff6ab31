//! The stock-limit CSV file (docs/formats.md): `product,warehouse,org,min,max`, one limit a row
//! for a warehouse or an organization (the other column empty). Every row is checked before
//! anything is sent; a refusal names file:line and field, as HQ's own checks do.

use crate::base_csv::{csv_rows, CsvError};
use crate::store::registry::stock_limit::{LimitFields, LimitImportError, LimitLine};
use std::path::Path;

/// The header a stock-limit file must carry.
pub const STOCK_LIMIT_COLUMNS: [&str; 5] = ["product", "warehouse", "org", "min", "max"];

/// Reads and checks every row of the stock-limit file at `path`.
pub fn read_stock_limit_csv(path: &Path) -> Result<Vec<LimitLine>, CsvError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| CsvError::File {
        file: file.clone(),
        reason: error.to_string(),
    })?;
    parse_stock_limit_csv(&file, &bytes)
}

/// Parses stock-limit CSV `bytes` read from `file` (named in errors).
pub fn parse_stock_limit_csv(file: &str, bytes: &[u8]) -> Result<Vec<LimitLine>, CsvError> {
    let mut lines = Vec::new();
    for (line, row) in csv_rows(file, bytes, &STOCK_LIMIT_COLUMNS)? {
        let cell = |index: usize| row.get(index).unwrap_or("");
        for (index, field) in STOCK_LIMIT_COLUMNS.into_iter().enumerate() {
            if cell(index).trim() != cell(index) {
                return Err(CsvError::Field {
                    file: file.to_owned(),
                    line,
                    field,
                    reason: format!("{:?} has leading or trailing space", cell(index)),
                });
            }
        }
        let fields = LimitFields {
            product: cell(0),
            warehouse: cell(1),
            org: cell(2),
            min: cell(3),
            max: cell(4),
        };
        lines.push(LimitLine::parse(file, line, fields).map_err(to_csv_error)?);
    }
    Ok(lines)
}

fn to_csv_error(error: LimitImportError) -> CsvError {
    match error {
        LimitImportError::Field {
            file,
            line,
            field,
            reason,
        } => CsvError::Field {
            file,
            line,
            field,
            reason,
        },
        other => CsvError::Row {
            file: String::new(),
            line: 0,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> String {
        let bytes = format!("product,warehouse,org,min,max\n{text}\n");
        parse_stock_limit_csv("l.csv", bytes.as_bytes())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_limits_and_names_each_bad_field() {
        let good = b"product,warehouse,org,min,max\nP1,W1,,10,30\nP1,,001,2.5,\n";
        let lines = parse_stock_limit_csv("l.csv", good).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].line, lines[1].line), (2, 3));
        assert_eq!(lines[1].rule.max, None);
        assert_eq!(
            refusal("P1,W1,001,1,"),
            "l.csv:2: field warehouse/org: give a warehouse or an organization, not both"
        );
        assert_eq!(
            refusal("P1,,,1,"),
            "l.csv:2: field warehouse/org: give a warehouse or an organization"
        );
        assert_eq!(
            refusal("P1,W1,,10,5"),
            "l.csv:2: field max: max 5 is less than min 10"
        );
        assert!(
            refusal("P1,W1,,-1,").starts_with("l.csv:2: field min:"),
            "{}",
            refusal("P1,W1,,-1,")
        );
        assert!(refusal("P1,W1,,ten,").starts_with("l.csv:2: field min:"));
        assert!(refusal("P1,W1,,1,1e3").starts_with("l.csv:2: field max:"));
        assert!(refusal("P1,,1x,1,").starts_with("l.csv:2: field org:"));
        let error = parse_stock_limit_csv("l.csv", b"product,warehouse,min\nP1,W1,1\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("l.csv:1: header must be"), "{error}");
    }
}
