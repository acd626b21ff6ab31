//! Transfer tasks: `[[task]]` as written (direction, `every` or `cron`, optional window) and
//! resolved into a schedule ready to run.

use super::error::ConfigError;
use crate::schedule::Schedule;
use crate::window::TimeWindow;
use serde::Deserialize;

/// What a task moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Push,
    Pull,
    Both,
}

impl Direction {
    pub fn pushes(self) -> bool {
        matches!(self, Direction::Push | Direction::Both)
    }

    pub fn pulls(self) -> bool {
        matches!(self, Direction::Pull | Direction::Both)
    }
}

/// One `[[task]]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskConfig {
    pub name: String,
    pub direction: Direction,
    #[serde(default)]
    pub every: Option<String>,
    #[serde(default)]
    pub cron: Option<String>,
    #[serde(default)]
    pub window: Option<String>,
}

/// A task ready to run: parsed schedule and window.
#[derive(Debug, Clone)]
pub struct Task {
    pub name: String,
    pub direction: Direction,
    pub schedule: Schedule,
    pub window: Option<TimeWindow>,
}

impl TaskConfig {
    pub fn resolve(&self) -> Result<Task, ConfigError> {
        let bad = |reason: &str| ConfigError::BadTask {
            task: self.name.clone(),
            reason: reason.to_owned(),
        };
        if self.name.trim().is_empty() {
            return Err(bad("the name is empty"));
        }
        let schedule = match (&self.every, &self.cron) {
            (Some(every), None) => Schedule::parse_every(every),
            (None, Some(cron)) => Schedule::parse_cron(cron),
            (Some(_), Some(_)) => return Err(bad("set either `every` or `cron`, not both")),
            (None, None) => return Err(bad("needs `every` or `cron`")),
        }
        .map_err(|source| ConfigError::BadSchedule {
            task: self.name.clone(),
            source,
        })?;
        let window = self
            .window
            .as_deref()
            .map(TimeWindow::parse)
            .transpose()
            .map_err(|source| ConfigError::BadWindow {
                task: self.name.clone(),
                source,
            })?;
        Ok(Task {
            name: self.name.clone(),
            direction: self.direction,
            schedule,
            window,
        })
    }
}
