//! Judges one rule on every branch's facts at one moment: which branches it fires for, and
//! with what figure.

use super::rule::{Condition, Rule};
use crate::store::alert::facts::BranchFacts;
use chrono::{DateTime, Utc};

/// A rule's condition holding for a branch, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub branch_id: i64,
    /// Silent, template: seconds; backlog, quarantine: entries; conflict: resends in all.
    pub value: u64,
    /// What the value is measured against (seconds, entries).
    pub threshold: u64,
    /// silent: the branch never called HQ; template: which one (`base v2`).
    pub note: Option<String>,
}

/// Whether `branch` belongs to `rule`'s subtree (every branch without one).
fn in_scope(rule: &Rule, branch: &BranchFacts) -> bool {
    rule.subtree.as_deref().is_none_or(|subtree| {
        branch.org == subtree
            || branch
                .org
                .strip_prefix(subtree)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// Seconds from `at` (RFC 3339) to `now`; 0 for a time ahead of `now` (another replica's
/// clock), `None` when unreadable.
fn age(at: &str, now: DateTime<Utc>) -> Option<u64> {
    let at = DateTime::parse_from_rfc3339(at).ok()?;
    Some(u64::try_from((now - at.with_timezone(&Utc)).num_seconds()).unwrap_or(0))
}

/// The finding of `rule` for `branch` at `now`, if its condition holds.
pub fn judge(rule: &Rule, branch: &BranchFacts, now: DateTime<Utc>) -> Option<Finding> {
    if !in_scope(rule, branch) {
        return None;
    }
    let finding = |value: u64, threshold: u64, note: Option<String>| Finding {
        branch_id: branch.id,
        value,
        threshold,
        note,
    };
    match rule.condition {
        Condition::Silent(after) => {
            let since = branch.last_contact.as_deref().unwrap_or(&branch.created_at);
            let seconds = age(since, now)?;
            let never = branch.last_contact.is_none().then(|| "never".to_owned());
            (seconds > after.as_secs()).then(|| finding(seconds, after.as_secs(), never))
        }
        Condition::Backlog(above) => (branch.backlog > above).then(|| finding(branch.backlog, above, None)),
        Condition::Quarantine => (branch.quarantined > 0).then(|| finding(branch.quarantined, 0, None)),
        Condition::Conflict(within) => {
            let seconds = age(branch.last_conflict_at.as_deref()?, now)?;
            (seconds <= within.as_secs()).then(|| finding(branch.conflicts, within.as_secs(), None))
        }
        Condition::Template(after) => branch.unapplied.iter().find_map(|unapplied| {
            let seconds = age(&unapplied.queued_at, now)?;
            let which = format!("{} v{}", unapplied.template, unapplied.version);
            (seconds > after.as_secs()).then(|| finding(seconds, after.as_secs(), Some(which)))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::rule::{Format, Webhook};
    use crate::secret::Secret;
    use crate::store::alert::facts::Unapplied;
    use std::time::Duration;

    const NOW: &str = "2026-12-03T10:00:00Z";

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(NOW).unwrap().with_timezone(&Utc)
    }

    fn rule(condition: Condition, subtree: Option<&str>) -> Rule {
        Rule {
            name: "r".into(),
            condition,
            subtree: subtree.map(str::to_owned),
            webhook: Webhook {
                url: Secret("http://h/x".into()),
                format: Format::Json,
                secret: None,
            },
        }
    }

    fn branch() -> BranchFacts {
        BranchFacts {
            id: 7,
            code: "GZ".into(),
            name: "广州分公司".into(),
            org: "001.003".into(),
            created_at: "2026-12-01T00:00:00Z".into(),
            last_contact: Some("2026-12-03T09:50:00Z".into()),
            backlog: 0,
            quarantined: 0,
            conflicts: 0,
            last_conflict_at: None,
            unapplied: Vec::new(),
        }
    }

    #[test]
    fn silence_counts_from_the_last_call_or_from_registration() {
        let ten_minutes = rule(Condition::Silent(Duration::from_secs(600)), None);
        assert_eq!(
            judge(&ten_minutes, &branch(), now()),
            None,
            "exactly 10 minutes is not longer"
        );
        let nine = rule(Condition::Silent(Duration::from_secs(540)), None);
        assert_eq!(judge(&nine, &branch(), now()).unwrap().value, 600);
        let never = BranchFacts {
            last_contact: None,
            ..branch()
        };
        let finding = judge(&nine, &never, now()).unwrap();
        assert_eq!((finding.value, finding.note.as_deref()), (208_800, Some("never")));
    }

    #[test]
    fn backlog_quarantine_conflict_and_template_fire_on_their_figures() {
        let busy = BranchFacts {
            backlog: 501,
            quarantined: 2,
            conflicts: 3,
            last_conflict_at: Some("2026-12-03T09:30:00Z".into()),
            unapplied: vec![Unapplied {
                template: "base".into(),
                version: 2,
                queued_at: "2026-12-03T07:00:00Z".into(),
            }],
            ..branch()
        };
        let value = |condition| judge(&rule(condition, None), &busy, now()).map(|finding| finding.value);
        assert_eq!(value(Condition::Backlog(500)), Some(501));
        assert_eq!(value(Condition::Backlog(501)), None);
        assert_eq!(value(Condition::Quarantine), Some(2));
        assert_eq!(value(Condition::Conflict(Duration::from_secs(3_600))), Some(3));
        assert_eq!(
            value(Condition::Conflict(Duration::from_secs(600))),
            None,
            "30 minutes ago"
        );
        let template = judge(
            &rule(Condition::Template(Duration::from_secs(7_200)), None),
            &busy,
            now(),
        );
        assert_eq!(template.unwrap().note.as_deref(), Some("base v2"));
        assert_eq!(value(Condition::Template(Duration::from_secs(3 * 3_600))), None);
        assert_eq!(judge(&rule(Condition::Quarantine, None), &branch(), now()), None);
    }

    #[test]
    fn a_subtree_rule_sees_its_branches_only() {
        let quarantined = BranchFacts {
            quarantined: 1,
            ..branch()
        };
        for (subtree, fires) in [
            ("001", true),
            ("001.003", true),
            ("001.00", false),
            ("001.002", false),
        ] {
            let found = judge(&rule(Condition::Quarantine, Some(subtree)), &quarantined, now());
            assert_eq!(found.is_some(), fires, "{subtree}");
        }
    }
}
