//! A task's time window `"HH:MM-HH:MM"` in local time (may wrap midnight), and the injectable
//! clock the scheduler reads so that window logic is testable without waiting for the hour.

use chrono::{DateTime, Local, NaiveTime};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("window {text:?}: expected \"HH:MM-HH:MM\" (local time, e.g. \"08:00-22:00\")")]
    Malformed { text: String },
    #[error("window {text:?}: start and end are equal; leave `window` out to run at any time")]
    Empty { text: String },
}

/// `[start, end)` in local time; `start > end` wraps midnight (`"22:00-06:00"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl TimeWindow {
    pub fn parse(text: &str) -> Result<TimeWindow, WindowError> {
        let malformed = || WindowError::Malformed {
            text: text.to_owned(),
        };
        let (start, end) = text.trim().split_once('-').ok_or_else(malformed)?;
        let parse_time =
            |part: &str| NaiveTime::parse_from_str(part.trim(), "%H:%M").map_err(|_| malformed());
        let window = TimeWindow {
            start: parse_time(start)?,
            end: parse_time(end)?,
        };
        if window.start == window.end {
            return Err(WindowError::Empty {
                text: text.to_owned(),
            });
        }
        Ok(window)
    }

    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }
}

impl std::fmt::Display for TimeWindow {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

/// The time source of the scheduler.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Local>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Local> {
        Local::now()
    }
}

/// Whether a task with `window` may run at `now`.
pub fn may_run(window: Option<&TimeWindow>, now: DateTime<Local>) -> bool {
    window.is_none_or(|window| window.contains(now.time()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32, minute: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(hour, minute, 0).unwrap()
    }

    #[test]
    fn day_window() {
        let window = TimeWindow::parse("08:00-22:00").unwrap();
        assert!(!window.contains(at(7, 59)));
        assert!(window.contains(at(8, 0)));
        assert!(window.contains(at(21, 59)));
        assert!(!window.contains(at(22, 0)));
        assert_eq!(window.to_string(), "08:00-22:00");
    }

    #[test]
    fn night_window_wraps_midnight() {
        let window = TimeWindow::parse("22:00-06:00").unwrap();
        assert!(window.contains(at(23, 0)));
        assert!(window.contains(at(0, 0)));
        assert!(window.contains(at(5, 59)));
        assert!(!window.contains(at(6, 0)));
        assert!(!window.contains(at(12, 0)));
    }

    #[test]
    fn malformed_windows_are_refused() {
        for bad in ["", "8-22", "08:00", "25:00-26:00", "08:00-08:00", "08:00~22:00"] {
            assert!(TimeWindow::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn injected_clock_decides() {
        struct Fixed(DateTime<Local>);
        impl Clock for Fixed {
            fn now(&self) -> DateTime<Local> {
                self.0
            }
        }
        let window = TimeWindow::parse("08:00-22:00").unwrap();
        let night = Fixed(Local.with_ymd_and_hms(2026, 1, 5, 3, 0, 0).unwrap());
        let noon = Fixed(Local.with_ymd_and_hms(2026, 1, 5, 12, 0, 0).unwrap());
        assert!(!may_run(Some(&window), night.now()));
        assert!(may_run(Some(&window), noon.now()));
        assert!(may_run(None, night.now()));
    }
}
