//! A branch's health on the status board (green, amber, red): the `[health]` thresholds on
//! silence and backlog, and the one rule that applies them to what HQ knows of a branch.
//!
//! Red: never in contact, silent for `red_silence_seconds` or more, or a backlog of
//! `red_backlog` entries or more. Amber: silent for `amber_silence_seconds`, a backlog of
//! `amber_backlog`, or any entry in quarantine or conflicting resend. Green otherwise.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthConfigError {
    #[error("health.{name} must be at least 1")]
    Zero { name: &'static str },
    #[error("health.{amber} ({amber_value}) must not exceed health.{red} ({red_value})")]
    AmberAboveRed {
        amber: &'static str,
        amber_value: u64,
        red: &'static str,
        red_value: u64,
    },
}

/// `[health]`: when a branch turns amber and red on the board and in `admin status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthThresholds {
    /// Seconds since the branch's last contact after which it is amber.
    #[serde(default = "default_amber_silence_seconds")]
    pub amber_silence_seconds: u64,
    /// Seconds since the branch's last contact after which it is red.
    #[serde(default = "default_red_silence_seconds")]
    pub red_silence_seconds: u64,
    /// Unacknowledged outbox entries (as the branch last reported them) from which it is amber.
    #[serde(default = "default_amber_backlog")]
    pub amber_backlog: u64,
    /// Unacknowledged outbox entries from which it is red.
    #[serde(default = "default_red_backlog")]
    pub red_backlog: u64,
}

fn default_amber_silence_seconds() -> u64 {
    900
}
fn default_red_silence_seconds() -> u64 {
    3600
}
fn default_amber_backlog() -> u64 {
    1_000
}
fn default_red_backlog() -> u64 {
    10_000
}

impl Default for HealthThresholds {
    fn default() -> HealthThresholds {
        HealthThresholds {
            amber_silence_seconds: default_amber_silence_seconds(),
            red_silence_seconds: default_red_silence_seconds(),
            amber_backlog: default_amber_backlog(),
            red_backlog: default_red_backlog(),
        }
    }
}

impl HealthThresholds {
    /// Every threshold at least 1, and no amber threshold above its red one.
    pub fn validate(&self) -> Result<(), HealthConfigError> {
        let pairs = [
            (
                ("amber_silence_seconds", self.amber_silence_seconds),
                ("red_silence_seconds", self.red_silence_seconds),
            ),
            (
                ("amber_backlog", self.amber_backlog),
                ("red_backlog", self.red_backlog),
            ),
        ];
        for ((amber, amber_value), (red, red_value)) in pairs {
            for (name, value) in [(amber, amber_value), (red, red_value)] {
                if value == 0 {
                    return Err(HealthConfigError::Zero { name });
                }
            }
            if amber_value > red_value {
                return Err(HealthConfigError::AmberAboveRed {
                    amber,
                    amber_value,
                    red,
                    red_value,
                });
            }
        }
        Ok(())
    }
}

/// A branch's state on the board, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    Green,
    Amber,
    Red,
}

impl Health {
    /// The word on the wire and in `admin status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Green => "green",
            Health::Amber => "amber",
            Health::Red => "red",
        }
    }
}

/// What the rule looks at: HQ's record of one branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BranchSignals<'a> {
    /// The branch's last call of any kind, RFC 3339; `None` if never.
    pub last_contact: Option<&'a str>,
    pub backlog: u64,
    pub quarantined: u64,
    pub conflicts: u64,
}

/// A branch's health and, unless green, why: each cause, the worst first, in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub health: Health,
    pub reason: String,
}

