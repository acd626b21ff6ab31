//! How the board writes one branch's cells: the health badge with HQ's reason, times as UTC,
//! the freshness age (now − last receipt) in the page's language, the applied templates.

use super::super::super::i18n::Lang;
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

/// The health badge, HQ's reason under it.
pub(super) fn health_cell(lang: Lang, branch: &BranchStatus) -> Markup {
    html! {
        span class={ "badge " (health_class(&branch.health)) } { (health_label(lang, &branch.health)) }
        @if !branch.health_reason.is_empty() {
            div.reason { (branch.health_reason) }
        }
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
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    let (zh, en) = if seconds < 60 {
        (format!("{seconds} 秒"), format!("{seconds} s"))
    } else if seconds < 3_600 {
        (format!("{minutes} 分钟"), format!("{minutes} min"))
    } else if seconds < 86_400 && minutes > 0 {
        (
            format!("{hours} 小时 {minutes} 分钟"),
            format!("{hours} h {minutes} min"),
        )
    } else if seconds < 86_400 {
        (format!("{hours} 小时"), format!("{hours} h"))
    } else if hours > 0 {
        (format!("{days} 天 {hours} 小时"), format!("{days} d {hours} h"))
    } else {
        (format!("{days} 天"), format!("{days} d"))
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
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
