//! The quarantine page's conflicts: resends HQ refused because they carried other content under
//! a sequence number it already holds (README "Contradictions stop, loudly"). `Admin/Status`
//! counts them per branch; each one is an audit event `refused: conflicting resend` of the
//! branch, read with `Admin/Audit`'s kind filter.

use super::super::super::ctx::Ctx;
use super::super::super::error::ConsoleError;
use super::super::super::words;
use branchline_proto::v1::{AuditRequest, StatusRequest};
use maud::{html, Markup};

/// The audit action of a refused conflicting resend.
const CONFLICT_KIND: &str = "refused: conflicting resend";
/// The most conflict events the page lists (the newest).
const CONFLICT_EVENTS_MAX: u32 = 50;

/// The conflicts section for `org`'s subtree (empty: the whole scope).
pub(super) async fn conflicts(ctx: &Ctx, org: &str) -> Result<Markup, ConsoleError> {
    let status = StatusRequest { org: org.to_owned() };
    let mut branches = ctx
        .admin()
        .status(ctx.request(status))
        .await?
        .into_inner()
        .branches;
    branches.retain(|branch| branch.conflicts > 0);
    let audit = AuditRequest {
        org: org.to_owned(),
        kind: CONFLICT_KIND.to_owned(),
        newest_first: true,
        limit: CONFLICT_EVENTS_MAX,
        ..AuditRequest::default()
    };
    let events = ctx.admin().audit(ctx.request(audit)).await?.into_inner().events;
    let lang = ctx.lang;
    Ok(html! {
        section.panel id="conflicts" {
            h2 { (lang.t("冲突", "Conflicts")) }
            p.muted {
                (lang.t(
                    "同一序号、内容不同的重发被总部拒绝，传输停止而不猜测：该分支机构的账套可能是从旧备份恢复的，须 branch-node epoch new。",
                    "A resend with a sequence number HQ holds but other content is refused and the agent stops \
                     instead of guessing: the branch's ledger was likely restored from an old backup (branch-node epoch new).",
                ))
            }
            @if branches.is_empty() {
                p.muted id="no-conflicts" { (lang.t("没有冲突。", "No conflicts.")) }
            } @else {
                table.grid id="conflict-counts" {
                    thead {
                        tr {
                            th { (lang.w(words::BRANCH)) }
                            th { (lang.w(words::ORG)) }
                            th.num { (lang.t("冲突次数", "Conflicts")) }
                            th { (lang.t("最近联系", "Last contact")) }
                        }
                    }
                    tbody {
                        @for branch in &branches {
                            tr {
                                td.branch { (branch.branch) }
                                td { (branch.org) }
                                td.num.conflicts { (branch.conflicts) }
                                td { (branch.last_contact) }
                            }
                        }
                    }
                }
            }
            @if !events.is_empty() {
                h2 { (lang.t("被拒绝的重发（最新在前）", "Refused resends (newest first)")) }
                table.grid id="conflict-events" {
                    thead {
                        tr {
                            th { (lang.t("时间", "At")) }
                            th { (lang.w(words::BRANCH)) }
                            th { (lang.t("详情", "Detail")) }
                        }
                    }
                    tbody {
                        @for event in &events {
                            tr {
                                td { (event.at) }
                                td.branch { (event.actor) }
                                td { (event.detail) }
                            }
                        }
                    }
                }
            }
        }
    })
}
