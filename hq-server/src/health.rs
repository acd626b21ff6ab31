//! A branch's health on the status board (green, amber, red): the `[health]` thresholds on
//! silence and backlog, and the one rule that applies them to what HQ knows of a branch.
//!
//! Red: never in contact, silent for `red_silence_seconds` or more, or a backlog of
//! `red_backlog` entries or more. Amber: silent for `amber_silence_seconds`, a backlog of
//! `amber_backlog`, or any entry in quarantine or conflicting resend. Green otherwise.

use branchline_proto::v1::HealthCause;
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
    /// The health a word on the wire names (`as_str`).
    pub fn from_wire(word: &str) -> Option<Health> {
        [Health::Green, Health::Amber, Health::Red]
            .into_iter()
            .find(|health| health.as_str() == word)
    }

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

/// One reason a branch is not green, with the figure and the threshold it crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    NeverInContact,
    ContactUnreadable,
    /// Silent for `seconds`; amber or red `after` that many.
    Silent {
        seconds: u64,
        after: u64,
    },
    /// `entries` unacknowledged; amber or red `from` that many.
    Backlog {
        entries: u64,
        from: u64,
    },
    Quarantined {
        entries: u64,
    },
    Conflicts {
        resends: u64,
    },
}

impl Cause {
    /// The word on the wire (`HealthCause.kind`).
    pub fn kind(self) -> &'static str {
        match self {
            Cause::NeverInContact => "never_in_contact",
            Cause::ContactUnreadable => "contact_unreadable",
            Cause::Silent { .. } => "silent",
            Cause::Backlog { .. } => "backlog",
            Cause::Quarantined { .. } => "quarantined",
            Cause::Conflicts { .. } => "conflicts",
        }
    }

    /// The cause a `HealthCause` on the wire names (`kind`, `figures`); `None` for a kind this
    /// release does not know.
    pub fn from_wire(kind: &str, value: u64, threshold: u64) -> Option<Cause> {
        Some(match kind {
            "never_in_contact" => Cause::NeverInContact,
            "contact_unreadable" => Cause::ContactUnreadable,
            "silent" => Cause::Silent {
                seconds: value,
                after: threshold,
            },
            "backlog" => Cause::Backlog {
                entries: value,
                from: threshold,
            },
            "quarantined" => Cause::Quarantined { entries: value },
            "conflicts" => Cause::Conflicts { resends: value },
            _ => return None,
        })
    }

    /// The figure and the threshold it crossed (0 where there is none).
    pub fn figures(self) -> (u64, u64) {
        match self {
            Cause::NeverInContact | Cause::ContactUnreadable => (0, 0),
            Cause::Silent { seconds, after } => (seconds, after),
            Cause::Backlog { entries, from } => (entries, from),
            Cause::Quarantined { entries } => (entries, 0),
            Cause::Conflicts { resends } => (resends, 0),
        }
    }

    /// The cause in English, as `admin status` prints it; `health` names the threshold crossed.
    pub fn describe(self, health: Health) -> String {
        let level = health.as_str();
        match self {
            Cause::NeverInContact => "never in contact with HQ".to_owned(),
            Cause::ContactUnreadable => "last contact time unreadable".to_owned(),
            Cause::Silent { seconds, after } => {
                format!("silent for {} ({level} after {})", span(seconds), span(after))
            }
            Cause::Backlog { entries, from } => {
                format!("backlog {entries} entries ({level} from {from})")
            }
            Cause::Quarantined { entries } => {
                format!("{entries} {} in quarantine", plural(entries, "entry", "entries"))
            }
            Cause::Conflicts { resends } => {
                format!("{resends} conflicting {}", plural(resends, "resend", "resends"))
            }
        }
    }
}

/// A branch's health and, unless green, why: each cause with the health it alone gives, the
/// worst first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub health: Health,
    pub causes: Vec<(Health, Cause)>,
}

impl Assessment {
    /// The causes in one English line, `; ` between them; empty when green.
    pub fn reason(&self) -> String {
        self.causes
            .iter()
            .map(|(health, cause)| cause.describe(*health))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The causes as `BranchStatus.health_causes` carries them.
    pub fn wire_causes(&self) -> Vec<HealthCause> {
        self.causes
            .iter()
            .map(|(health, cause)| {
                let (value, threshold) = cause.figures();
                HealthCause {
                    health: health.as_str().to_owned(),
                    kind: cause.kind().to_owned(),
                    value,
                    threshold,
                }
            })
            .collect()
    }
}

/// Applies `thresholds` to `signals` at time `now`.
pub fn assess(signals: &BranchSignals<'_>, thresholds: &HealthThresholds, now: DateTime<Utc>) -> Assessment {
    let mut causes: Vec<(Health, Cause)> = Vec::new();
    match signals.last_contact.map(DateTime::parse_from_rfc3339) {
        None => causes.push((Health::Red, Cause::NeverInContact)),
        Some(Err(_)) => causes.push((Health::Red, Cause::ContactUnreadable)),
        Some(Ok(contact)) => {
            // A replica's clock a little behind another's is not silence.
            let seconds = u64::try_from((now - contact.with_timezone(&Utc)).num_seconds()).unwrap_or(0);
            if seconds >= thresholds.red_silence_seconds {
                let after = thresholds.red_silence_seconds;
                causes.push((Health::Red, Cause::Silent { seconds, after }));
            } else if seconds >= thresholds.amber_silence_seconds {
                let after = thresholds.amber_silence_seconds;
                causes.push((Health::Amber, Cause::Silent { seconds, after }));
            }
        }
    }
    let entries = signals.backlog;
    if entries >= thresholds.red_backlog {
        let from = thresholds.red_backlog;
        causes.push((Health::Red, Cause::Backlog { entries, from }));
    } else if entries >= thresholds.amber_backlog {
        let from = thresholds.amber_backlog;
        causes.push((Health::Amber, Cause::Backlog { entries, from }));
    }
    if signals.quarantined > 0 {
        let entries = signals.quarantined;
        causes.push((Health::Amber, Cause::Quarantined { entries }));
    }
    if signals.conflicts > 0 {
        let resends = signals.conflicts;
        causes.push((Health::Amber, Cause::Conflicts { resends }));
    }
    // Stable: causes of equal health keep the order above.
    causes.sort_by(|(left, _), (right, _)| right.cmp(left));
    Assessment {
        health: causes.first().map_or(Health::Green, |(health, _)| *health),
        causes,
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

/// A length of time in Chinese in its largest one or two units: `45 秒`, `15 分钟`,
/// `2 小时 10 分钟`, `3 天 4 小时` (seconds only under a minute, minutes only under an hour).
pub fn span_zh(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    if seconds < 60 {
        format!("{seconds} 秒")
    } else if seconds < 3_600 {
        format!("{minutes} 分钟")
    } else if seconds < 86_400 && minutes > 0 {
        format!("{hours} 小时 {minutes} 分钟")
    } else if seconds < 86_400 {
        format!("{hours} 小时")
    } else if hours > 0 {
        format!("{days} 天 {hours} 小时")
    } else {
        format!("{days} 天")
    }
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
        (assessment.health, assessment.reason())
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
