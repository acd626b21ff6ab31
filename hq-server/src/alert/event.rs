//! An alert's start or clear as its message says it: the facts (stored with the queued message,
//! so every replica sends the same words) and their sentences in Chinese and English.

use super::evaluate::Finding;
use super::rule::{Condition, Rule};
use crate::health::{span, span_zh};
use crate::store::alert::facts::BranchFacts;
use serde::{Deserialize, Serialize};

/// The body of a `format = "json"` webhook, and what the robots' messages are written from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The rule's name.
    pub alert: String,
    /// `firing` (the condition started) or `resolved` (it cleared).
    pub state: String,
    /// silent | backlog | quarantine | conflict | template
    pub condition: String,
    pub branch: String,
    pub branch_name: String,
    pub org: String,
    /// What was measured (seconds or entries, as `condition` says) when the message was made.
    pub value: u64,
    pub threshold: u64,
    /// When the condition started and, once resolved, cleared (RFC 3339 UTC).
    pub started_at: String,
    pub cleared_at: Option<String>,
    /// One sentence in Chinese, and in English.
    pub summary: String,
    pub summary_en: String,
}

/// When the condition that ended started, and when it cleared (RFC 3339 UTC).
pub struct Cleared<'a> {
    pub started_at: &'a str,
    pub cleared_at: &'a str,
}

fn condition_name(condition: Condition) -> &'static str {
    match condition {
        Condition::Silent(_) => "silent",
        Condition::Backlog(_) => "backlog",
        Condition::Quarantine => "quarantine",
        Condition::Conflict(_) => "conflict",
        Condition::Template(_) => "template",
    }
}

/// The start of `rule` for `branch`, as `finding` found it at `started_at`.
pub fn started(rule: &Rule, branch: &BranchFacts, finding: &Finding, started_at: &str) -> Event {
    let (summary, summary_en) = start_words(rule.condition, finding);
    Event {
        alert: rule.name.clone(),
        state: "firing".into(),
        condition: condition_name(rule.condition).into(),
        branch: branch.code.clone(),
        branch_name: branch.name.clone(),
        org: branch.org.clone(),
        value: finding.value,
        threshold: finding.threshold,
        started_at: started_at.into(),
        cleared_at: None,
        summary,
        summary_en,
    }
}

/// The clear of `rule` for `branch`.
pub fn cleared(rule: &Rule, branch: &BranchFacts, times: &Cleared<'_>) -> Event {
    let lasted = chrono::DateTime::parse_from_rfc3339(times.cleared_at)
        .ok()
        .zip(chrono::DateTime::parse_from_rfc3339(times.started_at).ok())
        .map_or(0, |(end, start)| {
            u64::try_from((end - start).num_seconds()).unwrap_or(0)
        });
    let (what, what_en) = clear_words(rule.condition, branch);
    let (value, threshold) = match rule.condition {
        Condition::Backlog(above) => (branch.backlog, above),
        Condition::Quarantine => (branch.quarantined, 0),
        Condition::Conflict(within) => (branch.conflicts, within.as_secs()),
        Condition::Silent(after) | Condition::Template(after) => (0, after.as_secs()),
    };
    Event {
        alert: rule.name.clone(),
        state: "resolved".into(),
        condition: condition_name(rule.condition).into(),
        branch: branch.code.clone(),
        branch_name: branch.name.clone(),
        org: branch.org.clone(),
        value,
        threshold,
        started_at: times.started_at.into(),
        cleared_at: Some(times.cleared_at.into()),
        summary: format!("{what}（持续 {}）", span_zh(lasted)),
        summary_en: format!("{what_en} (lasted {})", span(lasted)),
    }
}

fn start_words(condition: Condition, finding: &Finding) -> (String, String) {
    let (value, threshold) = (finding.value, finding.threshold);
    let note = finding.note.as_deref().unwrap_or("");
    match condition {
        Condition::Silent(_) if note == "never" => (
            format!(
                "注册 {}以来从未与总部联系（超过 {}即告警）",
                span_zh(value),
                span_zh(threshold)
            ),
            format!(
                "never called HQ in the {} since it was registered (alert after {})",
                span(value),
                span(threshold)
            ),
        ),
        Condition::Silent(_) => (
            format!(
                "已 {}未与总部联系（超过 {}即告警）",
                span_zh(value),
                span_zh(threshold)
            ),
            format!("silent for {} (alert after {})", span(value), span(threshold)),
        ),
        Condition::Backlog(_) => (
            format!("积压 {value} 条目（超过 {threshold} 条即告警）"),
            format!("{value} entries waiting to be sent (alert above {threshold})"),
        ),
        Condition::Quarantine => (
            format!("隔离区有 {value} 个条目待处理"),
            format!("{value} entries wait in quarantine"),
        ),
        Condition::Conflict(_) => (
            format!("{}内有冲突的重发被拒绝（累计 {value} 次）", span_zh(threshold)),
            format!(
                "a conflicting resend was refused within {} ({value} in all)",
                span(threshold)
            ),
        ),
        Condition::Template(_) => (
            format!(
                "模板 {note} 已发放 {}，仍未应用（超过 {}即告警）",
                span_zh(value),
                span_zh(threshold)
            ),
            format!(
                "template {note} sent {} ago is not applied (alert after {})",
                span(value),
                span(threshold)
            ),
        ),
    }
}

fn clear_words(condition: Condition, branch: &BranchFacts) -> (String, String) {
    match condition {
        Condition::Silent(_) => ("已恢复与总部联系".into(), "in contact with HQ again".into()),
        Condition::Backlog(_) => (
            format!("积压已降至 {} 条目", branch.backlog),
            format!("backlog down to {} entries", branch.backlog),
        ),
        Condition::Quarantine => ("隔离区已清空".into(), "quarantine is empty".into()),
        Condition::Conflict(within) => (
            format!("{}内再无冲突的重发", span_zh(within.as_secs())),
            format!("no conflicting resend for {}", span(within.as_secs())),
        ),
        Condition::Template(_) => ("模板已应用".into(), "the template is applied".into()),
    }
}

impl Event {
    /// The message's heading: `【告警】广州分公司（GZ，001.003）`, or `【恢复】…` once resolved.
    pub fn heading(&self) -> String {
        let word = if self.cleared_at.is_some() {
            "恢复"
        } else {
            "告警"
        };
        format!("【{word}】{}（{}，{}）", self.branch_name, self.branch, self.org)
    }
}
