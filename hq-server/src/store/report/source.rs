//! Where a report's grouped sums are read from: the branch × day and branch × month roll-ups,
//! or the stored lines (for groupings the roll-ups do not keep), and each source's columns.

use super::query::GroupBy;

/// Where grouped sums are read from: a roll-up table or the stored lines.
pub(super) struct Source {
    pub(super) from: &'static str,
    pub(super) branch: &'static str,
    pub(super) product: Option<&'static str>,
    pub(super) customer: Option<&'static str>,
    pub(super) warehouse: Option<&'static str>,
    pub(super) day: Option<&'static str>,
    pub(super) month: Option<&'static str>,
    /// The column compared with the segment's bounds.
    pub(super) date: &'static str,
    /// Another column equal to `date` and compared with the same bounds: the stored lines'
    /// document date, so that PostgreSQL reads only the range's month partitions of both tables.
    pub(super) date_twin: &'static str,
    /// Prefix of the summed columns.
    pub(super) sums: &'static str,
    pub(super) filter: &'static str,
    /// The columns identifying one row (a roll-up's primary key); empty for the stored lines.
    pub(super) unique: &'static [&'static str],
}

pub(super) const DAY: Source = Source {
    from: "sales_day",
    branch: "branch_id",
    product: None,
    customer: None,
    warehouse: None,
    day: Some("day"),
    month: Some("substr(day, 1, 7)"),
    date: "day",
    date_twin: "",
    sums: "",
    filter: "",
    unique: &["branch_id", "day"],
};

pub(super) const MONTH: Source = Source {
    from: "sales_month",
    day: None,
    month: Some("month"),
    date: "month",
    unique: &["branch_id", "month"],
    ..DAY
};

pub(super) const LINES: Source = Source {
    from: "document_line l JOIN document d \
           ON d.branch_id = l.branch_id AND d.number = l.number AND d.doc_date = l.doc_date",
    branch: "l.branch_id",
    product: Some("l.product"),
    customer: Some("d.partner"),
    warehouse: Some("d.warehouse"),
    day: Some("d.doc_date"),
    month: Some("substr(d.doc_date, 1, 7)"),
    date: "d.doc_date",
    date_twin: "l.doc_date",
    sums: "l.",
    filter: "d.doc_type IN ('sales-out', 'retail-sale')",
    unique: &[],
};

/// Every stock move of the stored lines, one row each, as `m`: a line in its document's
/// warehouse, and a transfer's line again in its destination warehouse (type `transfer-in`).
pub(super) const STOCK_MOVES: Source = Source {
    from: "(SELECT l.branch_id, l.product, d.warehouse, d.doc_type, l.qty
           FROM document_line l JOIN document d
             ON d.branch_id = l.branch_id AND d.number = l.number AND d.doc_date = l.doc_date
           UNION ALL
           SELECT l.branch_id, l.product, d.to_warehouse, 'transfer-in', l.qty
           FROM document_line l JOIN document d
             ON d.branch_id = l.branch_id AND d.number = l.number AND d.doc_date = l.doc_date
           WHERE d.doc_type = 'transfer') m",
    branch: "m.branch_id",
    product: Some("m.product"),
    customer: None,
    warehouse: Some("m.warehouse"),
    day: None,
    month: None,
    date: "",
    date_twin: "",
    sums: "m.",
    filter:
        "m.doc_type IN ('opening', 'purchase-in', 'sales-out', 'retail-sale', 'transfer', 'transfer-in', \
             'stock-count')",
    unique: &[],
};

/// The stored lines of stock counts: each line's quantity and amount its difference.
pub(super) const COUNT_LINES: Source = Source {
    customer: None,
    filter: "d.doc_type = 'stock-count'",
    ..LINES
};

impl Source {
    pub(super) fn column(&self, grouping: GroupBy) -> Option<&'static str> {
        match grouping {
            GroupBy::Org => Some(self.branch),
            GroupBy::Product => self.product,
            GroupBy::Customer => self.customer,
            GroupBy::Warehouse => self.warehouse,
            GroupBy::Day => self.day,
            GroupBy::Month => self.month,
        }
    }
}
