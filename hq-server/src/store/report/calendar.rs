//! Splitting an inclusive date range into edge days, whole months and whole years, so a report
//! reads each part from the coarsest roll-up that covers it.

use chrono::{Datelike, NaiveDate};

/// The granularity of a segment, and of the roll-up it is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Day,
    Month,
    Year,
}

/// An inclusive range of keys at one level: `YYYY-MM-DD`, `YYYY-MM` or `YYYY` text, which
/// compares in date order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) level: Level,
    pub(crate) low: String,
    pub(crate) high: String,
}

fn day_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The first storable date: a range open at the start begins there.
fn first_day() -> NaiveDate {
    branchline_shared::DATE_MIN
}

/// The last storable date: a range open at the end ends there.
fn last_day() -> NaiveDate {
    branchline_shared::DATE_MAX
}

impl Segment {
    /// One day range; open bounds span every storable date.
    pub(crate) fn days(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Segment {
        Segment {
            level: Level::Day,
            low: day_text(from.unwrap_or_else(first_day)),
            high: day_text(to.unwrap_or_else(last_day)),
        }
    }
}

/// Months counted from year 0: `year × 12 + month0`.
fn month_index(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

/// A month's key, `YYYY-MM`.
pub(super) fn month_text(index: i64) -> String {
    format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// The month index of a `YYYY-MM` key; `None` for any other text.
pub(super) fn month_of_text(text: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
    (month_text(month_index(date)) == text).then(|| month_index(date))
}

/// A month's first and last day.
pub(super) fn month_days(index: i64) -> (NaiveDate, NaiveDate) {
    let last = first_of_month(index + 1)
        .pred_opt()
        .expect("a month has a last day");
    (first_of_month(index), last)
}

fn first_of_month(index: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(index.div_euclid(12) as i32, index.rem_euclid(12) as u32 + 1, 1)
        .expect("valid month")
}

/// Splits `[from, to]` into day segments at the edges and whole months — or, when `coarsest`
/// is `Year`, whole years with month segments around them. Segments do not overlap and cover
/// the range exactly.
pub(crate) fn split_range(from: Option<NaiveDate>, to: Option<NaiveDate>, coarsest: Level) -> Vec<Segment> {
    let (from, to) = (from.unwrap_or_else(first_day), to.unwrap_or_else(last_day));
    if from > to {
        return Vec::new();
    }
    let mut segments = Vec::new();
    // Whole months lie in [first_month, last_month] (month indices).
    let mut first_month = month_index(from);
    if from.day() != 1 {
        first_month += 1;
    }
    let mut last_month = month_index(to);
    if to.succ_opt().is_some_and(|next| next.day() != 1) {
        last_month -= 1;
    }
    if first_month > last_month || coarsest == Level::Day {
        return vec![Segment::days(Some(from), Some(to))];
    }
    let month_start = first_of_month(first_month);
    if from < month_start {
        segments.push(Segment::days(Some(from), month_start.pred_opt()));
    }
    let push_months = |low: i64, high: i64, segments: &mut Vec<Segment>| {
        if low <= high {
            segments.push(Segment {
                level: Level::Month,
                low: month_text(low),
                high: month_text(high),
            });
        }
    };
    // Whole years lie in [first_year, last_year].
    let first_year = (first_month + 11).div_euclid(12);
    let last_year = (last_month + 1).div_euclid(12) - 1;
    if coarsest == Level::Year && first_year <= last_year {
        push_months(first_month, first_year * 12 - 1, &mut segments);
        segments.push(Segment {
            level: Level::Year,
            low: format!("{first_year:04}"),
            high: format!("{last_year:04}"),
        });
        push_months((last_year + 1) * 12, last_month, &mut segments);
    } else {
        push_months(first_month, last_month, &mut segments);
    }
    let after_months = first_of_month(last_month + 1);
    if after_months <= to {
        segments.push(Segment::days(Some(after_months), Some(to)));
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Option<NaiveDate> {
        Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap())
    }

    fn texts(segments: &[Segment]) -> Vec<(Level, &str, &str)> {
        segments
            .iter()
            .map(|s| (s.level, s.low.as_str(), s.high.as_str()))
            .collect()
    }

    #[test]
    fn a_full_year_is_one_year_segment() {
        let segments = split_range(date("2025-01-01"), date("2025-12-31"), Level::Year);
        assert_eq!(texts(&segments), vec![(Level::Year, "2025", "2025")]);
        let segments = split_range(date("2025-01-01"), date("2025-12-31"), Level::Month);
        assert_eq!(texts(&segments), vec![(Level::Month, "2025-01", "2025-12")]);
    }

    #[test]
    fn edges_are_days_and_months() {
        let segments = split_range(date("2024-11-15"), date("2026-02-03"), Level::Year);
        assert_eq!(
            texts(&segments),
            vec![
                (Level::Day, "2024-11-15", "2024-11-30"),
                (Level::Month, "2024-12", "2024-12"),
                (Level::Year, "2025", "2025"),
                (Level::Month, "2026-01", "2026-01"),
                (Level::Day, "2026-02-01", "2026-02-03"),
            ]
        );
    }

    #[test]
    fn within_one_month_is_days() {
        let segments = split_range(date("2025-03-02"), date("2025-03-30"), Level::Year);
        assert_eq!(texts(&segments), vec![(Level::Day, "2025-03-02", "2025-03-30")]);
        let segments = split_range(date("2025-02-01"), date("2025-02-28"), Level::Year);
        assert_eq!(texts(&segments), vec![(Level::Month, "2025-02", "2025-02")]);
    }

    #[test]
    fn month_keys_read_back_to_their_days() {
        let march = month_of_text("2024-03").unwrap();
        assert_eq!(month_text(march - 1), "2024-02");
        assert_eq!(month_text(march - 12), "2023-03");
        assert_eq!(
            month_days(march - 1),
            (date("2024-02-01").unwrap(), date("2024-02-29").unwrap())
        );
        assert_eq!(month_days(march + 9).1, date("2024-12-31").unwrap());
        for text in ["2024-3", "2024-13", "2024-03-01", "", "x"] {
            assert_eq!(month_of_text(text), None, "{text:?}");
        }
    }

    #[test]
    fn open_bounds_span_every_storable_year() {
        let segments = split_range(None, None, Level::Year);
        assert_eq!(texts(&segments), vec![(Level::Year, "1900", "9999")]);
    }
}