/// Applies `thresholds` to `signals` at time `now`.
pub fn assess(signals: &BranchSignals<'_>, thresholds: &HealthThresholds, now: DateTime<Utc>) -> Assessment {
    let mut causes: Vec<(Health, String)> = Vec::new();
    match signals.last_contact.map(DateTime::parse_from_rfc3339) {
        None => causes.push((Health::Red, "never in contact with HQ".to_owned())),
        Some(Err(_)) => causes.push((Health::Red, "last contact time unreadable".to_owned())),
        Some(Ok(contact)) => {
            // A replica's clock a little behind another's is not silence.
            let silent = u64::try_from((now - contact.with_timezone(&Utc)).num_seconds()).unwrap_or(0);
            if silent >= thresholds.red_silence_seconds {
                let why = format!(
                    "silent for {} (red after {})",
                    span(silent),
                    span(thresholds.red_silence_seconds)
                );
                causes.push((Health::Red, why));
            } else if silent >= thresholds.amber_silence_seconds {
                let why = format!(
                    "silent for {} (amber after {})",
                    span(silent),
                    span(thresholds.amber_silence_seconds)
                );
                causes.push((Health::Amber, why));
            }
        }
    }
    if signals.backlog >= thresholds.red_backlog {
        let why = format!(
            "backlog {} entries (red from {})",
            signals.backlog, thresholds.red_backlog
        );
        causes.push((Health::Red, why));
    } else if signals.backlog >= thresholds.amber_backlog {
        let why = format!(
            "backlog {} entries (amber from {})",
            signals.backlog, thresholds.amber_backlog
        );
        causes.push((Health::Amber, why));
    }
    if signals.quarantined > 0 {
        let what = plural(signals.quarantined, "entry", "entries");
        causes.push((
            Health::Amber,
            format!("{} {what} in quarantine", signals.quarantined),
        ));
    }
    if signals.conflicts > 0 {
        let what = plural(signals.conflicts, "resend", "resends");
        causes.push((Health::Amber, format!("{} conflicting {what}", signals.conflicts)));
    }
    // Stable: causes of equal health keep the order above.
    causes.sort_by(|(left, _), (right, _)| right.cmp(left));
    Assessment {
        health: causes.first().map_or(Health::Green, |(health, _)| *health),
        reason: causes
            .into_iter()
            .map(|(_, why)| why)
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn plural(count: u64, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 {
        one
    } else {
        many
    }
}

/// A length of time in its two largest units: `45s`, `15m`, `2h 10m`, `3d 4h`.
pub fn span(seconds: u64) -> String {
    let units = [
        (seconds / 86_400, "d"),
        (seconds / 3_600 % 24, "h"),
        (seconds / 60 % 60, "m"),
        (seconds % 60, "s"),
    ];
    let Some(first) = units.iter().position(|(value, _)| *value > 0) else {
        return "0s".to_owned();
    };
    let mut text = format!("{}{}", units[first].0, units[first].1);
    if let Some((value, unit)) = units.get(first + 1).filter(|(value, _)| *value > 0) {
        text.push_str(&format!(" {value}{unit}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-12-05T10:00:00Z";

    fn now() -> DateTime<Utc> {
        NOW.parse().unwrap()
    }

    fn signals(last_contact: Option<&str>) -> BranchSignals<'_> {
        BranchSignals {
            last_contact,
            backlog: 0,
            quarantined: 0,
            conflicts: 0,
        }
    }

    fn assessed(signals: &BranchSignals<'_>) -> (Health, String) {
        let assessment = assess(signals, &HealthThresholds::default(), now());
        (assessment.health, assessment.reason)
    }

    #[test]
    fn silence_turns_amber_then_red_at_the_thresholds() {
        let at = |contact: &'static str| assessed(&signals(Some(contact)));
        assert_eq!(at(NOW), (Health::Green, String::new()));
        assert_eq!(at("2026-12-05T09:45:01Z"), (Health::Green, String::new()));
        assert_eq!(
            at("2026-12-05T09:45:00Z"),
            (Health::Amber, "silent for 15m (amber after 15m)".to_owned())
        );
        assert_eq!(
            at("2026-12-05T07:50:00Z"),
            (Health::Red, "silent for 2h 10m (red after 1h)".to_owned())
        );
        // A contact a little ahead of this replica's clock is no silence at all.
        assert_eq!(at("2026-12-05T10:00:05Z"), (Health::Green, String::new()));
    }

    #[test]
    fn a_branch_never_in_contact_is_red() {
        assert_eq!(
            assessed(&signals(None)),
            (Health::Red, "never in contact with HQ".to_owned())
        );
    }

    #[test]
    fn backlog_quarantine_and_conflicts_count_worst_first() {
        let mut branch = signals(Some(NOW));
        branch.backlog = 999;
        assert_eq!(assessed(&branch).0, Health::Green);
        branch.backlog = 1_000;
        assert_eq!(
            assessed(&branch),
            (Health::Amber, "backlog 1000 entries (amber from 1000)".to_owned())
        );
        branch.quarantined = 2;
        branch.conflicts = 1;
        branch.backlog = 10_000;
        assert_eq!(
            assessed(&branch),
            (
                Health::Red,
                "backlog 10000 entries (red from 10000); 2 entries in quarantine; 1 conflicting resend"
                    .to_owned()
            )
        );
        branch.backlog = 0;
        branch.conflicts = 0;
        assert_eq!(
            assessed(&branch),
            (Health::Amber, "2 entries in quarantine".to_owned())
        );
    }

    #[test]
    fn spans_read_in_their_two_largest_units() {
        assert_eq!(span(0), "0s");
        assert_eq!(span(45), "45s");
        assert_eq!(span(90), "1m 30s");
        assert_eq!(span(900), "15m");
        assert_eq!(span(3_600), "1h");
        assert_eq!(span(7_830), "2h 10m");
        assert_eq!(span(273_600), "3d 4h");
    }

    #[test]
    fn thresholds_are_positive_and_amber_comes_first() {
        HealthThresholds::default().validate().unwrap();
        let zero = HealthThresholds {
            red_backlog: 0,
            ..HealthThresholds::default()
        };
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            "health.red_backlog must be at least 1"
        );
        let inverted = HealthThresholds {
            amber_silence_seconds: 7_200,
            ..HealthThresholds::default()
        };
        assert_eq!(
            inverted.validate().unwrap_err().to_string(),
            "health.amber_silence_seconds (7200) must not exceed health.red_silence_seconds (3600)"
        );
        let parsed: HealthThresholds =
            toml::from_str("red_silence_seconds = 60\namber_silence_seconds = 30\n").unwrap();
        assert_eq!(
            (
                parsed.amber_silence_seconds,
                parsed.red_silence_seconds,
                parsed.red_backlog
            ),
            (30, 60, 10_000)
        );
        assert!(toml::from_str::<HealthThresholds>("red_silence = 60\n").is_err());
    }
}
