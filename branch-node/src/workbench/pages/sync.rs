//! 同步: where the ledger stands with HQ, in plain words — what waits to be sent (entries and
//! documents), what HQ has acknowledged, the inbox applied, and any hold or rewind HQ caused
//! (the same `Ledger::status` as `branch-node status`), what the transfer agent last did (its
//! state file beside the ledger), and the buttons for a day with or without network: ask the
//! running agent to send now, download the unsent outbox as a bundle, import a template file.

use super::{ledger_refusal, respond};
use crate::hq_position::status_notes;
use crate::workbench::frame::{page, Nav};
use crate::workbench::request::{lang, with_ledger};
use crate::workbench::state::Workbench;
use crate::workbench::words::Lang;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
    /// The key of what the last button did (`sync_actions`), shown above the buttons.
    #[serde(default)]
    done: String,
}

pub(crate) async fn show(
    State(state): State<Arc<Workbench>>,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = lang(&headers, query.lang.as_deref());
    let agent = agent_tasks(&state.ledger);
    let status = match with_ledger(&state, |ledger| ledger.status()).await {
        Ok(status) => status,
        Err(error) => return ledger_refusal(&state, lang, "", Nav::Sync, &error),
    };
    let notice = state.notices.take(&query.done);
    let notes = status_notes(status.hq_rewind.as_ref(), status.hold.as_ref());
    let summary = if status.backlog == 0 {
        lang.t(
            "全部已发送到总部，总部已确认。",
            "Everything is sent to HQ and acknowledged.",
        )
        .to_owned()
    } else {
        match lang {
            Lang::Zh => format!(
                "有 {} 个条目（其中单据 {} 张）等待发送到总部；传输代理联网后会自动发送。",
                status.backlog, status.backlog_documents
            ),
            Lang::En => format!(
                "{} entries ({} documents) wait to be sent to HQ; the transfer agent sends them once it reaches HQ.",
                status.backlog, status.backlog_documents
            ),
        }
    };
    let body = html! {
        p id="sync-summary" { (summary) }
        dl.facts id="sync" {
            dt { (lang.t("积压（条目）", "Backlog (entries)")) } dd id="backlog" { (status.backlog) }
            dt { (lang.t("积压（单据）", "Backlog (documents)")) } dd id="backlog-documents" { (status.backlog_documents) }
            dt { (lang.t("最后序号", "Last seq")) } dd id="last-seq" { (status.last_seq) }
            dt { (lang.t("总部已确认到", "Acknowledged by HQ up to")) } dd id="acked-seq" { (status.acked_seq) }
            dt { (lang.t("纪元", "Epoch")) } dd { (status.epoch) }
            dt { (lang.t("已应用的收件序号", "Inbox applied up to")) } dd id="inbox-seq" { (status.inbox_seq) }
        }
        @for note in &notes { p.error.note { (note) } }
        (agent_table(lang, &agent))
        (super::sync_actions::buttons(lang, &state.csrf, notice.as_ref()))
    };
    let title = Nav::Sync.title(lang);
    respond(
        lang,
        query.lang.is_some(),
        StatusCode::OK,
        page(&state, lang, &status.branch, Nav::Sync, title, body),
    )
}

/// One task of the agent as its state file has it.
struct AgentTask {
    name: String,
    last_success: String,
    summary: String,
    last_error: String,
    failures: u64,
}

/// The agent's tasks from `<ledger>.agent.json` (none when the agent never ran here).
fn agent_tasks(ledger: &std::path::Path) -> Vec<AgentTask> {
    let path = crate::agent_files::agent_state_path(ledger);
    let state: serde_json::Value = std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let text = |task: &serde_json::Value, key: &str| task[key].as_str().unwrap_or("").to_owned();
    state["tasks"]
        .as_object()
        .map(|tasks| {
            tasks
                .iter()
                .map(|(name, task)| AgentTask {
                    name: name.clone(),
                    last_success: text(task, "last_success"),
                    summary: text(task, "last_success_summary"),
                    last_error: [text(task, "last_error_at"), text(task, "last_error")]
                        .join(" ")
                        .trim()
                        .to_owned(),
                    failures: task["consecutive_failures"].as_u64().unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn agent_table(lang: Lang, tasks: &[AgentTask]) -> maud::Markup {
    html! {
        h2 { (lang.t("传输代理", "Transfer agent")) }
        @if tasks.is_empty() {
            p.empty id="agent-none" { (lang.t("传输代理尚未在此运行过。", "The transfer agent has not run here yet.")) }
        } @else {
            table.grid id="agent-tasks" {
                thead { tr {
                    th { (lang.t("任务", "Task")) } th { (lang.t("最近成功", "Last success")) }
                    th { (lang.t("结果", "Result")) } th { (lang.t("最近错误", "Last error")) }
                    th.num { (lang.t("连续失败", "Failures in a row")) }
                } }
                tbody { @for task in tasks { tr data-task=(task.name) {
                    td { (task.name) } td { (task.last_success) } td { (task.summary) }
                    td.error { (task.last_error) } td.num { (task.failures) }
                } } }
            }
        }
    }
}
