//! A period's commission figures (`CommissionFiguresResponse`) as every output writes them: the
//! columns in order, each row's cells (the response's own strings; the bands as one cell), and
//! the CSV of `hq-server report commission --format csv`, which the console's download is too.

use branchline_proto::v1::{CommissionFiguresResponse, CommissionRow};

/// The columns of a commission table, in order.
pub const COLUMNS: [&str; 13] = [
    "org",
    "plan",
    "sales",
    "target",
    "completion",
    "bands",
    "commission",
    "override_base",
    "override",
    "payable",
    "adjustment",
    "total",
    "settled_at",
];

/// Whether `column` holds an amount or a percent (right-aligned; a number in a workbook).
pub fn is_figure(column: &str) -> bool {
    !matches!(column, "org" | "plan" | "bands" | "settled_at")
}

/// A row's bands as one cell: `FROM%@RATE%: BASE -> AMOUNT`, `; ` between them.
pub fn bands_cell(row: &CommissionRow) -> String {
    let bands: Vec<String> = row
        .bands
        .iter()
        .map(|band| format!("{}%@{}%: {} -> {}", band.from, band.rate, band.base, band.amount))
        .collect();
    bands.join("; ")
}

/// A row's cells in `COLUMNS`' order.
pub fn cells(row: &CommissionRow) -> Vec<String> {
    vec![
        row.org.clone(),
        row.plan.clone(),
        row.sales.clone(),
        row.target.clone(),
        row.completion.clone(),
        bands_cell(row),
        row.commission.clone(),
        row.override_base.clone(),
        row.r#override.clone(),
        row.payable.clone(),
        row.adjustment.clone(),
        row.total.clone(),
        row.settled_at.clone(),
    ]
}

fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|cell| {
            if cell.contains([',', '"', '\n', ';']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.clone()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// The figures as CSV: a header row, then one line per row.
pub fn csv(figures: &CommissionFiguresResponse) -> String {
    let mut csv = csv_line(&COLUMNS.map(str::to_owned));
    for row in &figures.rows {
        csv.push_str(&csv_line(&cells(row)));
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;
    use branchline_proto::v1::CommissionBand;

    #[test]
    fn a_row_with_two_bands_is_one_quoted_cell() {
        let row = CommissionRow {
            org: "001.002".into(),
            sales: "1100000.00".into(),
            bands: vec![
                CommissionBand {
                    from: "80".into(),
                    rate: "3".into(),
                    base: "140000.00".into(),
                    amount: "4200.00".into(),
                },
                CommissionBand {
                    from: "100".into(),
                    rate: "5".into(),
                    base: "0.00".into(),
                    amount: "0.00".into(),
                },
            ],
            ..CommissionRow::default()
        };
        let figures = CommissionFiguresResponse {
            rows: vec![row],
            ..CommissionFiguresResponse::default()
        };
        let csv = csv(&figures);
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some(COLUMNS.join(",").as_str()));
        assert_eq!(
            lines.next(),
            Some("001.002,,1100000.00,,,\"80%@3%: 140000.00 -> 4200.00; 100%@5%: 0.00 -> 0.00\",,,,,,,")
        );
    }
}
