//! A commission period as typed: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`),
//! with its first and last day and its months.

use chrono::{Datelike, NaiveDate};

/// How long a plan's periods are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
        }
    }

    pub fn parse(text: &str) -> Option<PeriodKind> {
        [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year]
            .into_iter()
            .find(|kind| kind.as_str() == text.trim())
    }
}

/// One period: its kind and its first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    /// `YYYY-MM`, `YYYY-Qn` or `YYYY`, in the dates a document may carry; `None` otherwise.
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        let (year, rest) = text.split_at_checked(4)?;
        let year: i32 = year
            .parse()
            .ok()
            .filter(|_| year.bytes().all(|b| b.is_ascii_digit()))?;
        let (kind, first_month, months) = match rest {
            "" => (PeriodKind::Year, 1, 12),
            _ if rest.len() == 3 && rest.starts_with("-Q") => {
                let quarter: u32 = rest[2..].parse().ok().filter(|q| (1..=4).contains(q))?;
                (PeriodKind::Quarter, quarter * 3 - 2, 3)
            }
            _ if rest.len() == 3 && rest.starts_with('-') => {
                let month: u32 = rest[1..].parse().ok().filter(|m| (1..=12).contains(m))?;
                (PeriodKind::Month, month, 1)
            }
            _ => return None,
        };
        let first = NaiveDate::from_ymd_opt(year, first_month, 1)?;
        let after = first.checked_add_months(chrono::Months::new(months))?;
        let last = after.pred_opt()?;
        let in_range = branchline_shared::date_in_range(first) && branchline_shared::date_in_range(last);
        in_range.then_some(Period { kind, first, last })
    }

    /// The period's months as `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let mut day = self.first;
        while day <= self.last {
            months.push(format!("{:04}-{:02}", day.year(), day.month()));
            match day.checked_add_months(chrono::Months::new(1)) {
                Some(next) => day = next,
                None => break,
            }
        }
        months
    }

    /// The period as typed back: `2026-11`, `2026-Q4`, `2026`.
    pub fn label(&self) -> String {
        match self.kind {
            PeriodKind::Month => self.first.format("%Y-%m").to_string(),
            PeriodKind::Quarter => format!("{}-Q{}", self.first.year(), self.first.month().div_ceil(3)),
            PeriodKind::Year => self.first.year().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_quarters_and_years_cover_their_days() {
        let november = Period::parse("2026-11").unwrap();
        assert_eq!(
            (november.first.to_string(), november.last.to_string()),
            ("2026-11-01".into(), "2026-11-30".into())
        );
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!(q4.months(), ["2026-10", "2026-11", "2026-12"]);
        assert_eq!(q4.label(), "2026-Q4");
        let year = Period::parse("2024").unwrap();
        assert_eq!(
            (year.kind, year.last.to_string()),
            (PeriodKind::Year, "2024-12-31".into())
        );
        for bad in ["2026-13", "2026-Q5", "26-11", "2026-1", "abcd", "2026-11-01", ""] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }
}
