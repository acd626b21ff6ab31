//! Base-data CSV files (docs/formats.md): products `code,name,unit,price`; customers and
//! suppliers `code,name`; warehouses `code,name,branch`. Errors name file:line and field. One
//! parser for `hq-server admin import` (a file on disk) and the console's upload (its bytes).

use branchline_shared::{
    parse_decimal, validate_branch_code, validate_record_code, BaseKind, BaseRecord, DecimalKind,
};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    #[error("{file}:{line}: header must be {expected:?}, found {found:?}")]
    Header {
        file: String,
        line: u64,
        expected: String,
        found: String,
    },
    #[error("{file}:{line}: {reason}")]
    Row { file: String, line: u64, reason: String },
    #[error("{file}:{line}: field {field}: {reason}")]
    Field {
        file: String,
        line: u64,
        field: &'static str,
        reason: String,
    },
}

/// The header a file of `kind` must carry.
pub fn expected_columns(kind: BaseKind) -> &'static [&'static str] {
    match kind {
        BaseKind::Product => &["code", "name", "unit", "price"],
        BaseKind::Customer | BaseKind::Supplier => &["code", "name"],
        BaseKind::Warehouse => &["code", "name", "branch"],
    }
}

/// Reads and checks every row of a base-data CSV file of `kind`; nothing is returned unless
/// the whole file is valid.
pub fn read_base_csv(path: &Path, kind: BaseKind) -> Result<Vec<BaseRecord>, CsvError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|error| CsvError::File {
        file: file.clone(),
        reason: error.to_string(),
    })?;
    parse_base_csv(&file, &bytes, kind)
}

/// Parses CSV `bytes` read from `file` (named in errors).
pub fn parse_base_csv(file: &str, bytes: &[u8], kind: BaseKind) -> Result<Vec<BaseRecord>, CsvError> {
    let mut records = Vec::new();
    let mut first_line_of: HashMap<String, u64> = HashMap::new();
    for (line, row) in csv_rows(file, bytes, expected_columns(kind))? {
        let record = parse_row(file, line, &row, kind)?;
        if let Some(first) = first_line_of.insert(record.code.clone(), line) {
            return Err(CsvError::Field {
                file: file.to_owned(),
                line,
                field: "code",
                reason: format!("duplicate code {} (first at line {first})", record.code),
            });
        }
        records.push(record);
    }
    Ok(records)
}

/// The data rows of CSV `bytes` read from `file`, each with its line, once the header row is
/// exactly `expected`.
pub(crate) fn csv_rows(
    file: &str,
    bytes: &[u8],
    expected: &[&str],
) -> Result<Vec<(u64, csv::StringRecord)>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    check_columns(file, &mut reader, expected)?;
    let mut rows = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|error| CsvError::Row {
            file: file.to_owned(),
            line: error.position().map_or(0, |position| position.line()),
            reason: error.to_string(),
        })?;
        rows.push((row.position().map_or(0, |position| position.line()), row));
    }
    Ok(rows)
}

/// The header row must be exactly `expected` (a UTF-8 byte-order mark aside).
fn check_columns(file: &str, reader: &mut csv::Reader<&[u8]>, expected: &[&str]) -> Result<(), CsvError> {
    let header = reader.headers().map_err(|error| CsvError::Row {
        file: file.to_owned(),
        line: 1,
        reason: error.to_string(),
    })?;
    let found: Vec<&str> = header
        .iter()
        .map(|column| column.trim_start_matches('\u{feff}').trim())
        .collect();
    if found != expected {
        return Err(CsvError::Header {
            file: file.to_owned(),
            line: 1,
            expected: expected.join(","),
            found: found.join(","),
        });
    }
    Ok(())
}

/// One data row at `line` as a checked record of `kind`.
fn parse_row(file: &str, line: u64, row: &csv::StringRecord, kind: BaseKind) -> Result<BaseRecord, CsvError> {
    let field_error = |field: &'static str, reason: String| CsvError::Field {
        file: file.to_owned(),
        line,
        field,
        reason,
    };
    // Taken as written, as the branch command line takes it: " 1" is not a price.
    let field_names = [
        "code",
        "name",
        if kind == BaseKind::Product {
            "unit"
        } else {
            "branch"
        },
        "price",
    ];
    for (index, field) in field_names.into_iter().enumerate() {
        let text = row.get(index).unwrap_or("");
        if text.trim() != text {
            return Err(field_error(
                field,
                format!("{text:?} has leading or trailing space"),
            ));
        }
    }
    let cell = |index: usize| row.get(index).unwrap_or("");
    let mut record = BaseRecord::new(kind, cell(0), cell(1));
    validate_record_code(kind.as_str(), &record.code)
        .map_err(|error| field_error("code", error.to_string()))?;
    if record.name.is_empty() {
        return Err(field_error("name", "empty".to_owned()));
    }
    match kind {
        BaseKind::Product => {
            record.unit = cell(2).to_owned();
            if !cell(3).is_empty() {
                let price = parse_decimal(cell(3), DecimalKind::Price)
                    .map_err(|error| field_error("price", error.to_string()))?;
                record.price = Some(price);
            }
        }
        BaseKind::Warehouse => {
            record.branch = cell(2).to_owned();
            if !record.branch.is_empty() {
                validate_branch_code(&record.branch)
                    .map_err(|error| field_error("branch", error.to_string()))?;
            }
        }
        BaseKind::Customer | BaseKind::Supplier => {}
    }
    record.validate().map_err(|error| CsvError::Row {
        file: file.to_owned(),
        line,
        reason: error.to_string(),
    })?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_products_and_names_bad_fields() {
        let good = b"code,name,unit,price\nP001,Tea,box,21.50\nP002,Cup,,\n";
        let records = parse_base_csv("p.csv", good, BaseKind::Product).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].price.unwrap().to_string(), "21.50");
        assert_eq!(records[1].price, None);

        let bad_price = b"code,name,unit,price\nP001,Tea,box,21.50\nP002,Cup,pc,1e5\n";
        let error = parse_base_csv("p.csv", bad_price, BaseKind::Product)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("p.csv:3: field price:"), "{error}");

        let bad_header = b"code,name\nP001,Tea\n";
        let error = parse_base_csv("p.csv", bad_header, BaseKind::Product)
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("p.csv:1: header"), "{error}");

        let duplicate = b"code,name\nC1,A\nC1,B\n";
        let error = parse_base_csv("c.csv", duplicate, BaseKind::Customer)
            .unwrap_err()
            .to_string();
        assert_eq!(error, "c.csv:3: field code: duplicate code C1 (first at line 2)");
    }
}
