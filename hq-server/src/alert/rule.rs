//! The `[[alert]]` rules of HQ's config and `[alerts]`' timings, as written and as checked: a
//! rule is a condition on each branch (of one subtree, or all), a webhook and its format.

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One `[[alert]]` table as written in the config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleConfig {
    /// Names the rule in every message and audit event; unique.
    pub name: String,
    pub when: ConditionKind,
    /// How long (silent, template) or the window (conflict); one of the three, as the condition needs.
    #[serde(default)]
    pub minutes: Option<u64>,
    #[serde(default)]
    pub hours: Option<u64>,
    #[serde(default)]
    pub seconds: Option<u64>,
    /// backlog: fires above this many unacknowledged entries.
    #[serde(default)]
    pub above: Option<u64>,
    /// Only the branches of this organization's subtree; absent: every branch.
    #[serde(default)]
    pub org: Option<String>,
    /// Where the messages go (http or https); the URL often holds the robot's key, so it is a secret.
    pub webhook: Secret,
    #[serde(default)]
    pub format: Format,
    /// A DingTalk robot's signing secret (加签); absent: the robot checks keywords or addresses.
    #[serde(default)]
    pub secret: Option<Secret>,
}

/// What a rule watches, as `when = "..."` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    /// No call of any kind for longer than the rule's time.
    Silent,
    /// More unacknowledged outbox entries than `above`, as the branch last reported them.
    Backlog,
    /// Any entry of the branch waiting in quarantine.
    Quarantine,
    /// A conflicting resend refused within the rule's window (60 minutes unless given).
    Conflict,
    /// A template version queued for the branch longer ago than the rule's time, not yet applied.
    Template,
}

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Branchline's own JSON object (docs/alerts.md).
    #[default]
    Json,
    /// A 企业微信 group robot's markdown message.
    Wecom,
    /// A 钉钉 group robot's markdown message.
    Dingtalk,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Wecom => "wecom",
            Format::Dingtalk => "dingtalk",
        }
    }
}

/// `[alerts]`: how often HQ looks, and how it retries a webhook that fails.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertTimings {
    /// Seconds between two evaluations of every rule (and sends of what is due).
    #[serde(default = "default_check_seconds")]
    pub check_seconds: u64,
    /// The first retry's wait after a failed delivery; each next one waits twice as long.
    #[serde(default = "default_retry_first_seconds")]
    pub retry_first_seconds: u64,
    /// The longest wait between two attempts (a day at most).
    #[serde(default = "default_retry_max_seconds")]
    pub retry_max_seconds: u64,
    /// A message still undelivered this long after its event is abandoned (and audited so).
    #[serde(default = "default_give_up_hours")]
    pub give_up_hours: u64,
}

fn default_check_seconds() -> u64 {
    30
}
fn default_retry_first_seconds() -> u64 {
    10
}
fn default_retry_max_seconds() -> u64 {
    600
}
fn default_give_up_hours() -> u64 {
    24
}

impl Default for AlertTimings {
    fn default() -> AlertTimings {
        AlertTimings {
            check_seconds: default_check_seconds(),
            retry_first_seconds: default_retry_first_seconds(),
            retry_max_seconds: default_retry_max_seconds(),
            give_up_hours: default_give_up_hours(),
        }
    }
}

impl AlertTimings {
    /// The wait before attempt `attempts + 1`, after `attempts` failures (at least one).
    pub fn retry_after(&self, attempts: u64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(32);
        let wait = self.retry_first_seconds.saturating_mul(1 << doublings);
        Duration::from_secs(wait.min(self.retry_max_seconds).min(86_400))
    }
}

/// A checked rule's condition, with its figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Silent(Duration),
    Backlog(u64),
    Quarantine,
    Conflict(Duration),
    Template(Duration),
}

/// A checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub condition: Condition,
    pub subtree: Option<String>,
    pub webhook: Webhook,
}

/// Where and how a rule's messages are sent.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: Secret,
    pub format: Format,
    pub secret: Option<Secret>,
}

impl Webhook {
    /// The URL's scheme and host only (robots keep their key in the query, other receivers in
    /// the path), for audit events and logs.
    pub fn shown(&self) -> String {
        match self.url.0.parse::<hyper::Uri>() {
            Ok(uri) => format!(
                "{}://{}/…",
                uri.scheme_str().unwrap_or("?"),
                uri.authority().map_or("?", |authority| authority.as_str())
            ),
            Err(_) => "(not a URL)".into(),
        }
    }
}

