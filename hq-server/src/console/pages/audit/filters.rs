//! The audit page's filters: the GET query's fields, the form that sends them, and the Audit
//! request they make. A browser's `datetime-local` value (no zone, maybe no seconds) is read as
//! UTC, `until` to the end of the minute it names; any other text goes to HQ as given, which
//! checks it.

use super::super::super::i18n::Lang;
use super::super::super::layout::Nav;
use super::super::super::words;
use branchline_proto::v1::AuditRequest;
use chrono::NaiveDateTime;
use maud::{html, Markup};
use serde::Deserialize;

/// Actions the kind field suggests: first words (every refusal, every account change) and the
/// actions an operator looks for most.
const KINDS: &[&str] = &[
    "refused",
    "refused: permission denied",
    "refused: conflicting resend",
    "login",
    "login failed",
    "logout",
    "user",
    "org add",
    "branch add",
    "branch token rotate",
    "branch revoke",
    "import",
    "template create",
    "template publish",
    "target set",
    "quarantine retry",
    "bundle import",
    "routed document rejected",
];

#[derive(Debug, Default, Deserialize)]
pub(super) struct AuditQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    org: String,
}

/// Which end of a minute a `datetime-local` value without seconds stands for.
#[derive(Clone, Copy)]
enum End {
    Start,
    Finish,
}

/// `text` as an RFC 3339 time: a `datetime-local` value read as UTC, anything else unchanged.
fn rfc3339(text: &str, end: End) -> String {
    let text = text.trim();
    if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return format!("{}Z", at.format("%Y-%m-%dT%H:%M:%S"));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
        let seconds = match end {
            End::Start => "00",
            End::Finish => "59",
        };
        return format!("{}:{seconds}Z", at.format("%Y-%m-%dT%H:%M"));
    }
    text.to_owned()
}

impl AuditQuery {
    /// The Audit call: newest first, at most `limit` events.
    pub(super) fn request(&self, limit: u32) -> AuditRequest {
        AuditRequest {
            since: rfc3339(&self.from, End::Start),
            until: rfc3339(&self.until, End::Finish),
            actor: self.actor.trim().to_owned(),
            branch: self.branch.trim().to_owned(),
            kind: self.kind.clone(),
            org: self.org.trim().to_owned(),
            newest_first: true,
            limit,
        }
    }
}

/// The filter form, holding the query's values.
pub(super) fn form(lang: Lang, query: &AuditQuery) -> Markup {
    html! {
        form.filters method="get" action=(Nav::Audit.path()) id="audit-filters" {
            label {
                (lang.t("起始 (UTC)", "From (UTC)"))
                input type="datetime-local" step="1" id="from" name="from" value=(query.from);
            }
            label {
                (lang.t("截至 (UTC)", "Until (UTC)"))
                input type="datetime-local" step="1" id="until" name="until" value=(query.until);
            }
            label {
                (lang.t("人员或分支机构", "Person or branch"))
                input id="actor" name="actor" value=(query.actor) placeholder="sz-manager / SZ";
            }
            label {
                (lang.w(words::BRANCH))
                input id="branch" name="branch" value=(query.branch) placeholder="SZ";
            }
            label {
                (lang.t("类别", "Kind"))
                input id="kind" name="kind" value=(query.kind) list="audit-kinds" placeholder="refused";
            }
            label {
                (lang.w(words::ORG))
                input id="org" name="org" value=(query.org) list="org-codes" placeholder=(lang.t("全部范围", "whole scope"));
            }
            button type="submit" id="filter" { (lang.t("筛选", "Filter")) }
            a href=(Nav::Audit.path()) id="clear" { (lang.t("清除", "Clear")) }
        }
        datalist id="audit-kinds" {
            @for kind in KINDS {
                option value=(kind) {}
            }
        }
        p.muted {
            (lang.t(
                "分支机构：该分支机构所在组织机构的事件（它自己的调用与被拒绝，以及对它所做的操作）。类别：一个操作，或其开头的词，如 refused 即所有拒绝。",
                "Branch: the events of the branch's organization (its own calls and refusals, and what was done to it). \
                 Kind: an action, or its first words: refused is every refusal.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_times_are_read_as_utc() {
        assert_eq!(rfc3339("2026-12-02T08:30", End::Start), "2026-12-02T08:30:00Z");
        assert_eq!(rfc3339("2026-12-02T08:30", End::Finish), "2026-12-02T08:30:59Z");
        assert_eq!(
            rfc3339("2026-12-02T08:30:15", End::Finish),
            "2026-12-02T08:30:15Z"
        );
        assert_eq!(
            rfc3339("2026-12-02T08:30:00+08:00", End::Start),
            "2026-12-02T08:30:00+08:00"
        );
        assert_eq!(rfc3339("", End::Start), "");
        assert_eq!(rfc3339("garbage", End::Finish), "garbage");
    }
}
