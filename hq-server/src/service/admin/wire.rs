//! The admin service's rows on the wire.

use crate::health::{assess, BranchSignals, HealthThresholds};
use crate::store::close::register as day_close;
use crate::store::ingest::quarantine;
use crate::store::registry::template_rollout::{BranchRollout, TemplateSummary};
use crate::store::registry::{audit, status, tree};
use crate::store::trade::register;
use branchline_proto::v1 as wire;
use branchline_proto::v1::{
    AppliedTemplate, AuditEvent, Branch, BranchStatus, DayClose, ListOrgsResponse, Org, QuarantinedEntry,
    RoutedTrade,
};
use chrono::{DateTime, Utc};

/// A branch's status with its health judged by `thresholds` at `now`.
pub(super) fn status_to_wire(
    status: status::BranchStatus,
    thresholds: &HealthThresholds,
    now: DateTime<Utc>,
) -> BranchStatus {
    let signals = BranchSignals {
        last_contact: status.last_contact.as_deref(),
        backlog: status.backlog,
        quarantined: status.quarantined,
        conflicts: status.conflicts,
    };
    let assessment = assess(&signals, thresholds, now);
    BranchStatus {
        branch: status.branch,
        org: status.org,
        epoch: status.epoch,
        last_seq: status.last_seq,
        received_at: status.received_at.unwrap_or_default(),
        last_contact: status.last_contact.unwrap_or_default(),
        backlog: status.backlog,
        quarantined: status.quarantined,
        conflicts: status.conflicts,
        inbox_seq: status.inbox_seq,
        inbox_last_seq: status.inbox_last_seq,
        name: status.name,
        agent_version: status.agent_version.unwrap_or_default(),
        backlog_documents: status.backlog_documents,
        health: assessment.health.as_str().to_owned(),
        health_reason: assessment.reason(),
        health_causes: assessment.wire_causes(),
        last_closed_day: status.last_closed_day.unwrap_or_default(),
        templates: status
            .templates
            .into_iter()
            .map(|template| AppliedTemplate {
                name: template.name,
                version: template.version,
            })
            .collect(),
    }
}

pub(super) fn quarantined_to_wire(entry: quarantine::QuarantinedEntry) -> QuarantinedEntry {
    QuarantinedEntry {
        id: entry.id,
        branch: entry.branch,
        epoch: entry.epoch,
        seq: entry.seq,
        reason: entry.reason,
        created_at: entry.created_at,
        summary: entry.summary,
        content: entry.content,
    }
}

pub(super) fn trade_to_wire(trade: register::RoutedTrade) -> RoutedTrade {
    RoutedTrade {
        source_branch: trade.source_branch,
        source_number: trade.source_number,
        target_branch: trade.target_branch.unwrap_or_default(),
        doc_type: trade.doc_type,
        state: trade.state,
        inbox_seq: trade.inbox_seq.unwrap_or(0),
        target_number: trade.target_number.unwrap_or_default(),
        reason: trade.reason,
        updated_at: trade.updated_at,
        routed_at: trade.routed_at,
    }
}

pub(super) fn event_to_wire(event: audit::AuditEvent) -> AuditEvent {
    AuditEvent {
        id: event.id,
        at: event.at,
        actor: event.actor,
        action: event.action,
        detail: event.detail,
        org: event.org.unwrap_or_default(),
    }
}

pub(super) fn tree_to_wire(tree: tree::OrgTree) -> ListOrgsResponse {
    ListOrgsResponse {
        orgs: tree
            .orgs
            .into_iter()
            .map(|org| Org {
                code: org.code,
                name: org.name,
            })
            .collect(),
        branches: tree
            .branches
            .into_iter()
            .map(|branch| Branch {
                code: branch.code,
                name: branch.name,
                org: branch.org,
                customer: branch.customer,
                supplier: branch.supplier,
                warehouse: branch.warehouse,
                mode: branch.mode,
                revoked: branch.revoked,
            })
            .collect(),
    }
}

pub(super) fn template_to_wire(template: TemplateSummary) -> wire::TemplateSummary {
    wire::TemplateSummary {
        name: template.name,
        version: template.version,
        kinds: template.kinds,
        records: template.n_records,
        created_at: template.created_at,
        rollout: template.rollout.into_iter().map(rollout_to_wire).collect(),
    }
}

fn rollout_to_wire(rollout: BranchRollout) -> wire::TemplateRollout {
    wire::TemplateRollout {
        applied: rollout.applied(),
        branch: rollout.branch,
        org: rollout.org,
        version: rollout.version,
        inbox_seq: rollout.inbox_seq,
        queued_at: rollout.queued_at,
        applied_version: rollout.applied_version,
        branch_inbox_seq: rollout.branch_inbox_seq,
    }
}

/// One recorded daily close of branch `branch`.
pub(super) fn day_close_to_wire(branch: &str, close: day_close::DayClose) -> DayClose {
    let position = |(epoch, seq): (u64, u64)| format!("{epoch}:{seq}");
    DayClose {
        branch: branch.to_owned(),
        day: close.day,
        state: close.state,
        documents: close.documents,
        lines: close.lines,
        qty: close.qty,
        amount: close.amount,
        tax: close.tax,
        first_seq: close
            .seq_range
            .map(|(first, _)| position(first))
            .unwrap_or_default(),
        last_seq: close
            .seq_range
            .map(|(_, last)| position(last))
            .unwrap_or_default(),
        closed_at: close.closed_at,
        reopened_at: close.reopened_at.unwrap_or_default(),
    }
}