/// A rule that cannot be used: the rule (its name, or its place) and why.
#[derive(Debug, thiserror::Error)]
pub enum AlertConfigError {
    #[error("[[alert]] number {place} has an empty name")]
    NoName { place: usize },
    #[error("two [[alert]] rules are named {name:?}")]
    SameName { name: String },
    #[error("[[alert]] {name:?}: {reason}")]
    Bad { name: String, reason: String },
    #[error("alerts.{field} must be at least 1")]
    ZeroTiming { field: &'static str },
}

impl AlertRuleConfig {
    /// The rule, or what is wrong with it.
    pub fn check(&self) -> Result<Rule, AlertConfigError> {
        let bad = |reason: String| AlertConfigError::Bad {
            name: self.name.clone(),
            reason,
        };
        let time = self.time().map_err(bad)?;
        let condition = match (self.when, time, self.above) {
            (ConditionKind::Silent, Some(time), None) => Condition::Silent(time),
            (ConditionKind::Template, Some(time), None) => Condition::Template(time),
            (ConditionKind::Conflict, time, None) => {
                Condition::Conflict(time.unwrap_or(Duration::from_secs(3_600)))
            }
            (ConditionKind::Backlog, None, Some(above)) => Condition::Backlog(above),
            (ConditionKind::Quarantine, None, None) => Condition::Quarantine,
            (ConditionKind::Silent | ConditionKind::Template, None, _) => {
                return Err(bad(format!(
                    "when = {:?} needs minutes, hours or seconds",
                    self.when_name()
                )))
            }
            (ConditionKind::Backlog, _, None) => {
                return Err(bad("when = \"backlog\" needs above = N".into()))
            }
            (ConditionKind::Backlog | ConditionKind::Quarantine, Some(_), _) => {
                return Err(bad(format!(
                    "when = {:?} takes no minutes, hours or seconds",
                    self.when_name()
                )))
            }
            (_, _, Some(_)) => {
                return Err(bad(format!(
                    "above applies to when = \"backlog\" only, not {:?}",
                    self.when_name()
                )))
            }
        };
        let webhook = &self.webhook.0;
        let uri: hyper::Uri = webhook
            .parse()
            .map_err(|error| bad(format!("webhook is not a URL: {error}")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
            return Err(bad(
                "webhook must be an http:// or https:// URL with a host".into()
            ));
        }
        if self.secret.is_some() && self.format != Format::Dingtalk {
            return Err(bad(
                "secret signs DingTalk messages: it needs format = \"dingtalk\"".into(),
            ));
        }
        Ok(Rule {
            name: self.name.clone(),
            condition,
            subtree: self.org.clone(),
            webhook: Webhook {
                url: self.webhook.clone(),
                format: self.format,
                secret: self.secret.clone(),
            },
        })
    }

    fn when_name(&self) -> &'static str {
        match self.when {
            ConditionKind::Silent => "silent",
            ConditionKind::Backlog => "backlog",
            ConditionKind::Quarantine => "quarantine",
            ConditionKind::Conflict => "conflict",
            ConditionKind::Template => "template",
        }
    }

