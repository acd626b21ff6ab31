//! The count differences report (盘点差异表): what the stock counts of an organization subtree
//! found against the books in a date range — gains (盘盈) and losses (盘亏) in quantity and in
//! amount, and the net of each — grouped by org and any of product, warehouse, day and month.
//! A confirmed count's lines are its differences, so this sums stored lines.

use super::calendar::Segment;
use super::consolidated::{grouped_sql, refuse_extras, refuse_retired, subtotalled, subtree, with_org};
use super::error::ReportError;
use super::groups::Groups;
use super::query::{GroupBy, GroupKey, Report, ReportQuery, RowLevel};
use super::read::read_groups;
use super::source::COUNT_LINES;
use super::subtotals::{summed_key, Summable};
use crate::store::db::dialect::{AMOUNT_SCALE, QTY_SCALE};
use crate::store::Store;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Gains and losses of one group, each a positive figure: the net is the gain less the loss.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountSums {
    pub gain_qty: Decimal,
    pub loss_qty: Decimal,
    pub gain_amount: Decimal,
    pub loss_amount: Decimal,
}

impl CountSums {
    pub fn net_qty(&self) -> Decimal {
        self.gain_qty - self.loss_qty
    }

    pub fn net_amount(&self) -> Decimal {
        self.gain_amount - self.loss_amount
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub key: GroupKey,
    pub level: RowLevel,
    pub sums: CountSums,
}

impl Summable for CountRow {
    type Sums = CountSums;
    fn org(&self) -> &str {
        &self.key.org
    }
    fn sums(&self) -> CountSums {
        self.sums
    }
    fn add(into: &mut CountSums, sums: CountSums) {
        into.gain_qty += sums.gain_qty;
        into.loss_qty += sums.loss_qty;
        into.gain_amount += sums.gain_amount;
        into.loss_amount += sums.loss_amount;
    }
    fn summed(level: RowLevel, org: Arc<str>, sums: CountSums) -> CountRow {
        CountRow {
            key: summed_key(org),
            level,
            sums,
        }
    }
}

/// The summed expressions, in `CountSums` order.
const SUMS: [&str; 4] = [
    "CASE WHEN l.qty > 0 THEN l.qty ELSE 0 END",
    "CASE WHEN l.qty < 0 THEN -l.qty ELSE 0 END",
    "CASE WHEN l.amount > 0 THEN l.amount ELSE 0 END",
    "CASE WHEN l.amount < 0 THEN -l.amount ELSE 0 END",
];

/// The count differences of `query`'s subtree and range, by org and the asked columns.
pub async fn count_differences(store: &Store, query: &ReportQuery) -> Result<Report<CountRow>, ReportError> {
    const REPORT: &str = "count-differences";
    refuse_extras(REPORT, query)?;
    if query.groups_by(GroupBy::Customer) {
        return Err(ReportError::NotForReport {
            report: REPORT,
            what: "customer grouping (a stock count names no partner)",
        });
    }
    let grouped = with_org(query);
    let subtree = subtree(store, &grouped.org).await?;
    let scales = [QTY_SCALE, QTY_SCALE, AMOUNT_SCALE, AMOUNT_SCALE];
    let mut groups = Groups::new(&grouped.org, &grouped.by, &subtree.branches, &scales);
    if !subtree.branches.is_empty() {
        let columns: Vec<&str> = grouped
            .by
            .iter()
            .map(|grouping| COUNT_LINES.column(*grouping).expect("customer is refused above"))
            .collect();
        let sums = SUMS.map(str::to_owned);
        let segment = Segment::days(grouped.from, grouped.to);
        refuse_retired(store, &COUNT_LINES, &segment).await?;
        let (sql, params) = grouped_sql(
            store.dialect(),
            &COUNT_LINES,
            &columns,
            &sums,
            &subtree,
            Some(&segment),
            &[],
        );
        groups = read_groups(store, sql, params, groups).await?;
    }
    let rows = groups.into_sorted(|key, sums| CountRow {
        key,
        level: RowLevel::Group,
        sums: CountSums {
            gain_qty: sums[0],
            loss_qty: sums[1],
            gain_amount: sums[2],
            loss_amount: sums[3],
        },
    });
    let report = Report {
        by: grouped.by.clone(),
        rows,
        freshness: subtree.freshness,
        growth: false,
    };
    Ok(subtotalled(query, report))
}
