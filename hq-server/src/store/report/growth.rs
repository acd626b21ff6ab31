//! Month-on-month (环比) and year-on-year (同比) change of the sales report grouped by month
//! (docs/formats.md): each row's `amount` against the same group's amount in the previous
//! calendar month and in the same month a year earlier, in percent,
//! `round2((amount − earlier) × 100 / |earlier|)` (half away from zero, as completion rounds).
//! No value where the earlier month has no sales for the group, or they sum to zero: nothing
//! to compare with is not a change of 0.
//!
//! The earlier months are read whole, by the same path and grouping as the report itself,
//! wherever they lie: the month before the range's first month and a year before it are read
//! too, so the first row is compared like every other.

use super::calendar::{month_days, month_of_text, month_text};
use super::error::ReportError;
use super::query::{GroupBy, GroupKey, Growth, Report, ReportQuery, SalesRow};
use branchline_shared::round2;
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

/// How many months back 环比 and 同比 look.
const MONTH_ON_MONTH_BACK: i64 = 1;
const YEAR_ON_YEAR_BACK: i64 = 12;

/// Whether `query`'s rows carry growth: grouped by month, and not by day (a day has no
/// previous month of its own).
pub(super) fn asks_growth(query: &ReportQuery) -> bool {
    query.groups_by(GroupBy::Month) && !query.groups_by(GroupBy::Day)
}

/// `report` (the groups of `query`, before subtotals) with every row's growth, the earlier
/// months' groups answered by `read` (the report's own path) for `query` over those months.
pub(super) async fn with_growth<Read, Answer>(
    query: &ReportQuery,
    mut report: Report<SalesRow>,
    read: Read,
) -> Result<Report<SalesRow>, ReportError>
where
    Read: Fn(ReportQuery) -> Answer,
    Answer: Future<Output = Result<Report<SalesRow>, ReportError>>,
{
    if !asks_growth(query) {
        return Ok(report);
    }
    let earlier_months: BTreeSet<i64> = report
        .rows
        .iter()
        .filter_map(|row| month_of_text(row.key.month.as_deref()?))
        .flat_map(|month| [month - MONTH_ON_MONTH_BACK, month - YEAR_ON_YEAR_BACK])
        .filter(|month| storable(*month))
        .collect();
    let mut earlier: HashMap<GroupKey, Decimal> = HashMap::new();
    for (first, last) in runs(&earlier_months) {
        let asked = ReportQuery {
            from: Some(month_days(first).0),
            to: Some(month_days(last).1),
            subtotals: false,
            ..query.clone()
        };
        for row in read(asked).await?.rows {
            earlier.insert(row.key, row.sums.amount);
        }
    }
    for row in &mut report.rows {
        row.growth = growth_of(&row.key, row.sums.amount, &earlier);
    }
    report.growth = true;
    Ok(report)
}

/// Whether a month lies within the storable dates (no document is older).
fn storable(month: i64) -> bool {
    branchline_shared::date_in_range(month_days(month).0)
}

/// `months` as runs of consecutive months, each `(first, last)`: one read per run.
fn runs(months: &BTreeSet<i64>) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &month in months {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == month => *last = month,
            _ => runs.push((month, month)),
        }
    }
    runs
}

/// The growth of the group `key` with `amount`, against the `earlier` groups' amounts.
fn growth_of(key: &GroupKey, amount: Decimal, earlier: &HashMap<GroupKey, Decimal>) -> Growth {
    let Some(month) = key.month.as_deref().and_then(month_of_text) else {
        return Growth::default();
    };
    let against = |back: i64| {
        let earlier_key = GroupKey {
            month: Some(Arc::from(month_text(month - back))),
            ..key.clone()
        };
        percent_change(amount, earlier.get(&earlier_key).copied())
    };
    Growth {
        month_on_month: against(MONTH_ON_MONTH_BACK),
        year_on_year: against(YEAR_ON_YEAR_BACK),
    }
}

/// `(amount − earlier) × 100 / |earlier|`, 2 places half away from zero; `None` without an
/// earlier amount to compare with (none, or zero).
fn percent_change(amount: Decimal, earlier: Option<Decimal>) -> Option<Decimal> {
    let earlier = earlier.filter(|earlier| !earlier.is_zero())?;
    let change = (amount - earlier).checked_mul(Decimal::ONE_HUNDRED)?;
    Some(round2(change.checked_div(earlier.abs())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decimal(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn change(amount: &str, earlier: Option<&str>) -> Option<String> {
        percent_change(decimal(amount), earlier.map(decimal)).map(|change| format!("{change:.2}"))
    }

    #[test]
    fn change_is_a_percentage_rounded_half_away_from_zero() {
        assert_eq!(change("150.00", Some("100.00")).as_deref(), Some("50.00"));
        assert_eq!(change("50.00", Some("100.00")).as_deref(), Some("-50.00"));
        assert_eq!(change("0.00", Some("350.88")).as_deref(), Some("-100.00"));
        // 100 / 3 = 33.333…; 2 / 3 × 100 − 100 = −33.333…
        assert_eq!(change("400.00", Some("300.00")).as_deref(), Some("33.33"));
        assert_eq!(change("2.00", Some("3.00")).as_deref(), Some("-33.33"));
        // 0.01 / 8 × 100 = 0.125 exactly: half away from zero, up and down.
        assert_eq!(change("8.01", Some("8.00")).as_deref(), Some("0.13"));
        assert_eq!(change("7.99", Some("8.00")).as_deref(), Some("-0.13"));
        // A negative month (returns over sales): a rise is still positive.
        assert_eq!(change("50.00", Some("-100.00")).as_deref(), Some("150.00"));
    }

    #[test]
    fn no_earlier_sales_is_no_value_never_zero() {
        assert_eq!(change("10.00", None), None);
        assert_eq!(change("10.00", Some("0.00")), None);
        assert_eq!(change("0.00", Some("0.00")), None);
    }

    #[test]
    fn earlier_months_are_read_in_runs() {
        let months = BTreeSet::from([3, 4, 5, 9, 11, 12]);
        assert_eq!(runs(&months), [(3, 5), (9, 9), (11, 12)]);
        assert!(runs(&BTreeSet::new()).is_empty());
    }

    #[test]
    fn a_row_is_compared_with_its_own_group_only() {
        let key = |branch: &str, month: &str| GroupKey {
            org: Arc::from("001.001"),
            branch: Arc::from(branch),
            month: Some(Arc::from(month)),
            ..GroupKey::default()
        };
        let earlier = HashMap::from([
            (key("SZ", "2026-01"), decimal("200.00")),
            (key("SZ", "2025-02"), decimal("80.00")),
            (key("GZ", "2026-01"), decimal("999.00")),
        ]);
        let growth = growth_of(&key("SZ", "2026-02"), decimal("100.00"), &earlier);
        assert_eq!(growth.month_on_month, Some(decimal("-50.00")));
        assert_eq!(growth.year_on_year, Some(decimal("25.00")));
        let alone = growth_of(&key("ZH", "2026-02"), decimal("100.00"), &earlier);
        assert_eq!(alone, Growth::default());
    }
}
