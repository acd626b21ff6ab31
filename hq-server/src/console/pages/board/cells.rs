//! How the board writes one branch's cells: the health badge with HQ's reason, times as UTC,
//! the freshness age (now − last receipt) in the page's language, the applied templates.

use super::super::super::i18n::Lang;
use crate::health::{Cause, Health};
use branchline_proto::v1::BranchStatus;
use chrono::{DateTime, Utc};
use maud::{html, Markup};

/// A health as the page names it.
pub(super) fn health_label(lang: Lang, health: &str) -> &'static str {
    match health {
        "green" => lang.t("正常", "green"),
        "amber" => lang.t("注意", "amber"),
        "red" => lang.t("告警", "red"),
        _ => lang.t("未知", "unknown"),
    }
}

/// The badge's colour class (console.css): HQ's word, or grey for one the page does not know.
pub(super) fn health_class(health: &str) -> &'static str {
    match health {
        "green" => "green",
        "amber" => "amber",
        "red" => "red",
        _ => "grey",
    }
}

/// The health badge, HQ's causes under it in the page's language.
pub(super) fn health_cell(lang: Lang, branch: &BranchStatus) -> Markup {
    html! {
        span class={ "badge " (health_class(&branch.health)) } { (health_label(lang, &branch.health)) }
        @if !branch.health_reason.is_empty() {
            div.reason { (reason_text(lang, branch)) }
        }
    }
}

/// HQ's causes of a branch's health, worded in `lang`; HQ's own English line when it names a
/// cause this page does not know.
pub(super) fn reason_text(lang: Lang, branch: &BranchStatus) -> String {
    let mut texts = Vec::with_capacity(branch.health_causes.len());
    for wire in &branch.health_causes {
        let (Some(cause), Some(health)) = (
            Cause::from_wire(&wire.kind, wire.value, wire.threshold),
            Health::from_wire(&wire.health),
        ) else {
            return branch.health_reason.clone();
        };
        texts.push(match lang {
            Lang::En => cause.describe(health),
            Lang::Zh => cause_zh(cause, health),
        });
    }
    if texts.is_empty() {
        return branch.health_reason.clone();
    }
    texts.join(lang.t("；", "; "))
}

fn cause_zh(cause: Cause, health: Health) -> String {
    let level = health_label(Lang::Zh, health.as_str());
    match cause {
        Cause::NeverInContact => "从未与总部联系".to_owned(),
        Cause::ContactUnreadable => "最近联系时间无法识别".to_owned(),
        Cause::Silent { seconds, after } => format!(
            "已 {}未联系（超过 {}即{level}）",
            duration_text(Lang::Zh, seconds),
            duration_text(Lang::Zh, after)
        ),
        Cause::Backlog { entries, from } => format!("积压 {entries} 条（{from} 条起{level}）"),
        Cause::Quarantined { entries } => format!("隔离区中 {entries} 条"),
        Cause::Conflicts { resends } => format!("冲突重发 {resends} 次"),
    }
}

/// An RFC 3339 time as `2026-12-05 10:00:00 UTC`; empty: never.
pub(super) fn time_cell(lang: Lang, at: &str) -> Markup {
    if at.is_empty() {
        return html! { span.muted { (lang.t("从未", "never")) } };
    }
    let shown = match DateTime::parse_from_rfc3339(at) {
        Ok(time) => time
            .with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        Err(_) => at.to_owned(),
    };
    html! { time datetime=(at) { (shown) } }
}

/// How long ago `received_at` was at `now`, as "3 分钟" / "3 min"; empty: never received.
pub(super) fn age_text(lang: Lang, received_at: &str, now: DateTime<Utc>) -> String {
    let Ok(received) = DateTime::parse_from_rfc3339(received_at) else {
        return lang.t("从未", "never").to_owned();
    };
    let seconds = u64::try_from((now - received.with_timezone(&Utc)).num_seconds()).unwrap_or(0);
    duration_text(lang, seconds)
}