    /// The one of minutes, hours and seconds given, if any.
    fn time(&self) -> Result<Option<Duration>, String> {
        let given: Vec<u64> = [
            self.seconds,
            self.minutes.map(|minutes| minutes.saturating_mul(60)),
            self.hours.map(|hours| hours.saturating_mul(3_600)),
        ]
        .into_iter()
        .flatten()
        .collect();
        match given.as_slice() {
            [] => Ok(None),
            [0] => Err("its time must be at least 1".into()),
            [seconds] => Ok(Some(Duration::from_secs(*seconds))),
            _ => Err("give one of minutes, hours and seconds".into()),
        }
    }
}

/// Every rule checked, names unique, and the timings usable.
pub fn check_rules(rules: &[AlertRuleConfig], timings: &AlertTimings) -> Result<Vec<Rule>, AlertConfigError> {
    for (field, value) in [
        ("check_seconds", timings.check_seconds),
        ("retry_first_seconds", timings.retry_first_seconds),
        ("retry_max_seconds", timings.retry_max_seconds),
        ("give_up_hours", timings.give_up_hours),
    ] {
        if value == 0 {
            return Err(AlertConfigError::ZeroTiming { field });
        }
    }
    let mut checked: Vec<Rule> = Vec::with_capacity(rules.len());
    for (place, rule) in rules.iter().enumerate() {
        if rule.name.trim().is_empty() {
            return Err(AlertConfigError::NoName { place: place + 1 });
        }
        if checked.iter().any(|other| other.name == rule.name) {
            return Err(AlertConfigError::SameName {
                name: rule.name.clone(),
            });
        }
        checked.push(rule.check()?);
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(toml_text: &str) -> Result<Rule, AlertConfigError> {
        let config: AlertRuleConfig = toml::from_str(toml_text).unwrap();
        config.check()
    }

    #[test]
    fn each_condition_takes_its_figure() {
        let silent = rule("name = \"s\"\nwhen = \"silent\"\nminutes = 30\nwebhook = \"http://h/x\"").unwrap();
        assert_eq!(silent.condition, Condition::Silent(Duration::from_secs(1_800)));
        let backlog = rule("name = \"b\"\nwhen = \"backlog\"\nabove = 5\nwebhook = \"https://h/x\"").unwrap();
        assert_eq!(backlog.condition, Condition::Backlog(5));
        let conflict = rule("name = \"c\"\nwhen = \"conflict\"\nwebhook = \"https://h/x\"").unwrap();
        assert_eq!(
            conflict.condition,
            Condition::Conflict(Duration::from_secs(3_600))
        );
        let template =
            rule("name = \"t\"\nwhen = \"template\"\nhours = 2\nwebhook = \"https://h/x\"").unwrap();
        assert_eq!(
            template.condition,
            Condition::Template(Duration::from_secs(7_200))
        );
    }

    #[test]
    fn a_rule_missing_or_mixing_its_figures_is_refused_by_name() {
        let cases = [
            ("when = \"silent\"", "needs minutes, hours or seconds"),
            ("when = \"backlog\"", "needs above = N"),
            ("when = \"quarantine\"\nminutes = 3", "takes no minutes"),
            (
                "when = \"silent\"\nminutes = 3\nabove = 2",
                "above applies to when = \"backlog\" only",
            ),
            ("when = \"silent\"\nminutes = 3\nseconds = 2", "give one of"),
            ("when = \"silent\"\nminutes = 0", "at least 1"),
        ];
        for (body, reason) in cases {
            let error = rule(&format!("name = \"r\"\n{body}\nwebhook = \"http://h/x\"")).unwrap_err();
            let text = error.to_string();
            assert!(
                text.starts_with("[[alert]] \"r\": ") && text.contains(reason),
                "{body}: {text}"
            );
        }
    }

    #[test]
    fn a_webhook_must_be_http_and_a_secret_is_for_dingtalk() {
        let error = rule("name = \"r\"\nwhen = \"quarantine\"\nwebhook = \"ftp://h/x\"").unwrap_err();
        assert!(error.to_string().contains("http:// or https://"), "{error}");
        let error = rule("name = \"r\"\nwhen = \"quarantine\"\nwebhook = \"${HOOK}\"").unwrap_err();
        assert!(error.to_string().contains("\"r\": webhook "), "{error}");
        let error = rule("name = \"r\"\nwhen = \"quarantine\"\nwebhook = \"http://h/x\"\nsecret = \"s\"")
            .unwrap_err();
        assert!(error.to_string().contains("format = \"dingtalk\""), "{error}");
    }

    #[test]
    fn retries_double_up_to_the_longest_wait() {
        let timings = AlertTimings {
            retry_first_seconds: 10,
            retry_max_seconds: 60,
            ..AlertTimings::default()
        };
        let waits: Vec<u64> = (1..=5)
            .map(|attempts| timings.retry_after(attempts).as_secs())
            .collect();
        assert_eq!(waits, [10, 20, 40, 60, 60]);
        assert_eq!(timings.retry_after(u64::MAX).as_secs(), 60);
    }

    #[test]
    fn the_shown_webhook_hides_the_robot_key() {
        let webhook = Webhook {
            url: Secret("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc".into()),
            format: Format::Wecom,
            secret: None,
        };
        assert_eq!(webhook.shown(), "https://qyapi.weixin.qq.com/…");
    }
}
