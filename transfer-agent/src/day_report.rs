//! How `reconcile --day` prints a day's comparison: both sides' figures as a table (then each
//! differing document and the verdict), or as one JSON document (docs/formats.md).

use crate::day_close::DayReport;
use branchline_shared::{format_amount, format_plain, DayFigures, DayTotals};
use serde_json::json;
use std::fmt::Write;

fn position((epoch, seq): (u64, u64)) -> String {
    format!("{epoch}:{seq}")
}

/// A side's cells: documents, lines, qty, amount, tax, first and last seq (`-` for none).
fn cells(totals: &DayTotals) -> [String; 7] {
    let (first, last) = match totals.seq_range {
        Some((first, last)) => (position(first), position(last)),
        None => ("-".to_owned(), "-".to_owned()),
    };
    [
        totals.documents.to_string(),
        totals.lines.to_string(),
        format_plain(totals.qty),
        format_amount(totals.amount),
        format_amount(totals.tax),
        first,
        last,
    ]
}

fn side_json(figures: &DayFigures) -> serde_json::Value {
    let totals = figures.totals();
    let range = totals.seq_range;
    json!({
        "documents": totals.documents,
        "lines": totals.lines,
        "qty": format_plain(totals.qty),
        "amount": format_amount(totals.amount),
        "tax": format_amount(totals.tax),
        "first_seq": range.map(|(first, _)| position(first)),
        "last_seq": range.map(|(_, last)| position(last)),
    })
}

pub fn render_json(report: &DayReport) -> String {
    let differences: Vec<_> = report
        .differences
        .iter()
        .map(|difference| json!({ "number": difference.number, "kind": difference.kind.as_str() }))
        .collect();
    json!({
        "day": report.day.format("%Y-%m-%d").to_string(),
        "branch": report.branch,
        "ledger": side_json(&report.ledger),
        "hq": side_json(&report.hq),
        "differences": differences,
        "closed": report.closed(),
        "closed_at": report.closed_at,
        "backlog": report.backlog,
    })
    .to_string()
}

pub fn render_table(report: &DayReport) -> String {
    let header = [
        "",
        "documents",
        "lines",
        "qty",
        "amount",
        "tax",
        "first_seq",
        "last_seq",
    ];
    let ledger = cells(&report.ledger.totals());
    let hq = cells(&report.hq.totals());
    let rows: [Vec<&str>; 3] = [
        header.to_vec(),
        std::iter::once("ledger")
            .chain(ledger.iter().map(String::as_str))
            .collect(),
        std::iter::once("HQ")
            .chain(hq.iter().map(String::as_str))
            .collect(),
    ];
    let widths: Vec<usize> = (0..header.len())
        .map(|column| rows.iter().map(|row| row[column].len()).max().unwrap_or(0))
        .collect();
    let mut out = format!("branch {} day {}\n", report.branch, report.day.format("%Y-%m-%d"));
    for row in &rows {
        let padded: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    }
    for difference in &report.differences {
        let _ = writeln!(out, "{difference}");
    }
    if report.backlog > 0 && !report.differences.is_empty() {
        let _ = writeln!(
            out,
            "note: {} outbox entries are not yet acknowledged by HQ; documents among them show as missing at HQ",
            report.backlog
        );
    }
    let verdict = match (&report.closed_at, report.differences.len()) {
        (Some(at), 0) => format!("closed: the day matches at both ends; HQ recorded it closed at {at}"),
        (None, 0) => "the day matches, but HQ did not record it closed".to_owned(),
        (_, n) => format!("difference: {n} documents differ; the day is not closed"),
    };
    let _ = writeln!(out, "{verdict}");
    out
}