/// `seconds` in its largest one or two units, as "3 分钟" / "3 min".
pub(super) fn duration_text(lang: Lang, seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    match lang {
        Lang::Zh => crate::health::span_zh(seconds),
        Lang::En if seconds < 60 => format!("{seconds} s"),
        Lang::En if seconds < 3_600 => format!("{minutes} min"),
        Lang::En if seconds < 86_400 && minutes > 0 => format!("{hours} h {minutes} min"),
        Lang::En if seconds < 86_400 => format!("{hours} h"),
        Lang::En if hours > 0 => format!("{days} d {hours} h"),
        Lang::En => format!("{days} d"),
    }
}

/// The applied templates as `base v2, prices v1` (empty: none).
pub(super) fn templates_text(branch: &BranchStatus) -> String {
    branch
        .templates
        .iter()
        .map(|template| format!("{} v{}", template.name, template.version))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text`, or a muted dash when it is empty.
pub(super) fn or_dash(text: &str) -> Markup {
    html! {
        @if text.is_empty() { span.muted { "—" } } @else { (text) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use branchline_proto::v1::AppliedTemplate;

    fn branch_with(causes: Vec<(Health, Cause)>) -> BranchStatus {
        let assessment = crate::health::Assessment {
            health: causes.first().map_or(Health::Green, |(health, _)| *health),
            causes,
        };
        BranchStatus {
            health_reason: assessment.reason(),
            health_causes: assessment.wire_causes(),
            ..BranchStatus::default()
        }
    }

    #[test]
    fn health_causes_read_in_the_pages_language() {
        let branch = branch_with(vec![
            (
                Health::Red,
                Cause::Silent {
                    seconds: 7_830,
                    after: 3_600,
                },
            ),
            (
                Health::Amber,
                Cause::Backlog {
                    entries: 1_500,
                    from: 1_000,
                },
            ),
            (Health::Amber, Cause::Quarantined { entries: 2 }),
            (Health::Amber, Cause::Conflicts { resends: 1 }),
        ]);
        assert_eq!(
            reason_text(Lang::Zh, &branch),
            "已 2 小时 10 分钟未联系（超过 1 小时即告警）；积压 1500 条（1000 条起注意）；\
             隔离区中 2 条；冲突重发 1 次"
        );
        assert_eq!(reason_text(Lang::En, &branch), branch.health_reason);
        let never = branch_with(vec![(Health::Red, Cause::NeverInContact)]);
        assert_eq!(reason_text(Lang::Zh, &never), "从未与总部联系");
        let mut unknown = never.clone();
        unknown.health_causes[0].kind = "a later release's cause".into();
        assert_eq!(reason_text(Lang::Zh, &unknown), "never in contact with HQ");
    }

    #[test]
    fn ages_read_in_the_pages_language() {
        let now: DateTime<Utc> = "2026-12-05T10:00:00Z".parse().unwrap();
        let age = |lang, at| age_text(lang, at, now);
        assert_eq!(age(Lang::Zh, ""), "从未");
        assert_eq!(age(Lang::En, ""), "never");
        assert_eq!(age(Lang::En, "2026-12-05T09:59:15Z"), "45 s");
        assert_eq!(age(Lang::En, "2026-12-05T09:57:00Z"), "3 min");
        assert_eq!(age(Lang::Zh, "2026-12-05T09:57:00Z"), "3 分钟");
        assert_eq!(age(Lang::En, "2026-12-05T07:50:00Z"), "2 h 10 min");
        assert_eq!(age(Lang::Zh, "2026-12-05T08:00:00Z"), "2 小时");
        assert_eq!(age(Lang::En, "2026-12-02T06:00:00Z"), "3 d 4 h");
        assert_eq!(
            age(Lang::En, "2026-12-05T10:00:09Z"),
            "0 s",
            "a clock a little ahead"
        );
    }

    #[test]
    fn templates_and_times_are_written_for_people() {
        let branch = BranchStatus {
            templates: vec![
                AppliedTemplate {
                    name: "base".into(),
                    version: 2,
                },
                AppliedTemplate {
                    name: "prices".into(),
                    version: 1,
                },
            ],
            ..BranchStatus::default()
        };
        assert_eq!(templates_text(&branch), "base v2, prices v1");
        let shown = time_cell(Lang::En, "2026-12-05T10:00:00Z").into_string();
        assert!(shown.contains(">2026-12-05 10:00:00 UTC<"), "{shown}");
        assert!(time_cell(Lang::Zh, "").into_string().contains("从未"));
    }
}
