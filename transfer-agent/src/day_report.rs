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

#[cfg(test)]
mod tests {
    use super::*;
    use branchline_shared::{DayDifference, DayDifferenceKind, DayDocument};

    fn report(closed_at: Option<&str>, differences: Vec<DayDifference>) -> DayReport {
        let document = DayDocument {
            number: "SZ-1".into(),
            doc_type: "sales-out".into(),
            checksum: "c".into(),
            lines: 2,
            qty: "5.50".parse().unwrap(),
            amount: "46.2".parse().unwrap(),
            tax: "6".parse().unwrap(),
            position: (1, 7),
        };
        DayReport {
            day: chrono::NaiveDate::from_ymd_opt(2026, 11, 5).unwrap(),
            branch: "SZ".into(),
            ledger: DayFigures::new(vec![document]),
            hq: DayFigures::default(),
            differences,
            closed_at: closed_at.map(str::to_owned),
            backlog: 0,
        }
    }

    #[test]
    fn both_sides_then_each_difference_and_the_verdict() {
        let missing = DayDifference {
            number: "SZ-1".into(),
            kind: DayDifferenceKind::MissingAtHq,
        };
        let table = render_table(&report(None, vec![missing]));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "branch SZ day 2026-11-05");
        assert_eq!(
            lines[1],
            "        documents  lines  qty  amount  tax   first_seq  last_seq"
        );
        assert_eq!(
            lines[2],
            "ledger  1          2      5.5  46.20   6.00  1:7        1:7"
        );
        assert_eq!(
            lines[3],
            "HQ      0          0      0    0.00    0.00  -          -"
        );
        assert_eq!(lines[4], "missing at HQ: SZ-1");
        assert_eq!(lines[5], "difference: 1 documents differ; the day is not closed");
        let shown: serde_json::Value = serde_json::from_str(&render_json(&report(None, Vec::new()))).unwrap();
        assert_eq!(shown["ledger"]["first_seq"], "1:7");
        assert!(shown["hq"]["first_seq"].is_null() && shown["closed_at"].is_null());
        assert_eq!(shown["closed"], false, "no close recorded");
        let closed = render_table(&report(Some("2026-11-06T01:00:00Z"), Vec::new()));
        assert!(
            closed.ends_with("HQ recorded it closed at 2026-11-06T01:00:00Z\n"),
            "{closed}"
        );
    }
}
