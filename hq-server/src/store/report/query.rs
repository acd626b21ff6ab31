//! What a report asks and answers (docs/formats.md): the query (organization subtree,
//! inclusive date range, grouping columns, inventory filters, subtotals), its typed errors, and
//! the rows and freshness that come back. `consolidated` answers queries from the roll-ups or by direct scan.

use super::error::ReportError;
use crate::store::rollup::delta::SalesSums;
use branchline_shared::validate_org_code;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A report grouping column (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupBy {
    Org,
    Product,
    Customer,
    Warehouse,
    Day,
    Month,
}

impl GroupBy {
    pub const ALL: [GroupBy; 6] = [
        GroupBy::Org,
        GroupBy::Product,
        GroupBy::Customer,
        GroupBy::Warehouse,
        GroupBy::Day,
        GroupBy::Month,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Org => "org",
            GroupBy::Product => "product",
            GroupBy::Customer => "customer",
            GroupBy::Warehouse => "warehouse",
            GroupBy::Day => "day",
            GroupBy::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Result<GroupBy, ReportError> {
        GroupBy::ALL
            .into_iter()
            .find(|by| by.as_str() == text.trim())
            .ok_or_else(|| ReportError::UnknownGrouping {
                name: text.to_owned(),
            })
    }
}

/// Which subtree, dates (inclusive) and groupings a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub org: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Grouping columns in the order asked, without repeats.
    pub by: Vec<GroupBy>,
    /// Inventory only: the on-hand of this product (code) only.
    pub product: Option<String>,
    /// Inventory only: the on-hand of this warehouse (code) only.
    pub warehouse: Option<String>,
    /// Sales and inventory: a subtotal row for every organization level and a grand total
    /// (`subtotals`).
    pub subtotals: bool,
}

impl ReportQuery {
    /// Parses the wire/CLI form: empty dates mean open bounds, `by` entries may be comma lists.
    pub fn parse(org: &str, from: &str, to: &str, by: &[String]) -> Result<ReportQuery, ReportError> {
        validate_org_code(org).map_err(|_| ReportError::BadOrg { org: org.to_owned() })?;
        let date = |field: &'static str, text: &str| -> Result<Option<NaiveDate>, ReportError> {
            if text.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|date| {
                    date.format("%Y-%m-%d").to_string() == text && branchline_shared::date_in_range(*date)
                })
                .map(Some)
                .ok_or_else(|| ReportError::BadDate {
                    field,
                    text: branchline_shared::echo_prefix(text),
                })
        };
        let (from, to) = (date("from", from)?, date("to", to)?);
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(ReportError::EmptyRange { from, to });
            }
        }
        let mut groupings = Vec::new();
        for name in by
            .iter()
            .flat_map(|item| item.split(','))
            .filter(|name| !name.trim().is_empty())
        {
            let grouping = GroupBy::parse(name)?;
            if groupings.contains(&grouping) {
                return Err(ReportError::RepeatedGrouping {
                    name: grouping.as_str(),
                });
            }
            groupings.push(grouping);
        }
        Ok(ReportQuery {
            org: org.to_owned(),
            from,
            to,
            by: groupings,
            product: None,
            warehouse: None,
            subtotals: false,
        })
    }

    /// The same query narrowed to one product and/or warehouse (the wire form: empty for
    /// none); a code that is not one is refused.
    pub fn filtered(mut self, product: &str, warehouse: &str) -> Result<ReportQuery, ReportError> {
        let code = |what: &'static str, text: &str| -> Result<Option<String>, ReportError> {
            if text.is_empty() {
                return Ok(None);
            }
            branchline_shared::validate_record_code(what, text).map_err(ReportError::BadFilter)?;
            Ok(Some(text.to_owned()))
        };
        self.product = code("product", product)?;
        self.warehouse = code("warehouse", warehouse)?;
        Ok(self)
    }

    /// The same query with subtotal and total rows, or without.
    pub fn with_subtotals(mut self, subtotals: bool) -> ReportQuery {
        self.subtotals = subtotals;
        self
    }

    pub(super) fn groups_by(&self, grouping: GroupBy) -> bool {
        self.by.contains(&grouping)
    }
}

/// The values of a row's grouping columns; `None` for a column not asked for. Without `org` in
/// the grouping, `org` is the asked subtree and `branch` is empty.
///
/// Texts are shared (`Arc<str>`): a million-row report repeats each organization and product
/// many times.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub org: Arc<str>,
    pub branch: Arc<str>,
    pub product: Option<Arc<str>>,
    pub customer: Option<Arc<str>>,
    pub warehouse: Option<Arc<str>>,
    pub day: Option<Arc<str>>,
    pub month: Option<Arc<str>>,
}

/// What a report row is: a group, or (with `ReportQuery::subtotals`) the sum of an
/// organization's subtree or of the whole report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RowLevel {
    #[default]
    Group,
    /// An organization's subtree: `key.org` names it, every other column is empty.
    Subtotal,
    /// The whole report: `key.org` is the asked organization, every other column is empty.
    Total,
}

impl RowLevel {
    /// The wire and JSON form: "" for a group.
    pub fn as_str(self) -> &'static str {
        match self {
            RowLevel::Group => "",
            RowLevel::Subtotal => "subtotal",
            RowLevel::Total => "total",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesRow {
    pub key: GroupKey,
    pub level: RowLevel,
    pub sums: SalesSums,
    /// The organization's target for the row's month, when grouped by org and month.
    pub target: Option<Decimal>,
    /// `amount / target × 100`, 2 places.
    pub completion: Option<Decimal>,
    /// Against earlier months, when the sales report is grouped by month (`growth`).
    pub growth: Growth,
    /// 1-based position in a ranking; 0 elsewhere.
    pub rank: u32,
}

/// A month's change of `amount` against earlier months of the same group, in percent with 2
/// places (`growth`); `None` where the earlier month has no sales for the group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Growth {
    /// 环比: against the previous calendar month.
    pub month_on_month: Option<Decimal>,
    /// 同比: against the same month one year earlier.
    pub year_on_year: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    pub key: GroupKey,
    pub level: RowLevel,
    pub on_hand: Decimal,
}

/// How current a ledger's figures are (docs/guarantees.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freshness {
    pub org: String,
    pub branch: String,
    pub epoch: u64,
    pub last_seq: u64,
    pub received_at: Option<String>,
    pub backlog: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report<R> {
    /// The grouping columns present in the rows, in order.
    pub by: Vec<GroupBy>,
    pub rows: Vec<R>,
    /// One entry per ledger-owning organization in the subtree.
    pub freshness: Vec<Freshness>,
    /// Whether the rows carry month-on-month and year-on-year change (`SalesRow::growth`): a
    /// sales report grouped by month and not by day.
    pub growth: bool,
}
