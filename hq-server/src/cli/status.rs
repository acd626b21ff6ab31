//! `hq-server admin status`: every branch's health and freshness as a table or JSON.

use super::output::{empty_as_null, or_dash, print_table, Format};
use branchline_proto::v1::{AppliedTemplate, BranchStatus};
use serde_json::json;

/// `name:version` of each applied template, comma-separated; `-` for none.
fn templates_cell(templates: &[AppliedTemplate]) -> String {
    let cells: Vec<String> = templates
        .iter()
        .map(|template| format!("{}:{}", template.name, template.version))
        .collect();
    or_dash(&cells.join(","))
}

fn status_json(branch: &BranchStatus) -> serde_json::Value {
    let templates: Vec<_> = branch
        .templates
        .iter()
        .map(|template| json!({ "name": template.name, "version": template.version }))
        .collect();
    json!({
        "branch": branch.branch,
        "name": branch.name,
        "org": branch.org,
        "health": branch.health,
        "health_reason": empty_as_null(&branch.health_reason),
        "epoch": branch.epoch,
        "last_seq": branch.last_seq,
        "received_at": empty_as_null(&branch.received_at),
        "backlog": branch.backlog,
        "backlog_documents": branch.backlog_documents,
        "quarantined": branch.quarantined,
        "conflicts": branch.conflicts,
        "last_contact": empty_as_null(&branch.last_contact),
        "inbox_seq": branch.inbox_seq,
        "inbox_last_seq": branch.inbox_last_seq,
        "templates": templates,
        "agent_version": empty_as_null(&branch.agent_version),
        "last_closed_day": empty_as_null(&branch.last_closed_day),
    })
}

/// The table's cells; the name (often Chinese, twice as wide) last, so the columns stay aligned.
fn status_row(branch: &BranchStatus) -> Vec<String> {
    vec![
        branch.branch.clone(),
        branch.org.clone(),
        branch.health.clone(),
        branch.epoch.to_string(),
        branch.last_seq.to_string(),
        or_dash(&branch.received_at),
        or_dash(&branch.last_contact),
        branch.backlog.to_string(),
        branch.backlog_documents.to_string(),
        branch.quarantined.to_string(),
        branch.conflicts.to_string(),
        templates_cell(&branch.templates),
        or_dash(&branch.agent_version),
        or_dash(&branch.last_closed_day),
        or_dash(&branch.health_reason),
        branch.name.clone(),
    ]
}

pub(super) fn print_status(branches: &[BranchStatus], format: Format) {
    match format {
        Format::Json => {
            let branches: Vec<_> = branches.iter().map(status_json).collect();
            println!("{}", json!({ "branches": branches }));
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = branches.iter().map(status_row).collect();
            let header = [
                "branch",
                "org",
                "health",
                "epoch",
                "last_seq",
                "received_at",
                "last_contact",
                "backlog",
                "documents",
                "quarantined",
                "conflicts",
                "templates",
                "agent",
                "last_closed_day",
                "reason",
                "name",
            ];
            print_table(&header, &rows);
        }
    }
}
