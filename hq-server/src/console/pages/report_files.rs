//! A report's rows as downloads: CSV exactly as `hq-server report ... --format csv` prints the
//! same response (docs/formats.md), and an Excel workbook (rust_xlsxwriter) with the same
//! columns and rows on its first sheet and the freshness on a second. A workbook figure is a
//! number cell only when its decimal string is exactly what the cell holds (Excel numbers are
//! doubles: a figure of more than 15 digits stays text); its display format shows the places
//! the report prints. Other tables of text cells (the commission figures) are written the same
//! way by `table_xlsx`.

use super::super::error::ConsoleError;
use super::report_view::{cell, columns, is_figure, Figures};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use branchline_proto::v1::ReportResponse;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::str::FromStr;

const CSV_TYPE: &str = "text/csv; charset=utf-8";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn download(name: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

fn failed(what: &str, error: impl std::fmt::Display) -> ConsoleError {
    ConsoleError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        message: format!("cannot write the {what}: {error}"),
    }
}

/// The rows of `response` as CSV with a header row, named `name`.
pub(super) fn csv(name: &str, figures: Figures, response: &ReportResponse) -> Result<Response, ConsoleError> {
    let columns = columns(figures, response);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(&columns)
        .map_err(|error| failed("CSV", error))?;
    for row in &response.rows {
        writer
            .write_record(columns.iter().map(|column| cell(row, column)))
            .map_err(|error| failed("CSV", error))?;
    }
    let body = writer.into_inner().map_err(|error| failed("CSV", error))?;
    Ok(download(name, CSV_TYPE, body))
}

/// The rows of `response` as an Excel workbook named `name`.
pub(super) fn xlsx(
    name: &str,
    figures: Figures,
    response: &ReportResponse,
) -> Result<Response, ConsoleError> {
    let body = workbook(figures, response).map_err(|error| failed("workbook", error))?;
    Ok(download(name, XLSX_TYPE, body))
}

/// `text` as the number a cell holds, when the cell's own text would be the same decimal.
/// (rust_xlsxwriter writes a number cell as the double's shortest round-trip text.)
pub(super) fn exact_number(text: &str) -> Option<f64> {
    let decimal = Decimal::from_str(text).ok()?;
    let number: f64 = text.parse().ok()?;
    (number.is_finite() && number.to_string() == decimal.normalize().to_string()).then_some(number)
}

fn workbook(figures: Figures, response: &ReportResponse) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let columns = columns(figures, response);
    let heading = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let plain = Format::new();
    let summed = Format::new().set_bold();
    let summed_money = Format::new().set_bold().set_num_format("#,##0.00");
    let sheet = workbook.add_worksheet();
    sheet.set_name(match figures {
        Figures::Sales => "sales",
        Figures::Inventory => "inventory",
        Figures::BelowMin => "below-min",
    })?;
    write_header(sheet, &columns, &heading)?;
    for (index, row) in response.rows.iter().enumerate() {
        let at = index as u32 + 1;
        let bold = !row.level.is_empty();
        for (column_index, column) in columns.iter().enumerate() {
            let text = cell(row, column);
            let col = column_index as u16;
            let two_places = matches!(
                *column,
                "amount" | "tax" | "total" | "target" | "completion" | "month_on_month" | "year_on_year"
            );
            let format = match (bold, two_places) {
                (true, true) => &summed_money,
                (true, false) => &summed,
                (false, true) => &money,
                (false, false) => &plain,
            };
            match exact_number(text).filter(|_| is_figure(column)) {
                Some(number) => sheet.write_number_with_format(at, col, number, format)?,
                None => sheet.write_string_with_format(at, col, text, format)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    let freshness = workbook.add_worksheet();
    freshness.set_name("freshness")?;
    let freshness_columns = ["org", "branch", "epoch", "last_seq", "received_at", "backlog"];
    write_header(freshness, &freshness_columns, &heading)?;
    for (index, entry) in response.freshness.iter().enumerate() {
        let at = index as u32 + 1;
        freshness.write_string(at, 0, &entry.org)?;
        freshness.write_string(at, 1, &entry.branch)?;
        freshness.write_string(at, 2, entry.epoch.to_string())?;
        freshness.write_string(at, 3, entry.last_seq.to_string())?;
        freshness.write_string(at, 4, &entry.received_at)?;
        freshness.write_string(at, 5, entry.backlog.to_string())?;
    }
    workbook.save_to_buffer()
}

/// Rows of text cells under `columns` as a workbook named `name` with one sheet `sheet_name`:
/// a figure column's cell a number when it holds its text exactly, shown with two places.
pub(super) fn table_xlsx(
    name: &str,
    sheet_name: &str,
    columns: &[&str],
    rows: &[Vec<String>],
    is_figure: fn(&str) -> bool,
) -> Result<Response, ConsoleError> {
    let body =
        table_workbook(sheet_name, columns, rows, is_figure).map_err(|error| failed("workbook", error))?;
    Ok(download(name, XLSX_TYPE, body))
}

fn table_workbook(
    sheet_name: &str,
    columns: &[&str],
    rows: &[Vec<String>],
    is_figure: fn(&str) -> bool,
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let heading = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;
    write_header(sheet, columns, &heading)?;
    for (index, row) in rows.iter().enumerate() {
        let at = index as u32 + 1;
        for ((column_index, column), text) in columns.iter().enumerate().zip(row) {
            let col = column_index as u16;
            match exact_number(text).filter(|_| is_figure(column)) {
                Some(number) => sheet.write_number_with_format(at, col, number, &money)?,
                None => sheet.write_string(at, col, text)?,
            };
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}

/// `body` as a download named `name`.
pub(super) fn csv_download(name: &str, body: String) -> Response {
    download(name, CSV_TYPE, body.into_bytes())
}

fn write_header(sheet: &mut Worksheet, columns: &[&str], heading: &Format) -> Result<(), XlsxError> {
    for (index, column) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, index as u16, *column, heading)?;
        sheet.set_column_width(index as u16, if is_figure(column) { 14 } else { 16 })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::exact_number;

    #[test]
    fn a_figure_is_a_number_only_when_the_cell_holds_it_exactly() {
        assert_eq!(exact_number("350.88"), Some(350.88));
        assert_eq!(exact_number("0.00"), Some(0.0));
        assert_eq!(exact_number("-17"), Some(-17.0));
        assert_eq!(exact_number("2.5"), Some(2.5));
        // Beyond a double's 15–17 digits the text is kept.
        assert_eq!(exact_number("12345678901234567890.12"), None);
        assert_eq!(exact_number(""), None);
    }
}
