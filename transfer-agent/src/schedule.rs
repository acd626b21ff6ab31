//! When a transfer task fires: a fixed interval (`every = "30s" | "5m" | "1h"`) or a 6-field cron
//! expression with seconds (`cron = "0 */5 * * * *"`), computed from an injected "now".

use chrono::{DateTime, Local};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("every {text:?}: expected a number followed by s, m, h or d (\"30s\", \"5m\", \"1h\")")]
    BadInterval { text: String },
    #[error("every {text:?}: the interval must be at least one second")]
    ZeroInterval { text: String },
    #[error("cron {text:?}: {reason} (expected 6 fields with seconds: \"0 */5 * * * *\")")]
    BadCron { text: String, reason: String },
    #[error("cron {text:?} never fires")]
    CronNeverFires { text: String },
}

#[derive(Debug, Clone)]
pub enum Schedule {
    Every(Duration),
    Cron(Box<cron::Schedule>),
}

impl Schedule {
    pub fn parse_every(text: &str) -> Result<Schedule, ScheduleError> {
        let bad = || ScheduleError::BadInterval {
            text: text.to_owned(),
        };
        let trimmed = text.trim();
        let unit_at = trimmed.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (digits, unit) = trimmed.split_at(unit_at);
        let count: u64 = digits.parse().map_err(|_| bad())?;
        let unit_secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        let secs = count.checked_mul(unit_secs).ok_or_else(bad)?;
        if secs == 0 {
            return Err(ScheduleError::ZeroInterval {
                text: text.to_owned(),
            });
        }
        Ok(Schedule::Every(Duration::from_secs(secs)))
    }

    pub fn parse_cron(text: &str) -> Result<Schedule, ScheduleError> {
        if text.split_whitespace().count() != 6 {
            return Err(ScheduleError::BadCron {
                text: text.to_owned(),
                reason: format!("{} fields", text.split_whitespace().count()),
            });
        }
        if let Some(reason) = cron_field_out_of_range(text) {
            return Err(ScheduleError::BadCron {
                text: text.to_owned(),
                reason,
            });
        }
        let schedule = cron::Schedule::from_str(text).map_err(|error| ScheduleError::BadCron {
            text: text.to_owned(),
            reason: error.to_string(),
        })?;
        if schedule.upcoming(Local).next().is_none() {
            return Err(ScheduleError::CronNeverFires {
                text: text.to_owned(),
            });
        }
        Ok(Schedule::Cron(Box::new(schedule)))
    }

    /// The first firing strictly after `after`. `None` only for a cron that never fires again.
    pub fn next_after(&self, after: DateTime<Local>) -> Option<DateTime<Local>> {
        match self {
            Schedule::Every(interval) => Some(after + chrono::Duration::from_std(*interval).ok()?),
            Schedule::Cron(schedule) => schedule.after(&after).next(),
        }
    }

    /// Whether the task fires once as soon as the agent starts (interval tasks do, so that an
    /// agent restarted after a crash catches up at once; cron tasks keep to their calendar).
    pub fn fires_at_start(&self) -> bool {
        matches!(self, Schedule::Every(_))
    }
}

/// The six fields of a cron expression with seconds, and the numbers each allows.
const CRON_FIELDS: [(&str, u32, u32); 6] = [
    ("seconds", 0, 59),
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 7),
];

/// The first number outside its field's range, in our own words ("the hours field allows 0 to
/// 23, found 25"); names (`MON`, `JAN`) and wildcards are left to the cron parser.
fn cron_field_out_of_range(text: &str) -> Option<String> {
    for (field, (name, min, max)) in text.split_whitespace().zip(CRON_FIELDS) {
        for item in field.split(',') {
            // `RANGE/STEP`: the step is a count, not a value of the field.
            let range = item.split_once('/').map_or(item, |(range, _step)| range);
            for part in range.split('-') {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                let in_range = part
                    .parse::<u32>()
                    .is_ok_and(|value| (min..=max).contains(&value));
                if !in_range {
                    return Some(format!("the {name} field allows {min} to {max}, found {part}"));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn intervals() {
        assert!(
            matches!(Schedule::parse_every("30s"), Ok(Schedule::Every(d)) if d == Duration::from_secs(30))
        );
        assert!(
            matches!(Schedule::parse_every("5m"), Ok(Schedule::Every(d)) if d == Duration::from_secs(300))
        );
        assert!(
            matches!(Schedule::parse_every("1h"), Ok(Schedule::Every(d)) if d == Duration::from_secs(3600))
        );
        for bad in ["", "5", "m", "5x", "-5s", "1.5h", "0s"] {
            assert!(Schedule::parse_every(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cron_fires_on_calendar() {
        let schedule = Schedule::parse_cron("0 */5 * * * *").unwrap();
        let now = Local.with_ymd_and_hms(2026, 1, 5, 10, 2, 30).unwrap();
        let next = schedule.next_after(now).unwrap();
        assert_eq!(next, Local.with_ymd_and_hms(2026, 1, 5, 10, 5, 0).unwrap());
        assert!(Schedule::parse_cron("*/5 * * * *").is_err());
        assert!(Schedule::parse_cron("0 0 25 * * * nonsense").is_err());
    }

    #[test]
    fn every_adds_the_interval() {
        let schedule = Schedule::parse_every("1h").unwrap();
        let now = Local.with_ymd_and_hms(2026, 1, 5, 23, 30, 0).unwrap();
        assert_eq!(
            schedule.next_after(now).unwrap(),
            Local.with_ymd_and_hms(2026, 1, 6, 0, 30, 0).unwrap()
        );
    }
}
