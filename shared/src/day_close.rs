//! The daily close (日结对账, README "The transfer agent"): one branch's confirmed documents of
//! one business day, each with its checksum, line count, sums and outbox position, as both the
//! ledger and HQ compute them, and the documents in which the two sides differ.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One document of the day as one side holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayDocument {
    pub number: String,
    pub doc_type: String,
    /// `Document::content_checksum()`.
    pub checksum: String,
    pub lines: u64,
    pub qty: Decimal,
    pub amount: Decimal,
    pub tax: Decimal,
    /// The outbox entry that carried it: (epoch, seq).
    pub position: (u64, u64),
}

impl DayDocument {
    /// Whether `other` holds the same content (decimals compared by value, not by scale).
    fn same_as(&self, other: &DayDocument) -> bool {
        self == other
    }
}

/// The sums of one side's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DayTotals {
    pub documents: u64,
    pub lines: u64,
    pub qty: Decimal,
    pub amount: Decimal,
    pub tax: Decimal,
    /// The first and last outbox positions (epoch, seq) of the day's documents; `None` for a
    /// day without documents.
    pub seq_range: Option<((u64, u64), (u64, u64))>,
}

/// Every document of one branch's day on one side, ordered by number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayFigures {
    pub documents: Vec<DayDocument>,
}

impl DayFigures {
    /// `documents` in number order.
    pub fn new(mut documents: Vec<DayDocument>) -> DayFigures {
        documents.sort_by(|left, right| left.number.cmp(&right.number));
        DayFigures { documents }
    }

    pub fn totals(&self) -> DayTotals {
        let mut totals = DayTotals {
            documents: self.documents.len() as u64,
            ..DayTotals::default()
        };
        for document in &self.documents {
            totals.lines += document.lines;
            totals.qty += document.qty;
            totals.amount += document.amount;
            totals.tax += document.tax;
        }
        let first = self.documents.iter().map(|document| document.position).min();
        let last = self.documents.iter().map(|document| document.position).max();
        totals.seq_range = first.zip(last);
        totals
    }
}

/// How one document differs between the ledger and HQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DayDifferenceKind {
    MissingAtHq,
    ExtraAtHq,
    Different,
}

impl DayDifferenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayDifferenceKind::MissingAtHq => "missing at HQ",
            DayDifferenceKind::ExtraAtHq => "extra at HQ",
            DayDifferenceKind::Different => "different",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DayDifference {
    pub number: String,
    pub kind: DayDifferenceKind,
}

impl std::fmt::Display for DayDifference {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}: {}", self.kind.as_str(), self.number)
    }
}

/// The documents in which the ledger's day and HQ's differ, by number; empty when the day
/// matches (equal documents give equal totals).
pub fn day_differences(ledger: &DayFigures, hq: &DayFigures) -> Vec<DayDifference> {
    let by_number = |figures: &DayFigures| -> BTreeMap<String, DayDocument> {
        figures
            .documents
            .iter()
            .map(|document| (document.number.clone(), document.clone()))
            .collect()
    };
    let (ledger, hq) = (by_number(ledger), by_number(hq));
    let mut differences = Vec::new();
    for (number, document) in &ledger {
        let kind = match hq.get(number) {
            None => Some(DayDifferenceKind::MissingAtHq),
            Some(at_hq) if !document.same_as(at_hq) => Some(DayDifferenceKind::Different),
            Some(_) => None,
        };
        if let Some(kind) = kind {
            differences.push(DayDifference {
                number: number.clone(),
                kind,
            });
        }
    }
    for number in hq.keys().filter(|number| !ledger.contains_key(*number)) {
        differences.push(DayDifference {
            number: number.clone(),
            kind: DayDifferenceKind::ExtraAtHq,
        });
    }
    differences.sort();
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(number: &str, qty: &str, seq: u64) -> DayDocument {
        DayDocument {
            number: number.to_owned(),
            doc_type: "sales-out".to_owned(),
            checksum: format!("c-{number}"),
            lines: 1,
            qty: qty.parse().unwrap(),
            amount: "10.00".parse().unwrap(),
            tax: "1.30".parse().unwrap(),
            position: (1, seq),
        }
    }

    #[test]
    fn equal_days_match_and_sum() {
        let day = DayFigures::new(vec![document("SZ-2", "3", 5), document("SZ-1", "2.5", 2)]);
        assert!(day_differences(&day, &day).is_empty());
        let totals = day.totals();
        assert_eq!(totals.documents, 2);
        assert_eq!(totals.qty, "5.5".parse::<Decimal>().unwrap());
        assert_eq!(totals.amount, "20".parse::<Decimal>().unwrap());
        assert_eq!(totals.seq_range, Some(((1, 2), (1, 5))));
        assert_eq!(DayFigures::default().totals().seq_range, None);
    }

    #[test]
    fn names_each_differing_document() {
        let ledger = DayFigures::new(vec![document("SZ-1", "2", 1), document("SZ-2", "3", 2)]);
        let hq = DayFigures::new(vec![
            document("SZ-1", "2.0", 1),
            document("SZ-2", "4", 2),
            document("SZ-9", "1", 3),
        ]);
        let shown: Vec<String> = day_differences(&ledger, &hq)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, ["different: SZ-2", "extra at HQ: SZ-9"]);
        let shown: Vec<String> = day_differences(&hq, &DayFigures::default())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "missing at HQ: SZ-1",
                "missing at HQ: SZ-2",
                "missing at HQ: SZ-9"
            ]
        );
    }
}
